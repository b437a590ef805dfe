/**
 * `kyso token list`: the PKCS#11 modules found (given, or registered with p11-kit), their library info,
 * slots and tokens with their PIN state. Reads token flags only: never logs in, never asks for a PIN.
 */
import { loadRealBinding, type Pkcs11BindingLoader } from '../crypto/pkcs11-binding.js';
import type { ModuleDiscoveryOptions } from '../crypto/pkcs11-modules.js';
import { probeDiscoveredModules, probeModule, type ModuleReport } from '../crypto/pkcs11-probe.js';
import { KysoError } from '../core/errors.js';

export interface TokenListOptions {
  /** --pkcs11-module (or KYSO_PKCS11_MODULE); absent: p11-kit discovery */
  module?: string;
  discovery?: ModuleDiscoveryOptions;
}

export interface TokenListDeps {
  loadBinding?: Pkcs11BindingLoader;
}

export interface TokenListResult {
  /** how the modules were found */
  source: 'option' | 'p11-kit';
  modules: ModuleReport[];
}

export function listTokens(opts: TokenListOptions, deps: TokenListDeps = {}): TokenListResult {
  const loader = deps.loadBinding ?? loadRealBinding;
  if (opts.module) {
    const r = probeModule(opts.module, loader);
    // A module named by the person that cannot be used is an error of the command, not a row.
    if (r.error && (r.error.code === 'PKCS11_MODULE_NOT_FOUND' || r.error.code === 'PKCS11_MODULE_NOT_LOADABLE' || r.error.code === 'PKCS11_BINDING_UNAVAILABLE')) {
      throw new KysoError(r.error.code, 'usage', r.error.message);
    }
    return { source: 'option', modules: [r] };
  }
  return { source: 'p11-kit', modules: probeDiscoveredModules(opts.discovery ?? {}, loader) };
}
