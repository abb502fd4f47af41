/**
 * The gemm micro-kernel as a hand-assembled WebAssembly SIMD module. V8 compiles the scalar
 * TypeScript kernel to one multiply-add per instruction pair; with f64x2 lanes the same 4×4
 * register tile needs half the instructions, which roughly doubles single-thread throughput.
 * (WebAssembly SIMD is always on in Node ≥ 16.4.)
 *
 * Exported function `tiles(aPanels, bPanels, kc, pa, pb, pc)` (byte offsets into the module's
 * own memory "mem"): for every packed B panel jp and packed A panel ip, computes the 4×4 tile
 * A_panel(ip) · B_panel(jp) over kc steps and stores it into the row-major
 * (4·aPanels) × (4·bPanels) product at pc, i.e. rows 4ip.., columns 4jp... Panels have the layout of dense.ts's packing: step kk of an A panel
 * is 4 doubles (one per row) at +32·kk, step kk of a B panel 4 doubles (one per column).
 */

/** Pages (64 KiB) of the module's memory; the caller lays out its buffers inside. */
export const GEMM_WASM_PAGES = 80;

// Opcodes used below (WebAssembly core + SIMD proposal).
const BLOCK = 0x02;
const LOOP = 0x03;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const VOID = 0x40;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_GE_U = 0x4f;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_SHL = 0x74;
const SIMD = 0xfd;
const V128_LOAD = [SIMD, 0x00];
const V128_LOAD64_SPLAT = [SIMD, 0x0a];
const V128_STORE = [SIMD, 0x0b];
const V128_CONST = [SIMD, 0x0c];
const F64X2_ADD = [SIMD, 0xf0, 0x01];
const F64X2_MUL = [SIMD, 0xf2, 0x01];
const I32 = 0x7f;
const V128 = 0x7b;

// Locals: the six parameters, then loop counters and pointers, then vector registers.
const A_PANELS = 0;
const B_PANELS = 1;
const KC = 2;
const PA = 3;
const PB = 4;
const PC = 5;
const IP = 6;
const JP = 7;
const K = 8;
const PTR_A = 9;
const PTR_B = 10;
const B_BASE = 11;
const ROW_BYTES = 12; // bytes per row of the product
const C_PTR = 13; // the current tile's first row in the product
const ROW_PTR = 14;
const ACC = 15; // 8 accumulators: row r, columns 0–1 at ACC+2r, columns 2–3 at ACC+2r+1
const B01 = 23;
const B23 = 24;
const AV = 25;

function leb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return out;
}

const get = (i: number) => [LOCAL_GET, i];
const set = (i: number) => [LOCAL_SET, i];
const i32 = (v: number) => [I32_CONST, ...leb(v)];
/** memarg: alignment hint (log2 bytes) and byte offset. */
const mem = (align: number, offset: number) => [align, ...uleb(offset)];

/** local[i] += delta (i32). */
function addTo(i: number, delta: number[]): number[] {
  return [...get(i), ...delta, I32_ADD, ...set(i)];
}

/** The k loop of one tile: acc += a_kk ⊗ b_kk, four splatted A values times two B vectors. */
function tileLoop(): number[] {
  const body: number[] = [
    ...get(PTR_B),
    ...V128_LOAD,
    ...mem(3, 0),
    ...set(B01),
    ...get(PTR_B),
    ...V128_LOAD,
    ...mem(3, 16),
    ...set(B23),
  ];
  for (let r = 0; r < 4; r++) {
    body.push(...get(PTR_A), ...V128_LOAD64_SPLAT, ...mem(3, 8 * r), ...set(AV));
    for (let h = 0; h < 2; h++) {
      const acc = ACC + 2 * r + h;
      body.push(...get(acc), ...get(AV), ...get(h === 0 ? B01 : B23), ...F64X2_MUL);
      body.push(...F64X2_ADD, ...set(acc));
    }
  }
  body.push(...addTo(PTR_A, i32(32)), ...addTo(PTR_B, i32(32)));
  // k −= 1; repeat while k ≠ 0 (kc ≥ 1 is guaranteed by the caller).
  body.push(...get(K), ...i32(1), I32_SUB, LOCAL_TEE, K, BR_IF, 0);
  return [LOOP, VOID, ...body, END];
}

/** Loop over the A panels for one B panel. */
function panelLoop(): number[] {
  const zero = [...V128_CONST, ...new Array(16).fill(0)];
  const body: number[] = [...get(IP), ...get(A_PANELS), I32_GE_U, BR_IF, 1];
  // PTR_A = PA + ip·kc·32, PTR_B = B_BASE, accumulators = 0, K = kc.
  body.push(
    ...get(PA),
    ...get(IP),
    ...get(KC),
    I32_MUL,
    ...i32(5),
    I32_SHL,
    I32_ADD,
    ...set(PTR_A),
  );
  body.push(...get(B_BASE), ...set(PTR_B), ...get(KC), ...set(K));
  for (let i = 0; i < 8; i++) body.push(...zero, ...set(ACC + i));
  body.push(...tileLoop());
  body.push(...get(C_PTR), ...set(ROW_PTR));
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < 2; h++) {
      body.push(...get(ROW_PTR), ...get(ACC + 2 * r + h), ...V128_STORE, ...mem(3, 16 * h));
    }
    body.push(...addTo(ROW_PTR, get(ROW_BYTES)));
  }
  body.push(...get(ROW_PTR), ...set(C_PTR), ...addTo(IP, i32(1)), BR, 0);
  return [BLOCK, VOID, LOOP, VOID, ...body, END, END];
}

function functionBody(): number[] {
  const body: number[] = [...i32(0), ...set(JP)];
  body.push(...get(B_PANELS), ...i32(5), I32_SHL, ...set(ROW_BYTES));
  const outer: number[] = [...get(JP), ...get(B_PANELS), I32_GE_U, BR_IF, 1];
  outer.push(
    ...get(PB),
    ...get(JP),
    ...get(KC),
    I32_MUL,
    ...i32(5),
    I32_SHL,
    I32_ADD,
    ...set(B_BASE),
  );
  outer.push(...get(PC), ...get(JP), ...i32(5), I32_SHL, I32_ADD, ...set(C_PTR));
  outer.push(...i32(0), ...set(IP), ...panelLoop(), ...addTo(JP, i32(1)), BR, 0);
  body.push(BLOCK, VOID, LOOP, VOID, ...outer, END, END, END);
  const locals = [2, ...uleb(9), I32, ...uleb(11), V128];
  return [...uleb(locals.length + body.length), ...locals, ...body];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

/** The module's bytes (built once; small enough to post to workers). */
export function gemmWasmBytes(): Uint8Array {
  const type = section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 0]);
  const func = section(3, [1, 0]);
  const memory = section(5, [1, 0, ...uleb(GEMM_WASM_PAGES)]);
  const exports = section(7, [2, ...name('tiles'), 0, 0, ...name('mem'), 2, 0]);
  const code = section(10, [1, ...functionBody()]);
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  return new Uint8Array([...header, ...type, ...func, ...memory, ...exports, ...code]);
}
