#!/usr/bin/env node
// bench/augment/_curve.mjs (the leading _ keeps `pnpm bench` from running it): one bench/augment run with its
// curves, for choosing the bench's setup. It trains one variant of the bench (the mnist-1k-diffaug / mnist-1k-ada presets, as run.mjs configures them, EMA as in the preset) with
// gankit-train on wasm (1 conv thread) and prints, every X_EVAL steps, the MNIST FID of X_EVALN samples of the (EMA)
// generator against the 10k test digits (fewer samples than the bench's 5k, so these FIDs read higher), and at the end
// r_t = E[sign(D(x_real))] averaged over windows of 500 steps and ADA's p every 500 steps. Appends that summary line to
// /tmp/augx/summary.txt. Needs `pnpm build` first.
// Env: X_VARIANT none|diffaugment|ada (default none), X_STEPS (4000), X_SEED (0), X_LIMIT (1000; 60000 = the full
// training set), X_EVAL (1000), X_EVALN (2000), X_PATCH (JSON merged into the config; null deletes a key), X_TAG,
// X_RESULTS (a file name: the run also appends its row to bench/results/X_RESULTS, writing the table's header first).
// Example: X_VARIANT=diffaugment X_STEPS=6000 node bench/augment/_curve.mjs
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig, train } from '@gankit/trainer';

const variant = process.env.X_VARIANT ?? 'none';
const steps = Number(process.env.X_STEPS ?? 4000);
const seed = Number(process.env.X_SEED ?? 0);
const limit = Number(process.env.X_LIMIT ?? 1000);
const evalEvery = Number(process.env.X_EVAL ?? 1000);
const evalN = Number(process.env.X_EVALN ?? 2000);
const patch = JSON.parse(process.env.X_PATCH ?? '{}');
const tag = process.env.X_TAG ?? `${variant}-${limit}-${seed}`;
const merge = (a, b) => {
  for (const [k, v] of Object.entries(b)) {
    if (v === null) delete a[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof a[k] === 'object') merge(a[k], v);
    else a[k] = v;
  }
  return a;
};
const config = await resolveConfig({ preset: variant === 'ada' ? 'mnist-1k-ada' : 'mnist-1k-diffaug' }, { steps, seed, backend: 'wasm', threads: 1 });
if (variant === 'none') delete config.augment;
if (limit >= 60000) delete config.data.limit;
else config.data.limit = limit;
config.data.limitSeed = seed;
Object.assign(config.logging, { metric: 'mnist-fid', evalEvery, evalSamples: evalN, tensorboard: false, report: false, sampleEvery: steps, checkpointEvery: steps, logEvery: 50 });
merge(config, patch);
const out = join('/tmp/augx', tag);
rmSync(out, { recursive: true, force: true });
mkdirSync('/tmp/augx', { recursive: true });
const t0 = performance.now();
let last = t0;
await train(config, {
  out,
  onProgress: (e) => {
    if (e.step % 500 === 0 || e.values.eval_mnist_fid !== undefined) {
      const now = performance.now();
      console.log(`${tag} step ${e.step} ${((now - last) / 1000).toFixed(0)}s d ${e.dLoss.toFixed(3)} g ${e.gLoss.toFixed(3)} rt ${e.values.d_real_sign?.toFixed(3)} p ${e.values.ada_p?.toFixed(3) ?? '-'}${e.values.eval_mnist_fid === undefined ? '' : ` FID ${e.values.eval_mnist_fid.toFixed(2)}`}`);
      last = now;
    }
  },
});
const recs = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const fids = recs.filter((r) => r.eval_mnist_fid !== undefined).map((r) => `${r.step}:${r.eval_mnist_fid.toFixed(1)}`);
// r_t over windows of 500 steps
const rt = [];
for (let s = 0; s < steps; s += 500) {
  const w = recs.filter((r) => r.step > s && r.step <= s + 500 && r.d_real_sign !== undefined);
  rt.push((w.reduce((a, r) => a + r.d_real_sign, 0) / Math.max(1, w.length)).toFixed(2));
}
const line = `${tag} ${JSON.stringify(patch)} ${((performance.now() - t0) / 1000).toFixed(0)}s FID ${fids.join(' ')} | rt/500 ${rt.join(' ')} | p ${recs.filter((r) => r.ada_p !== undefined).filter((_, i) => i % 10 === 9).map((r) => r.ada_p.toFixed(2)).join(' ')}`;
console.log(line);
writeFileSync('/tmp/augx/summary.txt', `${line}\n`, { flag: 'a' });
if (process.env.X_RESULTS) {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', process.env.X_RESULTS);
  const pEvery = recs.filter((r) => r.ada_p !== undefined).filter((r) => r.step % 500 === 0).map((r) => r.ada_p.toFixed(2));
  const header = [
    `## augment, single runs with curves (\`bench/augment/_curve.mjs\`, not part of \`pnpm bench\`)`,
    '',
    `Each row: \`X_VARIANT=… X_LIMIT=… X_STEPS=… X_EVALN=… X_PATCH='…' X_RESULTS=${process.env.X_RESULTS} node bench/augment/_curve.mjs\` — gankit-train on wasm (1 conv thread), the bench's preset with the patch merged in; MNIST FID of X_EVALN EMA samples vs the 10k test digits every X_EVAL steps; r_t = E[sign(D(x_real))] averaged over each 500 steps; ADA's p at every 500th step.`,
    '',
    '| run | patch | FID by step | r_t per 500 steps | ADA p per 500 steps | seconds | 1-min load at the end |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const row = `| ${tag} (${steps} steps, ${evalN} samples) | \`${JSON.stringify(patch)}\` | ${fids.join(' ')} | ${rt.join(' ')} | ${pEvery.join(' ') || 'n/a'} | ${((performance.now() - t0) / 1000).toFixed(0)} | ${loadavg()[0].toFixed(1)} |`;
  writeFileSync(file, `${existsSync(file) ? '' : `${header.join('\n')}\n`}${row}\n`, { flag: 'a' });
}
