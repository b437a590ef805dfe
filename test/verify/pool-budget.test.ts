/**
 * The time budget of the worker pool (src/services/verify-files.ts, two inputs or more): a file that took longer than
 * --timeout is reported ERROR/VERIFY_TIMEOUT even when its worker finished it between two of the pool's periodic
 * checks, as the single-input path already did. Found when workers started from code caches: a small file was then
 * verified within the check period, and a 1 ms budget let it pass now and then. A stand-in worker makes the case
 * exact: it reports how long each file took and never says which file it is on.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { noProgress } from '../../src/core/types.js';
import type { verifyFiles as VerifyFiles } from '../../src/services/verify-files.js';

describe('worker pool time budget', () => {
  it('a file whose worker took longer than the budget is a timeout, one within it keeps its report', async () => {
    // the tsc build (the sources themselves verify in-process, without a pool)
    const { verifyFiles } = (await import(pathToFileURL(path.join(ROOT, 'dist', 'services', 'verify-files.js')).href)) as { verifyFiles: typeof VerifyFiles };
    const inputs = ['quick:5', 'slow:2000', 'edge:1000'].map((display) => ({ path: path.join(ROOT, `${display.split(':')[0]}.pdf`), display }));
    for (const jobs of [1, 2]) {
      const run = await verifyFiles(inputs, {
        settings: { trust: [], defaultTrust: false, revocation: 'off', fileTimeoutMs: 1000 },
        jobs,
        now: () => new Date(),
        progress: noProgress,
        workerUrl: pathToFileURL(path.join(ROOT, 'test', 'fixtures', 'workers', 'timed-verify-worker.mjs')),
      });
      expect(run.files.map((f) => [f.file, f.indication, f.error?.code ?? null]), `--jobs ${jobs}`).toEqual([
        ['quick:5', 'TOTAL_PASSED', null],
        ['slow:2000', 'ERROR', 'VERIFY_TIMEOUT'],
        ['edge:1000', 'TOTAL_PASSED', null],
      ]);
    }
  });
});
