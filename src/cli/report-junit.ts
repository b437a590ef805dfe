import { create } from 'xmlbuilder2';
import type { FileReport, VerifyRunResult } from '../services/verify-types.js';
import { renderProblem } from './catalogue/index.js';

/**
 * JUnit XML for CI (`kyso verify --format junit`): one <testcase> per file.
 *  - TOTAL_PASSED → passed;
 *  - TOTAL_FAILED → <failure type="TOTAL_FAILED">;
 *  - INDETERMINATE → <failure type="INDETERMINATE"> (not <skipped>: an archive check must not go green on a
 *    signature nobody could confirm; the exit code is 3, the CI job is red, the type says why);
 *  - NO_SIGNATURE → <failure type="NO_SIGNATURE">, or passed with a <system-out> note under --allow-unsigned;
 *  - ERROR (unreadable) → <error type="<error code>">.
 * Messages are English (CI logs); control characters that XML 1.0 forbids are removed.
 */

const clean = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');

function details(f: FileReport): string {
  const lines: string[] = [];
  for (const s of f.signatures) {
    const ind = s.subIndication ? `${s.indication}/${s.subIndication}` : s.indication;
    lines.push(
      `${s.field}: ${ind}; integrity=${s.integrity} trust=${s.trust} modifiedAfter=${s.modifiedAfter} coverage=${s.coverage} level=${s.level}` +
        (s.signer ? `; signer=${s.signer.subject}` : ''),
    );
    for (const p of s.problems) lines.push(`  - [${p.code}] ${renderProblem(p, 'en')}`);
  }
  return clean(lines.join('\n'));
}

export function renderVerifyJunit(r: VerifyRunResult, opts: { allowUnsigned: boolean }): string {
  let failures = 0;
  let errors = 0;
  let totalMs = 0;
  for (const f of r.files) {
    totalMs += f.ms ?? 0;
    if (f.indication === 'ERROR') errors++;
    else if (f.indication === 'TOTAL_FAILED' || f.indication === 'INDETERMINATE' || (f.indication === 'NO_SIGNATURE' && !opts.allowUnsigned)) failures++;
  }
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: 'kyso verify',
    tests: String(r.files.length),
    failures: String(failures),
    errors: String(errors),
    time: secs(totalMs),
  });
  const suite = root.ele('testsuite', {
    name: 'kyso verify',
    tests: String(r.files.length),
    failures: String(failures),
    errors: String(errors),
    skipped: '0',
    time: secs(totalMs),
  });
  for (const f of r.files) {
    const tc = suite.ele('testcase', { classname: 'kyso.verify', name: clean(f.file), time: secs(f.ms ?? 0) });
    if (f.indication === 'ERROR') {
      tc.ele('error', { type: f.error?.code ?? 'ERROR', message: clean(f.error?.message ?? 'unreadable') }).txt(clean(f.error?.message ?? ''));
    } else if (f.indication === 'TOTAL_FAILED' || f.indication === 'INDETERMINATE') {
      const worst = f.signatures.find((s) => s.indication === f.indication);
      const msg = worst ? `${worst.field}: ${worst.indication}${worst.subIndication ? '/' + worst.subIndication : ''}${worst.problems[0] ? ' - ' + renderProblem(worst.problems[0], 'en') : ''}` : f.indication;
      tc.ele('failure', { type: f.indication, message: clean(msg) }).txt(details(f));
    } else if (f.indication === 'NO_SIGNATURE') {
      if (opts.allowUnsigned) tc.ele('system-out').txt('no signature (allowed by --allow-unsigned)');
      else tc.ele('failure', { type: 'NO_SIGNATURE', message: 'the file has no signature' }).txt('the file has no signature');
    } else {
      tc.ele('system-out').txt(details(f));
    }
  }
  return root.end({ prettyPrint: true }) + '\n';
}
