import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';
import { PyTorchAdamOptimizer } from './pytorch-adam';
import { PyTorchRMSPropOptimizer } from './pytorch-rmsprop';

/** Which update rule to use: TF.js's built-in optimizer, or gankit's re-implementation of PyTorch 1.13's. */
export type Exactness = 'tfjs' | 'pytorch';

/** Options of the `adam` preset. */
export interface AdamOptions {
  /** Step size (default 2e-4, the seed's and DCGAN's). */
  learningRate?: number;
  /** First-moment decay (default 0.5, the seed's and DCGAN's). */
  beta1?: number;
  /** Second-moment decay (default 0.999). */
  beta2?: number;
  /** ε added to √v̂ (default 1e-8 like PyTorch and the Adam paper; `tf.train.adam`'s own default is 1e-7). */
  epsilon?: number;
  /** `'tfjs'` (default): `tf.train.adam`; `'pytorch'`: `PyTorchAdamOptimizer`, PyTorch's exact update. */
  exact?: Exactness;
  /** L2 weight decay added to the gradient (PyTorch `weight_decay`); only with `exact: 'pytorch'`. */
  weightDecay?: number;
}

/** Options of the `rmsprop` preset. */
export interface RMSPropOptions {
  /** Step size (default 5e-5, the WGAN paper's). */
  learningRate?: number;
  /** Squared-gradient decay (default 0.99, PyTorch's α; `tf.train.rmsprop`'s own default is 0.9). */
  decay?: number;
  /** Momentum (default 0). */
  momentum?: number;
  /** ε (default 1e-8); TF.js adds it inside the square root, PyTorch outside. */
  epsilon?: number;
  /** Centered RMSprop (default false). */
  centered?: boolean;
  /** `'tfjs'` (default): `tf.train.rmsprop`; `'pytorch'`: `PyTorchRMSPropOptimizer`. */
  exact?: Exactness;
}

/** Options of the `sgd` preset. */
export interface SgdOptions {
  /** Step size (default 0.01). */
  learningRate?: number;
  /** Heavy-ball momentum (default 0 → plain SGD); same update as PyTorch's SGD with dampening 0. */
  momentum?: number;
  /** Nesterov momentum, TF.js's formulation (default false). */
  nesterov?: boolean;
}

/** Options of the `ttur` preset. */
export interface TturOptions extends Omit<AdamOptions, 'learningRate'> {
  /** Generator step size (default 1e-4). */
  generatorLr?: number;
  /** Discriminator step size (default 4e-4). */
  discriminatorLr?: number;
}

/** The two optimizers of a GAN. */
export interface GanOptimizers {
  generator: tf.Optimizer;
  discriminator: tf.Optimizer;
}

function positive(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new GanKitError('INVALID_ARGUMENT', `${what} must be a finite number > 0, got ${String(value)}`);
  return value;
}

function inUnitInterval(value: number, what: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw new GanKitError('INVALID_ARGUMENT', `${what} must be a number in [0, 1), got ${String(value)}`);
  return value;
}

function exactness(value: Exactness | undefined): Exactness {
  const exact = value ?? 'tfjs';
  if (exact !== 'tfjs' && exact !== 'pytorch') throw new GanKitError('INVALID_ARGUMENT', `exact must be "tfjs" or "pytorch", got "${String(exact)}"`);
  return exact;
}

/** Adam (Kingma & Ba 2015) with the seed's defaults: lr 2e-4, β = (0.5, 0.999), ε = 1e-8. */
export function adam(options: AdamOptions = {}): tf.Optimizer {
  const learningRate = positive(options.learningRate ?? 2e-4, 'adam learningRate');
  const beta1 = inUnitInterval(options.beta1 ?? 0.5, 'adam beta1');
  const beta2 = inUnitInterval(options.beta2 ?? 0.999, 'adam beta2');
  const epsilon = positive(options.epsilon ?? 1e-8, 'adam epsilon');
  const weightDecay = options.weightDecay ?? 0;
  if (exactness(options.exact) === 'pytorch') return new PyTorchAdamOptimizer({ learningRate, beta1, beta2, epsilon, weightDecay });
  if (weightDecay !== 0) throw new GanKitError('INVALID_ARGUMENT', 'adam weightDecay needs exact: "pytorch" (tf.train.adam has no weight decay)');
  return tf.train.adam(learningRate, beta1, beta2, epsilon);
}

/** RMSprop (Tieleman & Hinton 2012) with the WGAN defaults (Arjovsky et al. 2017): lr 5e-5, decay 0.99, ε 1e-8. */
export function rmsprop(options: RMSPropOptions = {}): tf.Optimizer {
  const learningRate = positive(options.learningRate ?? 5e-5, 'rmsprop learningRate');
  const decay = inUnitInterval(options.decay ?? 0.99, 'rmsprop decay');
  const momentum = inUnitInterval(options.momentum ?? 0, 'rmsprop momentum');
  const epsilon = positive(options.epsilon ?? 1e-8, 'rmsprop epsilon');
  const centered = options.centered ?? false;
  if (exactness(options.exact) === 'pytorch') return new PyTorchRMSPropOptimizer({ learningRate, alpha: decay, epsilon, momentum, centered, weightDecay: 0 });
  return tf.train.rmsprop(learningRate, decay, momentum, epsilon, centered);
}

/** tf.train.momentum whose dispose() also frees the −lr scalar (TF.js 4.22's MomentumOptimizer.dispose leaks it). */
class MomentumOptimizer extends tf.MomentumOptimizer {
  override dispose(): void {
    super.dispose();
    (this as unknown as { c?: tf.Tensor }).c?.dispose();
  }
}

/** Stochastic gradient descent, optionally with momentum: p ← p − lr·b, b ← μ·b + g. */
export function sgd(options: SgdOptions = {}): tf.Optimizer {
  const learningRate = positive(options.learningRate ?? 0.01, 'sgd learningRate');
  const momentum = inUnitInterval(options.momentum ?? 0, 'sgd momentum');
  if (momentum === 0 && options.nesterov !== true) return tf.train.sgd(learningRate);
  return new MomentumOptimizer(learningRate, momentum, options.nesterov ?? false);
}

/** Two time-scale update rule (Heusel et al. 2017): Adam for G and D with different rates (default 1e-4 / 4e-4). */
export function ttur(options: TturOptions = {}): GanOptimizers {
  const { generatorLr = 1e-4, discriminatorLr = 4e-4, ...adamOptions } = options;
  return {
    generator: adam({ ...adamOptions, learningRate: generatorLr }),
    discriminator: adam({ ...adamOptions, learningRate: discriminatorLr }),
  };
}
