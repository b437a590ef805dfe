import { readdir, readFile, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isKysoError, msg, type Msg } from '../core/errors.js';
import { writeBytesAtomic } from '../io/atomic-write.js';

/**
 * Quarantine for received messages whose CONTENT is hostile or broken beyond our caps (issue 12).
 *
 * A message that breaks a cap (a zip bomb, an oversized answer) or whose processing did not finish three
 * times (verification timed out, or the run died on it) is moved out of the way: `<dataDir>/quarantine/
 * <docId>/reason.json` (+ the raw message when we have it), acknowledged so that the inbox moves on, and
 * listed in `kyso receive` output. Local faults (disk full, permissions) are never quarantined: they are
 * not the sender's doing and the exchange retries them.
 *
 * Attempts are counted in `<dataDir>/quarantine/attempts.json` before a message is processed and cleared
 * when it is done, so a crash (OOM, kill) in the middle counts too.
 */

export const MAX_ATTEMPTS = 3;

/** Error codes that prove the content itself is at fault (never local faults). */
export const CONTENT_FAULT_CODES = new Set(['ZIP_CAP_EXCEEDED', 'RESPONSE_TOO_LARGE', 'VERIFY_TIMEOUT', 'PDF_TOO_LARGE', 'EDXML_TOO_LARGE', 'INFLATE_TOO_LARGE']);

export function isContentFault(e: unknown): boolean {
  return isKysoError(e) && e.category === 'input' && CONTENT_FAULT_CODES.has(e.code);
}

export interface QuarantineEntry {
  docId: string;
  from?: string;
  profile: string;
  code: string;
  reason: Msg;
  attempts: number;
  at: string;
  /** the raw message file inside the quarantine folder, when it could be kept */
  message?: string;
}

export class Quarantine {
  readonly dir: string;
  private readonly attemptsFile: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'quarantine');
    this.attemptsFile = path.join(this.dir, 'attempts.json');
  }

  private async readAttempts(): Promise<Record<string, number>> {
    try {
      const v = JSON.parse(await readFile(this.attemptsFile, 'utf8')) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, number>) : {};
    } catch {
      return {};
    }
  }

  private key(profile: string, docId: string): string {
    return `${profile}\u0000${docId}`;
  }

  /** Records one more attempt at a message (before processing it); returns the count including this one. */
  async begin(profile: string, docId: string): Promise<number> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const a = await this.readAttempts();
    const k = this.key(profile, docId);
    a[k] = (a[k] ?? 0) + 1;
    await writeBytesAtomic(this.attemptsFile, JSON.stringify(a));
    return a[k]!;
  }

  /** The message was processed (stored, or failed for a local reason): forget its attempts. */
  async done(profile: string, docId: string): Promise<void> {
    const a = await this.readAttempts();
    const k = this.key(profile, docId);
    if (!(k in a)) return;
    delete a[k];
    await writeBytesAtomic(this.attemptsFile, JSON.stringify(a));
  }

  /** Attempts so far (0 when none). */
  async attempts(profile: string, docId: string): Promise<number> {
    return (await this.readAttempts())[this.key(profile, docId)] ?? 0;
  }

  /** The folder of one quarantined message. */
  folderOf(docId: string): string {
    return path.join(this.dir, docId.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^\.+/, '_').slice(0, 120) || '_');
  }

  /** Puts a message in quarantine: reason.json and, when given, the raw message file (moved). */
  async put(entry: Omit<QuarantineEntry, 'at' | 'message'> & { at: Date }, messageFile?: string): Promise<QuarantineEntry> {
    const folder = this.folderOf(entry.docId);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const out: QuarantineEntry = { ...entry, at: entry.at.toISOString() };
    if (messageFile) {
      try {
        await rename(messageFile, path.join(folder, 'message.edxml'));
        out.message = path.join(folder, 'message.edxml');
      } catch {
        /* kept nowhere: the reason is what matters */
      }
    }
    await writeBytesAtomic(path.join(folder, 'reason.json'), JSON.stringify(out, null, 2) + '\n');
    await this.done(entry.profile, entry.docId);
    return out;
  }

  /** Every quarantined message (for `kyso receive` output). */
  async list(): Promise<QuarantineEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: QuarantineEntry[] = [];
    for (const n of names) {
      try {
        out.push(JSON.parse(await readFile(path.join(this.dir, n, 'reason.json'), 'utf8')) as QuarantineEntry);
      } catch {
        /* not a quarantine folder */
      }
    }
    return out.sort((a, b) => a.at.localeCompare(b.at));
  }

  async remove(docId: string): Promise<void> {
    await rm(this.folderOf(docId), { recursive: true, force: true });
  }
}

/** The message shown for a message quarantined after repeated unfinished attempts. */
export function repeatedFailure(attempts: number, last?: Msg): Msg {
  return msg(
    `processing did not finish ${attempts} times${last ? ` (last: ${last.en})` : ''}; quarantined`,
    `xử lý không hoàn tất ${attempts} lần${last ? ` (lần cuối: ${last.vi})` : ''}; đã cách ly`,
  );
}
