import { GanKitError } from '@gankit/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ExtractedFeatures, FeatureExtractor } from '../extractor';
import { checkImageBatch } from './images';

/**
 * The small MNIST CNN shipped with @gankit/metrics, from its loaded model (`tfl.loadLayersModel` of
 * `models/mnist-classifier/model.json`; `@gankit/metrics/node`'s `mnistClassifier` loads it from disk) (trained by scripts/train-mnist-classifier.mjs, ≥ 99% test
 * accuracy): 28×28 uint8 digits → x/255 → 128-d penultimate features and 10 logits, for an "MNIST FID" and
 * "MNIST IS" that work offline, like TF-GAN's `mnist_frechet_distance` / `mnist_score`.
 * The features are the 128-unit dense layer *before* its ReLU (W·h + b): after the ReLU, units that never fire on
 * digits are constant zero, which made Σ singular (rank 89 of 128 on all 10,000 test digits); the affine
 * pre-activation has full rank on real data. The logits still come from the trained (post-ReLU) head.
 */
export function mnistClassifierFromModel(trained: tfl.LayersModel, dir = 'the model'): FeatureExtractor {
  let net: tfl.LayersModel;
  try {
    const featuresLayer = trained.getLayer('features');
    net = tfl.model({ inputs: trained.inputs, outputs: [featuresLayer.input, trained.getLayer('logits').output] as tfl.SymbolicTensor[] });
  } catch (error) {
    trained.dispose();
    throw new GanKitError('FILE_MISMATCH', `${dir} is not the gankit MNIST classifier: it needs layers named "features" and "logits"`, { path: dir, cause: error });
  }
  const [kernel, bias] = trained.getLayer('features').getWeights() as [tf.Tensor2D, tf.Tensor1D];
  const featureDim = (trained.getLayer('features').outputShape as number[])[1] ?? 0;
  let disposed = false;

  return {
    name: 'mnist-classifier-preact',
    featureDim,
    numClasses: 10,
    inputSize: '28x28x1 (uint8; 3-channel images are averaged to gray)',
    async extract(images: tf.Tensor4D): Promise<ExtractedFeatures> {
      if (disposed) throw new GanKitError('INVALID_ARGUMENT', 'this mnistClassifier extractor was disposed');
      const [, h, w] = checkImageBatch(images, 'mnistClassifier().extract');
      if (h !== 28 || w !== 28) throw new GanKitError('SHAPE_MISMATCH', `mnistClassifier().extract: expected 28x28 images, got ${h}x${w}`);
      const [features, logits] = tf.tidy((): [tf.Tensor, tf.Tensor] => {
        let x = tf.div<tf.Tensor4D>(tf.cast(images, 'float32'), 255);
        if (x.shape[3] === 3) x = tf.mean(x, 3, true);
        const [hidden, logit] = net.predict(x) as [tf.Tensor2D, tf.Tensor];
        return [tf.add(tf.matMul(hidden, kernel), bias), logit];
      });
      const out = { features: (await features.data()) as Float32Array, logits: (await logits.data()) as Float32Array };
      tf.dispose([features, logits]);
      return out;
    },
    dispose(): void {
      if (!disposed) trained.dispose();
      disposed = true;
    },
  };
}
