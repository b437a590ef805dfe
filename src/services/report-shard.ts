/**
 * Verification across many machines: `kyso verify --shard i/n` keeps the files whose path relative to the
 * argument that found them hashes to shard i (SHA-256, first 4 bytes, modulo n), so that every machine,
 * given the same arguments, picks a disjoint share and together they cover every file. Each shard report
 * records its spec, the total number of files discovered and each file's position in the full run, so
 * that `kyso report merge` can rebuild exactly the single-run report and refuse to merge an incomplete set.
 */
import { createHash } from 'node:crypto';
import { inputError, msg, usageError } from '../core/errors.js';
import { summarize, type FileReport, type VerifyRunResult } from './verify-types.js';

export interface ShardSpec {
  /** 1-based */
  index: number;
  count: number;
}

/** What a shard report says about itself (the `shard` field of `kyso verify --json` with --shard). */
export interface ShardInfo extends ShardSpec {
  /** Files the whole run discovered (all shards together). */
  totalFiles: number;
  /** Position of each reported file in the whole run, same order as `files`. */
  positions: number[];
}

export type ShardedRunResult = VerifyRunResult & { shard?: ShardInfo };

export function parseShard(s: string): ShardSpec {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(s.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw usageError(
      'USAGE',
      msg(`--shard must be i/n with 1 <= i <= n, e.g. 1/4 (got "${s}"); shards are numbered from 1`, `--shard phải có dạng i/n với 1 <= i <= n, ví dụ 1/4 (nhận "${s}"); phân đoạn được đánh số từ 1`),
    );
  }
  return { index, count };
}

/** Shard (1-based) of a file, from its path relative to the argument (forward slashes). */
export function shardOf(relPath: string, count: number): number {
  const h = createHash('sha256').update(relPath.split('\\').join('/')).digest();
  return (h.readUInt32BE(0) % count) + 1;
}

/** Indices (into `rels`) of the files that belong to `spec`. */
export function selectShard(rels: string[], spec: ShardSpec): number[] {
  const out: number[] = [];
  rels.forEach((r, i) => {
    if (shardOf(r, spec.count) === spec.index) out.push(i);
  });
  return out;
}

/** One report as read from disk: the `kyso verify --json` envelope (or its bare `result`). */
export interface LoadedReport {
  name: string;
  doc: unknown;
}

function fail(code: string, en: string, vi: string): never {
  throw inputError(code, msg(en, vi));
}

/**
 * Joins shard reports into the report a single run would have produced. Every shard 1..n of the same n and
 * the same total must be present exactly once, each a finished run, and together they must hold exactly
 * `totalFiles` files; otherwise the merge fails (REPORT_SHARD_MISSING and friends, exit 5) rather than
 * report a smaller archive. Reports without shard info are concatenated as they are.
 */
export function mergeReports(reports: LoadedReport[]): VerifyRunResult & { merged: { reports: number; shards: number | null; totalFiles: number } } {
  if (reports.length === 0) fail('REPORT_NONE', 'no report to merge', 'không có báo cáo nào để gộp');
  const results: Array<{ name: string; r: ShardedRunResult }> = [];
  for (const { name, doc } of reports) {
    const d = doc as { result?: unknown; ok?: boolean; error?: { code?: string } | null; files?: unknown };
    const r = (d && typeof d === 'object' && 'result' in d ? d.result : d) as ShardedRunResult | null;
    if (!r || !Array.isArray(r.files)) {
      const why = d?.error?.code ? ` (the run failed: ${d.error.code})` : '';
      fail('REPORT_INVALID', `${name}: not a kyso verify JSON report${why}`, `${name}: không phải báo cáo JSON của kyso verify${why}`);
    }
    results.push({ name, r });
  }
  const sharded = results.filter((x) => x.r.shard);
  if (sharded.length > 0 && sharded.length !== results.length)
    fail('REPORT_MIXED', 'some reports are shards and some are not; merge the shards of one run', 'có báo cáo là phân đoạn, có báo cáo không; hãy gộp các phân đoạn của cùng một lần chạy');
  if (sharded.length === 0) {
    const files = results.flatMap((x) => x.r.files);
    return { summary: summarize(files), files, merged: { reports: results.length, shards: null, totalFiles: files.length } };
  }
  const count = sharded[0]!.r.shard!.count;
  const total = sharded[0]!.r.shard!.totalFiles;
  const byIndex = new Map<number, string>();
  for (const { name, r } of sharded) {
    const s = r.shard!;
    if (s.count !== count || s.totalFiles !== total)
      fail(
        'REPORT_SHARD_MISMATCH',
        `${name}: shard ${s.index}/${s.count} of ${s.totalFiles} files does not belong with ${sharded[0]!.name} (${count} shards, ${total} files): different runs or different inputs`,
        `${name}: phân đoạn ${s.index}/${s.count} (${s.totalFiles} tệp) không cùng lần chạy với ${sharded[0]!.name} (${count} phân đoạn, ${total} tệp)`,
      );
    if (byIndex.has(s.index)) fail('REPORT_SHARD_DUPLICATE', `${name}: shard ${s.index}/${count} given twice (also ${byIndex.get(s.index)})`, `${name}: phân đoạn ${s.index}/${count} bị lặp (cả ${byIndex.get(s.index)})`);
    if (s.positions.length !== r.files.length) fail('REPORT_INVALID', `${name}: shard positions do not match its files`, `${name}: vị trí tệp của phân đoạn không khớp`);
    byIndex.set(s.index, name);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0)
    fail(
      'REPORT_SHARD_MISSING',
      `shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: the run is incomplete (a shard crashed, timed out or its report was not collected)`,
      `thiếu phân đoạn ${missing.map((i) => `${i}/${count}`).join(', ')}: lần chạy chưa đầy đủ (một phân đoạn bị lỗi, quá thời gian hoặc chưa thu báo cáo)`,
    );
  const slots: Array<FileReport | undefined> = new Array(total);
  let n = 0;
  for (const { name, r } of sharded) {
    r.files.forEach((f, k) => {
      const pos = r.shard!.positions[k]!;
      if (!(pos >= 0 && pos < total) || slots[pos]) fail('REPORT_SHARD_OVERLAP', `${name}: file ${f.file} overlaps another shard`, `${name}: tệp ${f.file} trùng với phân đoạn khác`);
      slots[pos] = f;
      n++;
    });
  }
  if (n !== total)
    fail('REPORT_SHARD_MISSING', `the shards hold ${n} of the ${total} files the run found: the run is incomplete`, `các phân đoạn chỉ có ${n} trên ${total} tệp của lần chạy: lần chạy chưa đầy đủ`);
  const files = slots as FileReport[];
  return { summary: summarize(files), files, merged: { reports: results.length, shards: count, totalFiles: total } };
}
