import type { Rng } from '../util/rng.js';

export interface AugmentOptions {
  /** Zero padding on each side before a random crop back to the input size; 0 disables. */
  readonly padding?: number;
  /** Mirror left-right with probability 1/2. */
  readonly flip?: boolean;
}

/** The standard CIFAR recipe: RandomCrop(size, padding=4) then RandomHorizontalFlip. */
export const STANDARD_AUGMENT: AugmentOptions = { padding: 4, flip: true };

/** One image's random choices, drawn before any pixel is touched so tests can reproduce them. */
export interface AugmentDraw {
  /** Offset of the crop window inside the padded image, each in 0..2*padding. */
  readonly dy: number;
  readonly dx: number;
  readonly flip: boolean;
}

export function drawAugment(rng: Rng, options: AugmentOptions): AugmentDraw {
  const pad = options.padding ?? 0;
  const dy = pad > 0 ? rng.int(2 * pad + 1) : pad;
  const dx = pad > 0 ? rng.int(2 * pad + 1) : pad;
  const flip = options.flip ? rng.next() < 0.5 : false;
  return { dy, dx, flip };
}

/**
 * Crops and flips one HWC uint8 image into `dst`. The padding is raw 0 before normalisation,
 * as torchvision pads the PIL image, so padded pixels normalise to -mean/std, not to 0.
 * Output (y, x) reads padded (y + dy, x + dx'), where x' is x mirrored when flipping: the
 * flip applies to the cropped image, matching the torchvision order crop-then-flip.
 */
export function cropFlipImage(
  src: Uint8Array,
  dst: Uint8Array,
  height: number,
  width: number,
  channels: number,
  padding: number,
  draw: AugmentDraw,
): void {
  for (let y = 0; y < height; y++) {
    const sy = y + draw.dy - padding;
    for (let x = 0; x < width; x++) {
      const cx = draw.flip ? width - 1 - x : x;
      const sx = cx + draw.dx - padding;
      const out = (y * width + x) * channels;
      const inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
      const from = (sy * width + sx) * channels;
      // A plain loop: a subarray per pixel would allocate ~50M views per CIFAR epoch.
      for (let c = 0; c < channels; c++) dst[out + c] = inside ? src[from + c] : 0;
    }
  }
}

/** Augments one image with fresh random draws from `rng`. */
export function augmentImage(
  src: Uint8Array,
  dst: Uint8Array,
  height: number,
  width: number,
  channels: number,
  rng: Rng,
  options: AugmentOptions,
): void {
  const draw = drawAugment(rng, options);
  cropFlipImage(src, dst, height, width, channels, options.padding ?? 0, draw);
}
