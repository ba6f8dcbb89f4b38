import type * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';
import { dcganDiscriminator, dcganGenerator, type DiscriminatorNormalization } from './architectures/dcgan';
import { mlpDiscriminator, mlpGenerator } from './architectures/mlp';
import { snganResnetDiscriminator, snganResnetGenerator } from './architectures/sngan';
import { styleGan2Discriminator, styleGan2Generator } from './architectures/stylegan2';
import { checkImageShape, checkInt, type ImageShape } from './architectures/types';

/** Every architecture name `createGan` knows. */
export const ARCHITECTURES = ['mlp', 'dcgan', 'cgan', 'projection', 'acgan', 'infogan', 'wgan-gp', 'sngan-resnet', 'stylegan2'] as const;
/** An architecture name. */
export type Architecture = (typeof ARCHITECTURES)[number];

/**
 * How class information is used: `none`; `input` (labels fed to G and D, cGAN); `projection` (conditional BN in G,
 * projection D); `auxiliary` (labels fed to G, D predicts the class, ACGAN); `info` (InfoGAN latent codes, Q head).
 */
export type Conditioning = 'none' | 'input' | 'projection' | 'auxiliary' | 'info';

/** Options of `createGan`. */
export interface CreateGanOptions {
  /** Which architecture. */
  architecture: Architecture;
  /** One sample's shape: `[H, W, C]`; `mlp` also accepts `[features]`. */
  imageShape: ImageShape | readonly [features: number];
  /** Size of z (default 100; 128 for sngan-resnet; 512 for stylegan2). */
  latentDim?: number;
  /** Number of classes: required by cgan, projection, acgan and infogan (its categorical code); optional for mlp (cGAN) and sngan-resnet (projection). */
  numClasses?: number;
  /** Base channel count (DCGAN family: ngf = ndf, default 64; sngan-resnet: D channels, G gets 2× — default 128; stylegan2: the channel cap, default 512). */
  width?: number;
  /** Generator base channels where G and D differ (DCGAN family; sngan-resnet: G channels). Default: from `width`. */
  generatorWidth?: number;
  /** Discriminator base channels where G and D differ (DCGAN family, sngan-resnet). Default: `width`. */
  discriminatorWidth?: number;
  /** Seed of the initializers (G uses `seed`, D `seed + 1`); the same seed gives the same weights. */
  seed?: number;
  /** MLP hidden sizes. */
  hiddenUnits?: { generator?: number[]; discriminator?: number[] };
  /** DCGAN-family D normalisation (dcgan default 'batch'; wgan-gp default 'layer', never 'batch'). */
  discriminatorNormalization?: DiscriminatorNormalization;
  /** Spectrally normalise the DCGAN-family D (default: true for projection, false otherwise). */
  spectralNorm?: boolean;
  /** Add a minibatch-stddev channel to the dcgan / wgan-gp D (default false). */
  minibatchStdDev?: boolean;
  /** InfoGAN: number of continuous codes (default 2). */
  numContinuous?: number;
  /** sngan-resnet: add SAGAN self-attention (default false). */
  selfAttention?: boolean;
  /** stylegan2: size of w (default 512). */
  wDim?: number;
  /** stylegan2: fully connected layers of the mapping network (default 8). */
  mappingLayers?: number;
  /** stylegan2: probability of style mixing in training calls (default 0; the paper uses 0.9). */
  styleMixingProb?: number;
  /** stylegan2: channels at resolution r are min(width, channelBase / r) (default 16384). */
  channelBase?: number;
}

/** The two halves of a StyleGAN2 generator, views sharing its layers and weights (see `styleGan2Generator`): dispose only `generator`. */
export interface StyleGan2Parts {
  /** z [B, latentDim] → ws [B, numWs, wDim] (includes the tracked mean w and ψ-truncation). */
  mapping: tfl.LayersModel;
  /** ws [B, numWs, wDim] → images. */
  synthesis: tfl.LayersModel;
  numWs: number;
  wDim: number;
}

/** A generator/discriminator pair with the conventions needed to call them. */
export interface Gan {
  architecture: Architecture;
  /** Inputs `generatorInputs`, output images [B, H, W, C] in [-1, 1] (tanh). */
  generator: tfl.LayersModel;
  /** Inputs `discriminatorInputs`, outputs `discriminatorOutputs`, all logits (no sigmoid). */
  discriminator: tfl.LayersModel;
  latentDim: number;
  /** Number of classes (InfoGAN: categories of the categorical code); undefined when unconditional. */
  numClasses: number | undefined;
  /** InfoGAN: number of continuous codes; undefined otherwise. */
  numContinuous: number | undefined;
  conditional: Conditioning;
  imageShape: readonly number[];
  /** Names of the generator inputs, in order: `z` [B, latentDim], `labels` [B, 1], `categorical_code` [B, 1], `continuous_code` [B, numContinuous]. */
  generatorInputs: string[];
  /** Names of the discriminator inputs, in order: `images` [B, H, W, C], `labels` [B, 1]. */
  discriminatorInputs: string[];
  /** Names of the discriminator outputs, in order: `logits` [B, 1], `classLogits` [B, K], `categoricalLogits` [B, K], `continuousMeans` [B, L]. */
  discriminatorOutputs: string[];
  /** stylegan2 only: the mapping and synthesis halves of `generator` (same layers and weights). */
  styleGan2?: StyleGan2Parts;
}

function requireClasses(options: CreateGanOptions): number {
  if (options.numClasses === undefined) {
    throw new GanKitError('INVALID_ARGUMENT', `architecture "${options.architecture}" is class-conditional: set numClasses (an integer ≥ 2)`);
  }
  return checkInt(options.numClasses, 'numClasses', 2);
}

function forbidClasses(options: CreateGanOptions, instead: string): void {
  if (options.numClasses !== undefined) {
    throw new GanKitError('INVALID_ARGUMENT', `architecture "${options.architecture}" is unconditional but numClasses was given; for a class-conditional model use ${instead}`);
  }
}

function seedPair(seed: number | undefined): [number | undefined, number | undefined] {
  return seed === undefined ? [undefined, undefined] : [seed, seed + 1];
}

/**
 * Builds a generator and discriminator by architecture name (used by the trainer from its config). Unknown names
 * throw `UNKNOWN_NAME`; impossible combinations (dcgan at 48×48, a conditional GAN without numClasses, ...) throw
 * `INVALID_ARGUMENT`.
 */
export function createGan(options: CreateGanOptions): Gan {
  const architecture = options.architecture;
  if (!(ARCHITECTURES as readonly string[]).includes(architecture)) {
    throw new GanKitError('UNKNOWN_NAME', `unknown architecture "${String(architecture)}"; known: ${ARCHITECTURES.join(', ')}`);
  }
  if (architecture === 'mlp') return createMlp(options);
  const imageShape = checkImageShape(options.imageShape);
  const [gSeed, dSeed] = seedPair(options.seed);
  const width = options.width;
  const gWidth = options.generatorWidth ?? width;
  const dWidth = options.discriminatorWidth ?? width;
  const base = { architecture, imageShape, numContinuous: undefined, generatorInputs: ['z'], discriminatorInputs: ['images'], discriminatorOutputs: ['logits'] };
  switch (architecture) {
    case 'dcgan':
    case 'wgan-gp': {
      forbidClasses(options, 'cgan, projection or acgan');
      const latentDim = options.latentDim ?? 100;
      const normalization = options.discriminatorNormalization ?? (architecture === 'dcgan' ? 'batch' : 'layer');
      if (architecture === 'wgan-gp' && normalization === 'batch') {
        throw new GanKitError('INVALID_ARGUMENT', 'wgan-gp critics cannot use batch norm (it breaks the per-sample gradient penalty); use discriminatorNormalization "layer" or "none"');
      }
      return {
        ...base,
        generator: dcganGenerator({ imageShape, latentDim, width: gWidth, seed: gSeed }),
        discriminator: dcganDiscriminator({ imageShape, width: dWidth, normalization, spectralNorm: options.spectralNorm, minibatchStdDev: options.minibatchStdDev, seed: dSeed }),
        latentDim,
        numClasses: undefined,
        conditional: 'none',
      };
    }
    case 'cgan':
    case 'acgan': {
      const numClasses = requireClasses(options);
      const latentDim = options.latentDim ?? 100;
      const auxiliary = architecture === 'acgan';
      return {
        ...base,
        generator: dcganGenerator({ imageShape, latentDim, width: gWidth, seed: gSeed, conditioning: { kind: 'input', numClasses } }),
        discriminator: dcganDiscriminator({
          imageShape,
          width: dWidth,
          normalization: options.discriminatorNormalization,
          spectralNorm: options.spectralNorm,
          seed: dSeed,
          head: { kind: auxiliary ? 'auxiliary' : 'input', numClasses },
        }),
        latentDim,
        numClasses,
        conditional: auxiliary ? 'auxiliary' : 'input',
        generatorInputs: ['z', 'labels'],
        discriminatorInputs: auxiliary ? ['images'] : ['images', 'labels'],
        discriminatorOutputs: auxiliary ? ['logits', 'classLogits'] : ['logits'],
      };
    }
    case 'projection': {
      const numClasses = requireClasses(options);
      const latentDim = options.latentDim ?? 100;
      const spectralNorm = options.spectralNorm ?? true;
      return {
        ...base,
        generator: dcganGenerator({ imageShape, latentDim, width: gWidth, seed: gSeed, conditioning: { kind: 'cbn', numClasses } }),
        discriminator: dcganDiscriminator({
          imageShape,
          width: dWidth,
          normalization: options.discriminatorNormalization ?? (spectralNorm ? 'none' : 'batch'),
          spectralNorm,
          seed: dSeed,
          head: { kind: 'projection', numClasses },
        }),
        latentDim,
        numClasses,
        conditional: 'projection',
        generatorInputs: ['z', 'labels'],
        discriminatorInputs: ['images', 'labels'],
      };
    }
    case 'infogan': {
      const numClasses = requireClasses(options);
      const numContinuous = checkInt(options.numContinuous ?? 2, 'numContinuous');
      const latentDim = options.latentDim ?? 62;
      return {
        ...base,
        generator: dcganGenerator({ imageShape, latentDim, width: gWidth, seed: gSeed, conditioning: { kind: 'info', numCategories: numClasses, numContinuous } }),
        discriminator: dcganDiscriminator({
          imageShape,
          width: dWidth,
          normalization: options.discriminatorNormalization,
          spectralNorm: options.spectralNorm,
          seed: dSeed,
          head: { kind: 'info', numCategories: numClasses, numContinuous },
        }),
        latentDim,
        numClasses,
        numContinuous,
        conditional: 'info',
        generatorInputs: ['z', 'categorical_code', 'continuous_code'],
        discriminatorOutputs: ['logits', 'categoricalLogits', 'continuousMeans'],
      };
    }
    case 'sngan-resnet': {
      const numClasses = options.numClasses === undefined ? undefined : checkInt(options.numClasses, 'numClasses', 2);
      const latentDim = options.latentDim ?? 128;
      const channels = dWidth ?? 128;
      const conditional = numClasses !== undefined;
      return {
        ...base,
        generator: snganResnetGenerator({ imageShape, latentDim, channels: options.generatorWidth ?? 2 * (width ?? 128), numClasses, selfAttention: options.selfAttention, seed: gSeed }),
        discriminator: snganResnetDiscriminator({ imageShape, channels, numClasses, selfAttention: options.selfAttention, seed: dSeed }),
        latentDim,
        numClasses,
        conditional: conditional ? 'projection' : 'none',
        generatorInputs: conditional ? ['z', 'labels'] : ['z'],
        discriminatorInputs: conditional ? ['images', 'labels'] : ['images'],
      };
    }
    case 'stylegan2': {
      forbidClasses(options, 'another architecture (stylegan2 is unconditional here)');
      const latentDim = options.latentDim ?? 512;
      const channelBase = options.channelBase;
      const g = styleGan2Generator({
        imageShape,
        latentDim,
        wDim: options.wDim,
        mappingLayers: options.mappingLayers,
        styleMixingProb: options.styleMixingProb,
        channelBase,
        channelMax: gWidth,
        seed: gSeed,
      });
      return {
        ...base,
        generator: g.generator,
        discriminator: styleGan2Discriminator({ imageShape, channelBase, channelMax: dWidth, seed: dSeed }),
        latentDim,
        numClasses: undefined,
        conditional: 'none',
        styleGan2: { mapping: g.mapping, synthesis: g.synthesis, numWs: g.numWs, wDim: g.wDim },
      };
    }
  }
}

function createMlp(options: CreateGanOptions): Gan {
  if (options.generatorWidth !== undefined || options.discriminatorWidth !== undefined) {
    throw new GanKitError('INVALID_ARGUMENT', 'architecture "mlp" has no base width: set hiddenUnits { generator, discriminator } instead of generatorWidth/discriminatorWidth');
  }
  const dataShape = options.imageShape;
  const numClasses = options.numClasses === undefined ? undefined : checkInt(options.numClasses, 'numClasses', 2);
  const latentDim = options.latentDim ?? 100;
  const [gSeed, dSeed] = seedPair(options.seed);
  const conditional = numClasses !== undefined;
  return {
    architecture: 'mlp',
    generator: mlpGenerator({ dataShape, latentDim, numClasses, hiddenUnits: options.hiddenUnits?.generator, seed: gSeed }),
    discriminator: mlpDiscriminator({ dataShape, numClasses, hiddenUnits: options.hiddenUnits?.discriminator, seed: dSeed }),
    latentDim,
    numClasses,
    numContinuous: undefined,
    conditional: conditional ? 'input' : 'none',
    imageShape: [...dataShape],
    generatorInputs: conditional ? ['z', 'labels'] : ['z'],
    discriminatorInputs: conditional ? ['images', 'labels'] : ['images'],
    discriminatorOutputs: ['logits'],
  };
}
