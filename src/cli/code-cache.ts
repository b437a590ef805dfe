/**
 * V8 code cache for the CLI bundle on Node 20 (issue 16).
 *
 * Why by hand: Node ≥ 22.1 has `module.enableCompileCache()` and bin/kyso.js uses it there; Node 20 has no
 * compile cache for modules at all, and the one library that did this (v8-compile-cache) has been unmaintained
 * since 2021 and caches into a temp folder anyone can write. Without a cache, every `kyso` process parses and
 * compiles the same ~1 MB of bundle again (a third of the start-up of `kyso sign one.pdf`).
 *
 * How: the bundle is CommonJS (scripts/build.mjs), so each of its files passes through Module.prototype._compile.
 * For files of the bundle folder only, this compiles the module wrapper as a vm.Script with the cached data
 * written beside it (`<file>.v8cache`), which V8 checks against its version, its flags and the source, and
 * silently ignores when any differs: a stale or foreign cache costs one ordinary compile, never a wrong result.
 * The caches are written only by the build (scripts/build.mjs trains them by running `kyso` commands in one
 * process with mode 'write'), so at run time they are read-only files of the installation, trusted exactly
 * like the bundle itself; nothing is ever read from or written to a folder other users can write.
 *
 * Profiles: a cache holds the functions its training compiled, and V8 deserializes all of them whether this
 * run calls them or not. A file shared by every command (commander, the PDF reader, pdf-lib) trained on the
 * whole demo carried sign, exchange and demo code into every `kyso verify`: with caches trained on a single
 * verify alone, one small verify took 8 ms (wall) and 13 ms (CPU) less, median of 31 paired runs. So the
 * start-up-bound commands have caches of their own, `<file>.<profile>.v8cache` (profiles: `verify` and `sign`
 * of one file, `help`), trained each in its own process; bin/kyso.js picks the profile from the command word,
 * and a file the profile never loaded falls back to the general cache.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

interface InternalModule {
  exports: unknown;
  filename: string;
  require(id: string): unknown;
}
interface ModuleStatics {
  wrap(source: string): string;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: unknown): string[] | null;
  _nodeModulePaths(from: string): string[];
  _extensions: unknown;
  _cache: unknown;
  prototype: { _compile(this: InternalModule, content: string, filename: string): unknown };
}

export interface CodeCacheStats {
  /** bundle files compiled with an accepted cache */
  accepted: string[];
  /** bundle files whose cache was missing or rejected (compiled from source) */
  compiled: string[];
  /** of the accepted, those whose cache was the profile's own */
  fromProfile: string[];
}

/** A request of one bundle file for another: `./chunk-ABC.cjs`, `./cmd-sign.cjs`. */
const SIBLING = /^\.\/[\w-]+\.cjs$/;

const stats: CodeCacheStats = { accepted: [], compiled: [], fromProfile: [] };

/** What the cache did in this process (for tests and `KYSO_CODE_CACHE=stats`). */
export function codeCacheStats(): CodeCacheStats {
  return stats;
}

/** Names a profile may have: a word of letters, so that it can only ever name a file beside the bundle's own. */
const PROFILE = /^[a-z]+$/;

/**
 * Compiles every `.cjs` file of `bundleDir` with its cache: the profile's own (`<file>.<profile>.v8cache`) when it
 * has one, else the general one (`<file>.v8cache`). Mode 'write' (the build only) writes the caches (the profile's
 * when one is given) at process exit, after the training commands ran, so they hold the functions those commands
 * compiled too.
 */
export function installCodeCache(bundleDir: string, mode: 'read' | 'write' = 'read', profile?: string): void {
  if (profile !== undefined && !PROFILE.test(profile)) throw new Error(`installCodeCache: not a profile name: ${profile}`);
  const M = Module as unknown as ModuleStatics;
  const original = M.prototype._compile;
  const prefix = bundleDir.endsWith(path.sep) ? bundleDir : bundleDir + path.sep;
  const made: Array<[string, vm.Script]> = [];
  M.prototype._compile = function compileWithCache(this: InternalModule, content: string, filename: string): unknown {
    // (the build refuses a bundle file with a real import() of a package: compiled from a cache, it would have no
    // dynamic-import callback on Node 20)
    if (!filename.startsWith(prefix) || !filename.endsWith('.cjs')) return original.call(this, content, filename);
    const own = profile ? `${filename}.${profile}.v8cache` : undefined;
    const general = `${filename}.v8cache`;
    let cachedData: Buffer | undefined;
    let fromProfile = false;
    if (mode === 'read') {
      for (const f of own ? [own, general] : [general]) {
        try {
          cachedData = readFileSync(f);
          fromProfile = f === own;
          break;
        } catch {
          /* no such cache: the next, or compile from source */
        }
      }
    }
    const script = new vm.Script(M.wrap(content), {
      filename,
      cachedData,
    });
    const name = path.basename(filename);
    if (cachedData && !script.cachedDataRejected) {
      stats.accepted.push(name);
      if (fromProfile) stats.fromProfile.push(name);
    } else stats.compiled.push(name);
    if (mode === 'write') made.push([own ?? general, script]);
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...a: unknown[]) => unknown;
    const mod = this;
    const require = Object.assign((id: string) => (SIBLING.test(id) ? requireSibling(id, mod) : mod.require(id)), {
      resolve: Object.assign((request: string, options?: unknown) => M._resolveFilename(request, mod, false, options), {
        paths: (request: string) => M._resolveLookupPaths(request, mod),
      }),
      extensions: M._extensions,
      cache: M._cache,
    });
    return wrapper.call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
  };
  /**
   * A file of the bundle asking for another (`./chunk-….cjs`): its path is known, so Node's resolution (a stat
   * and a realpath of every folder on the way, per file) is skipped; the module is made, cached and loaded as
   * Module.prototype.load would (through the .cjs loader, so a test's loader hook still sees it).
   */
  const cache = M._cache as Record<string, InternalModule & { loaded: boolean; paths: string[] }>;
  let bundlePaths: string[] | undefined;
  const requireSibling = (id: string, parent: InternalModule): unknown => {
    const filename = prefix + id.slice(2);
    const hit = cache[filename];
    if (hit) return hit.exports;
    const ModuleCtor = Module as unknown as new (id: string, parent: unknown) => InternalModule & { loaded: boolean; paths: string[] };
    const m = new ModuleCtor(filename, parent);
    m.filename = filename;
    m.paths = bundlePaths ??= M._nodeModulePaths(prefix); // the same folder for every file (one walk up, not one per file)
    cache[filename] = m;
    try {
      const ext = M._extensions as Record<string, (m: unknown, f: string) => void>;
      (ext['.cjs'] ?? ext['.js']!)(m, filename);
    } catch (e) {
      delete cache[filename];
      throw e;
    }
    m.loaded = true;
    return m.exports;
  };
  if (mode === 'write') {
    process.on('exit', () => {
      for (const [file, script] of made) writeFileSync(file, script.createCachedData());
    });
  }
}
