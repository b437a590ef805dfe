import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { isKysoError } from '../../src/core/errors.js';
import { decodeAttachment, decodeAttachmentToFile } from '../../src/exchange/edxml-attachment.js';
import { buildEdoc, buildEdocToFile, buildStatus } from '../../src/exchange/edxml-build.js';
import { isValidOrganId, makeDocumentId } from '../../src/exchange/edxml-format.js';
import { parseEdxmlBytes, parseEdxmlFile, type ParsedEdoc } from '../../src/exchange/edxml-parse.js';
import { EDXML_NS, type EdocMessage, type StatusMessage } from '../../src/exchange/edxml-types.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIX = path.join(HERE, '..', 'fixtures', 'edxml');
const tmp = mkdtempSync(path.join(tmpdir(), 'kyso-edxml-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function errorOf(p: Promise<unknown>): Promise<{ code: string; category: string; en: string; vi: string }> {
  try {
    await p;
  } catch (e) {
    if (!isKysoError(e)) throw e;
    return { code: e.code, category: e.category, en: e.msg.en, vi: e.msg.vi };
  }
  throw new Error('expected an error');
}

const fullOrgan = (o: EdocMessage['from']) => ({ organName: '', organizationInCharge: '', organAdd: '', email: '', telephone: '', fax: '', website: '', ...o });

function fullMessage(pdfPath: string): EdocMessage {
  return {
    from: {
      organId: '000.00.00.H41',
      organizationInCharge: 'UBND tỉnh Nghệ An',
      organName: 'Văn phòng UBND tỉnh Nghệ An',
      organAdd: 'Số 03, đường Trường Thi, TP Vinh',
      email: 'vanthu@nghean.gov.vn',
      telephone: '0238 3840418',
      fax: '0238 3843049',
      website: 'nghean.gov.vn',
    },
    to: [{ organId: '000.00.00.G22', organName: 'Văn phòng Chính phủ' }, { organId: '000.00.12.H53' }],
    responseFor: [{ organId: '000.00.00.G22', code: '7816/VPCP-TTĐT', promulgationDate: '2026-11-01', documentId: '000.00.00.G22,2026/11/01,7816/VPCP-TTĐT' }],
    code: { number: '123', notation: 'UBND-VP' },
    promulgation: { place: 'Nghệ An', date: '2026-11-27' },
    documentType: { type: 1, typeDetail: 0, typeName: 'Công văn' },
    subject: 'V/v triển khai ký số & liên thông <văn bản> "điện tử"',
    content: 'Nội dung: đề nghị các đơn vị phối hợp.',
    signer: { competence: 'KT. CHỦ TỊCH', position: 'PHÓ CHỦ TỊCH', fullName: 'Nguyễn Văn Bình' },
    dueDate: '2026-12-15',
    toPlaces: ['Các sở, ban, ngành', 'UBND các huyện, thành phố'],
    priority: 1,
    otherInfo: { sphereOfPromulgation: 'Liên thông văn bản quốc gia', typerNotation: 'NVA', promulgationAmount: 2, pageAmount: 3, direction: false, appendixes: ['Phụ lục I'] },
    steeringType: 1,
    documentId: makeDocumentId('000.00.00.H41', '2026-11-27', '123', 'UBND-VP'),
    businessDocType: 0,
    businessDocReason: 'Văn bản mới',
    paper: 0,
    businessDocumentInfo: { documentInfo: '0', documentReceiver: '0', receivers: [{ organId: '000.00.00.G22', receiverType: '0' }] },
    businessStaff: { department: 'Văn thư', staff: 'Trần Thị Cúc', email: 'cuc@nghean.gov.vn', mobile: '0912000001' },
    traceHeaders: [{ organId: '000.00.00.H41', timestamp: '2026/11/27 09:15:00' }],
    attachments: [
      { contentId: '1', name: 'cong-van-123.pdf', contentType: 'application/pdf', description: 'Công văn số 123', path: pdfPath },
      { contentId: '2', name: 'phu-luc.txt', contentType: 'text/plain', bytes: new TextEncoder().encode('Phụ lục: danh sách đơn vị\n') },
    ],
  };
}

describe('edXML samples', () => {
  it('parses the status sample', async () => {
    const p = await parseEdxmlFile(path.join(FIX, 'status_processing_05.edxml'));
    expect(p.kind).toBe('status');
    const s = p.message as StatusMessage;
    expect(s.statusCode).toBe('05');
    expect(s.description).toBe('Đang xử lý văn bản đến');
    expect(s.from.organId).toBe('000.00.00.H41');
    expect(s.responseFor).toEqual({ organId: '000.00.00.G22', code: '7816/VPCP-TTĐT', promulgationDate: '2015-09-30', documentId: '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT' });
    expect(s.timestamp).toBe('2015/09/20 11:08:36');
    expect(s.staff?.staff).toBe('Nguyen thi ngoc tram');
  });

  it('parses the update sample headers and gives its cut attachment a clear error', async () => {
    const p = (await parseEdxmlFile(path.join(FIX, 'edoc_update.header.edxml'))) as ParsedEdoc;
    expect(p.kind).toBe('edoc');
    const m = p.message;
    expect(m.from.organId).toBe('000.00.00.G22');
    expect(m.to.map((t) => t.organId)).toEqual(['000.00.00.H53', '000.00.12.H53', '000.00.00.G17']);
    expect(m.documentId).toBe('000.00.00.G22,2015/09/30,7816/VPCP-TTĐT');
    expect(m.code).toEqual({ number: '7816', notation: 'VPCP-TTĐT' });
    expect(m.promulgation).toEqual({ place: 'Hà Nội', date: '2018-09-28' });
    expect(m.businessDocType).toBe(2);
    expect(m.businessDocumentInfo?.receivers).toHaveLength(2);
    expect(m.signer.fullName).toBe('Nguyen Thanh Phuc');
    expect(p.hasEnvelopeSignature).toBe(true);
    expect(m.attachments).toHaveLength(1);
    expect(m.attachments[0]).toMatchObject({ contentId: '209', name: '1896_QD-TTg_m_294779.doc', contentType: 'application/zip' });
    const e = await errorOf(decodeAttachment(p, 'cid:209'));
    expect(e.code).toBe('EDXML_ATTACHMENT_CORRUPT');
    expect(e.category).toBe('input');
    expect(e.en).toContain('1896_QD-TTg_m_294779.doc');
    expect(e.vi).toContain('bị cắt cụt');
    const out = path.join(tmp, 'cut.doc');
    expect((await errorOf(decodeAttachmentToFile(p, '209', out))).code).toBe('EDXML_ATTACHMENT_CORRUPT');
    expect(() => readFileSync(out)).toThrow(); // nothing half-written
  });
});

describe('edXML build → parse', () => {
  it('round-trips a full document message unchanged, attachments byte-identical', async () => {
    const pdf = path.join(tmp, 'in.pdf');
    const pdfBytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(100_001, 7), Buffer.from('\n%%EOF\n')]);
    writeFileSync(pdf, pdfBytes);
    const m = fullMessage(pdf);
    const out = path.join(tmp, 'doc.edxml');
    const built = await buildEdocToFile(m, out);
    const xml = readFileSync(out, 'utf8');
    // QCVN 102 layout: namespace, edXML: prefix inside the envelope, yyyy/MM/dd dates, order as in the samples
    expect(xml.startsWith(`<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="${EDXML_NS}">`)).toBe(true);
    expect(xml).toContain(`<edXML:edXMLEnvelope xmlns:edXML="${EDXML_NS}">`);
    expect(xml).toContain('<edXML:PromulgationDate>2026/11/27</edXML:PromulgationDate>');
    expect(xml).toContain('<edXML:DocumentId>000.00.00.H41,2026/11/27,123/UBND-VP</edXML:DocumentId>');
    expect(xml).toContain('<edXML:Bussiness>');
    expect(xml).toContain('<ContentId>cid:1</ContentId>');
    expect(xml).toContain(`<edXML:ContentTransferEncoded xmlns:edXML="${EDXML_NS}">${pdfBytes.toString('base64')}</edXML:ContentTransferEncoded>`);
    const order = ['<edXML:From>', '<edXML:To>', '<edXML:DocumentId>', '<edXML:CodeNumber>', '<edXML:PromulgationInfo>', '<edXML:DocumentType>', '<edXML:Subject>', '<edXML:Content>', '<edXML:SignerInfo>', '<edXML:DueDate>', '<edXML:OtherInfo>', '<edXML:ResponseFor>', '<edXML:SteeringType>', '<edXML:ToPlaces>', '<edXML:TraceHeaderList>', '<edXML:edXMLBody>', '<AttachmentEncoded>'];
    const at = order.map((t) => xml.indexOf(t));
    expect(at.every((v) => v >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(built.size).toBe(Buffer.byteLength(xml));

    const p = (await parseEdxmlFile(out)) as ParsedEdoc;
    const { attachments: pa, ...rest } = p.message;
    const { attachments: ma, ...expected } = m;
    // every To element is written (empty when unknown): platforms refuse a missing one
    expect(rest).toEqual({ ...expected, to: expected.to.map(fullOrgan) });
    expect(pa.map(({ contentId, name, contentType, description }) => ({ contentId, name, contentType, description }))).toEqual(
      ma.map(({ contentId, name, contentType, description }) => ({ contentId, name, contentType, description })),
    );
    const dec = await decodeAttachmentToFile(p, '1', path.join(tmp, 'out.pdf'));
    expect(readFileSync(dec.path).equals(pdfBytes)).toBe(true);
    expect(dec.unzipped).toBe(false);
    expect(Buffer.from(await decodeAttachment(p, 'cid:2')).toString('utf8')).toBe('Phụ lục: danh sách đơn vị\n');

    // the in-memory builder writes the same bytes
    const mem = await buildEdoc(m);
    expect(Buffer.from(mem).equals(readFileSync(out))).toBe(true);
    const p2 = (await parseEdxmlBytes(mem)) as ParsedEdoc;
    expect(p2.message.subject).toBe(m.subject);
  });

  it('round-trips a status message', async () => {
    const s: StatusMessage = {
      from: { organId: '000.00.00.G22', organName: 'Văn phòng Chính phủ' },
      responseFor: { organId: '000.00.00.H41', code: '123/UBND-VP', promulgationDate: '2026-11-27', documentId: '000.00.00.H41,2026/11/27,123/UBND-VP' },
      statusCode: '02',
      description: 'Từ chối: chữ ký số không hợp lệ (văn bản bị sửa sau khi ký)',
      timestamp: '2026/11/27 10:00:01',
      staff: { department: 'Văn thư', staff: 'Lê Văn Dũng', mobile: '0912', email: 'd@vpcp.gov.vn' },
    };
    const bytes = buildStatus(s);
    const xml = Buffer.from(bytes).toString('utf8');
    expect(xml).toContain('<edXML:StatusCode>02</edXML:StatusCode>');
    expect(xml).toContain('<edXML:PromulgationDate>2026/11/27</edXML:PromulgationDate>');
    const p = await parseEdxmlBytes(bytes);
    expect(p.kind).toBe('status');
    expect(p.message).toEqual({ ...s, from: fullOrgan(s.from) });
  });

  it('accepts zipped attachments, bare content ids and an unprefixed ContentTransferEncoded', async () => {
    const inner = Buffer.from('%PDF-1.4 zipped content ' + 'x'.repeat(5000));
    const zip = Buffer.from(zipSync({ 'van-ban.pdf': inner }));
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="${EDXML_NS}"><edXML:edXMLEnvelope xmlns:edXML="${EDXML_NS}"><edXML:edXMLHeader><edXML:MessageHeader>
<edXML:From><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:From><edXML:To><edXML:OrganId>000.00.00.H41</edXML:OrganId></edXML:To>
<edXML:Code><edXML:CodeNumber>5</edXML:CodeNumber><edXML:CodeNotation>VPCP</edXML:CodeNotation></edXML:Code>
<edXML:PromulgationInfo><edXML:Place>Hà Nội</edXML:Place><edXML:PromulgationDate>30/10/2020</edXML:PromulgationDate></edXML:PromulgationInfo>
<edXML:Subject>Thử</edXML:Subject><edXML:DocumentId>000.00.00.G22,2020/10/30,5/VPCP</edXML:DocumentId></edXML:MessageHeader></edXML:edXMLHeader>
<edXML:edXMLBody><edXML:edXMLManifest version="1.0"><edXML:Reference xlink:href="cid:abc" xmlns:xlink="http://www.w3.org/1999/xlink"><edXML:ContentId>cid:abc</edXML:ContentId><edXML:ContentType>application/zip</edXML:ContentType><edXML:AttachmentName>van-ban.pdf</edXML:AttachmentName></edXML:Reference></edXML:edXMLManifest></edXML:edXMLBody></edXML:edXMLEnvelope>
<AttachmentEncoded><Attachment><ContentId>abc</ContentId><ContentTransferEncoded>
${zip.toString('base64').replace(/(.{76})/g, '$1\n')}
</ContentTransferEncoded></Attachment></AttachmentEncoded></edXML>`;
    const p = (await parseEdxmlBytes(Buffer.from(xml))) as ParsedEdoc;
    expect(p.message.promulgation.date).toBe('2020-10-30');
    expect(p.message.attachments).toHaveLength(1);
    expect(Buffer.from(await decodeAttachment(p, 'abc')).equals(inner)).toBe(true);
    const d = await decodeAttachmentToFile(p, 'cid:abc', path.join(tmp, 'unz.pdf'));
    expect(d.unzipped).toBe(true);
    expect(readFileSync(d.path).equals(inner)).toBe(true);
  });
});

describe('hostile and malformed edXML', () => {
  const minimal = (body: string, ns = EDXML_NS) => `<?xml version="1.0"?><edXML xmlns="${ns}"><edXML:edXMLEnvelope xmlns:edXML="${ns}">${body}</edXML:edXMLEnvelope></edXML>`;

  it('refuses DOCTYPE / entity expansion (billion laughs) quickly', async () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<edXML xmlns="${EDXML_NS}"><edXML:edXMLEnvelope xmlns:edXML="${EDXML_NS}"><edXML:edXMLHeader><edXML:MessageHeader><edXML:From><edXML:OrganId>&lol9;</edXML:OrganId></edXML:From></edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>`;
    const e = await errorOf(parseEdxmlBytes(Buffer.from(bomb), 'bomb.edxml'));
    expect(e.code).toBe('EDXML_DOCTYPE');
    expect(e.category).toBe('input');
    expect(e.en).toContain('bomb.edxml');
    // external entity (XXE) as well
    const xxe = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY f SYSTEM "file:///etc/passwd">]>` + minimal('<edXML:edXMLHeader/>');
    expect((await errorOf(parseEdxmlBytes(Buffer.from(xxe)))).code).toBe('EDXML_DOCTYPE');
  });

  it('wrong namespace, wrong root, missing header, not XML, truncated → clear errors', async () => {
    expect((await errorOf(parseEdxmlBytes(Buffer.from(minimal('<edXML:edXMLHeader/>', 'http://www.go.vn/eDoc')), 'x.edxml'))).code).toBe('EDXML_NAMESPACE');
    expect((await errorOf(parseEdxmlBytes(Buffer.from('<EdXMLEnvelope xmlns="http://www.go.vn/eDoc"/>')))).code).toBe('EDXML_ROOT');
    const noHeader = await errorOf(parseEdxmlBytes(Buffer.from(minimal('<edXML:edXMLBody/>')), 'nohead.edxml'));
    expect(noHeader.code).toBe('EDXML_NO_HEADER');
    expect(noHeader.en).toBe('nohead.edxml: missing edXMLHeader/MessageHeader');
    expect(noHeader.vi).toBe('nohead.edxml: thiếu edXMLHeader/MessageHeader');
    expect((await errorOf(parseEdxmlBytes(Buffer.from('%PDF-1.7 not xml at all')))).code).toBe('EDXML_MALFORMED');
    expect((await errorOf(parseEdxmlBytes(Buffer.from(minimal('<edXML:edXMLHeader><edXML:MessageHeader>'))))).code).toBe('EDXML_MALFORMED');
    const cut = `<edXML xmlns="${EDXML_NS}"><AttachmentEncoded><Attachment><ContentTransferEncoded>QUJD`;
    expect((await errorOf(parseEdxmlBytes(Buffer.from(cut))))).toMatchObject({ code: 'EDXML_TRUNCATED', category: 'input' });
    expect((await errorOf(parseEdxmlFile(path.join(tmp, 'does-not-exist.edxml')))).code).toBe('EDXML_READ');
    // nesting bomb: an error, not a stack overflow
    const deep = minimal('<a>'.repeat(100_000) + '</a>'.repeat(100_000));
    expect((await errorOf(parseEdxmlBytes(Buffer.from(deep), 'deep.edxml'))).code).toBe('EDXML_MALFORMED');
  });

  it('validates organ ids (≤ 35 chars of 0-9 A-Z .)', async () => {
    expect(isValidOrganId('000.00.00.H41')).toBe(true);
    expect(isValidOrganId('H37.DN.001')).toBe(true);
    expect(isValidOrganId('000.00.00.h41')).toBe(false);
    expect(isValidOrganId('000-00-00-H41')).toBe(false);
    expect(isValidOrganId('0000.0000.0000.0000.0000.0000.0000.0')).toBe(false); // 36 chars
    const m = fullMessage(path.join(tmp, 'in.pdf'));
    m.to = [{ organId: 'ubnd nghe an' }];
    const e = await errorOf(buildEdoc(m));
    expect(e.code).toBe('EDXML_ORGAN_ID');
    expect(e.vi).toContain('mã định danh');
    const m2 = fullMessage(path.join(tmp, 'in.pdf'));
    m2.documentId = '123/UBND-VP';
    expect((await errorOf(buildEdoc(m2))).code).toBe('EDXML_DOCUMENT_ID');
  });
});

describe('large attachment', () => {
  it('builds a 200 MB attachment, sends it through a loopback hub, downloads, parses and decodes it, streamed: peak RSS (client + hub, one child process) under 600 MB', () => {
    const child = path.join(HERE, 'big-attachment-child.mjs');
    const r = spawnSync(process.execPath, [child, tmp, String(200 * 1024 * 1024), 'via-hub'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { maxRssMb: number; same: boolean; edxmlMb: number; ms: Record<string, number> };
    console.log(`200 MB attachment via hub: peak RSS ${out.maxRssMb} MB, times ${JSON.stringify(out.ms)}`);
    expect(out.same).toBe(true);
    expect(out.maxRssMb).toBeLessThan(600);
  }, 120_000);
});
