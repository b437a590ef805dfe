import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { makePki } from './fixtures/make-pki.js';
import { startPkiServer } from './helpers/pki-server.js';

/**
 * Once per test run: start the PKI's local services on 127.0.0.1, generate the PKI (its certificates
 * carry those URLs) and hand it to the tests through vitest's provide/inject (see test/helpers/pki.ts).
 */
export default async function setup(project: TestProject) {
  const server = await startPkiServer();
  const dir = await mkdtemp(path.join(tmpdir(), 'kyso-test-pki-'));
  const t0 = Date.now();
  const pki = await makePki(dir, server.urls);
  server.setPki(pki);
  if (process.env.KYSO_TEST_VERBOSE) console.error(`test PKI in ${dir} (${Date.now() - t0} ms), services at ${server.urls.base}`);
  project.provide('pki', pki);
  return async () => {
    await server.close();
    if (!process.env.KYSO_KEEP_TEST_PKI) await rm(dir, { recursive: true, force: true });
  };
}
