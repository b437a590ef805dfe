import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeAttachment } from '../../src/exchange/edxml-attachment.js';
import { buildEdoc, buildStatus } from '../../src/exchange/edxml-build.js';
import { parseEdxmlBytes, type ParsedEdoc } from '../../src/exchange/edxml-parse.js';
import { strictRuleViolations } from '../../src/exchange/edxml-rules.js';
import type { EdocMessage, StatusMessage } from '../../src/exchange/edxml-types.js';

/**
 * Our own fixtures with the elements of each public sample (QCVN 102 / the axis SDK's examples; see
 * ../shared/spec/edxml-samples/README.md): new, update, revocation, replacement, statuses 01–06, 13, 15,
 * 16. Field by field: what kyso parses from each; then kyso writes each type and the strict rules pass.
 */
const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'edxml', 'samples');
const load = async (name: string) => parseEdxmlBytes(readFileSync(path.join(DIR, name)), name);
const NOW = new Date('2026-12-06T10:00:00Z');

const A01 = {
  organId: '000.00.00.A01',
  organizationInCharge: 'UBND huyện Thử Nghiệm',
  organName: 'UBND huyện Thử Nghiệm',
  organAdd: 'Số 10 đường Một, xã Thử Nghiệm',
  email: 'vanthu@a01.example.vn',
  telephone: '0201000001',
  fax: '0201000002',
  website: 'a01.example.vn',
};
const B02 = {
  organId: '000.00.00.B02',
  organizationInCharge: 'Sở Nội vụ Thử Nghiệm',
  organName: 'Sở Nội vụ Thử Nghiệm',
  organAdd: 'Số 20 đường Hai, phường Thử Nghiệm',
  email: 'vanthu@b02.example.vn',
  telephone: '0202000001',
  fax: '0202000002',
  website: 'b02.example.vn',
};
const C03 = { organId: '000.00.00.C03', organizationInCharge: 'Sở Tài chính Thử Nghiệm', organName: 'Sở Tài chính Thử Nghiệm', organAdd: 'Số 30 đường Ba, phường Thử Nghiệm', email: 'vanthu@c03.example.vn', telephone: '0203000001', fax: '0203000002', website: 'c03.example.vn' };
const D04 = { organId: '000.00.00.D04', organizationInCharge: 'Sở Y tế Thử Nghiệm', organName: 'Sở Y tế Thử Nghiệm', organAdd: 'Số 40 đường Bốn, phường Thử Nghiệm', email: 'vanthu@d04.example.vn', telephone: '0204000001', fax: '0204000002', website: 'd04.example.vn' };
const SUBJECT = 'V/v thử nghiệm liên thông văn bản điện tử';
const HEADER = {
  from: A01,
  code: { number: '7816', notation: 'UBND-VP' },
  promulgation: { place: 'Hà Nội', date: '2018-09-28' },
  documentType: { type: 1, typeDetail: 0, typeName: 'Công văn' },
  subject: SUBJECT,
  content: SUBJECT,
  signer: { competence: 'TM. UY BAN NHAN DAN', position: 'Chu tich', fullName: 'Tran Van Thu' },
  dueDate: '2018-09-28',
  priority: 0,
  otherInfo: { sphereOfPromulgation: 'Liên thông văn bản quốc gia', typerNotation: 'TVC', promulgationAmount: 2, pageAmount: 22, direction: false, appendixes: ['Phụ lục danh sách đơn vị thử nghiệm'] },
  steeringType: 1,
  toPlaces: ['Cac phong ban chuyen mon', 'UBND cac xa'],
  documentId: '000.00.00.A01,2015/09/30,7816/UBND-VP',
  traceHeaders: [{ organId: '000.00.00.A01', timestamp: '2018/09/28 00:00:00' }],
  paper: 0,
};
const STAFF = { department: 'Văn thư văn phòng', staff: 'Lê Thị Văn Thư', mobile: '84900000001', email: 'vanthu.vp@a01.example.vn' };

async function edoc(name: string): Promise<ParsedEdoc> {
  const p = await load(name);
  expect(p.kind).toBe('edoc');
  return p as ParsedEdoc;
}

describe('document messages (fixtures shaped like the SDK samples)', () => {
  it('new (BussinessDocType 0): every header field', async () => {
    const p = await edoc('edoc_new.edxml');
    const m = p.message;
    expect(m).toMatchObject({ ...HEADER, code: { number: '74fass22', notation: 'UBND-VP' }, promulgation: { place: 'Hà Nội', date: '2019-01-16' } });
    // one recipient; OrganizationInCharge has a leading space in the sample: values are trimmed
    expect(m.to).toEqual([D04]);
    expect(m.businessDocType).toBe(0);
    expect(m.businessDocReason).toBe('Văn bản điện tử mới');
    expect(m.businessDocumentId).toBe('000.00.00.A01,2014-02-30,7806/UBND-VP'.replace('2014-02-30', '2014/02/30'));
    expect(m.businessStaff).toEqual(STAFF);
    expect(m.responseFor).toBeUndefined();
    expect(m.replacementInfo).toBeUndefined();
    expect(p.hasEnvelopeSignature).toBe(true);
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]).toMatchObject({ contentId: '209', name: 'van-ban-thu-nghiem.pdf', contentType: 'application/pdf', description: 'van-ban-thu-nghiem.pdf' });
    expect(Buffer.from(await decodeAttachment(p, '209')).toString('latin1')).toBe('%PDF-1.4\n% kyso test fixture\n%%EOF\n');
    expect(strictRuleViolations(p, NOW)).toEqual([]);
  });

  it('update (2): BussinessDocumentInfo with its ReceiverList, Bussiness/DocumentId names the updated document', async () => {
    const m = (await edoc('edoc_update.edxml')).message;
    expect(m).toMatchObject(HEADER);
    expect(m.to).toEqual([B02, C03, D04]);
    expect(m.businessDocType).toBe(2);
    expect(m.businessDocReason).toBe('Cập nhật văn bản điện tử');
    expect(m.businessDocumentId).toBe('000.00.00.A01,2014/02/30,7806/UBND-VP');
    expect(m.businessDocumentInfo).toEqual({
      documentInfo: '1',
      documentReceiver: '1',
      receivers: [
        { organId: '000.00.00.B02', receiverType: '0' },
        { organId: '000.00.00.C03', receiverType: '1' },
      ],
    });
    expect(m.businessStaff).toEqual(STAFF);
  });

  it('revocation (1): ResponseFor names the revoked document', async () => {
    const p = await edoc('edoc_revocation.edxml');
    const m = p.message;
    expect(m).toMatchObject(HEADER);
    expect(m.to).toEqual([B02, C03, D04]);
    expect(m.businessDocType).toBe(1);
    expect(m.businessDocReason).toBe('Thu hồi văn bản điện tử');
    expect(m.businessDocumentId).toBeUndefined();
    expect(m.responseFor).toEqual([{ organId: '000.00.00.C03', code: '267/UBND-VP', documentId: '000.00.00.A01,2012/08/06,267/UBND-VP', promulgationDate: '2018-09-28' }]);
    expect(m.businessStaff).toEqual(STAFF);
    expect(strictRuleViolations(p, NOW)).toEqual([]);
  });

  it('replacement (3): ReplacementInfoList with the replaced documents and who had them', async () => {
    const p = await edoc('edoc_replacement.edxml');
    const m = p.message;
    expect(m).toMatchObject(HEADER);
    expect(m.businessDocType).toBe(3);
    expect(m.businessDocReason).toBe('Văn bản thay thế');
    const info = { documentId: '000.00.00.A01,2014/01/30,7806/UBND-VP', organIds: ['000.00.00.B02', '000.00.00.C03'] };
    expect(m.replacementInfo).toEqual([info, info]);
    expect(strictRuleViolations(p, NOW)).toEqual([]);
  });
});

describe('status messages (fixtures shaped like the SDK samples)', () => {
  const desc: Record<string, string> = {
    '01': 'Văn thư - Phòng Văn thư - Lưu trữ: Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý',
    '02': 'Văn thư - Phòng Văn thư - Lưu trữ: Từ chối không tiếp nhận văn bản điện tử',
    '03': 'Văn thư cơ - Phòng Văn thư - Lưu trữ: Tiếp nhận văn bản điện tử, vào sổ văn bản đến của đơn vị',
    '04': 'Lãnh đạo: Phân công xử lý',
    '05': 'Đang xử lý văn bản đến',
    '06': 'Văn thư: Ban hành văn bản đến, hoàn thành xử lý',
    '13': 'Văn thư yêu cầu lấy lại văn bản điện tử kèm lý do',
    '15': 'Văn thư đồng ý yêu cầu cập nhật, lấy lại',
    '16': 'Văn thư từ chối yêu cầu cập nhật, lấy lại',
  };
  for (const code of Object.keys(desc)) {
    it(`status ${code}: From, ResponseFor, StaffInfo, StatusCode, Description, Timestamp`, async () => {
      const p = await load(`status_${code}.edxml`);
      expect(p.kind).toBe('status');
      const m = p.message as StatusMessage;
      // 13 comes from the document's sender (asking it back) and names the recipient in ResponseFor
      const recall = code === '13';
      expect(m.from).toEqual(recall ? { ...A01, fax: m.from.fax } : B02);
      expect(m.responseFor).toEqual({
        organId: recall ? '000.00.00.B02' : '000.00.00.A01',
        code: '7816/UBND-VP',
        promulgationDate: '2015-09-30',
        documentId: '000.00.00.A01,2015/09/30,7816/UBND-VP',
      });
      expect(m.staff).toEqual({ department: 'Phong hanh chinh', staff: 'Pham Thi Xu Ly', mobile: '84900000001', email: 'staff@b02.example.vn' });
      expect(m.statusCode).toBe(code);
      expect(m.description).toBe(desc[code]);
      expect(m.timestamp).toBe('2015/09/20 11:08:36');
    });
  }

  it('kyso writes every status code back to the same fields, also for organ ids outside NNN.NN.NN.Xnn', async () => {
    for (const code of Object.keys(desc)) {
      const s: StatusMessage = {
        from: B02,
        responseFor: { organId: code === '13' ? 'vxp.saas.03' : '0312345678', code: '7816/UBND-VP', promulgationDate: '2015-09-30', documentId: 'vxp.saas.03,2015/09/30,7816/UBND-VP' },
        statusCode: code,
        description: desc[code]!,
        timestamp: '2026/12/06 17:00:00',
        staff: { department: 'Văn thư', staff: 'Lê Văn Dũng', mobile: '0912', email: 'd@b02.example.vn' },
      };
      const back = await parseEdxmlBytes(buildStatus(s));
      expect(back.message, code).toEqual(s);
    }
  });
});

describe('kyso writes each document type so that the strict platform rules pass', () => {
  const pdf = new Uint8Array(Buffer.from('%PDF-1.4\n% kyso\n%%EOF\n'));
  const base = (): EdocMessage => ({
    from: { organId: '000.00.00.A01', organName: 'UBND huyện A' },
    to: [{ organId: '000.00.00.B02' }],
    code: { number: '12', notation: 'UBND-VP' },
    promulgation: { place: 'Hà Nội', date: '2026-12-06' },
    documentType: { type: 1, typeName: 'Công văn' },
    subject: 'V/v thử nghiệm',
    signer: { position: 'Chủ tịch', fullName: 'Nguyễn Văn An' },
    documentId: '000.00.00.A01,2026/12/06,12/UBND-VP',
    businessDocType: 0,
    attachments: [{ contentId: '1', name: 'a.pdf', contentType: 'application/pdf', bytes: pdf }],
  });
  const orig = { organId: '000.00.00.A01', code: '11/UBND-VP', promulgationDate: '2026-12-05', documentId: '000.00.00.A01,2026/12/05,11/UBND-VP' };
  const variants: [string, Partial<EdocMessage>][] = [
    ['new', {}],
    ['revocation', { businessDocType: 1, businessDocReason: 'Ban hành nhầm', responseFor: [orig], documentId: orig.documentId, code: { number: '11', notation: 'UBND-VP' }, promulgation: { place: 'Hà Nội', date: '2026-12-05' } }],
    ['update', { businessDocType: 2, businessDocReason: 'Sửa trích yếu', responseFor: [orig], documentId: orig.documentId, code: { number: '11', notation: 'UBND-VP' }, promulgation: { place: 'Hà Nội', date: '2026-12-05' } }],
    ['replacement', { businessDocType: 3, businessDocReason: 'Thay thế văn bản 11', replacementInfo: [{ documentId: orig.documentId, organIds: ['000.00.00.B02'] }] }],
  ];
  for (const [name, v] of variants) {
    it(name, async () => {
      const m = { ...base(), ...v };
      const p = (await parseEdxmlBytes(await buildEdoc(m, { now: NOW }))) as ParsedEdoc;
      expect(strictRuleViolations(p, NOW)).toEqual([]);
      // every element of To is there, empty when unknown; OtherInfo, Content, SteeringType, ToPlaces always
      expect(p.message.to[0]).toEqual({ organId: '000.00.00.B02', organName: '', organizationInCharge: '', organAdd: '', email: '', telephone: '', fax: '', website: '' });
      expect(p.headerElements).toEqual(expect.arrayContaining(['OtherInfo', 'Content', 'SteeringType', 'ToPlaces']));
      expect(p.message.content).toBe(m.subject);
      expect(p.message.businessDocType).toBe(m.businessDocType);
      expect(p.message.responseFor).toEqual(m.responseFor);
      expect(p.message.replacementInfo).toEqual(m.replacementInfo);
    });
  }

  it('the strict check names the field: missing To element, Type 5, a future date, no OtherInfo, null Content', async () => {
    const p = (await parseEdxmlBytes(await buildEdoc({ ...base(), documentType: { type: 5 }, promulgation: { place: 'Hà Nội', date: '2026-12-31' } }, { now: NOW }))) as ParsedEdoc;
    const fields = strictRuleViolations(p, NOW).map((v) => v.field);
    expect(fields).toEqual(['DocumentType/Type', 'PromulgationInfo/PromulgationDate']);
    const xml = Buffer.from(await buildEdoc(base(), { now: NOW }))
      .toString('utf8')
      .replace(/<edXML:Fax\/>\s*(<edXML:Website\/>\s*<\/edXML:To>)/, '$1')
      .replace(/<edXML:OtherInfo>[\s\S]*?<\/edXML:OtherInfo>/, '')
      .replace(/<edXML:Content>[^<]*<\/edXML:Content>/, '<edXML:Content></edXML:Content>');
    const q = (await parseEdxmlBytes(Buffer.from(xml))) as ParsedEdoc;
    expect(strictRuleViolations(q, NOW).map((v) => v.field)).toEqual(['To/Fax', 'OtherInfo', 'Content']);
  });
});

describe('attachment base64 as the official parser accepts it', () => {
  it('inside CDATA and with &#xD; character references (cut at every chunk boundary)', async () => {
    const payload = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
    const b64 = payload.toString('base64').replace(/(.{76})/g, '$1&#xD;\n');
    const xml = Buffer.from(await buildEdoc({ ...{ from: { organId: '000.00.00.A01' }, to: [{ organId: '000.00.00.B02' }], code: { number: '1', notation: 'X' }, promulgation: { place: 'P', date: '2026-12-01' }, documentType: { type: 1 }, subject: 'S', signer: { position: 'p', fullName: 'f' }, documentId: '000.00.00.A01,2026/12/01,1/X', businessDocType: 0 }, attachments: [{ contentId: '1', name: 'a.bin', contentType: 'application/octet-stream', bytes: new Uint8Array([1]) }] } as EdocMessage))
      .toString('utf8')
      .replace('>AQ==<', `><![CDATA[${b64}]]><`);
    const p = (await parseEdxmlBytes(Buffer.from(xml))) as ParsedEdoc;
    expect(Buffer.from(await decodeAttachment(p, '1')).equals(payload)).toBe(true);
    // a reference that is not whitespace or base64 is still refused
    const bad = (await parseEdxmlBytes(Buffer.from(xml.replace('&#xD;', '&#x3C;')))) as ParsedEdoc;
    await expect(decodeAttachment(bad, '1')).rejects.toMatchObject({ code: 'EDXML_ATTACHMENT_CORRUPT' });
  });
});
