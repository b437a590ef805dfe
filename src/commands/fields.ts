import type { Command } from 'commander';
import type { App } from '../cli/app.js';
import { renderTable } from '../cli/table.js';
import { listFields } from '../services/list-fields.js';

export function register(program: Command, app: App): void {
  const ctx = app.ctx;
  const vi = ctx.lang === 'vi';
  program
    .command('fields')
    .description(vi ? 'Liệt kê các trường biểu mẫu (ô chữ ký đã ký hay còn trống) và trang của chúng' : 'List the form fields of a PDF (signature fields signed or empty) and their pages')
    .argument('<file>', vi ? 'tệp PDF' : 'PDF file')
    .option('--json', vi ? 'kết quả dạng JSON' : 'print the result as JSON')
    .addHelpText('after', vi ? '\nVí dụ:\n  kyso fields cong-van.pdf\n' : '\nExample:\n  kyso fields contract.pdf --json\n')
    .action(async (file: string, o: { json?: boolean }) => {
      await app.run(
        Boolean(o.json),
        async () => ({ exitCode: 0, result: await listFields(file) }),
        (r) => {
          if (r.fields.length === 0) {
            ctx.stdout.write(vi ? `${r.file}: không có trường biểu mẫu nào (${r.pageCount} trang)\n` : `${r.file}: no form fields (${r.pageCount} pages)\n`);
            return;
          }
          const state = (f: (typeof r.fields)[number]) =>
            f.signed === null ? '' : f.signed ? (vi ? 'đã ký' : 'signed') : vi ? 'trống' : 'empty';
          renderTable(
            ctx.stdout,
            vi ? ['TRƯỜNG', 'LOẠI', 'TRẠNG THÁI', 'TRANG'] : ['FIELD', 'TYPE', 'STATE', 'PAGES'],
            r.fields.map((f) => [f.name, f.type === 'Sig' ? (vi ? 'chữ ký' : 'signature') : (f.type ?? '?'), state(f), f.pages.join(',') || '-']),
          );
        },
      );
    });
}
