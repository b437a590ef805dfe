import { createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';

const MiB = 1024 * 1024;

/**
 * A valid one-page PDF of about `bytes` (a big uncompressed image stream), streamed to disk in 1 MiB chunks.
 * Plain JavaScript so that both `npm run bench` and the tests (test/fixtures/make-pdfs.ts re-exports it) use it.
 * One random MiB is reused (compressibility does not matter: nothing is compressed).
 */
export async function makeLargePdf(file, bytes) {
  const width = 1024;
  const height = Math.max(1, Math.floor(Math.max(0, bytes - 2000) / width));
  const dataLen = width * height;
  const ws = createWriteStream(file, { highWaterMark: MiB });
  let pos = 0;
  const offsets = [];
  let failed;
  ws.on('error', (e) => (failed = e));
  const write = (chunk) =>
    new Promise((resolve, reject) => {
      if (failed) return reject(failed);
      const b = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
      pos += b.length;
      if (ws.write(b)) resolve();
      else ws.once('drain', resolve);
    });
  const obj = async (n, body) => {
    offsets[n] = pos;
    await write(`${n} 0 obj\n${body}\nendobj\n`);
  };
  await write('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  await obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  await obj(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  await obj(3, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>');
  const content = 'q 595 0 0 842 0 0 cm /Im1 Do Q';
  await obj(4, `<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  offsets[5] = pos;
  await write(`5 0 obj\n<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length ${dataLen} >>\nstream\n`);
  const block = randomBytes(MiB);
  for (let done = 0; done < dataLen; done += MiB) await write(block.subarray(0, Math.min(MiB, dataLen - done)));
  await write('\nendstream\nendobj\n');
  const xref = pos;
  let x = 'xref\n0 6\n0000000000 65535 f \n';
  for (let n = 1; n <= 5; n++) x += `${String(offsets[n]).padStart(10, '0')} 00000 n \n`;
  await write(`${x}trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  await new Promise((resolve, reject) => ws.end((e) => (e ? reject(e) : resolve())));
}

