#!/usr/bin/env node
// Builds the CLI bundle that bin/kyso.js runs: dist/bundle/kyso.cjs (the command dispatcher), one lazily
// loaded file per command (cmd-<name>.cjs) plus shared chunks, and dist/bundle/verify-worker.cjs (the worker
// thread's entry), all CommonJS, each with a V8 code cache trained here (stages 1–3 below). Node then reads a
// handful of files at start-up instead of ~300 ES modules. tsc stays the type checker and still writes the
// per-module dist/ that some tests and benchmarks import directly.
//
// Every output sits flat in dist/bundle/, two folders below the package root exactly like dist/<area>/*.js
// of the tsc build, so the worker's URL beside the code, `../../assets/...` and `../../package.json` resolve
// the same from either build.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'bundle');
/** Stage 1's ES modules: an intermediate, never run. */
const esmdir = path.join(root, 'dist', '.bundle-esm');
rmSync(outdir, { recursive: true, force: true });
rmSync(esmdir, { recursive: true, force: true });

/**
 * pdf-lib in the bundle. src/ imports pdf-lib only through src/pdf/pdf-lib.ts, which loads the package's
 * single-file build (fastest for the per-module tsc output, but 690 kB that every start would compile).
 * Here each `import { A, B } from '…/pdf-lib.js'` in src/ becomes imports of the ES modules that define A
 * and B, and those modules are declared free of side effects: esbuild assigns code to chunks by which
 * entries reach each file, so `kyso sign` and `kyso verify` then load pdf-lib's object model (~80 kB) and
 * only the commands that make new documents (demo, appearances) load PDFDocument, fonts and images.
 * One pdf-lib copy remains in the bundle, so PDFName identity and instanceof still hold.
 */
const PDF_LIB_MODULES = {
  PDFArray: 'core/objects/PDFArray.js', PDFBool: 'core/objects/PDFBool.js', PDFDict: 'core/objects/PDFDict.js',
  PDFHexString: 'core/objects/PDFHexString.js', PDFInvalidObject: 'core/objects/PDFInvalidObject.js',
  PDFName: 'core/objects/PDFName.js', PDFNumber: 'core/objects/PDFNumber.js', PDFObject: 'core/objects/PDFObject.js',
  PDFRawStream: 'core/objects/PDFRawStream.js', PDFRef: 'core/objects/PDFRef.js', PDFStream: 'core/objects/PDFStream.js',
  PDFString: 'core/objects/PDFString.js', PDFNull: 'core/objects/PDFNull.js', PDFContext: 'core/PDFContext.js',
  PDFContentStream: 'core/structures/PDFContentStream.js', PDFCatalog: 'core/structures/PDFCatalog.js',
  PDFPageLeaf: 'core/structures/PDFPageLeaf.js', PDFPageTree: 'core/structures/PDFPageTree.js',
  PDFOperator: 'core/operators/PDFOperator.js', PDFObjectParser: 'core/parser/PDFObjectParser.js',
  PDFDocument: 'api/PDFDocument.js', PDFFont: 'api/PDFFont.js', PDFPage: 'api/PDFPage.js', PDFImage: 'api/PDFImage.js',
  PDFForm: 'api/form/PDFForm.js', PDFTextField: 'api/form/PDFTextField.js', PDFSignature: 'api/form/PDFSignature.js',
  CustomFontSubsetEmbedder: 'core/embedders/CustomFontSubsetEmbedder.js', PngEmbedder: 'core/embedders/PngEmbedder.js',
  JpegEmbedder: 'core/embedders/JpegEmbedder.js',
};
/** Named (not default) exports of their module. */
const PDF_LIB_NAMED = {
  StandardFonts: 'api/StandardFonts.js', rgb: 'api/colors.js', grayscale: 'api/colors.js', cmyk: 'api/colors.js',
  degrees: 'api/rotations.js', ParseSpeeds: 'api/PDFDocumentOptions.js',
};

const pdfLibPlugin = {
  name: 'kyso-pdf-lib',
  setup(b) {
    const shimImport = /import\s*\{([^}]*)\}\s*from\s*'((?:\.\.?\/)+(?:pdf\/)?)pdf-lib\.js';/g;
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes("pdf-lib.js'") || args.path.endsWith(`${path.sep}pdf-lib.ts`)) return undefined;
      const contents = text.replace(shimImport, (_all, names) => {
        const lines = [];
        for (const raw of names.split(',')) {
          const spec = raw.trim();
          if (!spec || spec.startsWith('type ')) continue;
          const [name, alias = name] = spec.split(/\s+as\s+/).map((x) => x.trim());
          if (PDF_LIB_MODULES[name]) lines.push(`import ${alias} from 'pdf-lib/es/${PDF_LIB_MODULES[name]}';`);
          else if (PDF_LIB_NAMED[name]) lines.push(`import { ${name} as ${alias} } from 'pdf-lib/es/${PDF_LIB_NAMED[name]}';`);
          else throw new Error(`scripts/build.mjs: add pdf-lib's ${name} to PDF_LIB_MODULES (imported by ${args.path})`);
        }
        return lines.join(' ');
      });
      return { contents, loader: 'ts' };
    });
    // pdf-lib's utilities import the 14 standard fonts' metrics (123 kB) only for the list of their names:
    // the names are given here, so only the commands that draw text with a standard font load the metrics.
    b.onLoad({ filter: /[\\/]pdf-lib[\\/]es[\\/]utils[\\/]objects\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const names = ['Courier', 'Courier-Bold', 'Courier-Oblique', 'Courier-BoldOblique', 'Helvetica', 'Helvetica-Bold', 'Helvetica-Oblique', 'Helvetica-BoldOblique', 'Times-Roman', 'Times-Bold', 'Times-Italic', 'Times-BoldItalic', 'Symbol', 'ZapfDingbats'];
      const inline = `var FontNames = ${JSON.stringify(Object.fromEntries(names.map((n) => [n, n])))};`;
      const contents = text.replace("import { FontNames } from '@pdf-lib/standard-fonts';", inline);
      if (contents === text) throw new Error('scripts/build.mjs: pdf-lib/es/utils/objects.js changed; review the FontNames inlining');
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
    // pdf-lib uses pako only to deflate: it gets node:zlib instead (scripts/pako-zlib.mjs).
    b.onResolve({ filter: /^pako$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]pdf-lib[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(root, 'scripts', 'pako-zlib.mjs'), sideEffects: false };
    });
    // pdf-lib's ES modules (and those they import: its standard-font metrics) are declared free of
    // side effects.
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'kyso-pdf-lib') return undefined;
      const fromPdfLib = /[\\/]node_modules[\\/](pdf-lib|@pdf-lib[\\/]standard-fonts)[\\/]es[\\/]/.test(args.importer);
      if (!args.path.startsWith('pdf-lib/es/') && !fromPdfLib) return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'kyso-pdf-lib' });
      return { ...r, sideEffects: false };
    });
  },
};

/**
 * commander requires node:child_process at load time, only to spawn executable subcommands (kyso has none): that
 * one require loads net, dgram and child_process into every start-up, `--help` included. It is made lazy.
 */
const commanderPlugin = {
  name: 'kyso-commander',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!text.includes(eager)) throw new Error('scripts/build.mjs: commander/lib/command.js changed; review the lazy child_process');
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: text.replace(eager, lazy), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * pdf.js is bundled (as lazily loaded chunks, compiled from code caches like the rest: src/pdf/pdfjs-load.ts). At
 * load time in Node it requires @napi-rs/canvas (a 32 MB native module, ~37 ms) to polyfill DOMMatrix, ImageData and
 * Path2D, which only rendering uses; kyso only reads text positions. That step is left out, and with it the warnings
 * pdf.js prints on stdout when the polyfills are missing.
 */
const pdfjsPlugin = {
  name: 'kyso-pdfjs',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]pdfjs-dist[\\/]legacy[\\/]build[\\/]pdf\.mjs$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const polyfills = /(\/\/ \.\/src\/display\/node_utils\.js\s*)if \(isNodeJS\) \{\n  let canvas;/;
      if (!polyfills.test(text)) throw new Error('scripts/build.mjs: pdfjs-dist changed its Node polyfills (node_utils.js); review the pdf.js plugin');
      return { contents: text.replace(polyfills, '$1if (false) {\n  let canvas;'), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * fontkit (pdf-lib's, for the Liberation Serif of visible signatures) decompresses the Brotli dictionary of its WOFF2
 * reader when it loads: ~30 ms of JavaScript Brotli at every visible signature, for a font format kyso never reads
 * (it embeds a TrueType file). The dictionary is decompressed on first use instead.
 */
const fontkitPlugin = {
  name: 'kyso-fontkit',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]@pdf-lib[\\/]fontkit[\\/]dist[\\/]fontkit\.es\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const eager = '\ndictionary.init(BrotliDecompressBuffer);\n';
      if (text.split(eager).length !== 2) throw new Error('scripts/build.mjs: @pdf-lib/fontkit changed its Brotli dictionary set-up; review the fontkit plugin');
      const lazy =
        "\nObject.defineProperty(dictionary, 'dictionary', { configurable: true, get() { const d = dictionaryDataCompressed.init(BrotliDecompressBuffer); Object.defineProperty(dictionary, 'dictionary', { value: d, writable: true }); return d; } });\n";
      return { contents: text.replace(eager, lazy), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

function commandFiles() {
  return readdirSync(path.join(root, 'src', 'commands')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
}

/*
 * Stage 1: esbuild bundles and splits (one entry per command, shared chunks) as ES modules, the only format in
 * which it splits. The files are already named .cjs, so their references to each other are final.
 */
const result = await build({
  metafile: true,
  plugins: [pdfLibPlugin, commanderPlugin, pdfjsPlugin, fontkitPlugin],
  minify: !process.env.KYSO_BUILD_NO_MINIFY,
  // pdf-lib's dependencies have ES builds ("module") that can be tree-shaken like pdf-lib itself.
  mainFields: ['module', 'main'],
  absWorkingDir: root,
  // Each command is an entry of its own (cmd-<name>.cjs): main.ts imports it on demand, and a test can see
  // from the file names which command implementations a start-up loaded.
  entryPoints: {
    kyso: 'src/cli/main.ts',
    'code-cache': 'src/cli/code-cache.ts',
    'verify-worker': 'src/services/verify-worker.ts',
    // bin/kyso.js starts the single-file verify watchdog before the CLI loads (src/services/verify-watchdog.ts)
    'verify-watchdog': 'src/services/verify-watchdog.ts',
    ...Object.fromEntries(commandFiles().map((f) => [`cmd-${path.basename(f, '.ts')}`, `src/commands/${f}`])),
  },
  outdir: esmdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  chunkNames: 'chunk-[hash]',
  // Native addons and undici (loaded only for a network call; its CommonJS exports do not survive bundling) stay
  // in node_modules.
  external: ['pkcs11js', 'better-sqlite3', 'undici'],
  legalComments: 'none',
  logLevel: 'warning',
});

/*
 * Stage 2: each file becomes a CommonJS module, file by file (no re-bundling: chunk identity is kept), so that
 * bin/kyso.js can compile it with a V8 code cache (src/cli/code-cache.ts): Node 20 has no cache for ES
 * modules. `import.meta.url` becomes the file's own URL; the bundle's dynamic imports of its own chunks
 * become require(). Any other import() of a string is refused: a script compiled from a code cache has no
 * dynamic-import callback on Node 20, so an ES-module-only package must be bundled (as pdf.js is). Source maps are
 * composed with stage 1's, so KYSO_DEBUG still maps stack traces to src/.
 */
// the bundle's own files (chunks, commands, entries), Node's built-ins and undici (CommonJS): a require() behind a promise
const requirableImport = /\bimport\("(\.\/[A-Za-z0-9-]+\.cjs|node:[a-z0-9_/]+|undici)"\)/g;
// what is left would be a real import() at run time (pdf.js's `import("${url}")` is browser code in a template string)
const realImport = /\bimport\(\s*["'`](?!\$\{)/;
const toCommonJs = {
  name: 'kyso-esm-to-cjs',
  setup(b) {
    b.onLoad({ filter: /\.cjs$/ }, async (args) => {
      const contents = (await readFile(args.path, 'utf8')).replace(requirableImport, 'Promise.resolve().then(()=>require("$1"))');
      const left = realImport.exec(contents);
      if (left) throw new Error(`scripts/build.mjs: ${path.basename(args.path)} imports a package as an ES module (${contents.slice(left.index, left.index + 60)}…): bundle it, or add it to requirableImport if it is CommonJS`);
      return { contents, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};
const stage1 = readdirSync(esmdir).filter((f) => f.endsWith('.cjs'));
// import.meta.url of a CommonJS file
const BANNER = 'var __kysoUrl=require("node:url").pathToFileURL(__filename).href;';
await build({
  plugins: [toCommonJs],
  absWorkingDir: root,
  entryPoints: stage1.map((f) => path.join(esmdir, f)),
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: false,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: !process.env.KYSO_BUILD_NO_MINIFY,
  sourcemap: 'linked',
  define: { 'import.meta.url': '__kysoUrl' },
  banner: { js: BANNER },
  legalComments: 'none',
  logLevel: 'warning',
});
rmSync(esmdir, { recursive: true, force: true });
// Only the few files that use import.meta.url keep the banner; the others get an empty first line instead (their
// source maps count lines from the banner) and no pathToFileURL at every start-up (~45 files per verify, issue 16).
for (const f of readdirSync(outdir).filter((n) => n.endsWith('.cjs'))) {
  const text = readFileSync(path.join(outdir, f), 'utf8');
  if (text.startsWith(BANNER) && !text.slice(BANNER.length).includes('__kysoUrl')) writeFileSync(path.join(outdir, f), text.slice(BANNER.length));
}
// The entry of verify's worker threads (scripts/verify-worker-boot.cjs): it compiles the verification stack from
// caches trained in a worker (stage 3), then runs verify-worker.cjs. Plain CommonJS, compiled by Node.
copyFileSync(path.join(root, 'scripts', 'verify-worker-boot.cjs'), path.join(outdir, 'verify-worker-boot.cjs'));
// The metafile of stage 1, under the names of the files that run.
const outputs = Object.fromEntries(Object.entries(result.metafile.outputs).map(([k, v]) => [k.replace('dist/.bundle-esm/', 'dist/bundle/'), v]));
writeFileSync(path.join(outdir, 'meta.json'), JSON.stringify({ ...result.metafile, outputs }));

/*
 * Stage 3: train the code caches. One process runs the commands a clerk, a script and a CI job run most (the
 * top-level help, the demo: sign, verify, send, receive; then the single-file verify) with the cache in
 * 'write' mode, and writes each file's cache at exit; then one process per start-up-bound profile (one file
 * verified, one signed, the top-level help, a verify worker thread under either V8 flag set) writes caches holding
 * only what that run compiles (scripts/train-code-cache.mjs). A failure here only costs speed: the CLI compiles from source when a cache is
 * missing.
 */
if (!process.env.KYSO_BUILD_NO_CODE_CACHE) {
  const work = mkdtempSync(path.join(tmpdir(), 'kyso-build-train-'));
  try {
    // the general caches first (their demo leaves the files the profiles use), then one process per profile
    for (const profile of ['', 'verify', 'sign', 'help', 'worker', 'workerjobs']) {
      const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'train-code-cache.mjs'), work, ...(profile ? [profile] : [])], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, KYSO_P12_PASSWORD: '' } });
      if (r.status === 0) continue;
      console.warn(`scripts/build.mjs: the code cache${profile ? ` of ${profile}` : ''} was not trained (${(r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').pop()}); kyso will compile from source`);
      if (!profile) break;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
