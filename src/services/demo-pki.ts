/**
 * A throw-away PKI for `kyso demo`, made in-process (node:crypto keys, node-forge certificates and PKCS#12)
 * so the demo needs nothing but Node on a fresh machine. The test suite has its own PKI made with the openssl
 * command line (test/fixtures/make-pki.ts); this one only has to be good enough to show the product.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import forge from 'node-forge';

export interface DemoIdentity {
  /** PKCS#12 file (passphrase in DemoPki.password) */
  p12: string;
  certPem: string;
  commonName: string;
}

export interface DemoPki {
  dir: string;
  password: string;
  rootPem: string;
  chainPem: string;
  leader: DemoIdentity;
  organisation: DemoIdentity;
  receiverClerk: DemoIdentity;
}

interface Issued {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

function newRsaKey(bits: number): { priv: forge.pki.rsa.PrivateKey; pub: forge.pki.rsa.PublicKey } {
  // node:crypto generates keys natively (milliseconds); forge would take seconds in pure JS.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const priv = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
  const pub = forge.pki.setRsaPublicKey(priv.n, priv.e);
  return { priv, pub };
}

function subject(cn: string, o: string): forge.pki.CertificateField[] {
  const utf8 = forge.asn1.Type.UTF8;
  // forge UTF-8-encodes values tagged UTF8String itself.
  const enc = (s: string) => s;
  return [
    { shortName: 'C', value: 'VN' },
    { shortName: 'O', value: enc(o), valueTagClass: utf8 } as unknown as forge.pki.CertificateField,
    { shortName: 'CN', value: enc(cn), valueTagClass: utf8 } as unknown as forge.pki.CertificateField,
  ];
}

function issue(opts: {
  cn: string;
  o: string;
  issuer?: Issued;
  ca: boolean;
  now: Date;
  years: number;
  bits: number;
}): Issued {
  const { priv, pub } = newRsaKey(opts.bits);
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(opts.now.getTime() - 86_400_000);
  cert.validity.notAfter = new Date(opts.now.getTime() + opts.years * 365 * 86_400_000);
  cert.setSubject(subject(opts.cn, opts.o));
  cert.setIssuer(opts.issuer ? opts.issuer.cert.subject.attributes : subject(opts.cn, opts.o));
  const ext: object[] = [
    { name: 'basicConstraints', cA: opts.ca, critical: true },
    opts.ca
      ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }
      : { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (opts.issuer) ext.push({ name: 'authorityKeyIdentifier', keyIdentifier: opts.issuer.cert.generateSubjectKeyIdentifier().getBytes() });
  cert.setExtensions(ext);
  cert.sign(opts.issuer ? opts.issuer.key : priv, forge.md.sha256.create());
  return { cert, key: priv };
}

export async function makeDemoPki(dir: string, now: Date): Promise<DemoPki> {
  await mkdir(dir, { recursive: true });
  const password = 'demo-' + randomBytes(4).toString('hex');
  const o = 'UBND huyện Phú Lương (DEMO)';
  const root = issue({ cn: 'Kyso Demo Root CA (không dùng thật)', o: 'Kyso Demo PKI', ca: true, now, years: 10, bits: 2048 });
  const inter = issue({ cn: 'Kyso Demo Issuing CA', o: 'Kyso Demo PKI', issuer: root, ca: true, now, years: 5, bits: 2048 });
  const pem = (c: forge.pki.Certificate) => forge.pki.certificateToPem(c);

  const rootPem = path.join(dir, 'root.pem');
  const chainPem = path.join(dir, 'chain.pem');
  await writeFile(rootPem, pem(root.cert));
  await writeFile(chainPem, pem(inter.cert) + pem(root.cert));

  const identity = async (file: string, cn: string, org: string): Promise<DemoIdentity> => {
    const leaf = issue({ cn, o: org, issuer: inter, ca: false, now, years: 2, bits: 2048 });
    const asn1 = forge.pkcs12.toPkcs12Asn1(leaf.key, [leaf.cert, inter.cert, root.cert], password, {
      algorithm: 'aes256',
      friendlyName: cn,
    });
    const p12 = path.join(dir, `${file}.p12`);
    await writeFile(p12, Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'), { mode: 0o600 });
    const certPem = path.join(dir, `${file}.pem`);
    await writeFile(certPem, pem(leaf.cert));
    return { p12, certPem, commonName: cn };
  };

  return {
    dir,
    password,
    rootPem,
    chainPem,
    leader: await identity('lanh-dao', 'Nguyễn Thúy Hằng', o),
    organisation: await identity('to-chuc', 'UBND huyện Phú Lương (DEMO)', o),
    receiverClerk: await identity('van-thu-nhan', 'Trần Văn Thư', 'Sở Nội vụ tỉnh Thái Nguyên (DEMO)'),
  };
}
