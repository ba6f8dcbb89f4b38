import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';

/** Clamps every variable to [−c, c] in place (WGAN weight clipping, Arjovsky et al. 2017; c = 0.01 there). */
export function clipWeights(variables: tf.Variable[], c: number): void {
  if (typeof c !== 'number' || !Number.isFinite(c) || c <= 0) throw new GanKitError('INVALID_ARGUMENT', `clip value c must be a finite number > 0, got ${String(c)}`);
  tf.tidy(() => {
    for (const v of variables) v.assign(tf.clipByValue(v, -c, c));
  });
}

/** Gradients scaled to a global norm of at most `maxNorm`, and the norm before clipping. */
export interface ClippedGradients<G> {
  /** New tensors (the caller disposes them and still owns the inputs). */
  grads: G;
  /** ‖g‖₂ over all gradients together, before clipping. */
  globalNorm: tf.Scalar;
}

/**
 * Clipping by global norm (Pascanu et al. 2013; = `torch.nn.utils.clip_grad_norm_`): every gradient is
 * multiplied by min(1, maxNorm / (‖g‖₂ + 1e-6)), with ‖g‖₂ taken over all gradients together.
 */
export function clipByGlobalNorm<G extends tf.NamedTensorMap | tf.Tensor[]>(grads: G, maxNorm: number): ClippedGradients<G> {
  if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm <= 0) throw new GanKitError('INVALID_ARGUMENT', `maxNorm must be a finite number > 0, got ${String(maxNorm)}`);
  const entries: [string, tf.Tensor][] = Array.isArray(grads) ? grads.map((g, i) => [String(i), g]) : Object.entries(grads);
  if (entries.length === 0) throw new GanKitError('INVALID_ARGUMENT', 'clipByGlobalNorm needs at least one gradient');
  return tf.tidy(() => {
    const globalNorm = tf.sqrt(tf.addN(entries.map(([, g]) => tf.sum(tf.square(g))))) as tf.Scalar;
    const coefficient = tf.minimum(tf.div(maxNorm, tf.add(globalNorm, 1e-6)), 1);
    const clipped = entries.map(([name, g]) => [name, tf.mul(g, coefficient)] as const);
    const out = Array.isArray(grads) ? clipped.map(([, g]) => g) : Object.fromEntries(clipped);
    return { grads: out as G, globalNorm };
  });
}
