import type { Command } from 'commander';
import path from 'node:path';
import type { App } from '../cli/app.js';
import { renderTable } from '../cli/table.js';
import { addOrg, importOrgs, listOrgs, syncOrgs, type OrgChange } from '../services/org-manage.js';
import { addExchangeFlags, withSession, type ExchangeFlags } from './outbox.js';
import type { OrganInfo } from '../core/config.js';
import { organOf } from '../services/send-meta.js';

/** `kyso org add` flags: the organisation's block, named as in the config's own organisation. */
interface AddFlags extends ExchangeFlags, Omit<OrganInfo, 'place'> {}

export function register(program: Command, app: App): void {
  const ctx = app.ctx;
  const vi = ctx.lang === 'vi';
  const org = program
    .command('org')
    .description(vi ? 'Danh bạ cơ quan (điền đủ thông tin nơi gửi, nơi nhận trong gói edXML)' : 'The organisation directory (fills the edXML To/From blocks)')
    .addHelpText('after', `\n${vi ? 'Ví dụ' : 'Examples'}:\n  kyso org sync\n  kyso org import danh-ba-tinh.csv\n  kyso org add 000.00.11.H55 --name "Sở Nội vụ" --email snv@example.gov.vn\n  kyso org list`);
  const changed = (r: OrgChange) =>
    ctx.stdout.write(vi ? `${r.added} thêm, ${r.updated} cập nhật; danh bạ có ${r.total} cơ quan (${r.file})\n` : `${r.added} added, ${r.updated} updated; the directory holds ${r.total} organisations (${r.file})\n`);

  addExchangeFlags(org.command('list', { isDefault: true }).description(vi ? 'liệt kê danh bạ' : 'list the directory'), ctx.lang).action(async (o: ExchangeFlags) => {
    await app.run(
      Boolean(o.json),
      async () => withSession(ctx, o, async (s) => ({ exitCode: 0, result: await listOrgs(s) }), { profileOptional: true }),
      (r) => renderTable(ctx.stdout, ['ORGAN ID', 'NAME', 'IN CHARGE', 'ADDRESS', 'EMAIL', 'PHONE', 'FAX', 'WEBSITE'], r.organisations.map((x) => [x.organId, x.organName ?? '', x.organizationInCharge ?? '', x.organAdd ?? '', x.email ?? '', x.telephone ?? '', x.fax ?? '', x.website ?? ''])),
    );
  });

  addExchangeFlags(
    org
      .command('add')
      .description(vi ? 'thêm hoặc cập nhật một cơ quan' : 'add or update one organisation')
      .argument('<organId>', vi ? 'mã định danh cơ quan, ví dụ 000.00.11.H55' : 'organ id, e.g. 000.00.11.H55')
      .option('--name <text>', vi ? 'tên cơ quan' : 'OrganName')
      .option('--in-charge <text>', vi ? 'cơ quan chủ quản' : 'OrganizationInCharge (cơ quan chủ quản)')
      .option('--address <text>', vi ? 'địa chỉ' : 'OrganAdd')
      .option('--email <text>', vi ? 'thư điện tử' : 'Email')
      .option('--phone <text>', vi ? 'số điện thoại' : 'Telephone')
      .option('--fax <text>', vi ? 'số fax' : 'Fax')
      .option('--website <text>', vi ? 'trang thông tin điện tử' : 'Website'),
    ctx.lang,
  ).action(async (organId: string, o: AddFlags) => {
    await app.run(
      Boolean(o.json),
      async () =>
        withSession(
          ctx,
          o,
          async (s) => ({
            exitCode: 0,
            result: await addOrg(s, organOf(organId, o)),
          }),
          { profileOptional: true },
        ),
      changed,
    );
  });

  addExchangeFlags(
    org
      .command('import')
      .description(
        vi
          ? 'nhập danh bạ từ tệp CSV (dòng tiêu đề: "organId,organName,organizationInCharge,organAdd,email,telephone,fax,website")'
          : 'import a CSV (header line: organId,organName,organizationInCharge,organAdd,email,telephone,fax,website)',
      )
      .argument('<file.csv>'),
    ctx.lang,
  ).action(
    async (file: string, o: ExchangeFlags) => {
      await app.run(Boolean(o.json), async () => withSession(ctx, o, async (s) => ({ exitCode: 0, result: await importOrgs(s, path.resolve(ctx.cwd, file)) }), { profileOptional: true }), changed);
    },
  );

  addExchangeFlags(org.command('sync').description(vi ? 'cập nhật danh bạ từ danh sách cơ quan trên trục liên thông' : "fill the directory from the exchange's agency list"), ctx.lang).action(async (o: ExchangeFlags) => {
    await app.run(Boolean(o.json), async () => withSession(ctx, o, async (s) => ({ exitCode: 0, result: await syncOrgs(s) })), changed);
  });
}
