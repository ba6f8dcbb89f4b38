// The training loop of `gankit-train --preset mnist-dcgan`, written directly with the gankit library packages:
// a D step with G fixed, then a G step with D fixed (the seed's alternation), Adam 2e-4 / (0.5, 0.999).
// Run: node main.mjs            (GANKIT_EXAMPLE_STEPS=20 for a quick check; GANKIT_BACKEND=wasm|cpu to choose)
import * as tf from '@tensorflow/tfjs-core';
import { createRng, toImageGrid } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { writePng } from '@gankit/core/node';
import { createPipeline, disposeBatch } from '@gankit/data';
import { mnist } from '@gankit/data/node';
import { getLoss } from '@gankit/losses';
import { createGan } from '@gankit/models';
import { adam } from '@gankit/optimizers';

const steps = Number(process.env.GANKIT_EXAMPLE_STEPS ?? 1000);
const batchSize = 64;
const out = process.env.GANKIT_EXAMPLE_OUT ?? 'custom-loop-samples.png';

const backend = await initBackend();
console.log(`backend: ${backend.name}`);
const rng = createRng(0);
const source = await mnist({ split: 'train' });
const batches = createPipeline(source, { batchSize, seed: 1, repeat: true, dropRemainder: true, labels: false });
const { generator, discriminator, latentDim } = createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], latentDim: 64, width: 32, seed: 0 });
const loss = getLoss('standard');
const optG = adam({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999 });
const optD = adam({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999 });
const varsG = generator.trainableWeights.map((w) => w.read());
const varsD = discriminator.trainableWeights.map((w) => w.read());
const noise = (n) => tf.tensor2d(rng.normalArray(n * latentDim), [n, latentDim]);
const fixedZ = noise(64);

for (let step = 1; step <= steps; step++) {
  const batch = await batches.next();
  const [dLoss, gLoss] = tf.tidy(() => {
    // D step: G's forward runs outside the gradient tape, so only D's weights get gradients.
    const fake = generator.apply(noise(batchSize), { training: true });
    const d = optD.minimize(
      () => loss.discriminator(discriminator.apply(batch.images, { training: true }), discriminator.apply(fake, { training: true })),
      true,
      varsD,
    );
    // G step: D is fixed (only G's variables are updated); non-saturating loss -E[log D(G(z))].
    const z = noise(batchSize);
    const g = optG.minimize(() => loss.generator(discriminator.apply(generator.apply(z, { training: true }), { training: true })), true, varsG);
    return [d, g];
  });
  disposeBatch(batch);
  if (step % 50 === 0 || step === steps) {
    const [d, g] = await Promise.all([dLoss.data(), gLoss.data()]);
    console.log(`step ${step}/${steps}  d_loss ${d[0].toFixed(4)}  g_loss ${g[0].toFixed(4)}  tensors ${tf.memory().numTensors}`);
  }
  tf.dispose([dLoss, gLoss]);
}

const samples = tf.tidy(() => generator.predict(fixedZ));
await writePng(out, await toImageGrid(samples, { columns: 8 }));
console.log(`samples: ${out}`);
tf.dispose([samples, fixedZ]);
await batches.close();
