import type Database from 'better-sqlite3';
import { openSqlite } from './sqlite.js';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { KysoError, msg } from '../core/errors.js';
import type { MessageType } from '../exchange/transport.js';
import type { AttemptOutcome, OutboxState } from './state-machine.js';

/**
 * The durable outbox (and the small inbox index next to it): SQLite through better-sqlite3 12, WAL,
 * synchronous FULL, so a committed row survives a crash or power loss. Several kyso processes may share
 * one data folder: writes are short transactions and a busy timeout waits for the other writer.
 */

export interface AttemptRecord {
  seq: number;
  startedAt: string;
  endedAt?: string;
  outcome: AttemptOutcome;
  httpStatus?: number;
  answer?: string;
  errorCode?: string;
  docId?: string;
}

export interface StatusEvent {
  /** exchange docId of the status message (unique: a status is recorded once) */
  sourceDocId: string;
  statusCode: string;
  description?: string;
  /** the time the status message carries */
  at?: string;
  from: string;
  receivedAt: string;
}

export interface OutboxItem {
  id: string;
  profile: string;
  messageType: MessageType;
  documentId: string;
  from: string;
  to: string[];
  bytesPath: string;
  sha256: string;
  size: number;
  state: OutboxState;
  uncertain: boolean;
  nextAttemptAt?: string;
  docId?: string;
  subject?: string;
  files: string[];
  /** for status messages: the status code carried */
  statusCode?: string;
  ownerPid?: number;
  ownerHost?: string;
  /** deterministic message identity (sender, DocumentId, recipients, business type): UNIQUE */
  identity?: string;
  /** hash of the document's metadata and files: the same identity with another hash is a changed document */
  metaHash?: string;
  /** "number/notation" of a document (reconciliation with the sent list's `notation`) */
  code?: string;
  /** BussinessDocType of a document: 0 new, 1 revoke, 2 update, 3 replace */
  businessType?: number;
  /** a status 15/16: the exchange docId of the received revocation/update/replacement (or recalled document) it answers */
  answers?: string;
  /** the lease of the process sending it: a random token and the time it runs out (heartbeat extends it) */
  leaseToken?: string;
  leaseUntil?: string;
  createdAt: string;
  updatedAt: string;
  /** messageVi: the same in Vietnamese (absent for items recorded by an older kyso) */
  lastError?: { code: string; message: string; messageVi?: string };
  attempts: AttemptRecord[];
  history: StatusEvent[];
}

export type NewItem = Pick<OutboxItem, 'id' | 'profile' | 'messageType' | 'documentId' | 'from' | 'to' | 'bytesPath' | 'sha256' | 'size' | 'subject' | 'files' | 'statusCode'> &
  Partial<Pick<OutboxItem, 'identity' | 'metaHash' | 'code' | 'businessType' | 'answers'>>;

export interface ReceivedRecord {
  docId: string;
  profile: string;
  messageType: MessageType;
  from: string;
  documentId?: string;
  dir?: string;
  /** stored | acked | failed-parse */
  state: string;
  verdict?: string;
  flagged: boolean;
  statusCode?: string;
  statusItemId?: string;
  acked: boolean;
  receivedAt: string;
  /** JSON the status command needs (responseFor fields) */
  info?: Record<string, unknown>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS items (
  id TEXT PRIMARY KEY, profile TEXT NOT NULL, message_type TEXT NOT NULL, document_id TEXT NOT NULL,
  from_organ TEXT NOT NULL, to_json TEXT NOT NULL, bytes_path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
  state TEXT NOT NULL, uncertain INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT, doc_id TEXT, subject TEXT,
  files_json TEXT NOT NULL DEFAULT '[]', status_code TEXT, owner_pid INTEGER, owner_host TEXT,
  last_error_code TEXT, last_error_message TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS items_document ON items(document_id);
CREATE TABLE IF NOT EXISTS attempts (
  item_id TEXT NOT NULL REFERENCES items(id), seq INTEGER NOT NULL, started_at TEXT NOT NULL, ended_at TEXT,
  outcome TEXT NOT NULL, http_status INTEGER, answer TEXT, error_code TEXT, doc_id TEXT, PRIMARY KEY (item_id, seq));
CREATE TABLE IF NOT EXISTS history (
  source_doc_id TEXT PRIMARY KEY, item_id TEXT, document_id TEXT NOT NULL, status_code TEXT NOT NULL, description TEXT,
  at TEXT, from_organ TEXT NOT NULL, received_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS history_item ON history(item_id);
CREATE TABLE IF NOT EXISTS received (
  doc_id TEXT NOT NULL, profile TEXT NOT NULL, message_type TEXT NOT NULL, from_organ TEXT NOT NULL, document_id TEXT,
  dir TEXT, state TEXT NOT NULL, verdict TEXT, flagged INTEGER NOT NULL DEFAULT 0, status_code TEXT, status_item_id TEXT,
  acked INTEGER NOT NULL DEFAULT 0, received_at TEXT NOT NULL, info_json TEXT, PRIMARY KEY (profile, doc_id));
`;

type Row = Record<string, unknown>;

export class OutboxStore {
  private readonly db: Database.Database;

  private constructor(db: Database.Database) {
    this.db = db;
  }

  /** Opens (and creates) `<dataDir>/kyso.db`. */
  static open(dataDir: string): OutboxStore {
    const file = path.join(dataDir, 'kyso.db');
    let db: Database.Database;
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      db = openSqlite(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 10000');
      db.pragma('foreign_keys = ON');
      // schema and in-place upgrade in one write transaction: two kyso processes opening a fresh or an
      // older database at the same moment must not both add a column
      const d = db;
      d.transaction(() => {
        d.exec(SCHEMA);
        const have = new Set((d.prepare('PRAGMA table_info(items)').all() as { name: string }[]).map((c) => c.name));
        for (const [col, type] of [['identity', 'TEXT'], ['meta_hash', 'TEXT'], ['code', 'TEXT'], ['business_type', 'INTEGER'], ['lease_token', 'TEXT'], ['lease_until', 'TEXT'], ['answers', 'TEXT'], ['last_error_message_vi', 'TEXT']]) {
          if (!have.has(col!)) d.exec(`ALTER TABLE items ADD COLUMN ${col} ${type}`);
        }
        d.exec('CREATE UNIQUE INDEX IF NOT EXISTS items_identity ON items(identity) WHERE identity IS NOT NULL');
      }).immediate();
    } catch (e) {
      if (e instanceof KysoError) throw e; // the SQLite module itself is missing: say so as it is
      throw new KysoError('OUTBOX_UNAVAILABLE', 'input', msg(`${file}: cannot open the outbox database (${(e as Error).message})`, `${file}: không mở được cơ sở dữ liệu hộp thư đi (${(e as Error).message})`), { cause: e });
    }
    return new OutboxStore(db);
  }

  close(): void {
    this.db.close();
  }

  insert(item: NewItem, now: Date): void {
    const t = now.toISOString();
    this.db
      .prepare(
        `INSERT INTO items (id, profile, message_type, document_id, from_organ, to_json, bytes_path, sha256, size, state, uncertain,
           next_attempt_at, subject, files_json, status_code, identity, meta_hash, code, business_type, answers, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        item.id, item.profile, item.messageType, item.documentId, item.from, JSON.stringify(item.to), item.bytesPath, item.sha256, item.size, t,
        item.subject ?? null, JSON.stringify(item.files), item.statusCode ?? null, item.identity ?? null, item.metaHash ?? null, item.code ?? null,
        item.businessType ?? null, item.answers ?? null, t, t,
      );
  }

  /**
   * Exactly once by construction: looks the identity up and inserts in ONE immediate transaction (the
   * UNIQUE index backs it), so two `kyso send` of one document end with one item. Returns the existing
   * item when there was one (nothing inserted).
   */
  insertOrGet(item: NewItem & { identity: string }, now: Date): { inserted: true; item: OutboxItem } | { inserted: false; item: OutboxItem } {
    return this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT id FROM items WHERE identity = ?').get(item.identity) as Row | undefined;
        if (row) return { inserted: false as const, item: this.get(String(row.id))! };
        this.insert(item, now);
        return { inserted: true as const, item: this.get(item.id)! };
      })
      .immediate();
  }

  findByIdentity(identity: string): OutboxItem | undefined {
    const row = this.db.prepare('SELECT id FROM items WHERE identity = ?').get(identity) as Row | undefined;
    return row ? this.get(String(row.id)) : undefined;
  }

  /** Items whose DocumentId is this one, or whose id starts with it, or whose exchange docId is it. */
  findSent(ref: string): OutboxItem[] {
    const rows = this.db
      .prepare("SELECT id FROM items WHERE message_type = 'edoc' AND (document_id = ? OR doc_id = ? OR id LIKE ? ESCAPE '\\') ORDER BY created_at")
      .all(ref, ref, ref.replace(/[%_\\]/g, '\\$&') + '%') as Row[];
    return rows.map((r) => this.get(String(r.id))!);
  }

  /** Exchange docIds already recorded for other items (a sent-list row with one of them is not ours). */
  knownDocIds(exceptId: string): Set<string> {
    const rows = this.db.prepare('SELECT doc_id FROM items WHERE doc_id IS NOT NULL AND id <> ?').all(exceptId) as Row[];
    return new Set(rows.map((r) => String(r.doc_id)));
  }

  /** Extends the lease of an attempt still running (false when another process took the item over). */
  heartbeat(id: string, token: string, until: Date): boolean {
    return this.db.prepare('UPDATE items SET lease_until = ? WHERE id = ? AND lease_token = ?').run(until.toISOString(), id, token).changes > 0;
  }

  /** `outbox resend --not-delivered`: the clerk checked that the server does not have it. */
  markNotDelivered(id: string, now: Date): boolean {
    return (
      this.db
        .prepare("UPDATE items SET state = 'queued', uncertain = 0, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state IN ('unknown', 'failed', 'queued')")
        .run(now.toISOString(), now.toISOString(), id).changes > 0
    );
  }

  get(id: string): OutboxItem | undefined {
    const row = this.db.prepare('SELECT * FROM items WHERE id = ?').get(id) as Row | undefined;
    return row ? this.hydrate(row) : undefined;
  }

  /** Ids starting with `prefix` (so `outbox show` accepts a short id, like git). */
  findByPrefix(prefix: string): string[] {
    const rows = this.db.prepare("SELECT id FROM items WHERE id LIKE ? ESCAPE '\\' ORDER BY created_at").all(prefix.replace(/[%_\\]/g, '\\$&') + '%') as Row[];
    return rows.map((r) => String(r.id));
  }

  list(filter: { states?: OutboxState[]; profile?: string } = {}): OutboxItem[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.states?.length) {
      where.push(`state IN (${filter.states.map(() => '?').join(',')})`);
      args.push(...filter.states);
    }
    if (filter.profile) {
      where.push('profile = ?');
      args.push(filter.profile);
    }
    const rows = this.db.prepare(`SELECT * FROM items ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at, rowid`).all(...args) as Row[];
    return rows.map((r) => this.hydrate(r));
  }

  /**
   * Claims the item for one attempt: state → sending, owner = this process, a `pending` attempt row.
   * Committed (fsynced) before the caller touches the network. Returns the attempt number, or
   * undefined when the item is not claimable (final, or being sent by another live process).
   */
  beginAttempt(
    id: string,
    owner: { pid: number; host: string },
    now: Date,
    canClaim: (item: OutboxItem) => boolean,
    lease: { token: string; ms: number } = { token: '', ms: 60_000 },
  ): { seq: number; item: OutboxItem; wasSending: boolean } | undefined {
    return this.db
      .transaction(() => {
        const item = this.get(id);
        if (!item || !canClaim(item)) return undefined;
        const wasSending = item.state === 'sending';
        const seq = (item.attempts.at(-1)?.seq ?? 0) + 1;
        const t = now.toISOString();
        // an attempt left pending by a crashed owner is closed as interrupted
        this.db.prepare("UPDATE attempts SET outcome = 'interrupted', ended_at = ? WHERE item_id = ? AND outcome = 'pending'").run(t, id);
        this.db
          .prepare("UPDATE items SET state = 'sending', uncertain = ?, owner_pid = ?, owner_host = ?, lease_token = ?, lease_until = ?, updated_at = ? WHERE id = ?")
          .run(item.uncertain || wasSending ? 1 : 0, owner.pid, owner.host, lease.token || null, new Date(now.getTime() + lease.ms).toISOString(), t, id);
        this.db.prepare("INSERT INTO attempts (item_id, seq, started_at, outcome) VALUES (?, ?, ?, 'pending')").run(id, seq, t);
        return { seq, item: this.get(id)!, wasSending };
      })
      .immediate();
  }

  /** Records how an attempt ended and the item's new state, in one transaction. */
  finishAttempt(
    id: string,
    seq: number,
    now: Date,
    r: {
      outcome: AttemptOutcome;
      state: OutboxState;
      uncertain: boolean;
      nextAttemptAt?: Date;
      docId?: string;
      httpStatus?: number;
      answer?: string;
      errorCode?: string;
      errorMessage?: string;
      errorMessageVi?: string;
    },
  ): void {
    const t = now.toISOString();
    this.db
      .transaction(() => {
        this.db
          .prepare('UPDATE attempts SET ended_at = ?, outcome = ?, http_status = ?, answer = ?, error_code = ?, doc_id = ? WHERE item_id = ? AND seq = ?')
          .run(t, r.outcome, r.httpStatus ?? null, r.answer?.slice(0, 4000) ?? null, r.errorCode ?? null, r.docId ?? null, id, seq);
        this.db
          .prepare(
            `UPDATE items SET state = ?, uncertain = ?, next_attempt_at = ?, doc_id = COALESCE(?, doc_id), owner_pid = NULL, owner_host = NULL, lease_token = NULL, lease_until = NULL,
               last_error_code = ?, last_error_message = ?, last_error_message_vi = ?, updated_at = ? WHERE id = ?`,
          )
          .run(r.state, r.uncertain ? 1 : 0, r.nextAttemptAt?.toISOString() ?? null, r.docId ?? null, r.errorCode ?? null, r.errorMessage ?? null, r.errorMessageVi ?? null, t, id);
      })
      .immediate();
  }

  /** A failed item goes back to the queue on an explicit `outbox retry`. */
  requeue(id: string, now: Date): void {
    this.db.prepare("UPDATE items SET state = 'queued', next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'failed'").run(now.toISOString(), now.toISOString(), id);
  }

  /**
   * Adds a business status received from the other side; false when already recorded. One DocumentId may
   * go out several times (to other recipients; as the document, then an update or a revocation of it, and
   * a status 13 asking it back), so the status is attached to the message it answers:
   * - 15/16 answer a change: ResponseFor carries only the DocumentId, which an update and a revocation share
   *   with the document, so the kind named in the Description ("… lệnh thu hồi", "… cập nhật", "… thay thế",
   *   "… lấy lại": kyso writes it, the platforms' own texts do) picks among the revocation/update/replacement
   *   and status 13 items sent to that organisation for this DocumentId; among those, the oldest with no
   *   15/16 yet, else the newest;
   * - any other code is about the document itself: the item that is not a change, sent to that organisation.
   * Either way, when nothing fits, the item sent to that organisation, delivered first, newest first.
   */
  addStatusEvent(documentId: string, ev: StatusEvent): { added: boolean; itemId?: string } {
    return this.db
      .transaction(() => {
        const to = JSON.stringify(ev.from);
        let item: Row | undefined;
        if (ev.statusCode === '15' || ev.statusCode === '16') {
          const changes = this.db
            .prepare(
              `SELECT id, CASE WHEN message_type = 'status' THEN 13 ELSE business_type END AS kind,
                 EXISTS (SELECT 1 FROM history h WHERE h.item_id = items.id AND h.status_code IN ('15', '16')) AS answered FROM items
               WHERE document_id = ? AND instr(to_json, ?) > 0 AND state <> 'rejected'
                 AND ((message_type = 'edoc' AND business_type IN (1, 2, 3)) OR (message_type = 'status' AND status_code = '13'))
               ORDER BY created_at, rowid`,
            )
            .all(documentId, to) as Row[];
          const kind = changeKindOf(ev.description);
          const fit = kind === undefined ? changes : changes.filter((c) => Number(c.kind) === kind);
          const pool = fit.length ? fit : changes;
          item = pool.find((c) => Number(c.answered) === 0) ?? pool.at(-1);
        } else {
          item = this.db
            .prepare(
              "SELECT id FROM items WHERE document_id = ? AND message_type = 'edoc' AND instr(to_json, ?) > 0 AND COALESCE(business_type, 0) = 0 ORDER BY (state = 'delivered') DESC, created_at DESC LIMIT 1",
            )
            .get(documentId, to) as Row | undefined;
        }
        item ??= this.db
          .prepare(
            "SELECT id FROM items WHERE document_id = ? AND message_type = 'edoc' ORDER BY (instr(to_json, ?) > 0) DESC, (state = 'delivered') DESC, created_at DESC LIMIT 1",
          )
          .get(documentId, to) as Row | undefined;
        const res = this.db
          .prepare('INSERT OR IGNORE INTO history (source_doc_id, item_id, document_id, status_code, description, at, from_organ, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(ev.sourceDocId, item ? String(item.id) : null, documentId, ev.statusCode, ev.description ?? null, ev.at ?? null, ev.from, ev.receivedAt);
        return { added: res.changes > 0, itemId: item ? String(item.id) : undefined };
      })
      .immediate();
  }

  getReceived(profile: string, docId: string): ReceivedRecord | undefined {
    const row = this.db.prepare('SELECT * FROM received WHERE profile = ? AND doc_id = ?').get(profile, docId) as Row | undefined;
    return row ? hydrateReceived(row) : undefined;
  }

  /** Any profile: `kyso status <docId>` looks a received document up by the exchange's docId. */
  findReceived(docId: string, profile?: string): ReceivedRecord[] {
    const rows = (profile
      ? this.db.prepare("SELECT * FROM received WHERE doc_id = ? AND profile = ? AND message_type = 'edoc'").all(docId, profile)
      : this.db.prepare("SELECT * FROM received WHERE doc_id = ? AND message_type = 'edoc'").all(docId)) as Row[];
    return rows.map(hydrateReceived);
  }

  /** Received documents (any sender) with this DocumentId, in this profile. */
  findReceivedDocs(profile: string, documentId: string): ReceivedRecord[] {
    const rows = this.db.prepare("SELECT * FROM received WHERE profile = ? AND document_id = ? AND message_type = 'edoc' ORDER BY received_at").all(profile, documentId) as Row[];
    return rows.map(hydrateReceived);
  }

  /** Received revocations/updates/replacements and documents their sender asked back (status 13), oldest first. */
  listReceivedChanges(profile?: string): ReceivedRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM received WHERE message_type = 'edoc' AND info_json IS NOT NULL
           AND (json_extract(info_json, '$.business') IS NOT NULL OR json_extract(info_json, '$.recall') IS NOT NULL)
           ${profile ? 'AND profile = ?' : ''} ORDER BY received_at, rowid`,
      )
      .all(...(profile ? [profile] : [])) as Row[];
    return rows.map(hydrateReceived);
  }

  /** Received documents of one sender with this DocumentId (duplicates arrive under new docIds). */
  findReceivedByDocumentId(profile: string, from: string, documentId: string): ReceivedRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM received WHERE profile = ? AND from_organ = ? AND document_id = ? AND message_type = 'edoc' ORDER BY received_at")
      .all(profile, from, documentId) as Row[];
    return rows.map(hydrateReceived);
  }

  putReceived(r: ReceivedRecord): void {
    this.db
      .prepare(
        `INSERT INTO received (doc_id, profile, message_type, from_organ, document_id, dir, state, verdict, flagged, status_code, status_item_id, acked, received_at, info_json)
         VALUES (@docId, @profile, @messageType, @from, @documentId, @dir, @state, @verdict, @flagged, @statusCode, @statusItemId, @acked, @receivedAt, @info)
         ON CONFLICT (profile, doc_id) DO UPDATE SET from_organ = excluded.from_organ, document_id = excluded.document_id, dir = excluded.dir,
           state = excluded.state, verdict = excluded.verdict, flagged = excluded.flagged, status_code = excluded.status_code,
           status_item_id = excluded.status_item_id, acked = excluded.acked, info_json = excluded.info_json`,
      )
      .run({
        docId: r.docId,
        profile: r.profile,
        messageType: r.messageType,
        from: r.from,
        documentId: r.documentId ?? null,
        dir: r.dir ?? null,
        state: r.state,
        verdict: r.verdict ?? null,
        flagged: r.flagged ? 1 : 0,
        statusCode: r.statusCode ?? null,
        statusItemId: r.statusItemId ?? null,
        acked: r.acked ? 1 : 0,
        receivedAt: r.receivedAt,
        info: r.info ? JSON.stringify(r.info) : null,
      });
  }

  private hydrate(row: Row): OutboxItem {
    const id = String(row.id);
    const attempts = (this.db.prepare('SELECT * FROM attempts WHERE item_id = ? ORDER BY seq').all(id) as Row[]).map(
      (a): AttemptRecord => ({
        seq: Number(a.seq),
        startedAt: String(a.started_at),
        endedAt: opt(a.ended_at),
        outcome: String(a.outcome) as AttemptOutcome,
        httpStatus: a.http_status == null ? undefined : Number(a.http_status),
        answer: opt(a.answer),
        errorCode: opt(a.error_code),
        docId: opt(a.doc_id),
      }),
    );
    const history = (this.db.prepare('SELECT * FROM history WHERE item_id = ? ORDER BY received_at, rowid').all(id) as Row[]).map(
      (h): StatusEvent => ({
        sourceDocId: String(h.source_doc_id),
        statusCode: String(h.status_code),
        description: opt(h.description),
        at: opt(h.at),
        from: String(h.from_organ),
        receivedAt: String(h.received_at),
      }),
    );
    return {
      id,
      profile: String(row.profile),
      messageType: String(row.message_type) as MessageType,
      documentId: String(row.document_id),
      from: String(row.from_organ),
      to: JSON.parse(String(row.to_json)) as string[],
      bytesPath: String(row.bytes_path),
      sha256: String(row.sha256),
      size: Number(row.size),
      state: String(row.state) as OutboxState,
      uncertain: Number(row.uncertain) === 1,
      nextAttemptAt: opt(row.next_attempt_at),
      docId: opt(row.doc_id),
      subject: opt(row.subject),
      files: JSON.parse(String(row.files_json)) as string[],
      statusCode: opt(row.status_code),
      ownerPid: row.owner_pid == null ? undefined : Number(row.owner_pid),
      ownerHost: opt(row.owner_host),
      identity: opt(row.identity),
      metaHash: opt(row.meta_hash),
      code: opt(row.code),
      businessType: row.business_type == null ? undefined : Number(row.business_type),
      answers: opt(row.answers),
      leaseToken: opt(row.lease_token),
      leaseUntil: opt(row.lease_until),
      createdAt: String(row.created_at),
      updatedAt: String(row.updated_at),
      lastError: row.last_error_code
        ? { code: String(row.last_error_code), message: String(row.last_error_message ?? ''), ...(row.last_error_message_vi ? { messageVi: String(row.last_error_message_vi) } : {}) }
        : undefined,
      attempts,
      history,
    };
  }
}

/** The change a 15/16 names in its Description: 1 revoke, 2 update, 3 replace, 13 recall; undefined when none or several. */
export function changeKindOf(description: string | undefined): number | undefined {
  const d = (description ?? '').normalize('NFC').toLowerCase();
  const kinds = [
    [1, 'thu hồi'],
    [2, 'cập nhật'],
    [3, 'thay thế'],
    [13, 'lấy lại'],
  ].filter(([, w]) => d.includes(w as string));
  return kinds.length === 1 ? (kinds[0]![0] as number) : undefined;
}

function opt(v: unknown): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

function hydrateReceived(row: Row): ReceivedRecord {
  return {
    docId: String(row.doc_id),
    profile: String(row.profile),
    messageType: String(row.message_type) as MessageType,
    from: String(row.from_organ),
    documentId: opt(row.document_id),
    dir: opt(row.dir),
    state: String(row.state),
    verdict: opt(row.verdict),
    flagged: Number(row.flagged) === 1,
    statusCode: opt(row.status_code),
    statusItemId: opt(row.status_item_id),
    acked: Number(row.acked) === 1,
    receivedAt: String(row.received_at),
    info: row.info_json ? (JSON.parse(String(row.info_json)) as Record<string, unknown>) : undefined,
  };
}
