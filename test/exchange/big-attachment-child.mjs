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

const [dir, sizeArg, mode] = process.argv.slice(2);
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
let received = edxml;
if (mode === 'via-hub') {
  // through a real hub on loopback, both directions streamed (sendEdocFile / downloadEdoc)
  const { startHub } = await imp('services/hub-server.js');
  const { createTransport } = await imp('exchange/transport-factory.js');
  const A = { systemId: 'SYS-A', organId: '000.00.00.H41', secret: 'a' };
  const B = { systemId: 'SYS-B', organId: '000.00.00.G22', secret: 'b' };
  const hub = await startHub({ dataDir: path.join(dir, 'bighub'), systems: [A, B] });
  const a = createTransport({ name: 'a', adapter: 'vdxp', endpoint: hub.url, systemId: A.systemId, organId: A.organId, timeoutMs: 60000 }, { secret: 'a' });
  const b = createTransport({ name: 'b', adapter: 'vdxp', endpoint: hub.url, systemId: B.systemId, organId: B.organId, timeoutMs: 60000 }, { secret: 'b' });
  t = Date.now();
  const { docId } = await a.sendEdocFile(edxml, { from: A.organId, to: [B.organId], messageType: 'edoc', sha256: await sha(edxml) });
  ms.send = Date.now() - t;
  t = Date.now();
  received = path.join(dir, 'big.received.edxml');
  await b.getEdocToFile(docId, received);
  ms.download = Date.now() - t;
  await a.close();
  await b.close();
  await hub.close();
  rmSync(path.join(dir, 'bighub'), { recursive: true, force: true });
}
t = Date.now();
const p = await parseEdxmlFile(received);
ms.parse = Date.now() - t;
t = Date.now();
const out = path.join(dir, 'big.out.pdf');
await decodeAttachmentToFile(p, '1', out);
ms.decode = Date.now() - t;
const same = (await sha(src)) === (await sha(out));
const edxmlMb = Math.round(statSync(edxml).size / 1048576);
for (const f of [src, out, edxml, received]) rmSync(f, { force: true });
console.log(JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), same, edxmlMb, ms }));
