import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';

/** Constructor arguments every Keras-style layer accepts (name, trainable, inputShape, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
/** A symbolic or concrete layer input shape. */
export type LayerShape = (number | null)[];
/** Keyword arguments TF.js passes to `Layer.call` (e.g. `training`). */
export type CallKwargs = Record<string, unknown>;
/** A TF.js layers initializer (what `tf.initializers.*` return). */
export type Initializer = ReturnType<typeof tfl.initializers.randomNormal>;

/** The single tensor of a one-input layer call. */
export function onlyTensor(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  if (!Array.isArray(inputs)) return inputs;
  if (inputs.length === 1 && inputs[0]) return inputs[0];
  throw new GanKitError('INVALID_ARGUMENT', `${layer} takes one input tensor, got ${inputs.length}`);
}

/** The single shape of a one-input layer. */
export function onlyShape(shape: tfl.Shape | tfl.Shape[], layer: string): LayerShape {
  if (shape.length > 0 && Array.isArray(shape[0])) {
    const shapes = shape as tfl.Shape[];
    if (shapes.length !== 1 || !shapes[0]) throw new GanKitError('INVALID_ARGUMENT', `${layer} takes one input, got ${shapes.length}`);
    return shapes[0];
  }
  return shape as LayerShape;
}

/** The two shapes of a two-input layer (`[features, labels]`). */
export function pairShapes(shape: tfl.Shape | tfl.Shape[], layer: string): [LayerShape, LayerShape] {
  const shapes = shape as tfl.Shape[];
  if (!Array.isArray(shapes[0]) || shapes.length !== 2 || !shapes[1]) {
    throw new GanKitError('INVALID_ARGUMENT', `${layer} takes two inputs [features, labels]`);
  }
  return [shapes[0], shapes[1]];
}

/** The two tensors of a two-input layer call. */
export function pairTensors(inputs: tf.Tensor | tf.Tensor[], layer: string): [tf.Tensor, tf.Tensor] {
  if (!Array.isArray(inputs) || inputs.length !== 2 || !inputs[0] || !inputs[1]) {
    throw new GanKitError('INVALID_ARGUMENT', `${layer} takes two inputs [features, labels]`);
  }
  return [inputs[0], inputs[1]];
}

/** The last dimension of a shape, which must be known. */
export function lastDim(shape: LayerShape, layer: string): number {
  const last = shape[shape.length - 1];
  if (typeof last !== 'number') throw new GanKitError('INVALID_ARGUMENT', `${layer}: the last input dimension must be known, got shape [${shape.join(', ')}]`);
  return last;
}

/** Identity in the forward pass, zero gradient in the backward pass (TF.js core has no `stopGradient`). */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad<tf.Tensor>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/** Class indices of shape [B] or [B, 1] (any dtype) as a float32 one-hot matrix [B, numClasses]. */
export function oneHotLabels(labels: tf.Tensor, numClasses: number): tf.Tensor2D {
  return tf.tidy(() => {
    const flat = tf.reshape<tf.Rank.R1>(tf.cast(labels, 'int32'), [-1]);
    return tf.cast(tf.oneHot(flat, numClasses) as tf.Tensor2D, 'float32');
  });
}

/** Whether the layer is being called in training mode (`model.apply(x, { training: true })`). */
export function isTraining(kwargs: CallKwargs | undefined): boolean {
  return kwargs?.training === true;
}
