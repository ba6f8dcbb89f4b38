// Install check for @gankit/metrics: the bundled MNIST classifier scores images offline; FID of two feature sets.
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { computeMetrics, featureStats, featureMatrix, frechetDistance } from '@gankit/metrics';
import { mnistClassifier } from '@gankit/metrics/node';

await initBackend();
const rng = createRng(0);
const batch = (n) => ({ data: Uint8Array.from({ length: n * 784 }, () => rng.int(256)), shape: [n, 28, 28, 1] });
const extractor = await mnistClassifier();
const result = await computeMetrics({ real: [batch(64), batch(64)], fake: [batch(64), batch(64)], extractor, metrics: ['fid', 'is'], onWarning: () => {} });
console.log(`MNIST classifier on noise: FID ${result.fid.toFixed(4)}, IS ${result.is.mean.toFixed(4)} ± ${result.is.std.toFixed(4)}`);
extractor.dispose();
const a = await featureStats([featureMatrix(Float64Array.from({ length: 400 * 4 }, () => rng.normal()), 4)]);
const b = await featureStats([featureMatrix(Float64Array.from({ length: 400 * 4 }, () => rng.normal() + 1), 4)]);
const fid = await frechetDistance(a, b);
console.log(`frechetDistance of N(0, I) vs N(1, I) samples in 4-d: ${fid.toFixed(3)} (expected ≈ 4)`);
if (!(fid > 3 && fid < 5) || !Number.isFinite(result.fid)) throw new Error('unexpected metric values');
console.log(`tensors left: ${tf.memory().numTensors}`);
