import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { GanKitError } from '@gankit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageFolder } from './image-folder';
import { mnist } from './named';
import { createPipeline } from './pipeline';
import type { ArraySource } from './source';
import { referencePython } from '../../../testing/python';

const PYTHON = referencePython(['torchvision', 'numpy', 'PIL'], 'the torchvision ImageFolder order check');
const hasTorchvision = PYTHON !== undefined;

const N = 300;
let dir: string;
let digits: string;
let test: ArraySource;

async function writeGrayPng(path: string, pixels: Uint8Array, width: number, height: number): Promise<void> {
  await sharp(Buffer.from(pixels), { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(path);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gankit-folder-'));
  digits = join(dir, 'digits');
  test = await mnist({ split: 'test' });
  for (let c = 0; c < 10; c++) await mkdir(join(digits, String(c)), { recursive: true });
  await Promise.all(
    Array.from({ length: N }, (_, i) => {
      const { image, label } = test.get(i);
      return writeGrayPng(join(digits, String(label), `img_${String(i).padStart(5, '0')}.png`), image, 28, 28);
    }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: string, pathPart: string): Promise<GanKitError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  expect(GanKitError.isInstance(error), String(error)).toBe(true);
  const e = error as GanKitError;
  expect(e.code).toBe(code);
  expect(e.message).toContain(pathPart);
  return e;
}

describe('imageFolder', () => {
  it('reads MNIST digits written as PNGs back identical, with class subfolders as labels', async () => {
    const source = await imageFolder(digits);
    expect(source.length).toBe(N);
    expect(source.shape).toEqual([28, 28, 1]);
    expect(source.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    let seen = 0;
    for await (const example of source.examples()) {
      const path = source.files[seen]!;
      const original = test.get(Number(/img_(\d+)/.exec(path)![1]));
      expect(Buffer.compare(example.image, original.image)).toBe(0);
      expect(example.label).toBe(original.label);
      seen++;
    }
    expect(seen).toBe(N);
  });

  it.skipIf(!hasTorchvision)('orders files and labels exactly as torchvision ImageFolder, same pixels', async () => {
    const source = await imageFolder(digits);
    const script = [
      'import sys, json, numpy as np',
      'from torchvision.datasets import ImageFolder',
      'ds = ImageFolder(sys.argv[1], loader=lambda p: np.array(__import__("PIL.Image").Image.open(p).convert("L")))',
      'print(json.dumps({"classes": ds.classes, "samples": [[p, l] for p, l in ds.samples], "sums": [int(ds[i][0].sum()) for i in range(len(ds))]}))',
    ].join('\n');
    const ref = JSON.parse(execFileSync(PYTHON!, ['-c', script, digits], { encoding: 'utf8', maxBuffer: 1 << 24 })) as {
      classes: string[]; samples: [string, number][]; sums: number[];
    };
    expect(source.classNames).toEqual(ref.classes);
    expect(source.files).toEqual(ref.samples.map((s) => s[0]));
    expect(Array.from(source.fileLabels)).toEqual(ref.samples.map((s) => s[1]));
    for (let i = 0; i < 20; i++) {
      const example = (await source.get(i))!;
      expect(example.image.reduce((a, b) => a + b, 0)).toBe(ref.sums[i]);
    }
  });

  it('resizes with centre crop, converts to RGB or grayscale, reads JPEG and WebP', async () => {
    const mixed = join(dir, 'mixed');
    await mkdir(mixed, { recursive: true });
    const wide = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) wide.set(x < 10 || x >= 30 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    await sharp(wide, { raw: { width: 40, height: 20, channels: 3 } }).png().toFile(join(mixed, 'a.png'));
    await sharp(wide, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 95 }).toFile(join(mixed, 'b.JPG'));
    await sharp(wide, { raw: { width: 40, height: 20, channels: 3 } }).webp({ lossless: true }).toFile(join(mixed, 'c.webp'));
    await writeFile(join(mixed, 'notes.txt'), 'not an image');
    const rgb = await imageFolder(mixed, { size: 10 });
    expect(rgb.length).toBe(3);
    expect(rgb.shape).toEqual([10, 10, 3]);
    const a = (await rgb.get(0))!.image;
    // The centre crop of the 40×20 image (scaled to 20×10) is the blue middle band: every pixel mostly blue.
    for (let p = 0; p < 100; p++) {
      expect(a[3 * p + 2]!).toBeGreaterThan(200);
      expect(a[3 * p]!).toBeLessThan(60);
    }
    for (const i of [1, 2]) expect((await rgb.get(i))!.image.length).toBe(300);
    const gray = await imageFolder(mixed, { size: [8, 16], fit: 'stretch', channels: 1 });
    expect(gray.shape).toEqual([8, 16, 1]);
    expect((await gray.get(2))!.image.length).toBe(128);
    const digitsRgb = await imageFolder(digits, { channels: 3 });
    const first = (await digitsRgb.get(0))!.image;
    const firstGray = (await (await imageFolder(digits)).get(0))!.image;
    for (let p = 0; p < 784; p++) expect([first[3 * p], first[3 * p + 1], first[3 * p + 2]]).toEqual([firstGray[p], firstGray[p], firstGray[p]]);
  });

  it('the in-process PNG path gives the same pixels as sharp for RGB, RGBA, gray, gray+alpha and palette PNGs', async () => {
    const kinds = join(dir, 'kinds');
    await mkdir(kinds, { recursive: true });
    const w = 7;
    const h = 5;
    const rgba = Buffer.alloc(w * h * 4);
    for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 37 + 11) & 255;
    const raw = (channels: 3 | 4) => sharp(channels === 4 ? rgba : Buffer.from(rgba.filter((_, i) => i % 4 !== 3)), { raw: { width: w, height: h, channels } });
    await raw(3).png().toFile(join(kinds, 'rgb.png'));
    await raw(4).png().toFile(join(kinds, 'rgba.png'));
    await raw(3).png({ palette: true, colours: 16, dither: 0 }).toFile(join(kinds, 'palette.png'));
    await raw(3).toColourspace('b-w').png().toFile(join(kinds, 'gray.png'));
    await raw(4).toColourspace('b-w').png().toFile(join(kinds, 'grayalpha.png'));
    for (const channels of [1, 3] as const) {
      const auto = await imageFolder(kinds, { channels });
      const viaSharp = await imageFolder(kinds, { channels, decoder: 'sharp' });
      for (let i = 0; i < auto.length; i++) {
        const a = (await auto.get(i))!.image;
        const b = (await viaSharp.get(i))!.image;
        expect(a.length, auto.files[i]).toBe(w * h * channels);
        expect(Buffer.compare(a, b), `${auto.files[i]} with ${channels} channels`).toBe(0);
      }
    }
  });

  it('feeds a pipeline with bounded concurrency: a whole epoch of batches in [-1, 1]', async () => {
    const source = await imageFolder(digits, { concurrency: 2 });
    const pipeline = createPipeline(source, { batchSize: 64, seed: 3 });
    const sizes: number[] = [];
    let batch = await pipeline.nextArrays();
    while (batch) {
      sizes.push(batch.size);
      expect(batch.images.every((v) => v >= -1 && v <= 1)).toBe(true);
      batch = await pipeline.nextArrays();
    }
    expect(sizes).toEqual([64, 64, 64, 64, 44]);
  });
  it('keeps the images in flight bounded by one batch, even with read-ahead (batches are produced one after another)', async () => {
    const folder = await imageFolder(digits);
    let outstanding = 0;
    let peak = 0;
    const counted = {
      shape: folder.shape,
      length: folder.length,
      numClasses: folder.numClasses,
      examples: () => folder.examples(),
      get: async (i: number) => {
        outstanding++;
        peak = Math.max(peak, outstanding);
        try {
          return await folder.get(i);
        } finally {
          outstanding--;
        }
      },
    };
    const pipeline = createPipeline(counted, { batchSize: 16, prefetch: 2, repeat: 2 });
    let batches = 0;
    while (await pipeline.nextArrays()) {
      batches++;
      await new Promise((resolve) => setTimeout(resolve, 2)); // a slow consumer: read-ahead fills up
    }
    expect(batches).toBe(2 * Math.ceil(N / 16));
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(16);
  });
});

describe('bad image folders', () => {
  it('an image that fails to decode: fails naming the file, or is skipped and counted', async () => {
    const bad = join(dir, 'bad');
    await mkdir(bad, { recursive: true });
    await writeGrayPng(join(bad, 'a.png'), new Uint8Array(16), 4, 4);
    await writeFile(join(bad, 'b.png'), Buffer.from('\x89PNG\r\n\x1a\n this is not really a png'));
    await writeGrayPng(join(bad, 'c.png'), new Uint8Array(16).fill(9), 4, 4);
    const failing = await imageFolder(bad);
    await expect(failing.get(0)).resolves.not.toBeNull();
    await expectCode(failing.get(1), 'DECODE_FAILED', 'b.png');
    const skipping = await imageFolder(bad, { onDecodeError: 'skip' });
    const kept = [];
    for await (const example of skipping.examples()) kept.push(example);
    expect(kept).toHaveLength(2);
    expect(skipping.skipped.map((s) => s.path)).toEqual([join(bad, 'b.png')]);
    const batches = createPipeline(skipping, { batchSize: 3, shuffle: false });
    const only = await batches.nextArrays();
    expect(only!.size).toBe(2);
  });

  it('mixed sizes without resize, an empty folder, an empty class, an unreadable path', async () => {
    const mixed = join(dir, 'sizes');
    await mkdir(mixed, { recursive: true });
    await writeGrayPng(join(mixed, 'a.png'), new Uint8Array(16), 4, 4);
    await writeGrayPng(join(mixed, 'b.png'), new Uint8Array(25), 5, 5);
    const source = await imageFolder(mixed);
    const e = await expectCode(source.get(1), 'SHAPE_MISMATCH', 'b.png');
    expect(e.message).toMatch(/size/);
    expect((await (await imageFolder(mixed, { size: 4 })).get(1))!.image.length).toBe(16);

    const empty = join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    await writeFile(join(empty, 'readme.txt'), 'no images here');
    await expectCode(imageFolder(empty), 'EMPTY_DATASET', empty);
    await mkdir(join(empty, 'cats'));
    await expectCode(imageFolder(empty), 'EMPTY_DATASET', 'cats');

    await expectCode(imageFolder(join(dir, 'does-not-exist')), 'FILE_NOT_FOUND', 'does-not-exist');

    const loop = join(dir, 'loop');
    await mkdir(join(loop, 'a'), { recursive: true });
    await writeGrayPng(join(loop, 'a', 'x.png'), new Uint8Array(4), 2, 2);
    await symlink(loop, join(loop, 'a', 'back'));
    const looped = await imageFolder(loop, { labels: 'none' });
    expect(looped.files).toEqual([join(loop, 'a', 'x.png')]);
  });
});

describe('imageFolder: pytorch-fid formats and top-level search', () => {
  it('reads bmp, ppm, pgm and tif pixels exactly and searches subfolders only when asked', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gankit-formats-'));
    const w = 5;
    const h = 3;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37 + 11) % 256);
    const ppmHeader = Buffer.from(`P6\n# comment\n${w} ${h}\n255\n`);
    await writeFile(join(root, 'a.ppm'), Buffer.concat([ppmHeader, Buffer.from(rgb)]));
    await sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } }).tiff({ compression: 'lzw' }).toFile(join(root, 'b.tif'));
    await sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } }).png().toFile(join(root, 'c.png'));
    // a 24-bit bottom-up BMP written by hand: rows padded to 4 bytes, BGR order
    const rowBytes = Math.ceil((w * 3) / 4) * 4;
    const bmp = Buffer.alloc(54 + rowBytes * h);
    bmp.write('BM', 0);
    bmp.writeUInt32LE(bmp.length, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(w, 18);
    bmp.writeInt32LE(h, 22);
    bmp.writeUInt16LE(1, 26);
    bmp.writeUInt16LE(24, 28);
    bmp.writeUInt32LE(rowBytes * h, 34);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = (y * w + x) * 3;
        const dst = 54 + (h - 1 - y) * rowBytes + x * 3;
        bmp[dst] = rgb[src + 2]!;
        bmp[dst + 1] = rgb[src + 1]!;
        bmp[dst + 2] = rgb[src]!;
      }
    }
    await writeFile(join(root, 'd.bmp'), bmp);
    await writeFile(join(root, 'notes.txt'), 'not an image');
    await mkdir(join(root, 'sub'));
    await writeFile(join(root, 'sub', 'e.ppm'), Buffer.concat([ppmHeader, Buffer.from(rgb)]));

    const top = await imageFolder(root, { labels: 'none', recursive: false });
    expect(top.files.map((f) => f.slice(root.length + 1))).toEqual(['a.ppm', 'b.tif', 'c.png', 'd.bmp']);
    for (let i = 0; i < top.length; i++) expect([top.files[i], Array.from((await top.get(i))!.image)]).toEqual([top.files[i], Array.from(rgb)]);
    const all = await imageFolder(root, { labels: 'none' });
    expect(all.length).toBe(5);

    const gray = Uint8Array.from({ length: w * h }, (_, i) => i * 17);
    const grayDir = join(root, 'gray');
    await mkdir(grayDir);
    await writeFile(join(grayDir, 'g.pgm'), Buffer.concat([Buffer.from(`P5 ${w} ${h} 255\n`), Buffer.from(gray)]));
    const g = await imageFolder(grayDir);
    expect(g.shape).toEqual([h, w, 1]);
    expect(Array.from((await g.get(0))!.image)).toEqual(Array.from(gray));
    await rm(root, { recursive: true, force: true });
  });
});
