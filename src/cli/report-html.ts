import type { Lang } from '../core/types.js';
import type { FileIndication, FileReport, SignatureReport, VerifyRunResult } from '../services/verify-types.js';
import { advice } from './report-text.js';
import { renderProblem } from './catalogue/index.js';

/**
 * `kyso verify --format html` and `kyso report merge --format html`: one self-contained page (inline CSS,
 * system fonts, no script, no network). Summary counts with a proportional bar, a table of files with verdict
 * colours, a filter by verdict (CSS-only radio buttons, so it works with scripts disabled) and, per file,
 * every signature's signer, time, level, trust path, problems and the advice the text report gives.
 */

const L = {
  en: {
    title: 'Signature verification report',
    generated: 'Generated',
    files: 'Files',
    all: 'All',
    file: 'File',
    verdict: 'Verdict',
    signatures: 'Signatures',
    signer: 'Signer',
    time: 'Time',
    level: 'Level',
    trustPath: 'Trust path',
    problems: 'Problems',
    advice: 'What to do',
    claimed: 'claimed, not proven',
    timestamp: 'timestamp',
    docTs: 'document timestamp',
    validUntil: 'Verifiable without fresh data until',
    none: 'none',
    shard: (n: number, t: number) => `merged from ${n} shard reports (${t} files)`,
    unknown: 'unknown signer',
  },
  vi: {
    title: 'Báo cáo kiểm tra chữ ký số',
    generated: 'Thời điểm lập',
    files: 'Số tệp',
    all: 'Tất cả',
    file: 'Tệp',
    verdict: 'Kết quả',
    signatures: 'Chữ ký',
    signer: 'Người ký',
    time: 'Thời điểm',
    level: 'Mức',
    trustPath: 'Chuỗi tin cậy',
    problems: 'Vấn đề',
    advice: 'Cần làm gì',
    claimed: 'tự khai, chưa được chứng minh',
    timestamp: 'dấu thời gian',
    docTs: 'dấu thời gian văn bản',
    validUntil: 'Kiểm tra được mà không cần dữ liệu mới đến',
    none: 'không có',
    shard: (n: number, t: number) => `gộp từ ${n} báo cáo phân đoạn (${t} tệp)`,
    unknown: 'không rõ người ký',
  },
};

export const VERDICT_LABEL: Record<Lang, Record<FileIndication, string>> = {
  en: { TOTAL_PASSED: 'Passed', TOTAL_FAILED: 'Failed', INDETERMINATE: 'Indeterminate', NO_SIGNATURE: 'Unsigned', ERROR: 'Unreadable' },
  vi: { TOTAL_PASSED: 'Hợp lệ', TOTAL_FAILED: 'Không hợp lệ', INDETERMINATE: 'Chưa xác định', NO_SIGNATURE: 'Chưa ký', ERROR: 'Không đọc được' },
};

const CLS: Record<FileIndication, string> = { TOTAL_PASSED: 'passed', TOTAL_FAILED: 'failed', INDETERMINATE: 'indeterminate', NO_SIGNATURE: 'unsigned', ERROR: 'error' };
const ORDER: FileIndication[] = ['TOTAL_PASSED', 'TOTAL_FAILED', 'INDETERMINATE', 'NO_SIGNATURE', 'ERROR'];
const COUNT_KEY: Record<FileIndication, keyof VerifyRunResult['summary']> = {
  TOTAL_PASSED: 'passed',
  TOTAL_FAILED: 'failed',
  INDETERMINATE: 'indeterminate',
  NO_SIGNATURE: 'unsigned',
  ERROR: 'errors',
};

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function cn(dn: string): string {
  const m = /(?:^|,\s*)CN=((?:\\,|[^,])*)/.exec(dn);
  return m ? m[1]!.replace(/\\,/g, ',') : dn;
}

function sigBlock(s: SignatureReport & { validUntil?: string | null }, lang: Lang): string {
  const t = L[lang];
  const who = s.signer ? esc(cn(s.signer.subject)) : esc(t.unknown);
  const ind = s.indication as FileIndication;
  const time = s.timestamp?.valid ? `${esc(s.timestamp.time)} (${t.timestamp})` : s.signingTime ? `${esc(s.signingTime)} (${t.claimed})` : '—';
  const path = s.signer ? `${esc(s.signer.subject)} ← ${esc(s.signer.issuer)} · ${esc(s.trust)}` : esc(s.trust);
  const probs = s.problems.map((p) => `<li>${esc(renderProblem(p, lang))}</li>`).join('');
  const kind = s.type === 'timestamp' ? ` <span class="tag">${t.docTs}</span>` : '';
  return `<div class="sig"><div class="sighead"><b>${esc(s.field)}</b>${kind} <span class="badge ${CLS[ind]}">${esc(VERDICT_LABEL[lang][ind])}${s.subIndication ? ` · ${esc(s.subIndication)}` : ''}</span></div>
<dl><dt>${t.signer}</dt><dd>${who}</dd><dt>${t.time}</dt><dd>${time}</dd><dt>${t.level}</dt><dd>${esc(s.level)}</dd><dt>${t.trustPath}</dt><dd>${path}</dd>${
    s.validUntil ? `<dt>${t.validUntil}</dt><dd>${esc(s.validUntil)}</dd>` : ''
  }${probs ? `<dt>${t.problems}</dt><dd><ul>${probs}</ul></dd>` : ''}</dl></div>`;
}

function fileRow(f: FileReport, lang: Lang): string {
  const ind = f.indication;
  const err = f.error ? `<p class="err">${esc(lang === 'vi' ? (f.error.messageVi ?? f.error.message) : f.error.message)}</p>` : '';
  const sigs = f.signatures.map((s) => sigBlock(s, lang)).join('');
  return `<tr class="row ${CLS[ind]}" data-verdict="${CLS[ind]}"><td class="fname">${esc(f.file)}</td><td><span class="badge ${CLS[ind]}">${esc(VERDICT_LABEL[lang][ind])}</span></td><td class="num">${f.signatures.length}</td>
<td><details${ind === 'TOTAL_FAILED' || ind === 'INDETERMINATE' ? ' open' : ''}><summary>${esc(advice(f, lang))}</summary>${err}${sigs}</details></td></tr>`;
}

export function renderVerifyHtml(
  r: VerifyRunResult & { merged?: { reports: number; shards: number | null; totalFiles: number } },
  opts: { lang: Lang; allowUnsigned?: boolean; generatedAt: Date },
): string {
  const t = L[opts.lang];
  const s = r.summary;
  const total = Math.max(1, s.files);
  const bar = ORDER.map((ind) => {
    const n = s[COUNT_KEY[ind]];
    return n > 0 ? `<span class="seg ${CLS[ind]}" style="width:${((100 * n) / total).toFixed(3)}%" title="${esc(VERDICT_LABEL[opts.lang][ind])}: ${n}"></span>` : '';
  }).join('');
  const counts = ORDER.map(
    (ind) => `<div class="count ${CLS[ind]}" data-count="${CLS[ind]}"><span class="n">${s[COUNT_KEY[ind]]}</span><span class="l">${esc(VERDICT_LABEL[opts.lang][ind])}</span></div>`,
  ).join('');
  const filters = [`<input type="radio" name="f" id="f-all" checked><label for="f-all">${t.all} (${s.files})</label>`]
    .concat(ORDER.map((ind) => `<input type="radio" name="f" id="f-${CLS[ind]}"><label for="f-${CLS[ind]}">${esc(VERDICT_LABEL[opts.lang][ind])} (${s[COUNT_KEY[ind]]})</label>`))
    .join('');
  const hide = ORDER.map((ind) => `#f-${CLS[ind]}:checked ~ table tr.row:not(.${CLS[ind]})`).join(',\n');
  const merged = r.merged?.shards ? ` · ${esc(t.shard(r.merged.reports, r.merged.totalFiles))}` : '';
  return `<!DOCTYPE html>
<html lang="${opts.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${t.title}</title>
<style>
body{font-family:"Liberation Sans","DejaVu Sans",Arial,sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:22px;margin:0 0 4px}
.meta{color:#57606a;font-size:13px;margin-bottom:16px}
.counts{display:flex;gap:12px;margin:12px 0}
.count{border-radius:6px;padding:8px 14px;min-width:90px;border:1px solid #d0d7de}
.count .n{display:block;font-size:26px;font-weight:bold}
.count .l{font-size:13px}
.bar{display:flex;height:18px;border-radius:9px;overflow:hidden;background:#eaeef2;margin:8px 0 18px}
.seg{display:block;height:100%}
.passed{--c:#1a7f37;--b:#dafbe1}.failed{--c:#cf222e;--b:#ffebe9}.indeterminate{--c:#9a6700;--b:#fff8c5}.unsigned{--c:#57606a;--b:#eaeef2}.error{--c:#8250df;--b:#fbefff}
.seg{background:var(--c)}
.count{background:var(--b)}.count .n{color:var(--c)}
.badge{display:inline-block;white-space:nowrap;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:bold;color:#fff;background:var(--c)}
.filters{margin:6px 0 10px}
.filters input{display:none}
.filters label{display:inline-block;border:1px solid #d0d7de;border-radius:14px;padding:3px 12px;margin:0 6px 6px 0;cursor:pointer;font-size:13px}
.filters input:checked+label{background:#0969da;color:#fff;border-color:#0969da}
${hide}{display:none}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
tr.row{border-left:4px solid var(--c)}
td.fname{font-family:"DejaVu Sans Mono",monospace;font-size:13px;word-break:break-all}
td.num{text-align:right}
details summary{cursor:pointer}
.sig{border:1px solid #d0d7de;border-radius:6px;padding:6px 10px;margin:6px 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0 0;font-size:13px}
dt{color:#57606a}dd{margin:0}
.tag{font-size:11px;color:#57606a}
.err{color:#8250df}
</style></head><body>
<h1>${t.title}</h1>
<div class="meta">${t.generated}: ${esc(opts.generatedAt.toISOString())} · ${t.files}: <span id="total">${s.files}</span>${merged}</div>
<div class="counts">${counts}</div>
<div class="bar" role="img" aria-label="${esc(ORDER.map((ind) => `${VERDICT_LABEL[opts.lang][ind]} ${s[COUNT_KEY[ind]]}`).join(', '))}">${bar}</div>
<div class="filters">${filters}
<table><thead><tr><th>${t.file}</th><th>${t.verdict}</th><th>${t.signatures}</th><th>${t.advice}</th></tr></thead>
<tbody>
${r.files.map((f) => fileRow(f, opts.lang)).join('\n')}
</tbody></table></div>
</body></html>
`;
}
