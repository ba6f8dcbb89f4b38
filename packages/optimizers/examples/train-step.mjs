// A custom D/G training step with @gankit/optimizers and @gankit/core only: TTUR Adam, a learning-rate
// schedule, gradient clipping, an EMA of the generator, sampling with the averaged weights, and a resumable state.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { clipByGlobalNorm, ExponentialMovingAverage, linearDecaySchedule, ScheduledOptimizer, ttur, warmupSchedule } from '@gankit/optimizers';
import { loadTrainingState, saveTrainingState } from '@gankit/optimizers/node';

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
const discriminator = (x) => affine(tf.leakyRelu(affine(x, D[0]), 0.2), D[1]);
const gVars = G.flatMap(({ w, b }) => [w, b]);
const dVars = D.flatMap(({ w, b }) => [w, b]);
// the seed's losses from logits: L_D = E[softplus(−D(x))] + E[softplus(D(G(z)))], L_G = E[softplus(−D(G(z)))]
const dLossOf = (real, fake) => tf.add(tf.mean(tf.softplus(tf.neg(discriminator(real)))), tf.mean(tf.softplus(discriminator(fake))));
const gLossOf = (fake) => tf.mean(tf.softplus(tf.neg(discriminator(fake))));

const optimizers = ttur({ generatorLr: 1e-3, discriminatorLr: 4e-3 }); // Adam, β = (0.5, 0.999)
const schedule = (lr) => warmupSchedule(20, linearDecaySchedule({ learningRate: lr, startStep: 200, endStep: 400 }));
const gOptimizer = new ScheduledOptimizer(optimizers.generator, schedule(1e-3));
const dOptimizer = new ScheduledOptimizer(optimizers.discriminator, schedule(4e-3));
const ema = new ExponentialMovingAverage(gVars, { decay: 0.99, warmup: true });

function trainStep(batchSize) {
  const angles = rng.uniformArray(batchSize, 0, 2 * Math.PI);
  const real = tf.tensor2d(Array.from(angles).flatMap((a) => [Math.cos(a), Math.sin(a)]), [batchSize, 2]);
  const z = tf.tensor2d(rng.normalArray(batchSize * 8), [batchSize, 8]);
  const d = tf.variableGrads(() => dLossOf(real, generator(z)), dVars);
  const clipped = clipByGlobalNorm(d.grads, 5); // also returns the norm before clipping
  dOptimizer.applyGradients(clipped.grads);
  const gLoss = gOptimizer.minimize(() => gLossOf(generator(z)), true, gVars);
  ema.update();
  const values = [d.value.dataSync()[0], gLoss.dataSync()[0], clipped.globalNorm.dataSync()[0]];
  tf.dispose([real, z, d.value, gLoss, clipped.globalNorm, ...Object.values(d.grads), ...Object.values(clipped.grads)]);
  return values;
}

let last;
for (let step = 0; step < 300; step++) last = trainStep(64);
const meanRadius = () => tf.tidy(() => tf.mean(tf.norm(generator(tf.tensor2d(createRng(1).normalArray(256 * 8), [256, 8])), 'euclidean', 1)).dataSync()[0]);
const averaged = ema.withAveragedWeights(meanRadius); // sample with the averaged generator, then switch back
console.log(`${backend.name}: D ${last[0].toFixed(3)}, G ${last[1].toFixed(3)}, ‖∇D‖ ${last[2].toFixed(2)}, lr(G) ${gOptimizer.currentLearningRate.toExponential(2)}; ` +
  `mean radius (target 1): raw G ${meanRadius().toFixed(2)}, EMA G ${averaged.toFixed(2)}`);

// Save optimizer moments, schedule positions and EMA shadows atomically; restore them into fresh objects.
const dir = mkdtempSync(join(tmpdir(), 'gankit-example-'));
await saveTrainingState(dir, { optimizers: { g: gOptimizer, d: dOptimizer }, emas: { g: ema }, variables: { g: gVars, d: dVars } });
const fresh = ttur({ generatorLr: 1e-3, discriminatorLr: 4e-3 });
const resumedG = new ScheduledOptimizer(fresh.generator, schedule(1e-3));
await loadTrainingState(dir, { optimizers: { g: resumedG, d: new ScheduledOptimizer(fresh.discriminator, schedule(4e-3)) } });
console.log(`restored: generator optimizer at step ${resumedG.step} (${fresh.generator.iterations} Adam iterations)`);
rmSync(dir, { recursive: true, force: true });
if (!last.every(Number.isFinite) || resumedG.step !== 300) throw new Error('example failed');
