import type { Command } from 'commander';
import type { App } from '../cli/app.js';

/** Placeholder: the `trust` command is being built. */
export function register(_program: Command, _app: App): void {}
