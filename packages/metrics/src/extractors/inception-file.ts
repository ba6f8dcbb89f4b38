import { GanKitError } from '@gankit/core';
import type { FeatureExtractor } from '../extractor';
import { loadTorchCheckpoint, torchStateDict } from '../torch/checkpoint';
import { FID_INCEPTION_WEIGHTS_URL, inceptionV3FromStateDict, type InceptionV3Options } from './inception';

function resolveWeightsPath(option: string | undefined): string {
  const path = option ?? process.env.GANKIT_INCEPTION_WEIGHTS;
  if (path === undefined || path === '') {
    throw new GanKitError(
      'MISSING_WEIGHTS',
      `the FID Inception weights are needed: download ${FID_INCEPTION_WEIGHTS_URL} (95 MB, the file pytorch-fid uses) ` +
        `and pass its path as inceptionV3({ weightsPath }) or set GANKIT_INCEPTION_WEIGHTS=/path/to/pt_inception-2015-12-05-6726825d.pth`,
    );
  }
  return path;
}

/**
 * pytorch-fid's FID Inception-v3 with its weights read from pytorch-fid's `.pth` file (`weightsPath` or
 * GANKIT_INCEPTION_WEIGHTS); see `inceptionV3FromStateDict` for the network. Node only.
 */
export async function inceptionV3(options: InceptionV3Options = {}): Promise<FeatureExtractor> {
  const path = resolveWeightsPath(options.weightsPath);
  return inceptionV3FromStateDict(torchStateDict(await loadTorchCheckpoint(path), path), options, path);
}
