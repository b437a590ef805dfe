import { existsSync } from 'node:fs';
/**
 * `kyso demo`: the whole job end to end on embedded defaults. Each step runs a real kyso command (the
 * same code a clerk's terminal runs, handed in as `kyso`), and the result lists the command line so a
 * person can repeat any step by hand in the demo folder.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KysoError, msg, type Msg } from '../core/errors.js';
import { valueLabel } from '../core/value-labels.js';
import { makeDemoPki } from './demo-pki.js';
import { SAMPLE_CONG_VAN, writeSampleDocument } from './demo-documents.js';
import { sealPng, signaturePng } from './demo-images.js';
import { startHub, type RunningHub } from './hub-server.js';

export interface KysoRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DemoDeps {
  /** runs `kyso <args>` in `cwd` with extra environment variables, capturing its output */
  kyso(args: string[], opts: { cwd: string; env: Record<string, string> }): Promise<KysoRun>;
  now(): Date;
  /** called as each step ends, so a person sees progress while the demo runs */
  onStep?(step: DemoStep): void;
}

export interface DemoOptions {
  /** folder to work in (created); default a new temp folder */
  dataDir?: string;
  /** hub port; default a free one */
  port?: number;
  /** remove the folder at the end */
  clean?: boolean;
}

export interface DemoStep {
  n: number;
  title: { en: string; vi: string };
  /** the command line a person would type (secrets come from the environment, never from here) */
  command?: string;
  summary: string;
  /** the summary in Vietnamese, where its words differ (states, "status") */
  summaryVi?: string;
}

export interface DemoResult {
  dir: string;
  kept: boolean;
  hubUrl: string;
  steps: DemoStep[];
  files: Record<string, string>;
}

const ORG_SEND = { systemId: 'UBND-PL', organId: '000.00.21.H55', secret: '', organName: 'UBND huyện Phú Lương (DEMO)' };
const ORG_RECV = { systemId: 'SNV-TN', organId: '000.00.11.H55', secret: '', organName: 'Sở Nội vụ tỉnh Thái Nguyên (DEMO)' };

/** pki/README.txt of the demo: the passphrase of its .p12 files and how to use it (vi + en). */
export function demoPkiReadme(password: string): string {
  return [
    'PKI THỬ NGHIỆM của kyso demo — KHÔNG dùng cho văn bản thật.',
    `Mật khẩu của các tệp .p12 trong thư mục này: ${password}`,
    'Ký lại thử:  KYSO_P12_PASSWORD=<mật khẩu> kyso sign ../cong-van.pdf -o ../thu.pdf --p12 lanh-dao.p12',
    '   hoặc:     kyso sign ../cong-van.pdf -o ../thu.pdf --p12 lanh-dao.p12 --passphrase-file <tệp chứa mật khẩu>',
    '',
    'Throw-away TEST PKI made by kyso demo — NEVER use it for real documents.',
    `Passphrase of the .p12 files in this folder: ${password}`,
    'Sign again:  KYSO_P12_PASSWORD=<passphrase> kyso sign ../cong-van.pdf -o ../try.pdf --p12 lanh-dao.p12',
    '',
  ].join('\n');
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export async function runDemo(opts: DemoOptions, deps: DemoDeps): Promise<DemoResult> {
  const dir = opts.dataDir ? path.resolve(opts.dataDir) : await mkdtemp(path.join(os.tmpdir(), 'kyso-demo-'));
  await mkdir(dir, { recursive: true });
  const steps: DemoStep[] = [];
  let hub: RunningHub | undefined;
  const step = (title: DemoStep['title'], summary: string | Msg, command?: string) => {
    const s: DemoStep = typeof summary === 'string' ? { n: steps.length + 1, title, command, summary } : { n: steps.length + 1, title, command, summary: summary.en, summaryVi: summary.vi };
    steps.push(s);
    deps.onStep?.(s);
  };

  const run = async (cwd: string, env: Record<string, string>, argsIn: string[]): Promise<{ doc: any; line: string }> => {
    // a project kyso.config.json may not set endpoints or secrets (issue 12): name it explicitly with --config
    const cfgFile = path.join(cwd, 'kyso.config.json');
    const args = existsSync(cfgFile) ? [...argsIn, '--config', cfgFile] : argsIn;
    const r = await deps.kyso([...args, '--json'], { cwd, env });
    // Paths are passed absolute (robust whatever the command resolves against) and shown relative.
    const shown = args.map((a) => (path.isAbsolute(a) && a.startsWith(dir) ? path.relative(cwd, a) || '.' : a));
    const line = `kyso ${shown.map(quote).join(' ')}`;
    let doc: any;
    try {
      doc = JSON.parse(r.stdout);
    } catch {
      doc = undefined;
    }
    if (r.code !== 0 && !(args[0] === 'verify' && r.code === 3)) {
      const why = doc?.error?.message ?? r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`;
      throw new KysoError('DEMO_STEP_FAILED', 'internal', msg(`demo step failed: ${line}: ${why} (folder ${dir})`, `bước chạy thử bị lỗi: ${line}: ${why} (thư mục ${dir})`));
    }
    return { doc, line };
  };

  try {
    // 1. PKI
    const pki = await makeDemoPki(path.join(dir, 'pki'), deps.now());
    const env = { KYSO_P12_PASSWORD: pki.password };
    // The throw-away passphrase is written down so that the printed `kyso sign … --p12 pki/…` can be re-run.
    const readme = path.join(dir, 'pki', 'README.txt');
    await writeFile(readme, demoPkiReadme(pki.password), { mode: 0o600 });
    step(
      { en: 'Throw-away test PKI (root, issuing CA, leader, organisation)', vi: 'Tạo PKI thử nghiệm (CA gốc, CA cấp phát, lãnh đạo, cơ quan)' },
      `${path.relative(dir, pki.leader.p12)}, ${path.relative(dir, pki.organisation.p12)}, ${path.relative(dir, pki.rootPem)}; passphrase/mật khẩu: ${path.relative(dir, readme)}`,
    );

    // 2. document
    const draft = path.join(dir, 'cong-van.pdf');
    await writeSampleDocument(draft);
    // generated images: the leader's blue signature and the organisation's round red seal (transparent PNGs)
    const sigImage = path.join(dir, 'chu-ky.png');
    const sealImage = path.join(dir, 'dau-do.png');
    await writeFile(sigImage, signaturePng());
    await writeFile(sealImage, sealPng(36));
    step({ en: 'Sample công văn (Vietnamese, embedded font), signature image and seal', vi: 'Tạo công văn mẫu (tiếng Việt, phông nhúng), ảnh chữ ký và ảnh dấu' }, 'cong-van.pdf, chu-ky.png, dau-do.png');

    // 3. leader approves
    const approved = path.join(dir, 'cong-van.lanh-dao.pdf');
    let r = await run(dir, env, ['sign', draft, '-o', approved, '--p12', pki.leader.p12, '--reason', 'Phê duyệt', '--location', 'Phú Lương', '--name', pki.leader.commonName, '--role', 'approve', '--image', sigImage]);
    step({ en: "Leader's approval signature", vi: 'Lãnh đạo ký phê duyệt' }, `cong-van.lanh-dao.pdf (${pki.leader.commonName})`, r.line);

    // 4. clerk issues with the organisation's certificate
    const issued = path.join(dir, 'cong-van.ban-hanh.pdf');
    r = await run(dir, env, ['sign', approved, '-o', issued, '--p12', pki.organisation.p12, '--reason', `Ban hành văn bản số 123${SAMPLE_CONG_VAN.notation}`, '--location', 'Phú Lương', '--role', 'issue', '--doc-number', `123${SAMPLE_CONG_VAN.notation}`, '--image', sealImage]);
    step({ en: "Organisation's signature at issuance (văn thư)", vi: 'Văn thư ký số của cơ quan khi phát hành' }, `cong-van.ban-hanh.pdf (${pki.organisation.commonName})`, r.line);

    // 5. verify
    r = await run(dir, env, ['verify', issued, '--trust', pki.rootPem, '--no-default-trust', '--revocation', 'off']);
    const file = r.doc?.result?.files?.[0];
    const sigs: any[] = file?.signatures ?? [];
    step(
      { en: 'Verify both signatures', vi: 'Kiểm tra hai chữ ký' },
      `${file?.indication ?? '?'}: ${sigs.map((s) => `${s.field} ${s.indication}`).join(', ')}`,
      r.line,
    );
    if (file?.indication !== 'TOTAL_PASSED') {
      throw new KysoError('DEMO_VERIFY_FAILED', 'internal', msg(`demo: the signed document did not verify (${file?.indication})`, `chạy thử: văn bản đã ký không qua kiểm tra (${file?.indication})`));
    }

    // 6. hub
    const secretA = `demo-secret-a-${Math.random().toString(36).slice(2)}`;
    const secretB = `demo-secret-b-${Math.random().toString(36).slice(2)}`;
    const systems = [
      { ...ORG_SEND, secret: secretA },
      { ...ORG_RECV, secret: secretB },
    ];
    await mkdir(path.join(dir, 'hub'), { recursive: true });
    // the same registry `kyso hub serve --data-dir hub` reads, so the printed command works by hand too
    await writeFile(path.join(dir, 'hub', 'systems.json'), JSON.stringify(systems, null, 2) + '\n', { mode: 0o600 });
    hub = await startHub({ dataDir: path.join(dir, 'hub'), systems, port: opts.port });
    step({ en: 'Local exchange hub (vdxp API, HMAC auth) on loopback', vi: 'Trục liên thông thử nghiệm trên máy (API vdxp, xác thực HMAC)' }, hub.url, `kyso hub serve --port ${hub.port} --data-dir hub`);

    const party = async (name: string, org: typeof ORG_SEND, secret: string) => {
      const pdir = path.join(dir, name);
      await mkdir(pdir, { recursive: true });
      await writeFile(path.join(pdir, '.secret'), secret + '\n', { mode: 0o600 });
      await writeFile(
        path.join(pdir, 'kyso.config.json'),
        JSON.stringify(
          {
            defaultProfile: 'demo',
            dataDir: './data',
            profiles: {
              demo: {
                adapter: 'vdxp',
                endpoint: hub!.url,
                systemId: org.systemId,
                organId: org.organId,
                secretFile: './.secret',
                timeoutMs: 10_000,
                retry: { baseMs: 200, maxMs: 2000, maxAttempts: 3 },
                organ: { name: org.organName, place: 'Thái Nguyên' },
              },
            },
          },
          null,
          2,
        ) + '\n',
      );
      return pdir;
    };
    const sender = await party('gui', ORG_SEND, secretA);
    const receiver = await party('nhan', ORG_RECV, secretB);
    const envX: Record<string, string> = { ...env, XDG_CACHE_HOME: path.join(dir, 'cache') };

    // 7. send
    r = await run(sender, envX, [
      'send', issued, '--to', ORG_RECV.organId, '--code', `123${SAMPLE_CONG_VAN.notation}`, '--subject', SAMPLE_CONG_VAN.subject,
      '--type', 'Công văn', '--signer-name', SAMPLE_CONG_VAN.signerName, '--signer-position', 'Chủ tịch', '--signer-competence', 'TM.',
    ]);
    const item = r.doc?.result?.item;
    step({ en: `Send to ${ORG_RECV.organName}`, vi: `Gửi đến ${ORG_RECV.organName}` }, msg(`${item?.state ?? '?'} — ${item?.documentId ?? ''}`, `${valueLabel(item?.state ?? '?', 'vi')} — ${item?.documentId ?? ''}`), `(cd gui) ${r.line}`);

    // 8. receive
    r = await run(receiver, envX, ['receive', '--trust', pki.rootPem, '--no-default-trust', '--revocation', 'off']);
    const got = r.doc?.result?.documents?.[0];
    if (!got) throw new KysoError('DEMO_NOTHING_RECEIVED', 'internal', msg('demo: the receiver got no document', 'chạy thử: bên nhận không nhận được văn bản'));
    const att = got.attachments?.[0];
    step(
      { en: 'Receive, verify, acknowledge (status 01)', vi: 'Nhận, kiểm tra chữ ký, báo đã đến (trạng thái 01)' },
      msg(`${att?.name ?? '?'}: ${att?.verdict?.indication ?? '?'}; status ${got.statusCode}; ${path.relative(dir, got.dir)}`, `${att?.name ?? '?'}: ${att?.verdict?.indication ?? '?'}; trạng thái ${got.statusCode}; ${path.relative(dir, got.dir)}`),
      `(cd nhan) ${r.line}`,
    );

    // 9. status 03
    r = await run(receiver, envX, ['status', got.docId, '03', '--description', 'Đã vào sổ văn bản đến']);
    step({ en: 'Register the document (status 03)', vi: 'Vào sổ văn bản đến (trạng thái 03)' }, `${r.doc?.result?.statusCode ?? '?'} → ${r.doc?.result?.to ?? '?'}`, `(cd nhan) ${r.line}`);

    // 10. sender sees the statuses
    r = await run(sender, envX, ['receive']);
    const codes: string[] = (r.doc?.result?.statuses ?? []).map((s: any) => s.statusCode);
    step({ en: 'Sender receives the statuses', vi: 'Bên gửi nhận trạng thái xử lý' }, codes.join(' → ') || '(none)', `(cd gui) ${r.line}`);

    return {
      dir,
      kept: !opts.clean,
      hubUrl: hub.url,
      steps,
      files: {
        draft,
        approved,
        issued,
        received: att ? path.join(got.dir, att.file) : '',
        root: pki.rootPem,
        pkiReadme: path.join(dir, 'pki', 'README.txt'),
      },
    };
  } finally {
    await hub?.close();
    if (opts.clean) await rm(dir, { recursive: true, force: true });
  }
}
