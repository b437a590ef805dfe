import { describe, expect, it } from 'vitest';
import { loadConfig, resolveProfile, type ConfigSources } from '../../src/core/config.js';
import { readProfileSecret } from '../../src/core/config-secret.js';
import { KysoError } from '../../src/core/errors.js';

function sources(files: Record<string, unknown>, env: Record<string, string> = {}): ConfigSources {
  return {
    cwd: '/proj',
    env: { XDG_CONFIG_HOME: '/home/u/.config', ...env },
    homeDir: '/home/u',
    readFile: (p) => (p in files ? JSON.stringify(files[p]) : undefined),
  };
}

const base = { adapter: 'vdxp', endpoint: 'http://127.0.0.1:1/', systemId: 'SYS', organId: '000.00.00.A01' };

describe('config', () => {
  it('project file beats user file, env beats both, flags beat env', () => {
    const src = sources(
      {
        '/proj/kyso.config.json': { defaultProfile: 'a', profiles: { a: { endpoint: 'http://127.0.0.1:2/' } } },
        '/home/u/.config/kyso/config.json': { dataDir: '/data/user', profiles: { a: { ...base, retry: { baseMs: 5 } }, b: base } },
      },
      { XDG_DATA_HOME: '/xdg' },
    );
    const cfg = loadConfig(src);
    expect(cfg.dataDir).toBe('/data/user');
    const p = resolveProfile(cfg, src.env);
    expect(p).toMatchObject({ name: 'a', endpoint: 'http://127.0.0.1:2/', systemId: 'SYS', retry: { baseMs: 5, maxAttempts: 5 } });
    expect(resolveProfile(cfg, { KYSO_PROFILE: 'b' }).name).toBe('b');
    expect(resolveProfile(cfg, { KYSO_PROFILE: 'b' }, 'a').name).toBe('a');
    expect(resolveProfile(cfg, { KYSO_ENDPOINT: 'http://127.0.0.1:3/' }).endpoint).toBe('http://127.0.0.1:3/');
    expect(loadConfig({ ...src, env: { ...src.env, KYSO_DATA_DIR: 'd' } }).dataDir).toBe('/proj/d');
    expect(loadConfig(src, { dataDir: '/flag' }).dataDir).toBe('/flag');
  });
  it('defaults the data dir to XDG_DATA_HOME/kyso or ~/.local/share/kyso', () => {
    expect(loadConfig(sources({}, { XDG_DATA_HOME: '/xdg' })).dataDir).toBe('/xdg/kyso');
    expect(loadConfig(sources({})).dataDir).toBe('/home/u/.local/share/kyso');
  });
  it('refuses secrets inside the config file and bad organ ids', () => {
    expect(() => loadConfig(sources({ '/proj/kyso.config.json': { profiles: { a: { ...base, secret: 'x' } } } }))).toThrow(/clear text/);
    const cfg = loadConfig(sources({ '/proj/kyso.config.json': { profiles: { a: { ...base, organId: 'bad id' } } } }));
    expect(() => resolveProfile(cfg, {})).toThrow(/organ id/);
  });
  it('reads the secret from env or a private file, refusing a group-readable one', () => {
    const cfg = loadConfig(sources({ '/proj/kyso.config.json': { profiles: { a: { ...base, secretEnv: 'MY_SECRET' }, f: { ...base, secretFile: 'sec.txt' } } } }));
    const fs = (mode: number) => ({ mode: () => mode, read: () => 's3cret\n' });
    expect(readProfileSecret(resolveProfile(cfg, {}, 'a'), { MY_SECRET: 'v' }, fs(0o600))).toBe('v');
    expect(() => readProfileSecret(resolveProfile(cfg, {}, 'a'), {}, fs(0o600))).toThrow(/MY_SECRET/);
    const pf = resolveProfile(cfg, {}, 'f');
    expect(pf.secretFile).toBe('/proj/sec.txt');
    expect(readProfileSecret(pf, {}, fs(0o100600))).toBe('s3cret');
    try {
      readProfileSecret(pf, {}, fs(0o100644));
      throw new Error('not refused');
    } catch (e) {
      expect((e as KysoError).code).toBe('SECRET_FILE_PERMISSIONS');
      expect((e as KysoError).category).toBe('credentials');
      expect((e as KysoError).msg.en).toContain('chmod 600 /proj/sec.txt');
    }
  });
});
