import type Database from 'better-sqlite3';
import { openSqlite } from '../outbox/sqlite.js';
import { mkdirSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { sweepStaleTempsSync } from '../io/atomic-write.js';

/** A stored message file older than this with no row is a leftover of a hub killed between rename and insert. */
const ORPHAN_AGE_MS = 60_000;

/** SQLite storage of `kyso hub serve`: stored messages and per-organisation deliveries. */
export interface StoredDoc {
  doc_id: string;
  from_organ: string;
  message_type: 'edoc' | 'status';
  document_id: string;
  sha256: string;
  size: number;
  path: string;
  created_at: string;
  recipients: string;
  /** document messages: "number/notation" and subject, for the sent list */
  notation: string | null;
  title: string | null;
}

export interface Delivery {
  doc_id: string;
  to_organ: string;
  state: string;
  updated_at: string;
}

export class HubStore {
  readonly db: Database.Database;
  readonly docsDir: string;

  /**
   * Message files are written by the one atomic writer (src/io/atomic-write.ts): a temp file beside the
   * final name in docs/, published by rename only once complete, fsynced and accepted; a hub killed
   * mid-write leaves a temp file of ours, swept here at the next start (and the `tmp/` folder of older
   * versions removed).
   */
  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.docsDir = path.join(dataDir, 'docs');
    mkdirSync(this.docsDir, { recursive: true });
    sweepStaleTempsSync(this.docsDir);
    rmSync(path.join(dataDir, 'tmp'), { recursive: true, force: true });
    this.db = openSqlite(path.join(dataDir, 'hub.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS docs (
        doc_id TEXT PRIMARY KEY, from_organ TEXT NOT NULL, message_type TEXT NOT NULL, document_id TEXT NOT NULL,
        sha256 TEXT NOT NULL, size INTEGER NOT NULL, path TEXT NOT NULL, created_at TEXT NOT NULL, recipients TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS docs_dedup ON docs (from_organ, document_id, sha256, message_type);
      CREATE TABLE IF NOT EXISTS deliveries (
        doc_id TEXT NOT NULL, to_organ TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'new', updated_at TEXT NOT NULL,
        PRIMARY KEY (doc_id, to_organ));
      CREATE INDEX IF NOT EXISTS deliveries_inbox ON deliveries (to_organ, state);
    `);
    this.db
      .transaction(() => {
        const have = new Set((this.db.prepare('PRAGMA table_info(docs)').all() as { name: string }[]).map((c) => c.name));
        if (!have.has('notation')) this.db.exec('ALTER TABLE docs ADD COLUMN notation TEXT');
        if (!have.has('title')) this.db.exec('ALTER TABLE docs ADD COLUMN title TEXT');
      })
      .immediate();
    this.sweepOrphans();
  }

  /** Removes message files no row refers to (killed after the rename, before the insert): never visible anyway. */
  private sweepOrphans(): void {
    const known = new Set((this.db.prepare('SELECT path FROM docs').all() as { path: string }[]).map((r) => path.basename(r.path)));
    const now = Date.now();
    for (const name of readdirSync(this.docsDir)) {
      if (!name.endsWith('.edxml') || known.has(name)) continue;
      const file = path.join(this.docsDir, name);
      try {
        // another hub on the same folder may be between its rename and its insert right now
        if (now - statSync(file).mtimeMs > ORPHAN_AGE_MS) unlinkSync(file);
      } catch {
        /* gone already */
      }
    }
  }

  findDuplicate(from: string, documentId: string, sha256: string, messageType: string): string | undefined {
    const r = this.db
      .prepare('SELECT doc_id FROM docs WHERE from_organ = ? AND document_id = ? AND sha256 = ? AND message_type = ? ORDER BY created_at LIMIT 1')
      .get(from, documentId, sha256, messageType) as { doc_id: string } | undefined;
    return r?.doc_id;
  }

  insert(doc: StoredDoc, to: string[]): void {
    const tx = this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO docs (doc_id, from_organ, message_type, document_id, sha256, size, path, created_at, recipients, notation, title)
           VALUES (@doc_id, @from_organ, @message_type, @document_id, @sha256, @size, @path, @created_at, @recipients, @notation, @title)`,
        )
        .run(doc);
      const ins = this.db.prepare("INSERT OR IGNORE INTO deliveries VALUES (?, ?, 'new', ?)");
      for (const t of to) ins.run(doc.doc_id, t, doc.created_at);
    });
    tx();
  }

  get(docId: string): StoredDoc | undefined {
    return this.db.prepare('SELECT * FROM docs WHERE doc_id = ?').get(docId) as StoredDoc | undefined;
  }

  inbox(organ: string, messageType: string): (StoredDoc & Delivery)[] {
    return this.db
      .prepare(
        `SELECT d.*, v.to_organ, v.state, v.updated_at FROM deliveries v JOIN docs d ON d.doc_id = v.doc_id
         WHERE v.to_organ = ? AND v.state = 'new' AND d.message_type = ? ORDER BY d.created_at, d.rowid`,
      )
      .all(organ, messageType) as (StoredDoc & Delivery)[];
  }

  isRecipient(docId: string, organ: string): boolean {
    return this.db.prepare('SELECT 1 FROM deliveries WHERE doc_id = ? AND to_organ = ?').get(docId, organ) !== undefined;
  }

  setState(docId: string, organ: string, state: string, at: string): boolean {
    return this.db.prepare('UPDATE deliveries SET state = ?, updated_at = ? WHERE doc_id = ? AND to_organ = ?').run(state, at, docId, organ).changes > 0;
  }

  sent(organ: string): (StoredDoc & Delivery)[] {
    return this.db
      .prepare(
        `SELECT d.*, v.to_organ, v.state, v.updated_at FROM docs d LEFT JOIN deliveries v ON d.doc_id = v.doc_id
         WHERE d.from_organ = ? ORDER BY d.created_at, d.rowid`,
      )
      .all(organ) as (StoredDoc & Delivery)[];
  }

  acceptedByDocument(): { document_id: string; from_organ: string; message_type: string; n: number }[] {
    return this.db
      .prepare('SELECT document_id, from_organ, message_type, count(*) AS n FROM docs GROUP BY document_id, from_organ, message_type')
      .all() as { document_id: string; from_organ: string; message_type: string; n: number }[];
  }

  close(): void {
    this.db.close();
  }
}
