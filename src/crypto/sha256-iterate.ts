/**
 * SHA-256 applied `n` times to a 32-byte value: A ← SHA-256(A), the inner loop of the PKCS#12 key derivation
 * (RFC 7292 B.2) that checks a .p12 file's MAC, 2,048 rounds in what OpenSSL 3 writes. Node has no iterated
 * hash, and the round trip per round (a Hash copied, updated and digested: three native calls and an object
 * with a finalizer) cost ~10 ms of every `kyso sign --p12` plus a scavenge for the 2,048 objects (issue 16).
 * Written by hand because nothing maintained does it cheaply in a fresh process: the same loop in JavaScript
 * runs in the interpreter for most of its 2,048 blocks (~19 ms measured), and hash-wasm (maintained, WASM) took
 * 12 ms to instantiate and 18 ms for the loop, one call per round. Here one WebAssembly function of ~550 bytes,
 * emitted by moduleBytes() below, runs the whole loop: ~1 ms to compile, ~5 ms for 2,048 blocks in V8's baseline
 * tier. The bytes ship as WASM_BASE64 (emitting them in a cold process took ~1.7 ms); the test checks that they
 * are exactly what moduleBytes() emits.
 *
 * Each round hashes exactly one 64-byte block, the 32-byte value and its fixed padding (0x80, zeros, the
 * length 256 bits), so only the compression function is needed. Memory (one page): the value (in and out), the
 * initial hash value and the round constants (written once), then the schedule W[0..63], whose W[8..15] (the
 * padding) is written once too. Checked against node:crypto in
 * test/sign/sha256-iterate.test.ts; a wrong result can only fail a MAC check (a refused password), never pass one.
 * Returns undefined where WebAssembly is unavailable (node --jitless): the caller then uses node:crypto.
 */

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

// WebAssembly opcodes used below
const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  load: 0x28,
  store: 0x36,
  const: 0x41,
  eqz: 0x45,
  ltU: 0x49,
  add: 0x6a,
  sub: 0x6b,
  and: 0x71,
  or: 0x72,
  xor: 0x73,
  shrU: 0x76,
  rotr: 0x78,
} as const;

/** Memory layout (byte offsets): the value (8 words, in and out), the initial hash value, the round constants, W. */
const VALUE = 0;
const IV_AT = 32;
const K_AT = 64;
const W_AT = 320;

/**
 * What moduleBytes() emits, as shipped. After a change to the emitter, print the new value with
 * `npx vitest run test/sign/sha256-iterate.test.ts` (the failing check shows it).
 */
export const WASM_BASE64 =
  'AGFzbQEAAAABBQFgAX8AAwIBAAUDAQABBwwCBGl0ZXIAAAFtAgAK/AMB+QMBDH8CQANAIABFDQFBAEEAKAIANgLAAkEAQQAoAgQ2AsQCQQBBACgCCDYCyAJBAEEAKAIMNgLMAkEAQQAoAhA2AtACQQBBACgCFDYC1AJBAEEAKAIYNgLYAkEAQQAoAhw2AtwCQcAAIQEDQCABIAEoAoACIAEoAoQCIgxBB3ggDEESeHMgDEEDdnNqIAEoAqQCaiABKAK4AiIMQRF4IAxBE3hzIAxBCnZzajYCwAIgAUEEaiIBQYACSQ0AC0EAKAIgIQJBACgCJCEDQQAoAighBEEAKAIsIQVBACgCMCEGQQAoAjQhB0EAKAI4IQhBACgCPCEJQQAhAQNAIAkgBkEGeCAGQQt4cyAGQRl4c2ogBiAHcSAGQX9zIAhxc2ogASgCQGogASgCwAJqIQogAkECeCACQQ14cyACQRZ4cyACIANxIAIgBHFzIAMgBHFzaiELIAghCSAHIQggBiEHIAUgCmohBiAEIQUgAyEEIAIhAyAKIAtqIQIgAUEEaiIBQYACSQ0AC0EAQQAoAiAgAmo2AgBBAEEAKAIkIANqNgIEQQBBACgCKCAEajYCCEEAQQAoAiwgBWo2AgxBAEEAKAIwIAZqNgIQQQBBACgCNCAHajYCFEEAQQAoAjggCGo2AhhBAEEAKAI8IAlqNgIcIABBAWshAAwACwsL';

/** The module's bytes: (func (export "iter") (param $n i32)) over (memory (export "m") 1). */
export function moduleBytes(): Uint8Array<ArrayBuffer> {
  const b: number[] = [];
  const uleb = (out: number[], n: number) => {
    do {
      const x = n & 0x7f;
      n >>>= 7;
      out.push(n ? x | 0x80 : x);
    } while (n);
  };
  const c = (n: number) => {
    b.push(OP.const);
    for (let v = n | 0; ; ) {
      const x = v & 0x7f;
      v >>= 7;
      if ((v === 0 && !(x & 0x40)) || (v === -1 && x & 0x40)) return void b.push(x);
      b.push(x | 0x80);
    }
  };
  const get = (l: number) => b.push(OP.get, l);
  const set = (l: number) => b.push(OP.set, l);
  const tee = (l: number) => b.push(OP.tee, l);
  // i32.load / i32.store (alignment 2^2) at the address on the stack plus a constant offset
  const load = (offset: number) => (b.push(OP.load, 2), uleb(b, offset));
  const store = (offset: number) => (b.push(OP.store, 2), uleb(b, offset));
  const rotr = (l: number, r: number) => (get(l), c(r), b.push(OP.rotr));
  // locals: 0 $n (the param), 1 $i (4·i, a byte offset), 2..9 a..h, 10 t1, 11 t2, 12 x
  const N = 0;
  const I = 1;
  const [A, B, C, D, E, F, G, H] = [2, 3, 4, 5, 6, 7, 8, 9];
  const T1 = 10;
  const T2 = 11;
  const X = 12;
  b.push(OP.block, 0x40, OP.loop, 0x40);
  get(N), b.push(OP.eqz, OP.brIf, 1); // no round left: out of the block
  // W[0..7] = the value (W[8..15], the padding, never changes: written once by load())
  for (let k = 0; k < 8; k++) c(0), c(0), load(VALUE + 4 * k), store(W_AT + 4 * k);
  // W[i] = W[i-16] + σ0(W[i-15]) + W[i-7] + σ1(W[i-2]) for i = 16..63, $i = 4·i
  c(64), set(I), b.push(OP.loop, 0x40);
  get(I); // the address W[i] is stored at
  get(I), load(W_AT - 64);
  get(I), load(W_AT - 60), tee(X), c(7), b.push(OP.rotr), rotr(X, 18), b.push(OP.xor), get(X), c(3), b.push(OP.shrU, OP.xor, OP.add);
  get(I), load(W_AT - 28), b.push(OP.add);
  get(I), load(W_AT - 8), tee(X), c(17), b.push(OP.rotr), rotr(X, 19), b.push(OP.xor), get(X), c(10), b.push(OP.shrU, OP.xor, OP.add);
  store(W_AT);
  get(I), c(4), b.push(OP.add), tee(I), c(256), b.push(OP.ltU, OP.brIf, 0, OP.end);
  // a..h = the initial hash value; 64 rounds
  for (let k = 0; k < 8; k++) c(0), load(IV_AT + 4 * k), set(A + k);
  c(0), set(I), b.push(OP.loop, 0x40);
  // t1 = h + Σ1(e) + Ch(e, f, g) + K[i] + W[i]
  get(H), rotr(E, 6), rotr(E, 11), b.push(OP.xor), rotr(E, 25), b.push(OP.xor, OP.add);
  get(E), get(F), b.push(OP.and), get(E), c(-1), b.push(OP.xor), get(G), b.push(OP.and, OP.xor, OP.add);
  get(I), load(K_AT), b.push(OP.add), get(I), load(W_AT), b.push(OP.add), set(T1);
  // t2 = Σ0(a) + Maj(a, b, c)
  rotr(A, 2), rotr(A, 13), b.push(OP.xor), rotr(A, 22), b.push(OP.xor);
  get(A), get(B), b.push(OP.and), get(A), get(C), b.push(OP.and, OP.xor), get(B), get(C), b.push(OP.and, OP.xor, OP.add), set(T2);
  get(G), set(H), get(F), set(G), get(E), set(F), get(D), get(T1), b.push(OP.add), set(E);
  get(C), set(D), get(B), set(C), get(A), set(B), get(T1), get(T2), b.push(OP.add), set(A);
  get(I), c(4), b.push(OP.add), tee(I), c(256), b.push(OP.ltU, OP.brIf, 0, OP.end);
  // the value = initial hash value + a..h; one round less to go
  for (let k = 0; k < 8; k++) c(0), c(0), load(IV_AT + 4 * k), get(A + k), b.push(OP.add), store(VALUE + 4 * k);
  get(N), c(1), b.push(OP.sub), set(N), b.push(OP.br, 0, OP.end, OP.end, OP.end); // next round; end loop, block, function
  const body: number[] = [1, 12, 0x7f, ...b]; // one group of 12 i32 locals
  const code: number[] = [1]; // one function body
  uleb(code, body.length);
  code.push(...body);
  const section = (id: number, content: number[]) => {
    const out = [id];
    uleb(out, content.length);
    return [...out, ...content];
  };
  const name = (s: string) => [s.length, ...Buffer.from(s, 'latin1')];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0], // \0asm, version 1
    ...section(1, [1, 0x60, 1, 0x7f, 0]), // one type: (i32) → ()
    ...section(3, [1, 0]), // one function of that type
    ...section(5, [1, 0, 1]), // one memory, 1 page, no maximum
    ...section(7, [2, ...name('iter'), 0, 0, ...name('m'), 2, 0]), // exports
    ...section(10, code),
  ]);
}

interface Engine {
  iter(n: number): void;
  view: DataView;
}
let engine: Engine | null | undefined;

function load(): Engine | null {
  if (engine !== undefined) return engine;
  try {
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64')));
    const view = new DataView((exports.m as WebAssembly.Memory).buffer);
    IV.forEach((v, k) => view.setInt32(IV_AT + 4 * k, v | 0, true));
    K.forEach((v, k) => view.setInt32(K_AT + 4 * k, v | 0, true));
    // the padding of a 32-byte message: 0x80, zeros, its length in bits (256); W[9..14] stay zero
    view.setInt32(W_AT + 32, 0x80000000 | 0, true);
    view.setInt32(W_AT + 60, 256, true);
    engine = { iter: exports.iter as (n: number) => void, view };
  } catch {
    engine = null; // no WebAssembly here (--jitless)
  }
  return engine;
}

/**
 * V8 runs new WebAssembly in its baseline tier (Liftoff) and compiles a function with its optimising tier (TurboFan,
 * ~14× faster here: 0.16 µs a round instead of 2.3 µs) in the background once the function has run a while; a call
 * already running keeps its code. So the rounds run in calls of ROUNDS_PER_CALL, which pick the optimised code up as
 * soon as it is there, and warmUp() runs WARM_ROUNDS early enough (`kyso sign --p12`: before the command loads, see
 * src/cli/main.ts) for that compile to be over when the .p12 is opened: its 2,048 rounds then take ~0.4 ms instead of
 * ~6 ms. Measured in fresh processes: 160 rounds and ~3 ms of other work were enough for the optimised code.
 */
const ROUNDS_PER_CALL = 64;
const WARM_ROUNDS = 160;

/** Compiles the module and runs it enough for V8 to optimise it in the background (a throw-away value). */
export function warmUp(): void {
  load()?.iter(WARM_ROUNDS);
}

/** SHA-256 applied `rounds` times to `value` (32 bytes); undefined where WebAssembly is unavailable. */
export function sha256Iterate(value: Uint8Array, rounds: number): Buffer<ArrayBuffer> | undefined {
  if (value.length !== 32 || !Number.isInteger(rounds) || rounds < 0 || rounds > 0x7fffffff) throw new RangeError('sha256Iterate: a 32-byte value and 0 ≤ rounds < 2^31');
  const e = load();
  if (!e) return undefined;
  const src = new DataView(value.buffer, value.byteOffset, 32);
  // the value's words are big-endian; WebAssembly memory is little-endian
  for (let k = 0; k < 8; k++) e.view.setInt32(VALUE + 4 * k, src.getInt32(4 * k), true);
  for (let left = rounds; left > 0; left -= ROUNDS_PER_CALL) e.iter(Math.min(left, ROUNDS_PER_CALL));
  const out = Buffer.allocUnsafe(32);
  for (let k = 0; k < 8; k++) out.writeInt32BE(e.view.getInt32(VALUE + 4 * k, true), 4 * k);
  return out;
}
