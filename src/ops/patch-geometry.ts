/**
 * Geometry of a convolution's input patches; `padding` is a symmetric pixel count (PyTorch
 * style, what the reference ResNet uses) or TensorFlow's 'same'/'valid'.
 */
export interface PatchGeometry {
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: 'same' | 'valid' | number;
}

/** tfjs conv padding for a PatchGeometry: symmetric counts become explicit per-side pads. */
export function convPadding(
  padding: PatchGeometry['padding'],
): 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]] {
  return typeof padding === 'number'
    ? [
        [0, 0],
        [padding, padding],
        [padding, padding],
        [0, 0],
      ]
    : padding;
}
