import { GanKitError } from '@gankit/core';
import { FID_INCEPTION_WEIGHTS_URL, type FeatureExtractor } from '@gankit/metrics';
import { inceptionV3, mnistClassifier } from '@gankit/metrics/node';
import type { EvalOptions } from './args';
import type { SampleInput, Uint8Batch } from './inputs';
import type { ImageBatch, PrecomputedBatch } from '@gankit/metrics';

/** Loads the extractor the options name (Inception with the pytorch-fid weights, or the bundled MNIST classifier). */
export async function loadExtractor(options: EvalOptions): Promise<FeatureExtractor> {
  if (options.extractor === 'mnist') return mnistClassifier();
  if (!options.weights) {
    throw new GanKitError(
      'MISSING_WEIGHTS',
      `the Inception extractor needs pytorch-fid's weights: download ${FID_INCEPTION_WEIGHTS_URL} (95 MB) and pass --weights /path/to/pt_inception-2015-12-05-6726825d.pth ` +
        '(or set GANKIT_INCEPTION_WEIGHTS); for 28×28 digits --extractor mnist needs no download',
    );
  }
  return inceptionV3({ weightsPath: options.weights, resize: options.resize, dims: options.dims });
}

/** The input's images as the uint8 batches `computeMetrics` reads (or its precomputed features). */
export async function* imageBatches(input: SampleInput, batchSize: number): AsyncIterable<ImageBatch | PrecomputedBatch> {
  if (input.kind === 'features') {
    for await (const batch of input.batches(batchSize)) yield { features: batch.features, rows: batch.rows };
    return;
  }
  for await (const batch of input.batches(batchSize)) yield asImageBatch(batch);
}

function asImageBatch(batch: Uint8Batch): ImageBatch {
  const [h, w, c] = batch.shape;
  return { data: batch.data, shape: [batch.n, h, w, c] };
}
