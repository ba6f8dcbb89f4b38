import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';
import { isTraining, onlyTensor, stopGradient, type CallKwargs, type LayerArgs } from './common';

/** Options of the `SpectralNormalization` wrapper. */
export interface SpectralNormalizationArgs extends LayerArgs {
  /** The layer to normalise: a `tf.layers.dense` or `tf.layers.conv2d` with linear activation (not yet built). */
  layer: tfl.layers.Layer;
  /** Power iterations per training call (default 1, as in Miyato et al. 2018). */
  powerIterations?: number;
  /** Added to norms before dividing (default 1e-12, as PyTorch). */
  epsilon?: number;
  /** Seed for the initial `u` vector (N(0, 1)). */
  seed?: number;
}

const SUPPORTED = ['Dense', 'Conv2D'];

function l2Normalize(x: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.div(x, tf.add(tf.norm(x), epsilon));
}

function configString(config: tf.serialization.ConfigDict, key: string): string | undefined {
  const value = config[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Spectral normalisation (Miyato et al. 2018, "Spectral Normalization for GANs"): wraps a Dense or Conv2D layer
 * and divides its kernel W (reshaped to [fanIn, units]) by σ(W) = v W uᵀ, its largest singular value estimated by
 * power iteration. `u` ([1, units]) and `v` ([1, fanIn]) are non-trainable weights updated by `powerIterations`
 * steps on every call with `training: true`; inference uses the stored u and v. Gradients flow through σ(W) with
 * u and v held constant — the semantics of PyTorch's `spectral_norm` in train and eval mode.
 */
export class SpectralNormalization extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'SpectralNormalization';
  /** The wrapped Dense or Conv2D layer. */
  readonly layer: tfl.layers.Layer;
  private readonly powerIterations: number;
  private readonly epsilon: number;
  private readonly seed: number | undefined;
  private u: tfl.LayerVariable | null = null;
  private v: tfl.LayerVariable | null = null;

  constructor(args: SpectralNormalizationArgs) {
    super(args);
    const className = args.layer.getClassName();
    if (!SUPPORTED.includes(className)) {
      throw new GanKitError('INVALID_ARGUMENT', `SpectralNormalization wraps Dense or Conv2D layers, got ${className}`);
    }
    const activation = configString(args.layer.getConfig(), 'activation');
    if (activation !== undefined && activation !== 'linear') {
      throw new GanKitError('INVALID_ARGUMENT', `SpectralNormalization needs a layer with linear activation (add the activation as its own layer), got "${activation}"`);
    }
    this.layer = args.layer;
    this.powerIterations = args.powerIterations ?? 1;
    if (!Number.isInteger(this.powerIterations) || this.powerIterations < 1) {
      throw new GanKitError('INVALID_ARGUMENT', `powerIterations must be an integer ≥ 1, got ${this.powerIterations}`);
    }
    this.epsilon = args.epsilon ?? 1e-12;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    if (!this.layer.built) {
      this.layer.build(inputShape);
      this.layer.built = true;
    }
    const shape = this.kernelVariable().shape;
    const units = shape.at(-1) ?? 1;
    const fanIn = shape.slice(0, -1).reduce<number>((a, b) => a * (b ?? 1), 1);
    const init = (offset: number) => tfl.initializers.randomNormal({ mean: 0, stddev: 1, seed: this.seed === undefined ? undefined : this.seed + offset });
    this.u = this.addWeight('sn_u', [1, units], 'float32', init(0), undefined, false);
    this.v = this.addWeight('sn_v', [1, fanIn], 'float32', init(1), undefined, false);
    // As torch.nn.utils.parametrizations.spectral_norm: 15 power iterations up front, so that inference before
    // any training call already uses a good estimate of σ.
    tf.tidy(() => {
      this.uVariable().write(l2Normalize(this.uVariable().read(), this.epsilon));
      this.powerIterate(tf.reshape(this.kernelVariable().read(), [-1, units]), 15);
    });
    this.built = true;
  }

  override get trainableWeights(): tfl.LayerVariable[] {
    return this.layer.trainableWeights;
  }

  override get nonTrainableWeights(): tfl.LayerVariable[] {
    return [...this.layer.nonTrainableWeights, ...super.nonTrainableWeights];
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return this.layer.computeOutputShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = onlyTensor(inputs, 'SpectralNormalization');
      const kernel = this.normalizedKernel(isTraining(kwargs));
      const config = this.layer.getConfig();
      const y = this.layer.getClassName() === 'Dense' ? this.denseForward(x, kernel) : this.convForward(x, kernel, config);
      const bias = this.biasVariable();
      return bias ? tf.add(y, bias.read()) : y;
    });
  }

  /**
   * W / σ(W) for the current kernel, σ = v W uᵀ. With `updateU` (training), first runs `powerIterations` steps
   * v ← normalize(u Wᵀ), u ← normalize(v W) and stores u and v; otherwise uses the stored u and v (PyTorch's
   * semantics in train and eval mode). Call inside `tf.tidy`.
   */
  normalizedKernel(updateU = false): tf.Tensor {
    const kernel = this.kernelVariable().read();
    const w = tf.reshape(kernel, [-1, kernel.shape.at(-1) ?? 1]);
    if (updateU) this.powerIterate(stopGradient(w), this.powerIterations);
    const u = this.uVariable().read();
    const v = this.vVariable().read();
    const sigma = tf.sum(tf.mul(tf.matMul(v, w), u));
    return tf.div(kernel, sigma);
  }

  private powerIterate(w: tf.Tensor, iterations: number): void {
    let u: tf.Tensor = this.uVariable().read();
    let v: tf.Tensor = this.vVariable().read();
    for (let i = 0; i < iterations; i++) {
      v = l2Normalize(tf.matMul(u, w, false, true), this.epsilon);
      u = l2Normalize(tf.matMul(v, w), this.epsilon);
    }
    this.vVariable().write(v);
    this.uVariable().write(u);
  }

  private denseForward(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
    if (x.rank !== 2) throw new GanKitError('SHAPE_MISMATCH', `SpectralNormalization(Dense) takes [batch, features] inputs, got rank ${x.rank}`);
    return tf.matMul(x, kernel);
  }

  private convForward(x: tf.Tensor, kernel: tf.Tensor, config: tf.serialization.ConfigDict): tf.Tensor {
    if (configString(config, 'dataFormat') === 'channelsFirst') throw new GanKitError('INVALID_ARGUMENT', 'SpectralNormalization(Conv2D) supports channelsLast only');
    const strides = config.strides as [number, number];
    const dilations = config.dilationRate as [number, number];
    const padding = configString(config, 'padding') === 'same' ? 'same' : 'valid';
    return tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, strides, padding, 'NHWC', dilations);
  }

  private kernelVariable(): tfl.LayerVariable {
    const kernel = this.layer.weights.find((w) => w.originalName.endsWith('kernel'));
    if (!kernel) throw new GanKitError('INVALID_ARGUMENT', `SpectralNormalization: layer ${this.layer.name} has no kernel (is it built?)`);
    return kernel;
  }

  private biasVariable(): tfl.LayerVariable | undefined {
    return this.layer.weights.find((w) => w.originalName.endsWith('bias'));
  }

  private uVariable(): tfl.LayerVariable {
    if (!this.u) throw new GanKitError('INVALID_ARGUMENT', `SpectralNormalization ${this.name} is not built yet`);
    return this.u;
  }

  private vVariable(): tfl.LayerVariable {
    if (!this.v) throw new GanKitError('INVALID_ARGUMENT', `SpectralNormalization ${this.name} is not built yet`);
    return this.v;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      layer: { className: this.layer.getClassName(), config: this.layer.getConfig() },
      powerIterations: this.powerIterations,
      epsilon: this.epsilon,
      seed: this.seed ?? null,
    };
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const inner = config.layer as { className: string; config: tf.serialization.ConfigDict };
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[inner.className];
    if (!entry) throw new GanKitError('UNKNOWN_NAME', `SpectralNormalization: unknown wrapped layer class "${inner.className}"`);
    const [innerCls, innerFromConfig] = entry;
    const layer = innerFromConfig(innerCls, { ...inner.config }) as unknown as tfl.layers.Layer;
    const seed = typeof config.seed === 'number' ? config.seed : undefined;
    return new cls({ ...config, layer, seed });
  }
}
