import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GanKitError } from '@gankit/core';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { loadTorchCheckpoint, readTorchCheckpoint, torchStateDict } from './checkpoint';
import type { TorchTensor, TorchValue } from './tensor';

// Fixtures written by ./fixtures/make_checkpoints.py (Debian python3-torch 1.13).
const fixtures = new URL('./fixtures/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, fixtures)));

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: (number | string)[];
}
const expected = JSON.parse(readFileSync(new URL('expected.json', fixtures), 'utf8')) as { tensors: Record<string, ExpectedTensor> };

function expectError(run: () => unknown, code: string, message?: RegExp): GanKitError {
  try {
    run();
  } catch (error) {
    expect(GanKitError.isInstance(error)).toBe(true);
    const err = error as GanKitError;
    expect(err.code).toBe(code);
    if (message) expect(err.message).toMatch(message);
    return err;
  }
  throw new Error(`expected GanKitError ${code}`);
}

function asMap(value: TorchValue | undefined): Map<TorchValue, TorchValue> {
  expect(value).toBeInstanceOf(Map);
  return value as Map<TorchValue, TorchValue>;
}

describe.each(['mixed.zip.pt', 'mixed.legacy.pt'])('readTorchCheckpoint(%s)', (name) => {
  const root = readTorchCheckpoint(fixture(name), name);
  const tensors = torchStateDict(root, name);

  it('finds every tensor of the nested dicts, in order', () => {
    expect([...tensors.keys()]).toEqual(Object.keys(expected.tensors));
  });

  it.each(Object.entries(expected.tensors))('%s has the dtype, shape and values PyTorch saved', (key, want) => {
    const got = tensors.get(key) as TorchTensor;
    expect(got.dtype).toBe(want.dtype);
    expect(got.shape).toEqual(want.shape);
    const values = Array.from(got.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
    expect(values).toEqual(want.values);
  });

  it('keeps the plain Python values (ints, floats, strings, lists, tuples, None)', () => {
    const extra = asMap(asMap(root).get('extra'));
    expect(extra.get('step')).toBe(7);
    expect(extra.get('lr')).toBe(0.5);
    expect(extra.get('name')).toBe('gankit');
    expect(extra.get('flags')).toEqual([true, null, false]);
    expect(extra.get('pair')).toEqual([1, 2]);
  });
});

describe('refusing unsafe or broken checkpoints', () => {
  it.each(['malicious.zip.pt', 'malicious.legacy.pt'])('%s (os.system via __reduce__) raises UNSAFE_PICKLE and runs nothing', (name) => {
    rmSync('/tmp/gankit-pwned.txt', { force: true });
    expectError(() => readTorchCheckpoint(fixture(name), name), 'UNSAFE_PICKLE', /posix\.system|os\.system/);
    expect(existsSync('/tmp/gankit-pwned.txt')).toBe(false);
  });

  it('refuses builtins.eval', () => {
    expectError(() => readTorchCheckpoint(fixture('eval.zip.pt'), 'eval.zip.pt'), 'UNSAFE_PICKLE', /__builtin__\.eval/);
  });

  it('refuses INST/OBJ opcodes and calls of non-callable globals', () => {
    const inst = zipSync({ 'archive/data.pkl': new Uint8Array([0x80, 0x02, 0x28, ...Buffer.from('ios\nsystem\n'), 0x2e]) });
    expectError(() => readTorchCheckpoint(inst, 'inst.pt'), 'UNSAFE_PICKLE');
    const callStorage = zipSync({ 'archive/data.pkl': new Uint8Array([0x80, 0x02, ...Buffer.from('ctorch\nFloatStorage\n'), 0x29, 0x52, 0x2e]) });
    expectError(() => readTorchCheckpoint(callStorage, 'call.pt'), 'UNSAFE_PICKLE', /cannot be called/);
  });

  it.each(['mixed.zip.pt', 'mixed.legacy.pt'])('%s truncated at several points raises FILE_CORRUPT', (name) => {
    const bytes = fixture(name);
    for (const fraction of [0.1, 0.5, 0.9, 0.999]) {
      const cut = bytes.subarray(0, Math.floor(bytes.length * fraction));
      expectError(() => readTorchCheckpoint(cut, name), 'FILE_CORRUPT');
    }
  });

  it('rejects files that are not checkpoints', () => {
    expectError(() => readTorchCheckpoint(new TextEncoder().encode('hello world'), 'hello.txt'), 'FILE_CORRUPT', /neither a zip/);
    expectError(() => readTorchCheckpoint(zipSync({ 'a.txt': new Uint8Array([1]) }), 'other.zip'), 'FILE_CORRUPT', /data\.pkl/);
  });

  it('loadTorchCheckpoint reads from disk and names a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gankit-torch-'));
    const path = join(dir, 'copy.pt');
    await writeFile(path, fixture('mixed.zip.pt'));
    const value = await loadTorchCheckpoint(path);
    expect(torchStateDict(value).get('state_dict.scalar')?.data[0]).toBe(2.75);
    await expect(loadTorchCheckpoint(join(dir, 'missing.pt'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    rmSync(dir, { recursive: true, force: true });
  });
});
