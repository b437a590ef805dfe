import { msg, usageError } from '../core/errors.js';
import type { OutboxItem } from '../outbox/outbox-store.js';
import type { OutboxState } from '../outbox/state-machine.js';
import { deliverAll, type DeliveryResult } from './outbox-deliver.js';
import type { ExchangeSession } from './outbox-session.js';

/** `kyso outbox list`: every item (optionally only some states), oldest first. */
export function listOutbox(s: ExchangeSession, opts: { states?: OutboxState[]; allProfiles?: boolean } = {}): OutboxItem[] {
  return s.store.list({ states: opts.states, profile: opts.allProfiles ? undefined : s.profile.name });
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
  if (id) {
    const it = findOutboxItem(s, id);
    if (it.state === 'delivered' || it.state === 'rejected') {
      return [{ id: it.id, documentId: it.documentId, messageType: it.messageType, to: it.to, state: it.state, docId: it.docId, attempts: 0, reconciled: false }];
    }
    return deliverAll([it.id], s.deliverDeps, { explicit: true });
  }
  const ids = s.store.list({ states: ['queued', 'sending', 'failed'] }).map((i) => i.id);
  return deliverAll(ids, s.deliverDeps, { explicit: true });
}
