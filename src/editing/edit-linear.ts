/**
 * Null-space constrained editing of one linear layer (AlphaEdit, Fang et al., ICLR 2025), in
 * float64. A layer W (d_out×d_in) should map new keys K1 to new values V1 while the outputs on the
 * preserved keys K0 stay as they are. AlphaEdit confines the change to the null space of
 * C0 = K0K0ᵀ: with P = U2U2ᵀ (eigenvectors of C0 whose eigenvalues are ≤ a threshold) and any Δ,
 * (ΔP)K0 ≈ 0, so the edit cannot disturb the preserved outputs and the objective no longer needs
 * MEMIT's C0 trade-off term. Minimising ‖(W + ΔP)K1 − V1‖² + ‖ΔP·Kp‖² + λ‖ΔP‖² gives
 *   Δ = R·K1ᵀ·P·(Kp·Kpᵀ·P + K1·K1ᵀ·P + λI)⁻¹,   R = V1 − W·K1,
 * and the layer becomes W + ΔP. Kp holds the keys of earlier edits, so that a sequence of edits
 * does not undo its own past (the ‖ΔP·Kp‖² term).
 */
import { matmul, matmulNT, transpose } from '../linalg/dense.js';
import { eigh } from '../linalg/eigh.js';
import { nullSpaceSize } from '../linalg/null-space-rule.js';
import { applyProjector, buildProjector, type LowRankProjector } from '../linalg/projector.js';
import { solve } from '../linalg/solve.js';

export type WeightLayout = 'out-in' | 'in-out';

/** How the preserved knowledge and the solve are set up; shared by editLinear and SequentialEditor. */
export interface EditSetupOptions {
  /** C0 = K0K0ᵀ, d_in×d_in. Give this or preservedKeys (needed only when projecting). */
  preservedCov?: Float64Array;
  /** K0, d_in×n0 row-major (columns are keys); C0 = K0K0ᵀ is formed from it. */
  preservedKeys?: Float64Array;
  /** n0, required with preservedKeys. */
  preservedCount?: number;
  /** Absolute eigenvalue threshold: eigen-directions of C0 with λ ≤ threshold span P (default 2e-2, AlphaEdit's). */
  threshold?: number;
  /** λ (default 1). Must be > 0 when projecting, since the system is singular on C0's range otherwise. */
  l2?: number;
  /** Default true; false solves the same system with P = I (an unconstrained MEMIT-style edit). */
  project?: boolean;
  /** 'out-in': W is d_out×d_in (default); 'in-out': W is a tfjs Dense kernel [d_in, d_out]. */
  layout?: WeightLayout;
}

export interface EditLinearOptions extends EditSetupOptions {
  /** K1, d_in×u row-major: column j is the j-th new key. */
  keysNew: Float64Array;
  /** V1, d_out×u: column j is the output wanted for key j. */
  valuesNew: Float64Array;
  /** u, the number of new keys. */
  edits: number;
  /** Kp, d_in×p: keys of earlier edits whose outputs should be kept. */
  previousEditKeys?: Float64Array;
  /** p, required with previousEditKeys. */
  previousCount?: number;
}

export interface EditLinearResult {
  /** W + ΔP, in the caller's layout. */
  weights: Float64Array;
  /** The applied change ΔP, in the caller's layout. */
  delta: Float64Array;
  /** rank of P: C0's null-space dimension, or d_in without projection (P = I). */
  nullDim: number;
  /** P in low-rank form, or null without projection. */
  projector: LowRankProjector | null;
}

const DEFAULT_THRESHOLD = 2e-2;
const DEFAULT_L2 = 1;

interface Setup {
  projector: LowRankProjector | null;
  l2: number;
  layout: WeightLayout;
}

/** One AlphaEdit step on a single linear layer; W is not modified. */
export function editLinear(
  W: Float64Array,
  dOut: number,
  dIn: number,
  options: EditLinearOptions,
): EditLinearResult {
  checkDims(dOut, dIn);
  checkWeights(W, dOut, dIn);
  checkEditData(options.keysNew, options.valuesNew, options.edits, dOut, dIn);
  const previousGram = gramOfPreviousKeys(options, dIn);
  const setup = prepareSetup(options, dIn);
  const w = toOutIn(W, dOut, dIn, setup.layout);
  const change = editDelta(w, dOut, dIn, options.keysNew, options.valuesNew, options.edits, {
    projector: setup.projector,
    l2: setup.l2,
    previousGram,
  });
  return assemble(w, change, dOut, dIn, setup);
}

/**
 * Edits one layer again and again, as AlphaEdit's sequential setting does: P is computed from C0
 * once, and each edit's keys join Kp so later edits are penalised for moving their outputs.
 * Only KpKpᵀ enters the solve, so it is accumulated as d_in×d_in rather than rebuilt from Kp.
 */
export class SequentialEditor {
  readonly dOut: number;
  readonly dIn: number;
  readonly projector: LowRankProjector | null;
  private readonly setup: Setup;
  private w: Float64Array;
  private readonly previousGram: Float64Array;
  private keyBlocks: { keys: Float64Array; count: number }[] = [];

  constructor(W: Float64Array, dOut: number, dIn: number, options: EditSetupOptions = {}) {
    checkDims(dOut, dIn);
    checkWeights(W, dOut, dIn);
    this.dOut = dOut;
    this.dIn = dIn;
    this.setup = prepareSetup(options, dIn);
    this.projector = this.setup.projector;
    this.w = toOutIn(W, dOut, dIn, this.setup.layout);
    this.previousGram = new Float64Array(dIn * dIn);
  }

  /** Applies one edit to the held weights and records its keys in Kp. */
  edit(keysNew: Float64Array, valuesNew: Float64Array, edits: number): EditLinearResult {
    const { dOut, dIn } = this;
    checkEditData(keysNew, valuesNew, edits, dOut, dIn);
    const change = editDelta(this.w, dOut, dIn, keysNew, valuesNew, edits, {
      projector: this.projector,
      l2: this.setup.l2,
      previousGram: this.previousGram,
    });
    const result = assemble(this.w, change, dOut, dIn, this.setup);
    this.w = addInto(Float64Array.from(this.w), change);
    addInto(this.previousGram, matmulNT(keysNew, keysNew, dIn, edits, dIn));
    this.keyBlocks.push({ keys: Float64Array.from(keysNew), count: edits });
    return result;
  }

  /** The current weights, in the caller's layout (a copy). */
  get weights(): Float64Array {
    return fromOutIn(this.w, this.dOut, this.dIn, this.setup.layout);
  }

  /** p, the number of keys edited so far. */
  get previousCount(): number {
    return this.keyBlocks.reduce((sum, b) => sum + b.count, 0);
  }

  /** Kp, d_in×p: the keys of all edits so far, in order. */
  get previousKeys(): Float64Array {
    return concatColumns(this.keyBlocks, this.dIn);
  }
}

/** ΔP in out-in layout (d_out×d_in). */
function editDelta(
  w: Float64Array,
  dOut: number,
  dIn: number,
  k1: Float64Array,
  v1: Float64Array,
  u: number,
  solveWith: { projector: LowRankProjector | null; l2: number; previousGram: Float64Array | null },
): Float64Array {
  const { projector, l2, previousGram } = solveWith;
  const project = (m: Float64Array, cols: number) =>
    projector === null ? m : applyProjector(projector, m, cols);
  const residual = subtract(v1, matmul(w, k1, dOut, dIn, u));
  // Solve Mᵀ·Δᵀ = (R·K1ᵀ·P)ᵀ: with G = KpKpᵀ + K1K1ᵀ symmetric and P symmetric,
  // Mᵀ = (G·P + λI)ᵀ = P·G + λI and the right-hand side is P·K1·Rᵀ, so P is only ever applied
  // from the left, in its low-rank form, and no inverse is formed.
  const gram = matmulNT(k1, k1, dIn, u, dIn);
  if (previousGram !== null) addInto(gram, previousGram);
  const system = project(gram, dIn);
  for (let i = 0; i < dIn; i++) system[i * dIn + i] += l2;
  const rhs = project(matmulNT(k1, residual, dIn, u, dOut), dOut);
  const deltaT = solve(system, dIn, rhs, dOut);
  // (ΔP)ᵀ = P·Δᵀ. Δᵀ already lies in P's range when λ > 0; projecting again strips the rounding
  // error that would otherwise leak into the preserved directions.
  return transpose(project(deltaT, dOut), dIn, dOut);
}

function assemble(
  w: Float64Array,
  change: Float64Array,
  dOut: number,
  dIn: number,
  setup: Setup,
): EditLinearResult {
  const edited = addInto(Float64Array.from(w), change);
  return {
    weights: fromOutIn(edited, dOut, dIn, setup.layout),
    delta: fromOutIn(change, dOut, dIn, setup.layout),
    nullDim: setup.projector === null ? dIn : setup.projector.nullDim,
    projector: setup.projector,
  };
}

function prepareSetup(options: EditSetupOptions, dIn: number): Setup {
  const project = options.project ?? true;
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const l2 = options.l2 ?? DEFAULT_L2;
  const layout = options.layout ?? 'out-in';
  if (layout !== 'out-in' && layout !== 'in-out') {
    throw new Error(`editLinear: layout must be 'out-in' or 'in-out', got '${layout}'`);
  }
  if (!(Number.isFinite(threshold) && threshold >= 0)) {
    throw new Error(`editLinear: threshold must be a finite number ≥ 0, got ${threshold}`);
  }
  if (!(Number.isFinite(l2) && l2 >= 0)) {
    throw new Error(`editLinear: l2 must be a finite number ≥ 0, got ${l2}`);
  }
  if (project && l2 === 0) {
    throw new Error(
      'editLinear: l2 must be > 0 with projection (P·G + λI is singular on C0’s range when λ = 0)',
    );
  }
  const cov = preservedCovariance(options, dIn, project);
  const projector = cov === null ? null : nullSpaceProjector(cov, dIn, threshold);
  return { projector, l2, layout };
}

/** C0 from whichever of preservedCov / preservedKeys was given; null when not projecting. */
function preservedCovariance(
  options: EditSetupOptions,
  dIn: number,
  project: boolean,
): Float64Array | null {
  const { preservedCov, preservedKeys, preservedCount } = options;
  if (preservedCov !== undefined && preservedKeys !== undefined) {
    throw new Error('editLinear: give preservedCov or preservedKeys, not both');
  }
  if (preservedCov !== undefined) {
    expectLength('preservedCov', preservedCov, dIn * dIn, `${dIn}×${dIn}`);
  }
  if (preservedKeys !== undefined) {
    const n0 = requireCount('preservedCount', preservedCount, 'preservedKeys');
    expectLength('preservedKeys', preservedKeys, dIn * n0, `${dIn}×${n0}`);
  }
  if (!project) return null;
  if (preservedCov !== undefined) return preservedCov;
  if (preservedKeys !== undefined) {
    return matmulNT(preservedKeys, preservedKeys, dIn, preservedCount!, dIn);
  }
  throw new Error('editLinear: projection needs preservedCov or preservedKeys (or project: false)');
}

/** AlphaEdit's plain P = U2U2ᵀ; unlike Adam-NSCL it is not scaled by 1/‖U2U2ᵀ‖_F. */
function nullSpaceProjector(cov: Float64Array, dIn: number, threshold: number): LowRankProjector {
  const eigen = eigh(cov, dIn);
  const k = nullSpaceSize(eigen.values, { kind: 'absolute', threshold });
  return buildProjector(eigen, k, false);
}

function gramOfPreviousKeys(options: EditLinearOptions, dIn: number): Float64Array | null {
  const { previousEditKeys, previousCount } = options;
  if (previousEditKeys === undefined) {
    if (previousCount !== undefined && previousCount !== 0) {
      throw new Error(
        `editLinear: previousCount is ${previousCount} but previousEditKeys is missing`,
      );
    }
    return null;
  }
  const p = requireCount('previousCount', previousCount, 'previousEditKeys');
  expectLength('previousEditKeys', previousEditKeys, dIn * p, `${dIn}×${p}`);
  return p === 0 ? null : matmulNT(previousEditKeys, previousEditKeys, dIn, p, dIn);
}

function checkDims(dOut: number, dIn: number): void {
  for (const [name, v] of [
    ['dOut', dOut],
    ['dIn', dIn],
  ] as const) {
    if (!(Number.isInteger(v) && v > 0)) {
      throw new Error(`editLinear: ${name} must be a positive integer, got ${v}`);
    }
  }
}

function checkWeights(W: Float64Array, dOut: number, dIn: number): void {
  expectLength('W', W, dOut * dIn, `${dOut}×${dIn}`);
}

function checkEditData(
  keys: Float64Array,
  values: Float64Array,
  u: number,
  dOut: number,
  dIn: number,
): void {
  if (!(Number.isInteger(u) && u > 0)) {
    throw new Error(`editLinear: edits must be a positive integer, got ${u}`);
  }
  expectLength('keysNew', keys, dIn * u, `${dIn}×${u} (d_in × edits)`);
  expectLength('valuesNew', values, dOut * u, `${dOut}×${u} (d_out × edits)`);
}

function requireCount(name: string, count: number | undefined, owner: string): number {
  if (count === undefined) throw new Error(`editLinear: ${owner} needs ${name}`);
  if (!(Number.isInteger(count) && count >= 0)) {
    throw new Error(`editLinear: ${name} must be an integer ≥ 0, got ${count}`);
  }
  return count;
}

function expectLength(name: string, a: Float64Array, len: number, shape: string): void {
  if (a.length !== len) {
    throw new Error(`editLinear: ${name} has ${a.length} entries, expected ${shape} = ${len}`);
  }
}

function toOutIn(W: Float64Array, dOut: number, dIn: number, layout: WeightLayout): Float64Array {
  return layout === 'out-in' ? W : transpose(W, dIn, dOut);
}

function fromOutIn(w: Float64Array, dOut: number, dIn: number, layout: WeightLayout): Float64Array {
  return layout === 'out-in' ? Float64Array.from(w) : transpose(w, dOut, dIn);
}

function subtract(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] - b[i];
  return out;
}

/** a += b, returning a. */
function addInto(a: Float64Array, b: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return a;
}

/** Side-by-side concatenation of d_in-row blocks: [K_a | K_b | …]. */
function concatColumns(
  blocks: { keys: Float64Array; count: number }[],
  rows: number,
): Float64Array {
  const total = blocks.reduce((sum, b) => sum + b.count, 0);
  const out = new Float64Array(rows * total);
  let col = 0;
  for (const { keys, count } of blocks) {
    for (let i = 0; i < rows; i++)
      out.set(keys.subarray(i * count, (i + 1) * count), i * total + col);
    col += count;
  }
  return out;
}
