#!/usr/bin/env node
// One measured run for bench/memory (the leading _ keeps `pnpm bench` from running it as a bench of its own): trains a shipped preset for a few steps with gankit's trainer and prints the
// process's peak RSS after each step (process.resourceUsage().maxRSS) as one JSON line.
// Usage: node _gankit_step.mjs '<json spec>'  spec: {preset, steps, backend, threads, batchSize?, nCritic?, dataPath?}
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, train } from '@gankit/trainer';

const spec = JSON.parse(process.argv[2] ?? '{}');
const mb = () => process.resourceUsage().maxRSS / 1024;
const config = await resolveConfig({ preset: spec.preset }, {
  steps: spec.steps,
  backend: spec.backend,
  threads: spec.threads,
  ...(spec.batchSize !== undefined && { batchSize: spec.batchSize }),
});
if (spec.nCritic !== undefined) config.training.nCritic = spec.nCritic;
if (spec.dataPath !== undefined) config.data.path = spec.dataPath;
Object.assign(config.logging, { logEvery: 1, sampleEvery: 1e9, checkpointEvery: 1e9, evalEvery: 0, metric: 'none', report: false, tensorboard: false });
const out = mkdtempSync(join(tmpdir(), 'gankit-bench-memory-'));
const perStep = [];
let before;
try {
  await train(config, {
    out: join(out, 'run'),
    force: true,
    onProgress: () => {
      perStep.push(Math.round(mb()));
    },
    reporter: { info: () => (before ??= Math.round(mb())), progress: () => undefined },
  });
} finally {
  rmSync(out, { recursive: true, force: true });
}
console.log(JSON.stringify({ preset: spec.preset, batchSize: config.training.batchSize, nCritic: config.training.nCritic, startMB: before, perStepMB: perStep }));
