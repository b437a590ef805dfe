/**
 * A lock file for one kind of run in a data folder (e.g. `kyso receive`): created with O_EXCL, holding
 * the owner's pid, host name, start time and a random token. The owner touches it every HEARTBEAT_MS.
 *
 * A lock is stale, and is broken by the next run, when its owner is provably gone:
 * - same host and the pid is no longer running (kill -9, power cut), or
 * - its heartbeat stopped for STALE_MS (another host or container that went away: a pid of another
 *   host cannot be checked, and a container restart changes the host name).
 * Breaking happens under a short second lock (`<file>.break`, O_EXCL) so that two runs that both see the
 * stale lock do not remove each other's fresh one.
 *
 * The lock is removed on release, on process exit (also after SIGINT/SIGTERM/SIGHUP, which the CLI turns
 * into process.exit) and never removed when its token is not ours.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the run started */
  startedAt: string;
  token: string;
  /** what holds it, for the message ("kyso receive --profile hub") */
  command?: string;
}

export interface LockDeps {
  owner: { pid: number; host: string };
  isAlive: (pid: number) => boolean;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

export interface HeldLock {
  file: string;
  owner: LockOwner;
  /** previous lock broken to take this one (its owner was gone) */
  broke?: LockOwner | { unreadable: true };
  release(): Promise<void>;
}

export const HEARTBEAT_MS = 30_000;
export const STALE_MS = 5 * 60_000;
const BREAK_STALE_MS = 10_000;

const held = new Map<string, string>();
let exitHook = false;

function removeHeldSync(): void {
  for (const [file, token] of held) {
    try {
      const text = readFileSync(file, 'utf8');
      let mine = text.trim() === ''; // created by us, owner not written yet
      try {
        mine ||= (JSON.parse(text) as LockOwner).token === token;
      } catch {
        /* half-written: ours only when empty */
      }
      if (mine) unlinkSync(file);
    } catch {
      /* gone already */
    }
  }
  held.clear();
}

function trackHeld(file: string, token: string): void {
  held.set(file, token);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', removeHeldSync);
  }
}

async function readOwner(file: string): Promise<{ owner?: LockOwner; mtimeMs: number } | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    try {
      const o = JSON.parse(text) as LockOwner;
      if (typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.token === 'string') return { owner: o, mtimeMs: st.mtimeMs };
    } catch {
      /* half-written by a run killed between create and write */
    }
    return { mtimeMs: st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function isStale(cur: { owner?: LockOwner; mtimeMs: number }, deps: LockDeps): boolean {
  const age = deps.now().getTime() - cur.mtimeMs;
  if (!cur.owner) return age > BREAK_STALE_MS;
  if (cur.owner.host === deps.owner.host && cur.owner.pid !== deps.owner.pid && !deps.isAlive(cur.owner.pid)) return true;
  return age > STALE_MS;
}

async function createExclusive(file: string, owner: LockOwner, track = false): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  // ours from this moment: a signal while the owner is being written still removes it
  if (track) trackHeld(file, owner.token);
  try {
    await fh.writeFile(JSON.stringify(owner) + '\n');
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    held.delete(file);
    await unlink(file).catch(() => undefined);
    throw e;
  }
  await fh.close();
  return true;
}

/** Removes a stale lock under `<file>.break`; false when another run is breaking it right now. */
async function breakStale(file: string, seen: { owner?: LockOwner; mtimeMs: number }, deps: LockDeps): Promise<boolean> {
  const brk = `${file}.break`;
  const mine: LockOwner = { ...deps.owner, startedAt: deps.now().toISOString(), token: randomBytes(12).toString('hex') };
  if (!(await createExclusive(brk, mine))) {
    const b = await readOwner(brk);
    if (b && deps.now().getTime() - b.mtimeMs > BREAK_STALE_MS) await unlink(brk).catch(() => undefined);
    return false;
  }
  try {
    // still the same stale lock (not a fresh one another run took meanwhile)?
    const again = await readOwner(file);
    if (again && (again.owner?.token ?? null) === (seen.owner?.token ?? null) && isStale(again, deps)) await unlink(file).catch(() => undefined);
    return true;
  } finally {
    await unlink(brk).catch(() => undefined);
  }
}

export type LockAttempt = { ok: true; lock: HeldLock } | { ok: false; holder?: LockOwner };

/**
 * One attempt to take the lock (breaking a stale one). With `waitMs` (Infinity: no limit) it polls until
 * the lock is free or the time is up.
 */
export async function acquireLock(file: string, deps: LockDeps, opts: { command?: string; waitMs?: number; pollMs?: number } = {}): Promise<LockAttempt> {
  const owner: LockOwner = { ...deps.owner, startedAt: deps.now().toISOString(), token: randomBytes(12).toString('hex'), command: opts.command };
  const deadline = deps.now().getTime() + (opts.waitMs ?? 0);
  let broke: HeldLock['broke'];
  for (;;) {
    if (await createExclusive(file, owner, true)) break;
    const cur = await readOwner(file);
    if (!cur) continue; // released between our create and read: try again at once
    if (isStale(cur, deps)) {
      if (await breakStale(file, cur, deps)) broke = cur.owner ?? { unreadable: true };
      continue;
    }
    if (deps.now().getTime() >= deadline) return { ok: false, holder: cur.owner };
    await deps.sleep(Math.min(opts.pollMs ?? 250, Math.max(1, deadline - deps.now().getTime())));
  }
  const beat = setInterval(() => {
    const t = deps.now();
    utimes(file, t, t).catch(() => undefined);
  }, HEARTBEAT_MS);
  beat.unref();
  let released = false;
  return {
    ok: true,
    lock: {
      file,
      owner,
      broke,
      async release() {
        if (released) return;
        released = true;
        clearInterval(beat);
        held.delete(file);
        const cur = await readOwner(file).catch(() => undefined);
        if (cur?.owner?.token === owner.token) await unlink(file).catch(() => undefined);
      },
    },
  };
}
