import type * as tf from '@tensorflow/tfjs-core';

/** Features and class logits that one extractor call produced for a batch of B images. */
export interface ExtractedFeatures {
  /** Row-major [B × featureDim] features (e.g. Inception pool3, 2048-d). */
  features: Float32Array;
  /** Row-major [B × numClasses] unnormalised class logits (used by the Inception Score). */
  logits: Float32Array;
}

/**
 * A network that turns uint8 images into features (for FID/KID/precision-recall) and logits (for IS).
 * Implemented by `inceptionV3()` and `mnistClassifier()`; any user network can implement it too.
 */
export interface FeatureExtractor {
  /** Short identifier, e.g. `inception-v3-fid` or `mnist-classifier`. */
  readonly name: string;
  /** Length of one feature vector. */
  readonly featureDim: number;
  /** Length of one logit vector. */
  readonly numClasses: number;
  /** Human-readable input expectation, e.g. `"any HxW, resized to 299x299"` or `"28x28x1"`. */
  readonly inputSize: string;
  /**
   * Extracts features and logits from uint8-valued images [B, H, W, C] with C = 1 or 3.
   * Does not dispose `images`; leaves no tensors behind.
   */
  extract(images: tf.Tensor4D): Promise<ExtractedFeatures>;
  /** Releases the network's weights. */
  dispose(): void;
}
