import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';
import { ClassEmbedding } from '../layers/simple';
import { apply, concat, dense, flatten, lrelu, relu, reshape, tanh, type Sym } from './blocks';
import { Seeds } from './init';
import { checkInt } from './types';

/** Shape of one sample for the MLP GAN: `[features]` for flat data or `[H, W, C]` for images. */
export type MlpDataShape = readonly [features: number] | readonly [height: number, width: number, channels: number];

/** Options shared by the MLP generator and discriminator. */
export interface MlpCommon {
  /** Shape of one sample. */
  dataShape: MlpDataShape;
  /** Number of classes for a cGAN (Mirza & Osindero 2014): a label embedding is concatenated to the input. */
  numClasses?: number;
  /** Seed of every initializer. */
  seed?: number;
}

/** Options of `mlpGenerator`. */
export interface MlpGeneratorOptions extends MlpCommon {
  /** Size of z (default 100). */
  latentDim?: number;
  /** Hidden layer sizes (default [256, 512, 1024]). */
  hiddenUnits?: number[];
}

/** Options of `mlpDiscriminator`. */
export interface MlpDiscriminatorOptions extends MlpCommon {
  /** Hidden layer sizes (default [512, 256]). */
  hiddenUnits?: number[];
}

function checkShape(shape: readonly number[]): number[] {
  if ((shape.length !== 1 && shape.length !== 3) || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new GanKitError('INVALID_ARGUMENT', `dataShape must be [features] or [height, width, channels] of positive integers, got [${shape.join(', ')}]`);
  }
  return [...shape];
}

function labelInput(numClasses: number | undefined): Sym | undefined {
  if (numClasses === undefined) return undefined;
  checkInt(numClasses, 'numClasses');
  return tfl.input({ shape: [1], name: 'labels', dtype: 'int32' });
}

/**
 * Fully connected generator (Goodfellow et al. 2014): z (+ label embedding) → dense + ReLU layers → dense → tanh,
 * reshaped to `dataShape`. Inputs z [B, latentDim] (or [z, labels [B, 1]]); Glorot-uniform init.
 */
export function mlpGenerator(options: MlpGeneratorOptions): tfl.LayersModel {
  const shape = checkShape(options.dataShape);
  const latentDim = checkInt(options.latentDim ?? 100, 'latentDim');
  const seeds = new Seeds(options.seed);
  const z = tfl.input({ shape: [latentDim], name: 'z' });
  const labels = labelInput(options.numClasses);
  let x = labels ? concat([z, apply(new ClassEmbedding({ numClasses: options.numClasses!, outputDim: options.numClasses!, seed: seeds.next() }), labels)]) : z;
  for (const units of options.hiddenUnits ?? [256, 512, 1024]) x = relu(dense(x, checkInt(units, 'hiddenUnits'), true, seeds.glorot(), seeds));
  x = tanh(dense(x, shape.reduce((a, b) => a * b, 1), true, seeds.glorot(), seeds));
  if (shape.length === 3) x = reshape(x, shape);
  return tfl.model({ inputs: labels ? [z, labels] : [z], outputs: x, name: 'generator' });
}

/**
 * Fully connected discriminator (Goodfellow et al. 2014, with LeakyReLU(0.2) in place of maxout): flatten (+ label
 * embedding) → dense + LeakyReLU layers → one logit. Inputs samples of `dataShape` (or [samples, labels [B, 1]]).
 */
export function mlpDiscriminator(options: MlpDiscriminatorOptions): tfl.LayersModel {
  const shape = checkShape(options.dataShape);
  const seeds = new Seeds(options.seed);
  const samples = tfl.input({ shape, name: 'images' });
  const labels = labelInput(options.numClasses);
  let x = shape.length === 3 ? flatten(samples) : samples;
  if (labels) x = concat([x, apply(new ClassEmbedding({ numClasses: options.numClasses!, outputDim: options.numClasses!, seed: seeds.next() }), labels)]);
  for (const units of options.hiddenUnits ?? [512, 256]) x = lrelu(dense(x, checkInt(units, 'hiddenUnits'), true, seeds.glorot(), seeds));
  const logits = dense(x, 1, true, seeds.glorot(), seeds);
  return tfl.model({ inputs: labels ? [samples, labels] : [samples], outputs: logits, name: 'discriminator' });
}
