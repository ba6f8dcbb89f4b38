// The training loop of `gankit-train --preset mnist-dcgan`, written directly with the gankit library packages:
// @gankit/training's step runs a D step with G fixed, then a G step with D fixed (the seed's alternation), with
// Adam 2e-4 / (0.5, 0.999) and the seed's loss (minimax D loss, non-saturating G loss).
// Run: node main.mjs            (GANKIT_EXAMPLE_STEPS=20 for a quick check; GANKIT_BACKEND=wasm|cpu to choose)
import * as tf from '@tensorflow/tfjs-core';
import { createRng, toImageGrid } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { writePng } from '@gankit/core/node';
import { createPipeline } from '@gankit/data';
import { mnist } from '@gankit/data/node';
import { getLoss } from '@gankit/losses';
import { createGan } from '@gankit/models';
import { adam } from '@gankit/optimizers';
import { createGanStep, disposeScalars, latentBatch, readScalars } from '@gankit/training';

const steps = Number(process.env.GANKIT_EXAMPLE_STEPS ?? 1000);
const out = process.env.GANKIT_EXAMPLE_OUT ?? 'custom-loop-samples.png';

const backend = await initBackend();
console.log(`backend: ${backend.name}`);
const batches = createPipeline(await mnist({ split: 'train' }), { batchSize: 64, seed: 1, repeat: true, dropRemainder: true, labels: false });
const { generator, discriminator, latentDim } = createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], latentDim: 64, width: 32, seed: 0 });
const gan = createGanStep({
  generator,
  discriminator,
  loss: getLoss('standard'),
  generatorOptimizer: adam({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999 }),
  discriminatorOptimizer: adam({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999 }),
  rng: createRng(0),
});

for (let step = 1; step <= steps; step++) {
  const read = step % 50 === 0 || step === steps;
  const scalars = await gan.step(() => batches.next(), { read }); // the step disposes the batches it takes
  if (!read) disposeScalars(scalars);
  else {
    const { d_loss, g_loss } = await readScalars(scalars);
    console.log(`step ${step}/${steps}  d_loss ${d_loss.toFixed(4)}  g_loss ${g_loss.toFixed(4)}  tensors ${tf.memory().numTensors}`);
  }
}

const fixedZ = latentBatch(createRng(1), 64, latentDim);
const samples = tf.tidy(() => generator.predict(fixedZ));
await writePng(out, await toImageGrid(samples, { columns: 8 }));
console.log(`samples: ${out}`);
tf.dispose([samples, fixedZ]);
await batches.close();
