import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';
import { lastDim, oneHotLabels, onlyShape, onlyTensor, type LayerArgs } from './common';

function checkClasses(numClasses: number, layer: string): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new GanKitError('INVALID_ARGUMENT', `${layer}: numClasses must be a positive integer, got ${numClasses}`);
}

/** Options of `ClassEmbedding`. */
export interface ClassEmbeddingArgs extends LayerArgs {
  /** Number of classes K; labels are integers in [0, K). */
  numClasses: number;
  /** Embedding size D. */
  outputDim: number;
  /** Standard deviation of the N(0, σ) initial table (default 1, as PyTorch's nn.Embedding). */
  stddev?: number;
  /** Seed of the initializer. */
  seed?: number;
}

/**
 * A learned class embedding: labels [B, 1] (or [B]) of class indices → [B, D]. Computed as one-hot × table, so
 * its gradient needs only MatMul (the wasm backend lacks the UnsortedSegmentSum kernel `tf.layers.embedding` needs).
 */
export class ClassEmbedding extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'ClassEmbedding';
  readonly numClasses: number;
  readonly outputDim: number;
  private readonly seed: number | undefined;
  private readonly stddev: number;
  private embeddings: tfl.LayerVariable | null = null;

  constructor(args: ClassEmbeddingArgs) {
    super(args);
    checkClasses(args.numClasses, 'ClassEmbedding');
    this.numClasses = args.numClasses;
    this.outputDim = args.outputDim;
    this.seed = args.seed;
    this.stddev = args.stddev ?? 1;
  }

  override build(): void {
    this.embeddings = this.addWeight('embeddings', [this.numClasses, this.outputDim], 'float32', tfl.initializers.randomNormal({ mean: 0, stddev: this.stddev, seed: this.seed }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [onlyShape(inputShape, 'ClassEmbedding')[0] ?? null, this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.matMul(oneHotLabels(onlyTensor(inputs, 'ClassEmbedding'), this.numClasses), this.embeddings!.read() as tf.Tensor2D));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numClasses: this.numClasses,
      outputDim: this.outputDim,
      stddev: this.stddev,
      seed: this.seed ?? null,
    };
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ ...config, seed: typeof config.seed === 'number' ? config.seed : undefined });
  }
}

/** Options of `OneHot`. */
export interface OneHotArgs extends LayerArgs {
  /** Number of classes K. */
  numClasses: number;
}

/** Class indices [B, 1] (or [B]) → float32 one-hot [B, K]; no weights. Used for InfoGAN's categorical code. */
export class OneHot extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'OneHot';
  readonly numClasses: number;

  constructor(args: OneHotArgs) {
    super(args);
    checkClasses(args.numClasses, 'OneHot');
    this.numClasses = args.numClasses;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [onlyShape(inputShape, 'OneHot')[0] ?? null, this.numClasses];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return oneHotLabels(onlyTensor(inputs, 'OneHot'), this.numClasses);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numClasses: this.numClasses };
  }
}

/** Sums an NHWC feature map over height and width: [B, H, W, C] → [B, C] (SNGAN's global sum pooling). */
export class GlobalSumPooling extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'GlobalSumPooling';

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = onlyShape(inputShape, 'GlobalSumPooling');
    return [shape[0] ?? null, lastDim(shape, 'GlobalSumPooling')];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.sum(onlyTensor(inputs, 'GlobalSumPooling'), [1, 2]);
  }
}

/**
 * 2×2 average pooling with stride 2 on NHWC maps ([B, H, W, C] → [B, H/2, W/2, C], H and W even), written as
 * reshape + mean so that it is differentiable twice: TF.js 4.22 has no gradient for `AvgPoolGrad`, which gradient
 * penalties (WGAN-GP, R1) through `tf.layers.averagePooling2d` would need.
 */
export class AveragePooling2x2 extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'AveragePooling2x2';

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [batch, height, width, channels] = onlyShape(inputShape, 'AveragePooling2x2');
    const half = (d: number | null | undefined) => (typeof d === 'number' ? Math.floor(d / 2) : null);
    return [batch ?? null, half(height), half(width), channels ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = onlyTensor(inputs, 'AveragePooling2x2') as tf.Tensor4D;
      const [batch, height, width, channels] = x.shape;
      if (height % 2 !== 0 || width % 2 !== 0) throw new GanKitError('SHAPE_MISMATCH', `AveragePooling2x2 needs even height and width, got ${height}×${width}`);
      return tf.mean(tf.reshape(x, [batch, height / 2, 2, width / 2, 2, channels]), [2, 4]);
    });
  }
}

/** Options of `PixelNorm`. */
export interface PixelNormArgs extends LayerArgs {
  /** Added under the square root (default 1e-8). */
  epsilon?: number;
}

/**
 * Pixelwise feature normalisation (Karras et al. 2018, ProGAN): x / sqrt(mean_c(x²) + ε) over the last (channel)
 * axis, for every pixel; no weights.
 */
export class PixelNorm extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'PixelNorm';
  readonly epsilon: number;

  constructor(args: PixelNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-8;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = onlyTensor(inputs, 'PixelNorm');
      return tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), this.epsilon)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

/** Options of `MinibatchStdDev`. */
export interface MinibatchStdDevArgs extends LayerArgs {
  /** Samples per group (default 4; min(groupSize, batch) is used, which must divide the batch). */
  groupSize?: number;
  /** Added to the variance before the square root (default 1e-8). */
  epsilon?: number;
}

/**
 * Minibatch standard deviation (Karras et al. 2018, ProGAN): splits the batch into groups, takes each feature's
 * standard deviation over the group, averages it over features and pixels, and appends it as one extra constant
 * channel: [B, H, W, C] → [B, H, W, C + 1]; no weights.
 */
export class MinibatchStdDev extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'MinibatchStdDev';
  readonly groupSize: number;
  readonly epsilon: number;

  constructor(args: MinibatchStdDevArgs = {}) {
    super(args);
    this.groupSize = args.groupSize ?? 4;
    if (!Number.isInteger(this.groupSize) || this.groupSize < 1) throw new GanKitError('INVALID_ARGUMENT', `MinibatchStdDev: groupSize must be a positive integer, got ${this.groupSize}`);
    this.epsilon = args.epsilon ?? 1e-8;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = onlyShape(inputShape, 'MinibatchStdDev');
    return [...shape.slice(0, -1), lastDim(shape, 'MinibatchStdDev') + 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = onlyTensor(inputs, 'MinibatchStdDev') as tf.Tensor4D;
      const [batch, height, width, channels] = x.shape;
      const group = Math.min(this.groupSize, batch);
      if (batch % group !== 0) throw new GanKitError('SHAPE_MISMATCH', `MinibatchStdDev: batch size ${batch} must be divisible by the group size ${group}`);
      const grouped = tf.reshape(x, [group, batch / group, height, width, channels]);
      const centered = tf.sub(grouped, tf.mean(grouped, 0, true));
      const std = tf.sqrt(tf.add(tf.mean(tf.square(centered), 0), this.epsilon));
      const perGroup = tf.reshape(tf.mean(std, [1, 2, 3]), [batch / group, 1, 1, 1]);
      const channel = tf.tile(perGroup, [group, height, width, 1]);
      return tf.concat([x, channel], 3);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), groupSize: this.groupSize, epsilon: this.epsilon };
  }
}
