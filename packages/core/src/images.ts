import type * as tf from '@tensorflow/tfjs-core';
import type Sharp from 'sharp';
import { GanKitError } from './errors';
import { atomicWriteFile, readFileOrThrow } from './files';

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

function checkGrid(grid: ImageGrid): void {
  const { width, height, channels, data } = grid;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || channels !== 3 || data.length !== width * height * 3) {
    throw new GanKitError(
      'SHAPE_MISMATCH',
      `image grid must be RGB with data.length = width * height * 3; got ${width}x${height}x${String(channels)} with ${data.length} bytes`,
    );
  }
}

/*
 * PNG encoder choice, measured with `node bench/png-encode/run.mjs` (sharp 0.34.5 / libvips 8.17.3 vs pngjs 7.0.0,
 * node 20, 2-core machine, median of 30; RGB grid of 8x8 tiles with 2-px padding):
 *   242x242 (28x28 tiles): sharp default 2.3 ms / 44.9 kB; pngjs default 5.4 ms / 95.1 kB;
 *                          pngjs deflate 6 + default strategy 6.1 ms / 56.7 kB
 *   530x530 (64x64 tiles): sharp default 10.5 ms / 273 kB; pngjs default 20.9 ms / 450 kB;
 *                          pngjs deflate 6 + default strategy 24.5 ms / 232 kB
 * sharp (libspng, zlib level 6) is 2-2.5x faster and the smaller file on the small grid; it is already a
 * dependency (prebuilt libvips shipped in npm), so gankit encodes and decodes with sharp. A rerun under load
 * also timed PIL (torchvision's save_image encoder): 3.5x (242x242) and 3.1x (530x530) slower than sharp.
 */

let sharpModule: Promise<typeof Sharp> | undefined;

/** Loads sharp on first use, so importing @gankit/core does not load libvips; a broken install names the fix. */
async function loadSharp(): Promise<typeof Sharp> {
  sharpModule ??= import('sharp').then(
    (module) => module.default,
    (error: unknown) => {
      sharpModule = undefined;
      throw new GanKitError(
        'MISSING_DEPENDENCY',
        `cannot load sharp (the PNG encoder): ${error instanceof Error ? error.message : String(error)}; reinstall it with \`npm i sharp@0.34\``,
        { cause: error },
      );
    },
  );
  return sharpModule;
}

/** Encodes an RGB grid as an 8-bit PNG (sharp/libspng, zlib level 6). */
export async function encodePng(grid: ImageGrid): Promise<Uint8Array> {
  checkGrid(grid);
  const sharp = await loadSharp();
  const buffer = await sharp(grid.data, { raw: { width: grid.width, height: grid.height, channels: 3 } }).png().toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Decodes a PNG (any bit depth, gray or color, alpha dropped) into an 8-bit RGB grid. */
export async function decodePng(bytes: Uint8Array): Promise<ImageGrid> {
  const sharp = await loadSharp();
  let raw: { data: Buffer; info: Sharp.OutputInfo };
  try {
    const image = sharp(bytes, { failOn: 'error' });
    const meta = await image.metadata();
    if (meta.format !== 'png') throw new Error(`not a PNG (found ${meta.format ?? 'unknown format'})`);
    raw = await image.removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new GanKitError('DECODE_FAILED', `cannot decode PNG: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const { width, height, channels } = raw.info;
  if (channels !== 3) throw new GanKitError('DECODE_FAILED', `cannot decode PNG: expected 3 channels after conversion, got ${channels}`);
  return { width, height, channels: 3, data: new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength) };
}

/** Encodes a grid as PNG and writes it atomically (temp file + rename), creating parent folders. */
export async function writePng(path: string, grid: ImageGrid): Promise<void> {
  await atomicWriteFile(path, await encodePng(grid));
}

/** Reads a PNG file into an 8-bit RGB grid; the error names the path. */
export async function readPng(path: string): Promise<ImageGrid> {
  const bytes = await readFileOrThrow(path);
  try {
    return await decodePng(bytes);
  } catch (error) {
    if (GanKitError.isInstance(error)) throw new GanKitError(error.code, `${path}: ${error.message}`, { path, cause: error.cause });
    throw error;
  }
}
