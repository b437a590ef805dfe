/**
 * Turns the inputs a person typed (files, folders, simple globs) into a list of PDFs and plans where each
 * output goes (`-o`, `--out-dir` mirroring relative paths, or `<name>.signed.pdf` beside the input).
 * Planning refuses what must never happen (overwriting an input, an existing output without --force, a
 * missing output folder) before any key is opened. Node 20 has no fs.glob, hence the small matcher here.
 * A file whose name is not UTF-8 (old CP1258/VNI archives, issue 14) is signed like any other: it is opened by
 * its bytes (an FsPath), its output keeps the same name bytes, and people see the name \xNN-escaped.
 */
import { folderPathFor, listFolder } from '../io/byte-names.js';
import { baseNameBytes, dirOf, isUtf8Name, joinName, pathKey, showPath, type FsPath } from '../core/fs-path.js';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { inputError, msg, usageError, type KysoError } from '../core/errors.js';
import { checkNotAnInput, inputIdentities, sweepStaleTempsSync, type InputIdentities } from '../io/atomic-write.js';

export interface ExpandedInput {
  /** absolute path (a name that is not UTF-8 \xNN-escaped, as shown to people) */
  file: string;
  /** the path as fs opens it: `file` itself, or its bytes when its name is not UTF-8 */
  fsPath: FsPath;
  /** as shown to the person: the path as typed, or relative to the folder / glob base */
  display: string;
  /** path relative to its root (folder or glob base), as shown */
  rel: string;
  /** the same as bytes (found in a folder or glob): --out-dir mirrors sub-folder names byte for byte */
  relBytes?: Buffer;
  /** named on the command line (not found by expanding a folder or glob): always signed */
  explicit: boolean;
  /** a sub-folder whose own name is not UTF-8 that could not be opened by its bytes: refused per entry */
  folderNotUtf8?: boolean;
}

/** Why a file found in a batch is left alone (not an error): see planOutputs and signDocuments. */
export type SkipReason = 'signed-name' | 'output-exists' | 'already-signed';

export interface PlannedFile {
  /** absolute path of the input (a name that is not UTF-8 \xNN-escaped) */
  input: string;
  /** the input as fs opens it (its bytes when its name is not UTF-8) */
  inputPath: FsPath;
  display: string;
  /** absolute path of the output (escaped like `input`) */
  output?: string;
  /** the output as fs creates it: a name that is not UTF-8 is kept byte for byte */
  outputPath?: FsPath;
  /** the output as shown to the person (as typed with -o, or relative to the working folder) */
  outputDisplay?: string;
  /** set when this file cannot be signed as planned */
  error?: KysoError;
  /** set when this file is left alone on purpose */
  skipped?: SkipReason;
  explicit: boolean;
}

const GLOB_CHARS = /[*?[]/;
const TEMP_MARK = '.kyso-tmp-';

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += '[' + glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

interface Found {
  /** absolute path as shown, a name that is not UTF-8 \xNN-escaped */
  file: string;
  /** the path fs opens: a string (under /proc/self/fd/<n> inside a folder whose name is not UTF-8), or bytes */
  fsPath: FsPath;
  /** its path below the walked root as bytes (for --out-dir mirroring: sub-folder names kept byte for byte) */
  relBytes: Buffer;
  /** a folder whose name is not UTF-8 and that could not be opened by its bytes (not entered) */
  folderNotUtf8?: boolean;
}

/**
 * Files under a folder, sorted. `fsDir` is how fs reaches the folder, `showDir` how people see it. A name that is
 * not UTF-8 is kept as bytes (in fsPath and relBytes) and escaped in `file`; such a sub-folder is entered through
 * /proc/self/fd (folderPathFor), so the paths inside it stay strings.
 */
async function walk(fsDir: string, showDir: string, out: Found[], depth = 0, relDir: Buffer = Buffer.alloc(0)): Promise<void> {
  if (depth > 64) return;
  let entries;
  try {
    entries = await listFolder(fsDir);
  } catch {
    return;
  }
  for (const e of entries) {
    const shown = path.join(showDir, e.name);
    const relBytes = relDir.length ? Buffer.concat([relDir, Buffer.from('/'), e.bytes]) : e.bytes;
    if (e.isDirectory && e.notUtf8) {
      const inside = folderPathFor(joinName(fsDir, e.bytes));
      if (inside) await walk(inside, shown, out, depth + 1, relBytes);
      else out.push({ file: shown, fsPath: joinName(fsDir, e.bytes), relBytes, folderNotUtf8: true });
    } else if (e.isDirectory) await walk(path.join(fsDir, e.name), shown, out, depth + 1, relBytes);
    else if (e.isFile && !e.name.includes(TEMP_MARK)) out.push({ file: shown, fsPath: joinName(fsDir, e.bytes), relBytes });
  }
}

/** Expands inputs. A path that does not exist stays in the list (its error is reported per file). */
export async function expandInputs(inputs: string[], cwd: string): Promise<ExpandedInput[]> {
  const out: ExpandedInput[] = [];
  const seen = new Set<string>();
  const add = (e: ExpandedInput) => {
    const key = pathKey(e.fsPath);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(e);
  };
  for (const raw of inputs) {
    const abs = path.resolve(cwd, raw);
    if (GLOB_CHARS.test(raw)) {
      const norm = raw.split(path.sep).join('/');
      const parts = norm.split('/');
      const firstGlob = parts.findIndex((p) => GLOB_CHARS.test(p));
      const baseRel = parts.slice(0, firstGlob).join('/') || '.';
      const base = path.resolve(cwd, baseRel === '' ? '/' : baseRel);
      const pattern = parts.slice(firstGlob).join('/');
      const re = globToRegExp(pattern);
      // a folder the pattern may descend into (`**` or a later name) and whose name is not UTF-8 is reported
      const descends = pattern.includes('**') || pattern.includes('/');
      const files: Found[] = [];
      await walk(base, base, files);
      const matched = files
        .map((f) => ({ f, rel: path.relative(base, f.file).split(path.sep).join('/') }))
        .filter((x) => (x.f.folderNotUtf8 ? descends : re.test(x.rel)));
      if (matched.length === 0) {
        add({ file: abs, fsPath: abs, display: raw, rel: path.basename(raw), explicit: true });
        continue;
      }
      for (const m of matched) add({ file: m.f.file, fsPath: m.f.fsPath, display: path.join(baseRel, m.rel), rel: m.rel, relBytes: m.f.relBytes, explicit: false, folderNotUtf8: m.f.folderNotUtf8 });
      continue;
    }
    let st;
    try {
      st = statSync(abs); // a metadata call: in place, like the rest of planning
    } catch {
      add({ file: abs, fsPath: abs, display: raw, rel: path.basename(abs), explicit: true });
      continue;
    }
    if (st.isDirectory()) {
      const files: Found[] = [];
      await walk(abs, abs, files, 0);
      for (const f of files.filter((f) => f.folderNotUtf8 || /\.pdf$/i.test(f.file))) {
        const rel = path.relative(abs, f.file).split(path.sep).join('/');
        add({ file: f.file, fsPath: f.fsPath, display: path.join(raw, rel), rel, relBytes: f.relBytes, explicit: false, folderNotUtf8: f.folderNotUtf8 });
      }
    } else add({ file: abs, fsPath: abs, display: raw, rel: path.basename(abs), explicit: true });
  }
  return out;
}

export function defaultOutputName(input: string): string {
  const base = path.basename(input);
  const stem = base.replace(/\.pdf$/i, '');
  return path.join(path.dirname(input), `${stem}.signed.pdf`);
}

/** `<name>.signed.pdf` for a name given as bytes (kept byte for byte: it may not be UTF-8). */
function signedNameBytes(name: Buffer): Buffer {
  const stem = /\.pdf$/i.test(name.toString('latin1')) ? name.subarray(0, name.length - 4) : name;
  return Buffer.concat([stem, Buffer.from('.signed.pdf')]);
}

function relOrAbs(cwd: string, p: string): string {
  const r = path.relative(cwd, p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
}

/** What is at `p` (synchronous: a metadata call, made several times per file of a batch; issue 16). */
function exists(p: FsPath): 'file' | 'dir' | undefined {
  const st = statSync(p, { throwIfNoEntry: false });
  return st === undefined ? undefined : st.isDirectory() ? 'dir' : 'file';
}

export interface PlanOptions {
  cwd: string;
  output?: string;
  outDir?: string;
  force: boolean;
  /** an existing output is skipped (not an error): re-running an interrupted batch resumes it */
  skipExisting?: boolean;
}

/** kyso's own default output name: `<name>.signed.pdf` */
export function isSignedName(file: string): boolean {
  return /\.signed\.pdf$/i.test(file);
}

/** Decides each output; whole-run usage errors (e.g. -o with several inputs) are thrown. */
export async function planOutputs(files: ExpandedInput[], opts: PlanOptions): Promise<PlannedFile[]> {
  return (await planBatch(files, opts)).planned;
}

/**
 * planOutputs, plus the identities (device+inode, real path) of every input, which the batch checks again
 * right before each rename: computed once here, not once more by the caller (issue 16).
 */
export async function planBatch(files: ExpandedInput[], opts: PlanOptions): Promise<{ planned: PlannedFile[]; inputIds: InputIdentities }> {
  if (opts.output && opts.outDir) {
    throw usageError('OUTPUT_CONFLICT', msg('give either -o or --out-dir, not both', 'chỉ dùng -o hoặc --out-dir, không dùng cả hai'));
  }
  if (files.length === 0) throw usageError('NO_INPUT', msg('no PDF to sign was found in the inputs given', 'không tìm thấy tệp PDF nào để ký trong các đầu vào đã cho'));
  if (opts.output && files.length > 1) {
    throw usageError(
      'OUTPUT_WITH_MANY_INPUTS',
      msg(`-o takes one input, but ${files.length} PDFs were given: use --out-dir`, `-o chỉ dùng cho một tệp, nhưng có ${files.length} tệp PDF: hãy dùng --out-dir`),
    );
  }
  let outDir: string | undefined;
  if (opts.outDir) {
    outDir = path.resolve(opts.cwd, opts.outDir);
    if (exists(outDir) !== 'dir') {
      throw usageError('OUTPUT_DIR_MISSING', msg(`${opts.outDir}: the output folder does not exist`, `${opts.outDir}: thư mục đầu ra không tồn tại`), {
        hint: msg('Create it first, or choose another --out-dir.', 'Hãy tạo thư mục trước, hoặc chọn --out-dir khác.'),
      });
    }
  }
  if (opts.output && files.length === 1 && exists(path.resolve(opts.cwd, opts.output)) === 'dir') {
    throw usageError('OUTPUT_IS_DIR', msg(`${opts.output}: the output is a folder`, `${opts.output}: tệp đầu ra là một thư mục`), {
      hint: msg(`To write into this folder use --out-dir ${opts.output}`, `Để ghi vào thư mục này, dùng --out-dir ${opts.output}`),
    });
  }
  // Files found by expanding a folder or glob and named like kyso's own outputs are left alone (signing
  // a folder twice must not produce *.signed.signed.pdf); files named on the command line are always signed.
  // Paths are told apart by their bytes (pathKey): an escaped name never stands for another file.
  const skippedByName = new Set(files.filter((f) => !f.explicit && !f.folderNotUtf8 && isSignedName(f.file)).map((f) => pathKey(f.fsPath)));
  const kept = files.filter((f) => !f.folderNotUtf8 && !skippedByName.has(pathKey(f.fsPath)));
  const inputs = new Map(kept.map((f) => [pathKey(f.fsPath), f.display]));
  const allIds = await inputIdentities(files.filter((f) => !f.folderNotUtf8).map((f) => f.fsPath));
  // the outputs planned here must not be any input kept for signing (a skipped *.signed.pdf may be the
  // output that already exists: OUTPUT_EXISTS, --skip-existing or --force decide); at the rename, none may be
  // any input at all
  const keptShown = new Set(kept.map((f) => showPath(f.fsPath)));
  const inputIds: InputIdentities = {
    ids: new Map([...allIds.ids].filter(([, v]) => keptShown.has(v))),
    reals: new Map([...allIds.reals].filter(([, v]) => keptShown.has(v))),
  };
  // each output folder is looked at once
  const folderKinds = new Map<string, 'file' | 'dir' | undefined>();
  // and its real path asked for once (the outputs' identity checks)
  const folderReals = new Map<string, Buffer | null>();
  const folderKind = (d: string) => {
    let k = folderKinds.get(d);
    if (!folderKinds.has(d)) folderKinds.set(d, (k = exists(d)));
    return k;
  };
  const taken = new Set<string>();
  const planned: PlannedFile[] = [];
  for (const f of files) {
    const p: PlannedFile = { input: f.file, inputPath: f.fsPath, display: f.display, explicit: f.explicit };
    planned.push(p);
    if (skippedByName.has(pathKey(f.fsPath))) {
      p.skipped = 'signed-name';
      continue;
    }
    if (f.folderNotUtf8) {
      p.error = inputError(
        'INPUT_FOLDER_NOT_UTF8',
        msg(
          `${f.display}: the folder name is not UTF-8 (an old encoding such as CP1258 or VNI): the files in it are not signed; rename the folder to sign them`,
          `${f.display}: tên thư mục không ở dạng UTF-8 (bảng mã cũ như CP1258, VNI): các tệp trong thư mục chưa được ký; hãy đổi tên thư mục rồi ký lại`,
        ),
      );
      continue;
    }
    const kind = allIds.kinds?.get(pathKey(f.fsPath)) ?? exists(f.fsPath);
    if (kind === undefined) {
      p.error = inputError('INPUT_NOT_FOUND', msg(`${f.display}: file not found`, `${f.display}: không tìm thấy tệp`));
      continue;
    }
    if (kind === 'dir') {
      p.error = inputError('INPUT_NOT_FILE', msg(`${f.display}: is a folder, not a PDF file`, `${f.display}: là thư mục, không phải tệp PDF`));
      continue;
    }
    // the output keeps the input's own name bytes (--out-dir) or adds .signed.pdf to them (beside the input)
    const name = baseNameBytes(f.fsPath);
    // (in a folder whose name is not UTF-8, the input's folder is a /proc/self/fd path and --out-dir mirrors the
    // sub-folder names by their bytes: prepareOutputFolder makes them when signing)
    const outPath: FsPath = opts.output
      ? path.resolve(opts.cwd, opts.output)
      : outDir
        ? f.relBytes && !isUtf8Name(f.relBytes)
          ? Buffer.concat([Buffer.from(`${outDir}/`), f.relBytes])
          : joinName(path.dirname(path.join(outDir, f.rel)), name)
        : joinName(dirOf(f.fsPath), signedNameBytes(name));
    const out = showPath(outPath);
    const outKey = pathKey(outPath);
    p.output = out;
    p.outputPath = outPath;
    const shown = opts.output ?? (outDir ? path.join(opts.outDir!, f.rel) : relOrAbs(opts.cwd, showPath(joinName(path.dirname(f.file), signedNameBytes(name)))));
    p.outputDisplay = shown;
    const self = outKey === pathKey(f.fsPath);
    if (inputs.has(outKey) || self) {
      const other = self ? f.display : inputs.get(outKey)!;
      p.error = usageError(
        'OUTPUT_IS_INPUT',
        self
          ? msg(`${f.display}: the output would overwrite this input itself; choose another name`, `${f.display}: tệp đầu ra sẽ ghi đè chính tệp đầu vào này; hãy chọn tên khác`)
          : msg(`${f.display}: its output would overwrite ${other}, which is also an input; choose another name or --out-dir`, `${f.display}: tệp đầu ra sẽ ghi đè ${other}, cũng là một tệp đầu vào; hãy chọn tên khác hoặc dùng --out-dir`),
      );
      continue;
    }
    let outKind: 'file' | 'dir' | undefined;
    try {
      // the same file under another path: a symlinked folder, a symlink, a hard link (device+inode, real path);
      // what is at the output now comes from the same stat
      outKind = checkNotAnInput(outPath, inputIds, shown, folderReals);
    } catch (e) {
      p.error = e as KysoError;
      continue;
    }
    if (taken.has(outKey)) {
      p.error = usageError('OUTPUT_DUPLICATE', msg(`${shown}: two inputs would be written to the same output`, `${shown}: hai tệp đầu vào sẽ ghi vào cùng một tệp đầu ra`));
      continue;
    }
    taken.add(outKey);
    const dir = path.dirname(out);
    const dirKind = folderKind(dir);
    if (dirKind !== 'dir') {
      // --out-dir itself exists (checked above); its mirrored sub-folders are created when writing.
      const insideOutDir = outDir !== undefined && (dir + path.sep).startsWith(outDir + path.sep);
      if (!insideOutDir || dirKind === 'file') {
        const d = path.dirname(shown);
        p.error = usageError('OUTPUT_DIR_MISSING', msg(`${d}: the output folder does not exist`, `${d}: thư mục đầu ra không tồn tại`));
        continue;
      }
    }
    if (outKind === 'dir') {
      p.error = usageError('OUTPUT_IS_DIR', msg(`${shown}: the output is a folder`, `${shown}: tệp đầu ra là một thư mục`));
      continue;
    }
    if (outKind === 'file' && opts.skipExisting && !opts.force) {
      p.skipped = 'output-exists';
      continue;
    }
    if (outKind === 'file' && !opts.force) {
      p.error = usageError('OUTPUT_EXISTS', msg(`${shown}: the output file exists already (use --force to replace it, or --skip-existing to leave it)`, `${shown}: tệp đầu ra đã tồn tại (dùng --force để ghi đè, hoặc --skip-existing để bỏ qua)`));
    }
  }
  return { planned, inputIds: allIds };
}

/**
 * Makes the output's folder (mkdir -p; by its bytes when a name in it is not UTF-8, as --out-dir mirrors such a
 * sub-folder) before anything is written there. Such a folder is then reached through /proc/self/fd, so the
 * output's path, and the temp files beside it, are strings again. `made` remembers the folders of the batch.
 */
export async function prepareOutputFolder(p: PlannedFile, made: Map<string, string>): Promise<void> {
  const out = p.outputPath!;
  const cut = typeof out === 'string' ? -1 : out.lastIndexOf(0x2f);
  const dir: FsPath = typeof out === 'string' ? path.dirname(out) : out.subarray(0, cut);
  const key = pathKey(dir);
  let reached = made.get(key);
  if (reached === undefined) {
    mkdirSync(dir, { recursive: true });
    const utf8 = typeof dir === 'string' || isUtf8Name(dir);
    reached = utf8 ? dir.toString() : folderPathFor(dir);
    if (reached === undefined) throw new Error(`${showPath(dir)}: the folder cannot be opened by its name's bytes`);
    made.set(key, reached);
    // (the batch sweeps its string-named output folders before it starts; this one is reachable only now)
    if (!utf8) sweepStaleTempsSync(reached);
  }
  if (typeof out !== 'string' && !isUtf8Name(dir as Buffer)) {
    p.outputPath = joinName(reached, out.subarray(cut + 1));
    p.output = showPath(p.outputPath);
  }
}
