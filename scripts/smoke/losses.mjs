// Install check for @gankit/losses: installed alone from its tarball, with plain Node, outside the workspace.
// A tiny WGAN-GP critic step (gradient of a gradient through dense + leakyRelu) and a generator step.
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { getLoss, gradientPenalty, LOSS_NAMES } from '@gankit/losses';

const info = await initBackend();
console.log(`backend: ${info.name}; losses: ${LOSS_NAMES.join(', ')}`);
const rng = createRng(1);
const w1 = tf.variable(tf.tensor2d(rng.normalArray(2 * 16, 0, 0.5), [2, 16]));
const w2 = tf.variable(tf.tensor2d(rng.normalArray(16, 0, 0.5), [16, 1]));
const g = tf.variable(tf.tensor2d(rng.normalArray(4 * 2, 0, 0.5), [4, 2]));
const critic = (x) => tf.matMul(tf.leakyRelu(tf.matMul(x, w1), 0.2), w2);
const loss = getLoss('wasserstein');
const dOpt = tf.train.adam(1e-3, 0.5, 0.9);
const gOpt = tf.train.adam(1e-3, 0.5, 0.9);
const costs = [];
for (let step = 0; step < 10; step++) {
  const real = tf.tensor2d(rng.normalArray(16 * 2, 1, 0.1), [16, 2]);
  const z = tf.tensor2d(rng.normalArray(16 * 4), [16, 4]);
  const d = dOpt.minimize(() => tf.add(loss.discriminator(critic(real), critic(tf.matMul(z, g))), gradientPenalty(critic, real, tf.matMul(z, g), rng)), true, [w1, w2]);
  const gl = gOpt.minimize(() => loss.generator(critic(tf.matMul(z, g))), true, [g]);
  costs.push([d.dataSync()[0], gl.dataSync()[0]]);
  tf.dispose([real, z, d, gl]);
}
console.log(`WGAN-GP, 10 steps on ${tf.getBackend()}: D ${costs[0][0].toFixed(3)} → ${costs[9][0].toFixed(3)}, G ${costs[0][1].toFixed(3)} → ${costs[9][1].toFixed(3)}`);
if (!costs.flat().every(Number.isFinite)) throw new Error('non-finite loss');
