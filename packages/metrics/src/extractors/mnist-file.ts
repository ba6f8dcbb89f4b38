import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GanKitError } from '@gankit/core';
import { fileSystem } from '@gankit/core/node';
import * as tfl from '@tensorflow/tfjs-layers';
import type { FeatureExtractor } from '../extractor';
import { mnistClassifierFromModel } from './mnist';

/** Options for `mnistClassifier`. */
export interface MnistClassifierOptions {
  /** Folder with model.json + weights.bin (default: the classifier shipped in this package). */
  modelDir?: string;
}

/** Where the shipped classifier lives: `models/mnist-classifier` at the package root (from src/ or dist/). */
export function shippedMnistClassifierDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    const candidate = join(dir, 'models', 'mnist-classifier');
    if (existsSync(join(candidate, 'model.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new GanKitError('MISSING_WEIGHTS', 'the MNIST classifier shipped with @gankit/metrics (models/mnist-classifier/model.json) was not found; reinstall @gankit/metrics');
}

/** The shipped MNIST classifier (or the one in `modelDir`) loaded from disk; see `mnistClassifierFromModel`. Node only. */
export async function mnistClassifier(options: MnistClassifierOptions = {}): Promise<FeatureExtractor> {
  const dir = options.modelDir ?? shippedMnistClassifierDir();
  return mnistClassifierFromModel(await tfl.loadLayersModel(fileSystem(dir)), dir);
}
