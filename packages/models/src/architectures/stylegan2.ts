import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';
import { MinibatchStdDev } from '../layers/simple';
import { ConstantInput, EqualizedConv2D, EqualizedDense, MappingNetwork, ModulatedConv2D, Upsample2x } from '../layers/stylegan2';
import { add, apply, type Sym } from './blocks';
import { Seeds } from './init';
import { checkImageShape, checkInt, type BaseOptions, type GeneratorBaseOptions, type ImageShape } from './types';

/** Channel options shared by the StyleGAN2 generator and discriminator. */
export interface StyleGan2Channels {
  /** Channels at resolution r are min(channelMax, channelBase / r) (default 16384, as the paper's config F). */
  channelBase?: number;
  /** Upper bound of the channels (default 512). */
  channelMax?: number;
}

/** Options of `styleGan2Generator`. */
export interface StyleGan2GeneratorOptions extends GeneratorBaseOptions, StyleGan2Channels {
  /** Size of w (default 512). */
  wDim?: number;
  /** Fully connected layers of the mapping network (default 8). */
  mappingLayers?: number;
  /** Learning-rate multiplier of the mapping network (default 0.01). */
  mappingLrMultiplier?: number;
  /** Probability of style mixing in training calls (default 0; the paper uses 0.9). */
  styleMixingProb?: number;
  /** Decay of the tracked mean w_avg per training call (default 0.995). */
  wAvgBeta?: number;
  /** ψ of the truncation trick at inference (default 1 = none; change it with `setTruncationPsi`). */
  truncationPsi?: number;
}

/** Options of `styleGan2Discriminator`. */
export interface StyleGan2DiscriminatorOptions extends BaseOptions, StyleGan2Channels {
  /** Group size of the minibatch standard deviation (default 4). */
  mbstdGroupSize?: number;
}

/**
 * A StyleGAN2 generator with its two halves, which share its layers and weights. `generator` owns the weights:
 * dispose it (and only it); `mapping` and `synthesis` are views that stop working then.
 */
export interface StyleGan2Generator {
  /** z [B, latentDim] → images [B, H, W, C] (the mapping then the synthesis network). */
  generator: tfl.LayersModel;
  /** z [B, latentDim] → ws [B, numWs, wDim]. */
  mapping: tfl.LayersModel;
  /** ws [B, numWs, wDim] → images [B, H, W, C] (path-length regularisation differentiates it w.r.t. ws). */
  synthesis: tfl.LayersModel;
  /** Number of style vectors: one per modulated convolution plus the last toRGB. */
  numWs: number;
  wDim: number;
}

/** The resolutions of the blocks: [base, 2·base, …, H] with base 4 (32, 64, …) or 7 (28, 56, …). */
export function styleGan2Resolutions(imageShape: ImageShape): number[] {
  const [height, width] = checkImageShape(imageShape);
  const fail = () => new GanKitError('INVALID_ARGUMENT', `stylegan2 needs square images of side 4·2^k or 7·2^k with k ≥ 1 (e.g. 28, 32, 64), got ${height}×${width}`);
  if (height !== width) throw fail();
  let base = height;
  const resolutions = [height];
  while (base % 2 === 0 && base > 7) {
    base /= 2;
    resolutions.unshift(base);
  }
  if ((base !== 4 && base !== 7) || resolutions.length < 2) throw fail();
  return resolutions;
}

function channelsFor(options: StyleGan2Channels): (resolution: number) => number {
  const channelBase = checkInt(options.channelBase ?? 16384, 'channelBase');
  const channelMax = checkInt(options.channelMax ?? 512, 'channelMax');
  return (resolution) => Math.max(1, Math.min(channelMax, Math.floor(channelBase / resolution)));
}

/**
 * StyleGAN2 generator (Karras et al. 2020, config E/F "skip" generator): mapping network z → w (normalised z,
 * `mappingLayers` equalized-lr FC layers), a learned 4×4 (7×7 for 28×28) constant, then per resolution two
 * modulated/demodulated 3×3 convolutions (the first up-samples ×2 with the [1,3,3,1] filter) with per-pixel noise
 * and a non-demodulated 1×1 toRGB whose output is added to the up-sampled image of the previous resolution.
 * The output is linear (not squashed); images are in about [−1, 1].
 */
export function styleGan2Generator(options: StyleGan2GeneratorOptions): StyleGan2Generator {
  const resolutions = styleGan2Resolutions(options.imageShape);
  const channels = channelsFor(options);
  const latentDim = checkInt(options.latentDim ?? 512, 'latentDim');
  const wDim = checkInt(options.wDim ?? 512, 'wDim');
  const imageChannels = options.imageShape[2];
  const seeds = new Seeds(options.seed);
  const numWs = 2 * resolutions.length;
  const mappingLayer = new MappingNetwork({
    name: 'g_mapping',
    wDim,
    numWs,
    numLayers: checkInt(options.mappingLayers ?? 8, 'mappingLayers'),
    lrMultiplier: options.mappingLrMultiplier,
    styleMixingProb: options.styleMixingProb,
    wAvgBeta: options.wAvgBeta,
    truncationPsi: options.truncationPsi,
    seed: seeds.next(),
  });
  const base = resolutions[0]!;
  const constant = new ConstantInput({ name: 'g_const', size: base, channels: channels(base), seed: seeds.next() });
  const modulated = (name: string, filters: number, kernelSize: number, styleIndex: number, extra: Partial<ConstructorParameters<typeof ModulatedConv2D>[0]> = {}) =>
    new ModulatedConv2D({ name, filters, kernelSize, styleIndex, seed: seeds.next(), ...extra });
  const blocks = resolutions.map((resolution, i) => ({
    conv0: i === 0 ? undefined : modulated(`g_b${resolution}_conv0`, channels(resolution), 3, 2 * i - 1, { upsample: true }),
    conv1: modulated(`g_b${resolution}_conv1`, channels(resolution), 3, 2 * i),
    torgb: modulated(`g_b${resolution}_torgb`, imageChannels, 1, 2 * i + 1, { demodulate: false, noise: false, activation: 'linear' }),
    upsample: i === 0 ? undefined : new Upsample2x({ name: `g_b${resolution}_upsample` }),
    add: i === 0 ? undefined : tfl.layers.add({ name: `g_b${resolution}_skip` }),
  }));
  const synthesize = (ws: Sym): Sym => {
    let x = apply(constant, ws);
    let image: Sym | undefined;
    for (const block of blocks) {
      if (block.conv0) x = apply(block.conv0, [x, ws]);
      x = apply(block.conv1, [x, ws]);
      const rgb = apply(block.torgb, [x, ws]);
      image = image === undefined ? rgb : apply(block.add!, [apply(block.upsample!, image), rgb]);
    }
    return image!;
  };
  const z = tfl.input({ shape: [latentDim], name: 'z' });
  const ws = apply(mappingLayer, z);
  const generator = tfl.model({ inputs: z, outputs: synthesize(ws), name: 'generator' });
  const mapping = tfl.model({ inputs: z, outputs: ws, name: 'mapping' });
  const wsInput = tfl.input({ shape: [numWs, wDim], name: 'ws' });
  const synthesis = tfl.model({ inputs: wsInput, outputs: synthesize(wsInput), name: 'synthesis' });
  // tfjs-layers counts every symbolic call of a layer and frees its weights when as many models using it are
  // disposed. The synthesis model is a view of the generator's layers: uncount its calls, so that disposing the
  // generator frees every weight (and `synthesis`/`mapping` are never disposed on their own).
  for (const layer of synthesis.layers) {
    if (generator.layers.includes(layer)) (layer as unknown as { _refCount: number })._refCount -= 1;
  }
  return { generator, mapping, synthesis, numWs, wDim };
}

/**
 * StyleGAN2 residual discriminator (Karras et al. 2020, config E/F "resnet"): 1×1 fromRGB at the input resolution,
 * then per resolution 3×3 conv, 3×3 conv down-sampling ×2 (the [1,3,3,1] filter, stride 2), plus a 1×1
 * down-sampled shortcut, summed with weights √0.5 each; at 4×4 (7×7) minibatch standard deviation, 3×3 conv, FC,
 * FC → logit. Equalized learning rate and leaky ReLU (0.2, ×√2) everywhere.
 */
export function styleGan2Discriminator(options: StyleGan2DiscriminatorOptions): tfl.LayersModel {
  const resolutions = styleGan2Resolutions(options.imageShape).reverse();
  const channels = channelsFor(options);
  const seeds = new Seeds(options.seed);
  const [height, width, imageChannels] = options.imageShape;
  const images = tfl.input({ shape: [height, width, imageChannels], name: 'images' });
  const conv = (x: Sym, name: string, filters: number, kernelSize: number, extra: Partial<ConstructorParameters<typeof EqualizedConv2D>[0]> = {}) =>
    apply(new EqualizedConv2D({ name, filters, kernelSize, activation: 'lrelu', seed: seeds.next(), ...extra }), x);
  let x = conv(images, `d_b${resolutions[0]}_fromrgb`, channels(resolutions[0]!), 1);
  const half = Math.SQRT1_2;
  for (const resolution of resolutions.slice(0, -1)) {
    const p = `d_b${resolution}`;
    const out = channels(resolution / 2);
    const skip = conv(x, `${p}_skip`, out, 1, { down: 'before', useBias: false, activation: 'linear', gain: half });
    const h = conv(conv(x, `${p}_conv0`, channels(resolution), 3), `${p}_conv1`, out, 3, { down: 'strided', gain: half });
    x = add([skip, h]);
  }
  const last = resolutions.at(-1)!;
  const p = `d_b${last}`;
  x = apply(new MinibatchStdDev({ name: `${p}_mbstd`, groupSize: checkInt(options.mbstdGroupSize ?? 4, 'mbstdGroupSize') }), x);
  x = conv(x, `${p}_conv`, channels(last), 3);
  x = apply(tfl.layers.flatten({ name: `${p}_flatten` }), x);
  x = apply(new EqualizedDense({ name: `${p}_fc`, units: channels(last), activation: 'lrelu', seed: seeds.next() }), x);
  const logits = apply(new EqualizedDense({ name: `${p}_out`, units: 1, seed: seeds.next() }), x);
  return tfl.model({ inputs: images, outputs: logits, name: 'discriminator' });
}
