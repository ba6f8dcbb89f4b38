import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';
import { isTraining, lastDim, oneHotLabels, pairShapes, pairTensors, type CallKwargs, type LayerArgs } from './common';

/** Options of `ConditionalBatchNorm`. */
export interface ConditionalBatchNormArgs extends LayerArgs {
  /** Number of classes K. */
  numClasses: number;
  /** Keras-style momentum of the moving statistics (default 0.9 = PyTorch's momentum 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5, as PyTorch). */
  epsilon?: number;
  /** Standard deviation of the N(1, σ) initial per-class scales (default 0.02; 0 gives exactly 1). */
  gammaStddev?: number;
  /** Seed of the scale initializer. */
  seed?: number;
}

/**
 * Conditional batch normalisation (de Vries et al. 2017; Miyato & Koyama 2018): batch norm without its own affine
 * parameters, followed by a per-class scale γ[y] and shift β[y]. Inputs `[x, labels]`: x is [B, ..., C] (channels
 * last), labels [B, 1] class indices. Batch statistics are used and the moving mean/variance updated when called
 * with `training: true` (PyTorch semantics: the moving variance tracks the unbiased batch variance); the moving
 * statistics otherwise.
 */
export class ConditionalBatchNorm extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'ConditionalBatchNorm';
  readonly numClasses: number;
  readonly momentum: number;
  readonly epsilon: number;
  private readonly gammaStddev: number;
  private readonly seed: number | undefined;
  private gamma: tfl.LayerVariable | null = null;
  private beta: tfl.LayerVariable | null = null;
  private movingMean: tfl.LayerVariable | null = null;
  private movingVariance: tfl.LayerVariable | null = null;

  constructor(args: ConditionalBatchNormArgs) {
    super(args);
    if (!Number.isInteger(args.numClasses) || args.numClasses < 1) throw new GanKitError('INVALID_ARGUMENT', `ConditionalBatchNorm: numClasses must be a positive integer, got ${args.numClasses}`);
    this.numClasses = args.numClasses;
    this.momentum = args.momentum ?? 0.9;
    this.epsilon = args.epsilon ?? 1e-5;
    this.gammaStddev = args.gammaStddev ?? 0.02;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const [features] = pairShapes(inputShape, 'ConditionalBatchNorm');
    const channels = lastDim(features, 'ConditionalBatchNorm');
    const gammaInit = tfl.initializers.randomNormal({ mean: 1, stddev: this.gammaStddev, seed: this.seed });
    this.gamma = this.addWeight('gamma', [this.numClasses, channels], 'float32', gammaInit);
    this.beta = this.addWeight('beta', [this.numClasses, channels], 'float32', tfl.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tfl.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tfl.initializers.ones(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return pairShapes(inputShape, 'ConditionalBatchNorm')[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const [x, labels] = pairTensors(inputs, 'ConditionalBatchNorm');
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      let mean: tf.Tensor;
      let variance: tf.Tensor;
      if (isTraining(kwargs)) {
        ({ mean, variance } = tf.moments(x, axes));
        const count = axes.reduce((n, axis) => n * (x.shape[axis] ?? 1), 1);
        this.updateMoving(this.movingMean!, mean);
        // As PyTorch: the moving variance tracks the unbiased batch variance.
        this.updateMoving(this.movingVariance!, count > 1 ? tf.mul(variance, count / (count - 1)) : variance);
      } else {
        mean = this.movingMean!.read();
        variance = this.movingVariance!.read();
      }
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      const onehot = oneHotLabels(labels, this.numClasses);
      const broadcastShape = [x.shape[0], ...axes.slice(1).map(() => 1), x.shape.at(-1) ?? 1];
      const gamma = tf.reshape(tf.matMul(onehot, this.gamma!.read() as tf.Tensor2D), broadcastShape);
      const beta = tf.reshape(tf.matMul(onehot, this.beta!.read() as tf.Tensor2D), broadcastShape);
      return tf.add(tf.mul(normed, gamma), beta);
    });
  }

  private updateMoving(variable: tfl.LayerVariable, batchValue: tf.Tensor): void {
    tf.tidy(() => {
      const updated = tf.add(tf.mul(variable.read(), this.momentum), tf.mul(batchValue, 1 - this.momentum));
      variable.write(updated);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numClasses: this.numClasses,
      momentum: this.momentum,
      epsilon: this.epsilon,
      gammaStddev: this.gammaStddev,
      seed: this.seed ?? null,
    };
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ ...config, seed: typeof config.seed === 'number' ? config.seed : undefined });
  }
}
