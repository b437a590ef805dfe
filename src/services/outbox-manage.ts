import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { msg, usageError } from '../core/errors.js';
import type { OutboxItem } from '../outbox/outbox-store.js';
import type { OutboxState } from '../outbox/state-machine.js';
import { deliverAll, deliverItem, type DeliveryResult } from './outbox-deliver.js';
import type { ExchangeSession } from './outbox-session.js';

/** `kyso outbox list`: every item (optionally only some states), oldest first. */
export function listOutbox(s: ExchangeSession, opts: { states?: OutboxState[]; allProfiles?: boolean } = {}): OutboxItem[] {
  return s.store.list({ states: opts.states, profile: opts.allProfiles || !s.hasProfile ? undefined : s.profile.name });
}

/** An item by id or unique id prefix (like git). */
export function findOutboxItem(s: ExchangeSession, idOrPrefix: string): OutboxItem {
  const ids = s.store.findByPrefix(idOrPrefix);
  if (ids.length === 0) {
    throw usageError('OUTBOX_ITEM_UNKNOWN', msg(`no outbox item "${idOrPrefix}" in ${s.dataDir} (see kyso outbox list)`, `không có mục "${idOrPrefix}" trong hộp thư đi ${s.dataDir} (xem kyso outbox list)`));
  }
  if (ids.length > 1) {
    throw usageError('OUTBOX_ITEM_AMBIGUOUS', msg(`"${idOrPrefix}" matches ${ids.length} outbox items: give more characters`, `"${idOrPrefix}" khớp ${ids.length} mục trong hộp thư đi: hãy nhập thêm ký tự`));
  }
  return s.store.get(ids[0]!)!;
}

/**
 * `kyso outbox retry [<id>]`: delivers now, ignoring the back-off schedule (the clerk asked). Without an id:
 * every queued item, items left `sending` by a crashed run (reconciled first) and failed ones (e.g. after
 * the secret was fixed). Rejected items are final.
 */
export async function retryOutbox(s: ExchangeSession, id?: string): Promise<DeliveryResult[]> {
  await sweepOrphans(s);
  if (id) {
    const it = findOutboxItem(s, id);
    if (it.state === 'delivered' || it.state === 'rejected') {
      return [{ id: it.id, documentId: it.documentId, messageType: it.messageType, to: it.to, state: it.state, docId: it.docId, attempts: 0, reconciled: false }];
    }
    return deliverAll([it.id], s.deliverDeps, { explicit: true, requeryOnly: true });
  }
  const ids = s.store.list({ states: ['queued', 'sending', 'failed', 'unknown'] }).map((i) => i.id);
  return deliverAll(ids, s.deliverDeps, { explicit: true, requeryOnly: true });
}

/**
 * `kyso outbox resend <id> --not-delivered`: the clerk checked on the platform that the recipient does
 * not have the message (an `unknown` item, or a failed one): it is queued again and sent now.
 */
export async function resendOutbox(s: ExchangeSession, id: string, notDelivered: boolean): Promise<DeliveryResult> {
  const it = findOutboxItem(s, id);
  if (!notDelivered) {
    throw usageError('RESEND_CONFIRM', msg(
      `kyso outbox resend sends item ${it.id.slice(0, 8)} again: confirm with --not-delivered that you checked the recipient does not have it`,
      `kyso outbox resend gửi lại mục ${it.id.slice(0, 8)}: hãy xác nhận bằng --not-delivered rằng bạn đã kiểm tra bên nhận chưa có văn bản`,
    ));
  }
  if (it.state === 'delivered' || it.state === 'rejected' || it.state === 'sending') {
    throw usageError('RESEND_STATE', msg(`item ${it.id.slice(0, 8)} is ${it.state}: nothing to resend`, `mục ${it.id.slice(0, 8)} đang ở trạng thái ${it.state}: không có gì để gửi lại`));
  }
  s.store.markNotDelivered(it.id, s.deliverDeps.now());
  return deliverItem(it.id, s.deliverDeps, { explicit: true });
}

/**
 * Files a killed `kyso send` may leave in the outbox folder: a half-written temp file, or a complete edXML
 * whose row was never committed (killed between the fsync and the insert). Removed once older than
 * `minAgeMs`, so a send running right now is never disturbed. Returns the names removed.
 */
export async function sweepOrphans(s: ExchangeSession, minAgeMs = 10 * 60_000): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(s.outboxDir);
  } catch {
    return [];
  }
  const now = s.deliverDeps.now().getTime();
  const removed: string[] = [];
  for (const n of names) {
    const temp = (n.startsWith('.') && n.endsWith('.tmp')) || /\.tmp-[0-9a-f]{12}$/.test(n);
    const m = /^([0-9a-f-]{36})(\.status)?\.edxml$/.exec(n);
    if (!temp && !(m && !s.store.get(m[1]!))) continue;
    const p = path.join(s.outboxDir, n);
    try {
      if (now - (await stat(p)).mtimeMs < minAgeMs) continue;
      await rm(p, { force: true });
      removed.push(n);
    } catch {
      /* gone already */
    }
  }
  return removed;
}
