// Run by edxml.test.ts in its own process so that peak RSS is measured for this work only.
// Uses the built dist/ (npm test builds first).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, openSync, writeSync, closeSync, statSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const imp = (p) => import(pathToFileURL(path.join(root, 'dist', p)).href);
const { buildEdocToFile } = await imp('exchange/edxml-build.js');
const { parseEdxmlFile } = await imp('exchange/edxml-parse.js');
const { decodeAttachmentToFile } = await imp('exchange/edxml-attachment.js');

const [dir, sizeArg] = process.argv.slice(2);
const size = Number(sizeArg);
const src = path.join(dir, 'big.pdf');
const fd = openSync(src, 'w');
const block = randomBytes(4 << 20);
for (let n = 0; n < size; n += block.length) writeSync(fd, block, 0, Math.min(block.length, size - n));
closeSync(fd);
const sha = async (p) => {
  const h = createHash('sha256');
  for await (const c of createReadStream(p)) h.update(c);
  return h.digest('hex');
};
const ms = {};
let t = Date.now();
const edxml = path.join(dir, 'big.edxml');
await buildEdocToFile(
  {
    from: { organId: '000.00.00.H41' },
    to: [{ organId: '000.00.00.G22' }],
    code: { number: '1', notation: 'UBND-VP' },
    promulgation: { place: 'Vinh', date: '2026-11-27' },
    documentType: { type: 1 },
    subject: 'Tệp lớn',
    signer: { position: 'Chủ tịch', fullName: 'A' },
    documentId: '000.00.00.H41,2026/11/27,1/UBND-VP',
    businessDocType: 0,
    attachments: [{ contentId: '1', name: 'big.pdf', contentType: 'application/pdf', path: src }],
  },
  edxml,
);
ms.build = Date.now() - t;
t = Date.now();
const p = await parseEdxmlFile(edxml);
ms.parse = Date.now() - t;
t = Date.now();
const out = path.join(dir, 'big.out.pdf');
await decodeAttachmentToFile(p, '1', out);
ms.decode = Date.now() - t;
const same = (await sha(src)) === (await sha(out));
const edxmlMb = Math.round(statSync(edxml).size / 1048576);
for (const f of [src, out, edxml]) rmSync(f, { force: true });
console.log(JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), same, edxmlMb, ms }));
