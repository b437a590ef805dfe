import { usageError, msg } from '../core/errors.js';

/**
 * Fault injection for `kyso hub serve --faults <spec>`: comma-separated rules `kind[:value][:opt=v]…`.
 *   drop-after-receive:0.3     read and process the request, then close the connection without answering
 *   drop-before-receive:0.3    close the connection before reading the request (nothing processed)
 *   500:0.2 / 503:0.2          answer that status without processing
 *   429:0.1:retry-after=1      answer 429 with Retry-After (seconds)
 *   slow:200ms                 delay every matching answer by 200 ms (value is a duration, probability 1)
 * Options: count=N (apply to the next N matching requests only), path=sendEdoc+getEdoc (default: every
 * API call, never /_admin).
 */
export type FaultKind = 'drop-after-receive' | 'drop-before-receive' | '500' | '503' | '429' | 'slow';

export interface FaultRule {
  kind: FaultKind;
  probability: number;
  delayMs?: number;
  retryAfterSec?: number;
  remaining?: number;
  paths?: string[];
}

const KINDS: FaultKind[] = ['drop-after-receive', 'drop-before-receive', '500', '503', '429', 'slow'];

function badSpec(spec: string, why: string) {
  return usageError('HUB_FAULTS', msg(`invalid --faults "${spec}": ${why}`, `--faults không hợp lệ "${spec}": ${why}`));
}

function duration(s: string, spec: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(s);
  if (!m) throw badSpec(spec, `bad duration "${s}"`);
  return Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
}

export function parseFaults(spec: string): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const item of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [kind, ...rest] = item.split(':');
    if (!KINDS.includes(kind as FaultKind)) throw badSpec(spec, `unknown fault "${kind}" (known: ${KINDS.join(', ')})`);
    const r: FaultRule = { kind: kind as FaultKind, probability: 1 };
    for (const part of rest) {
      const eq = part.indexOf('=');
      if (eq < 0) {
        if (r.kind === 'slow') r.delayMs = duration(part, spec);
        else {
          const p = Number(part);
          if (!(p >= 0 && p <= 1)) throw badSpec(spec, `probability "${part}" is not between 0 and 1`);
          r.probability = p;
        }
        continue;
      }
      const k = part.slice(0, eq);
      const v = part.slice(eq + 1);
      if (k === 'retry-after') r.retryAfterSec = Number(v);
      else if (k === 'count') r.remaining = Number(v);
      else if (k === 'path' || k === 'paths') r.paths = v.split('+').filter(Boolean);
      else if (k === 'p') r.probability = Number(v);
      else throw badSpec(spec, `unknown option "${k}"`);
    }
    if (r.kind === 'slow' && r.delayMs === undefined) r.delayMs = 200;
    rules.push(r);
  }
  return rules;
}

export interface FaultDecision {
  delayMs: number;
  fault?: FaultRule;
}

/** Which fault (if any) applies to one request; `slow` rules add up, the first other rule that fires wins. */
export function decideFault(rules: FaultRule[], endpoint: string, random: () => number = Math.random): FaultDecision {
  let delayMs = 0;
  let fault: FaultRule | undefined;
  for (const r of rules) {
    if (r.paths && !r.paths.includes(endpoint)) continue;
    if (r.remaining !== undefined && r.remaining <= 0) continue;
    if (r.kind !== 'slow' && fault) continue;
    if (random() >= r.probability) continue;
    if (r.remaining !== undefined) r.remaining--;
    if (r.kind === 'slow') delayMs += r.delayMs ?? 0;
    else fault = r;
  }
  return { delayMs, fault };
}
