/**
 * pdf.js (pdfjs-dist, legacy build: it runs on Node 20) for text positions: the anchors of visible signatures
 * (anchor.ts) and the text under a new signature widget (changes/text-overlap.ts). Loaded once per process, on
 * first use, with its worker module in this thread: pdf.js then runs its "fake worker" from
 * `globalThis.pdfjsWorker` instead of importing the worker file by URL.
 *
 * In the bundle (scripts/build.mjs) both modules are chunks of kyso's own, compiled from V8 code caches like the
 * rest; loaded from node_modules as ES modules they took ~0.18 s to compile and run at every visible signature,
 * and pdf.js also loaded @napi-rs/canvas (a 32 MB native module, ~37 ms) only to polyfill DOMMatrix, ImageData
 * and Path2D for rendering, which kyso never does: the build leaves that step out (issue 16).
 *
 * The legacy build bundles core-js, which replaces built-ins that Node 20 already has: among them
 * Array.prototype.push (by a JavaScript version that slows every push in the process: pdf-lib, the CMS
 * builder, pdf.js itself), JSON.parse and Function.prototype.toString. They are put back once both modules are
 * loaded; polyfills for what Node 20 lacks (Promise.withResolvers, …) stay.
 */
type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

const NATIVE_TARGETS: object[] = [Array.prototype, JSON, Function.prototype, Object, String.prototype, Map.prototype, Set.prototype, Promise, Uint8Array.prototype];

function snapshotNatives(): Map<object, Map<PropertyKey, PropertyDescriptor>> {
  const natives = new Map<object, Map<PropertyKey, PropertyDescriptor>>();
  for (const t of NATIVE_TARGETS) {
    const m = new Map<PropertyKey, PropertyDescriptor>();
    for (const k of Reflect.ownKeys(t)) m.set(k, Object.getOwnPropertyDescriptor(t, k)!);
    natives.set(t, m);
  }
  return natives;
}

function restoreNatives(natives: Map<object, Map<PropertyKey, PropertyDescriptor>>): void {
  for (const [t, m] of natives) {
    for (const [k, d] of m) {
      const now = Object.getOwnPropertyDescriptor(t, k);
      if (now && (now.value !== d.value || now.get !== d.get || now.set !== d.set)) Object.defineProperty(t, k, d);
    }
  }
}

let loading: Promise<Pdfjs> | undefined;

/** pdf.js, with its worker module loaded in this thread. */
export function loadPdfjs(): Promise<Pdfjs> {
  loading ??= (async () => {
    const natives = snapshotNatives();
    try {
      const [pdfjs, worker] = await Promise.all([import('pdfjs-dist/legacy/build/pdf.mjs'), import('pdfjs-dist/legacy/build/pdf.worker.mjs')]);
      const g = globalThis as { pdfjsWorker?: unknown };
      g.pdfjsWorker ??= worker;
      return pdfjs;
    } finally {
      restoreNatives(natives);
    }
  })();
  return loading;
}
