import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@gankit/backend-wasm';
import { GanKitError } from './errors';
import { toImageGrid, type ImageGrid } from './images';
import { decodePng, encodePng, readPng, writePng } from './node/png';

const FIXTURES = new URL('./images.fixtures/', import.meta.url);

/** The fixture inputs of make_fixtures.py: value i = float32(((i * 7919) % modulus - offset) / 1000), NHWC. */
function formulaImages(shape: [number, number, number, number], modulus: number, offset: number): tf.Tensor4D {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (((i * 7919) % modulus) - offset) / 1000;
  return tf.tensor4d(values, shape);
}

/** Decodes a PNG with pngjs (independent of the sharp encoder under test) into RGB bytes. */
function decodeWithPngjs(bytes: Uint8Array): ImageGrid {
  const png = PNG.sync.read(Buffer.from(bytes));
  const data = new Uint8Array(png.width * png.height * 3);
  for (let p = 0; p < png.width * png.height; p++) for (let c = 0; c < 3; c++) data[p * 3 + c] = png.data[p * 4 + c]!;
  return { width: png.width, height: png.height, channels: 3, data };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<GanKitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(GanKitError.isInstance(error), `expected a GanKitError ${code}`).toBe(true);
  expect((error as GanKitError).code).toBe(code);
  return error as GanKitError;
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('toImageGrid', () => {
  it('maps known values exactly: tanh and unit ranges, grayscale replicated to RGB', async () => {
    const gray = tf.tensor4d([-1, -0.5, 0, 0.5, 1, 2], [1, 1, 6, 1]);
    const tanh = await toImageGrid(gray, { padding: 0, range: 'tanh' });
    expect([tanh.width, tanh.height, tanh.channels]).toEqual([6, 1, 3]);
    // (x+1)/2 -> 0, .25, .5, .75, 1, 1 (clamped); *255+0.5 truncated -> 0, 64, 128, 191, 255, 255
    expect(Array.from(tanh.data)).toEqual([0, 0, 0, 64, 64, 64, 128, 128, 128, 191, 191, 191, 255, 255, 255, 255, 255, 255]);
    const rgb = tf.tensor4d([0, 0.5, 1, -0.2, 1.3, 0.1], [1, 1, 2, 3]);
    const unit = await toImageGrid(rgb, { padding: 0, range: 'unit' });
    // 0.1*255 = 25.5 -> +0.5 = 26 ; 0.5*255+0.5 = 128
    expect(Array.from(unit.data)).toEqual([0, 128, 255, 0, 255, 26]);
    tf.dispose([gray, rgb]);
  });

  it('auto range picks tanh when any value is negative, unit otherwise', async () => {
    const positive = tf.tensor4d([0, 0.5, 1, 0.25], [1, 2, 2, 1]);
    const signed = tf.tensor4d([-1, 0.5, 1, 0.25], [1, 2, 2, 1]);
    const a = await toImageGrid(positive, { padding: 0 });
    const b = await toImageGrid(signed, { padding: 0 });
    expect(Array.from(a.data.filter((_, i) => i % 3 === 0))).toEqual([0, 128, 255, 64]);
    expect(Array.from(b.data.filter((_, i) => i % 3 === 0))).toEqual([0, 191, 255, 159]);
    tf.dispose([positive, signed]);
  });

  it('matches torchvision save_image on 64 grayscale 28x28 images (tanh, 8 per row, padding 2)', async () => {
    const images = formulaImages([64, 28, 28, 1], 2201, 1100);
    const grid = await toImageGrid(images, { columns: 8, padding: 2, range: 'tanh' });
    const expected = decodeWithPngjs(await readFile(new URL('grid-64-gray-tanh.png', FIXTURES)));
    expect([grid.width, grid.height]).toEqual([242, 242]);
    expect([grid.width, grid.height]).toEqual([expected.width, expected.height]);
    expect(Buffer.from(grid.data).equals(Buffer.from(expected.data))).toBe(true);
    images.dispose();
  });

  it('matches torchvision save_image on 3 RGB 5x7 images (unit, 2 per row, padding 1, gray padding)', async () => {
    const images = formulaImages([3, 5, 7, 3], 1201, 100);
    const grid = await toImageGrid(images, { columns: 2, padding: 1, padValue: 0.5, range: 'unit' });
    const expected = decodeWithPngjs(await readFile(new URL('grid-3-rgb-unit.png', FIXTURES)));
    expect([grid.width, grid.height]).toEqual([2 * 8 + 1, 2 * 6 + 1]);
    expect([grid.width, grid.height]).toEqual([expected.width, expected.height]);
    expect(Array.from(grid.data)).toEqual(Array.from(expected.data));
    // The empty fourth slot is padding: 0.5 * 255 + 0.5 = 128.
    const emptySlot = ((1 + 6) * grid.width + 1 + 8) * 3;
    expect(grid.data[emptySlot]).toBe(128);
    images.dispose();
  });

  it('matches torchvision save_image on 1 RGB image without padding', async () => {
    const images = formulaImages([1, 4, 6, 3], 1201, 100);
    const grid = await toImageGrid(images, { padding: 0, range: 'unit' });
    const expected = decodeWithPngjs(await readFile(new URL('grid-1-rgb-unit.png', FIXTURES)));
    expect([grid.width, grid.height]).toEqual([6, 4]);
    expect(Array.from(grid.data)).toEqual(Array.from(expected.data));
    images.dispose();
  });

  it('pads a single image on every side', async () => {
    const one = tf.ones([1, 2, 2, 1]);
    const grid = await toImageGrid(one, { padding: 1, padValue: 0 });
    expect([grid.width, grid.height]).toEqual([4, 4]);
    const red = Array.from(grid.data.filter((_, i) => i % 3 === 0));
    expect(red).toEqual([0, 0, 0, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 0, 0, 0]);
    one.dispose();
  });

  it('creates no tensors and leaves its input alive', async () => {
    const images = tf.randomUniform([4, 8, 8, 3], -1, 1);
    await toImageGrid(images);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await toImageGrid(images, { columns: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(images.isDisposed).toBe(false);
    images.dispose();
  });

  it('rejects bad shapes with SHAPE_MISMATCH and bad options with INVALID_ARGUMENT', async () => {
    const rank3 = tf.zeros([2, 8, 8]);
    const twoChannels = tf.zeros([2, 8, 8, 2]);
    const empty = tf.zeros([0, 8, 8, 1]);
    const ok = tf.zeros([2, 8, 8, 1]);
    expect((await expectCode(toImageGrid(rank3), 'SHAPE_MISMATCH')).message).toContain('[N, H, W, C]');
    expect((await expectCode(toImageGrid(twoChannels), 'SHAPE_MISMATCH')).message).toContain('C = 1');
    await expectCode(toImageGrid(empty), 'SHAPE_MISMATCH');
    await expectCode(toImageGrid(ok, { columns: 0 }), 'INVALID_ARGUMENT');
    await expectCode(toImageGrid(ok, { padding: 1.5 }), 'INVALID_ARGUMENT');
    await expectCode(toImageGrid(ok, { padValue: 2 }), 'INVALID_ARGUMENT');
    tf.dispose([rank3, twoChannels, empty, ok]);
  });
});

describe('PNG encode / decode / write', () => {
  it('round-trips through sharp encoding and an independent pngjs decoder', async () => {
    const images = tf.randomUniform([64, 28, 28, 1], -1, 1, 'float32', 7);
    const grid = await toImageGrid(images);
    images.dispose();
    const bytes = await encodePng(grid);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const decoded = decodeWithPngjs(bytes);
    expect([decoded.width, decoded.height]).toEqual([grid.width, grid.height]);
    expect(Buffer.from(decoded.data).equals(Buffer.from(grid.data))).toBe(true);
    const again = await decodePng(bytes);
    expect(Buffer.from(again.data).equals(Buffer.from(grid.data))).toBe(true);
  });

  it('decodes PNGs written by another encoder: gray + alpha becomes RGB', async () => {
    const png = new PNG({ width: 3, height: 1 });
    png.data = Buffer.from([10, 10, 10, 255, 200, 200, 200, 128, 0, 0, 0, 0]);
    const bytes = PNG.sync.write(png, { colorType: 4 });
    const grid = await decodePng(bytes);
    expect(grid).toMatchObject({ width: 3, height: 1, channels: 3 });
    expect(Array.from(grid.data)).toEqual([10, 10, 10, 200, 200, 200, 0, 0, 0]);
  });

  it('decodes 16-bit grayscale PNGs (written by PIL) to 8-bit RGB', async () => {
    const grid = await decodePng(await readFile(new URL('gray16.png', FIXTURES)));
    expect(grid).toMatchObject({ width: 3, height: 1, channels: 3 });
    expect(Array.from(grid.data)).toEqual([0, 0, 0, 10, 10, 10, 255, 255, 255]);
  });

  it('writes atomically into new folders and reads back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gankit-png-'));
    const path = join(dir, 'samples', 'step-1.png');
    const grid: ImageGrid = { width: 2, height: 1, channels: 3, data: Uint8Array.from([1, 2, 3, 250, 251, 252]) };
    await writePng(path, grid);
    expect(await readdir(join(dir, 'samples'))).toEqual(['step-1.png']);
    expect(Array.from((await readPng(path)).data)).toEqual([1, 2, 3, 250, 251, 252]);
    expect(decodeWithPngjs(await readFile(path)).data).toEqual(grid.data);
  });

  it('rejects inconsistent grids and undecodable bytes', async () => {
    await expectCode(encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }), 'SHAPE_MISMATCH');
    await expectCode(decodePng(Uint8Array.from([1, 2, 3, 4])), 'DECODE_FAILED');
    const dir = await mkdtemp(join(tmpdir(), 'gankit-png-'));
    const error = await expectCode(readPng(join(dir, 'nope.png')), 'FILE_NOT_FOUND');
    expect(error.message).toContain('nope.png');
  });
});
