import type * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from './errors';

/** An 8-bit RGB image, row-major, 3 bytes per pixel (`data.length === width * height * 3`). */
export interface ImageGrid {
  width: number;
  height: number;
  channels: 3;
  data: Uint8Array;
}

/** How pixel values map to [0, 1]: `tanh` is [-1, 1], `unit` is [0, 1], `auto` picks `tanh` if any value is < 0. */
export type ImageRange = 'auto' | 'tanh' | 'unit';

/** Options for `toImageGrid` (defaults follow torchvision's `make_grid`/`save_image`). */
export interface ImageGridOptions {
  /** Images per row (default 8, capped at the number of images). */
  columns?: number;
  /** Pixels between and around tiles (default 2). */
  padding?: number;
  /** Brightness of the padding in [0, 1] (default 0 = black). */
  padValue?: number;
  /** Value range of the input (default `auto`). */
  range?: ImageRange;
}

function checkInteger(value: number, name: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new GanKitError('INVALID_ARGUMENT', `toImageGrid: ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

function checkImagesShape(shape: readonly number[]): [number, number, number, number] {
  const [n, h, w, c] = shape;
  if (shape.length !== 4 || n === undefined || h === undefined || w === undefined || c === undefined) {
    throw new GanKitError('SHAPE_MISMATCH', `toImageGrid expects images of shape [N, H, W, C], got [${shape.join(', ')}]`);
  }
  if (c !== 1 && c !== 3) {
    throw new GanKitError('SHAPE_MISMATCH', `toImageGrid expects C = 1 (grayscale) or 3 (RGB) channels, got shape [${shape.join(', ')}]`);
  }
  if (n < 1 || h < 1 || w < 1) {
    throw new GanKitError('SHAPE_MISMATCH', `toImageGrid expects at least one non-empty image, got shape [${shape.join(', ')}]`);
  }
  return [n, h, w, c];
}

function resolveRange(range: ImageRange, values: ArrayLike<number>): 'tanh' | 'unit' {
  if (range === 'tanh' || range === 'unit') return range;
  for (let i = 0; i < values.length; i++) if ((values[i] ?? 0) < 0) return 'tanh';
  return 'unit';
}

const f32 = Math.fround;

/** Maps one value to a byte exactly as torchvision's `save_image` does in float32 (normalize for `tanh`). */
function toByte(x: number, range: 'tanh' | 'unit'): number {
  let v = x;
  if (range === 'tanh') v = f32(f32(Math.min(Math.max(v, -1), 1) + 1) / 2);
  v = f32(f32(v * 255) + 0.5);
  if (!(v > 0)) return 0; // NaN maps to 0 too
  return v >= 255 ? 255 : Math.trunc(v);
}

/**
 * Tiles a batch of images `[N, H, W, C]` (C = 1 or 3, values in [-1, 1] or [0, 1]) into one 8-bit RGB grid,
 * like torchvision's `make_grid` + `save_image` (byte = clamp(x * 255 + 0.5, 0, 255) after mapping to [0, 1]).
 */
export async function toImageGrid(images: tf.Tensor, options: ImageGridOptions = {}): Promise<ImageGrid> {
  const [n, h, w, c] = checkImagesShape(images.shape);
  const padding = checkInteger(options.padding ?? 2, 'padding', 0);
  const columns = Math.min(checkInteger(options.columns ?? 8, 'columns', 1), n);
  const padValue = options.padValue ?? 0;
  if (!Number.isFinite(padValue) || padValue < 0 || padValue > 1) {
    throw new GanKitError('INVALID_ARGUMENT', `toImageGrid: padValue must be in [0, 1], got ${padValue}`);
  }
  const values = await images.data();
  const range = resolveRange(options.range ?? 'auto', values);
  const rows = Math.ceil(n / columns);
  const width = columns * (w + padding) + padding;
  const height = rows * (h + padding) + padding;
  const data = new Uint8Array(width * height * 3).fill(toByte(padValue, 'unit'));
  for (let k = 0; k < n; k++) {
    const top = Math.floor(k / columns) * (h + padding) + padding;
    const left = (k % columns) * (w + padding) + padding;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = ((k * h + y) * w + x) * c;
        const dst = ((top + y) * width + left + x) * 3;
        for (let ch = 0; ch < 3; ch++) data[dst + ch] = toByte(values[src + (c === 1 ? 0 : ch)] ?? 0, range);
      }
    }
  }
  return { width, height, channels: 3, data };
}

/** Throws SHAPE_MISMATCH unless `grid` is an 8-bit RGB grid whose data fills width × height × 3. */
export function checkGrid(grid: ImageGrid): void {
  const { width, height, channels, data } = grid;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || channels !== 3 || data.length !== width * height * 3) {
    throw new GanKitError(
      'SHAPE_MISMATCH',
      `image grid must be RGB with data.length = width * height * 3; got ${width}x${height}x${String(channels)} with ${data.length} bytes`,
    );
  }
}
