import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@gankit/core';
import { asLogitVector, assertNumberIn, assertSameBatch } from './validate';

/** Per-sample label flipping for the discriminator: each target is swapped with probability `probability`. */
export interface LabelFlip {
  /** Probability in [0, 1] that one sample's target is swapped (real ↔ fake). */
  probability: number;
  /** Seeded generator the flips are drawn from (one uniform per real sample, then one per fake sample). */
  rng: Rng;
}

/** Targets of the binary cross-entropy discriminator loss. */
export interface BinaryLabelOptions {
  /** Target for real samples (default 1; one-sided label smoothing uses e.g. 0.9). */
  realLabel?: number;
  /** Target for fake samples (default 0). */
  fakeLabel?: number;
  /** Randomly swap targets of some samples (Salimans et al. 2016 / "GAN hacks"). */
  flip?: LabelFlip;
}

/** Options of the least-squares GAN losses: D pushes fakes to `a` and reals to `b`, G pushes fakes to `c`. */
export interface LeastSquaresOptions {
  /** Target for fake samples in the D loss (default 0). */
  a?: number;
  /** Target for real samples in the D loss (default 1). */
  b?: number;
  /** Target for fake samples in the G loss (default 1). */
  c?: number;
}

/**
 * Sigmoid cross-entropy from logits, stable for any logit: mean over samples of
 * `t·softplus(−x) + (1−t)·softplus(x)` = −[t·log σ(x) + (1−t)·log(1−σ(x))]. `targets` is a number or a [N] tensor.
 */
export function sigmoidCrossEntropy(logits: tf.Tensor, targets: number | tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const x = asLogitVector(logits, 'logits');
    const t = typeof targets === 'number' ? tf.scalar(targets) : tf.reshape(targets, x.shape);
    const perSample = tf.add(tf.mul(t, tf.softplus(tf.neg(x))), tf.mul(tf.sub(1, t), tf.softplus(x)));
    return tf.mean(perSample);
  });
}

function binaryTargets(n: number, own: number, other: number, flip: LabelFlip | undefined): number | tf.Tensor1D {
  if (flip === undefined || flip.probability === 0) return own;
  const draws = flip.rng.uniformArray(n);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = (draws[i] as number) < flip.probability ? other : own;
  return tf.tensor1d(values);
}

function checkLabels(options: BinaryLabelOptions): { real: number; fake: number } {
  const real = options.realLabel ?? 1;
  const fake = options.fakeLabel ?? 0;
  assertNumberIn(real, 0, 1, 'realLabel');
  assertNumberIn(fake, 0, 1, 'fakeLabel');
  if (options.flip !== undefined) assertNumberIn(options.flip.probability, 0, 1, 'flip.probability');
  return { real, fake };
}

/**
 * The seed's (and Goodfellow et al. 2014's) discriminator loss from logits:
 * `L_D = −E[log D(x)] − E[log(1 − D(G(z)))]` = E[softplus(−D_logit(x))] + E[softplus(D_logit(G(z)))],
 * with optional one-sided label smoothing (`realLabel`), fake target, and per-sample label flipping.
 */
export function minimaxDiscriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor, options: BinaryLabelOptions = {}): tf.Scalar {
  const labels = checkLabels(options);
  return tf.tidy(() => {
    const real = asLogitVector(realLogits, 'realLogits');
    const fake = asLogitVector(fakeLogits, 'fakeLogits');
    const realTargets = binaryTargets(real.shape[0], labels.real, labels.fake, options.flip);
    const fakeTargets = binaryTargets(fake.shape[0], labels.fake, labels.real, options.flip);
    return tf.add(sigmoidCrossEntropy(real, realTargets), sigmoidCrossEntropy(fake, fakeTargets));
  });
}

/** Non-saturating generator loss (Goodfellow et al. 2014, the seed's `L_G`): `−E[log D(G(z))]` = E[softplus(−f)]. */
export function nonSaturatingGeneratorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean<tf.Scalar>(tf.softplus(tf.neg(asLogitVector(fakeLogits, 'fakeLogits')))));
}

/** Original minimax (saturating) generator loss (Goodfellow et al. 2014): `E[log(1 − D(G(z)))]` = −E[softplus(f)]. */
export function minimaxGeneratorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.softplus(asLogitVector(fakeLogits, 'fakeLogits')))) as tf.Scalar);
}

/** Wasserstein critic loss (Arjovsky et al. 2017, WGAN): `E[D(G(z))] − E[D(x)]`. */
export function wassersteinCriticLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sub(tf.mean(asLogitVector(fakeLogits, 'fakeLogits')), tf.mean(asLogitVector(realLogits, 'realLogits'))));
}

/** Wasserstein generator loss (Arjovsky et al. 2017): `−E[D(G(z))]`. Also the hinge generator loss. */
export function wassersteinGeneratorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(asLogitVector(fakeLogits, 'fakeLogits'))) as tf.Scalar);
}

/** Hinge discriminator loss (Lim & Ye 2017; Miyato et al. 2018 SNGAN; Brock et al. 2019 BigGAN): `E[relu(1 − D(x))] + E[relu(1 + D(G(z)))]`. */
export function hingeDiscriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const real = asLogitVector(realLogits, 'realLogits');
    const fake = asLogitVector(fakeLogits, 'fakeLogits');
    return tf.add(tf.mean(tf.relu(tf.sub(1, real))), tf.mean(tf.relu(tf.add(1, fake))));
  });
}

/** Hinge generator loss (Miyato et al. 2018): `−E[D(G(z))]`. */
export function hingeGeneratorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return wassersteinGeneratorLoss(fakeLogits);
}

function leastSquaresTargets(options: LeastSquaresOptions): Required<LeastSquaresOptions> {
  const targets = { a: options.a ?? 0, b: options.b ?? 1, c: options.c ?? 1 };
  for (const [key, value] of Object.entries(targets)) assertNumberIn(value, -1e6, 1e6, `lsgan option ${key}`);
  return targets;
}

/** Least-squares discriminator loss (Mao et al. 2017, LSGAN) on raw outputs: `½E[(D(x) − b)²] + ½E[(D(G(z)) − a)²]`. */
export function leastSquaresDiscriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor, options: LeastSquaresOptions = {}): tf.Scalar {
  const { a, b } = leastSquaresTargets(options);
  return tf.tidy(() => {
    const real = asLogitVector(realLogits, 'realLogits');
    const fake = asLogitVector(fakeLogits, 'fakeLogits');
    return tf.mul(0.5, tf.add(tf.mean(tf.square(tf.sub(real, b))), tf.mean(tf.square(tf.sub(fake, a)))));
  });
}

/** Least-squares generator loss (Mao et al. 2017): `½E[(D(G(z)) − c)²]`. */
export function leastSquaresGeneratorLoss(fakeLogits: tf.Tensor, options: LeastSquaresOptions = {}): tf.Scalar {
  const { c } = leastSquaresTargets(options);
  return tf.tidy(() => tf.mul(0.5, tf.mean(tf.square(tf.sub(asLogitVector(fakeLogits, 'fakeLogits'), c)))));
}

/** Relativistic standard discriminator loss (Jolicoeur-Martineau 2018, RSGAN), pairwise: `E[softplus(−(D(x) − D(G(z))))]`. */
export function relativisticDiscriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const real = asLogitVector(realLogits, 'realLogits');
    const fake = asLogitVector(fakeLogits, 'fakeLogits');
    assertSameBatch(real, fake, 'relativisticDiscriminatorLoss');
    return tf.mean(tf.softplus(tf.sub(fake, real)));
  });
}

/** Relativistic standard generator loss (Jolicoeur-Martineau 2018): `E[softplus(−(D(G(z)) − D(x)))]`. */
export function relativisticGeneratorLoss(fakeLogits: tf.Tensor, realLogits: tf.Tensor): tf.Scalar {
  return relativisticDiscriminatorLoss(fakeLogits, realLogits);
}

/**
 * Relativistic average discriminator loss (Jolicoeur-Martineau 2018, RaSGAN):
 * `E_x[softplus(−(D(x) − E[D(G(z))]))] + E_z[softplus(D(G(z)) − E[D(x)])]`.
 */
export function relativisticAverageDiscriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const real = asLogitVector(realLogits, 'realLogits');
    const fake = asLogitVector(fakeLogits, 'fakeLogits');
    const realVsFake = tf.sub(real, tf.mean(fake));
    const fakeVsReal = tf.sub(fake, tf.mean(real));
    return tf.add(tf.mean(tf.softplus(tf.neg(realVsFake))), tf.mean(tf.softplus(fakeVsReal)));
  });
}

/**
 * Relativistic average generator loss (Jolicoeur-Martineau 2018, RaSGAN):
 * `E_z[softplus(−(D(G(z)) − E[D(x)]))] + E_x[softplus(D(x) − E[D(G(z))])]`.
 */
export function relativisticAverageGeneratorLoss(fakeLogits: tf.Tensor, realLogits: tf.Tensor): tf.Scalar {
  return relativisticAverageDiscriminatorLoss(fakeLogits, realLogits);
}
