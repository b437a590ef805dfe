import type { Context } from './context.js';
import { escapeName } from './escape.js';

/**
 * `kyso sign` at a terminal, one file, several empty signature fields and no --field: lists them on stderr
 * (name, page) and asks which one to sign, by number or name. A wrong answer is asked again (3 tries in
 * all); an empty answer, end of input or a third wrong answer gives up (undefined: nothing is written and
 * the file fails with FIELD_CHOICE_NEEDED, exit 2).
 */
export function ttyFieldChooser(ctx: Context): (file: string, fields: { name: string; page?: number }[]) => Promise<string | undefined> {
  const vi = ctx.lang === 'vi';
  return async (file, fields) => {
    const n = fields.length;
    ctx.stderr.write(vi ? `${escapeName(file)}: văn bản có ${n} ô chữ ký còn trống:\n` : `${escapeName(file)}: the document has ${n} empty signature fields:\n`);
    fields.forEach((f, i) => {
      const where = f.page === undefined ? (vi ? 'không nằm trên trang nào' : 'not on a page') : vi ? `trang ${f.page}` : `page ${f.page}`;
      ctx.stderr.write(`  ${i + 1}) ${escapeName(f.name)} (${where})\n`);
    });
    const question = vi ? `Ký vào ô nào? (1-${n} hoặc tên ô, Enter để dừng)` : `Sign which field? (1-${n} or its name, Enter to stop)`;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const answer = (await ctx.prompt(attempt === 1 ? `${question}: ` : `${question} (${attempt}/3): `, { mask: false })).trim();
      if (answer === '') return undefined;
      const k = /^[0-9]+$/.test(answer) ? Number(answer) : NaN;
      if (Number.isInteger(k) && k >= 1 && k <= n) return fields[k - 1]!.name;
      const byName = fields.find((f) => f.name === answer);
      if (byName) return byName.name;
      ctx.stderr.write(
        vi ? `  không có ô "${escapeName(answer)}" trong danh sách trên\n` : `  "${escapeName(answer)}" is not one of the fields above\n`,
      );
    }
    return undefined;
  };
}
