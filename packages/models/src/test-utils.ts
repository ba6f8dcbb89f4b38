import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Gan } from './registry';

/** Deterministic inputs for a generator of `gan`: z ~ N(0, 1), labels/codes cycling through the classes. */
export function generatorInputsFor(gan: Gan, batch: number, seed = 1): tf.Tensor[] {
  return gan.generatorInputs.map((name, i) => {
    if (name === 'z') return tf.randomNormal([batch, gan.latentDim], 0, 1, 'float32', seed + i);
    if (name === 'labels' || name === 'categorical_code') return labelsFor(gan, batch);
    return tf.randomUniform([batch, gan.numContinuous ?? 1], -1, 1, 'float32', seed + i);
  });
}

/** Class labels [B, 1] int32 cycling 0..K-1. */
export function labelsFor(gan: Gan, batch: number): tf.Tensor {
  const k = gan.numClasses ?? 1;
  return tf.tensor2d(Array.from({ length: batch }, (_, i) => i % k), [batch, 1], 'int32');
}

/** Discriminator inputs for images. */
export function discriminatorInputsFor(gan: Gan, images: tf.Tensor): tf.Tensor[] {
  return gan.discriminatorInputs.map((name) => (name === 'images' ? images : labelsFor(gan, images.shape[0] ?? 1)));
}

/** The model's outputs as an array. */
export function asList(out: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(out) ? out : [out];
}

/** Disposes both models of a GAN. */
export function disposeGan(gan: Gan): void {
  gan.generator.dispose();
  gan.discriminator.dispose();
}

/** Calls a model on inputs (inference) and returns its outputs as an array. */
export function predictAll(model: tfl.LayersModel, inputs: tf.Tensor[]): tf.Tensor[] {
  return asList(model.predict(inputs.length === 1 ? inputs[0]! : inputs));
}

/** Applies a layer to a concrete tensor (optionally in training mode) and returns the concrete result. */
export function callLayer(layer: tfl.layers.Layer, x: tf.Tensor | tf.Tensor[], training?: boolean): tf.Tensor {
  return layer.apply(x, training === undefined ? {} : { training }) as tf.Tensor;
}
