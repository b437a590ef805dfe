import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startHub, type RunningHub } from '../../src/services/hub-server.js';
import { KYSO_BIN, runKyso, type CliResult } from '../helpers/cli.js';
import { cleanEnv } from '../helpers/env.js';
import { makeSamplePdfs } from '../fixtures/make-pdfs.js';

/** The CLI under test; KYSO_TEST_BIN points at another build (e.g. a private dist while others rebuild dist/). */
export const BIN = process.env.KYSO_TEST_BIN ?? KYSO_BIN;

function runBin(args: string[], opts: { env: Record<string, string>; cwd: string; timeoutMs: number }): Promise<CliResult> {
  if (BIN === KYSO_BIN) return runKyso(args, opts);
  return new Promise((resolve, reject) => {
    const env = cleanEnv(opts.env);
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export const ORG_A = { systemId: 'SYS-A', organId: '000.00.00.A01', secret: 'secret-of-a-0123456789', organName: 'UBND huyện A' };
export const ORG_B = { systemId: 'SYS-B', organId: '000.00.00.B02', secret: 'secret-of-b-0123456789', organName: 'Sở Nội vụ B' };

export interface Party {
  dir: string;
  organId: string;
  run(args: string[], extraEnv?: Record<string, string>): Promise<CliResult>;
  json(args: string[], extraEnv?: Record<string, string>): Promise<{ code: number | null; doc: any; stderr: string }>;
}

/** A working folder with kyso.config.json for one organisation, its own data dir, secret in the env. */
export async function makeParty(root: string, org: typeof ORG_A, endpoint: string, retry = { baseMs: 2, maxMs: 20, maxAttempts: 6 }, secret = org.secret): Promise<Party> {
  const dir = path.join(root, org.systemId);
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'kyso.config.json'),
    JSON.stringify({
      defaultProfile: 'hub',
      dataDir: './data',
      profiles: { hub: { adapter: 'vdxp', endpoint, systemId: org.systemId, organId: org.organId, secretEnv: 'TEST_EXCHANGE_SECRET', timeoutMs: 5000, retry, organ: { name: org.organName, place: 'Hà Nội' } } },
    }),
  );
  // this folder is trusted in the user file, so its kyso.config.json may set endpoint and secretEnv; the test
  // PKI's OCSP/CRL/AIA services on 127.0.0.1 are on the receive-time fetch allow-list (issue 12)
  await mkdir(path.join(dir, 'xdg-config', 'kyso'), { recursive: true });
  await writeFile(path.join(dir, 'xdg-config', 'kyso', 'config.json'), JSON.stringify({ trustedProjectDirs: [dir], fetchAllowHosts: ['127.0.0.1'] }));
  const env = { TEST_EXCHANGE_SECRET: secret, XDG_CONFIG_HOME: path.join(dir, 'xdg-config'), XDG_DATA_HOME: path.join(dir, 'xdg-data'), XDG_CACHE_HOME: path.join(dir, 'xdg-cache') };
  const run = (args: string[], extraEnv: Record<string, string> = {}) => runBin(args, { cwd: dir, env: { ...env, ...extraEnv }, timeoutMs: 120_000 });
  return {
    dir,
    organId: org.organId,
    run,
    async json(args, extraEnv) {
      const r = await run([...args, '--json'], extraEnv);
      let doc: any;
      try {
        doc = JSON.parse(r.stdout);
      } catch {
        throw new Error(`kyso ${args.join(' ')} → exit ${r.code}, not JSON:\n${r.stdout}\n${r.stderr}`);
      }
      return { code: r.code, doc, stderr: r.stderr };
    },
  };
}

export async function startTestHub(root: string, opts: { dedup?: boolean; faults?: string; port?: number; platformRules?: 'strict' | 'lenient'; random?: () => number } = {}): Promise<RunningHub> {
  const dataDir = await mkdtemp(path.join(root, 'hub-'));
  return startHub({ dataDir, systems: [ORG_A, ORG_B], dedup: opts.dedup, faults: opts.faults, port: opts.port, platformRules: opts.platformRules, random: opts.random });
}

/** A flow test's world: a temp root, a loopback hub in it and a sample PDF; close() stops the hub and removes all. */
export interface FlowWorld {
  root: string;
  hub: RunningHub;
  pdf: string;
  close(): Promise<void>;
}

export async function startFlowWorld(opts: Parameters<typeof startTestHub>[1] = {}): Promise<FlowWorld> {
  const root = await tmpRoot();
  const hub = await startTestHub(root, opts);
  const pdf = (await makeSamplePdfs(root)).simple;
  return {
    root,
    hub,
    pdf,
    async close() {
      await hub.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A seeded PRNG (mulberry32): a failing randomised run can be replayed with the seed it prints. */
export { mulberry32 as seeded } from '../helpers/seeded-random.js';

export const tmpRoot = () => mkdtemp(path.join(os.tmpdir(), 'kyso-flow-'));

export const META = ['--subject', 'V/v kế hoạch chuyển đổi số năm 2027', '--signer-name', 'Nguyễn Văn An', '--signer-position', 'Chủ tịch', '--signer-competence', 'TM.', '--type', 'Công văn'];
