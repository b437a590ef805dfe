/**
 * pkijs and asn1js, loaded on first use. Verification reads canonical DER by hand (der.ts, cert-data.ts,
 * the fast paths of cms-signer-info.ts, timestamp-verify.ts, ocsp-check.ts, crl-check.ts) and needs these
 * libraries only for BER and unusual shapes, where they keep deciding exactly as before. Loading them
 * costs ~60 ms of compile and start-up per process (issue 16), so no module on the verify path imports
 * them statically: `import type` for their types, these functions for their values. Both come from
 * node_modules through one require, so pkijs and the asn1js it uses are one copy (instanceof holds).
 */
import { createRequire } from 'node:module';
import type * as Asn1js from 'asn1js';
import type * as Pkijs from 'pkijs';

const load = createRequire(import.meta.url);

export function asn1(): typeof Asn1js {
  return load('asn1js') as typeof Asn1js;
}

export function pki(): typeof Pkijs {
  return load('pkijs') as typeof Pkijs;
}
