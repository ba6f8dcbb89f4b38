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

  it('fails with BACKEND_UNAVAILABLE and the install command when tensorflow is forced but missing', async () => {
    const error = await initBackend({ backend: 'tensorflow' }).catch((e: unknown) => e);
    if (tf.findBackend('tensorflow')) return; // tfjs-node is installed here: nothing to check
    expect(GanKitError.isInstance(error)).toBe(true);
    expect((error as GanKitError).code).toBe('BACKEND_UNAVAILABLE');
    expect((error as GanKitError).message).toMatch(/npm i @tensorflow\/tfjs-node/);
  });

  it('rejects an unknown backend name', async () => {
    // @ts-expect-error: testing a bad value from untyped input
    await expect(initBackend({ backend: 'webgpu' })).rejects.toThrow(/one of auto, tensorflow, wasm, cpu/);
  });
});
