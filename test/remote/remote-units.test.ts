/** In-process checks of the remote-signing building blocks (profiles, secrets, the countdown line). */
import { describe, expect, it } from 'vitest';
import { checkRemoteUrl, loadRemoteProfiles, readRemoteSecret, resolveRemoteProfile } from '../../src/core/config-remote.js';
import { remoteWaitRenderer, waitLine } from '../../src/cli/remote-wait.js';
import type { Context } from '../../src/cli/context.js';

const files = (m: Record<string, string>) => ({ cwd: '/work/proj', env: { XDG_CONFIG_HOME: '/home/u/.config' }, homeDir: '/home/u', readFile: (p: string) => m[p] });
const profile = { adapter: 'vnpt-smartca', endpoint: 'https://gwsca.vnpt.vn/sca/sp769/', clientId: 'sp', userId: '0010', secretEnv: 'SP_SECRET' };

describe('remote profiles', () => {
  it('come from the user file; a project kyso.config.json is never read for them', () => {
    const cfg = loadRemoteProfiles(
      files({
        '/home/u/.config/kyso/config.json': JSON.stringify({ remoteProfiles: { a: profile } }),
        '/work/proj/kyso.config.json': JSON.stringify({ remoteProfiles: { a: { ...profile, endpoint: 'https://evil.example' }, b: profile } }),
      }),
    );
    expect(Object.keys(cfg.profiles)).toEqual(['a']);
    expect(cfg.profiles.a!.endpoint).toBe(profile.endpoint);
    expect(cfg.ignoredProjectFile).toBe('/work/proj/kyso.config.json');
    const r = resolveRemoteProfile(cfg, 'a');
    expect(r.endpoint).toBe('https://gwsca.vnpt.vn/sca/sp769');
    expect(r.approvalTimeoutSec).toBe(300);
    expect(() => resolveRemoteProfile(cfg, 'b')).toThrow(/not found/);
  });
  it('an explicit file (KYSO_CONFIG) wins over the user file', () => {
    const src = files({
      '/home/u/.config/kyso/config.json': JSON.stringify({ remoteProfiles: { a: profile } }),
      '/etc/kyso.json': JSON.stringify({ remoteProfiles: { a: { userId: '0099' } } }),
    });
    const cfg = loadRemoteProfiles({ ...src, env: { ...src.env, KYSO_CONFIG: '/etc/kyso.json' } });
    expect(cfg.profiles.a!.userId).toBe('0099');
    expect(cfg.profiles.a!.clientId).toBe('sp');
  });
  it('refuses secrets in clear text, unknown adapters and non-https endpoints', () => {
    const load = (p: unknown) => loadRemoteProfiles(files({ '/home/u/.config/kyso/config.json': JSON.stringify({ remoteProfiles: { a: p } }) }));
    expect(() => load({ ...profile, sp_password: 'x' })).toThrow(/clear text/);
    expect(() => resolveRemoteProfile(load({ ...profile, adapter: 'misa' }), 'a')).toThrow(/adapter/);
    expect(() => resolveRemoteProfile(load({ ...profile, endpoint: 'http://gwsca.vnpt.vn' }), 'a')).toThrow(/https/);
    expect(() => checkRemoteUrl('http://127.0.0.1:8080/x', 't')).not.toThrow();
    expect(() => checkRemoteUrl('http://[::1]:8080/x', 't')).not.toThrow();
    expect(() => checkRemoteUrl('http://10.0.0.1/x', 't')).toThrow();
  });
  it('secrets: a 0600 file or the named environment variable; a file readable by others is refused', () => {
    const cfg = loadRemoteProfiles(files({ '/home/u/.config/kyso/config.json': JSON.stringify({ remoteProfiles: { a: profile, f: { ...profile, secretFile: 's.txt' } } }) }));
    const fsOf = (mode: number) => ({ mode: () => mode, read: () => 'from-file\n' });
    expect(readRemoteSecret(resolveRemoteProfile(cfg, 'a'), 'integrator', { SP_SECRET: 'from-env' }, fsOf(0o600))).toBe('from-env');
    expect(() => readRemoteSecret(resolveRemoteProfile(cfg, 'a'), 'integrator', {}, fsOf(0o600))).toThrow(/SP_SECRET/);
    const f = resolveRemoteProfile(cfg, 'f');
    expect(f.secretFile).toBe('/home/u/.config/kyso/s.txt');
    expect(readRemoteSecret(f, 'integrator', {}, fsOf(0o100600))).toBe('from-file');
    expect(() => readRemoteSecret(f, 'integrator', {}, fsOf(0o100644))).toThrow(/chmod 600/);
  });
});

describe('what the clerk sees while waiting', () => {
  const info = {
    provider: 'VNPT SmartCA',
    app: { en: 'VNPT SmartCA', vi: 'VNPT SmartCA' },
    transactions: [{ id: 'tx-1', code: 'ABC123', documents: 40, state: 'pending' as const }],
    count: 40,
    deadline: new Date('2026-01-01T00:05:00Z'),
  };
  it('Vietnamese and English, with the code, the count and the time left', () => {
    const now = new Date('2026-01-01T00:00:08Z');
    expect(waitLine('vi', info, now)).toBe('Mở ứng dụng VNPT SmartCA để xác nhận giao dịch ABC123 (40 văn bản), còn 4:52');
    expect(waitLine('en', info, now)).toBe('Open the VNPT SmartCA app to approve transaction ABC123 (40 documents), 4:52 left');
  });
  it('on a TTY the line is redrawn in place with Ctrl-C to cancel, and cleared at the end', () => {
    let out = '';
    const ctx = { lang: 'vi', stderr: { isTTY: true, write: (s: string) => (out += s) }, now: () => new Date('2026-01-01T00:04:00Z') } as unknown as Context;
    const r = remoteWaitRenderer(ctx);
    r.onWaiting(info);
    r.onWaitEnd();
    expect(out).toBe('\r\x1b[KMở ứng dụng VNPT SmartCA để xác nhận giao dịch ABC123 (40 văn bản), còn 1:00 — Ctrl-C để hủy\r\x1b[K');
  });
});
