import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng, toImageGrid } from '@gankit/core';
import { fileSystem, writePng } from '@gankit/core/node';
import '@tensorflow/tfjs-backend-cpu'; // or initBackend() from @gankit/backend-wasm: the fastest engine present

await tf.setBackend('cpu');
console.log(`backend: ${tf.getBackend()}`);

// A tiny conv discriminator-like model on 16 seeded 8x8 "images" in [-1, 1].
const rng = createRng(42);
const x = tf.tanh(tf.tensor4d(rng.normalArray(16 * 8 * 8), [16, 8, 8, 1]));
const y = tf.ones([16, 1]);
const model = tfl.sequential({
  layers: [
    tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 1, activation: 'sigmoid' }),
  ],
});
model.compile({ optimizer: tf.train.adam(0.0002, 0.5, 0.999), loss: 'binaryCrossentropy' });
for (let step = 1; step <= 3; step++) {
  const loss = await model.trainOnBatch(x, y);
  console.log(`step ${step}: loss ${Number(loss).toFixed(4)}`);
}

// Save in the standard TF.js layout (out/model/model.json + weights.bin), atomically, and load it back.
await model.save(fileSystem('out/model'));
const reloaded = await tfl.loadLayersModel(fileSystem('out/model'));
console.log(`reloaded ${reloaded.countParams()} parameters`);

// Tile the 16 images into a 4x4 grid and write it as a PNG.
const grid = await toImageGrid(x, { columns: 4 });
await writePng('out/grid.png', grid);
console.log(`wrote out/grid.png (${grid.width}x${grid.height})`);
tf.dispose([x, y]);
