import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import { EXIT } from '../cli/exit-codes.js';
import { renderTable } from '../cli/table.js';
import type { TrustEntry } from '../crypto/trust-list.js';

interface TrustListOptions {
  trust: string[];
  defaultTrust: boolean;
  json: boolean;
}

/**
 * `kyso trust list`: every trust anchor (and bundled intermediate) of the store `kyso verify` uses, with
 * subject, validity and SHA-256, so a person can compare the fingerprints with the official publication.
 * Adding a root = dropping its PEM into assets/trust/vn (or passing --trust).
 */
export function register(program: Command, app: App): void {
  const vi = app.ctx.lang === 'vi';
  const trust = program
    .command('trust')
    .description(vi ? 'Kho chứng thư gốc tin cậy dùng để kiểm tra chữ ký' : 'The trust store used to verify signatures');
  trust
    .command('list')
    .description(vi ? 'Liệt kê chứng thư gốc tin cậy (chủ thể, hiệu lực, SHA-256)' : 'List trust anchors (subject, validity, SHA-256)')
    .option('--trust <pem|der|p7b|folder>', vi ? 'thêm chứng thư tin cậy (lặp lại được)' : 'add trust anchors (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--no-default-trust', vi ? 'bỏ các chứng thư gốc Việt Nam có sẵn' : 'leave out the built-in Vietnamese roots')
    .option('--json', vi ? 'xuất JSON' : 'output JSON')
    .action(async (o: { trust: string[]; defaultTrust: boolean; json?: boolean }) => {
      const opts: TrustListOptions = { trust: o.trust, defaultTrust: o.defaultTrust, json: Boolean(o.json) };
      await app.run(
        opts.json,
        // loaded on use: pkijs is heavy and every other command would pay for it at start-up
        async () => ({ exitCode: EXIT.ok, result: await (await import('../crypto/trust-list.js')).trustListing({ defaultTrust: opts.defaultTrust, extra: opts.trust, now: app.ctx.now() }) }),
        (r) => render(app, r.entries),
      );
    });
}

function render(app: App, entries: TrustEntry[]): void {
  const vi = app.ctx.lang === 'vi';
  const role = (e: TrustEntry) =>
    e.role === 'intermediate' ? (vi ? 'trung gian' : 'intermediate') : e.role === 'root' ? (vi ? 'gốc' : 'root') : vi ? 'tin cậy' : 'anchor';
  if (entries.length === 0) {
    app.ctx.stderr.write(vi ? 'kyso: kho tin cậy trống\n' : 'kyso: the trust store is empty\n');
    return;
  }
  renderTable(
    app.ctx.stdout,
    vi ? ['VAI TRÒ', 'CHỦ THỂ', 'HIỆU LỰC TỪ', 'ĐẾN', 'SHA-256'] : ['ROLE', 'SUBJECT', 'VALID FROM', 'UNTIL', 'SHA-256'],
    entries.map((e) => [role(e) + (e.expired ? (vi ? ' (hết hạn)' : ' (expired)') : ''), e.subject, e.notBefore.slice(0, 10), e.notAfter.slice(0, 10), e.sha256]),
  );
  if (app.ctx.stdout.isTTY) {
    app.ctx.stdout.write(
      vi
        ? '\nĐối chiếu SHA-256 với công bố chính thức (rootca.gov.vn, ca.gov.vn). Thêm gốc: đặt tệp PEM vào assets/trust/vn hoặc dùng --trust.\n'
        : '\nCompare the SHA-256 with the official publication (rootca.gov.vn, ca.gov.vn). To add a root, drop its PEM into assets/trust/vn or use --trust.\n',
    );
  }
}
