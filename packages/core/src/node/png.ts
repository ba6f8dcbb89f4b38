import type Sharp from 'sharp';
import { GanKitError } from '../errors';
import { atomicWriteFile, readFileOrThrow } from './files';
import { checkGrid, type ImageGrid } from '../images';

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
