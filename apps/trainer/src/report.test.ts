import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { toImageGrid } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { decodePng, encodePng } from '@gankit/core/node';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from './config';
import { chartsFor, niceTicks, renderReport, smooth, svgLineChart, type RunInfo } from './report';
import type { MetricsRecord } from './run-folder';
import { train } from './train';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const dirs: string[] = [];

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gankit-report-'));
  dirs.push(dir);
  return dir;
}

async function sampleGrid(seed: number): Promise<Uint8Array> {
  const images = tf.tidy(() => tf.tanh(tf.randomNormal([16, 28, 28, 1], 0, 1.5, 'float32', seed)));
  const grid = await toImageGrid(images, { columns: 4 });
  images.dispose();
  return encodePng(grid);
}

/** Records with every series the trainer logs, plus one evaluation at the last step and a key no group knows. */
function fakeRecords(): MetricsRecord[] {
  return Array.from({ length: 40 }, (_, i) => ({
    step: (i + 1) * 50,
    d_loss: 1.4 - 0.01 * i + 0.05 * Math.sin(i),
    g_loss: 0.7 + 0.02 * i,
    d_real: 0.5 + 0.01 * i,
    d_fake: -0.5 - 0.01 * i,
    d_grad_norm: 20 + Math.cos(i),
    g_grad_norm: 7 + Math.sin(i),
    lr_g: 0.0005,
    lr_d: 0.0005 * (1 - i / 40),
    images_per_sec: 270 + 10 * Math.sin(i),
    something_new: i * i,
    time: 1.7e9 + i,
    ...(i === 39 ? { eval_mnist_fid: 33.76, eval_mnist_is: 5.95 } : {}),
  }));
}

const runInfo: RunInfo = {
  started: '2026-12-01T09:00:00.000Z',
  elapsedSeconds: 151,
  command: 'gankit-train --preset demo --out runs/demo --force',
  versions: { '@gankit/trainer': '0.1.0', '@tensorflow/tfjs-core': '4.22.0', node: 'v20.20.2' },
  backend: 'wasm (@tensorflow/tfjs-backend-wasm, 2 conv threads)',
  parameters: { generator: 123456, discriminator: 65432 },
  step: 2000,
  totalSteps: 2000,
};

const texts = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1] as string);

describe('report.html charts', () => {
  it('ticks are multiples of 1, 2 or 5 × 10^k that cover the range, with labels free of float noise', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 500; i++) {
      const scale = 10 ** Math.floor(random() * 12 - 6);
      const lo = (random() - 0.5) * 10 * scale;
      const hi = lo + random() * 10 * scale + 1e-12;
      const { ticks, step } = niceTicks(lo, hi);
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(ticks.length).toBeLessThanOrEqual(11);
      expect(ticks[0]).toBeLessThanOrEqual(lo + step * 1e-6);
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(hi - step * 1e-6);
      for (const t of ticks) expect(Math.abs(t / step - Math.round(t / step))).toBeLessThan(1e-6);
    }
    // The axis of a 2,000-step run: what the old report labelled 538 and 1025 is now 0, 500, …, 2,000.
    const svg = svgLineChart('losses', [{ name: 'd_loss', color: '#000', points: Array.from({ length: 40 }, (_, i) => [(i + 1) * 50, Math.sin(i)] as [number, number]) }], { xDomain: [0, 2000] });
    const xs = texts(svg, 'xtick').map((t) => Number(t.replace(/,/g, '')));
    expect(xs[0]).toBe(0);
    expect(xs.at(-1)).toBe(2000);
    for (const x of xs) expect(x % 500 === 0 || x % 200 === 0).toBe(true);
    for (const y of texts(svg, 'ytick')) expect(y).toMatch(/^-?\d+(\.\d{1,3})?$/);
  });

  it('draws a single evaluation as a labelled point on the run’s step axis, not on a 1999–2001 axis', () => {
    const svg = svgLineChart('Evaluation: mnist_fid', [{ name: 'eval_mnist_fid', color: '#1f77b4', points: [[2000, 33.76]] }], { xDomain: [0, 2000] });
    const xs = texts(svg, 'xtick');
    expect(xs).toContain('0');
    expect(xs).toContain('2,000');
    expect(xs).not.toContain('1,999');
    expect(svg).toMatch(/<circle [^>]*r="3.5"/);
    expect(texts(svg, 'point-label')).toEqual(['eval_mnist_fid 33.76 at step 2,000']);
    const ys = texts(svg, 'ytick').map(Number);
    expect(Math.min(...ys)).toBeLessThan(33.76);
    expect(Math.max(...ys)).toBeGreaterThan(33.76);
  });

  it('smoothing is the debiased exponential moving average (TensorBoard’s)', () => {
    const points = fakeRecords().map((r) => [r.step, r.d_loss as number] as [number, number]);
    const w = 0.7;
    const out = smooth(points, w);
    // Written out independently: s_n = Σ_k w^(n-k) (1-w) y_k / (1 - w^(n+1)).
    for (let n = 0; n < points.length; n++) {
      let sum = 0;
      for (let k = 0; k <= n; k++) sum += w ** (n - k) * (1 - w) * points[k]![1];
      expect(out[n]![1]).toBeCloseTo(sum / (1 - w ** (n + 1)), 12);
      expect(out[n]![0]).toBe(points[n]![0]);
    }
  });

  it('charts every logged series exactly once, with the run information and links to the run’s files', () => {
    const records = fakeRecords();
    const charts = chartsFor(records);
    const keys = new Set(records.flatMap((r) => Object.keys(r)).filter((k) => k !== 'step' && k !== 'time'));
    expect(charts.flatMap(([, k]) => k).sort()).toEqual([...keys].sort());
    const html = renderReport({
      title: 'demo',
      config: { a: 1 },
      records,
      samples: [],
      summary: { 'batch size': '32' },
      status: 'finished',
      run: runInfo,
      links: { generator: 'generator/model.json', checkpoints: ['checkpoints/step-2000/'], tensorboard: 'tensorboard/', tensorboardDir: '/runs/demo/tensorboard' },
    });
    for (const k of keys) expect(html).toContain(`data-series="${k}"`);
    for (const title of ['Losses', 'Gradient norms', 'Learning rates', 'Throughput (images/s)', 'Discriminator outputs', 'Evaluation: mnist_fid', 'something_new']) expect(html).toContain(title);
    for (const fact of ['2026-12-01T09:00:00.000Z', '2 min 31 s', runInfo.command, '@tensorflow/tfjs-core 4.22.0', '2 conv threads', 'generator 123,456', 'discriminator 65,432', 'batch size']) {
      expect(html).toContain(fact);
    }
    for (const href of ['generator/model.json', 'checkpoints/step-2000/', 'tensorboard/', 'metrics.jsonl', 'config.json']) expect(html).toContain(`href="${href}"`);
    expect(html).toContain('tensorboard --logdir &#34;/runs/demo/tensorboard&#34;');
    // Self-contained: images inline, links only into the run folder, no network.
    expect(html).not.toMatch(/(src|href)="(?!data:)[a-z]+:/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });
});

/** Serves `dir` on 127.0.0.1 and counts the requests for each path. */
async function serve(dir: string): Promise<{ server: Server; url: string; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    hits.set(path, (hits.get(path) ?? 0) + 1);
    readFile(join(dir, path)).then(
      (body) => res.writeHead(200, { 'content-type': extname(path) === '.html' ? 'text/html' : 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, url: `http://127.0.0.1:${address.port}`, hits };
}

describe('report.html in headless Chromium', () => {
  it('renders every chart, a non-blank page, a working smoothing toggle, and reloads itself only while running', async (ctx) => {
    if (!CHROMIUM) {
      console.warn('SKIPPED the Chromium check: no chromium binary (apt-get install -y chromium)');
      ctx.skip();
      return;
    }
    const dir = await tempDir();
    const records = fakeRecords();
    const samples = [
      { step: 1000, png: await sampleGrid(1) },
      { step: 2000, png: await sampleGrid(2) },
    ];
    const base = { title: 'demo', config: { a: 1 }, records, samples, summary: {}, run: runInfo, reloadSeconds: 1, writtenAt: Date.now() };
    await writeFile(join(dir, 'running.html'), renderReport({ ...base, status: 'running' }));
    await writeFile(join(dir, 'finished.html'), renderReport({ ...base, status: 'finished' }));
    const { server, url, hits } = await serve(dir);
    // A fresh profile folder (playwright passes it as --user-data-dir).
    const browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${url}/finished.html`);
      // Page-side code is passed as strings: the trainer's tsconfig has no DOM types.
      const inPage = async <T>(expression: string) => JSON.parse(await page.evaluate<string>(`JSON.stringify(${expression})`)) as T;
      const boxes = await inPage<{ name: string; w: number; h: number }[]>(
        `[...document.querySelectorAll('svg.chart')].map((s) => ({ name: s.getAttribute('data-chart'), w: s.getBoundingClientRect().width, h: s.getBoundingClientRect().height }))`,
      );
      expect(boxes.map((b) => b.name)).toEqual(chartsFor(records).map(([title]) => title));
      for (const b of boxes) expect(b.w * b.h).toBeGreaterThan(600 * 200);
      const visibleSmooth = () => inPage<number>(`[...document.querySelectorAll('svg.chart .smooth')].filter((e) => getComputedStyle(e).display !== 'none').length`);
      expect(await visibleSmooth()).toBeGreaterThan(5); // smoothing is on by default
      await page.click('#smoothing');
      expect(await visibleSmooth()).toBe(0);
      await page.reload(); // the choice survives a reload (kept in the URL)
      expect(await visibleSmooth()).toBe(0);
      await page.click('#smoothing');
      const shot = await decodePng(new Uint8Array(await page.screenshot({ fullPage: true })));
      // Count pixels of the chart colours and dark sample pixels: a blank page has none.
      let blue = 0;
      let red = 0;
      let dark = 0;
      const ch = shot.data.length / (shot.width * shot.height);
      for (let i = 0; i < shot.data.length; i += ch) {
        const [r, g, b] = [shot.data[i]!, shot.data[i + 1]!, shot.data[i + 2]!];
        if (Math.abs(r - 0x1f) < 30 && Math.abs(g - 0x77) < 30 && Math.abs(b - 0xb4) < 30) blue++;
        if (r > 180 && g < 90 && b < 90) red++;
        if (r < 40 && g < 40 && b < 40) dark++;
      }
      expect(blue).toBeGreaterThan(1000);
      expect(red).toBeGreaterThan(500);
      expect(dark).toBeGreaterThan(10_000);
      // A finished page stays put; a running one reloads itself.
      await page.waitForTimeout(1800);
      expect(hits.get('/finished.html')).toBe(2);
      await page.goto(`${url}/running.html`);
      await page.waitForTimeout(1800);
      expect(hits.get('/running.html')).toBeGreaterThanOrEqual(2);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      server.close();
    }
  });
});

describe('report.html during a run', () => {
  it('is written at log steps before the first checkpoint, marked running, then finished with links and run information', async () => {
    const out = join(await tempDir(), 'run');
    const config = validateConfig({
      name: 'report-test',
      seed: 3,
      backend: 'cpu',
      data: { source: 'mnist', limit: 100 },
      model: { architecture: 'mlp', latentDim: 8, hiddenUnits: { generator: [16], discriminator: [16] } },
      loss: { name: 'standard' },
      optimizers: { generator: { learningRate: 0.001 }, discriminator: { learningRate: 0.001 } },
      training: { steps: 10, batchSize: 8 },
      logging: { logEvery: 2, sampleEvery: 5, checkpointEvery: 10, tensorboard: true, sampleCount: 4 },
    });
    const seen: { step: number; html: string | undefined }[] = [];
    const before = tf.memory().numTensors;
    await train(config, {
      out,
      onProgress: (e) => seen.push({ step: e.step, html: existsSync(join(out, 'report.html')) ? readFileSync(join(out, 'report.html'), 'utf8') : undefined }),
    });
    expect(tf.memory().numTensors).toBe(before);
    // At step 4 no checkpoint exists yet (the first is at 10), yet the page is there, running, with step 2's metrics.
    const mid = seen.find((s) => s.step === 4)?.html;
    expect(mid).toBeDefined();
    expect(mid).toContain('data-state="running"');
    expect(mid).toContain('location.reload()');
    expect(mid).toContain('data-series="d_loss"');
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('data-state="finished"');
    for (const k of ['d_loss', 'g_loss', 'd_real', 'd_fake', 'd_grad_norm', 'g_grad_norm', 'lr_g', 'lr_d', 'images_per_sec']) expect(html).toContain(`data-series="${k}"`);
    for (const href of ['generator/model.json', 'checkpoints/step-10/', 'tensorboard/']) expect(html).toContain(`href="${href}"`);
    expect(existsSync(join(out, 'generator', 'model.json'))).toBe(true);
    expect(html).toMatch(/generator [\d,]+, discriminator [\d,]+/);
    expect(html).toContain('cpu (');
  });
});
