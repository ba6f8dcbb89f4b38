import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';

/** Checks that `logits` is a float tensor of shape [N] or [N, 1] with N ≥ 1 and returns it flattened to [N]. */
export function asLogitVector(logits: tf.Tensor, what: string): tf.Tensor1D {
  if (!(logits instanceof tf.Tensor)) {
    throw new GanKitError('INVALID_ARGUMENT', `${what} must be a tf.Tensor of logits, got ${typeof logits}`);
  }
  if (logits.dtype !== 'float32') {
    throw new GanKitError('INVALID_ARGUMENT', `${what} must be float32 logits, got dtype ${logits.dtype}`);
  }
  const [n, ...rest] = logits.shape;
  const ok = (logits.rank === 1 || (logits.rank === 2 && rest[0] === 1)) && n !== undefined && n > 0;
  if (!ok) {
    throw new GanKitError('SHAPE_MISMATCH', `${what} must have shape [N] or [N, 1] with N ≥ 1 (one logit per sample), got [${logits.shape.join(', ')}]`);
  }
  return tf.reshape(logits, [n]);
}

/** Throws unless both logit vectors hold the same number of samples (pairwise losses). */
export function assertSameBatch(a: tf.Tensor, b: tf.Tensor, what: string): void {
  if (a.shape[0] !== b.shape[0]) {
    throw new GanKitError('SHAPE_MISMATCH', `${what} needs real and fake logits with the same batch size, got ${a.shape[0]} and ${b.shape[0]}`);
  }
}

/** Throws unless `value` is a finite number within [min, max]. */
export function assertNumberIn(value: number, min: number, max: number, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new GanKitError('INVALID_ARGUMENT', `${what} must be a number in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Throws unless the object has only the allowed keys (catches typos in option objects coming from config). */
export function assertKnownKeys(options: object, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new GanKitError('INVALID_ARGUMENT', `${what}: unknown option "${key}"; expected one of ${allowed.length ? allowed.join(', ') : '(none)'}`);
    }
  }
}
