import { type Dirent, readFileSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { GanKitError, fileError } from '@gankit/core';
import { decodeRaw, type RawImage } from './raw-decoders';
import type { Example, ImageShape, ImageSource } from './source';

/**
 * File extensions the image folder source reads (case-insensitive): pytorch-fid's list (bmp, jpg, jpeg, pgm, png,
 * ppm, tif, tiff, webp). BMP and Netpbm are decoded in JavaScript, the rest by sharp.
 */
export const IMAGE_EXTENSIONS: readonly string[] = ['.bmp', '.jpg', '.jpeg', '.pgm', '.png', '.ppm', '.tif', '.tiff', '.webp'];

/** Options for `imageFolder`. */
export interface ImageFolderOptions {
  /** Target size: one number for square images or [height, width]; without it every image must have the first image's size. */
  size?: number | [number, number];
  /** How to reach `size`: `center-crop` scales the shorter side then crops the centre (torchvision Resize+CenterCrop); `stretch` ignores the aspect ratio. */
  fit?: 'center-crop' | 'stretch';
  /** Resampling kernel for resizing (default `lanczos3`; `linear` is closest to PIL's bilinear). */
  kernel?: 'nearest' | 'linear' | 'cubic' | 'lanczos3';
  /** 1 = grayscale, 3 = RGB (alpha is dropped); default: 1 if the first image is grayscale, else 3. */
  channels?: 1 | 3;
  /** `subfolders`: each subfolder of `root` is a class (sorted names, as torchvision's ImageFolder); `none`: unlabelled, all images found recursively; `auto` (default): `subfolders` if `root` has subfolders. */
  labels?: 'auto' | 'subfolders' | 'none';
  /** An image that fails to decode: `fail` (default) throws naming the file; `skip` leaves it out and records it in `skipped`. */
  onDecodeError?: 'fail' | 'skip';
  /** Images decoded at once (default 8). Memory holds at most this many decodes plus what the pipeline prefetches. */
  concurrency?: number;
  /**
   * `auto` (default): 8-bit PNGs already at the target size are decoded in-process with pngjs (sharp's per-image
   * overhead dominates for small images), everything else with sharp; `sharp`: always sharp. Both give identical pixels.
   */
  decoder?: 'auto' | 'sharp';
  /**
   * Unlabelled folders only: `true` (default) finds images in every subfolder; `false` reads only the images directly
   * in `root`, as pytorch-fid does (`path.glob('*.ext')`).
   */
  recursive?: boolean;
}

/** A folder of images decoded on demand: random access through `get(i)`, nothing held decoded beyond what is in flight. */
export interface ImageFolderSource extends ImageSource {
  readonly length: number;
  /** Every image file, in label order then path order. */
  readonly files: readonly string[];
  /** Class index per file (all 0 when unlabelled). */
  readonly fileLabels: Int32Array;
  /** Files left out because they failed to decode (`onDecodeError: 'skip'`), with the reason. */
  readonly skipped: { path: string; reason: string }[];
  get(index: number): Promise<Example | null>;
}

/** Code-point order, as Python's `sorted` on str (torchvision sorts class and file names this way). */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw fileError(dir, 'read folder', error);
  }
}

async function isDirectory(dir: string, entry: Dirent): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  return (await stat(join(dir, entry.name)).catch(() => undefined))?.isDirectory() ?? false;
}

function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
}

/** Image files under `dir`, in torchvision order: directories by path, files by name within each. Symlinked folders are followed once (no loops). */
async function findImages(dir: string, visited = new Set<string>(), recursive = true): Promise<string[]> {
  const real = await realpath(dir).catch((error: unknown) => {
    throw fileError(dir, 'read folder', error);
  });
  if (visited.has(real)) return [];
  visited.add(real);
  const entries = await listDir(dir);
  const files: string[] = [];
  const subdirs: string[] = [];
  for (const entry of entries) {
    if (await isDirectory(dir, entry)) subdirs.push(entry.name);
    else if (isImageFile(entry.name)) files.push(entry.name);
  }
  const out = files.sort(byCodePoint).map((name) => join(dir, name));
  if (!recursive) return out;
  for (const sub of subdirs.sort(byCodePoint)) out.push(...(await findImages(join(dir, sub), visited)));
  return out;
}

/** A counting semaphore bounding concurrent decodes. */
function limiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function targetSize(size: ImageFolderOptions['size'], root: string): [number, number] | undefined {
  if (size === undefined) return undefined;
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new GanKitError('INVALID_ARGUMENT', `imageFolder(${root}): size must be a positive integer or [height, width], got ${JSON.stringify(size)}`, { path: root });
  }
  return [h, w];
}

interface DecodeSpec {
  shape: ImageShape;
  fastPng: boolean;
  resize: boolean;
  fit: 'cover' | 'fill';
  kernel: NonNullable<ImageFolderOptions['kernel']>;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Decodes an 8-bit PNG with pngjs when it needs no resize and no colour conversion beyond dropping alpha
 * (RGB target from any colour type; grayscale target from a grayscale PNG). Returns undefined otherwise.
 */
function decodePngFast(bytes: Buffer, shape: ImageShape): Uint8Array | undefined {
  if (bytes.length < 33 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return undefined;
  const [h, w, c] = shape;
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  const depth = bytes[24];
  const colorType = bytes[25];
  if (depth !== 8 || width !== w || height !== h) return undefined;
  if (c === 1 && colorType !== 0 && colorType !== 4) return undefined;
  let rgba: Buffer;
  try {
    const png = PNG.sync.read(bytes);
    if (png.width !== w || png.height !== h) return undefined;
    rgba = png.data;
  } catch {
    return undefined; // let sharp decode it or report the error
  }
  const pixels = w * h;
  const out = new Uint8Array(pixels * c);
  if (c === 1) {
    for (let p = 0; p < pixels; p++) out[p] = rgba[4 * p]!;
  } else {
    for (let p = 0; p < pixels; p++) {
      out[3 * p] = rgba[4 * p]!;
      out[3 * p + 1] = rgba[4 * p + 1]!;
      out[3 * p + 2] = rgba[4 * p + 2]!;
    }
  }
  return out;
}

/** Decodes one file to HWC uint8 of exactly `spec.shape`, or throws DECODE_FAILED / SHAPE_MISMATCH naming it. */
async function decodeImage(path: string, spec: DecodeSpec): Promise<Uint8Array> {
  const [h, w, c] = spec.shape;
  let bytes: Buffer;
  try {
    // Synchronous on purpose: for small files Node's async readFile costs ~5× more CPU (four thread-pool round
    // trips), measured in bench/data; decoding (sharp) still runs off the main thread.
    bytes = readFileSync(path);
  } catch (error) {
    throw fileError(path, 'read image', error);
  }
  if (spec.fastPng) {
    const fast = decodePngFast(bytes, spec.shape);
    if (fast) return fast;
  }
  const raw = decodeRaw(bytes, extname(path), path);
  if (raw && raw.width === w && raw.height === h && raw.channels === c && !spec.resize) return raw.data;
  let pipeline = (raw ? rawSharp(raw) : sharp(bytes, { failOn: 'error' })).removeAlpha();
  pipeline = c === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb');
  if (spec.resize) pipeline = pipeline.resize({ width: w, height: h, fit: spec.fit, position: 'centre', kernel: spec.kernel });
  let result: { data: Buffer; info: sharp.OutputInfo };
  try {
    result = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new GanKitError('DECODE_FAILED', `cannot decode image ${path}: ${reason.trim()}`, { path, cause: error });
  }
  const { info, data } = result;
  if (info.width !== w || info.height !== h) {
    throw new GanKitError('SHAPE_MISMATCH', `${path} is ${info.width}×${info.height} but the folder's images are ${w}×${h}: images of mixed sizes need the \`size\` option`, { path });
  }
  if (info.channels !== c) {
    throw new GanKitError('DECODE_FAILED', `${path} decoded to ${info.channels} channels, expected ${c}`, { path });
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A sharp pipeline over pixels decoded in JavaScript. */
function rawSharp(raw: RawImage): sharp.Sharp {
  return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
}

/** Reads the size and channel count of the first image that has a readable header. */
async function probe(files: readonly string[], skipBad: boolean, skipped: { path: string; reason: string }[]): Promise<{ width: number; height: number; channels: 1 | 3 }> {
  for (const path of files) {
    try {
      const raw = decodeRaw(readFileSync(path), extname(path), path);
      if (raw) return { width: raw.width, height: raw.height, channels: raw.channels };
      const meta = await sharp(path).metadata();
      if (!meta.width || !meta.height) throw new Error('no dimensions in header');
      return { width: meta.width, height: meta.height, channels: (meta.channels ?? 3) <= 2 ? 1 : 3 };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (!skipBad) throw new GanKitError('DECODE_FAILED', `cannot decode image ${path}: ${reason.trim()}`, { path, cause: error });
      skipped.push({ path, reason });
    }
  }
  throw new GanKitError('EMPTY_DATASET', 'no image in the folder could be decoded', { path: files[0] });
}

/**
 * A source over a folder of PNG/JPEG/WebP images found recursively. Class subfolders become labels in sorted
 * order (as torchvision's `ImageFolder`). Images are decoded with sharp on demand with bounded concurrency.
 */
export async function imageFolder(root: string, options: ImageFolderOptions = {}): Promise<ImageFolderSource> {
  const size = targetSize(options.size, root);
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new GanKitError('INVALID_ARGUMENT', `imageFolder(${root}): concurrency must be a positive integer, got ${concurrency}`, { path: root });
  }
  const rootInfo = await stat(root).catch((error: unknown) => {
    throw fileError(root, 'read folder', error);
  });
  if (!rootInfo.isDirectory()) throw new GanKitError('INVALID_ARGUMENT', `${root} is not a folder`, { path: root });

  const entries = await listDir(root);
  const subdirs: string[] = [];
  for (const entry of entries) if (await isDirectory(root, entry)) subdirs.push(entry.name);
  const mode = options.labels ?? 'auto';
  const labelled = mode === 'subfolders' || (mode === 'auto' && subdirs.length > 0);
  const files: string[] = [];
  const labels: number[] = [];
  let classNames: string[] | undefined;
  if (labelled) {
    classNames = subdirs.sort(byCodePoint);
    if (classNames.length === 0) throw new GanKitError('EMPTY_DATASET', `${root} has no class subfolders (labels: 'subfolders')`, { path: root });
    for (const [label, name] of classNames.entries()) {
      const found = await findImages(join(root, name));
      if (found.length === 0) {
        throw new GanKitError('EMPTY_DATASET', `class folder ${join(root, name)} holds no ${IMAGE_EXTENSIONS.join('/')} images`, { path: join(root, name) });
      }
      for (const file of found) {
        files.push(file);
        labels.push(label);
      }
    }
  } else {
    files.push(...(await findImages(root, new Set(), options.recursive ?? true)));
    labels.push(...files.map(() => 0));
  }
  if (files.length === 0) {
    throw new GanKitError('EMPTY_DATASET', `${root} holds no ${IMAGE_EXTENSIONS.join('/')} images`, { path: root });
  }

  const skipBad = options.onDecodeError === 'skip';
  const skipped: { path: string; reason: string }[] = [];
  const first = size && options.channels ? undefined : await probe(files, skipBad, skipped);
  const [h, w] = size ?? [first!.height, first!.width];
  const channels = options.channels ?? first!.channels;
  if (channels !== 1 && channels !== 3) {
    throw new GanKitError('INVALID_ARGUMENT', `imageFolder(${root}): channels must be 1 or 3, got ${String(channels)}`, { path: root });
  }
  const spec: DecodeSpec = {
    shape: [h, w, channels],
    fastPng: options.decoder !== 'sharp',
    resize: size !== undefined,
    fit: options.fit === 'stretch' ? 'fill' : 'cover',
    kernel: options.kernel ?? 'lanczos3',
  };
  const run = limiter(concurrency);
  const fileLabels = Int32Array.from(labels);

  const get = async (index: number): Promise<Example | null> => {
    if (!Number.isInteger(index) || index < 0 || index >= files.length) {
      throw new GanKitError('INVALID_ARGUMENT', `imageFolder(${root}): index ${index} is outside [0, ${files.length})`, { path: root });
    }
    const path = files[index]!;
    try {
      const image = await run(() => decodeImage(path, spec));
      return labelled ? { image, label: fileLabels[index]! } : { image };
    } catch (error) {
      if (!skipBad || !GanKitError.isInstance(error) || error.code === 'FILE_NOT_FOUND') throw error;
      if (!skipped.some((s) => s.path === path)) skipped.push({ path, reason: error.message });
      return null;
    }
  };

  async function* examples(): AsyncGenerator<Example> {
    const window: Promise<Example | null>[] = [];
    let next = 0;
    while (next < files.length || window.length > 0) {
      while (window.length < concurrency * 2 && next < files.length) {
        const pending = get(next++);
        pending.catch(() => undefined);
        window.push(pending);
      }
      const example = await window.shift()!;
      if (example) yield example;
    }
  }

  return {
    shape: [h, w, channels],
    length: files.length,
    files,
    fileLabels,
    skipped,
    ...(labelled ? { numClasses: classNames!.length, classNames: classNames! } : {}),
    get,
    examples,
  };
}

