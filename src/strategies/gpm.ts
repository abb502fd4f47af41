import { z } from 'zod';
import type { ExperimentConfig } from '../config/schema.js';
import { selectImages } from '../data/images.js';
import { matmul, matmulNT, matmulTN } from '../linalg/dense.js';
import { eigh } from '../linalg/eigh.js';
import { complementProjector } from '../linalg/projector.js';
import { inPass } from '../logging/work-monitor.js';
import { covarianceMatrix } from '../nullspace/covariance.js';
import { ProjectionState, projectionRecord } from '../nullspace/projection-state.js';
import { TensorProjector } from '../nullspace/tensor-projector.js';
import type { Strategy, StrategyContext } from './strategy.js';

/** A layer's protected input subspace: an n×m row-major matrix with orthonormal columns. */
export interface GpmBasis {
  readonly n: number;
  readonly m: number;
  readonly basis: Float64Array;
}

export function emptyBasis(n: number): GpmBasis {
  return { n, m: 0, basis: new Float64Array(0) };
}

/**
 * GPM's memory update for one layer from a task's representation Gram matrix G = RᵀR (any
 * positive scale): the energy of R already inside the basis M is ‖RM‖² = tr G − tr Ĝ with
 * Ĝ = (I − MMᵀ)G(I − MMᵀ), and Ĝ's leading eigenvectors (already ⟂ M) are appended until
 * the basis holds `threshold` of ‖R‖². Saha et al.'s code stops one direction short of the
 * threshold; this takes the paper's criterion literally. Also returns Ĝ's eigenvalues.
 */
export function extendBasis(
  current: GpmBasis,
  gram: Float64Array,
  threshold: number,
): { basis: GpmBasis; residualValues: Float64Array } {
  const { n, m } = current;
  const residual = m === 0 ? gram : projectOut(gram, current);
  const total = trace(gram, n);
  const eigen = eigh(residual, n);
  let energy = total - trace(residual, n);
  const chosen: Float64Array[] = [];
  for (let j = n - 1; j >= 0 && energy < threshold * total && m + chosen.length < n; j--) {
    if (!(eigen.values[j] > 0)) break;
    energy += eigen.values[j];
    chosen.push(Float64Array.from({ length: n }, (_, i) => eigen.vectors[i * n + j]));
  }
  return { basis: appendOrthonormal(current, chosen), residualValues: eigen.values };
}

function trace(a: Float64Array, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += a[i * n + i];
  return t;
}

/**
 * (I − MMᵀ)G(I − MMᵀ) = G − (CMᵀ + MCᵀ) with C = GM − ½M(MᵀGM), which costs O(n²m)
 * instead of the O(n³) of forming the projector.
 */
function projectOut(gram: Float64Array, { n, m, basis }: GpmBasis): Float64Array {
  const gm = matmul(gram, basis, n, n, m);
  const mgm = matmulTN(basis, gm, m, n, m);
  const half = matmul(basis, mgm, n, m, m);
  for (let i = 0; i < gm.length; i++) gm[i] -= 0.5 * half[i];
  const d = matmulNT(gm, basis, n, m, n);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = gram[i * n + j] - d[i * n + j] - d[j * n + i];
  }
  return out;
}

/**
 * The basis with new columns added after modified Gram–Schmidt (two passes) against it and each
 * other: eigenvectors of Ĝ are ⟂ M only up to rounding, which compounds over many tasks.
 */
function appendOrthonormal(current: GpmBasis, fresh: Float64Array[]): GpmBasis {
  const { n, m } = current;
  const cols: Float64Array[] = Array.from({ length: m }, (_, j) =>
    Float64Array.from({ length: n }, (_, i) => current.basis[i * m + j]),
  );
  for (const v of fresh) {
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) axpy(v, q, -dot(v, q));
    }
    const norm = Math.sqrt(dot(v, v));
    // A direction that vanished under re-orthogonalisation was already in the span.
    if (norm < 1e-8) continue;
    for (let i = 0; i < n; i++) v[i] /= norm;
    cols.push(v);
  }
  const width = cols.length;
  const basis = new Float64Array(n * width);
  cols.forEach((q, j) => {
    for (let i = 0; i < n; i++) basis[i * width + j] = q[i];
  });
  return { n, m: width, basis };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(y: Float64Array, x: Float64Array, alpha: number): void {
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
}

/**
 * RᵀR/rows for every projected layer over `samples` random training images of the task, in eval
 * mode, every input row (dense) or patch (conv) included. ProjectionState's accumulation
 * already does exactly this in float64; its null-space rule is not used here.
 */
function representationGrams(ctx: StrategyContext, samples: number, config: ExperimentConfig) {
  const train = ctx.sequence.tasks[ctx.task].train;
  const total = train.labels.length;
  const picked = ctx.rng.permutation(total).subarray(0, Math.min(samples, total));
  const state = new ProjectionState({
    rule: { kind: 'energy', epsilon: 0 },
    normalize: false,
    covarianceMode: 'per-sample',
    batchSize: config.train.evalBatchSize,
  });
  inPass(ctx.monitor, 'representations', picked.length, 'images', (onImages) =>
    state.accumulate(ctx.model, selectImages(train, picked), ctx.sequence.normalization, onImages),
  );
  const { covariances } = state.snapshot();
  return new Map(Object.entries(covariances).map(([name, c]) => [name, covarianceMatrix(c)]));
}

export type GpmSettings = z.output<typeof gpmSettings>;

/** The `gpm` config section. */
export const gpmSettings = z.strictObject({
  threshold: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.97)
    .describe('energy of the representations kept in the bases (Saha et al.: 0.97 and up)'),
  samples: z
    .number()
    .int()
    .positive()
    .default(125)
    .describe('images per task used to build the representation matrices'),
});

export interface GpmSnapshot {
  readonly bases: Record<string, GpmBasis>;
}

/**
 * Gradient Projection Memory (Saha, Garg & Roy, ICLR 2021): after each task every projected
 * layer keeps an orthonormal basis M of the inputs it has seen (the top singular directions of
 * the representation matrix, up to `gpm.threshold` of its energy), and later tasks update its
 * kernel only by G − MMᵀG, so earlier tasks' inputs meet unchanged weights. Unlike Adam-NSCL
 * the step is not rescaled. Heads are per task and BatchNorm parameters are left unprotected.
 */
export function createGpm(gpm: GpmSettings, config: ExperimentConfig): Strategy {
  const bases = new Map<string, GpmBasis>();
  const projectors = new Map<string, TensorProjector>();
  const setBasis = (layer: string, basis: GpmBasis) => {
    bases.set(layer, basis);
    projectors.get(layer)?.dispose();
    projectors.delete(layer);
    if (basis.m > 0)
      projectors.set(
        layer,
        new TensorProjector(complementProjector(basis.basis, basis.n, basis.m)),
      );
  };
  return {
    name: 'gpm',
    transformUpdate(_ctx, param, step) {
      const projector = param.projected && projectors.get(param.projected.name);
      return projector ? projector.apply(step) : step;
    },
    afterTask(ctx) {
      const grams = representationGrams(ctx, gpm.samples, config);
      return ctx.model.projectedLayers.map((layer) => {
        const gram = grams.get(layer.name);
        if (!gram) throw new Error(`GPM saw no input for layer ${layer.name}`);
        const n = layer.inputSize;
        const start = performance.now();
        const previous = bases.get(layer.name) ?? emptyBasis(n);
        const { basis, residualValues } = extendBasis(previous, gram, gpm.threshold);
        setBasis(layer.name, basis);
        // On the first task Ĝ is RᵀR itself; later its spectrum needs its own decomposition.
        const spectrum = previous.m === 0 ? residualValues : eigh(gram, n).values;
        const seconds = (performance.now() - start) / 1000;
        ctx.monitor.timing(`basis of ${layer.name}`, seconds, { n, basis: basis.m });
        return projectionRecord(layer.name, spectrum, n - basis.m);
      });
    },
    snapshot: (): GpmSnapshot => ({ bases: Object.fromEntries(bases) }),
    restore(snapshot) {
      for (const [layer, basis] of Object.entries((snapshot as GpmSnapshot).bases))
        setBasis(layer, { n: basis.n, m: basis.m, basis: Float64Array.from(basis.basis) });
    },
    dispose() {
      for (const p of projectors.values()) p.dispose();
      projectors.clear();
    },
  };
}
