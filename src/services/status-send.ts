import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { msg, usageError } from '../core/errors.js';
import { buildStatus } from '../exchange/edxml-build.js';
import { formatEdxmlTimestamp } from '../exchange/edxml-format.js';
import { STATUS_CODES, type ResponseFor } from '../exchange/edxml-types.js';
import { writeFileDurable } from '../outbox/durable-file.js';
import { sha256Bytes } from '../outbox/durable-file.js';
import type { OutboxItem } from '../outbox/outbox-store.js';
import { deliverItem, type DeliveryResult } from './outbox-deliver.js';
import type { ExchangeSession } from './outbox-session.js';
import { answerDescription, recordAnswer, resolveChangeToAnswer, type ReceivedChange } from './received-changes.js';
import { organOf } from './send-meta.js';

export interface QueueStatusInput {
  /** organ id of the original sender (the status goes back to it) */
  to: string;
  responseFor: ResponseFor;
  statusCode: string;
  description: string;
  /** yyyy/MM/dd HH:mm:ss */
  timestamp: string;
  /** a 15/16: the docId of the received message it answers */
  answers?: string;
}

/**
 * Builds a status edXML and records it in the outbox (bytes fsynced, row committed) without sending:
 * status messages travel through the outbox like documents, so a status is never lost.
 */
export async function queueStatus(s: ExchangeSession, st: QueueStatusInput): Promise<OutboxItem> {
  const profile = s.profile;
  const bytes = buildStatus({
    from: organOf(profile.organId, profile.organ),
    responseFor: st.responseFor,
    statusCode: st.statusCode,
    description: st.description,
    timestamp: st.timestamp,
  });
  const id = randomUUID();
  await mkdir(s.outboxDir, { recursive: true, mode: 0o700 });
  const bytesPath = path.join(s.outboxDir, `${id}.status.edxml`);
  await writeFileDurable(bytesPath, bytes);
  try {
    s.store.insert(
      {
        id,
        profile: profile.name,
        messageType: 'status',
        documentId: st.responseFor.documentId,
        from: profile.organId,
        to: [st.to],
        bytesPath,
        sha256: sha256Bytes(bytes),
        size: bytes.length,
        subject: `${st.statusCode} ${STATUS_CODES[st.statusCode]?.vi ?? ''}`.trim(),
        files: [],
        statusCode: st.statusCode,
        answers: st.answers,
      },
      s.deliverDeps.now(),
    );
  } catch (e) {
    await rm(bytesPath, { force: true });
    throw e;
  }
  return s.store.get(id)!;
}

export interface StatusOptions {
  /** the exchange's docId of a received document */
  docId: string;
  code: string;
  description?: string;
}

export interface StatusResult {
  docId: string;
  documentId: string;
  to: string;
  statusCode: string;
  description: string;
  /** 15/16: the received change (or recall request) answered */
  answers?: ReceivedChange;
  item: DeliveryResult;
}

/** `kyso status <docId> <code>`: a business status (03, 04, 05, 06, 15, 16 …) for a received document; 13 for a sent one. */
export async function sendStatus(opts: StatusOptions, s: ExchangeSession): Promise<StatusResult> {
  const code = opts.code.padStart(2, '0');
  if (!/^\d{2}$/.test(code) || !STATUS_CODES[code]) {
    throw usageError('STATUS_CODE_INVALID', msg(
      `status code "${opts.code}" is not one of ${Object.keys(STATUS_CODES).join(', ')}`,
      `mã trạng thái "${opts.code}" không thuộc ${Object.keys(STATUS_CODES).join(', ')}`,
    ));
  }
  if (code === '13') return recallRequest(opts, s);
  if ((code === '02' || code === '16') && !opts.description) {
    throw usageError('STATUS_REASON_MISSING', msg(`status ${code} (refused) needs a reason: --description "<reason>"`, `trạng thái ${code} (từ chối) cần lý do: --description "<lý do>"`));
  }
  if (code === '15' || code === '16') return answerChange(opts, code, s);
  const found = s.store.findReceived(opts.docId, s.profile.name);
  const any = found.length ? found : s.store.findReceived(opts.docId);
  if (any.length > 1) {
    throw usageError('RECEIVED_AMBIGUOUS', msg(
      `docId "${opts.docId}" was received under several profiles (${any.map((r) => r.profile).join(', ')}): choose one with --profile`,
      `docId "${opts.docId}" được nhận theo nhiều hồ sơ (${any.map((r) => r.profile).join(', ')}): hãy chọn bằng --profile`,
    ));
  }
  const rec = any[0];
  if (!rec || !rec.info) {
    throw usageError('RECEIVED_UNKNOWN', msg(
      `no received document with docId "${opts.docId}" in ${s.dataDir} (run kyso receive first; see the docId in its output)`,
      `không có văn bản đến với docId "${opts.docId}" trong ${s.dataDir} (hãy chạy kyso receive trước; docId có trong kết quả của lệnh đó)`,
    ));
  }
  const info = rec.info as { responseFor: ResponseFor; from: string };
  const description = opts.description ?? STATUS_CODES[code]!.vi;
  const item = await queueStatus(s, {
    to: info.from,
    responseFor: info.responseFor,
    statusCode: code,
    description,
    timestamp: formatEdxmlTimestamp(s.deliverDeps.now()),
  });
  s.store.putReceived({ ...rec, statusCode: code, info: { ...rec.info, answered: code } });
  const delivered = await deliverItem(item.id, s.deliverDeps);
  return { docId: opts.docId, documentId: info.responseFor.documentId, to: info.from, statusCode: code, description, item: delivered };
}

/**
 * 15/16: the answer to one received revocation / update / replacement or recall request, resolved exactly
 * (src/services/received-changes.ts: unknown or ambiguous is refused); the outbox item records which
 * message it answers, and the received record the answer.
 */
async function answerChange(opts: StatusOptions, code: '15' | '16', s: ExchangeSession): Promise<StatusResult> {
  const { rec, change } = resolveChangeToAnswer(s, opts.docId.trim());
  const info = rec.info as { responseFor: ResponseFor; from: string };
  const description = answerDescription(change.kind, code, opts.description);
  const now = s.deliverDeps.now();
  const item = await queueStatus(s, { to: info.from, responseFor: info.responseFor, statusCode: code, description, timestamp: formatEdxmlTimestamp(now), answers: change.docId });
  recordAnswer(s, rec, change, { code, itemId: item.id, at: now.toISOString() });
  const delivered = await deliverItem(item.id, s.deliverDeps);
  return { docId: change.docId, documentId: info.responseFor.documentId, to: info.from, statusCode: code, description, answers: change, item: delivered };
}

/**
 * Status 13 (the sender asks for a document back): about a document WE sent, found in the outbox by its
 * DocumentId, item id or docId; one status per recipient (ResponseFor names the recipient, as the sample).
 */
async function recallRequest(opts: StatusOptions, s: ExchangeSession): Promise<StatusResult> {
  const items = s.store.findSent(opts.docId.trim());
  const docs = new Set(items.map((i) => i.documentId));
  if (items.length === 0 || docs.size > 1) {
    throw usageError('SENT_UNKNOWN', msg(
      `status 13 asks for a sent document back: "${opts.docId}" is ${items.length ? 'ambiguous' : 'not'} a sent document of ${s.dataDir} (give its DocumentId or outbox id)`,
      `trạng thái 13 yêu cầu lấy lại văn bản đã gửi: "${opts.docId}" ${items.length ? 'khớp nhiều văn bản' : 'không phải văn bản đã gửi'} trong ${s.dataDir} (nhập DocumentId hoặc mã mục)`,
    ));
  }
  const orig = items.find((i) => i.state === 'delivered') ?? items[0]!;
  const [, date = '', ...codeParts] = orig.documentId.split(',');
  const description = opts.description ?? 'Yêu cầu lấy lại văn bản điện tử';
  let last: DeliveryResult | undefined;
  for (const to of orig.to) {
    const item = await queueStatus(s, {
      to,
      responseFor: { organId: to, code: orig.code ?? codeParts.join(','), promulgationDate: date.replaceAll('/', '-'), documentId: orig.documentId },
      statusCode: '13',
      description,
      timestamp: formatEdxmlTimestamp(s.deliverDeps.now()),
    });
    const r = await deliverItem(item.id, s.deliverDeps);
    if (!last || r.state !== 'delivered') last = r;
  }
  return { docId: opts.docId, documentId: orig.documentId, to: orig.to.join(','), statusCode: '13', description, item: last! };
}
