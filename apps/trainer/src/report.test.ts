import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { decodePng, encodePng, initBackend, toImageGrid } from '@gankit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport, svgLineChart } from './report';
import type { MetricsRecord } from './run-folder';

const run = promisify(execFile);
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const dirs: string[] = [];

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function sampleGrid(seed: number): Promise<Uint8Array> {
  const images = tf.tidy(() => tf.tanh(tf.randomNormal([16, 28, 28, 1], 0, 1.5, 'float32', seed)));
  const grid = await toImageGrid(images, { columns: 4 });
  images.dispose();
  return encodePng(grid);
}

function fakeRecords(): MetricsRecord[] {
  return Array.from({ length: 40 }, (_, i) => ({
    step: (i + 1) * 10,
    d_loss: 1.4 - 0.01 * i + 0.05 * Math.sin(i),
    g_loss: 0.7 + 0.02 * i,
    d_real: 0.5 + 0.01 * i,
    d_fake: -0.5 - 0.01 * i,
    ...(i % 10 === 9 ? { eval_mnist_fid: 100 / (i + 1) } : {}),
  }));
}

describe('report.html', () => {
  it('draws one polyline per series with every point inside the plot', () => {
    const svg = svgLineChart('t', [
      { name: 'a', color: '#000', points: [[0, 1], [10, 3], [20, 2]] },
      { name: 'b', color: '#f00', points: [[0, -1], [20, Number.NaN]] },
    ]);
    const polylines = [...svg.matchAll(/<polyline[^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' '));
    expect(polylines.map((p) => p.length)).toEqual([3, 1]);
    for (const xy of polylines.flat().map((p) => p.split(',').map(Number))) {
      expect(xy[0]).toBeGreaterThanOrEqual(56);
      expect(xy[1]).toBeGreaterThanOrEqual(28);
    }
  });

  it('is self-contained (no external URL) and renders non-blank in headless Chromium', async (ctx) => {
    const samples = [
      { step: 100, png: await sampleGrid(1) },
      { step: 400, png: await sampleGrid(2) },
    ];
    const html = renderReport({ title: 'test run', config: { a: 1 }, records: fakeRecords(), samples, summary: { steps: '400' } });
    expect(html).not.toMatch(/(src|href)="(?!data:)/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html.match(/<img /g)).toHaveLength(3); // latest + 2 in the gallery
    expect(html).toContain('eval_mnist_fid');
    if (!CHROMIUM) {
      console.warn('SKIPPED the Chromium screenshot: no chromium binary (apt-get install -y chromium)');
      ctx.skip();
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'gankit-report-'));
    dirs.push(dir);
    const page = join(dir, 'report.html');
    const shot = join(dir, 'shot.png');
    await writeFile(page, html);
    await run(
      CHROMIUM,
      [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', `--user-data-dir=${join(dir, 'profile')}`, '--window-size=1000,1400',
        `--screenshot=${shot}`, `file://${page}`,
      ],
      { timeout: 90_000 },
    );
    const image = await decodePng(new Uint8Array(await readFile(shot)));
    expect(image.width).toBe(1000);
    // Count pixels of the chart colours and dark sample pixels: a blank page has none.
    let blue = 0;
    let red = 0;
    let dark = 0;
    for (let i = 0; i < image.data.length; i += 3) {
      const [r, g, b] = [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
      if (Math.abs(r - 0x1f) < 30 && Math.abs(g - 0x77) < 30 && Math.abs(b - 0xb4) < 30) blue++;
      if (r > 180 && g < 90 && b < 90) red++;
      if (r < 40 && g < 40 && b < 40) dark++;
    }
    expect(blue).toBeGreaterThan(100);
    expect(red).toBeGreaterThan(100);
    expect(dark).toBeGreaterThan(10_000);
  });
});
