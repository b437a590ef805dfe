import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A home folder of this test process: kyso's user config, data and caches are looked up under it. */
export const TEST_HOME = mkdtempSync(path.join(tmpdir(), 'kyso-test-home-'));

/**
 * The environment a CLI under test gets: nothing of the developer's own (no KYSO_* secrets or settings, no
 * XDG_* folders, no proxies, no LC_*), a temp HOME, English messages unless the test says otherwise.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  const base: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    TMPDIR: process.env.TMPDIR,
    HOME: TEST_HOME,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    ...extra,
  };
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  return env;
}
