import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GanKitError } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureExtractor } from '../extractor';
import { loadTorchCheckpoint, torchStateDict } from '../torch/checkpoint';
import type { TorchTensor } from '../torch/tensor';
import { FID_INCEPTION_WEIGHTS_URL } from './inception';
import { inceptionV3 } from './inception-file';
import { referencePython } from '../../../../testing/python';

const script = fileURLToPath(new URL('../../test/fixtures/inception/make_reference.py', import.meta.url));
const PYTHON = referencePython(['torch', 'torchvision'], 'inception parity');
const torchAvailable = PYTHON !== undefined;

interface Reference {
  dir: string;
  shapes: [number, number, number][];
  images: Uint8Array;
  pool3: Float32Array;
  logits: Float32Array;
}

/** Runs make_reference.py (cached per script version in the temp dir: the weights are 2 × 95 MB, never committed). */
function makeReference(): Reference {
  const hash = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `gankit-inception-reference-${hash}`);
  if (!existsSync(join(dir, 'reference.json'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync(PYTHON!, [script, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const summary = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as { shapes: [number, number, number][] };
  const floats = (name: string): Float32Array => {
    const bytes = readFileSync(join(dir, name));
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  };
  return { dir, shapes: summary.shapes, images: new Uint8Array(readFileSync(join(dir, 'images.u8'))), pool3: floats('pool3.f32'), logits: floats('logits.f32') };
}

function imageTensors(ref: Reference): tf.Tensor4D[] {
  let offset = 0;
  return ref.shapes.map(([h, w, c]) => {
    const size = h * w * c;
    const t = tf.tensor4d(ref.images.subarray(offset, offset + size), [1, h, w, c], 'int32');
    offset += size;
    return t;
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

async function parity(extractor: FeatureExtractor, ref: Reference, indices: number[]): Promise<{ pool3: number; logits: number }> {
  const images = imageTensors(ref);
  let pool3 = 0;
  let logits = 0;
  for (const i of indices) {
    const out = await extractor.extract(images[i]!);
    pool3 = Math.max(pool3, maxAbsDiff(out.features, ref.pool3.subarray(i * 2048, (i + 1) * 2048)));
    logits = Math.max(logits, maxAbsDiff(out.logits, ref.logits.subarray(i * 1008, (i + 1) * 1008)));
  }
  tf.dispose(images);
  return { pool3, logits };
}

describe('inceptionV3 options and errors', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
  });

  it('without a path or GANKIT_INCEPTION_WEIGHTS names the URL and how to pass the file', async () => {
    const saved = process.env.GANKIT_INCEPTION_WEIGHTS;
    delete process.env.GANKIT_INCEPTION_WEIGHTS;
    try {
      const error = (await inceptionV3().catch((e: unknown) => e)) as GanKitError;
      expect(GanKitError.isInstance(error)).toBe(true);
      expect(error.code).toBe('MISSING_WEIGHTS');
      expect(error.message).toContain(FID_INCEPTION_WEIGHTS_URL);
      expect(error.message).toContain('GANKIT_INCEPTION_WEIGHTS');
    } finally {
      if (saved !== undefined) process.env.GANKIT_INCEPTION_WEIGHTS = saved;
    }
  });

  it('a missing file is FILE_NOT_FOUND, a checkpoint of another network is FILE_MISMATCH', async () => {
    await expect(inceptionV3({ weightsPath: '/nonexistent/pt_inception.pth' })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    const other = fileURLToPath(new URL('../torch/fixtures/mixed.zip.pt', import.meta.url));
    await expect(inceptionV3({ weightsPath: other })).rejects.toMatchObject({ code: 'FILE_MISMATCH' });
  });
});

describe.skipIf(!torchAvailable)('inceptionV3 agrees with pytorch-fid (PyTorch reference run now)', () => {
  let ref: Reference;
  const report: string[] = [];

  beforeAll(() => {
    ref = makeReference();
  });
  afterAll(() => {
    console.log(`inception parity (feature scale max|pool3| = ${maxAbs(ref.pool3).toFixed(3)}, max|logits| = ${maxAbs(ref.logits).toFixed(3)}):\n  ${report.join('\n  ')}`);
  });

  it('wasm, weights in the legacy torch.save format: pool3 and logits of 4 images, no tensor leak', async () => {
    await initBackend({ backend: 'wasm' });
    const extractor = await inceptionV3({ weightsPath: join(ref.dir, 'weights.legacy.pth') });
    const before = tf.memory().numTensors;
    const diff = await parity(extractor, ref, [0, 1, 2, 3]);
    await parity(extractor, ref, [3]);
    expect(tf.memory().numTensors).toBe(before);
    extractor.dispose();
    report.push(`wasm legacy, 4 images: max |Δpool3| = ${diff.pool3.toExponential(2)}, max |Δlogits| = ${diff.logits.toExponential(2)}`);
    expect(diff.pool3).toBeLessThanOrEqual(1e-3 * maxAbs(ref.pool3));
    expect(diff.logits).toBeLessThanOrEqual(1e-3 * maxAbs(ref.logits));
  });

  it('wasm, weights in the zip torch.save format: the same tensors as the legacy file; batches, grayscale = RGB', async () => {
    const zip = torchStateDict(await loadTorchCheckpoint(join(ref.dir, 'weights.zip.pth')));
    const legacy = torchStateDict(await loadTorchCheckpoint(join(ref.dir, 'weights.legacy.pth')));
    expect([...zip.keys()]).toEqual([...legacy.keys()]);
    const bytes = (t: TorchTensor): Buffer => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    for (const [key, tensor] of zip) {
      const other = legacy.get(key)!;
      expect([key, other.dtype, other.shape]).toEqual([key, tensor.dtype, tensor.shape]);
      expect(bytes(tensor).equals(bytes(other)), key).toBe(true);
    }

    await initBackend({ backend: 'wasm' });
    const extractor = await inceptionV3({ weightsPath: join(ref.dir, 'weights.zip.pth'), maxBatch: 1 });
    const diff = await parity(extractor, ref, [2]);
    report.push(`wasm zip, 400x512 image: max |Δpool3| = ${diff.pool3.toExponential(2)}, max |Δlogits| = ${diff.logits.toExponential(2)}`);
    expect(diff.pool3).toBeLessThanOrEqual(1e-3 * maxAbs(ref.pool3));
    // A batch of two through maxBatch 1 gives the rows of one-at-a-time; a 1-channel image = its RGB replica.
    const images = imageTensors(ref);
    const gray = images[3]!;
    const rgb = tf.tile(gray, [1, 1, 1, 3]);
    const pair = tf.concat([rgb, rgb]);
    const single = await extractor.extract(gray);
    const out = await extractor.extract(pair);
    expect(maxAbsDiff(out.features.subarray(0, 2048), single.features)).toBe(0);
    expect(maxAbsDiff(out.features.subarray(2048), single.features)).toBe(0);
    expect(maxAbsDiff(out.logits.subarray(1008), single.logits)).toBe(0);
    tf.dispose([...images, rgb, pair]);
    extractor.dispose();
  });

  it("resize: 'clean' feeds clean-fid's PIL-bicubic resize to the same network", async () => {
    await initBackend({ backend: 'wasm' });
    const clean = await inceptionV3({ weightsPath: join(ref.dir, 'weights.zip.pth'), resize: 'clean' });
    expect(clean.name).toBe('inception-v3-fid-clean');
    const images = imageTensors(ref);
    // 299x299 input: both resizes are the identity, so clean = pytorch-fid's features up to float rounding.
    const same = await clean.extract(images[0]!);
    expect(maxAbsDiff(same.features, ref.pool3.subarray(0, 2048))).toBeLessThanOrEqual(1e-3 * maxAbs(ref.pool3));
    // 400x512 input: bicubic with antialiasing gives other pixels than bilinear, hence other features.
    const down = await clean.extract(images[2]!);
    expect(maxAbsDiff(down.features, ref.pool3.subarray(2 * 2048, 3 * 2048))).toBeGreaterThan(1e-2);
    tf.dispose(images);
    clean.dispose();
  });

  // 18-40 s for one image on the pure-JS cpu backend of a shared 2-core machine: opt in with GANKIT_SLOW_TESTS=1.
  it.skipIf(process.env.GANKIT_SLOW_TESTS !== '1')('cpu backend, one image (GANKIT_SLOW_TESTS=1)', async () => {
    await initBackend({ backend: 'cpu' });
    const extractor = await inceptionV3({ weightsPath: join(ref.dir, 'weights.legacy.pth') });
    const diff = await parity(extractor, ref, [3]);
    extractor.dispose();
    report.push(`cpu legacy (28x28 gray image): max |Δpool3| = ${diff.pool3.toExponential(2)}, max |Δlogits| = ${diff.logits.toExponential(2)}`);
    expect(diff.pool3).toBeLessThanOrEqual(1e-3 * maxAbs(ref.pool3));
  });
});
