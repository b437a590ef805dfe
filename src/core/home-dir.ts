/**
 * The user's folders, from the environment first: node:os is loaded only when $HOME is not set (importing it
 * eagerly was part of every `kyso sign` and `kyso verify` start, issue 16).
 */
import { createRequire } from 'node:module';
import path from 'node:path';

/** $HOME, else what the operating system says. */
export function homeDir(env: Record<string, string | undefined>): string {
  return env.HOME || (createRequire(import.meta.url)('node:os') as typeof import('node:os')).homedir();
}

/** $XDG_CACHE_HOME, else ~/.cache. */
export function cacheHome(env: Record<string, string | undefined>): string {
  return env.XDG_CACHE_HOME || path.join(homeDir(env), '.cache');
}
