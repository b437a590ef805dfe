/**
 * kyso at a real terminal: `script` (util-linux) gives the CLI a pseudo-terminal, and a test types into it
 * the way a clerk would, waiting for each prompt before answering.
 */
import { spawn } from 'node:child_process';
import { KYSO_BIN } from './cli.js';
import { cleanEnv } from './env.js';

export const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface Step {
  /** text to wait for on the terminal */
  waitFor: string;
  /** then typed, followed by Enter (unless enter is false: Ctrl-D is typed alone) */
  type: string;
  enter?: boolean;
}

/** Runs `node bin/kyso.js args…` on a pseudo-terminal, answering each prompt in turn. */
export function onTerminal(args: string[], steps: Step[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const cmd = [process.execPath, KYSO_BIN, ...args].map(shq).join(' ');
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd, env: cleanEnv({ TERM: 'dumb', ...env }), stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let next = 0;
    let seen = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      screen += d;
      const step = steps[next];
      const at = step ? screen.indexOf(step.waitFor, seen) : -1;
      if (step && at >= 0) {
        seen = at + step.waitFor.length;
        next++;
        child.stdin.write(step.enter === false ? step.type : step.type + '\r');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (screen += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}
