// A custom D/G training step with @gankit/losses and @gankit/core only: a tiny MLP GAN learns a ring of 2-D points.
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { getLoss, r1Penalty } from '@gankit/losses';

const backend = await initBackend({ backend: process.env.GANKIT_BACKEND ?? 'cpu' });
const rng = createRng(0);
const layer = (inputs, units) => ({
  w: tf.variable(tf.tensor2d(rng.normalArray(inputs * units, 0, Math.sqrt(2 / inputs)), [inputs, units])),
  b: tf.variable(tf.zeros([units])),
});
const affine = (x, { w, b }) => tf.add(tf.matMul(x, w), b);
const G = [layer(8, 32), layer(32, 2)];
const D = [layer(2, 32), layer(32, 1)];
const generator = (z) => affine(tf.relu(affine(z, G[0])), G[1]);
const discriminator = (x) => affine(tf.leakyRelu(affine(x, D[0]), 0.2), D[1]); // logits, no sigmoid
const variables = (net) => net.flatMap(({ w, b }) => [w, b]);

const loss = getLoss('standard', { realLabel: 0.9 }); // the seed's L_D / non-saturating L_G, one-sided smoothing
const dOptimizer = tf.train.adam(2e-4 * 10, 0.5, 0.999);
const gOptimizer = tf.train.adam(2e-4 * 10, 0.5, 0.999);

function realBatch(n) {
  const angles = rng.uniformArray(n, 0, 2 * Math.PI);
  return tf.tensor2d(Array.from(angles).flatMap((a) => [Math.cos(a), Math.sin(a)]), [n, 2]);
}

function trainStep(batchSize) {
  const real = realBatch(batchSize);
  const z = tf.tensor2d(rng.normalArray(batchSize * 8), [batchSize, 8]);
  const dLoss = dOptimizer.minimize(() => {
    const fake = generator(z); // only D's variables are updated in this step
    const adversarial = loss.discriminator(discriminator(real), discriminator(fake));
    return tf.add(adversarial, r1Penalty(discriminator, real, { gamma: 1 })); // gradient of a gradient
  }, true, variables(D));
  const gLoss = gOptimizer.minimize(() => loss.generator(discriminator(generator(z))), true, variables(G));
  const values = [dLoss.dataSync()[0], gLoss.dataSync()[0]];
  tf.dispose([real, z, dLoss, gLoss]);
  return values;
}

let last;
for (let step = 1; step <= 300; step++) last = trainStep(64);
const radius = tf.tidy(() => tf.mean(tf.norm(generator(tf.tensor2d(rng.normalArray(256 * 8), [256, 8])), 'euclidean', 1)).dataSync()[0]);
console.log(`${backend.name}: after 300 steps D loss ${last[0].toFixed(3)}, G loss ${last[1].toFixed(3)}, mean radius of samples ${radius.toFixed(2)} (target 1)`);
if (!last.every(Number.isFinite)) throw new Error('non-finite loss');
