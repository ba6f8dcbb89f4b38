// Install check for @gankit/augment: installed alone from its tarball, with plain Node, outside the workspace.
// DiffAugment and ADA on a batch of images, their input gradients, and the ADA controller raising p.
// Only platform-neutral pieces, as a browser page would use them: tfjs-core, the cpu backend, @gankit/core's Rng.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@gankit/core';
import { AdaController, adaAugment, diffAugment } from '@gankit/augment';

await tf.setBackend('cpu');
const info = { name: tf.getBackend() };
const rng = createRng(1);
const x = tf.tensor4d(rng.uniformArray(4 * 16 * 16 * 3, -1, 1), [4, 16, 16, 3]);
for (const [name, fn] of [['DiffAugment', (v) => diffAugment(v, rng)], ['ADA p=0.9', (v) => adaAugment(v, rng, 0.9)]]) {
  const y = fn(x);
  const g = tf.grad((v) => tf.sum(tf.square(fn(v))))(x);
  const change = tf.mean(tf.abs(tf.sub(y, x))).dataSync()[0];
  const norm = tf.norm(g).dataSync()[0];
  console.log(`${name} on ${info.name}: mean |y - x| ${change.toFixed(3)}, |d/dx| ${norm.toFixed(3)}`);
  if (!(change > 0.01) || !Number.isFinite(norm) || norm === 0) throw new Error(`${name}: unexpected output`);
  tf.dispose([y, g]);
}
const controller = new AdaController({ kimg: 1, interval: 1 });
for (let i = 0; i < 10; i++) controller.update([1, 1, -1, -1]); // r_t = 0 < 0.6: p stays at 0
if (controller.p !== 0) throw new Error('p rose without overfitting');
for (let i = 0; i < 10; i++) controller.update([1, 1, 1, 1]); // r_t = 1 > 0.6: D is overconfident on reals
console.log(`AdaController p after 10 overfitting steps: ${controller.p.toFixed(3)}`);
if (!(controller.p > 0)) throw new Error('p did not rise');
x.dispose();
console.log(`tensors left: ${tf.memory().numTensors}`);
