// @ts-check
/**
 * The eigensolver's hot kernels, shared by the main thread and the worker threads:
 *  - gemm, GotoBLAS-style: operands are packed into small contiguous panels inside the
 *    WebAssembly module's memory, the SIMD micro-kernel of ./gemm-wasm computes 4×4 register
 *    tiles from them, and the tiles are added into C (transposition is free while packing);
 *  - the symmetric matrix-vector product of the tridiagonalization, by ranges of rows.
 * Each comes with a `…Chunks` form that works through a task split into chunks, taking chunks
 * from a shared counter (Atomics.add) until none is left, so a thread slowed down by other load
 * simply takes fewer chunks.
 *
 * This is a JavaScript module (type-checked from its JSDoc) because the worker threads of
 * ./threads load it through ./kernel-worker.js with plain Node, which cannot load TypeScript:
 * from src/ under tsx or vitest and from dist/ alike, both threads then run this very file.
 */

/**
 * C += alpha · op(A) · op(B) on row-major operands given as (array, offset, leading dim).
 * @typedef {(
 *   transA: boolean,
 *   transB: boolean,
 *   m: number,
 *   n: number,
 *   k: number,
 *   alpha: number,
 *   a: Float64Array,
 *   aOff: number,
 *   lda: number,
 *   b: Float64Array,
 *   bOff: number,
 *   ldb: number,
 *   c: Float64Array,
 *   cOff: number,
 *   ldc: number,
 * ) => void} GemmFn
 */

/**
 * A gemm split between threads: C's rows (splitRows) or columns, in chunks of `chunk`.
 * @typedef {object} GemmTask
 * @property {boolean} transA
 * @property {boolean} transB
 * @property {number} m
 * @property {number} n
 * @property {number} k
 * @property {number} alpha
 * @property {Float64Array} a
 * @property {number} aOff
 * @property {number} lda
 * @property {Float64Array} b
 * @property {number} bOff
 * @property {number} ldb
 * @property {Float64Array} c
 * @property {number} cOff
 * @property {number} ldc
 * @property {boolean} splitRows
 * @property {number} chunk
 * @property {Int32Array} counter
 */

/**
 * y = A[s:n, s:n] · x[s:n] (upper triangle of the row-major n×n A) split between threads: the
 * rows [s, n) are cut at `bounds` (chunk c is rows bounds[c]..bounds[c+1]), chunk c's
 * contributions go to its own ys[c][bounds[c]:n], and the caller sums the ys in chunk order,
 * so that the result does not depend on which thread took which chunk.
 * @typedef {object} SymvTask
 * @property {Float64Array} a
 * @property {number} n
 * @property {number} s
 * @property {Float64Array} x
 * @property {Float64Array[]} ys
 * @property {Int32Array} bounds
 * @property {Int32Array} counter
 */

/**
 * @typedef {object} Kernels
 * @property {GemmFn} gemm
 * @property {(
 *   a: Float64Array,
 *   n: number,
 *   r0: number,
 *   r1: number,
 *   x: Float64Array,
 *   y: Float64Array,
 * ) => void} symvRows
 *   y[s:n] += contributions of rows [r0, r1) of the upper triangle of A[s:n, s:n] · x[s:n].
 * @property {(task: GemmTask) => void} gemmChunks
 *   Works on chunks of `task` until the shared counter runs past the end.
 * @property {(task: SymvTask) => void} symvChunks
 *   Works on chunks of `task` until the shared counter runs past the end.
 */

/**
 * What ./threads posts to a worker: one task, on which the worker works alongside the others.
 * @typedef {{ kind: 'gemm', task: GemmTask } | { kind: 'symv', task: SymvTask }} KernelMessage
 */

// A worker's state word (Int32Array of one element on a SharedArrayBuffer): the main thread
// sets BUSY before posting a task and waits until the worker stores DONE or FAILED; at start
// the worker stores DONE once it is ready.
export const BUSY = 0;
export const DONE = 1;
export const FAILED = 2;

/**
 * The part of the WebAssembly JS API used here (its types are in the DOM lib, which this
 * project does not load).
 * @typedef {object} WasmApi
 * @property {new (bytes: Uint8Array) => object} Module
 * @property {new (module: object) => { exports: Record<string, unknown> }} Instance
 */

/**
 * @typedef {(
 *   aPanels: number,
 *   bPanels: number,
 *   kc: number,
 *   pa: number,
 *   pb: number,
 *   pc: number,
 * ) => void} TilesFn
 */

/**
 * @param {Uint8Array} wasmBytes the module of ./gemm-wasm
 * @returns {Kernels}
 */
export function createKernels(wasmBytes) {
  /** Register tile: MR rows of op(A) × NR columns of op(B) (fixed by the wasm kernel). */
  const MR = 4;
  const NR = 4;
  /** Cache blocking: a KC×NC panel of op(B) stays in L2/L3, an MC×KC block of op(A) in L2. */
  const KC = 256;
  const MC = 64;
  const NC = 1024;

  const wasmApi = /** @type {{ WebAssembly: WasmApi }} */ (/** @type {unknown} */ (globalThis))
    .WebAssembly;
  const { exports } = new wasmApi.Instance(new wasmApi.Module(wasmBytes));
  const tiles = /** @type {TilesFn} */ (exports.tiles);
  const memory = /** @type {{ buffer: ArrayBuffer }} */ (exports.mem);
  // Layout of the module's memory, in doubles: packed A block, packed B panel, the product.
  const heap = new Float64Array(memory.buffer);
  const PA = 0;
  const PB = PA + MC * KC;
  const PC = PB + NC * KC;
  if (heap.length < PC + MC * NC) throw new Error('gemm: wasm memory too small');

  /**
   * Packs alpha·op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels, k-major inside a panel
   * (heap[PA + (panel*kc + kk)*MR + r]); rows past mc are zero so the kernel needs no edge case.
   * @param {boolean} trans
   * @param {Float64Array} src
   * @param {number} off
   * @param {number} ld
   * @param {number} i0
   * @param {number} p0
   * @param {number} mc
   * @param {number} kc
   * @param {number} alpha
   */
  function packA(trans, src, off, ld, i0, p0, mc, kc, alpha) {
    const panels = Math.ceil(mc / MR);
    for (let ip = 0; ip < panels; ip++) {
      const base = PA + ip * kc * MR;
      for (let r = 0; r < MR; r++) {
        const i = ip * MR + r;
        if (i >= mc) {
          for (let kk = 0; kk < kc; kk++) heap[base + kk * MR + r] = 0;
        } else if (!trans) {
          // op(A)(i, p) = A[i, p]: a contiguous row.
          const row = off + (i0 + i) * ld + p0;
          for (let kk = 0; kk < kc; kk++) heap[base + kk * MR + r] = alpha * src[row + kk];
        } else {
          // op(A)(i, p) = A[p, i]: a strided column.
          let idx = off + p0 * ld + i0 + i;
          for (let kk = 0; kk < kc; kk++, idx += ld) heap[base + kk * MR + r] = alpha * src[idx];
        }
      }
    }
  }

  /**
   * Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels (heap[PB + (panel*kc + kk)*NR + c]).
   * @param {boolean} trans
   * @param {Float64Array} src
   * @param {number} off
   * @param {number} ld
   * @param {number} p0
   * @param {number} j0
   * @param {number} kc
   * @param {number} nc
   */
  function packB(trans, src, off, ld, p0, j0, kc, nc) {
    const panels = Math.ceil(nc / NR);
    if (!trans) {
      // op(B)(p, j) = B[p, j]: copy NR-wide slices of each row.
      for (let kk = 0; kk < kc; kk++) {
        const row = off + (p0 + kk) * ld + j0;
        for (let jp = 0; jp < panels; jp++) {
          const d = PB + (jp * kc + kk) * NR;
          const j = jp * NR;
          if (j + NR <= nc) {
            heap[d] = src[row + j];
            heap[d + 1] = src[row + j + 1];
            heap[d + 2] = src[row + j + 2];
            heap[d + 3] = src[row + j + 3];
          } else {
            for (let c = 0; c < NR; c++) heap[d + c] = j + c < nc ? src[row + j + c] : 0;
          }
        }
      }
    } else {
      // op(B)(p, j) = B[j, p]: each packed column is a contiguous row of B.
      for (let jp = 0; jp < panels; jp++) {
        const base = PB + jp * kc * NR;
        for (let c = 0; c < NR; c++) {
          const j = jp * NR + c;
          if (j >= nc) {
            for (let kk = 0; kk < kc; kk++) heap[base + kk * NR + c] = 0;
          } else {
            const row = off + (j0 + j) * ld + p0;
            for (let kk = 0; kk < kc; kk++) heap[base + kk * NR + c] = src[row + kk];
          }
        }
      }
    }
  }

  /**
   * C[0:mc, 0:nc] += the product the kernel left at PC (row-major, row length ncPad).
   * @param {number} mc
   * @param {number} nc
   * @param {number} ncPad
   * @param {Float64Array} c
   * @param {number} cOff
   * @param {number} ldc
   */
  function addProduct(mc, nc, ncPad, c, cOff, ldc) {
    for (let r = 0; r < mc; r++) {
      const o = cOff + r * ldc;
      const t = PC + r * ncPad;
      for (let q = 0; q < nc; q++) c[o + q] += heap[t + q];
    }
  }

  /** @type {GemmFn} */
  const gemm = (transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc) => {
    if (m <= 0 || n <= 0 || k <= 0 || alpha === 0) return;
    for (let j0 = 0; j0 < n; j0 += NC) {
      const nc = Math.min(NC, n - j0);
      for (let p0 = 0; p0 < k; p0 += KC) {
        const kc = Math.min(KC, k - p0);
        packB(transB, b, bOff, ldb, p0, j0, kc, nc);
        for (let i0 = 0; i0 < m; i0 += MC) {
          const mc = Math.min(MC, m - i0);
          packA(transA, a, aOff, lda, i0, p0, mc, kc, alpha);
          const bPanels = Math.ceil(nc / NR);
          tiles(Math.ceil(mc / MR), bPanels, kc, PA * 8, PB * 8, PC * 8);
          addProduct(mc, nc, bPanels * NR, c, cOff + i0 * ldc + j0, ldc);
        }
      }
    }
  };

  /** @param {GemmTask} t */
  function gemmChunks(t) {
    const extent = t.splitRows ? t.m : t.n;
    for (;;) {
      const start = Atomics.add(t.counter, 0, 1) * t.chunk;
      if (start >= extent) return;
      const len = Math.min(t.chunk, extent - start);
      if (t.splitRows) {
        const aOff = t.aOff + (t.transA ? start : start * t.lda);
        const cOff = t.cOff + start * t.ldc;
        gemm(
          t.transA,
          t.transB,
          len,
          t.n,
          t.k,
          t.alpha,
          t.a,
          aOff,
          t.lda,
          t.b,
          t.bOff,
          t.ldb,
          t.c,
          cOff,
          t.ldc,
        );
      } else {
        const bOff = t.bOff + (t.transB ? start * t.ldb : start);
        const cOff = t.cOff + start;
        gemm(
          t.transA,
          t.transB,
          t.m,
          len,
          t.k,
          t.alpha,
          t.a,
          t.aOff,
          t.lda,
          t.b,
          bOff,
          t.ldb,
          t.c,
          cOff,
          t.ldc,
        );
      }
    }
  }

  /**
   * Rows are taken four at a time: the matrix-vector product is bound by memory traffic, and
   * each pass over a column q then loads x[q] and y[q] once for four matrix rows. Row r
   * contributes its dot product with x to y[r] and, through the symmetric lower triangle,
   * a[r, q]·x[r] to y[q] for q > r.
   * @param {Float64Array} a
   * @param {number} n
   * @param {number} r0
   * @param {number} r1
   * @param {Float64Array} x
   * @param {Float64Array} y
   */
  function symvRows(a, n, r0, r1, x, y) {
    let r = r0;
    for (; r + 3 < r1; r += 4) {
      const o0 = r * n;
      const o1 = o0 + n;
      const o2 = o1 + n;
      const o3 = o2 + n;
      const x0 = x[r];
      const x1 = x[r + 1];
      const x2 = x[r + 2];
      const x3 = x[r + 3];
      // The 4×4 diagonal block (upper triangle only).
      let acc0 = a[o0 + r] * x0 + a[o0 + r + 1] * x1 + a[o0 + r + 2] * x2 + a[o0 + r + 3] * x3;
      let acc1 = a[o0 + r + 1] * x0 + a[o1 + r + 1] * x1 + a[o1 + r + 2] * x2 + a[o1 + r + 3] * x3;
      let acc2 = a[o0 + r + 2] * x0 + a[o1 + r + 2] * x1 + a[o2 + r + 2] * x2 + a[o2 + r + 3] * x3;
      let acc3 = a[o0 + r + 3] * x0 + a[o1 + r + 3] * x1 + a[o2 + r + 3] * x2 + a[o3 + r + 3] * x3;
      // Columns right of the block: dot products for rows r..r+3, transposed axpy into y[q].
      for (let q = r + 4; q < n; q++) {
        const a0 = a[o0 + q];
        const a1 = a[o1 + q];
        const a2 = a[o2 + q];
        const a3 = a[o3 + q];
        const xq = x[q];
        acc0 += a0 * xq;
        acc1 += a1 * xq;
        acc2 += a2 * xq;
        acc3 += a3 * xq;
        y[q] += a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3;
      }
      y[r] += acc0;
      y[r + 1] += acc1;
      y[r + 2] += acc2;
      y[r + 3] += acc3;
    }
    for (; r < r1; r++) {
      const row = r * n;
      const xr = x[r];
      let acc = a[row + r] * xr;
      for (let q = r + 1; q < n; q++) {
        acc += a[row + q] * x[q];
        y[q] += a[row + q] * xr;
      }
      y[r] += acc;
    }
  }

  /** @param {SymvTask} t */
  function symvChunks(t) {
    const chunks = t.bounds.length - 1;
    for (;;) {
      const c = Atomics.add(t.counter, 0, 1);
      if (c >= chunks) return;
      const y = t.ys[c];
      y.fill(0, t.bounds[c], t.n);
      symvRows(t.a, t.n, t.bounds[c], t.bounds[c + 1], t.x, y);
    }
  }

  return { gemm, symvRows, gemmChunks, symvChunks };
}
