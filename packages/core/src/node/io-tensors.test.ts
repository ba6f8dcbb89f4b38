import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@gankit/backend-wasm';
import { GanKitError } from '../errors';
import { fileSystem } from './io-model';
import { loadWeightsMap, saveWeightsMap } from './io-tensors';
import type { NamedTensor } from '../named-tensor';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gankit-tensors-io-'));
  await initBackend({ backend: 'cpu' });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: string): Promise<GanKitError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(GanKitError.isInstance(error), `expected GanKitError ${code}, got ${String(error)}`).toBe(true);
  expect((error as GanKitError).code).toBe(code);
  return error as GanKitError;
}

function sampleTensors(): NamedTensor[] {
  return [
    { name: 'iterations', tensor: tf.scalar(17, 'int32') },
    { name: 'dense/kernel/m', tensor: tf.randomNormal([3, 4], 0, 1, 'float32', 1) },
    { name: '10', tensor: tf.tensor1d([true, false, true], 'bool') },
    { name: '2', tensor: tf.zeros([0, 5]) },
    { name: 'ema/conv/bias', tensor: tf.tensor1d([0.1, -0.2, 1e-30]) },
  ];
}

describe('saveWeightsMap / loadWeightsMap', () => {
  it('round-trips names, order, dtypes, shapes, values and metadata on cpu and on wasm', async () => {
    const original = sampleTensors();
    const dir = join(root, 'roundtrip');
    await saveWeightsMap(dir, original, { metadata: { step: 17, betas: [0.5, 0.999] } });
    expect((await readdir(dir)).sort()).toEqual(['tensors.bin', 'tensors.json']);
    const json = JSON.parse(await readFile(join(dir, 'tensors.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
    expect(json.weightsManifest[0]!.paths).toEqual(['tensors.bin']);
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend({ backend });
      const loaded = await loadWeightsMap(dir);
      expect(loaded.metadata).toEqual({ step: 17, betas: [0.5, 0.999] });
      expect(loaded.entries.map((e) => e.name)).toEqual(original.map((e) => e.name));
      for (const [i, { tensor }] of loaded.entries.entries()) {
        const want = original[i]!.tensor;
        expect([tensor.dtype, tensor.shape]).toEqual([want.dtype, want.shape]);
        expect(await tensor.data()).toEqual(await want.data());
        expect(loaded.tensors[original[i]!.name]).toBe(tensor);
      }
      tf.dispose(loaded.tensors);
    }
    await initBackend({ backend: 'cpu' });
    tf.dispose(original.map((e) => e.tensor));
  });

  it('accepts a NamedTensorMap, keeps several maps apart by name, and leaks no tensors', async () => {
    const dir = join(root, 'named');
    const a = { w: tf.ones([2, 2]) };
    const b = { w: tf.fill([3], 7) };
    const before = tf.memory().numTensors;
    await saveWeightsMap(dir, a, { name: 'ema' });
    await saveWeightsMap(dir, b, { name: 'optimizer-d' });
    expect(tf.memory().numTensors).toBe(before);
    expect((await readdir(dir)).sort()).toEqual(['ema.bin', 'ema.json', 'optimizer-d.bin', 'optimizer-d.json']);
    const ema = await loadWeightsMap(dir, { name: 'ema' });
    const opt = await loadWeightsMap(dir, { name: 'optimizer-d' });
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(Array.from(await ema.tensors.w!.data())).toEqual([1, 1, 1, 1]);
    expect(Array.from(await opt.tensors.w!.data())).toEqual([7, 7, 7]);
    expect(ema.metadata).toBeUndefined();
    tf.dispose([ema.tensors, opt.tensors, a, b]);
  });

  it("reads a saved model's weights by name (the same manifest format)", async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, name: 'd' })] });
    const dir = join(root, 'model');
    await model.save(fileSystem(dir));
    const { entries } = await loadWeightsMap(dir, { name: 'model' });
    expect(entries.map((e) => e.name)).toEqual(['d/kernel', 'd/bias']);
    expect(await entries[0]!.tensor.data()).toEqual(await model.getWeights()[0]!.data());
    tf.dispose(entries.map((e) => e.tensor));
    model.dispose();
  });

  it('rejects bad input and reports bad files with their codes and paths', async () => {
    const t = tf.ones([2]);
    const dir = join(root, 'bad');
    await expectCode(saveWeightsMap(dir, [{ name: 'x', tensor: t }, { name: 'x', tensor: t }]), 'INVALID_ARGUMENT');
    await expectCode(saveWeightsMap(dir, { x: t }, { name: '../escape' }), 'INVALID_ARGUMENT');
    await saveWeightsMap(dir, { x: t, y: t });
    const bin = join(dir, 'tensors.bin');
    const json = join(dir, 'tensors.json');
    expect((await expectCode(loadWeightsMap(join(root, 'none')), 'FILE_NOT_FOUND')).message).toContain(join(root, 'none', 'tensors.json'));
    await truncate(bin, 12);
    const short = await expectCode(loadWeightsMap(dir), 'FILE_MISMATCH');
    expect(short.message).toMatch(/tensors\.bin holds 12 bytes .* describes 16 bytes/);
    await rm(bin);
    expect((await expectCode(loadWeightsMap(dir), 'FILE_NOT_FOUND')).path).toBe(bin);
    await writeFile(json, '{"weightsManifest": [{"paths": ["tensors.bin"], "weights": [{"name": "x", "shape": [2], "dtype": "float99"}]}]}');
    expect((await expectCode(loadWeightsMap(dir), 'FILE_CORRUPT')).message).toContain('weightsManifest.0.weights.0.dtype');
    await writeFile(json, 'not json');
    await expectCode(loadWeightsMap(dir), 'FILE_CORRUPT');
    t.dispose();
  });
});
