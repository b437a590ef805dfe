import type { AdapterName, ResolvedProfile, RetrySettings } from '../core/config.js';

export type { AdapterName, RetrySettings };

/**
 * One exchange connection as the transports need it: a validated profile (src/core/config.ts, where the
 * fields are documented) without the sender's organ details; retry settings are the outbox's concern.
 */
export type ExchangeProfile = Omit<ResolvedProfile, 'organ' | 'retry'> & { retry?: RetrySettings };
