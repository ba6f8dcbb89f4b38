// Decompression bombs (issue 18, item 2): small files whose streams inflate to 1 GiB, built here (never committed),
// parsed by the built packages in a child process that reports its peak memory (resourceUsage().maxRSS). Each must
// be refused with FILE_CORRUPT after inflating about what its header implies, not after filling memory.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeIdx, encodeNpy, readZipEntries } from '@gankit/data/node';
import { buildPackage, repoPath, runNode } from '../../../testing/cli-process';

const MiB = 1 << 20;
/** What each bomb inflates to beyond its legitimate content. */
const BOMB_BYTES = 1024 * MiB;
/** Allowed growth of peak memory while parsing a bomb: generous (the legitimate data is < 1 MB), far below 1 GiB. */
const PEAK_GROWTH_LIMIT = 160 * MiB;

let dir: string;
beforeAll(async () => {
  await buildPackage('@gankit/metrics');
  dir = await mkdtemp(join(tmpdir(), 'gankit-bombs-'));
}, 300_000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** 1 MiB of zeros as non-final deflate blocks, byte-aligned: copies of it concatenate into one valid stream. */
const zeroBlock = deflateRawSync(new Uint8Array(MiB), { finishFlush: constants.Z_SYNC_FLUSH });

/** A raw deflate stream of `prefix` followed by `zeros` zero bytes, about 1 KB per MiB. */
function deflateBomb(prefix: Uint8Array, zeros: number): Uint8Array {
  const parts = [deflateRawSync(prefix, { finishFlush: constants.Z_SYNC_FLUSH })];
  for (let i = 0; i < zeros / MiB; i++) parts.push(zeroBlock);
  parts.push(deflateRawSync(new Uint8Array(0))); // the final (empty) block
  return Buffer.concat(parts);
}

/** A gzip file of `prefix` followed by `zeros` zero bytes: concatenated gzip members, about 1 KB per MiB. */
function gzipBomb(prefix: Uint8Array, zeros: number): Uint8Array {
  const member = gzipSync(new Uint8Array(MiB));
  const parts = [gzipSync(prefix)];
  for (let i = 0; i < zeros / MiB; i++) parts.push(member);
  return Buffer.concat(parts);
}

interface ZipInput {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  /** The bytes as stored (compressed for method 8). */
  stored: Uint8Array;
  /** The uncompressed size the directory declares. */
  size: number;
  crc?: number;
}

/** A minimal zip writer (no zip64: every declared size here fits 32 bits). */
function writeZip(entries: ZipInput[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc ?? 0, 14);
    local.writeUInt32LE(e.stored.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt32LE(e.crc ?? 0, 16);
    central.writeUInt32LE(e.stored.length, 20);
    central.writeUInt32LE(e.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(e.stored));
    centrals.push(central, name);
    offset += 30 + name.length + e.stored.length;
  }
  const dirBytes = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBytes, end]);
}

interface ChildReport {
  code?: string;
  message?: string;
  ok?: boolean;
  growth: number;
}

/** Parses `file` with `call` (an expression over `m`, the imported module) in a child; reports the peak-memory growth. */
async function parseInChild(module: string, call: string, file: string): Promise<ChildReport> {
  const script = join(dir, `parse-${Math.random().toString(36).slice(2)}.mjs`);
  await writeFile(
    script,
    [
      "import { readFileSync } from 'node:fs';",
      `const m = await import(${JSON.stringify(module)});`,
      `const bytes = new Uint8Array(readFileSync(${JSON.stringify(file)}));`,
      'const before = process.resourceUsage().maxRSS * 1024;',
      'let report;',
      'try {',
      `  ${call};`,
      '  report = { ok: true };',
      '} catch (e) {',
      '  report = { code: e.code, message: e.message };',
      '}',
      'report.growth = process.resourceUsage().maxRSS * 1024 - before;',
      'console.log(JSON.stringify(report));',
    ].join('\n'),
  );
  const r = await runNode(script, [], { timeout: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildReport;
}

const dataDist = repoPath('packages', 'data', 'dist', 'node.js');
const metricsDist = repoPath('packages', 'metrics', 'dist', 'node.js');

function expectRefused(report: ChildReport, pattern: RegExp): void {
  console.log(`peak memory growth ${(report.growth / MiB).toFixed(0)} MiB: ${report.code}: ${report.message}`);
  expect(report.growth, `peak memory grew by ${(report.growth / MiB).toFixed(0)} MiB`).toBeLessThan(PEAK_GROWTH_LIMIT);
  expect(report.code, report.message).toBe('FILE_CORRUPT');
  expect(report.message).toMatch(/refusing a decompression bomb/);
  expect(report.message).toMatch(pattern);
}

describe('decompression bombs are refused near the size their headers imply', () => {
  it('an IDX .gz whose stream inflates to 1 GiB past its [10, 28, 28] images', async () => {
    const images = encodeIdx({ dtype: 'uint8', shape: [10, 28, 28], data: new Uint8Array(7840).fill(7) });
    const file = join(dir, 'bomb-idx3-ubyte.gz');
    await writeFile(file, gzipBomb(images, BOMB_BYTES));
    expect(readFileSync(file).length).toBeLessThan(2 * MiB);
    expectRefused(await parseInChild(dataDist, 'm.parseIdx(bytes, "bomb.gz")', file), /bomb\.gz inflates past the 7840 data bytes its dimensions \[10, 28, 28\] of uint8 need/);
    // The same file without the bomb parses.
    const fine = join(dir, 'fine-idx3-ubyte.gz');
    await writeFile(fine, gzipSync(images));
    expect(await parseInChild(dataDist, 'm.parseIdx(bytes, "fine.gz")', fine)).toMatchObject({ ok: true });
  });

  it('an npz member whose .npy header says 80 bytes but whose stream inflates to 1 GiB', async () => {
    const npy = encodeNpy({ dtype: 'float64', shape: [10], data: new Float64Array(10).fill(0.5) });
    const bomb = deflateBomb(npy, BOMB_BYTES);
    const file = join(dir, 'bomb.npz');
    await writeFile(file, writeZip([{ name: 'mu.npy', method: 8, stored: bomb, size: npy.length + BOMB_BYTES }]));
    expect(readFileSync(file).length).toBeLessThan(2 * MiB);
    expectRefused(await parseInChild(dataDist, 'm.parseNpz(bytes, "bomb.npz")', file), new RegExp(`bomb\\.npz\\[mu\\] inflates past the ${npy.length} bytes its \\.npy header implies`));
    const fine = join(dir, 'fine.npz');
    await writeFile(fine, writeZip([{ name: 'mu.npy', method: 8, stored: deflateRawSync(npy), size: npy.length, crc: crc32(npy) }]));
    expect(await parseInChild(dataDist, 'm.parseNpz(bytes, "fine.npz")', fine)).toMatchObject({ ok: true });
  });

  it('a .pth zip whose storage inflates to 1 GiB past what its tensors need', async () => {
    const real = new Uint8Array(readFileSync(new URL('./torch/fixtures/mixed.zip.pt', import.meta.url)));
    const entries = readZipEntries(real, 'mixed.zip.pt');
    const storage = entries.find((e) => /\/data\/\d+$/.test(e.name) && e.size > 0)!;
    expect(storage, 'a storage entry in the fixture').toBeDefined();
    const rebuilt = entries.map((e): ZipInput => (e === storage ? { name: e.name, method: 8, stored: deflateBomb(e.data, BOMB_BYTES), size: e.size + BOMB_BYTES } : { name: e.name, method: e.method, stored: e.data, size: e.size }));
    const file = join(dir, 'bomb.pt');
    await writeFile(file, writeZip(rebuilt));
    expect(readFileSync(file).length).toBeLessThan(2 * MiB);
    expectRefused(await parseInChild(metricsDist, 'm.readTorchCheckpoint(bytes, "bomb.pt")', file), new RegExp(`bomb\\.pt\\[${storage.name.replace(/[/.]/g, '\\$&')}\\] inflates past the ${storage.size} bytes its tensors need`));
    // The rebuilt archive without the bomb still loads (the writer and the reader agree).
    const fine = join(dir, 'fine.pt');
    await writeFile(fine, writeZip(entries.map((e) => ({ name: e.name, method: e.method, stored: e.data, size: e.size }))));
    expect(await parseInChild(metricsDist, 'm.readTorchCheckpoint(bytes, "fine.pt")', fine)).toMatchObject({ ok: true });
  });
});
