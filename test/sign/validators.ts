/**
 * External judges of a signed PDF, used by the sign tests: poppler's pdfsig (signature + trust through an
 * NSS db trusting the test root), qpdf --check (structure) and openssl cms -verify (the CMS over the
 * signed ranges). Test files are small, so reading them whole here is fine.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PdfsigSignature {
  field?: string;
  valid: boolean;
  trusted: boolean;
  type?: string;
  hash?: string;
  totalDocument: boolean;
  raw: string;
}

export async function exec(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(cmd, args, { maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

/**
 * pdfsig with OCSP on: the test PKI's responder runs on 127.0.0.1. Measured on poppler 22.12: with
 * -no-ocsp it reports "Unknown issue with Certificate" for a chain it otherwise trusts (it reads a stale
 * NSS error code after a successful verification), so -no-ocsp cannot show "Certificate is Trusted".
 */
export async function pdfsig(file: string, nssDir: string): Promise<PdfsigSignature[]> {
  const r = await exec('pdfsig', ['-nssdir', nssDir, file]);
  const blocks = r.stdout.split(/^Signature #\d+:$/m).slice(1);
  return blocks.map((b) => ({
    field: /Signature Field Name: (.*)$/m.exec(b)?.[1]?.trim(),
    valid: /Signature Validation: Signature is Valid\./.test(b),
    trusted: /Certificate Validation: Certificate is Trusted\./.test(b),
    type: /Signature Type: (.*)$/m.exec(b)?.[1]?.trim(),
    hash: /Signing Hash Algorithm: (.*)$/m.exec(b)?.[1]?.trim(),
    totalDocument: /Total document signed/.test(b),
    raw: b,
  }));
}

export async function qpdfCheck(file: string): Promise<{ ok: boolean; out: string }> {
  const r = await exec('qpdf', ['--check', file]);
  // exit 0 = ok, 3 = warnings (still a readable file, but we want none)
  return { ok: r.code === 0, out: r.stdout + r.stderr };
}

export interface EmbeddedSignature {
  byteRange: [number, number, number, number];
  der: Buffer;
  subFilter?: string;
}

/** Every /ByteRange + /Contents pair in the file, in file order. */
export async function extractSignatures(file: string): Promise<EmbeddedSignature[]> {
  const buf = await readFile(file);
  const s = buf.toString('latin1');
  const out: EmbeddedSignature[] = [];
  const re = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const br = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as [number, number, number, number];
    const hex = s.slice(br[0] + br[1], br[2]).replace(/[<>\s]/g, '');
    let der = Buffer.from(hex, 'hex');
    // strip the zero padding: DER length from the header
    if (der[0] === 0x30 && der[1] === 0x82) der = der.subarray(0, 4 + der.readUInt16BE(2));
    else if (der[0] === 0x30 && der[1] === 0x83) der = der.subarray(0, 5 + der.readUIntBE(2, 3));
    else if (der[0] === 0x30 && der[1] === 0x80) {
      /* indefinite length: leave padded */
    }
    // find the dictionary's /SubFilter near the ByteRange
    const dictStart = s.lastIndexOf('<<', m.index);
    const around = s.slice(Math.max(0, dictStart - 2000), m.index + 200);
    const sf = /\/SubFilter\s*\/([A-Za-z0-9.]+)/.exec(around.slice(around.lastIndexOf('/Type')))?.[1];
    out.push({ byteRange: br, der, subFilter: sf });
  }
  return out;
}

/** openssl cms -verify over the signed ranges with the given CA file. */
export async function opensslVerify(file: string, sig: EmbeddedSignature, caFile: string): Promise<{ ok: boolean; out: string }> {
  const buf = await readFile(file);
  const [a, b, c, d] = sig.byteRange;
  const dir = await mkdtemp(path.join(tmpdir(), 'kyso-cms-'));
  try {
    await writeFile(path.join(dir, 'content'), Buffer.concat([buf.subarray(a, a + b), buf.subarray(c, c + d)]));
    await writeFile(path.join(dir, 'sig.der'), sig.der);
    if (sig.subFilter === 'ETSI.RFC3161') {
      // a document time-stamp: the CMS is a TimeStampToken over the ranges
      const t = await exec('openssl', ['ts', '-verify', '-token_in', '-in', path.join(dir, 'sig.der'), '-data', path.join(dir, 'content'), '-CAfile', caFile]);
      return { ok: t.code === 0 && /Verification: OK/.test(t.stdout + t.stderr), out: t.stdout + t.stderr };
    }
    const r = await exec('openssl', [
      'cms', '-verify', '-binary', '-inform', 'DER', '-in', path.join(dir, 'sig.der'), '-content', path.join(dir, 'content'),
      '-CAfile', caFile, '-purpose', 'any', '-out', '/dev/null',
    ]);
    return { ok: r.code === 0 && /Verification successful/.test(r.stderr + r.stdout), out: r.stderr + r.stdout };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** openssl's view of the CMS structure (to assert attributes and algorithms). */
export async function cmsPrint(der: Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kyso-cms-'));
  try {
    await writeFile(path.join(dir, 'sig.der'), der);
    const r = await exec('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', path.join(dir, 'sig.der')]);
    return r.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs all judges on a signed file; returns a list of problems (empty = all good). */
export async function judge(file: string, opts: { nssDir: string; rootPem: string; expectSignatures?: number }): Promise<string[]> {
  const problems: string[] = [];
  const sigs = await pdfsig(file, opts.nssDir);
  const emb = await extractSignatures(file);
  if (opts.expectSignatures !== undefined && sigs.length !== opts.expectSignatures) problems.push(`pdfsig sees ${sigs.length} signatures, expected ${opts.expectSignatures}`);
  sigs.forEach((s, i) => {
    // poppler 22.12 cannot check document time-stamps (ETSI.RFC3161: "Signature Type: unknown"); openssl ts
    // -verify judges those below
    if (emb[i]?.subFilter === 'ETSI.RFC3161' && s.type === 'unknown') return;
    if (!s.valid || !s.trusted) problems.push(`pdfsig signature #${i + 1} (${s.field}): valid=${s.valid} trusted=${s.trusted}\n${s.raw}`);
  });
  const q = await qpdfCheck(file);
  if (!q.ok) problems.push(`qpdf --check: ${q.out}`);
  for (const [i, e] of emb.entries()) {
    const v = await opensslVerify(file, e, opts.rootPem);
    if (!v.ok) problems.push(`openssl cms -verify #${i + 1}: ${v.out}`);
  }
  return problems;
}

/**
 * The DSS of a PDF as qpdf reads it (its final revision): the decoded bytes of every /Certs, /OCSPs and /CRLs
 * stream, and the /VRI keys. Empty lists when the file has no DSS.
 */
export async function dssContents(file: string): Promise<{ certs: Buffer[]; ocsps: Buffer[]; crls: Buffer[]; vri: string[] }> {
  const r = await exec('qpdf', ['--json=2', '--json-key=qpdf', '--json-stream-data=inline', file, '-']);
  if (r.code !== 0 && r.code !== 3) throw new Error(`qpdf --json ${file}: ${r.stderr}`);
  const objs = JSON.parse(r.stdout).qpdf[1] as Record<string, { value?: unknown; stream?: { dict: Record<string, unknown>; data?: string } }>;
  const deref = (v: unknown) => (typeof v === 'string' && / R$/.test(v) ? objs[`obj:${v}`]?.value : v) as Record<string, unknown> | undefined;
  const cat = deref((objs.trailer?.value as Record<string, unknown>)['/Root']);
  const dss = deref(cat?.['/DSS']);
  const items = (key: string) => ((deref(dss?.[key]) ?? []) as unknown as string[]).map((ref) => Buffer.from(objs[`obj:${ref}`]?.stream?.data ?? '', 'base64'));
  return { certs: items('/Certs'), ocsps: items('/OCSPs'), crls: items('/CRLs'), vri: Object.keys(deref(dss?.['/VRI']) ?? {}) };
}
