/**
 * Dense float64 helpers on row-major matrices. `gemm` is the hot kernel of the eigensolver
 * (tridiagonal trailing updates, divide-and-conquer eigenvector updates, back-transformation);
 * its engine (packing + WebAssembly SIMD micro-kernel) is in ./kernels, its thread split in
 * ./threads.
 */
import { gemmParallel } from './threads.js';

export { sharedFloat64 } from './threads.js';
/** Row-major view of a matrix inside a flat array: element (i, j) is data[offset + i*ld + j]. */
export interface MatrixView {
  data: Float64Array;
  offset: number;
  ld: number;
}

/**
 * C += alpha · op(A) · op(B), where op(A) is m×k and op(B) is k×n (op(X) = Xᵀ when the
 * transpose flag is set). All operands are row-major views with their own leading dimension.
 * Large products whose operands all live in SharedArrayBuffers (see `sharedFloat64`) are split
 * between threads; the call is synchronous either way.
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: MatrixView,
  b: MatrixView,
  c: MatrixView,
): void {
  if (m <= 0 || n <= 0 || k <= 0 || alpha === 0) return;
  gemmParallel(
    transA,
    transB,
    m,
    n,
    k,
    alpha,
    a.data,
    a.offset,
    a.ld,
    b.data,
    b.offset,
    b.ld,
    c.data,
    c.offset,
    c.ld,
  );
}

/** Row-major product of an m×k matrix and a k×n matrix. */
export function matmul(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const c = new Float64Array(m * n);
  gemm(false, false, m, n, k, 1, view(a, k), view(b, n), view(c, n));
  return c;
}

/** Row-major product aᵀ·b of a (k×m) and b (k×n): an m×n matrix. */
export function matmulTN(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const c = new Float64Array(m * n);
  gemm(true, false, m, n, k, 1, view(a, m), view(b, n), view(c, n));
  return c;
}

/** Row-major product a·bᵀ of a (m×k) and b (n×k): an m×n matrix. */
export function matmulNT(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const c = new Float64Array(m * n);
  gemm(false, true, m, n, k, 1, view(a, k), view(b, k), view(c, n));
  return c;
}

/** The whole array as a row-major matrix with leading dimension ld. */
export function view(data: Float64Array, ld: number, offset = 0): MatrixView {
  return { data, offset, ld };
}

/** Transpose of a rows×cols row-major matrix (a cols×rows matrix), blocked for cache reuse. */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(rows, i0 + B);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(cols, j0 + B);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) t[j * rows + i] = a[i * cols + j];
      }
    }
  }
  return t;
}

/** The n×n identity. */
export function identity(n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = 1;
  return a;
}
