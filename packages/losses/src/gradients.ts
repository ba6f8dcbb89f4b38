// The standard TF.js gradient functions come from @gankit/core: tfjs-core 4.x registers none on import, and
// importing @gankit/core loads @tensorflow/tfjs-layers, whose Node bundle registers the complete list into the
// one shared registry. `gradientsRegisteredBy` is used below (not just imported for its side effect) so that no
// bundler can drop the import; ESM evaluates @gankit/core before this module, so the fixes below run after it.
import { GanKitError, gradientsRegisteredBy } from '@gankit/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Comparison kernels that appear inside gradient functions (LeakyRelu's gradient uses `greater(x, 0)` as a
 * mask) but have no gradient registered in TF.js 4.22, so a gradient of a gradient through them throws
 * "gradient function not found for Greater". They are piecewise constant: their gradient is zero.
 */
const PIECEWISE_CONSTANT_KERNELS = ['Greater', 'Less', 'LessEqual', 'Equal', 'NotEqual'] as const;

/** A kernel whose gradient the standard registration always provides; its absence means it has not run. */
const STANDARD_GRADIENT_PROBE = 'LeakyRelu';

/** Throws unless TF.js's standard gradients are registered (they come from importing @gankit/core). */
function assertStandardGradientsRegistered(): void {
  if (tf.getGradient(STANDARD_GRADIENT_PROBE) !== undefined) return;
  throw new GanKitError(
    'MISSING_DEPENDENCY',
    `TF.js's standard gradients are not registered (no gradient for ${STANDARD_GRADIENT_PROBE}); they are expected from ${gradientsRegisteredBy}, loaded by @gankit/core: install @tensorflow/tfjs-layers 4.22.0 next to @tensorflow/tfjs-core`,
  );
}

/** Registers zero gradients for comparison kernels that lack one (after the standard ones; `MISSING_DEPENDENCY` if those are absent), so second-order gradients pass through them. */
export function registerSecondOrderGradientFixes(): string[] {
  assertStandardGradientsRegistered();
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
