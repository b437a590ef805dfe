import { X509Certificate } from 'node:crypto';
import { remoteAdapterFor, type RemoteSignerFactoryDeps } from './signer-factory.js';

export interface RemoteCertInfo {
  id: string;
  subject: string;
  issuer: string;
  serial: string;
  validFrom: string;
  validTo: string;
  status?: string;
  kind?: string;
  /** lowercase hex SHA-256 of the DER certificate */
  sha256: string;
  chainLength: number;
}

export interface RemoteCertsResult {
  profile: string;
  provider: string;
  certificates: RemoteCertInfo[];
}

/** `kyso remote certs --remote <profile>`: the signer's certificates at the provider (no approval needed). */
export async function listRemoteCertificates(
  profileName: string,
  opts: { configFile?: string },
  deps: Pick<RemoteSignerFactoryDeps, 'env' | 'cwd' | 'homeDir' | 'readConfigFile' | 'warn' | 'fetch'>,
): Promise<RemoteCertsResult> {
  const { profile, adapter } = await remoteAdapterFor(profileName, opts, deps);
  const creds = await adapter.listCredentials();
  return {
    profile: profile.name,
    provider: adapter.provider,
    certificates: creds.map((c) => {
      const x = new X509Certificate(c.certificate);
      return {
        id: c.id,
        subject: x.subject.replace(/\n/g, ', '),
        issuer: x.issuer.replace(/\n/g, ', '),
        serial: x.serialNumber.toLowerCase(),
        validFrom: new Date(x.validFrom).toISOString(),
        validTo: new Date(x.validTo).toISOString(),
        status: c.status,
        kind: c.kind,
        sha256: x.fingerprint256.replace(/:/g, '').toLowerCase(),
        chainLength: c.chain.length,
      };
    }),
  };
}
