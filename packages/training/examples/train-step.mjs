// The GAN step of @gankit/training in a web page or in Node: a tiny MLP GAN learns a ring of 2-D points.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng } from '@gankit/core';
import { getLoss } from '@gankit/losses';
import { adam } from '@gankit/optimizers';
import { createGanStep, readScalars } from '@gankit/training';

await tf.setBackend('cpu');
const mlp = (inputs, outputs) =>
  tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [inputs], units: 32, activation: 'relu' }), tfl.layers.dense({ units: outputs })] });
const generator = mlp(8, 2); // z [B, 8] → points [B, 2]
const discriminator = mlp(2, 1); // logits, no sigmoid
const gan = createGanStep({
  generator,
  discriminator,
  loss: getLoss('standard'), // the seed's: minimax D loss, non-saturating G loss
  generatorOptimizer: adam({ learningRate: 2e-3, beta1: 0.5, beta2: 0.999 }),
  discriminatorOptimizer: adam({ learningRate: 2e-3, beta1: 0.5, beta2: 0.999 }),
  rng: createRng(0), // draws z
});
const rng = createRng(1);
const ring = (n) => tf.tensor2d(Array.from(rng.uniformArray(n, 0, 2 * Math.PI)).flatMap((a) => [Math.cos(a), Math.sin(a)]), [n, 2]);
let last;
for (let step = 1; step <= 300; step++) {
  // One D step with G fixed, then one G step with D fixed; batches a function returns are disposed by the step.
  last = await readScalars(await gan.step(() => ({ images: ring(64) }))); // reads and disposes the scalars
}
const radius = tf.tidy(() => tf.mean(tf.norm(generator.predict(tf.randomNormal([256, 8], 0, 1, 'float32', 2)), 'euclidean', 1)).dataSync()[0]);
console.log(`${tf.getBackend()}: after 300 steps D loss ${last.d_loss.toFixed(3)}, G loss ${last.g_loss.toFixed(3)}, mean radius of samples ${radius.toFixed(2)} (target 1)`);
if (![last.d_loss, last.g_loss].every(Number.isFinite)) throw new Error('non-finite loss');
