import * as tf from '@tensorflow/tfjs-core';
import { GanKitError, type Rng } from '@gankit/core';
import { assertNumberIn } from './validate';

/** A discriminator/critic as a function: a batch of inputs (and optional conditioning, e.g. labels) → logits. */
export type Critic = (x: tf.Tensor, condition?: tf.Tensor) => tf.Tensor;

/** Options shared by every gradient penalty. */
export interface PenaltyConditionOptions {
  /** Conditioning input passed through to the critic unchanged as its second argument (conditional critics). */
  condition?: tf.Tensor;
}

/** Options of the WGAN-GP gradient penalty and DRAGAN. */
export interface GradientNormPenaltyOptions extends PenaltyConditionOptions {
  /** Weight λ (default 10). */
  lambda?: number;
  /** Target norm (default 1). */
  target?: number;
  /** Penalise only norms above the target: E[max(0, ‖∇‖ − target)²] (Gulrajani et al. 2017, appendix; default false). */
  oneSided?: boolean;
}

/** Options of the R1 and R2 penalties. */
export interface ZeroCenteredPenaltyOptions extends PenaltyConditionOptions {
  /** Weight γ (default 10); the penalty is γ/2 · E‖∇D‖². */
  gamma?: number;
}

/** Options of DRAGAN's penalty. */
export interface DraganPenaltyOptions extends GradientNormPenaltyOptions {
  /** Perturbation scale c: x̃ = x + c·std(x)·u, u ~ U[0,1) elementwise (default 0.5, as in Kodali et al.'s code). */
  scale?: number;
}

// Keeps the gradient of the norm finite where the critic's input gradient is exactly zero (d√s/ds at s = 0);
// shifts the norm by at most 5e-13 for norms near 1.
const NORM_EPSILON = 1e-12;

function checkBatch(x: tf.Tensor, what: string): number {
  if (!(x instanceof tf.Tensor) || x.rank < 2 || x.dtype !== 'float32') {
    throw new GanKitError('INVALID_ARGUMENT', `${what} must be a float32 tensor of rank ≥ 2 (a batch of samples), got ${x instanceof tf.Tensor ? `${x.dtype} [${x.shape.join(', ')}]` : typeof x}`);
  }
  const n = x.shape[0];
  if (n < 1) throw new GanKitError('INVALID_ARGUMENT', `${what} must hold at least one sample`);
  return n;
}

function assertSameShape(a: tf.Tensor, b: tf.Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new GanKitError('SHAPE_MISMATCH', `real and fake batches must have the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
}

/** Per-sample squared L2 norm of the critic's gradient w.r.t. its input, shape [N]; differentiable w.r.t. the critic's weights. */
export function criticInputGradientSquaredNorm(critic: Critic, x: tf.Tensor, condition?: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const gradient = tf.grad((input: tf.Tensor) => tf.sum(critic(input, condition)))(x);
    const axes = Array.from({ length: gradient.rank - 1 }, (_, i) => i + 1);
    return tf.sum<tf.Tensor1D>(tf.square(gradient), axes);
  });
}

function normPenalty(critic: Critic, points: tf.Tensor, options: GradientNormPenaltyOptions): tf.Scalar {
  const lambda = options.lambda ?? 10;
  const target = options.target ?? 1;
  assertNumberIn(lambda, 0, Number.MAX_VALUE, 'lambda');
  assertNumberIn(target, 0, Number.MAX_VALUE, 'target');
  return tf.tidy(() => {
    const norms = tf.sqrt(tf.add(criticInputGradientSquaredNorm(critic, points, options.condition), NORM_EPSILON));
    const excess = options.oneSided === true ? tf.relu(tf.sub(norms, target)) : tf.sub(norms, target);
    return tf.mul(lambda, tf.mean(tf.square(excess)));
  });
}

function coefficientTensor(coefficients: Float32Array | tf.Tensor, like: tf.Tensor): tf.Tensor {
  const n = like.shape[0];
  const size = coefficients instanceof tf.Tensor ? coefficients.size : coefficients.length;
  if (size !== n) throw new GanKitError('SHAPE_MISMATCH', `need one interpolation coefficient per sample (${n}), got ${size}`);
  const shape = [n, ...Array.from({ length: like.rank - 1 }, () => 1)];
  return coefficients instanceof tf.Tensor ? tf.reshape(coefficients, shape) : tf.tensor(coefficients, shape);
}

/**
 * WGAN-GP gradient penalty at given interpolates (Gulrajani et al. 2017): x̂ = ε·x + (1 − ε)·x̃ with the given
 * per-sample ε, penalty `λ·E[(‖∇_x̂ D(x̂)‖₂ − 1)²]`. Use `gradientPenalty` to draw ε from a seeded Rng.
 */
export function gradientPenaltyAt(
  critic: Critic,
  real: tf.Tensor,
  fake: tf.Tensor,
  coefficients: Float32Array | tf.Tensor,
  options: GradientNormPenaltyOptions = {},
): tf.Scalar {
  checkBatch(real, 'real');
  checkBatch(fake, 'fake');
  assertSameShape(real, fake);
  return tf.tidy(() => {
    const epsilon = coefficientTensor(coefficients, real);
    const interpolates = tf.add(tf.mul(epsilon, real), tf.mul(tf.sub(1, epsilon), fake));
    return normPenalty(critic, interpolates, options);
  });
}

/**
 * WGAN-GP gradient penalty (Gulrajani et al. 2017): `λ·E[(‖∇_x̂ D(x̂)‖₂ − 1)²]` on x̂ = ε·x + (1 − ε)·G(z),
 * ε ~ U[0,1) per sample drawn from `rng` (one `uniformArray(N)` call). Works inside `tf.variableGrads`.
 */
export function gradientPenalty(critic: Critic, real: tf.Tensor, fake: tf.Tensor, rng: Rng, options: GradientNormPenaltyOptions = {}): tf.Scalar {
  const n = checkBatch(real, 'real');
  return gradientPenaltyAt(critic, real, fake, rng.uniformArray(n), options);
}

function zeroCenteredPenalty(critic: Critic, x: tf.Tensor, options: ZeroCenteredPenaltyOptions, what: string): tf.Scalar {
  checkBatch(x, what);
  const gamma = options.gamma ?? 10;
  assertNumberIn(gamma, 0, Number.MAX_VALUE, 'gamma');
  return tf.tidy(() => tf.mul(gamma / 2, tf.mean(criticInputGradientSquaredNorm(critic, x, options.condition))));
}

/** R1 penalty (Mescheder et al. 2018, "Which training methods for GANs do actually converge?"): `γ/2·E_x[‖∇_x D(x)‖²]` on real data. */
export function r1Penalty(critic: Critic, real: tf.Tensor, options: ZeroCenteredPenaltyOptions = {}): tf.Scalar {
  return zeroCenteredPenalty(critic, real, options, 'real');
}

/** R2 penalty (Mescheder et al. 2018): `γ/2·E_z[‖∇ D(G(z))‖²]` on generated data. */
export function r2Penalty(critic: Critic, fake: tf.Tensor, options: ZeroCenteredPenaltyOptions = {}): tf.Scalar {
  return zeroCenteredPenalty(critic, fake, options, 'fake');
}

/**
 * DRAGAN penalty at given noise (Kodali et al. 2017): x̃ = x + c·std(x)·u (u elementwise in [0,1), std over the
 * whole batch, population), x̂ = x + α·(x̃ − x), penalty `λ·E[(‖∇_x̂ D(x̂)‖₂ − 1)²]`.
 */
export function draganPenaltyAt(
  critic: Critic,
  real: tf.Tensor,
  noise: Float32Array | tf.Tensor,
  coefficients: Float32Array | tf.Tensor,
  options: DraganPenaltyOptions = {},
): tf.Scalar {
  checkBatch(real, 'real');
  const scale = options.scale ?? 0.5;
  assertNumberIn(scale, 0, Number.MAX_VALUE, 'scale');
  const noiseSize = noise instanceof tf.Tensor ? noise.size : noise.length;
  if (noiseSize !== real.size) throw new GanKitError('SHAPE_MISMATCH', `DRAGAN noise needs one value per input element (${real.size}), got ${noiseSize}`);
  return tf.tidy(() => {
    const u = noise instanceof tf.Tensor ? tf.reshape(noise, real.shape) : tf.tensor(noise, real.shape);
    const { variance } = tf.moments(real);
    const perturbation = tf.mul(tf.mul(scale, tf.sqrt(variance)), u);
    const alpha = coefficientTensor(coefficients, real);
    return normPenalty(critic, tf.add(real, tf.mul(alpha, perturbation)), options);
  });
}

/**
 * DRAGAN penalty (Kodali et al. 2017, "On Convergence and Stability of GANs"): gradient-norm penalty
 * `λ·E[(‖∇D(x̂)‖₂ − 1)²]` around perturbed real data; noise then per-sample α drawn from `rng`.
 */
export function draganPenalty(critic: Critic, real: tf.Tensor, rng: Rng, options: DraganPenaltyOptions = {}): tf.Scalar {
  const n = checkBatch(real, 'real');
  const noise = rng.uniformArray(real.size);
  return draganPenaltyAt(critic, real, noise, rng.uniformArray(n), options);
}
