// gankit in a web page. Bundle it with Vite (`pnpm --filter @gankit/example-browser build`) or esbuild
// (`esbuild main.mjs --bundle --format=esm --platform=browser`), serve it with tfjs-backend-wasm's .wasm files next to
// it (in ./wasm/) and, for threads, the COOP/COEP headers (serve.mjs does both).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { createRng, toImageGrid } from '@gankit/core';
import { initBackend, wasmConfig } from '@gankit/backend-wasm';
import { getLoss } from '@gankit/losses';
import { featureStats, frechetDistance } from '@gankit/metrics';
import { createGan } from '@gankit/models';
import { adam } from '@gankit/optimizers';
import { createGanStep, latentBatch, readScalars } from '@gankit/training';

const WASM_PATHS = new URL('./wasm/', location.href).href;

/** Starts a backend (`wasm` with gankit's kernels, `webgl`, `cpu`) and says what runs. */
export async function useBackend(backend) {
  const info = await initBackend({ backend, wasmPaths: WASM_PATHS });
  const wasm = info.name === 'wasm' ? wasmConfig() : undefined;
  return { name: info.name, threads: info.threads, fma: wasm?.fma, sharedMemory: wasm?.sharedMemory, crossOriginIsolated: self.crossOriginIsolated };
}

/**
 * Trains a small DCGAN for `steps` steps on seeded noise images with @gankit/training's step (a D step with G
 * fixed, then a G step with D fixed); returns the losses and the tensor count after each step.
 */
export async function trainDcgan({ steps = 5, batchSize = 8, seed = 0 } = {}) {
  const rng = createRng(seed);
  const gan = createGan({ architecture: 'dcgan', imageShape: [28, 28, 1], latentDim: 16, width: 8, seed });
  const [optG, optD] = [adam({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999 }), adam({ learningRate: 2e-4, beta1: 0.5, beta2: 0.999 })];
  const step = createGanStep({ generator: gan.generator, discriminator: gan.discriminator, loss: getLoss('standard'), generatorOptimizer: optG, discriminatorOptimizer: optD, rng: createRng(seed + 1) });
  const real = tf.tensor4d(Float32Array.from({ length: batchSize * 784 }, () => rng.uniform() * 2 - 1), [batchSize, 28, 28, 1]);
  const out = { dLoss: [], gLoss: [], tensors: [] };
  for (let i = 0; i < steps; i++) {
    const { d_loss, g_loss } = await readScalars(await step.step({ images: real }));
    out.dLoss.push(d_loss);
    out.gLoss.push(g_loss);
    out.tensors.push(tf.memory().numTensors);
  }
  const samples = tf.tidy(() => gan.generator.predict(latentBatch(rng, 16, gan.latentDim)));
  showGrid(await toImageGrid(samples, { columns: 4 }));
  tf.dispose([samples, real]);
  optG.dispose();
  optD.dispose();
  gan.generator.dispose();
  gan.discriminator.dispose();
  return out;
}

/** Runs a generator saved by gankit-train (its `generator/` folder) on fixed inputs: `[{ values, shape, dtype }]`. */
export async function runGenerator(modelUrl, inputs) {
  const model = await tfl.loadLayersModel(modelUrl);
  const output = tf.tidy(() => model.predict(inputs.map((x) => tf.tensor(x.values, x.shape, x.dtype ?? 'float32'))));
  const values = Array.from(await output.data());
  tf.dispose(output);
  model.dispose();
  return values;
}

/**
 * Builds a discriminator with `createGan(ganOptions)` and loads its weights from a gankit-train checkpoint
 * (`checkpoints/step-N/discriminator.json` + `.bin`, a TF.js weights manifest holding the model's weights in order),
 * then scores `images`.
 */
export async function runCheckpointDiscriminator(checkpointUrl, ganOptions, images) {
  const { discriminator, generator } = createGan(ganOptions);
  const manifest = await (await fetch(`${checkpointUrl}/discriminator.json`)).json();
  const weights = await tf.io.loadWeights(manifest.weightsManifest, checkpointUrl);
  const names = manifest.weightsManifest.flatMap((group) => group.weights.map((w) => w.name));
  discriminator.weights.forEach((w, i) => w.write(weights[names[i]]));
  const output = tf.tidy(() => discriminator.predict(tf.tensor(images.values, images.shape)));
  const values = Array.from(await output.data());
  tf.dispose([output, ...Object.values(weights)]);
  discriminator.dispose();
  generator.dispose();
  return values;
}

/** FID between two feature sets (row-major `rows × cols`). */
export async function fid(a, b, rows, cols) {
  const stats = async (values) => featureStats([{ data: Float64Array.from(values), rows, cols }]);
  return frechetDistance(await stats(a), await stats(b));
}

function showGrid(grid) {
  const canvas = document.querySelector('#samples');
  if (!canvas) return;
  canvas.width = grid.width;
  canvas.height = grid.height;
  const rgba = new Uint8ClampedArray(grid.width * grid.height * 4);
  for (let i = 0; i < grid.width * grid.height; i++) rgba.set([grid.data[3 * i], grid.data[3 * i + 1], grid.data[3 * i + 2], 255], 4 * i);
  canvas.getContext('2d').putImageData(new ImageData(rgba, grid.width, grid.height), 0, 0);
}

globalThis.gankitExample = { useBackend, trainDcgan, runGenerator, runCheckpointDiscriminator, fid };

const status = document.querySelector('#status');
if (status && !location.search.includes('manual')) {
  const engine = await useBackend('wasm');
  status.textContent = `engine: ${engine.name}, ${engine.threads} thread(s)${engine.crossOriginIsolated ? '' : ' (not cross-origin isolated: one thread)'}; training…`;
  const { dLoss, gLoss } = await trainDcgan({ steps: 5 });
  status.textContent += ` done: d_loss ${dLoss.at(-1).toFixed(3)}, g_loss ${gLoss.at(-1).toFixed(3)}`;
}
