import { inceptionV3, mnistClassifier, type FeatureExtractor } from '@gankit/metrics';
import type { EvalOptions } from './args';
import type { ImageInput, Uint8Batch } from './inputs';
import type { ImageBatch } from '@gankit/metrics';

/** Loads the extractor the options name (Inception with the pytorch-fid weights, or the bundled MNIST classifier). */
export async function loadExtractor(options: EvalOptions): Promise<FeatureExtractor> {
  if (options.extractor === 'mnist') return mnistClassifier();
  return inceptionV3({ ...(options.weights ? { weightsPath: options.weights } : {}), resize: options.resize });
}

/** The input's images as the uint8 batches `computeMetrics` reads. */
export async function* imageBatches(input: ImageInput, batchSize: number): AsyncIterable<ImageBatch> {
  for await (const batch of input.batches(batchSize)) yield asImageBatch(batch);
}

function asImageBatch(batch: Uint8Batch): ImageBatch {
  const [h, w, c] = batch.shape;
  return { data: batch.data, shape: [batch.n, h, w, c] };
}
