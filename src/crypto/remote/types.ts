import type { Msg } from '../../core/errors.js';
import type { HashAlgorithm } from '../../core/types.js';

/** One signing certificate held by the provider for the user. */
export interface RemoteCredential {
  /** provider's id of the key/certificate (SP769 serial_number, MySign/CSC credentialID) */
  id: string;
  certificate: Uint8Array;
  /** certificates the provider returned besides the leaf (any order) */
  chain: Uint8Array[];
  /** provider's status text, if any */
  status?: string;
  /** SP769 service_type (SMARTCA / ESEAL …) */
  kind?: string;
  /** CSC: the most signatures one authorization allows */
  multisign?: number;
  /** algorithm OIDs the key supports (CSC/MySign key.algo) */
  algorithms?: string[];
}

export interface DigestItem {
  digest: Uint8Array;
  hash: HashAlgorithm;
  /** shown in the approval app (file name) */
  label: string;
}

export interface RemoteTransaction {
  /** id used to poll (and printed by --json) */
  id: string;
  /** code shown to the user in the app, when the provider has one */
  code?: string;
  count: number;
  /** adapter-private state */
  state?: Record<string, unknown>;
}

export type PollResult =
  | { state: 'pending'; confirmed?: boolean }
  | { state: 'signed'; signatures: Uint8Array[] }
  | { state: 'declined' | 'expired' | 'failed'; detail?: string; code?: string };

/** What a provider's API must do for kyso; one instance per run (it may hold a login token). */
export interface RemoteAdapter {
  /** "VNPT SmartCA", "Viettel MySign", "CSC" */
  readonly provider: string;
  /** the phone app the signer approves in */
  readonly app: Msg;
  /** hash algorithms the provider accepts */
  readonly hashes: readonly HashAlgorithm[];
  /** most digests per transaction (undefined = no documented maximum) */
  maxBatch(cred: RemoteCredential): number | undefined;
  listCredentials(): Promise<RemoteCredential[]>;
  submit(cred: RemoteCredential, items: DigestItem[], description: string): Promise<RemoteTransaction>;
  poll(cred: RemoteCredential, tx: RemoteTransaction, items: DigestItem[]): Promise<PollResult>;
}
