import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { App } from '../cli/app.js';
import { tr } from '../cli/i18n.js';
import { msg, usageError } from '../core/errors.js';
import { parseMetaJson, type DocumentMeta } from '../services/send-meta.js';
import { sendDocument } from '../services/send-document.js';
import { addExchangeFlags, deliveryExitCode, renderDelivery, withSession, type ExchangeFlags } from './outbox.js';

interface SendFlags extends ExchangeFlags {
  to?: string[];
  meta?: string;
  code?: string;
  subject?: string;
  type?: string;
  content?: string;
  signerName?: string;
  signerPosition?: string;
  signerCompetence?: string;
  priority?: string;
  dueDate?: string;
  promulgationPlace?: string;
  promulgationDate?: string;
  toPlace?: string[];
  revoke?: string;
  updateOf?: string;
  replace?: string;
  reason?: string;
  sphere?: string;
  typerNotation?: string;
  promulgationAmount?: string;
  appendix?: string[];
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command, app: App): void {
  const ctx = app.ctx;
  const vi = ctx.lang === 'vi';
  addExchangeFlags(
    program
      .command('send')
      .description(vi ? 'Gửi văn bản đã ký qua trục liên thông (qua hộp thư đi bền vững)' : 'Send signed PDFs over the exchange (through the durable outbox)')
      .argument('[signed.pdf...]', vi ? 'văn bản chính trước, sau đó các tệp đính kèm (gửi chung một gói edXML)' : 'the main document first, then its attachments (one edXML message)')
      .option(
        '--to <organId>',
        vi
          ? 'mã định danh cơ quan nhận, nhiều mã cách nhau bằng dấu phẩy hoặc lặp lại tùy chọn (với --revoke/--update-of/--replace mặc định là nơi nhận của văn bản gốc)'
          : "receiving organ id(s), comma-separated or repeated (default for --revoke/--update-of/--replace: the original's)",
        collect,
      )
      .option('--revoke <docRef>', vi ? 'thu hồi một văn bản đã gửi: mã văn bản (DocumentId), mã mục trong hộp thư đi hoặc docId' : 'revoke (thu hồi) a sent document: its DocumentId, outbox id or docId')
      .option('--update-of <docRef>', vi ? 'gửi bản cập nhật của một văn bản đã gửi: sửa thông tin văn bản và/hoặc tệp PDF' : 'send an update (cập nhật) of a sent document: corrected metadata and/or PDF')
      .option('--replace <docRef>', vi ? 'gửi văn bản mới (có --code riêng) thay thế một văn bản đã gửi' : 'send a new document (own --code) replacing (thay thế) a sent one')
      .option('--reason <text>', vi ? 'lý do thu hồi/cập nhật/thay thế' : 'BussinessDocReason of a revoke/update/replace')
      .option('--meta <file.json>', vi ? 'thông tin văn bản dạng JSON (cùng tên với các tùy chọn, viết kiểu "camelCase"); giá trị nhập ở tùy chọn được ưu tiên' : 'document metadata as JSON (same names as the flags, camelCase); flags win')
      .option('--code <number/notation>', vi ? 'số và ký hiệu, ví dụ "123/UBND-VP"' : 'số và ký hiệu, e.g. 123/UBND-VP')
      .option('--subject <text>', 'trích yếu')
      .option('--type <name|code>', vi ? 'tên loại văn bản (ví dụ "Công văn") hoặc mã loại' : 'document type name (e.g. "Công văn") or Type code')
      .option('--content <text>', vi ? 'tóm tắt nội dung' : 'content summary')
      .option('--signer-name <name>', vi ? 'họ và tên người ký' : 'full name of the signer')
      .option('--signer-position <position>', vi ? 'chức vụ người ký, ví dụ "Chủ tịch"' : 'position of the signer, e.g. "Chủ tịch"')
      .option('--signer-competence <TM.|KT.|TL.|TUQ.|Q.>', vi ? 'thẩm quyền ký (TM., KT., TL., TUQ., Q.)' : 'authority prefix')
      .option('--priority <n>', vi ? 'độ khẩn: 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc' : 'OtherInfo/Priority: 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc')
      .option('--due-date <YYYY-MM-DD>', 'hạn xử lý')
      .option('--promulgation-place <place>', vi ? 'nơi ban hành (mặc định: "organ.place" của hồ sơ)' : "nơi ban hành (default: the profile's organ.place)")
      .option('--promulgation-date <YYYY-MM-DD>', vi ? 'ngày ban hành (mặc định: hôm nay, giờ Việt Nam)' : 'ngày ban hành (default: today in Vietnam)')
      .option('--to-place <text>', vi ? 'một dòng "Nơi nhận" (lặp lại được)' : 'nơi nhận line (repeatable)', collect)
      .option('--sphere <text>', vi ? 'phạm vi ban hành' : 'OtherInfo/SphereOfPromulgation (phạm vi ban hành)')
      .option('--typer-notation <initials>', vi ? 'ký hiệu người đánh máy (chữ viết tắt tên)' : 'OtherInfo/TyperNotation (ký hiệu người đánh máy)')
      .option('--promulgation-amount <n>', vi ? 'số bản phát hành' : 'OtherInfo/PromulgationAmount (số bản phát hành)')
      .option('--appendix <text>', vi ? 'tên một phụ lục (lặp lại được)' : 'OtherInfo/Appendixes/Appendix (repeatable)', collect)
      .addHelpText(
        'after',
        vi
          ? '\nVí dụ:\n  kyso send cong-van-123.signed.pdf --to 000.00.00.H41 --code 123/UBND-VP --subject "V/v kế hoạch năm 2027" \\\n    --signer-name "Nguyễn Văn A" --signer-position "Chủ tịch"\n  kyso send --revoke "000.00.00.A01,2026/12/06,123/UBND-VP" --reason "Ban hành nhầm"\n  kyso send cong-van-123-sua.pdf --update-of "000.00.00.A01,2026/12/06,123/UBND-VP" --subject "V/v kế hoạch năm 2027 (sửa)"\nMã thoát: 0 đã gửi, 6 đang chờ gửi lại hoặc chưa rõ đã gửi hay chưa (kyso outbox retry), 7 bị từ chối, 4 lỗi thông tin xác thực, 5 lỗi dữ liệu đầu vào, 2 bị từ chối vì không đúng quy tắc của trục liên thông.'
          : '\nExample:\n  kyso send cv-123.signed.pdf --to 000.00.00.H41 --code 123/UBND-VP --subject "V/v kế hoạch năm 2027" \\\n    --signer-name "Nguyễn Văn A" --signer-position "Chủ tịch"\n  kyso send --revoke "000.00.00.A01,2026/12/06,123/UBND-VP" --reason "Ban hành nhầm"\n  kyso send cv-123-sua.pdf --update-of "000.00.00.A01,2026/12/06,123/UBND-VP" --subject "V/v kế hoạch năm 2027 (sửa)"\nExit: 0 delivered, 6 queued for retry or delivery unknown (kyso outbox retry), 7 rejected, 4 credentials, 5 input, 2 refused by the platform rules.',
      ),
    ctx.lang,
  ).action(async (files: string[], o: SendFlags) => {
    await app.run(
      Boolean(o.json),
      async () => {
        let meta: DocumentMeta = {};
        if (o.meta) {
          let text: string;
          try {
            text = readFileSync(path.resolve(ctx.cwd, o.meta), 'utf8');
          } catch {
            throw usageError('META_UNREADABLE', msg(`${o.meta}: cannot read the metadata file`, `${o.meta}: không đọc được tệp siêu dữ liệu`));
          }
          meta = parseMetaJson(o.meta, text);
        }
        const flags: DocumentMeta = {
          code: o.code,
          subject: o.subject,
          type: o.type,
          content: o.content,
          signerName: o.signerName,
          signerPosition: o.signerPosition,
          signerCompetence: o.signerCompetence,
          priority: o.priority,
          dueDate: o.dueDate,
          promulgationPlace: o.promulgationPlace,
          promulgationDate: o.promulgationDate,
          toPlaces: o.toPlace,
          sphereOfPromulgation: o.sphere,
          typerNotation: o.typerNotation,
          promulgationAmount: o.promulgationAmount,
          appendixes: o.appendix,
        };
        const kinds = [o.revoke && 'revoke', o.updateOf && 'update', o.replace && 'replace'].filter(Boolean) as ('revoke' | 'update' | 'replace')[];
        if (kinds.length > 1) throw usageError('BUSINESS_CONFLICT', msg('give only one of --revoke, --update-of, --replace', 'chỉ chọn một trong --revoke, --update-of, --replace'));
        const business = kinds[0] ? { kind: kinds[0], ref: (o.revoke ?? o.updateOf ?? o.replace)!, reason: o.reason } : undefined;
        if (!business && !(o.to?.length)) throw usageError('RECIPIENT_MISSING', msg('missing --to: give the receiving organ id(s), e.g. --to 000.00.00.H41', 'thiếu --to: hãy nhập mã định danh cơ quan nhận, ví dụ --to 000.00.00.H41'));
        for (const [k, v] of Object.entries(flags)) if (v !== undefined) (meta as Record<string, unknown>)[k] = v;
        return withSession(ctx, o, async (s) => {
          const r = await sendDocument({ files: files.map((f) => path.resolve(ctx.cwd, f)), to: o.to ?? [], meta, metaSource: o.meta, business }, s);
          return { exitCode: deliveryExitCode(r.item), result: r };
        });
      },
      (r) => {
        if (r.resumed) ctx.stderr.write(`kyso: ${tr(ctx.lang, msg('this document was already in the outbox: resumed that item, nothing new queued', 'văn bản này đã có trong hộp thư đi: tiếp tục mục đó, không tạo mục mới'))}\n`);
        renderDelivery(ctx, r.item);
      },
    );
  });
}
