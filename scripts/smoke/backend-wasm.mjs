// Install check for @gankit/backend-wasm: installed alone from its tarball, with plain Node, outside the workspace.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng } from '@gankit/core'; // a dependency of the engine package
import { initBackend } from '@gankit/backend-wasm';

const info = await initBackend();
console.log(`backend: ${info.name} (${info.package}, ${info.device})`);
if (!['wasm', 'tensorflow'].includes(info.name)) throw new Error(`expected wasm or tensorflow, got ${info.name}`);

const rng = createRng(1);
const x = tf.tensor4d(rng.normalArray(8 * 8 * 8), [8, 8, 8, 1]);
const y = tf.tensor2d(rng.normalArray(8), [8, 1]);
const model = tfl.sequential({
  layers: [
    tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 1 }),
  ],
});
model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
const history = await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
const losses = history.history.loss.map(Number);
console.log(`one-conv-layer model, 3 steps on ${tf.getBackend()}: loss ${losses.map((l) => l.toFixed(4)).join(' → ')}`);
if (losses.length !== 3 || !losses.every(Number.isFinite)) throw new Error('training did not produce 3 finite losses');
