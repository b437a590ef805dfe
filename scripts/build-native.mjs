#!/usr/bin/env node
// Builds kyso's one native module, dist/native/kyso-watchdog.node (src/native/watchdog.c: the single-input verify
// watchdog as a POSIX thread, issue 16), with the system's C compiler. It is an optimisation: where there is no
// compiler or the platform is not Linux, nothing is built and src/services/verify-watchdog.ts uses its worker
// thread instead, so this step never fails the build for want of a compiler (a compile error in the source does).
// The source declares the few Node-API functions it uses, so no Node headers are needed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist', 'native');
const out = path.join(outDir, 'kyso-watchdog.node');
rmSync(outDir, { recursive: true, force: true });
const cc = process.env.CC || 'cc';
if (process.platform !== 'linux') {
  console.log(`build-native: ${process.platform}: no native watchdog (verify uses its worker thread)`);
} else if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log(`build-native: no C compiler (${cc}): no native watchdog (verify uses its worker thread)`);
} else {
  mkdirSync(outDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const args = ['-O2', '-std=c11', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-pthread', '-o', tmp, path.join(root, 'src', 'native', 'watchdog.c')];
  const r = spawnSync(cc, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`build-native: ${cc} ${args.join(' ')} failed`);
  }
  renameSync(tmp, out);
}
