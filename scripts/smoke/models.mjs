// Install check for @gankit/models: build the DCGAN for MNIST and run G → D.
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { createGan } from '@gankit/models';

await initBackend();
const gan = createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], latentDim: 100, seed: 1 });
const z = tf.tensor2d(createRng(0).normalArray(4 * gan.latentDim), [4, gan.latentDim]);
const images = gan.generator.predict(z);
const logits = gan.discriminator.predict(images);
console.log(`dcgan: G ${gan.generator.countParams()} params → images ${images.shape}; D logits ${logits.shape}`);
if (images.shape.join() !== '4,28,28,1' || logits.shape.join() !== '4,1') throw new Error('unexpected shapes');
