import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, tensorflowDevice } from './node';
import { GanKitError } from '@gankit/core';

function resolvable(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
const tfjsNodeGpuPresent = resolvable('@tensorflow/tfjs-node-gpu');
if (tfjsNodeGpuPresent) console.warn('SKIPPED backend "gpu" without tfjs-node-gpu: @tensorflow/tfjs-node-gpu is installed here');

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
  const tfjsNodePresent = resolvable('@tensorflow/tfjs-node');
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
    await expect(initBackend({ backend: 'metal' })).rejects.toThrow(/one of auto, gpu, tensorflow, wasm, webgpu, webgl, cpu/);
  });
});

describe('the GPU engine (tfjs-node-gpu)', () => {
  it('decides from what the tensorflow backend reports: gpu only for tfjs-node-gpu that found a GPU', () => {
    expect(tensorflowDevice({ package: '@tensorflow/tfjs-node-gpu', isGPUPackage: true, isUsingGpuDevice: true })).toEqual({ device: 'gpu' });
    expect(tensorflowDevice({ package: '@tensorflow/tfjs-node', isGPUPackage: false, isUsingGpuDevice: false })).toEqual({ device: 'cpu' });
    const fallback = tensorflowDevice({ package: '@tensorflow/tfjs-node-gpu', isGPUPackage: true, isUsingGpuDevice: false });
    expect(fallback.device).toBe('cpu');
    expect(fallback.problem).toBe(
      '@tensorflow/tfjs-node-gpu loaded but TensorFlow found no usable GPU, so it runs on the CPU; tfjs-node-gpu 4.x needs an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1 (CUDA 12 does not work) libraries on the library path (LD_LIBRARY_PATH)',
    );
    // A backend that does not report its device (another tfjs-node-gpu version) is not taken for a GPU.
    const silent = tensorflowDevice({ package: '@tensorflow/tfjs-node-gpu' });
    expect(silent.device).toBe('cpu');
    expect(silent.problem).toMatch(/does not say whether TensorFlow found a GPU, so it runs on the CPU; .*CUDA 11\.2 and cuDNN 8\.1/);
  });

  it.skipIf(tfjsNodeGpuPresent)('backend "gpu" without tfjs-node-gpu fails with BACKEND_UNAVAILABLE in one line instead of falling back', async () => {
    const before = tf.getBackend();
    const error = await initBackend({ backend: 'gpu' }).catch((e: unknown) => e);
    expect(GanKitError.isInstance(error) && error.code).toBe('BACKEND_UNAVAILABLE');
    const message = (error as GanKitError).message;
    expect(message).toMatch(/^backend "gpu" is not available: @tensorflow\/tfjs-node-gpu: not usable \(.*\); install it with `npm i @tensorflow\/tfjs-node-gpu@4\.22\.0`.*CUDA 11\.2 and cuDNN 8\.1/);
    expect(message).not.toContain('\n');
    expect(tf.getBackend()).toBe(before);
  });
});
