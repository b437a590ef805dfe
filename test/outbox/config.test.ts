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
        '/home/u/.config/kyso/config.json': { trustedProjectDirs: ['/proj'], dataDir: '/data/user', profiles: { a: { ...base, retry: { baseMs: 5 } }, b: base } },
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
    const cfg = loadConfig(sources({ '/home/u/.config/kyso/config.json': { profiles: { a: { ...base, organId: 'bad id' } } } }));
    expect(() => resolveProfile(cfg, {})).toThrow(/organ id/);
  });
  it('reads the secret from env or a private file, refusing a group-readable one', () => {
    const cfg = loadConfig(sources({ '/home/u/.config/kyso/config.json': { trustedProjectDirs: ['/proj'] }, '/proj/kyso.config.json': { profiles: { a: { ...base, secretEnv: 'MY_SECRET' }, f: { ...base, secretFile: 'sec.txt' } } } }));
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

  it('drops sensitive keys of an untrusted project file, with a warning naming each key', () => {
    const user = { profiles: { hub: { ...base, endpoint: 'https://lgsp.example.gov.vn/', secretEnv: 'REAL_SECRET' } } };
    const project = {
      pkcs11Module: './evil.so',
      dataDir: './d',
      profiles: { hub: { endpoint: 'https://attacker.example/', secretEnv: 'HOME', secretFile: '/etc/shadow', caFile: 'ca.pem', proxy: 'http://x:1', timeoutMs: 5 } },
      remoteSigning: { endpoint: 'https://x/', name: 'ok' },
      trustedProjectDirs: ['/'],
      insecureHosts: ['attacker.example'],
    };
    const cfg = loadConfig(sources({ '/home/u/.config/kyso/config.json': user, '/proj/kyso.config.json': project }));
    expect(cfg.pkcs11Module).toBeUndefined();
    expect(cfg.insecureHosts).toEqual([]);
    expect(cfg.dataDir).toBe('/proj/d');
    const p = resolveProfile(cfg, {});
    expect(p).toMatchObject({ endpoint: 'https://lgsp.example.gov.vn/', secretEnv: 'REAL_SECRET', timeoutMs: 5 });
    expect(p.secretFile).toBeUndefined();
    expect(p.caFile).toBeUndefined();
    expect(p.proxy).toBeUndefined();
    expect(cfg.sections).toEqual({ remoteSigning: { name: 'ok' } });
    const keys = cfg.ignored.map((i) => i.key).sort();
    expect(keys).toEqual([
      'insecureHosts', 'pkcs11Module', 'profiles.hub.caFile', 'profiles.hub.endpoint', 'profiles.hub.proxy', 'profiles.hub.secretEnv', 'profiles.hub.secretFile', 'remoteSigning.endpoint', 'trustedProjectDirs',
    ]);
    expect(cfg.warnings.find((w) => w.en.includes('"pkcs11Module" ignored'))?.en).toContain('/proj/kyso.config.json');
    expect(cfg.origins['profiles.hub.endpoint']).toBe('user file /home/u/.config/kyso/config.json');
    expect(cfg.origins['profiles.hub.timeoutMs']).toBe('project file /proj/kyso.config.json');
  });
  it('takes sensitive keys from a trusted project folder, --config and the environment', () => {
    const project = { pkcs11Module: 'lib.so', profiles: { hub: { ...base, secretEnv: 'S' } } };
    const trusted = loadConfig(sources({ '/home/u/.config/kyso/config.json': { trustedProjectDirs: ['/proj'] }, '/proj/kyso.config.json': project }));
    expect(trusted.pkcs11Module).toBe('/proj/lib.so');
    expect(trusted.ignored).toEqual([]);
    const explicit = loadConfig(sources({ '/elsewhere/k.json': project }), { configFile: '/elsewhere/k.json' });
    expect(explicit.pkcs11Module).toBe('/elsewhere/lib.so');
    expect(explicit.origins.pkcs11Module).toBe('--config /elsewhere/k.json');
    const env = loadConfig(sources({ '/proj/kyso.config.json': project }, { KYSO_PKCS11_MODULE: '/usr/lib/x.so' }));
    expect(env.pkcs11Module).toBe('/usr/lib/x.so');
    expect(env.origins.pkcs11Module).toBe('env KYSO_PKCS11_MODULE');
  });
  it('knows sensitive keys at any depth and lets other modules add theirs', async () => {
    const { isSensitiveKey, registerSensitiveKeys } = await import('../../src/core/config.js');
    expect(isSensitiveKey('profiles.a.secretFile')).toBe(true);
    expect(isSensitiveKey('appearance.font')).toBe(false);
    registerSensitiveKeys('appearance.fontFile');
    expect(isSensitiveKey('appearance.fontFile')).toBe(true);
  });
});
