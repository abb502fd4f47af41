import * as tf from '@tensorflow/tfjs-core';
import { batches } from '../data/batches.js';
import type { LabelledImages } from '../data/images.js';
import type { Normalization } from '../data/task-sequence.js';
import { eighColumns } from '../linalg/eigh.js';
import { type NullSpaceRule, nullSpaceSize } from '../linalg/null-space-rule.js';
import {
  type LowRankProjector,
  projectorColumns,
  projectorFromBasis,
} from '../linalg/projector.js';
import type { LayerProjectionRecord } from '../metrics/run-results.js';
import type { ContinualModel } from '../models/continual-model.js';
import type { ProjectedLayer } from '../models/parameter.js';
import { gram } from '../ops/gram.js';
import { DivergenceError, firstNonFinite } from '../util/divergence.js';
import { addGram, type CovarianceState, covarianceMatrix, emptyCovariance } from './covariance.js';
import { type CovarianceMode, layerInputRows } from './layer-inputs.js';
import { TensorProjector } from './tensor-projector.js';

export interface ProjectionOptions {
  readonly rule: NullSpaceRule;
  /** Divide U2U2ᵀ by its Frobenius norm (reference default). */
  readonly normalize: boolean;
  readonly covarianceMode: CovarianceMode;
  readonly batchSize: number;
}

/** Serialisable form, for checkpoints. */
export interface ProjectionSnapshot {
  readonly covariances: Record<string, { n: number; count: number; sum: Float64Array }>;
}

/**
 * Per-layer covariances accumulated over the tasks so far and the projectors derived from them.
 * Lives across tasks; the training step only calls `project`.
 */
export class ProjectionState {
  private readonly covariances = new Map<string, CovarianceState>();
  private readonly projectors = new Map<string, TensorProjector>();

  constructor(readonly options: ProjectionOptions) {}

  hasProjectors(): boolean {
    return this.projectors.size > 0;
  }

  /** The update to apply for `layer`: projected once a projector exists, else unchanged. */
  project(layer: ProjectedLayer, update: tf.Tensor): tf.Tensor {
    const p = this.projectors.get(layer.name);
    return p ? p.apply(update) : update;
  }

  /**
   * Adds a task's training inputs to every projected layer's covariance, with the model in eval
   * mode (BatchNorm uses running statistics, as the reference does).
   */
  accumulate(
    model: ContinualModel,
    images: LabelledImages,
    norm: Normalization,
    onImages?: (count: number) => void,
  ): void {
    const buffers = new Map<string, RowBuffer>();
    const pending = new Map<string, { gram: tf.Tensor2D; rows: number }>();
    const addToPending = (name: string, rows: tf.Tensor2D) => {
      const batchGram = gram(rows);
      const count = rows.shape[0];
      rows.dispose();
      const prev = pending.get(name);
      pending.set(name, {
        gram: tf.keep(prev ? tf.add(prev.gram, batchGram) : batchGram) as tf.Tensor2D,
        rows: (prev?.rows ?? 0) + count,
      });
      prev?.gram.dispose();
    };
    const onLayerInput = (layer: ProjectedLayer, input: tf.Tensor) => {
      let buffer = buffers.get(layer.name);
      if (!buffer) {
        buffer = new RowBuffer(layer.inputSize);
        buffers.set(layer.name, buffer);
      }
      const full = buffer.push(layerInputRows(layer, input, this.options.covarianceMode));
      if (full) addToPending(layer.name, full);
    };
    let sinceFlush = 0;
    try {
      for (const batch of batches(images, norm, { batchSize: this.options.batchSize })) {
        tf.tidy(() => {
          model.features(batch.x, { training: false, onLayerInput });
        });
        tf.dispose([batch.x, batch.y]);
        onImages?.(batch.size);
        // Float32 sums on the device lose precision as they grow; move them to float64 often.
        if (++sinceFlush === 16) {
          this.flush(model, pending);
          sinceFlush = 0;
        }
      }
      tf.tidy(() => {
        for (const [name, buffer] of buffers) {
          const rest = buffer.drain();
          if (rest) addToPending(name, rest);
        }
      });
      this.flush(model, pending);
    } finally {
      // Kept tensors outlive every tidy: after a divergence they would stay for the rest of a
      // sweep's process.
      for (const entry of pending.values()) entry.gram.dispose();
      for (const buffer of buffers.values()) buffer.dispose();
    }
  }

  private flush(model: ContinualModel, pending: Map<string, { gram: tf.Tensor2D; rows: number }>) {
    for (const layer of model.projectedLayers) {
      const entry = pending.get(layer.name);
      if (!entry) continue;
      pending.delete(layer.name);
      try {
        let state = this.covariances.get(layer.name);
        if (!state) {
          state = emptyCovariance(layer.inputSize);
          this.covariances.set(layer.name, state);
        }
        const gram = entry.gram.dataSync();
        const bad = firstNonFinite(gram);
        if (bad >= 0)
          throw new DivergenceError(`the input covariance of layer ${layer.name}`, gram[bad]);
        addGram(state, gram, entry.rows);
      } finally {
        entry.gram.dispose();
      }
    }
  }

  /**
   * Recomputes every layer's null space and projector from the covariances; returns the
   * records, each also given to `onLayer` with the seconds its eigendecomposition took.
   */
  refresh(
    layers: readonly ProjectedLayer[],
    onLayer?: (record: LayerProjectionRecord, seconds: number) => void,
  ): LayerProjectionRecord[] {
    const records: LayerProjectionRecord[] = [];
    for (const layer of layers) {
      const state = this.covariances.get(layer.name);
      if (!state) throw new Error(`no covariance accumulated for layer ${layer.name}`);
      const start = performance.now();
      const { projector, values } = nullSpaceProjector(state, this.options);
      this.projectors.get(layer.name)?.dispose();
      this.projectors.set(layer.name, new TensorProjector(projector));
      const record = projectionRecord(layer.name, values, projector.nullDim);
      records.push(record);
      onLayer?.(record, (performance.now() - start) / 1000);
    }
    return records;
  }

  snapshot(): ProjectionSnapshot {
    const covariances: ProjectionSnapshot['covariances'] = {};
    for (const [name, s] of this.covariances)
      covariances[name] = { n: s.n, count: s.count, sum: s.sum };
    return { covariances };
  }

  /** Restores covariances; call `refresh` afterwards to rebuild the projectors. */
  restore(snapshot: ProjectionSnapshot): void {
    this.covariances.clear();
    for (const [name, s] of Object.entries(snapshot.covariances)) {
      this.covariances.set(name, { n: s.n, count: s.count, sum: Float64Array.from(s.sum) });
    }
  }

  dispose(): void {
    for (const p of this.projectors.values()) p.dispose();
    this.projectors.clear();
  }
}

/**
 * The null-space projector of one layer's covariance under the rule, with the covariance's
 * spectrum (ascending). Only the stored subspace's eigenvectors are back-transformed.
 */
export function nullSpaceProjector(
  covariance: CovarianceState,
  options: Pick<ProjectionOptions, 'rule' | 'normalize'>,
): { projector: LowRankProjector; values: Float64Array } {
  const { n } = covariance;
  let kept = 0;
  const eigen = eighColumns(covarianceMatrix(covariance), n, (values) => {
    kept = nullSpaceSize(values, options.rule);
    return projectorColumns(n, kept);
  });
  return {
    projector: projectorFromBasis(n, kept, eigen.vectors, options.normalize),
    values: eigen.values,
  };
}

/**
 * A layer's input rows held back until there are at least n of them. Deep layers give few rows
 * per batch (4×4 positions at 4608 dimensions in ResNet-18, one image in batch-mean mode), and a
 * Gram matrix of so few rows is a memory-bound rank-r update of an n×n matrix; stacking rows
 * first turns the same sum into one compute-bound matMul with an inner dimension ≥ n.
 */
class RowBuffer {
  private rows: tf.Tensor2D[] = [];
  private count = 0;

  constructor(private readonly n: number) {}

  /** Takes ownership of `rows`; returns the stacked rows, owned by the caller, once n are buffered. */
  push(rows: tf.Tensor2D): tf.Tensor2D | null {
    this.rows.push(tf.keep(rows));
    this.count += rows.shape[0];
    return this.count >= this.n ? this.drain() : null;
  }

  dispose(): void {
    tf.dispose(this.rows);
    this.rows = [];
    this.count = 0;
  }

  /** The buffered rows stacked into one matrix (null when empty); the buffer is left empty. */
  drain(): tf.Tensor2D | null {
    if (this.rows.length === 0) return null;
    const stacked = this.rows.length === 1 ? this.rows[0] : tf.concat(this.rows, 0);
    if (this.rows.length > 1) tf.dispose(this.rows);
    this.rows = [];
    this.count = 0;
    return stacked;
  }
}

export function projectionRecord(
  layer: string,
  valuesAscending: Float64Array,
  kept: number,
): LayerProjectionRecord {
  const n = valuesAscending.length;
  return {
    layer,
    n,
    kept,
    lambdaMin: valuesAscending[0],
    lambdaMax: valuesAscending[n - 1],
    ratio: kept / n,
    spectrum: Array.from(valuesAscending),
  };
}
