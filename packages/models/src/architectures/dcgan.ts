import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';
import { ConditionalBatchNorm } from '../layers/conditional-batch-norm';
import { ClassEmbedding, GlobalSumPooling, MinibatchStdDev, OneHot } from '../layers/simple';
import { add, apply, batchNorm, concat, conv, convT, dense, flatten, layerNorm, lrelu, relu, reshape, tanh, type Sym } from './blocks';
import { Seeds } from './init';
import { checkImageShape, checkInt, type BaseOptions, type GeneratorBaseOptions, type ImageShape } from './types';

/** Image sizes the DCGAN family supports (square images). */
export const DCGAN_SIZES = [28, 32, 64] as const;

/** How class information enters a DCGAN-family generator. */
export type GeneratorConditioning =
  | { kind: 'none' }
  /** cGAN / ACGAN: a learned label embedding concatenated to z. */
  | { kind: 'input'; numClasses: number; embeddingDim?: number }
  /** Projection-cGAN generators: conditional batch norm in place of every batch norm. */
  | { kind: 'cbn'; numClasses: number }
  /** InfoGAN: one-hot categorical code and continuous code concatenated to z. */
  | { kind: 'info'; numCategories: number; numContinuous: number };

/** Options of `dcganGenerator`. */
export interface DcganGeneratorOptions extends GeneratorBaseOptions {
  /** Base channel count ngf (default 64): the last hidden layer has `width` channels, the first 4·width (32×32, 28×28) or 8·width (64×64). */
  width?: number;
  /** Class conditioning (default none). */
  conditioning?: GeneratorConditioning;
}

/** Normalisation of the discriminator's hidden conv layers (never the first). */
export type DiscriminatorNormalization = 'batch' | 'layer' | 'none';

/** How a DCGAN-family discriminator uses labels and what it outputs. */
export type DiscriminatorHead =
  | { kind: 'none' }
  /** cGAN: the label is embedded into an H×W map concatenated to the image as an extra channel. */
  | { kind: 'input'; numClasses: number }
  /** Projection discriminator (Miyato & Koyama 2018): logit = ψ(h) + embed(y)·h on the sum-pooled features h. */
  | { kind: 'projection'; numClasses: number }
  /** ACGAN: outputs [logits, classLogits]. */
  | { kind: 'auxiliary'; numClasses: number }
  /** InfoGAN: outputs [logits, categoricalLogits, continuousMeans] with a Q head on D's body. */
  | { kind: 'info'; numCategories: number; numContinuous: number; qHiddenUnits?: number };

/** Options of `dcganDiscriminator`. */
export interface DcganDiscriminatorOptions extends BaseOptions {
  /** Base channel count ndf (default 64): the first conv has `width` channels, doubling at every stride-2 conv. */
  width?: number;
  /** Normalisation after every conv but the first (default 'batch'; WGAN-GP critics use 'none' or 'layer'). */
  normalization?: DiscriminatorNormalization;
  /** Spectrally normalise every conv and dense layer (default false). */
  spectralNorm?: boolean;
  /** Append a minibatch standard-deviation channel before the output layer (default false; ProGAN). */
  minibatchStdDev?: boolean;
  /** Conditioning / output head (default none: one logit). */
  head?: DiscriminatorHead;
}

interface Layout {
  /** Generator channel multipliers, first (4×4 or 7×7) to last hidden. */
  generator: number[];
  /** Discriminator channel multipliers, first conv to last. */
  discriminator: number[];
}

const LAYOUTS: Record<(typeof DCGAN_SIZES)[number], Layout> = {
  28: { generator: [4, 2], discriminator: [1, 2] },
  32: { generator: [4, 2, 1], discriminator: [1, 2, 4] },
  64: { generator: [8, 4, 2, 1], discriminator: [1, 2, 4, 8] },
};

/** The layout for an image shape, or INVALID_ARGUMENT naming the supported sizes. */
export function dcganLayout(imageShape: ImageShape): Layout {
  const [height, width] = checkImageShape(imageShape);
  const layout = height === width ? LAYOUTS[height as (typeof DCGAN_SIZES)[number]] : undefined;
  if (!layout) {
    throw new GanKitError('INVALID_ARGUMENT', `the DCGAN family supports square images of ${DCGAN_SIZES.join(', ')} pixels, got ${height}×${width}`);
  }
  return layout;
}

const DCGAN_STD = 0.02;

/** Generator inputs for a conditioning: [z] or [z, labels] or [z, categoricalCode, continuousCode]. */
export function generatorInputs(latentDim: number, conditioning: GeneratorConditioning): { inputs: Sym[]; z: Sym } {
  const z = tfl.input({ shape: [latentDim], name: 'z' });
  switch (conditioning.kind) {
    case 'none':
      return { inputs: [z], z };
    case 'input':
    case 'cbn':
      return { inputs: [z, tfl.input({ shape: [1], name: 'labels', dtype: 'int32' })], z };
    case 'info':
      return {
        inputs: [z, tfl.input({ shape: [1], name: 'categorical_code', dtype: 'int32' }), tfl.input({ shape: [conditioning.numContinuous], name: 'continuous_code' })],
        z,
      };
  }
}

/** The [B, F] vector fed to the generator trunk: z, possibly concatenated with label/code information. */
export function generatorHidden(inputs: Sym[], conditioning: GeneratorConditioning, seeds: Seeds): Sym {
  const [z, first, second] = inputs as [Sym, Sym | undefined, Sym | undefined];
  switch (conditioning.kind) {
    case 'none':
    case 'cbn':
      return z;
    case 'input': {
      const embedding = new ClassEmbedding({ numClasses: conditioning.numClasses, outputDim: conditioning.embeddingDim ?? conditioning.numClasses, seed: seeds.next() });
      return concat([z, apply(embedding, first!)]);
    }
    case 'info':
      return concat([z, apply(new OneHot({ numClasses: conditioning.numCategories }), first!), second!]);
  }
}

/** The normalisation used inside a generator: batch norm, or conditional batch norm on `labels`; γ ~ N(1, gammaStddev). */
export function generatorNorm(conditioning: GeneratorConditioning, labels: Sym | undefined, seeds: Seeds, gammaStddev = 0.02): (x: Sym, name?: string) => Sym {
  if (conditioning.kind === 'cbn') {
    return (x, name) => apply(new ConditionalBatchNorm({ numClasses: conditioning.numClasses, gammaStddev, seed: seeds.next(), name }), [x, labels!]);
  }
  return (x, name) => batchNorm(x, seeds, gammaStddev, name);
}

function checkConditioning(conditioning: GeneratorConditioning): void {
  if (conditioning.kind === 'input' || conditioning.kind === 'cbn') checkInt(conditioning.numClasses, 'numClasses');
  if (conditioning.kind === 'info') {
    checkInt(conditioning.numCategories, 'numCategories');
    checkInt(conditioning.numContinuous, 'numContinuous');
  }
}

/**
 * DCGAN generator (Radford et al. 2015): z → transposed convs (4×4 kernels, stride 2) + BN + ReLU → tanh image.
 * 32×32 and 64×64 follow the PyTorch DCGAN tutorial (no conv biases); 28×28 starts with dense → 7×7×4w.
 * Inputs: z [B, latentDim] (plus labels [B, 1] / codes, see `conditioning`); output [B, H, W, C] in [-1, 1].
 * Weights N(0, 0.02), BN γ ~ N(1, 0.02), β = 0.
 */
export function dcganGenerator(options: DcganGeneratorOptions): tfl.LayersModel {
  const layout = dcganLayout(options.imageShape);
  const latentDim = checkInt(options.latentDim ?? 100, 'latentDim');
  const width = checkInt(options.width ?? 64, 'width');
  const conditioning = options.conditioning ?? { kind: 'none' };
  checkConditioning(conditioning);
  const seeds = new Seeds(options.seed);
  const { inputs } = generatorInputs(latentDim, conditioning);
  const norm = generatorNorm(conditioning, inputs[1], seeds);
  const hidden = generatorHidden(inputs, conditioning, seeds);
  const [size, , channels] = options.imageShape;
  const [firstMult, ...restMults] = layout.generator as [number, ...number[]];
  let x: Sym;
  if (size === 28) {
    x = reshape(dense(hidden, 7 * 7 * firstMult * width, false, seeds.normal(DCGAN_STD), seeds), [7, 7, firstMult * width]);
  } else {
    x = reshape(hidden, [1, 1, hidden.shape.at(-1) ?? 0]);
    x = convT(x, { filters: firstMult * width, kernel: 4, strides: 1, padding: 'valid', useBias: false, init: seeds.normal(DCGAN_STD) });
  }
  x = relu(norm(x));
  for (const mult of restMults) {
    x = relu(norm(convT(x, { filters: mult * width, kernel: 4, strides: 2, useBias: false, init: seeds.normal(DCGAN_STD) })));
  }
  x = tanh(convT(x, { filters: channels, kernel: 4, strides: 2, useBias: false, init: seeds.normal(DCGAN_STD) }));
  return tfl.model({ inputs, outputs: x, name: 'generator' });
}

/** The DCGAN discriminator's conv body: strided 4×4 convs + LeakyReLU(0.2), normalisation after all but the first. */
export function dcganDiscriminatorBody(x: Sym, layout: Layout, width: number, normalization: DiscriminatorNormalization, spectralNorm: boolean, seeds: Seeds): Sym {
  layout.discriminator.forEach((mult, i) => {
    x = conv(x, { filters: mult * width, kernel: 4, strides: 2, useBias: normalization === 'none', init: seeds.normal(DCGAN_STD), spectralNorm }, seeds);
    if (i > 0 && normalization === 'batch') x = batchNorm(x, seeds);
    if (i > 0 && normalization === 'layer') x = layerNorm(x);
    x = lrelu(x);
  });
  return x;
}

function checkHead(head: DiscriminatorHead): void {
  if (head.kind === 'input' || head.kind === 'projection' || head.kind === 'auxiliary') checkInt(head.numClasses, 'numClasses');
  if (head.kind === 'info') {
    checkInt(head.numCategories, 'numCategories');
    checkInt(head.numContinuous, 'numContinuous');
  }
}

/**
 * DCGAN discriminator (Radford et al. 2015): strided convs + LeakyReLU(0.2) (+ BN) → one logit (no sigmoid).
 * 32×32/64×64 end with a 4×4 valid conv as in the PyTorch tutorial; 28×28 with flatten → dense. Heads for cGAN,
 * projection, ACGAN and InfoGAN: see `DiscriminatorHead`. Input images [B, H, W, C] in [-1, 1].
 */
export function dcganDiscriminator(options: DcganDiscriminatorOptions): tfl.LayersModel {
  const layout = dcganLayout(options.imageShape);
  const width = checkInt(options.width ?? 64, 'width');
  const normalization = options.normalization ?? 'batch';
  const spectralNorm = options.spectralNorm ?? false;
  const head = options.head ?? { kind: 'none' };
  checkHead(head);
  const seeds = new Seeds(options.seed);
  const [height, imageWidth, channels] = options.imageShape;
  const images = tfl.input({ shape: [height, imageWidth, channels], name: 'images' });
  const labels = head.kind !== 'input' && head.kind !== 'projection' ? undefined : tfl.input({ shape: [1], name: 'labels', dtype: 'int32' });
  let x: Sym = images;
  if (head.kind === 'input') {
    const map = apply(new ClassEmbedding({ numClasses: head.numClasses, outputDim: height * imageWidth, seed: seeds.next() }), labels!);
    x = concat([images, reshape(map, [height, imageWidth, 1])]);
  }
  let features = dcganDiscriminatorBody(x, layout, width, normalization, spectralNorm, seeds);
  if (options.minibatchStdDev) features = apply(new MinibatchStdDev(), features);
  const inputs = labels ? [images, labels] : [images];
  const outputs = discriminatorHead(features, head, labels, height === 28, normalization === 'none', spectralNorm, seeds);
  return tfl.model({ inputs, outputs, name: 'discriminator' });
}

function discriminatorHead(
  features: Sym,
  head: DiscriminatorHead,
  labels: Sym | undefined,
  denseHead: boolean,
  useBias: boolean,
  spectralNorm: boolean,
  seeds: Seeds,
): Sym | Sym[] {
  const init = () => seeds.normal(DCGAN_STD);
  switch (head.kind) {
    case 'none':
    case 'input':
      if (denseHead) return dense(flatten(features), 1, true, init(), seeds, spectralNorm);
      return flatten(conv(features, { filters: 1, kernel: 4, strides: 1, padding: 'valid', useBias, init: init(), spectralNorm }, seeds));
    case 'projection': {
      const pooled = apply(new GlobalSumPooling(), features);
      const embedded = apply(new ClassEmbedding({ numClasses: head.numClasses, outputDim: pooled.shape.at(-1) ?? 0, stddev: DCGAN_STD, seed: seeds.next() }), labels!);
      const projection = apply(tfl.layers.dot({ axes: 1 }), [embedded, pooled]);
      return add([dense(pooled, 1, true, init(), seeds, spectralNorm), projection]);
    }
    case 'auxiliary': {
      const flat = flatten(features);
      return [dense(flat, 1, true, init(), seeds, spectralNorm), dense(flat, head.numClasses, true, init(), seeds, spectralNorm)];
    }
    case 'info': {
      const flat = flatten(features);
      const logits = dense(flat, 1, true, init(), seeds, spectralNorm);
      const q = lrelu(batchNorm(dense(flat, head.qHiddenUnits ?? 128, false, init(), seeds), seeds));
      return [logits, dense(q, head.numCategories, true, init(), seeds), dense(q, head.numContinuous, true, init(), seeds)];
    }
  }
}
