// Install check for @gankit/training: installed alone from its tarball, with plain Node, outside the workspace.
// A tiny tfjs-layers MLP GAN trained through the library step: n_critic 2, WGAN-GP, lazy R1, an EMA, a flip augment.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '@gankit/backend-wasm';
import { createRng } from '@gankit/core';
import { getLoss } from '@gankit/losses';
import { adam, ExponentialMovingAverage } from '@gankit/optimizers';
import { createGanStep, gradientPenaltyRegularizer, r1Regularizer, readScalars, trainableVariables } from '@gankit/training';

const info = await initBackend();
console.log(`backend: ${info.name}`);
const mlp = (inputs, outputs) =>
  tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [inputs], units: 16, activation: 'relu' }), tfl.layers.dense({ units: outputs })] });
const generator = mlp(4, 2);
const discriminator = mlp(2, 1);
const ema = new ExponentialMovingAverage(trainableVariables(generator), { decay: 0.9 });
const gan = createGanStep({
  generator,
  discriminator,
  loss: getLoss('wasserstein'),
  generatorOptimizer: adam({ learningRate: 1e-3, beta1: 0.5, beta2: 0.9 }),
  discriminatorOptimizer: adam({ learningRate: 1e-3, beta1: 0.5, beta2: 0.9 }),
  nCritic: 2,
  regularizers: [gradientPenaltyRegularizer({ lambda: 10, rng: createRng(2) }), r1Regularizer({ gamma: 1, interval: 4 })],
  ema,
  augment: (x) => tf.reverse(x, 1),
  rng: createRng(0),
});
const rng = createRng(1);
const counts = [];
let last;
for (let step = 0; step < 6; step++) {
  last = await readScalars(await gan.step(() => ({ images: tf.tensor2d(rng.normalArray(32, 1, 0.1), [16, 2]) })));
  counts.push(tf.memory().numTensors);
}
console.log(`6 WGAN-GP steps (n_critic 2) on ${tf.getBackend()}: d_loss ${last.d_loss.toFixed(3)}, g_loss ${last.g_loss.toFixed(3)}, gp ${last.gp.toFixed(3)}, ${gan.discriminatorSteps} D steps, EMA updates ${ema.updates}`);
if (![last.d_loss, last.g_loss, last.gp].every(Number.isFinite)) throw new Error('non-finite loss');
if (gan.discriminatorSteps !== 12 || ema.updates !== 6) throw new Error('wrong step counts');
if (new Set(counts.slice(1)).size !== 1) throw new Error(`tensor count not flat: ${counts.join(', ')}`);
