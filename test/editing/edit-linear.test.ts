import { describe, expect, it } from 'vitest';
import {
  type EditLinearOptions,
  editLinear,
  SequentialEditor,
} from '../../src/editing/edit-linear.js';
import { identity, matmul, matmulNT, transpose } from '../../src/linalg/dense.js';
import { denseProjector } from '../../src/linalg/projector.js';
import { solve } from '../../src/linalg/solve.js';
import { Rng } from '../../src/util/rng.js';

const D_OUT = 20;
const D_IN = 30;
const RANK0 = 20; // span(K0) has 20 dimensions, so C0 has a 10-dimensional null space
const N0 = 100;

function random(rng: Rng, len: number): Float64Array {
  const a = new Float64Array(len);
  for (let i = 0; i < len; i++) a[i] = rng.normal();
  return a;
}

function norm(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s);
}

function diff(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v - b[i]);
}

interface Problem {
  W: Float64Array;
  K0: Float64Array;
  C0: Float64Array;
  K1: Float64Array;
  V1: Float64Array;
  u: number;
}

function problem(seed: number, u = 4): Problem {
  const rng = new Rng(seed);
  const W = random(rng, D_OUT * D_IN);
  const basis = random(rng, D_IN * RANK0);
  const K0 = matmul(basis, random(rng, RANK0 * N0), D_IN, RANK0, N0);
  const C0 = matmulNT(K0, K0, D_IN, N0, D_IN);
  // Generic keys: almost surely not in span(K0), so part of each lies in C0's null space.
  const K1 = random(rng, D_IN * u);
  const V1 = random(rng, D_OUT * u);
  return { W, K0, C0, K1, V1, u };
}

function base(p: Problem, extra: Partial<EditLinearOptions> = {}): EditLinearOptions {
  return { keysNew: p.K1, valuesNew: p.V1, edits: p.u, preservedCov: p.C0, ...extra };
}

/** ‖ΔK‖ / ‖WK‖ for keys K (d_in×n). */
function relativeMove(W: Float64Array, delta: Float64Array, K: Float64Array, n: number): number {
  return norm(matmul(delta, K, D_OUT, D_IN, n)) / norm(matmul(W, K, D_OUT, D_IN, n));
}

/** ‖(W + ΔP)K1 − V1‖ / ‖V1 − W K1‖. */
function relativeMiss(p: Problem, edited: Float64Array): number {
  const residual = diff(p.V1, matmul(p.W, p.K1, D_OUT, D_IN, p.u));
  const miss = diff(matmul(edited, p.K1, D_OUT, D_IN, p.u), p.V1);
  return norm(miss) / norm(residual);
}

describe('editLinear with null-space projection (AlphaEdit)', () => {
  const p = problem(1);

  it('finds the 10-dimensional null space of C0 and leaves preserved outputs unchanged', () => {
    const r = editLinear(p.W, D_OUT, D_IN, base(p, { l2: 1e-6 }));
    expect(r.nullDim).toBe(D_IN - RANK0);
    expect(r.projector?.nullDim).toBe(D_IN - RANK0);
    expect(norm(r.delta)).toBeGreaterThan(1e-2);
    expect(relativeMove(p.W, r.delta, p.K0, N0)).toBeLessThan(1e-8);
    expect(Array.from(r.weights)).toEqual(Array.from(p.W.map((v, i) => v + r.delta[i])));
  });

  it('hits the new values when λ is small and the edits fit in the null space', () => {
    const r = editLinear(p.W, D_OUT, D_IN, base(p, { l2: 1e-6 }));
    expect(relativeMiss(p, r.weights)).toBeLessThan(1e-3);
  });

  it('trades accuracy on the new keys for a smaller change as λ grows', () => {
    const small = editLinear(p.W, D_OUT, D_IN, base(p, { l2: 1e-6 }));
    const large = editLinear(p.W, D_OUT, D_IN, base(p, { l2: 100 }));
    expect(relativeMiss(p, large.weights)).toBeGreaterThan(10 * relativeMiss(p, small.weights));
    expect(norm(large.delta)).toBeLessThan(norm(small.delta));
    expect(relativeMove(p.W, large.delta, p.K0, N0)).toBeLessThan(1e-8);
  });

  it('matches the closed form R·K1ᵀ·P·(Kp·Kpᵀ·P + K1·K1ᵀ·P + λI)⁻¹·P with an explicit inverse', () => {
    const rng = new Rng(7);
    const pCount = 3;
    const Kp = random(rng, D_IN * pCount);
    const l2 = 0.5;
    const r = editLinear(
      p.W,
      D_OUT,
      D_IN,
      base(p, { l2, previousEditKeys: Kp, previousCount: pCount }),
    );
    const P = denseProjector(r.projector!);
    const R = diff(p.V1, matmul(p.W, p.K1, D_OUT, D_IN, p.u));
    const G = matmulNT(Kp, Kp, D_IN, pCount, D_IN).map(
      (v, i) => v + matmulNT(p.K1, p.K1, D_IN, p.u, D_IN)[i],
    );
    const M = matmul(G, P, D_IN, D_IN, D_IN).map((v, i) => v + l2 * identity(D_IN)[i]);
    const Minv = solve(M, D_IN, identity(D_IN), D_IN);
    const RKP = matmul(
      matmul(R, transpose(p.K1, D_IN, p.u), D_OUT, p.u, D_IN),
      P,
      D_OUT,
      D_IN,
      D_IN,
    );
    const expected = matmul(matmul(RKP, Minv, D_OUT, D_IN, D_IN), P, D_OUT, D_IN, D_IN);
    expect(norm(diff(r.delta, expected)) / norm(expected)).toBeLessThan(1e-9);
  });

  it('uses the plain projector U2U2ᵀ, not one scaled by 1/‖U2U2ᵀ‖_F', () => {
    const r = editLinear(p.W, D_OUT, D_IN, base(p));
    const P = denseProjector(r.projector!);
    const P2 = matmul(P, P, D_IN, D_IN, D_IN);
    expect(norm(diff(P2, P))).toBeLessThan(1e-10); // idempotent only without scaling
    expect(r.projector!.scale).toBe(1);
  });

  it('gives the same result from preservedKeys as from preservedCov', () => {
    const fromCov = editLinear(p.W, D_OUT, D_IN, base(p));
    const fromKeys = editLinear(p.W, D_OUT, D_IN, {
      keysNew: p.K1,
      valuesNew: p.V1,
      edits: p.u,
      preservedKeys: p.K0,
      preservedCount: N0,
    });
    expect(fromKeys.nullDim).toBe(fromCov.nullDim);
    expect(norm(diff(fromKeys.weights, fromCov.weights)) / norm(fromCov.delta)).toBeLessThan(1e-10);
  });

  it("takes and returns a tfjs Dense kernel [d_in, d_out] with layout 'in-out'", () => {
    const outIn = editLinear(p.W, D_OUT, D_IN, base(p));
    const inOut = editLinear(
      transpose(p.W, D_OUT, D_IN),
      D_OUT,
      D_IN,
      base(p, { layout: 'in-out' }),
    );
    const expectedW = transpose(outIn.weights, D_OUT, D_IN);
    const expectedD = transpose(outIn.delta, D_OUT, D_IN);
    expect(norm(diff(inOut.weights, expectedW))).toBeLessThan(1e-12);
    expect(norm(diff(inOut.delta, expectedD))).toBeLessThan(1e-12);
  });

  it('does not modify its inputs', () => {
    const copy = problem(1);
    editLinear(p.W, D_OUT, D_IN, base(p));
    for (const key of ['W', 'C0', 'K1', 'V1'] as const) {
      expect(Array.from(p[key])).toEqual(Array.from(copy[key]));
    }
  });
});

describe('editLinear without projection (MEMIT-style closed form)', () => {
  const p = problem(2);

  it('also hits the new values but disturbs the preserved outputs', () => {
    const r = editLinear(p.W, D_OUT, D_IN, base(p, { l2: 1e-6, project: false }));
    expect(r.projector).toBeNull();
    expect(r.nullDim).toBe(D_IN);
    expect(relativeMiss(p, r.weights)).toBeLessThan(1e-3);
    expect(relativeMove(p.W, r.delta, p.K0, N0)).toBeGreaterThan(1e-2);
    const projected = editLinear(p.W, D_OUT, D_IN, base(p, { l2: 1e-6 }));
    expect(relativeMove(p.W, projected.delta, p.K0, N0)).toBeLessThan(1e-8);
  });

  it('needs no preserved statistics', () => {
    const r = editLinear(p.W, D_OUT, D_IN, {
      keysNew: p.K1,
      valuesNew: p.V1,
      edits: p.u,
      project: false,
    });
    expect(norm(r.delta)).toBeGreaterThan(0);
  });
});

describe('sequential edits', () => {
  const p = problem(3, 3);
  const second = problem(4, 3);
  const opts = { preservedKeys: p.K0, preservedCount: N0 };

  it('accumulate Kp so a second edit keeps the first edit’s outputs nearly intact', () => {
    const editor = new SequentialEditor(p.W, D_OUT, D_IN, opts);
    const first = editor.edit(p.K1, p.V1, p.u);
    const W1 = first.weights;
    const outputs1 = matmul(W1, p.K1, D_OUT, D_IN, p.u);

    const withKp = editor.edit(second.K1, second.V1, second.u);
    const withoutKp = editLinear(W1, D_OUT, D_IN, {
      ...opts,
      keysNew: second.K1,
      valuesNew: second.V1,
      edits: second.u,
    });
    const moved = (w: Float64Array) =>
      norm(diff(matmul(w, p.K1, D_OUT, D_IN, p.u), outputs1)) / norm(outputs1);
    const movedWith = moved(withKp.weights);
    const movedWithout = moved(withoutKp.weights);
    expect(movedWithout).toBeGreaterThan(1e-2);
    expect(movedWith).toBeLessThan(0.5 * movedWithout);

    // Both edits stay in C0's null space.
    const total = diff(editor.weights, p.W);
    expect(relativeMove(p.W, total, p.K0, N0)).toBeLessThan(1e-8);
  });

  it('equal editLinear with previousEditKeys, and record Kp in order', () => {
    const editor = new SequentialEditor(p.W, D_OUT, D_IN, { ...opts, l2: 0.3 });
    const first = editor.edit(p.K1, p.V1, p.u);
    const viaEditor = editor.edit(second.K1, second.V1, second.u);
    const direct = editLinear(first.weights, D_OUT, D_IN, {
      ...opts,
      l2: 0.3,
      keysNew: second.K1,
      valuesNew: second.V1,
      edits: second.u,
      previousEditKeys: p.K1,
      previousCount: p.u,
    });
    expect(norm(diff(viaEditor.weights, direct.weights)) / norm(direct.delta)).toBeLessThan(1e-10);
    expect(editor.previousCount).toBe(6);
    const Kp = editor.previousKeys;
    for (let i = 0; i < D_IN; i++) {
      for (let j = 0; j < 3; j++) {
        expect(Kp[i * 6 + j]).toBe(p.K1[i * 3 + j]);
        expect(Kp[i * 6 + 3 + j]).toBe(second.K1[i * 3 + j]);
      }
    }
    expect(Array.from(editor.weights)).toEqual(Array.from(viaEditor.weights));
  });

  it("keeps the caller's 'in-out' layout", () => {
    const editor = new SequentialEditor(transpose(p.W, D_OUT, D_IN), D_OUT, D_IN, {
      ...opts,
      layout: 'in-out',
    });
    const reference = new SequentialEditor(p.W, D_OUT, D_IN, opts);
    editor.edit(p.K1, p.V1, p.u);
    reference.edit(p.K1, p.V1, p.u);
    const r = editor.edit(second.K1, second.V1, second.u);
    const ref = reference.edit(second.K1, second.V1, second.u);
    expect(norm(diff(r.weights, transpose(ref.weights, D_OUT, D_IN)))).toBeLessThan(1e-12);
    expect(norm(diff(editor.weights, transpose(reference.weights, D_OUT, D_IN)))).toBeLessThan(
      1e-12,
    );
  });
});

describe('editLinear validation', () => {
  const p = problem(5);
  const call =
    (extra: Partial<EditLinearOptions>, W = p.W, dOut = D_OUT, dIn = D_IN) =>
    () =>
      editLinear(W, dOut, dIn, base(p, extra));

  it('rejects mismatched sizes with the offending argument named', () => {
    expect(call({}, new Float64Array(D_OUT * D_IN - 1))).toThrow(
      /W has 599 entries, expected 20×30/,
    );
    expect(call({ keysNew: new Float64Array(D_IN * 3) })).toThrow(/keysNew has 90 entries/);
    expect(call({ valuesNew: new Float64Array(D_OUT * 5) })).toThrow(/valuesNew has 100 entries/);
    expect(call({ preservedCov: new Float64Array(D_IN * D_IN + 1) })).toThrow(/preservedCov/);
    expect(call({ preservedCov: undefined, preservedKeys: p.K0, preservedCount: N0 - 1 })).toThrow(
      /preservedKeys has 3000 entries, expected 30×99/,
    );
    expect(call({ previousEditKeys: new Float64Array(D_IN * 2), previousCount: 3 })).toThrow(
      /previousEditKeys has 60 entries, expected 30×3/,
    );
    expect(call({}, p.W, D_IN, D_OUT)).toThrow(/keysNew/);
  });

  it('rejects inconsistent or missing options', () => {
    expect(call({ edits: 0 })).toThrow(/edits must be a positive integer/);
    expect(call({ preservedCov: undefined })).toThrow(/needs preservedCov or preservedKeys/);
    expect(call({ preservedKeys: p.K0, preservedCount: N0 })).toThrow(/not both/);
    expect(call({ preservedCov: undefined, preservedKeys: p.K0 })).toThrow(/needs preservedCount/);
    expect(call({ previousEditKeys: new Float64Array(D_IN) })).toThrow(/needs previousCount/);
    expect(call({ previousCount: 2 })).toThrow(/previousEditKeys is missing/);
    expect(call({ l2: 0 })).toThrow(/l2 must be > 0 with projection/);
    expect(call({ l2: -1 })).toThrow(/l2 must be a finite number/);
    expect(call({ threshold: Number.NaN })).toThrow(/threshold/);
    expect(call({ layout: 'kernel' as 'in-out' })).toThrow(/layout/);
    expect(call({}, p.W, 0, D_IN)).toThrow(/dOut must be a positive integer/);
    expect(() => new SequentialEditor(p.W, D_OUT, D_IN)).toThrow(/needs preservedCov/);
    const editor = new SequentialEditor(p.W, D_OUT, D_IN, { preservedCov: p.C0 });
    expect(() => editor.edit(p.K1, p.V1, p.u + 1)).toThrow(/keysNew/);
    expect(editor.previousCount).toBe(0);
  });
});
