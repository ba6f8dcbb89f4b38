import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';

function checkClassLogits(logits: tf.Tensor, what: string): [number, number] {
  if (!(logits instanceof tf.Tensor) || logits.rank !== 2 || logits.dtype !== 'float32') {
    throw new GanKitError('SHAPE_MISMATCH', `${what} must be float32 class logits of shape [N, K], got ${logits instanceof tf.Tensor ? `${logits.dtype} [${logits.shape.join(', ')}]` : typeof logits}`);
  }
  return [logits.shape[0], logits.shape[1] as number];
}

function labelTensor(labels: tf.Tensor | ArrayLike<number>, n: number, k: number, what: string): tf.Tensor1D {
  const values = labels instanceof tf.Tensor ? Array.from(labels.dataSync()) : Array.from(labels);
  if (values.length !== n) throw new GanKitError('SHAPE_MISMATCH', `${what} needs one label per sample (${n}), got ${values.length}`);
  const bad = values.find((v) => !Number.isInteger(v) || v < 0 || v >= k);
  if (bad !== undefined) throw new GanKitError('INVALID_ARGUMENT', `${what}: every label must be an integer class index in [0, ${k}), got ${bad}`);
  return tf.tensor1d(values, 'int32');
}

/**
 * Softmax cross-entropy with sparse labels, stable via log-softmax: `−E[log softmax(logits)_y]`
 * (= PyTorch `F.cross_entropy`). The ACGAN auxiliary classifier loss (Odena et al. 2017).
 */
export function sparseSoftmaxCrossEntropy(classLogits: tf.Tensor, labels: tf.Tensor | ArrayLike<number>): tf.Scalar {
  const [n, k] = checkClassLogits(classLogits, 'classLogits');
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labelTensor(labels, n, k, 'labels'), k);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(classLogits)), 1))) as tf.Scalar;
  });
}

/** ACGAN auxiliary classifier loss (Odena et al. 2017, "Conditional Image Synthesis with Auxiliary Classifier GANs"): `−E[log P(C = c | x)]`. */
export function auxiliaryClassifierLoss(classLogits: tf.Tensor, labels: tf.Tensor | ArrayLike<number>): tf.Scalar {
  return sparseSoftmaxCrossEntropy(classLogits, labels);
}

/** One categorical latent code: Q's logits over its K values and the code values that were fed to G. */
export interface CategoricalCode {
  /** Q's logits, shape [N, K]. */
  logits: tf.Tensor;
  /** The sampled code indices, one per sample. */
  codes: tf.Tensor | ArrayLike<number>;
}

/** The continuous latent codes: Q's predicted mean (and optionally log standard deviation) and the codes fed to G. */
export interface ContinuousCodes {
  /** Q's predicted mean, shape [N, D]. */
  mean: tf.Tensor;
  /** The sampled codes, shape [N, D]. */
  codes: tf.Tensor;
  /** Q's predicted log σ, shape [N, D]; given → Gaussian NLL, omitted → mean squared error. */
  logStd?: tf.Tensor;
}

/** Inputs of the InfoGAN mutual-information loss. */
export interface InfoGanLossInput {
  /** Categorical codes (each a softmax cross-entropy term). */
  categorical?: CategoricalCode[];
  /** Continuous codes. */
  continuous?: ContinuousCodes;
  /** Weight of the categorical terms (default 1). */
  categoricalWeight?: number;
  /** Weight of the continuous term (default 1; Chen et al. used 0.1 for MNIST). */
  continuousWeight?: number;
}

const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

function sameShape(a: tf.Tensor, b: tf.Tensor, what: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new GanKitError('SHAPE_MISMATCH', `${what}: shapes differ, [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
  }
}

/**
 * Gaussian negative log-likelihood, mean over all elements: `log σ + (c − μ)²/(2σ²) + ½·log 2π`
 * (= PyTorch `GaussianNLLLoss(full=True)` with var = σ², without its 1e-6 variance clamp).
 */
export function gaussianNegativeLogLikelihood(mean: tf.Tensor, logStd: tf.Tensor, codes: tf.Tensor): tf.Scalar {
  sameShape(mean, codes, 'gaussianNegativeLogLikelihood mean/codes');
  sameShape(logStd, codes, 'gaussianNegativeLogLikelihood logStd/codes');
  return tf.tidy(() => {
    const z = tf.mul(tf.sub(codes, mean), tf.exp(tf.neg(logStd)));
    return tf.add(tf.mean(tf.add(logStd, tf.mul(0.5, tf.square(z)))), HALF_LOG_TWO_PI);
  });
}

function continuousTerm(continuous: ContinuousCodes): tf.Scalar {
  if (continuous.logStd !== undefined) return gaussianNegativeLogLikelihood(continuous.mean, continuous.logStd, continuous.codes);
  sameShape(continuous.mean, continuous.codes, 'continuous mean/codes');
  return tf.tidy(() => tf.mean(tf.squaredDifference(continuous.mean, continuous.codes)));
}

/**
 * InfoGAN mutual-information loss (Chen et al. 2016), the negative variational lower bound on I(c; G(z, c)) up to
 * H(c): `λ_cat·Σ_codes CE(Q_logits, c) + λ_cont·L_cont`, where L_cont is the factored-Gaussian NLL
 * (mean over elements) when `logStd` is given and the mean squared error `E[(c − μ)²]` (fixed σ) otherwise.
 */
export function infoGanMutualInformationLoss(input: InfoGanLossInput): tf.Scalar {
  const categorical = input.categorical ?? [];
  if (categorical.length === 0 && input.continuous === undefined) {
    throw new GanKitError('INVALID_ARGUMENT', 'infoGanMutualInformationLoss needs at least one categorical code or the continuous codes');
  }
  const categoricalWeight = input.categoricalWeight ?? 1;
  const continuousWeight = input.continuousWeight ?? 1;
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    for (const code of categorical) total = tf.add(total, tf.mul(categoricalWeight, sparseSoftmaxCrossEntropy(code.logits, code.codes)));
    if (input.continuous !== undefined) total = tf.add(total, tf.mul(continuousWeight, continuousTerm(input.continuous)));
    return total;
  });
}
