import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GanKitError } from '@gankit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NpyArray, encodeNpy, parseNpy, readNpy, readNpz, writeNpy, writeNpz } from './npy';
import { referencePython } from '../../../testing/python';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'npy');
const PYTHON = referencePython(['numpy'], 'the NumPy read-back check');
const hasNumpy = PYTHON !== undefined;

interface Expected { shape: number[]; values: (number | string)[] }
let expected: Record<string, Expected> & { stats: { mu: Expected; sigma: Expected } };
let dir: string;

beforeAll(async () => {
  expected = JSON.parse(await readFile(join(fixtures, 'expected.json'), 'utf8')) as typeof expected;
  dir = await mkdtemp(join(tmpdir(), 'gankit-npy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function values(array: NpyArray): (number | string)[] {
  return Array.from(array.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
}

async function expectCode(promise: Promise<unknown>, code: string, pathPart: string): Promise<GanKitError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  expect(GanKitError.isInstance(error), String(error)).toBe(true);
  const e = error as GanKitError;
  expect(e.code).toBe(code);
  expect(e.message).toContain(pathPart);
  return e;
}

describe('readNpy on files written by NumPy (make_npy_fixtures.py)', () => {
  const cases: [string, string][] = [
    ['uint8_2x3x4', 'uint8'], ['float32_5', 'float32'], ['float64_3x3', 'float64'], ['float64_big_endian', 'float64'],
    ['int64_4', 'int64'], ['int32_2x2', 'int32'], ['bool_3', 'bool'], ['float64_scalar', 'float64'], ['float32_empty', 'float32'],
  ];
  it.each(cases)('%s reads back exactly as %s', async (name, dtype) => {
    const array = await readNpy(join(fixtures, `${name}.npy`));
    const want = expected[name]!;
    expect(array.dtype).toBe(dtype);
    expect(array.shape).toEqual(want.shape);
    expect(values(array)).toEqual(want.values);
  });

  it('reads pytorch-fid style stats from np.savez and np.savez_compressed exactly (float64)', async () => {
    for (const file of ['stats_stored.npz', 'stats_deflated.npz']) {
      const stats = await readNpz(join(fixtures, file));
      expect(Object.keys(stats).sort()).toEqual(['mu', 'sigma']);
      expect(stats.mu!.dtype).toBe('float64');
      expect(stats.mu!.data).toBeInstanceOf(Float64Array);
      expect(stats.mu!.shape).toEqual(expected.stats.mu.shape);
      expect(values(stats.mu!)).toEqual(expected.stats.mu.values);
      expect(stats.sigma!.shape).toEqual(expected.stats.sigma.shape);
      expect(values(stats.sigma!)).toEqual(expected.stats.sigma.values);
    }
  });

  it('refuses Fortran order and object arrays with UNSUPPORTED_FORMAT naming the file', async () => {
    const f = await expectCode(readNpy(join(fixtures, 'fortran.npy')), 'UNSUPPORTED_FORMAT', 'fortran.npy');
    expect(f.message).toMatch(/Fortran/);
    const o = await expectCode(readNpy(join(fixtures, 'object.npy')), 'UNSUPPORTED_FORMAT', 'object.npy');
    expect(o.message).toMatch(/object/);
  });
});

describe('writeNpy / writeNpz', () => {
  const sample: NpyArray[] = [
    { dtype: 'float64', shape: [2, 3], data: new Float64Array([Math.PI, -0, 1e-310, Number.MAX_VALUE, -1.5, 1 / 3]) },
    { dtype: 'float32', shape: [4], data: new Float32Array([0.1, -2, 3.5, 1e30]) },
    { dtype: 'uint8', shape: [2, 2, 1], data: new Uint8Array([0, 255, 7, 128]) },
    { dtype: 'int64', shape: [2], data: new BigInt64Array([-(2n ** 62n), 2n ** 62n + 5n]) },
  ];

  it('round-trips through bytes and files exactly', async () => {
    for (const [i, array] of sample.entries()) {
      const back = parseNpy(encodeNpy(array));
      expect(back.dtype).toBe(array.dtype);
      expect(back.shape).toEqual(array.shape);
      expect(values(back)).toEqual(values(array));
      const path = join(dir, `a${i}.npy`);
      await writeNpy(path, array);
      expect(values(await readNpy(path))).toEqual(values(array));
    }
    for (const compress of [false, true]) {
      const path = join(dir, `all-${compress}.npz`);
      await writeNpz(path, { a: sample[0]!, b: sample[1]! }, { compress });
      const back = await readNpz(path);
      expect(values(back.a!)).toEqual(values(sample[0]!));
      expect(values(back.b!)).toEqual(values(sample[1]!));
    }
  });

  it.skipIf(!hasNumpy)('files written here load in NumPy with the same values', async () => {
    await writeNpy(join(dir, 'x.npy'), sample[0]!);
    await writeNpz(join(dir, 's.npz'), { mu: sample[0]!, sigma: sample[1]! }, { compress: false });
    await writeNpz(join(dir, 'c.npz'), { mu: sample[0]!, sigma: sample[1]! }, { compress: true });
    const script = [
      'import numpy as np, sys, json',
      'd = sys.argv[1]',
      'x = np.load(d + "/x.npy")',
      's = np.load(d + "/s.npz"); c = np.load(d + "/c.npz")',
      'print(json.dumps({"x": [x.dtype.str, list(x.shape), x.ravel().tolist()], "s": [s["sigma"].dtype.str, s["sigma"].tolist()], "c": c["mu"].ravel().tolist(), "keys": sorted(c.files)}))',
    ].join('\n');
    const out = JSON.parse(execFileSync(PYTHON!, ['-c', script, dir], { encoding: 'utf8' })) as {
      x: [string, number[], number[]]; s: [string, number[]]; c: number[]; keys: string[];
    };
    expect(out.x[0]).toBe('<f8');
    expect(out.x[1]).toEqual([2, 3]);
    expect(out.x[2]).toEqual(values(sample[0]!));
    expect(out.s[0]).toBe('<f4');
    expect(out.s[1]).toEqual(values(sample[1]!));
    expect(out.c).toEqual(values(sample[0]!));
    expect(out.keys).toEqual(['mu', 'sigma']);
  });

  it('rejects data that does not match its shape', () => {
    expect(() => encodeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(2) })).toThrow(/shape/);
  });
});

describe('bad .npy/.npz input', () => {
  it('names the file for missing, truncated and non-npy files', async () => {
    await expectCode(readNpy(join(dir, 'missing.npy')), 'FILE_NOT_FOUND', 'missing.npy');
    const good = encodeNpy({ dtype: 'float64', shape: [4], data: new Float64Array(4) });
    await writeFile(join(dir, 'trunc.npy'), good.subarray(0, good.length - 3));
    const t = await expectCode(readNpy(join(dir, 'trunc.npy')), 'FILE_CORRUPT', 'trunc.npy');
    expect(t.message).toMatch(/needs 32 data bytes but the file has 29/);
    await writeFile(join(dir, 'text.npy'), 'hello world, not numpy');
    await expectCode(readNpy(join(dir, 'text.npy')), 'FILE_CORRUPT', 'text.npy');
    await writeFile(join(dir, 'bad.npz'), good);
    await expectCode(readNpz(join(dir, 'bad.npz')), 'FILE_CORRUPT', 'bad.npz');
    const npz = await readFile(join(fixtures, 'stats_deflated.npz'));
    await writeFile(join(dir, 'trunc.npz'), npz.subarray(0, npz.length - 40));
    await expectCode(readNpz(join(dir, 'trunc.npz')), 'FILE_CORRUPT', 'trunc.npz');
  });
});
