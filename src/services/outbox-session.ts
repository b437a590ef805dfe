import path from 'node:path';
import type { ConfigFlags, LoadedConfig, ResolvedProfile } from '../core/config.js';
import { loadConfig, resolveProfile } from '../core/config.js';
import { readProfileSecret, type SecretFs } from '../core/config-secret.js';
import type { ExchangeTransport } from '../exchange/transport.js';
import { isKysoError } from '../core/errors.js';
import type { Warning } from '../core/types.js';
import { OutboxStore } from '../outbox/outbox-store.js';
import { sweepStaleTempsSync } from '../io/atomic-write.js';
import type { DeliverDeps, DeliveryEvent } from './outbox-deliver.js';

/**
 * Everything the exchange services (send, receive, status, outbox) need from the outside world, injected
 * so that commands pass the real ones and tests / `kyso demo` can pass their own.
 */
export interface ExchangeEffects {
  cwd: string;
  env: Record<string, string | undefined>;
  homeDir: string;
  /** returns undefined when the file does not exist */
  readConfigFile: (p: string) => string | undefined;
  /** canonical path of a folder (for the trustedProjectDirs check); default path.resolve */
  realpath?: (p: string) => string;
  /** configuration warnings (sensitive keys ignored in an untrusted project file) */
  warn?: (w: Warning) => void;
  secretFs: SecretFs;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  owner: { pid: number; host: string };
  isAlive: (pid: number) => boolean;
  /** builds the adapter of a profile (src/exchange/transport-factory.ts in production) */
  createTransport: (profile: ResolvedProfile, deps: { secret: string }) => ExchangeTransport | Promise<ExchangeTransport>;
  onEvent?: (e: DeliveryEvent) => void;
}

export interface ExchangeSession {
  config: LoadedConfig;
  /** the selected profile (for new messages); items keep the profile they were queued with */
  profile: ResolvedProfile;
  /** false only with profileOptional and no profile configured (then `profile` throws) */
  hasProfile: boolean;
  dataDir: string;
  outboxDir: string;
  inboxDir: string;
  store: OutboxStore;
  deliverDeps: DeliverDeps;
  transport(profile?: string): Promise<ExchangeTransport>;
  close(): Promise<void>;
}

/**
 * Loads config, picks the profile, opens the outbox database in the data folder. The transport (and the
 * secret) are opened lazily: `kyso outbox list` needs neither.
 */
export function openExchangeSession(fx: ExchangeEffects, flags: ConfigFlags & { profileOptional?: boolean }): ExchangeSession {
  const config = loadConfig({ cwd: fx.cwd, env: fx.env, readFile: fx.readConfigFile, homeDir: fx.homeDir, realpath: fx.realpath }, flags);
  for (const w of config.warnings) fx.warn?.(w);
  // `kyso outbox list/show` work without any profile configured (the data folder is enough)
  let profileError: unknown;
  let resolved: ResolvedProfile | undefined;
  try {
    resolved = resolveProfile(config, fx.env, flags.profile);
  } catch (e) {
    if (!flags.profileOptional || !(isKysoError(e) && e.code === 'PROFILE_MISSING')) throw e;
    profileError = e;
  }
  const profileOrThrow = (): ResolvedProfile => {
    if (!resolved) throw profileError;
    return resolved;
  };
  const dataDir = config.dataDir;
  const store = OutboxStore.open(dataDir);
  // temp files of ours left by a killed run (kill -9, power cut): removed before this run writes anything
  for (const d of [dataDir, path.join(dataDir, 'outbox'), path.join(dataDir, 'inbox'), path.join(dataDir, 'status-in')]) sweepStaleTempsSync(d);
  const transports = new Map<string, Promise<{ transport: ExchangeTransport; retry: ResolvedProfile['retry'] }>>();
  const open = (name: string) => {
    let t = transports.get(name);
    if (!t) {
      t = (async () => {
        const p = name === resolved?.name ? resolved : resolveProfile(config, fx.env, name);
        const secret = readProfileSecret(p, fx.env, fx.secretFs);
        return { transport: await fx.createTransport(p, { secret }), retry: p.retry };
      })();
      // a failed open (missing secret) must not be cached as a rejected promise forever
      t.catch(() => transports.delete(name));
      transports.set(name, t);
    }
    return t;
  };
  const deliverDeps: DeliverDeps = {
    store,
    transportFor: open,
    now: fx.now,
    sleep: fx.sleep,
    random: fx.random,
    owner: fx.owner,
    isAlive: fx.isAlive,
    onEvent: fx.onEvent,
  };
  return {
    config,
    get profile() {
      return profileOrThrow();
    },
    hasProfile: resolved !== undefined,
    dataDir,
    outboxDir: path.join(dataDir, 'outbox'),
    inboxDir: path.join(dataDir, 'inbox'),
    store,
    deliverDeps,
    transport: async (name?: string) => (await open(name ?? profileOrThrow().name)).transport,
    async close() {
      for (const t of transports.values()) {
        try {
          await (await t).transport.close();
        } catch {
          /* closing is best effort */
        }
      }
      store.close();
    },
  };
}
