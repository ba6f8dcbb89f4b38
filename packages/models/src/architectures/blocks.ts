import * as tfl from '@tensorflow/tfjs-layers';
import type { Initializer } from '../layers/common';
import { SpectralNormalization } from '../layers/spectral-normalization';
import type { Seeds } from './init';

/** A symbolic tensor of the functional API. */
export type Sym = tfl.SymbolicTensor;

/** Applies a layer to one symbolic tensor. */
export function apply(layer: tfl.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

/** Wraps a Dense/Conv2D layer in spectral normalisation when `sn` is set. */
export function maybeSn(layer: tfl.layers.Layer, sn: boolean, seeds: Seeds, name?: string): tfl.layers.Layer {
  return sn ? new SpectralNormalization({ layer, seed: seeds.next(), name }) : layer;
}

/** Layer names: the given one, and `<name>_inner` for a layer wrapped in spectral normalisation. */
function names(name: string | undefined, sn: boolean): { outer?: string; inner?: string } {
  if (name === undefined) return {};
  return sn ? { outer: name, inner: `${name}_inner` } : { inner: name };
}

/** Options of `conv`/`convT`. */
export interface ConvSpec {
  filters: number;
  kernel: number;
  strides?: number;
  padding?: 'same' | 'valid';
  useBias: boolean;
  init: Initializer;
  spectralNorm?: boolean;
  /** Layer name (unique within the model). */
  name?: string;
}

/** A 2-D convolution (optionally spectrally normalised). */
export function conv(x: Sym, spec: ConvSpec, seeds: Seeds): Sym {
  const sn = spec.spectralNorm ?? false;
  const { outer, inner } = names(spec.name, sn);
  const layer = tfl.layers.conv2d({
    name: inner,
    filters: spec.filters,
    kernelSize: spec.kernel,
    strides: spec.strides ?? 1,
    padding: spec.padding ?? 'same',
    useBias: spec.useBias,
    kernelInitializer: spec.init,
  });
  return apply(maybeSn(layer, sn, seeds, outer), x);
}

/** A 2-D transposed convolution. */
export function convT(x: Sym, spec: ConvSpec): Sym {
  return apply(
    tfl.layers.conv2dTranspose({
      filters: spec.filters,
      kernelSize: spec.kernel,
      strides: spec.strides ?? 1,
      padding: spec.padding ?? 'same',
      useBias: spec.useBias,
      kernelInitializer: spec.init,
    }),
    x,
  );
}

/** A dense layer (optionally spectrally normalised). */
export function dense(x: Sym, units: number, useBias: boolean, init: Initializer, seeds: Seeds, spectralNorm = false, name?: string): Sym {
  const { outer, inner } = names(name, spectralNorm);
  return apply(maybeSn(tfl.layers.dense({ units, useBias, kernelInitializer: init, name: inner }), spectralNorm, seeds, outer), x);
}

/** Batch norm with PyTorch's defaults (momentum 0.1 ⇒ Keras 0.9, ε 1e-5) and γ ~ N(1, gammaStd), β = 0. */
export function batchNorm(x: Sym, seeds: Seeds, gammaStd = 0.02, name?: string): Sym {
  const gammaInitializer = gammaStd > 0 ? seeds.normal(gammaStd, 1) : tfl.initializers.ones();
  return apply(tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5, gammaInitializer, name }), x);
}

/** Layer norm over every non-batch axis (PyTorch `nn.LayerNorm([C, H, W])`, as in the WGAN-GP critic). */
export function layerNorm(x: Sym): Sym {
  const axes = x.shape.slice(1).map((_, i) => i + 1);
  return apply(tfl.layers.layerNormalization({ axis: axes, epsilon: 1e-5 }), x);
}

/** ReLU. */
export function relu(x: Sym): Sym {
  return apply(tfl.layers.reLU(), x);
}

/** LeakyReLU with slope 0.2. */
export function lrelu(x: Sym): Sym {
  return apply(tfl.layers.leakyReLU({ alpha: 0.2 }), x);
}

/** tanh. */
export function tanh(x: Sym): Sym {
  return apply(tfl.layers.activation({ activation: 'tanh' }), x);
}

/** Reshape to `shape` (without batch). */
export function reshape(x: Sym, shape: number[]): Sym {
  return apply(tfl.layers.reshape({ targetShape: shape }), x);
}

/** Flatten to [B, F]. */
export function flatten(x: Sym): Sym {
  return apply(tfl.layers.flatten(), x);
}

/** Concatenate along the last axis. */
export function concat(xs: Sym[]): Sym {
  return apply(tfl.layers.concatenate({ axis: -1 }), xs);
}

/** Element-wise sum. */
export function add(xs: Sym[]): Sym {
  return apply(tfl.layers.add(), xs);
}

/** The known size of the last axis. */
export function channelsOf(x: Sym): number {
  return x.shape.at(-1) ?? 0;
}
