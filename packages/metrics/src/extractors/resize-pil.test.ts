import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@gankit/backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanResize, resizePlaneBicubicPil } from './resize-pil';
import { referencePython } from '../../../../testing/python';

const script = fileURLToPath(new URL('../../test/fixtures/inception/pil_resize.py', import.meta.url));
const PYTHON = referencePython(['numpy', 'PIL'], 'clean-fid resize parity');
const pilAvailable = PYTHON !== undefined;

describe('resizePlaneBicubicPil', () => {
  it('keeps constants constant (weights sum to one) and is the identity at the same size', () => {
    const plane = new Float32Array(13 * 7).fill(42.5);
    for (const [h, w] of [[299, 299], [5, 3], [13, 20]] as const) {
      for (const v of resizePlaneBicubicPil(plane, 13, 7, h, w)) expect(v).toBeCloseTo(42.5, 4);
    }
    const ramp = Float32Array.from({ length: 20 }, (_, i) => i * 3.5);
    expect(Array.from(resizePlaneBicubicPil(ramp, 4, 5, 4, 5))).toEqual(Array.from(ramp));
  });
});

describe.skipIf(!pilAvailable)('cleanResize agrees with clean-fid (PIL bicubic, run now)', () => {
  let dir: string;
  let sizes: [number, number][];
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
    dir = mkdtempSync(join(tmpdir(), 'gankit-pil-'));
    execFileSync(PYTHON!, [script, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    sizes = (JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as { sizes: [number, number][] }).sizes;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('max |gankit − PIL| ≤ 1e-3 (of 255) for up-, down- and mixed resizing', async () => {
    const report: string[] = [];
    for (const [i, [h, w]] of sizes.entries()) {
      const input = tf.tensor4d(new Uint8Array(readFileSync(join(dir, `case_${i}.u8`))), [1, h, w, 3], 'int32');
      const bytes = readFileSync(join(dir, `case_${i}.f32`));
      const want = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      const got = await cleanResize(input, 299, 299);
      const values = await got.data();
      let max = 0;
      for (let j = 0; j < want.length; j++) max = Math.max(max, Math.abs((values[j] ?? 0) - (want[j] ?? 0)));
      report.push(`${h}x${w}: ${max.toExponential(2)}`);
      expect(max).toBeLessThanOrEqual(1e-3);
      tf.dispose([input, got]);
    }
    console.log(`clean resize vs PIL, max abs diff (0..255 scale): ${report.join(', ')}`);
  });
});
