#!/usr/bin/env node
// bench/augment/_data_floor.mjs: the MNIST FID that real training digits themselves score against the 10k test digits:
// the 1,000-digit subsets bench/augment trains on (data.limit's seeded class-balanced subset) and, for scale, 5,000
// digits of the full training set. A generator that reproduced its 1,000 training digits exactly would score about the
// subset's FID, so the gap between it and a trained generator's FID is what the model (not the data) loses.
// Not run by `pnpm bench` (the leading _): `node bench/augment/_data_floor.mjs`. Writes bench/results/augment-data-floor.md.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@gankit/backend-wasm';
import { balancedSubset } from '@gankit/data';
import { mnist } from '@gankit/data/node';
import { mnistFid } from './_shared.mjs';

const here = dirname(fileURLToPath(import.meta.url));
await initBackend({ backend: 'wasm', threads: 1 });
const train = await mnist({ split: 'train' });
/** The uint8 pixels of the given training digits, concatenated. */
const pixels = (indices) => {
  const out = new Uint8Array(indices.length * 784);
  indices.forEach((k, i) => out.set(train.images.subarray(k * 784, (k + 1) * 784), i * 784));
  return out;
};
const rows = [];
for (const seed of [0, 1]) rows.push([`the 1,000-digit training subset of seed ${seed} (data.limit 1000)`, await mnistFid(pixels(Array.from(balancedSubset(train.labels, 1000, seed))))]);
rows.push(['5,000 digits of the full training set (balanced subset, seed 0)', await mnistFid(pixels(Array.from(balancedSubset(train.labels, 5000, 0))))]);
const lines = [
  '## augment, data floor: MNIST FID of real training digits against the 10k test digits',
  '',
  '`node bench/augment/_data_floor.mjs` (not part of `pnpm bench`): the FID a generator would score if it reproduced these training digits exactly (gankit\'s bundled MNIST classifier, as bench/augment scores its samples; FID has a small-sample bias, so 1,000 images read higher than 5,000 of the same distribution). Lower is better.',
  '',
  '| images | MNIST FID vs the 10k test digits |',
  '| --- | ---: |',
  ...rows.map(([what, fid]) => `| ${what} | ${fid.toFixed(2)} |`),
  '',
  `1-min load at the end: ${loadavg()[0].toFixed(1)}.`,
  '',
];
writeFileSync(join(here, '..', 'results', 'augment-data-floor.md'), lines.join('\n'));
console.log(lines.join('\n'));
