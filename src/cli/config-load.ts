import { homeDir } from '../core/home-dir.js';
import { readFileSync, realpathSync } from 'node:fs';
import { loadConfig, type ConfigFlags, type ConfigSources, type LoadedConfig } from '../core/config.js';
import type { Warning } from '../core/types.js';
import type { Context } from './context.js';
import { escapeControl } from './escape.js';
import { tr } from './i18n.js';

/** The real file system for src/core/config.ts. */
export function configSources(ctx: Pick<Context, 'cwd' | 'env'>): ConfigSources {
  return {
    cwd: ctx.cwd,
    env: ctx.env,
    homeDir: homeDir(ctx.env),
    realpath: (p) => realpathSync(p),
    readFile: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
  };
}

const shown = new WeakMap<object, Set<string>>();

/** Prints configuration warnings (ignored project keys) once per run. */
export function printConfigWarnings(ctx: Context, warnings: Warning[]): void {
  let seen = shown.get(ctx.stderr);
  if (!seen) {
    seen = new Set();
    shown.set(ctx.stderr, seen);
  }
  for (const w of warnings) {
    if (seen.has(w.en)) continue;
    seen.add(w.en);
    ctx.stderr.write(`kyso: ${ctx.lang === 'vi' ? 'cảnh báo' : 'warning'}: ${escapeControl(tr(ctx.lang, w))}\n`);
  }
}

/** Loads the configuration with the real file system and prints its warnings. */
export function loadCliConfig(ctx: Context, flags: ConfigFlags = {}): LoadedConfig {
  const cfg = loadConfig(configSources(ctx), { ...flags, configFile: flags.configFile ?? ctx.configFile });
  printConfigWarnings(ctx, cfg.warnings);
  return cfg;
}
