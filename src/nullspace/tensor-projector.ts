import * as tf from '@tensorflow/tfjs-core';
import type { LowRankProjector } from '../linalg/projector.js';

/**
 * A LowRankProjector living on the tfjs backend, applied to kernel-shaped updates in the
 * training step without leaving the device: U(UᵀS) or S − U(UᵀS), times the scale.
 */
export class TensorProjector {
  private readonly basis: tf.Tensor2D;
  /** Uᵀ kept alongside U: a matMul with transposeA is several times slower on the wasm backend. */
  private readonly basisT: tf.Tensor2D;

  constructor(readonly projector: LowRankProjector) {
    this.basis = tf.tensor2d(Float32Array.from(projector.basis), [projector.n, projector.m]);
    this.basisT = tf.transpose(this.basis);
  }

  /** Projects an update whose shape flattens to [n, out] (a dense or conv kernel). */
  apply(update: tf.Tensor): tf.Tensor {
    const p = this.projector;
    return tf.tidy(() => {
      if (p.nullDim === 0) return tf.zerosLike(update);
      const s = tf.reshape(update, [p.n, -1]) as tf.Tensor2D;
      const along = tf.matMul(this.basis, tf.matMul(this.basisT, s));
      const projected = p.basisSpans === 'null' ? along : tf.sub(s, along);
      return tf.reshape(p.scale === 1 ? projected : tf.mul(projected, p.scale), update.shape);
    });
  }

  dispose(): void {
    this.basis.dispose();
    this.basisT.dispose();
  }
}
