export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';
export type Lang = 'en' | 'vi';

/** A warning a service wants the clerk to see (rendered on stderr by the CLI). */
export interface Warning {
  code: string;
  en: string;
  vi: string;
}

/** Effects a service may report progress through; the CLI draws a bar only on a TTY. */
export interface ProgressSink {
  start(total: number, label?: string): void;
  tick(n?: number): void;
  done(): void;
}

export const noProgress: ProgressSink = { start() {}, tick() {}, done() {} };
