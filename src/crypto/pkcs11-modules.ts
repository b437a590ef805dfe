import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * PKCS#11 module discovery without inventing paths: the modules a system has registered with p11-kit
 * (one `*.module` file per module, `module: <path or file name>`), as OpenSC, SoftHSM and most Linux token
 * drivers install them. Relative names are resolved in p11-kit's module directory.
 */
export interface ModuleConfigEntry {
  /** module config name (file name without .module) */
  name: string;
  configFile: string;
  /** the `module:` value as written */
  module: string;
  /** absolute path when the file exists */
  path?: string;
  /** "matches the Windows module name of VNPT-CA" — a label only; the CA is identified by the chain */
  vendorHint?: string;
}

export interface ModuleDiscoveryOptions {
  home?: string;
  xdgConfigHome?: string;
  /** override the config folders (tests) */
  configDirs?: string[];
  /** override p11-kit's module folders (tests) */
  moduleDirs?: string[];
}

export const P11KIT_CONFIG_DIRS = ['/usr/share/p11-kit/modules', '/etc/pkcs11/modules'];
/** p11-kit's compiled-in module directory ($libdir/pkcs11) on the usual Linux layouts. */
export const P11KIT_MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/pkcs11', '/usr/lib/aarch64-linux-gnu/pkcs11', '/usr/lib64/pkcs11', '/usr/lib/pkcs11'];

export function discoverModules(opts: ModuleDiscoveryOptions = {}): ModuleConfigEntry[] {
  const userDir = opts.xdgConfigHome ? path.join(opts.xdgConfigHome, 'pkcs11/modules') : opts.home ? path.join(opts.home, '.config/pkcs11/modules') : undefined;
  const dirs = opts.configDirs ?? [...P11KIT_CONFIG_DIRS, ...(userDir ? [userDir] : [])];
  const moduleDirs = opts.moduleDirs ?? P11KIT_MODULE_DIRS;
  const byName = new Map<string, ModuleConfigEntry>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.module')).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const configFile = path.join(dir, n);
      let text: string;
      try {
        text = readFileSync(configFile, 'utf8');
      } catch {
        continue;
      }
      const conf = parseModuleConfig(text);
      if (!conf.module) continue;
      const name = n.slice(0, -'.module'.length);
      const resolved = path.isAbsolute(conf.module) ? (existsSync(conf.module) ? conf.module : undefined) : moduleDirs.map((d) => path.join(d, conf.module!)).find((p) => existsSync(p));
      // Later folders (user config) override earlier ones of the same name, as in p11-kit.
      byName.set(name, { name, configFile, module: conf.module, ...(resolved ? { path: resolved } : {}), ...vendorField(conf.module) });
    }
  }
  return [...byName.values()];
}

function vendorField(file: string): { vendorHint?: string } {
  const v = vendorHintFor(file);
  return v ? { vendorHint: v } : {};
}

function parseModuleConfig(text: string): { module?: string } {
  const out: { module?: string } = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^([A-Za-z0-9_-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'module') out.module = m[2]!.trim();
  }
  return out;
}

/**
 * Windows module names collected from Vietnamese signing software (spec §2.4), as patterns on the bare
 * file name (no "lib" prefix, no extension). Used only to label a module that is found, never to look for
 * files: the module name says nothing certain about the CA (identify it by the certificate chain).
 */
const VENDOR_PATTERNS: [RegExp, string][] = [
  [/^vnpt-?ca|^vnptca/, 'VNPT-CA'],
  [/^viettel-?ca/, 'Viettel-CA'],
  [/^bkavca|^bkavcsp/, 'BKAV-CA'],
  [/^fpt-?ca|^fptca|^signaturep11$/, 'FPT-CA'],
  [/^ca2_|^shuttlecsp11/, 'CA2 (Nacencomm)'],
  [/^vina-?ca/, 'Vina-CA'],
  [/^newtel-?ca/, 'NEWTEL-CA'],
  [/^safe-?ca/, 'Safe-CA'],
  [/^ckca$/, 'CK-CA'],
  [/^eca_csp11/, 'EasyCA (ECA)'],
  [/^nca_/, 'a Vietnamese CA (nca_* module)'],
  [/^etpkcs11$/, 'SafeNet eToken middleware'],
  [/^eps2003csp11/, 'Feitian ePass2003 middleware'],
  [/^wdpkcs/, 'WatchData middleware'],
  [/^(ngp11v211|st3csp11|gclib|vdctdcsp11|ostc1_csp11|psapkcs|u1000auto)$/, 'token middleware used by Vietnamese CAs'],
];

export function vendorHintFor(file: string): string | undefined {
  const base = path
    .basename(file.replace(/\\/g, '/'))
    .toLowerCase()
    .replace(/\.(so(\.\d+)*|dll|dylib)$/, '')
    .replace(/^lib/, '');
  for (const [re, label] of VENDOR_PATTERNS) if (re.test(base)) return label;
  return undefined;
}
