import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from './backend';
import { GanKitError } from './errors';

describe('initBackend', () => {
  it('picks wasm on auto when tfjs-node is absent, and says what it tried', async () => {
    const info = await initBackend({ backend: 'auto' });
    expect(['tensorflow', 'wasm']).toContain(info.name);
    expect(tf.getBackend()).toBe(info.name);
    if (info.name === 'wasm') expect(info.notes.join('\n')).toMatch(/tfjs-node/);
  });

  it('forces cpu and wasm', async () => {
    expect((await initBackend({ backend: 'cpu' })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend({ backend: 'wasm' })).name).toBe('wasm');
  });

  // Whether tfjs-node is importable here decides which of the next two tests runs; each one can fail.
  const tfjsNodePresent = (() => {
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
      return true;
    } catch {
      return false;
    }
  })();
  if (!tfjsNodePresent) console.warn('SKIPPED loading the tensorflow backend: @tensorflow/tfjs-node is not installed here (its install downloads libtensorflow)');

  it.skipIf(tfjsNodePresent)('fails with BACKEND_UNAVAILABLE and the install command when tensorflow is forced but missing', async () => {
    const error = await initBackend({ backend: 'tensorflow' }).catch((e: unknown) => e);
    expect(GanKitError.isInstance(error)).toBe(true);
    expect((error as GanKitError).code).toBe('BACKEND_UNAVAILABLE');
    expect((error as GanKitError).message).toMatch(/npm i @tensorflow\/tfjs-node/);
    expect(tf.findBackend('tensorflow')).toBeNull();
  });

  it.runIf(tfjsNodePresent)('activates tensorflow when tfjs-node is installed', async () => {
    const info = await initBackend({ backend: 'tensorflow' });
    expect(info.name).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('rejects an unknown backend name', async () => {
    // @ts-expect-error: testing a bad value from untyped input
    await expect(initBackend({ backend: 'webgpu' })).rejects.toThrow(/one of auto, tensorflow, wasm, cpu/);
  });
});
