// Compares PNG encoders for gankit's sample grids: sharp (libvips/libspng) vs pngjs (pure JS + node:zlib),
// plus gankit's built encodePng and, as the reference, PIL (what torchvision's save_image uses).
// Grids: 8x8 images of 28x28 (MNIST-like) and of 64x64 (CelebA-like), 2-pixel padding, RGB.
// Usage: pnpm build && node bench/png-encode/run.mjs  (prints a markdown table, writes bench/results/png-encode.md)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng } from '@gankit/core/node';

const require = createRequire(fileURLToPath(new URL('../../packages/core/package.json', import.meta.url)));
const sharp = require('sharp');
const { PNG } = require('pngjs');

/** A grid of `n`x`n` tiles of `size`x`size`, with smooth blobs plus noise (a GAN sample grid's statistics). */
function makeGrid(n, size, pad) {
  const width = n * size + (n + 1) * pad;
  const height = width;
  const data = new Uint8Array(width * height * 3);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let ty = 0; ty < n; ty++) {
    for (let tx = 0; tx < n; tx++) {
      const cx = size * (0.3 + 0.4 * rand());
      const cy = size * (0.3 + 0.4 * rand());
      const r = size * (0.15 + 0.2 * rand());
      const color = [rand(), rand(), rand()];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const d = Math.hypot(x - cx, y - cy) / r;
          const base = Math.max(0, 1 - d * d);
          const o = ((pad + ty * (size + pad) + y) * width + pad + tx * (size + pad) + x) * 3;
          for (let c = 0; c < 3; c++) data[o + c] = Math.min(255, Math.round(255 * (base * color[c]) + 12 * rand()));
        }
      }
    }
  }
  return { width, height, channels: 3, data };
}

const encoders = {
  'gankit encodePng (sharp default)': (g) => encodePng(g),
  'sharp (compressionLevel 6, default)': (g) => sharp(g.data, { raw: { width: g.width, height: g.height, channels: 3 } }).png().toBuffer(),
  'sharp (compressionLevel 9, adaptiveFiltering)': (g) =>
    sharp(g.data, { raw: { width: g.width, height: g.height, channels: 3 } }).png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer(),
  'pngjs (default: deflate 9, adaptive filter)': async (g) => {
    const png = new PNG({ width: g.width, height: g.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    png.data = Buffer.from(g.data.buffer, g.data.byteOffset, g.data.byteLength);
    return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
  },
  // pngjs defaults to zlib's Z_RLE strategy (3); strategy 0 is zlib's default, as libpng/libspng use.
  'pngjs (deflate 6, default strategy, adaptive filter)': async (g) => {
    const png = new PNG({ width: g.width, height: g.height });
    png.data = Buffer.from(g.data.buffer, g.data.byteOffset, g.data.byteLength);
    return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 6, deflateStrategy: 0 });
  },
};

const REPEATS = 30;
const rows = [];
for (const [label, grid] of [['8x8 of 28x28', makeGrid(8, 28, 2)], ['8x8 of 64x64', makeGrid(8, 64, 2)]]) {
  for (const [name, encode] of Object.entries(encoders)) {
    for (let i = 0; i < 3; i++) await encode(grid); // warm-up
    const times = [];
    let bytes = 0;
    for (let i = 0; i < REPEATS; i++) {
      const t0 = performance.now();
      const out = await encode(grid);
      times.push(performance.now() - t0);
      bytes = out.length;
    }
    times.sort((a, b) => a - b);
    rows.push({ grid: `${label} (${grid.width}x${grid.height})`, encoder: name, ms: times[Math.floor(REPEATS / 2)], bytes });
  }
  const pil = timePil(grid);
  if (pil) rows.push({ grid: `${label} (${grid.width}x${grid.height})`, encoder: 'PIL (torchvision save_image), reference', ...pil });
}

/** Times PIL on the same grid with Debian's Python; skipped with a message when it is absent. */
function timePil(grid) {
  const dir = mkdtempSync(join(tmpdir(), 'gankit-png-bench-'));
  try {
    const raw = join(dir, 'grid.raw');
    writeFileSync(raw, grid.data);
    const script = fileURLToPath(new URL('pil_encode.py', import.meta.url));
    const out = spawnSync(process.env.GANKIT_PYTHON || '/usr/bin/python3', [script, raw, String(grid.width), String(grid.height), String(REPEATS)], { encoding: 'utf8' });
    if (out.status !== 0) {
      console.warn(`PIL reference skipped: ${out.error?.message ?? out.stderr.trim().split('\n').pop()}`);
      return undefined;
    }
    return JSON.parse(out.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const lines = ['| grid | encoder | median ms | bytes |', '| --- | --- | ---: | ---: |'];
for (const r of rows) lines.push(`| ${r.grid} | ${r.encoder} | ${r.ms.toFixed(2)} | ${r.bytes} |`);
const table = `${lines.join('\n')}\n\nnode ${process.version}, ${REPEATS} runs each (median), sharp ${sharp.versions?.sharp ?? ''} / libvips ${sharp.versions?.vips ?? ''}\n`;
console.log(table);
const outDir = fileURLToPath(new URL('../results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(`${outDir}png-encode.md`, `# PNG encoders for sample grids\n\n${table}`);
