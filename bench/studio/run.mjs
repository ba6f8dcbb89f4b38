#!/usr/bin/env node
// Training speed in a browser tab against gankit-train in Node, same model, batch, data and thread count: the built
// studio (apps/studio/dist/site) served on 127.0.0.1 with COOP/COEP, Debian's headless Chromium, wasm with gankit's
// kernels; gankit-train (apps/trainer/dist/cli.js) with --backend wasm --threads T. Both report images/s after warm-up
// (Node: the mean of metrics.jsonl's images_per_sec after step 10; the page: its mean over the steps after the 5th).
// Writes bench/results/studio.md. Needs `pnpm build` first (pnpm bench does it).
// Usage: node bench/studio/run.mjs [--steps 60] [--width 32] [--batch 64] [--threads 2]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { serveStudio } from '@gankit/studio';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { values } = parseArgs({ options: { steps: { type: 'string', default: '60' }, width: { type: 'string', default: '32' }, batch: { type: 'string', default: '64' }, threads: { type: 'string', default: '2' } } });
const [steps, width, batch, threads] = [values.steps, values.width, values.batch, values.threads].map(Number);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const loadBefore = load();
const work = mkdtempSync(join(tmpdir(), 'gankit-bench-studio-'));

// Node: gankit-train, the DCGAN preset at the same width/batch, no EMA, no evaluation, samples only at the end.
const config = join(work, 'node.json');
writeFileSync(
  config,
  JSON.stringify({
    extends: 'mnist-dcgan',
    data: { source: 'mnist', limit: 6000 },
    model: { architecture: 'dcgan', width },
    training: { steps, batchSize: batch, emaDecay: 0 },
    logging: { logEvery: 10, sampleEvery: steps, checkpointEvery: steps, keepLast: 1, metric: 'none', evalEvery: 0 },
  }),
);
execFileSync(process.execPath, [join(root, 'apps/trainer/dist/cli.js'), '--config', config, '--out', join(work, 'run'), '--backend', 'wasm', '--threads', String(threads)], { stdio: 'ignore' });
const records = readFileSync(join(work, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const warm = records.filter((r) => r.step > 10 && typeof r.images_per_sec === 'number');
const nodeRate = warm.reduce((s, r) => s + r.images_per_sec, 0) / warm.length;

// The page: same settings in the Train view, wasm with `threads` threads.
const server = await serveStudio({ port: 0, root: join(root, 'apps/studio/dist/site') });
const profile = mkdtempSync(join(tmpdir(), 'gankit-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let pageRate;
let engine;
try {
  const page = await context.newPage();
  await page.goto(`${server.url}?view=train&engine=wasm&threads=${threads}`);
  await page.waitForSelector('body[data-ready=true]');
  engine = await page.textContent('#engine');
  for (const [id, v] of [['steps', steps], ['batch', batch], ['width', width], ['sample-every', steps], ['checkpoint-every', steps]]) await page.fill(`#${id}`, String(v));
  await page.click('#new-run');
  await page.waitForSelector('#train:not([disabled])');
  await page.click('#train');
  await page.waitForSelector('#train-status[data-done=true]', { timeout: 900_000 });
  pageRate = Number(await page.getAttribute('#train-status', 'data-mean-images-per-second'));
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
const chromiumVersion = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim();
const table = `## studio: training in a browser tab vs gankit-train in Node

${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, ${chromiumVersion} headless; page: ${engine}.
DCGAN (mnist-dcgan preset, width ${width}), batch ${batch}, ${steps} steps on MNIST (the page's bundled 6,000-digit subset; Node: the first
6,000 train digits), no EMA, wasm with gankit's kernels on ${threads} threads in both. images/s after warm-up (Node: mean of
metrics.jsonl's images_per_sec after step 10; page: mean after its 5th step). Load average before / after: ${loadBefore} / ${load()}.

| where | engine | threads | images/s | page / Node |
|---|---|---:|---:|---:|
| gankit-train (Node) | wasm + gankit kernels, worker_threads | ${threads} | ${nodeRate.toFixed(1)} | 1.00× |
| studio page (Chromium) | wasm + gankit kernels, Web Workers | ${threads} | ${pageRate.toFixed(1)} | ${(pageRate / nodeRate).toFixed(2)}× |

Command: \`node bench/studio/run.mjs --steps ${steps} --width ${width} --batch ${batch} --threads ${threads}\` (${new Date().toISOString()}).
`;
writeFileSync(join(here, '..', 'results', 'studio.md'), table);
console.log(table);
