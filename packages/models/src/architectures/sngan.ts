import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';
import { AveragePooling2x2, ClassEmbedding, GlobalSumPooling } from '../layers/simple';
import { SelfAttention } from '../layers/self-attention';
import { add, apply, batchNorm, channelsOf, conv, dense, relu, reshape, tanh, type Sym } from './blocks';
import { generatorInputs, generatorNorm } from './dcgan';
import { Seeds } from './init';
import { checkImageShape, checkInt, type BaseOptions, type GeneratorBaseOptions } from './types';

/** Options shared by the SNGAN-ResNet generator and discriminator. */
export interface SnganResnetCommon {
  /** Number of classes: a conditional-BN generator and a projection discriminator (Miyato & Koyama 2018). */
  numClasses?: number;
  /** Insert a SAGAN self-attention layer after the first generator block (8×8) and the first discriminator block (16×16). */
  selfAttention?: boolean;
}

/** Options of `snganResnetGenerator`. */
export interface SnganResnetGeneratorOptions extends GeneratorBaseOptions, SnganResnetCommon {
  /** Channels of every residual block (default 256, as the paper's CIFAR-10 model). */
  channels?: number;
}

/** Options of `snganResnetDiscriminator`. */
export interface SnganResnetDiscriminatorOptions extends BaseOptions, SnganResnetCommon {
  /** Channels of every residual block (default 128). */
  channels?: number;
}

function check32(options: BaseOptions): void {
  const [height, width] = checkImageShape(options.imageShape);
  if (height !== 32 || width !== 32) throw new GanKitError('INVALID_ARGUMENT', `sngan-resnet is defined for 32×32 images, got ${height}×${width}`);
}

const SQRT2 = Math.SQRT2;

function upsample(x: Sym): Sym {
  return apply(tfl.layers.upSampling2d({ size: [2, 2] }), x);
}

function downsample(x: Sym): Sym {
  return apply(new AveragePooling2x2(), x);
}

/**
 * SNGAN-ResNet generator for 32×32 (Miyato et al. 2018, Table 4; Gulrajani et al. 2017's ResNet): z → dense 4×4×ch
 * → 3 up-sampling residual blocks (BN, ReLU, nearest ×2, conv3×3, BN, ReLU, conv3×3; 1×1-conv shortcut) → BN,
 * ReLU, conv3×3, tanh. With `numClasses`, every block's BN is conditional and the inputs are [z, labels].
 * Glorot-uniform init (gain √2 in residual convs).
 */
export function snganResnetGenerator(options: SnganResnetGeneratorOptions): tfl.LayersModel {
  check32(options);
  const latentDim = checkInt(options.latentDim ?? 128, 'latentDim');
  const channels = checkInt(options.channels ?? 256, 'channels');
  const conditioning = options.numClasses === undefined ? ({ kind: 'none' } as const) : ({ kind: 'cbn', numClasses: checkInt(options.numClasses, 'numClasses') } as const);
  const seeds = new Seeds(options.seed);
  const { inputs, z } = generatorInputs(latentDim, conditioning);
  const norm = generatorNorm(conditioning, inputs[1], seeds, 0);
  const gconv = (x: Sym, filters: number, kernel: number, gain: number, name: string) => conv(x, { filters, kernel, useBias: true, init: seeds.glorot(gain), name }, seeds);
  let x = reshape(dense(z, 4 * 4 * channels, true, seeds.glorot(), seeds, false, 'g_dense'), [4, 4, channels]);
  for (let block = 1; block <= 3; block++) {
    const p = `g_block${block}`;
    let h = upsample(relu(norm(x, `${p}_bn1`)));
    h = gconv(relu(norm(gconv(h, channels, 3, SQRT2, `${p}_conv1`), `${p}_bn2`)), channels, 3, SQRT2, `${p}_conv2`);
    x = add([h, gconv(upsample(x), channels, 1, 1, `${p}_shortcut`)]);
    if (block === 1 && options.selfAttention) x = apply(new SelfAttention({ seed: seeds.next(), name: 'g_attention' }), x);
  }
  const [, , imageChannels] = options.imageShape;
  x = tanh(gconv(relu(batchNorm(x, seeds, 0, 'g_bn')), imageChannels, 3, 1, 'g_out'));
  return tfl.model({ inputs, outputs: x, name: 'generator' });
}

/**
 * SNGAN-ResNet discriminator for 32×32 (Miyato et al. 2018, Table 4): optimised down block, down block, two plain
 * blocks (ReLU, conv3×3, ReLU, conv3×3; avg-pool down-sampling; 1×1-conv shortcut where shapes change), ReLU,
 * global sum pooling, dense → logit; every conv/dense spectrally normalised. With `numClasses`: inputs
 * [images, labels] and a projection term embed(y)·h (Miyato & Koyama 2018).
 */
export function snganResnetDiscriminator(options: SnganResnetDiscriminatorOptions): tfl.LayersModel {
  check32(options);
  const channels = checkInt(options.channels ?? 128, 'channels');
  const numClasses = options.numClasses === undefined ? undefined : checkInt(options.numClasses, 'numClasses');
  const seeds = new Seeds(options.seed);
  const [height, width, imageChannels] = options.imageShape;
  const images = tfl.input({ shape: [height, width, imageChannels], name: 'images' });
  const labels = numClasses === undefined ? undefined : tfl.input({ shape: [1], name: 'labels', dtype: 'int32' });
  const sconv = (x: Sym, filters: number, kernel: number, gain: number, name: string) =>
    conv(x, { filters, kernel, useBias: true, init: seeds.glorot(gain), spectralNorm: true, name }, seeds);
  // Optimised first block: conv, ReLU, conv, pool; shortcut pool → 1×1 conv.
  let h = downsample(sconv(relu(sconv(images, channels, 3, SQRT2, 'd_block1_conv1')), channels, 3, SQRT2, 'd_block1_conv2'));
  let x = add([h, sconv(downsample(images), channels, 1, 1, 'd_block1_shortcut')]);
  if (options.selfAttention) x = apply(new SelfAttention({ seed: seeds.next(), name: 'd_attention' }), x);
  [true, false, false].forEach((down, i) => {
    const p = `d_block${i + 2}`;
    h = sconv(relu(sconv(relu(x), channels, 3, SQRT2, `${p}_conv1`)), channels, 3, SQRT2, `${p}_conv2`);
    if (down) h = downsample(h);
    const learnable = down || channelsOf(x) !== channels;
    const shortcut = learnable ? (down ? downsample(sconv(x, channels, 1, 1, `${p}_shortcut`)) : sconv(x, channels, 1, 1, `${p}_shortcut`)) : x;
    x = add([h, shortcut]);
  });
  const pooled = apply(new GlobalSumPooling(), relu(x));
  let logits = dense(pooled, 1, true, seeds.glorot(), seeds, true, 'd_dense');
  if (labels && numClasses !== undefined) {
    const embedded = apply(new ClassEmbedding({ numClasses, outputDim: channels, stddev: 0.02, seed: seeds.next(), name: 'd_embedding' }), labels);
    logits = add([logits, apply(tfl.layers.dot({ axes: 1 }), [embedded, pooled])]);
  }
  return tfl.model({ inputs: labels ? [images, labels] : [images], outputs: logits, name: 'discriminator' });
}
