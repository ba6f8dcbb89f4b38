// Registers TF.js's gradient functions (tfjs-core 4.x no longer registers them on import; tfjs-layers and the
// @tensorflow/tfjs union do). tsup bundles this module into dist so it also runs under plain Node, where
// tfjs-core's ESM dist files cannot be imported one by one. Registering twice is harmless.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Comparison kernels that appear inside gradient functions (LeakyRelu's gradient uses `greater(x, 0)` as a
 * mask) but have no gradient registered in TF.js 4.22, so a gradient of a gradient through them throws
 * "gradient function not found for Greater". They are piecewise constant: their gradient is zero.
 */
const PIECEWISE_CONSTANT_KERNELS = ['Greater', 'Less', 'LessEqual', 'Equal', 'NotEqual'] as const;

/** Registers zero gradients for comparison kernels that lack one, so second-order gradients pass through them. */
export function registerSecondOrderGradientFixes(): string[] {
  const added: string[] = [];
  for (const kernelName of PIECEWISE_CONSTANT_KERNELS) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [a, b] = saved as [tf.Tensor, tf.Tensor];
        return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
      },
    });
    added.push(kernelName);
  }
  return added;
}

registerSecondOrderGradientFixes();
