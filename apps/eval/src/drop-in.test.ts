// gankit-eval as a pytorch-fid drop-in, seeded subsets, sharded statistics, the new metrics on the command line and
// `sample`, all through the built CLI as child processes on real files (MNIST extractor, tiny images).
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@gankit/backend-wasm';
import { fileSystem } from '@gankit/core/node';
import { imageFolder, idxSource, mnist, npySource } from '@gankit/data/node';
import { frechetDistance } from '@gankit/metrics';
import { loadStatsNpz, saveStatsNpz } from '@gankit/metrics/node';
import { createGan } from '@gankit/models';
import { buildPackage, referencePython, repoPath, runNode, type ProcessResult } from '../../../testing/cli-process';

const cli = repoPath('apps', 'eval', 'dist', 'cli.js');
const python = referencePython(['numpy']);
const torchvision = referencePython(['torch', 'torchvision', 'PIL']);
if (!python) console.warn('SKIPPED parts of the gankit-eval drop-in tests: /usr/bin/python3 with numpy is not available');
if (!torchvision) console.warn('SKIPPED reading `sample` output with torchvision: /usr/bin/python3 with torchvision is not available');
let work: string;

interface Report {
  metrics: { metric: string; value: number; std?: number }[];
  n_real: number | null;
  n_fake: number | null;
  warnings: string[];
  seed: number;
  subsets: { input: string; count: number; of: number | null; seed: number | null; shard?: string; class_counts?: number[] }[];
  output?: string;
}

function evalCli(args: string[]): Promise<ProcessResult> {
  return runNode(cli, [...args, '--no-progress'], { env: { ...process.env, GANKIT_INCEPTION_WEIGHTS: '', GANKIT_CACHE_DIR: join(work, 'cache') } });
}

async function evalJson(args: string[]): Promise<Report> {
  const result = await evalCli([...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Report;
}

function metric(report: Report, name: string): number {
  const row = report.metrics.find((m) => m.metric === name);
  if (!row) throw new Error(`no ${name} in ${JSON.stringify(report.metrics)}`);
  return row.value;
}

function py(code: string, ...args: string[]): string {
  const r = spawnSync(python as string, ['-c', code, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** A pytorch-fid-style mixed folder: PNG, BMP, TIFF, PPM, PGM at the top, more PNGs in a subfolder, and a text file. */
async function writeMixedFolder(dir: string): Promise<void> {
  const test = await mnist({ split: 'test' });
  await mkdir(join(dir, 'sub'), { recursive: true });
  const gray = (i: number): Buffer => Buffer.from(test.images.subarray(i * 784, (i + 1) * 784));
  const rgb = (i: number): Buffer => {
    const out = Buffer.alloc(784 * 3);
    for (let p = 0; p < 784; p++) for (let c = 0; c < 3; c++) out[p * 3 + c] = test.images[i * 784 + p]!;
    return out;
  };
  for (let i = 0; i < 60; i++) {
    const name = String(i).padStart(3, '0');
    const kind = i % 5;
    if (kind === 0) await sharp(rgb(i), { raw: { width: 28, height: 28, channels: 3 } }).png().toFile(join(dir, `${name}.png`));
    else if (kind === 1) await sharp(rgb(i), { raw: { width: 28, height: 28, channels: 3 } }).tiff({ compression: 'lzw' }).toFile(join(dir, `${name}.tif`));
    else if (kind === 2) await writeFile(join(dir, `${name}.ppm`), Buffer.concat([Buffer.from('P6\n28 28\n255\n'), rgb(i)]));
    else if (kind === 3) await writeFile(join(dir, `${name}.pgm`), Buffer.concat([Buffer.from('P5\n28 28\n255\n'), gray(i)]));
    else await writeFile(join(dir, `${name}.bmp`), bmp24(rgb(i), 28, 28));
  }
  for (let i = 60; i < 70; i++) await sharp(rgb(i), { raw: { width: 28, height: 28, channels: 3 } }).png().toFile(join(dir, 'sub', `${i}.png`));
  await writeFile(join(dir, 'README.txt'), 'not an image');
}

/** A 24-bit bottom-up BMP of RGB pixels. */
function bmp24(rgb: Buffer, w: number, h: number): Buffer {
  const rowBytes = Math.ceil((w * 3) / 4) * 4;
  const out = Buffer.alloc(54 + rowBytes * h);
  out.write('BM', 0);
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(w, 18);
  out.writeInt32LE(h, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(rowBytes * h, 34);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const d = 54 + (h - 1 - y) * rowBytes + x * 3;
      out[d] = rgb[s + 2]!;
      out[d + 1] = rgb[s + 1]!;
      out[d + 2] = rgb[s]!;
    }
  }
  return out;
}

beforeAll(async () => {
  await buildPackage('@gankit/eval');
  work = await mkdtemp(join(tmpdir(), 'gankit-eval-dropin-'));
  await writeMixedFolder(join(work, 'mixed'));
  await initBackend({ backend: 'cpu' });
  const gan = createGan({ architecture: 'cgan', imageShape: [28, 28, 1], latentDim: 8, numClasses: 10, seed: 4 });
  await gan.generator.save(fileSystem(join(work, 'cgan')));
  gan.generator.dispose();
  gan.discriminator.dispose();
}, 300_000);

describe('pytorch-fid drop-in', () => {
  it.runIf(python)('counts a folder as pytorch-fid does (top level, its extension list); --recursive opts into subfolders', async () => {
    // pytorch-fid's own file search, in Python
    const expected = Number(py('import pathlib, sys; E = {"bmp","jpg","jpeg","pgm","png","ppm","tif","tiff","webp"}; p = pathlib.Path(sys.argv[1]); print(len(sorted([f for e in E for f in p.glob("*.{}".format(e))])))', join(work, 'mixed')));
    expect(expected).toBe(60);
    const top = await evalJson(['stats', join(work, 'mixed'), '--extractor', 'mnist', '--out', join(work, 'mixed-top.npz')]);
    expect(top.n_real).toBe(expected);
    const recursive = await evalJson(['stats', join(work, 'mixed'), '--extractor', 'mnist', '--out', join(work, 'mixed-all.npz'), '--recursive']);
    expect(recursive.n_real).toBe(70);
  });

  it.runIf(python)('`fid --save-stats A OUT` writes what pytorch-fid writes (NumPy: mu, sigma float64), refuses an existing OUT; --format pytorch-fid prints `FID:  <value>`', async () => {
    const out = join(work, 'saved.npz');
    const saved = await evalCli(['fid', '--save-stats', join(work, 'mixed'), out, '--extractor', 'mnist', '--batch-size', '16', '--num-workers', '2', '--device', 'cpu']);
    expect(saved.code, saved.stderr).toBe(0);
    const arrays = JSON.parse(py('import numpy as np, json, sys; f = np.load(sys.argv[1]); print(json.dumps({k: [str(f[k].dtype), list(f[k].shape)] for k in f.files}))', out)) as Record<string, [string, number[]]>;
    expect(arrays).toEqual({ mu: ['float64', [128]], sigma: ['float64', [128, 128]] });
    const again = await evalCli(['fid', '--save-stats', join(work, 'mixed'), out, '--extractor', 'mnist']);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toMatch(/^gankit-eval: error: the --save-stats output .*saved\.npz already exists/);
    const statsArgs = ['stats', join(work, 'mixed'), '--extractor', 'mnist', '--out', join(work, 'twice.npz')];
    expect((await evalCli(statsArgs)).code).toBe(0);
    const stats = await evalCli(statsArgs);
    expect(stats.code).toBe(1);
    expect(stats.stderr).toMatch(/already exists: choose another path or pass --force/);

    const line = await evalCli(['fid', out, 'mnist:test', '--extractor', 'mnist', '--num', '300', '--format', 'pytorch-fid']);
    expect(line.code, line.stderr).toBe(0);
    expect(line.stdout).toMatch(/^FID: {2}\d+\.\d+\n$/);
    const json = await evalJson(['fid', out, 'mnist:test', '--extractor', 'mnist', '--num', '300']);
    expect(Number(line.stdout.slice(5))).toBe(metric(json, 'FID'));
  });
});

describe('precomputed features (npz `features` [N, d])', () => {
  it.runIf(python)('FID of two features files equals SciPy\'s pytorch-fid formula; --num takes a seeded subset; IS is refused', async () => {
    const a = join(work, 'feat-a.npz');
    const b = join(work, 'feat-b.npz');
    const expected = Number(
      py(
        [
          'import numpy as np, sys',
          'from scipy import linalg',
          'rng = np.random.default_rng(3)',
          'x = rng.normal(size=(400, 12)).astype(np.float32); y = (rng.normal(size=(300, 12)) * 1.3 + 0.4).astype(np.float32)',
          'np.savez(sys.argv[1], features=x, labels=np.arange(400) % 4); np.savez(sys.argv[2], features=y)',
          'x = x.astype(np.float64); y = y.astype(np.float64)',
          's1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False); d = x.mean(0) - y.mean(0)',
          'print(d @ d + np.trace(s1) + np.trace(s2) - 2 * np.trace(linalg.sqrtm(s1 @ s2).real))',
        ].join('\n'),
        a,
        b,
      ),
    );
    const fid = await evalJson(['fid', a, b]);
    expect(Math.abs(metric(fid, 'FID') - expected) / expected).toBeLessThan(1e-6);
    expect(fid.n_real).toBe(400);
    const sub = await evalJson(['dc', a, b, '--num', '200', '--seed', '2']);
    expect(sub.subsets[0]).toEqual(expect.objectContaining({ count: 200, of: 400, seed: 2 }));
    expect(sub.subsets[0]!.class_counts!.reduce((x, y) => x + y, 0)).toBe(200);
    const is = await evalCli(['all', a, b]);
    expect(is.code).toBe(2);
    expect(is.stderr.trim()).toMatch(/Inception Score needs class logits/);
  });
});

describe('seeded random subsets', () => {
  it('--num 1000 of the class-sorted fashion-mnist:test covers all 10 classes; the same seed gives the same subset, the seed is in the JSON', async () => {
    const a = await evalJson(['stats', 'fashion-mnist:test', '--num', '1000', '--seed', '5', '--extractor', 'mnist', '--out', join(work, 'f5a.npz')]);
    const b = await evalJson(['stats', 'fashion-mnist:test', '--num', '1000', '--seed', '5', '--extractor', 'mnist', '--out', join(work, 'f5b.npz')]);
    const c = await evalJson(['stats', 'fashion-mnist:test', '--num', '1000', '--seed', '6', '--extractor', 'mnist', '--out', join(work, 'f6.npz')]);
    expect(a.seed).toBe(5);
    expect(a.subsets).toEqual([expect.objectContaining({ input: 'fashion-mnist:test', count: 1000, of: 10000, seed: 5 })]);
    const counts = a.subsets[0]!.class_counts!;
    expect(counts).toHaveLength(10);
    expect(counts.every((n) => n >= 60)).toBe(true); // 100 expected per class; the first 1,000 would be 1,000 of class 0
    expect(counts.reduce((x, y) => x + y, 0)).toBe(1000);
    expect(b.subsets[0]!.class_counts).toEqual(counts);
    expect(await readFile(join(work, 'f5b.npz'))).toEqual(await readFile(join(work, 'f5a.npz')));
    expect(c.subsets[0]!.class_counts).not.toEqual(counts);
  });
});

describe('sharded statistics', () => {
  it('4 shards in 4 processes, merged, equal the single run (Σ ≤ 1e-14, FID ≤ 1e-12 relative)', async () => {
    const base = ['stats', 'mnist:test', '--num', '2000', '--seed', '1', '--extractor', 'mnist'];
    const shards = await Promise.all([0, 1, 2, 3].map((k) => evalJson([...base, '--shard', `${k}/4`, '--out', join(work, `shard${k}.npz`)])));
    expect(shards.map((s) => s.n_real)).toEqual([500, 500, 500, 500]);
    expect(shards[2]!.subsets[0]!.shard).toBe('2/4');
    const merged = await evalJson(['merge-stats', ...[0, 1, 2, 3].map((k) => join(work, `shard${k}.npz`)), '--out', join(work, 'merged.npz')]);
    expect(merged.n_real).toBe(2000);
    await evalJson([...base, '--out', join(work, 'single.npz')]);
    const [m, s] = await Promise.all([loadStatsNpz(join(work, 'merged.npz')), loadStatsNpz(join(work, 'single.npz'))]);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < s.sigma.length; i++) {
      worst = Math.max(worst, Math.abs(m.sigma[i]! - s.sigma[i]!));
      scale = Math.max(scale, Math.abs(s.sigma[i]!));
    }
    expect(worst / scale).toBeLessThan(1e-14);
    const ref = await evalJson(['stats', 'fashion-mnist:test', '--num', '2000', '--extractor', 'mnist', '--out', join(work, 'fashion.npz')]);
    expect(ref.n_real).toBe(2000);
    const fashion = await loadStatsNpz(join(work, 'fashion.npz'));
    const [fm, fs] = [await frechetDistance(m, fashion), await frechetDistance(s, fashion)];
    expect(Math.abs(fm - fs) / fs).toBeLessThanOrEqual(1e-12);
    // and through the CLI, as a user would compare them
    const viaCli = await Promise.all(['merged.npz', 'single.npz'].map(async (f) => metric(await evalJson(['fid', join(work, f), join(work, 'fashion.npz')]), 'FID')));
    expect(Math.abs(viaCli[0]! - viaCli[1]!) / viaCli[1]!).toBeLessThanOrEqual(1e-12);
    console.log(`shards: max |ΔΣ|/max |Σ| ${(worst / scale).toExponential(2)}; FID merged ${fm} vs single ${fs} (rel ${(Math.abs(fm - fs) / fs).toExponential(2)})`);
    // a plain pytorch-fid file has no co-moment: refused with one line
    await saveStatsNpz(join(work, 'plain.npz'), { mu: s.mu, sigma: s.sigma });
    const plain = await evalCli(['merge-stats', join(work, 'plain.npz'), join(work, 'shard0.npz'), '--out', join(work, 'bad.npz')]);
    expect(plain.code).toBe(1);
    expect(plain.stderr.trim()).toMatch(/plain\.npz has no count and co-moment/);
  });
});

describe('reference statistics cache (on by default)', () => {
  it('computes the real side of `fid mnist:test GEN` once: the second run reads it from the cache, same FID', async () => {
    const args = ['fid', 'mnist:test', join(work, 'cgan'), '--extractor', 'mnist', '--num', '300', '--seed', '9'];
    const first = (await evalJson(args)) as Report & { notes?: string[] };
    const second = (await evalJson(args)) as Report & { notes?: string[] };
    expect(first.notes ?? []).toEqual([]);
    expect(second.notes).toEqual([expect.stringMatching(/reference statistics of mnist:test read from the cache/)]);
    expect(metric(second, 'FID')).toBe(metric(first, 'FID'));
    // another subset seed is another reference: computed, not read
    const other = (await evalJson([...args.slice(0, -1), '10'])) as Report & { notes?: string[] };
    expect(other.notes ?? []).toEqual([]);
    const off = (await evalJson([...args, '--no-cache'])) as Report & { notes?: string[] };
    expect(off.notes ?? []).toEqual([]);
  });
});

describe('KID subset size', () => {
  it('shrinks the default subset size with a warning, and names --kid-subset-size before any feature pass when it is too large', async () => {
    const all = await evalJson(['all', 'mnist:test', 'mnist:train', '--extractor', 'mnist', '--num', '300', '--kid-subsets', '5']);
    expect(all.warnings.some((w) => w.includes('--kid-subset-size'))).toBe(true);
    expect(all.metrics.map((m) => m.metric)).toEqual(['FID', 'IS', 'KID', 'precision', 'recall', 'density', 'coverage']);
    const start = performance.now();
    const bad = await evalCli(['kid', 'mnist:test', 'mnist:train', '--extractor', 'mnist', '--num', '300', '--kid-subset-size', '500']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^gankit-eval: error: --kid-subset-size 500 is larger than the 300 images per side/);
    // refused before the feature pass: no slower than starting the CLI and reading the dataset
    expect(performance.now() - start).toBeLessThan(20_000);
  });
});

describe('new metrics on the command line', () => {
  it('density/coverage of a set against itself is coverage 1; intra-FID of labelled sets reports every class', async () => {
    const dc = await evalJson(['dc', 'mnist:test', 'mnist:test', '--extractor', 'mnist', '--num', '300']);
    expect(metric(dc, 'coverage')).toBe(1);
    expect(metric(dc, 'density')).toBeGreaterThan(0.5);
    const intra = await evalJson(['intra-fid', 'mnist:test', join(work, 'cgan'), '--extractor', 'mnist', '--num', '400']);
    const perClass = intra.metrics.filter((m) => m.metric.startsWith('FID class '));
    expect(perClass).toHaveLength(10);
    expect(metric(intra, 'intra-FID')).toBeCloseTo(perClass.reduce((s, m) => s + m.value, 0) / 10, 9);
  });

  it('PPL of a generator is positive, reproducible with --seed, and says which distance it used', async () => {
    const args = ['ppl', join(work, 'cgan'), '--extractor', 'mnist', '--num', '48'];
    const a = await evalCli(args);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/^PPL\s+\d/m);
    expect(a.stdout).toMatch(/not LPIPS-VGG/);
    const [x, y] = await Promise.all([evalJson(args), evalJson(args)]);
    expect(metric(x, 'PPL')).toBe(metric(y, 'PPL'));
    expect(metric(x, 'PPL')).toBeGreaterThan(0);
  });

  it('CAS of real-vs-real is within noise of the same classifier trained on real data', async () => {
    // "generated" = other real training digits (indices 50,000+), in class subfolders
    const train = await mnist({ split: 'train' });
    const fake = join(work, 'real-as-fake');
    for (let c = 0; c < 10; c++) await mkdir(join(fake, String(c)), { recursive: true });
    for (let i = 50_000; i < 51_000; i++) {
      await sharp(Buffer.from(train.images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toFile(join(fake, String(train.labels![i]), `${i}.png`));
    }
    const cas = await evalJson(['cas', 'mnist:train', 'mnist:test', fake]);
    const casValue = metric(cas, 'CAS');
    const real = cas.metrics.find((m) => m.metric === 'real accuracy')!;
    expect(cas.n_fake).toBe(1000);
    expect(cas.n_real).toBe(1000);
    expect(real.value).toBeGreaterThan(0.7);
    // bound: 3σ of the difference of two test accuracies (binomial), plus 0.02 for the two different training sets
    console.log(`CAS real-vs-real ${casValue} vs real-data accuracy ${real.value} ± ${real.std}`);
    expect(Math.abs(casValue - real.value)).toBeLessThanOrEqual(3 * Math.SQRT2 * real.std! + 0.02);
    // a random generator's samples teach nothing: far below
    const bad = await evalJson(['cas', 'mnist:train', 'mnist:test', join(work, 'cgan'), '--num', '1000']);
    expect(metric(bad, 'CAS')).toBeLessThan(real.value - 0.3);
  });
});

describe('gankit-eval sample', () => {
  it('writes PNG class folders that @gankit/data and torchvision read back with the same count and labels; refuses a non-empty DIR', async () => {
    const out = join(work, 'samples-png');
    const r = await evalJson(['sample', join(work, 'cgan'), '--num', '60', '--out', out, '--seed', '3']);
    expect(r.n_fake).toBe(60);
    const npzDir = join(work, 'samples-npz');
    await evalJson(['sample', join(work, 'cgan'), '--num', '60', '--out', npzDir, '--format', 'npz', '--seed', '3']);
    const npz = await npySource(join(npzDir, 'samples.npz'));
    const folder = await imageFolder(out);
    expect(folder.length).toBe(60);
    expect(folder.numClasses).toBe(10);
    expect(npz.length).toBe(60);
    // same seed, same samples: the PNG of sample i holds npz image i, in the folder of npz label i
    const byName = new Map(folder.files.map((f, i) => [f.slice(f.lastIndexOf('/') + 1), i]));
    for (let i = 0; i < 60; i++) {
      const j = byName.get(`${String(i).padStart(2, '0')}.png`)!;
      expect(folder.fileLabels[j]).toBe(npz.labels![i]);
      expect(Buffer.from((await folder.get(j))!.image).equals(Buffer.from(npz.get(i).image))).toBe(true);
    }
    const idxDir = join(work, 'samples-idx');
    await evalJson(['sample', join(work, 'cgan'), '--num', '60', '--out', idxDir, '--format', 'idx', '--seed', '3']);
    const idx = await idxSource(join(idxDir, 'samples-images-idx3-ubyte'), { labels: join(idxDir, 'samples-labels-idx1-ubyte') });
    expect(Array.from(idx.labels!)).toEqual(Array.from(npz.labels!));
    expect(Buffer.from(idx.images).equals(Buffer.from(npz.images))).toBe(true);
    // gankit-eval reads its own output back as an input (labels included)
    const back = await evalJson(['intra-fid', join(npzDir, 'samples.npz'), join(idxDir, 'samples-images-idx3-ubyte'), '--extractor', 'mnist']);
    expect(metric(back, 'intra-FID')).toBeCloseTo(0, 6);

    const refused = await evalCli(['sample', join(work, 'cgan'), '--num', '5', '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/--out .* is not empty .* pass --force/);
    expect((await imageFolder(out)).length).toBe(60);
    const forced = await evalJson(['sample', join(work, 'cgan'), '--num', '20', '--out', out, '--force', '--labels', 'uniform', '--truncation', '1']);
    expect(forced.n_fake).toBe(20);
    expect((await imageFolder(out)).length).toBe(20);

    if (torchvision) {
      const check = join(work, 'samples-png-check');
      await evalJson(['sample', join(work, 'cgan'), '--num', '60', '--out', check, '--seed', '3']);
      const tv = spawnSync(torchvision, ['-c', 'import json, sys, torchvision; d = torchvision.datasets.ImageFolder(sys.argv[1]); print(json.dumps({"n": len(d), "classes": d.classes, "names": [p.rsplit("/", 1)[1] for p, _ in d.samples], "targets": d.targets}))', check], { encoding: 'utf8' });
      expect(tv.status, tv.stderr).toBe(0);
      const got = JSON.parse(tv.stdout) as { n: number; classes: string[]; names: string[]; targets: number[] };
      expect(got.n).toBe(60);
      expect(got.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      got.names.forEach((name, k) => expect(got.targets[k]).toBe(npz.labels![Number(name.replace('.png', ''))]));
    }
  });
});
