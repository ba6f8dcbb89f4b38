// StyleGAN2 building blocks (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN"), written
// from the paper as tfjs-layers layers. Every operation is an ordinary TF.js op (slices, pads, conv2d, matMul), so
// the networks are differentiable twice: R1 through D and path-length regularisation through G need that.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng, GanKitError } from '@gankit/core';
import { isTraining, lastDim, onlyShape, onlyTensor, type CallKwargs, type LayerArgs } from './common';

/** Slope of every StyleGAN2 leaky ReLU. */
const LRELU_SLOPE = 0.2;
/** Gain after a leaky ReLU that keeps the activations' second moment (He et al. 2015): √2. */
const LRELU_GAIN = Math.SQRT2;
/** Added under the square root of the demodulation and of z's normalisation. */
const EPSILON = 1e-8;

/** An activation of the StyleGAN2 layers: leaky ReLU (slope 0.2, times √2) or none. */
export type StyleActivation = 'lrelu' | 'linear';

function activate(x: tf.Tensor, activation: StyleActivation, gain: number): tf.Tensor {
  if (activation === 'lrelu') return tf.mul(tf.leakyRelu(x, LRELU_SLOPE), LRELU_GAIN * gain);
  return gain === 1 ? x : tf.mul(x, gain);
}

function checkActivation(activation: string, layer: string): StyleActivation {
  if (activation !== 'lrelu' && activation !== 'linear') throw new GanKitError('INVALID_ARGUMENT', `${layer}: activation must be "lrelu" or "linear", got "${activation}"`);
  return activation;
}

function sliceAxis(x: tf.Tensor, axis: number, begin: number, size: number): tf.Tensor {
  const b = x.shape.map((_, i) => (i === axis ? begin : 0));
  const s = x.shape.map((d, i) => (i === axis ? size : d));
  return tf.slice(x, b, s);
}

function padAxis(x: tf.Tensor, axis: number, before: number, after: number): tf.Tensor {
  return tf.pad(x, x.shape.map((_, i): [number, number] => (i === axis ? [before, after] : [0, 0])));
}

/**
 * ×2 up-sampling along one axis: zero insertion, then the low-pass filter [1, 3, 3, 1]/8 with gain 2 (zero padding):
 * out[2i] = x[i−1]/4 + 3x[i]/4, out[2i+1] = 3x[i]/4 + x[i+1]/4 — bilinear interpolation with zero borders.
 */
function upsampleAxis(x: tf.Tensor, axis: number): tf.Tensor {
  const n = x.shape[axis]!;
  const padded = padAxis(x, axis, 1, 1);
  const prev = sliceAxis(padded, axis, 0, n);
  const next = sliceAxis(padded, axis, 2, n);
  const even = tf.add(tf.mul(prev, 0.25), tf.mul(x, 0.75));
  const odd = tf.add(tf.mul(x, 0.75), tf.mul(next, 0.25));
  const shape = x.shape.map((d, i) => (i === axis ? 2 * d : d));
  return tf.reshape(tf.stack([even, odd], axis + 1), shape);
}

/**
 * ×2 down-sampling along one axis (even length): the low-pass filter [1, 3, 3, 1]/8 with zero padding, keeping
 * every second value: out[m] = (x[2m−1] + 3x[2m] + 3x[2m+1] + x[2m+2]) / 8.
 */
function downsampleAxis(x: tf.Tensor, axis: number): tf.Tensor {
  const n = x.shape[axis]!;
  if (n % 2 !== 0) throw new GanKitError('SHAPE_MISMATCH', `StyleGAN2 down-sampling needs even sizes, got ${n} along axis ${axis}`);
  const half = n / 2;
  const pairs = tf.reshape(x, [...x.shape.slice(0, axis), half, 2, ...x.shape.slice(axis + 1)]);
  const even = tf.squeeze(sliceAxis(pairs, axis + 1, 0, 1), [axis + 1]);
  const odd = tf.squeeze(sliceAxis(pairs, axis + 1, 1, 1), [axis + 1]);
  const oddBefore = sliceAxis(padAxis(odd, axis, 1, 0), axis, 0, half); // x[2m − 1]
  const evenAfter = sliceAxis(padAxis(even, axis, 0, 1), axis, 1, half); // x[2m + 2]
  return tf.mul(tf.add(tf.add(oddBefore, evenAfter), tf.mul(tf.add(even, odd), 3)), 1 / 8);
}

/** The [1, 3, 3, 1]/8 low-pass filter along one axis with 2 zeros of padding each side: n → n + 1 values. */
function blurPaddedAxis(x: tf.Tensor, axis: number): tf.Tensor {
  const n = x.shape[axis]!;
  const padded = padAxis(x, axis, 2, 2);
  const tap = (k: number) => sliceAxis(padded, axis, k, n + 1);
  return tf.mul(tf.add(tf.add(tap(0), tap(3)), tf.mul(tf.add(tap(1), tap(2)), 3)), 1 / 8);
}

/** ×2 bilinear up-sampling of NHWC maps with the separable [1, 3, 3, 1] filter (StyleGAN2's `upsample2d`). */
export function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => upsampleAxis(upsampleAxis(x, 1), 2) as tf.Tensor4D);
}

/** ×2 down-sampling of NHWC maps with the separable [1, 3, 3, 1] filter (StyleGAN2's `downsample2d`). */
export function downsample2x(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => downsampleAxis(downsampleAxis(x, 1), 2) as tf.Tensor4D);
}

/** Mixes a seed and a call counter into a new 31-bit seed. */
function callSeed(seed: number, call: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(call + 1, 0x85ebca6b)) >>> 1;
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2_147_483_647);
}

/**
 * Reads and advances a layer's call counter (a non-trainable weight, so it is saved in checkpoints and a resumed
 * run draws the same random numbers).
 */
function nextCall(counter: tfl.LayerVariable): number {
  const value = counter.read().dataSync()[0] ?? 0;
  tf.tidy(() => {
    counter.write(tf.tensor1d([value + 1]));
  });
  return value;
}

function equalizedScale(fanIn: number, lrMultiplier: number): number {
  return lrMultiplier / Math.sqrt(fanIn);
}

/** Options of `EqualizedDense`. */
export interface EqualizedDenseArgs extends LayerArgs {
  units: number;
  /** `lrelu` (slope 0.2, times √2) or `linear` (default). */
  activation?: StyleActivation;
  /** Learning-rate multiplier (default 1; StyleGAN2's mapping network uses 0.01). */
  lrMultiplier?: number;
  /** Initial effective bias (default 0). */
  biasInit?: number;
  seed?: number;
}

/**
 * Fully connected layer with equalized learning rate (Karras et al. 2018): weights are stored as N(0, 1/λ²) and
 * scaled at run time by λ/√fanIn, biases by λ (λ = `lrMultiplier`): y = act(x·(W·λ/√fanIn) + b·λ).
 */
export class EqualizedDense extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'EqualizedDense';
  readonly units: number;
  readonly activation: StyleActivation;
  readonly lrMultiplier: number;
  readonly biasInit: number;
  private readonly seed: number | undefined;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: EqualizedDenseArgs) {
    super(args);
    this.units = args.units;
    this.activation = checkActivation(args.activation ?? 'linear', 'EqualizedDense');
    this.lrMultiplier = args.lrMultiplier ?? 1;
    this.biasInit = args.biasInit ?? 0;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const fanIn = lastDim(onlyShape(inputShape, 'EqualizedDense'), 'EqualizedDense');
    this.kernel = this.addWeight('kernel', [fanIn, this.units], 'float32', tfl.initializers.randomNormal({ mean: 0, stddev: 1 / this.lrMultiplier, seed: this.seed }));
    this.bias = this.addWeight('bias', [this.units], 'float32', tfl.initializers.constant({ value: this.biasInit / this.lrMultiplier }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = onlyShape(inputShape, 'EqualizedDense');
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = onlyTensor(inputs, 'EqualizedDense') as tf.Tensor2D;
      const kernel = this.kernel!.read() as tf.Tensor2D;
      const y = tf.add(tf.matMul(x, tf.mul(kernel, equalizedScale(kernel.shape[0], this.lrMultiplier))), tf.mul(this.bias!.read(), this.lrMultiplier));
      return activate(y, this.activation, 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, activation: this.activation, lrMultiplier: this.lrMultiplier, biasInit: this.biasInit, seed: this.seed ?? null };
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ ...config, seed: typeof config.seed === 'number' ? config.seed : undefined });
  }
}

/** How `EqualizedConv2D` down-samples: not at all, by filter + stride-2 convolution, or filter + decimate before it. */
export type ConvDownsampling = 'none' | 'strided' | 'before';

/** Options of `EqualizedConv2D`. */
export interface EqualizedConv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number;
  /**
   * `none` (default, 'same' padding); `strided`: the [1,3,3,1] filter with 2 zeros of padding, then a stride-2
   * 'valid' convolution (StyleGAN2's 3×3 down-sampling convolution); `before`: ×2 filtered down-sampling, then the
   * convolution (its 1×1 residual shortcut).
   */
  down?: ConvDownsampling;
  useBias?: boolean;
  activation?: StyleActivation;
  /** Extra gain on the output (after the activation; the residual blocks use √0.5). */
  gain?: number;
  seed?: number;
}

/**
 * 2-D convolution with equalized learning rate (Karras et al. 2018): kernel ~ N(0, 1) scaled at run time by
 * 1/√(C_in·k²); y = act(conv(x, W/√fanIn) + b)·gain; optional StyleGAN2 down-sampling.
 */
export class EqualizedConv2D extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'EqualizedConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly down: ConvDownsampling;
  readonly useBias: boolean;
  readonly activation: StyleActivation;
  readonly gain: number;
  private readonly seed: number | undefined;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: EqualizedConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.down = args.down ?? 'none';
    if (!['none', 'strided', 'before'].includes(this.down)) throw new GanKitError('INVALID_ARGUMENT', `EqualizedConv2D: down must be none, strided or before, got "${this.down}"`);
    this.useBias = args.useBias ?? true;
    this.activation = checkActivation(args.activation ?? 'linear', 'EqualizedConv2D');
    this.gain = args.gain ?? 1;
    this.seed = args.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const channels = lastDim(onlyShape(inputShape, 'EqualizedConv2D'), 'EqualizedConv2D');
    const k = this.kernelSize;
    this.kernel = this.addWeight('kernel', [k, k, channels, this.filters], 'float32', tfl.initializers.randomNormal({ mean: 0, stddev: 1, seed: this.seed }));
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [batch, height, width] = onlyShape(inputShape, 'EqualizedConv2D');
    const size = (d: number | null | undefined) => (typeof d !== 'number' ? null : this.down === 'none' ? d : Math.floor(d / 2));
    return [batch ?? null, size(height), size(width), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = onlyTensor(inputs, 'EqualizedConv2D') as tf.Tensor4D;
      const kernel = this.kernel!.read() as tf.Tensor4D;
      const [kh, kw, cin] = kernel.shape;
      const w = tf.mul<tf.Tensor4D>(kernel, 1 / Math.sqrt(cin * kh * kw));
      let y: tf.Tensor;
      if (this.down === 'strided') {
        x = blurPaddedAxis(blurPaddedAxis(x, 1), 2) as tf.Tensor4D;
        y = tf.conv2d(x, w, 2, 'valid');
      } else {
        if (this.down === 'before') x = downsample2x(x);
        y = tf.conv2d(x, w, 1, 'same');
      }
      if (this.bias) y = tf.add(y, this.bias.read());
      return activate(y, this.activation, this.gain);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      down: this.down,
      useBias: this.useBias,
      activation: this.activation,
      gain: this.gain,
      seed: this.seed ?? null,
    };
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ ...config, seed: typeof config.seed === 'number' ? config.seed : undefined });
  }
}

/** Options of `MappingNetwork`. */
export interface MappingNetworkArgs extends LayerArgs {
  /** Size of w (and of the hidden layers). */
  wDim: number;
  /** Number of style vectors the synthesis network reads (one per modulated convolution, plus the last toRGB). */
  numWs: number;
  /** Fully connected layers (default 8). */
  numLayers?: number;
  /** Learning-rate multiplier of the layers (default 0.01). */
  lrMultiplier?: number;
  /** Decay β of the tracked mean: w_avg ← β·w_avg + (1 − β)·mean_batch(w) per training call (default 0.995). */
  wAvgBeta?: number;
  /** ψ of the truncation trick at inference: w' = w_avg + ψ·(w − w_avg) (default 1: none). */
  truncationPsi?: number;
  /** Probability that a training call mixes the styles of a second latent from a random layer on (default 0). */
  styleMixingProb?: number;
  /** Seed of the initial weights and of the mixing draws (a random one is chosen and saved when left out). */
  seed?: number;
}

/**
 * StyleGAN2's mapping network f: z → w (Karras et al. 2019, 2020): z normalised to unit second moment, `numLayers`
 * fully connected leaky-ReLU layers with equalized learning rate (λ = 0.01), broadcast to `numWs` style vectors
 * [B, numWs, wDim]. Training calls (`training: true`) update the tracked mean w_avg and, with probability
 * `styleMixingProb`, replace the styles from a random index on by those of a second latent (style mixing
 * regularisation; the mixing draws are seeded by `seed` and a saved call counter). Inference applies the
 * truncation trick with `truncationPsi` (settable at run time, e.g. through `setTruncationPsi`).
 */
export class MappingNetwork extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'MappingNetwork';
  readonly wDim: number;
  readonly numWs: number;
  readonly numLayers: number;
  readonly lrMultiplier: number;
  readonly wAvgBeta: number;
  readonly styleMixingProb: number;
  /** ψ applied at inference; changeable at run time. */
  truncationPsi: number;
  readonly seed: number;
  private readonly kernels: tfl.LayerVariable[] = [];
  private readonly biases: tfl.LayerVariable[] = [];
  private wAvg: tfl.LayerVariable | null = null;
  private calls: tfl.LayerVariable | null = null;

  constructor(args: MappingNetworkArgs) {
    super(args);
    this.wDim = args.wDim;
    this.numWs = args.numWs;
    this.numLayers = args.numLayers ?? 8;
    this.lrMultiplier = args.lrMultiplier ?? 0.01;
    this.wAvgBeta = args.wAvgBeta ?? 0.995;
    this.truncationPsi = args.truncationPsi ?? 1;
    this.styleMixingProb = args.styleMixingProb ?? 0;
    this.seed = args.seed ?? randomSeed();
    for (const [name, value, min] of [['wDim', this.wDim, 1], ['numWs', this.numWs, 1], ['numLayers', this.numLayers, 1]] as const) {
      if (!Number.isInteger(value) || value < min) throw new GanKitError('INVALID_ARGUMENT', `MappingNetwork: ${name} must be an integer ≥ ${min}, got ${value}`);
    }
    if (!(this.styleMixingProb >= 0 && this.styleMixingProb <= 1)) throw new GanKitError('INVALID_ARGUMENT', `MappingNetwork: styleMixingProb must be in [0, 1], got ${this.styleMixingProb}`);
    if (!(this.wAvgBeta >= 0 && this.wAvgBeta < 1)) throw new GanKitError('INVALID_ARGUMENT', `MappingNetwork: wAvgBeta must be in [0, 1), got ${this.wAvgBeta}`);
    checkPsi(this.truncationPsi);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const zDim = lastDim(onlyShape(inputShape, 'MappingNetwork'), 'MappingNetwork');
    const rng = createRng(this.seed);
    for (let i = 0; i < this.numLayers; i++) {
      const fanIn = i === 0 ? zDim : this.wDim;
      const init = tfl.initializers.randomNormal({ mean: 0, stddev: 1 / this.lrMultiplier, seed: rng.nextUint32() % 2_147_483_647 });
      this.kernels.push(this.addWeight(`fc${i}_kernel`, [fanIn, this.wDim], 'float32', init));
      this.biases.push(this.addWeight(`fc${i}_bias`, [this.wDim], 'float32', tfl.initializers.zeros()));
    }
    this.wAvg = this.addWeight('w_avg', [this.wDim], 'float32', tfl.initializers.zeros(), undefined, false);
    this.calls = this.addWeight('calls', [1], 'float32', tfl.initializers.zeros(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [onlyShape(inputShape, 'MappingNetwork')[0] ?? null, this.numWs, this.wDim];
  }

  /** w = f(z): [B, zDim] → [B, wDim]. */
  mapLatents(z: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      let x = tf.mul<tf.Tensor2D>(z, tf.rsqrt(tf.add(tf.mean(tf.square(z), 1, true), EPSILON)));
      this.kernels.forEach((kernel, i) => {
        const k = kernel.read() as tf.Tensor2D;
        const y = tf.add(tf.matMul(x, tf.mul(k, equalizedScale(k.shape[0], this.lrMultiplier))), tf.mul(this.biases[i]!.read(), this.lrMultiplier));
        x = activate(y, 'lrelu', 1) as tf.Tensor2D;
      });
      return x;
    });
  }

  /** The tracked mean w_avg [wDim]. */
  get meanW(): tf.Tensor1D {
    return this.wAvg!.read() as tf.Tensor1D;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs?: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      const z = onlyTensor(inputs, 'MappingNetwork');
      const batch = z.shape[0];
      const w = this.mapLatents(z);
      const broadcast = (v: tf.Tensor2D, count: number) => tf.tile(tf.expandDims(v, 1), [1, count, 1]);
      if (!isTraining(kwargs)) {
        const psi = this.truncationPsi;
        const truncated = psi === 1 ? w : tf.add(this.meanW, tf.mul(tf.sub(w, this.meanW), psi));
        return broadcast(truncated as tf.Tensor2D, this.numWs);
      }
      this.wAvg!.write(tf.add(tf.mul(this.meanW, this.wAvgBeta), tf.mul(tf.mean(w, 0), 1 - this.wAvgBeta)));
      if (this.styleMixingProb === 0 || this.numWs < 2) return broadcast(w, this.numWs);
      const rng = createRng(callSeed(this.seed, nextCall(this.calls!)));
      // One draw per batch, as the paper's regularisation: with probability p a crossover index in [1, numWs).
      const mix = rng.uniform() < this.styleMixingProb;
      const cutoff = 1 + rng.int(this.numWs - 1);
      if (!mix) return broadcast(w, this.numWs);
      const second = tf.tensor2d(rng.normalArray(batch * z.shape[1]!), [batch, z.shape[1]!]);
      return tf.concat([broadcast(w, cutoff), broadcast(this.mapLatents(second), this.numWs - cutoff)], 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      wDim: this.wDim,
      numWs: this.numWs,
      numLayers: this.numLayers,
      lrMultiplier: this.lrMultiplier,
      wAvgBeta: this.wAvgBeta,
      truncationPsi: this.truncationPsi,
      styleMixingProb: this.styleMixingProb,
      seed: this.seed,
    };
  }
}

/** Throws INVALID_ARGUMENT unless ψ is a finite number. */
export function checkPsi(psi: number): number {
  if (!Number.isFinite(psi)) throw new GanKitError('INVALID_ARGUMENT', `truncation ψ must be a finite number (1 = no truncation, 0 = the mean w), got ${psi}`);
  return psi;
}

/** Options of `ConstantInput`. */
export interface ConstantInputArgs extends LayerArgs {
  size: number;
  channels: number;
  seed?: number;
}

/** StyleGAN's learned constant input [size, size, channels] ~ N(0, 1), repeated for every sample of the batch its input (the styles) has. */
export class ConstantInput extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'ConstantInput';
  readonly size: number;
  readonly channels: number;
  private readonly seed: number | undefined;
  private constant: tfl.LayerVariable | null = null;

  constructor(args: ConstantInputArgs) {
    super(args);
    this.size = args.size;
    this.channels = args.channels;
    this.seed = args.seed;
  }

  override build(): void {
    this.constant = this.addWeight('const', [this.size, this.size, this.channels], 'float32', tfl.initializers.randomNormal({ mean: 0, stddev: 1, seed: this.seed }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return [onlyShape(inputShape, 'ConstantInput')[0] ?? null, this.size, this.size, this.channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const batch = onlyTensor(inputs, 'ConstantInput').shape[0];
      return tf.tile(tf.expandDims(this.constant!.read(), 0), [batch, 1, 1, 1]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, channels: this.channels, seed: this.seed ?? null };
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ ...config, seed: typeof config.seed === 'number' ? config.seed : undefined });
  }
}

/** ×2 up-sampling of NHWC maps with StyleGAN2's [1, 3, 3, 1] filter (bilinear, zero borders); no weights. */
export class Upsample2x extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'Upsample2x';

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [batch, height, width, channels] = onlyShape(inputShape, 'Upsample2x');
    const twice = (d: number | null | undefined) => (typeof d === 'number' ? 2 * d : null);
    return [batch ?? null, twice(height), twice(width), channels ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return upsample2x(onlyTensor(inputs, 'Upsample2x') as tf.Tensor4D);
  }
}

/** Options of `ModulatedConv2D`. */
export interface ModulatedConv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number;
  /** Which style vector of the [B, numWs, wDim] input this layer reads. */
  styleIndex: number;
  /** ×2 up-sampling (the [1,3,3,1] filter) before the convolution (default false). */
  upsample?: boolean;
  /** Demodulate (default true; toRGB layers do not). */
  demodulate?: boolean;
  /** Add per-pixel noise with a learned strength (default true for demodulated layers). */
  noise?: boolean;
  /** `lrelu` (default for demodulated layers) or `linear` (toRGB). */
  activation?: StyleActivation;
  /** Seed of the initial weights, the fixed noise and the training noise (a random one is chosen and saved when left out). */
  seed?: number;
}

/**
 * StyleGAN2's modulated convolution (Karras et al. 2020, Fig. 2d) with its noise input and bias. Inputs
 * `[x [B,H,W,C_in], ws [B,numWs,wDim]]`: style s = A(w) (equalized dense, bias 1), then
 * y = conv(x·s, W/√(C_in·k²)), demodulated by σ_j = √(Σ_{i,k} (W_ijk·s_i)² + 1e-8), plus noise·strength (one noise
 * map per sample and pixel, shared by the channels), plus bias, then the activation. The modulation and
 * demodulation are applied to the activations (the paper's equivalent non-fused form), so the weights stay shared.
 * Noise: fresh seeded N(0, 1) maps in training calls (seeded by `seed` and a saved call counter); the layer's fixed
 * `noise_const` map at inference, so `predict` is deterministic.
 */
export class ModulatedConv2D extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'ModulatedConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly styleIndex: number;
  readonly upsample: boolean;
  readonly demodulate: boolean;
  readonly noise: boolean;
  readonly activation: StyleActivation;
  readonly seed: number;
  private affineKernel: tfl.LayerVariable | null = null;
  private affineBias: tfl.LayerVariable | null = null;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;
  private noiseStrength: tfl.LayerVariable | null = null;
  private noiseConst: tfl.LayerVariable | null = null;
  private calls: tfl.LayerVariable | null = null;

  constructor(args: ModulatedConv2DArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.styleIndex = args.styleIndex;
    this.upsample = args.upsample ?? false;
    this.demodulate = args.demodulate ?? true;
    this.noise = args.noise ?? this.demodulate;
    this.activation = checkActivation(args.activation ?? (this.demodulate ? 'lrelu' : 'linear'), 'ModulatedConv2D');
    this.seed = args.seed ?? randomSeed();
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const [xShape, wsShape] = shapesOf(inputShape);
    const channels = lastDim(xShape, 'ModulatedConv2D');
    const wDim = lastDim(wsShape, 'ModulatedConv2D');
    const numWs = wsShape[1];
    if (typeof numWs === 'number' && !(this.styleIndex >= 0 && this.styleIndex < numWs)) {
      throw new GanKitError('INVALID_ARGUMENT', `ModulatedConv2D ${this.name}: styleIndex ${this.styleIndex} is outside the ${numWs} style vectors`);
    }
    const rng = createRng(this.seed);
    const seed = () => rng.nextUint32() % 2_147_483_647;
    const k = this.kernelSize;
    this.affineKernel = this.addWeight('affine_kernel', [wDim, channels], 'float32', tfl.initializers.randomNormal({ mean: 0, stddev: 1, seed: seed() }));
    this.affineBias = this.addWeight('affine_bias', [channels], 'float32', tfl.initializers.ones());
    this.kernel = this.addWeight('kernel', [k, k, channels, this.filters], 'float32', tfl.initializers.randomNormal({ mean: 0, stddev: 1, seed: seed() }));
    this.bias = this.addWeight('bias', [this.filters], 'float32', tfl.initializers.zeros());
    if (this.noise) {
      const height = xShape[1];
      const width = xShape[2];
      if (typeof height !== 'number' || typeof width !== 'number') throw new GanKitError('INVALID_ARGUMENT', `ModulatedConv2D ${this.name}: noise inputs need a known height and width`);
      const scale = this.upsample ? 2 : 1;
      this.noiseStrength = this.addWeight('noise_strength', [1], 'float32', tfl.initializers.zeros());
      this.noiseConst = this.addWeight('noise_const', [height * scale, width * scale, 1], 'float32', tfl.initializers.randomNormal({ mean: 0, stddev: 1, seed: seed() }), undefined, false);
      this.calls = this.addWeight('calls', [1], 'float32', tfl.initializers.zeros(), undefined, false);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [batch, height, width] = shapesOf(inputShape)[0];
    const scale = (d: number | null | undefined) => (typeof d === 'number' ? (this.upsample ? 2 * d : d) : null);
    return [batch ?? null, scale(height), scale(width), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs?: CallKwargs): tf.Tensor {
    return tf.tidy(() => {
      if (!Array.isArray(inputs) || inputs.length !== 2) throw new GanKitError('INVALID_ARGUMENT', 'ModulatedConv2D takes two inputs [x, ws]');
      let x = inputs[0] as tf.Tensor4D;
      const ws = inputs[1] as tf.Tensor3D;
      const [batch, , wDim] = ws.shape;
      const w = tf.reshape<tf.Rank.R2>(tf.slice(ws, [0, this.styleIndex, 0], [batch, 1, wDim]), [batch, wDim]);
      const affine = this.affineKernel!.read() as tf.Tensor2D;
      const styles = tf.add<tf.Tensor2D>(tf.matMul(w, tf.mul(affine, 1 / Math.sqrt(wDim))), this.affineBias!.read()); // [B, C_in]
      const kernel = this.kernel!.read() as tf.Tensor4D;
      const [kh, kw, cin, cout] = kernel.shape;
      const weight = tf.mul<tf.Tensor4D>(kernel, 1 / Math.sqrt(cin * kh * kw));
      if (this.upsample) x = upsample2x(x);
      let y: tf.Tensor = tf.conv2d(tf.mul<tf.Tensor4D>(x, tf.reshape(styles, [batch, 1, 1, cin])), weight, 1, 'same');
      if (this.demodulate) {
        const weightSquares = tf.reshape<tf.Rank.R2>(tf.sum(tf.square(weight), [0, 1]), [cin, cout]);
        const demod = tf.rsqrt(tf.add(tf.matMul(tf.square(styles), weightSquares), EPSILON));
        y = tf.mul(y, tf.reshape(demod, [batch, 1, 1, cout]));
      }
      if (this.noise) {
        const [, height, width] = y.shape as [number, number, number, number];
        let noise: tf.Tensor;
        if (isTraining(kwargs)) {
          const rng = createRng(callSeed(this.seed, nextCall(this.calls!)));
          noise = tf.tensor4d(rng.normalArray(batch * height * width), [batch, height, width, 1]);
        } else {
          noise = tf.expandDims(this.noiseConst!.read(), 0);
        }
        y = tf.add(y, tf.mul(noise, this.noiseStrength!.read()));
      }
      y = tf.add(y, this.bias!.read());
      return activate(y, this.activation, 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      styleIndex: this.styleIndex,
      upsample: this.upsample,
      demodulate: this.demodulate,
      noise: this.noise,
      activation: this.activation,
      seed: this.seed,
    };
  }
}

function shapesOf(shape: tfl.Shape | tfl.Shape[]): [(number | null)[], (number | null)[]] {
  const shapes = shape as tfl.Shape[];
  if (!Array.isArray(shapes[0]) || shapes.length !== 2 || !shapes[1]) throw new GanKitError('INVALID_ARGUMENT', 'ModulatedConv2D takes two inputs [x, ws]');
  return [shapes[0], shapes[1]];
}
