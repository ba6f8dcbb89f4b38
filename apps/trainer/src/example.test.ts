import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodePng } from '@gankit/core/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestCli } from './testing/cli-process';

const exampleDir = fileURLToPath(new URL('../../../examples/custom-loop/', import.meta.url));
let dir: string;
beforeAll(async () => {
  await buildTestCli(); // builds the packages the example imports
  dir = await mkdtemp(join(tmpdir(), 'gankit-example-'));
}, 300_000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

it('examples/custom-loop trains with the library packages directly and writes a sample grid', async () => {
  const out = join(dir, 'samples.png');
  const { stdout } = await promisify(execFile)(process.execPath, ['main.mjs'], {
    cwd: exampleDir,
    env: { ...process.env, GANKIT_EXAMPLE_STEPS: '4', GANKIT_BACKEND: 'wasm', GANKIT_EXAMPLE_OUT: out },
    timeout: 120_000,
  });
  expect(stdout).toContain('backend: wasm');
  const line = /step 4\/4 {2}d_loss (\S+) {2}g_loss (\S+)/.exec(stdout);
  expect(line).not.toBeNull();
  expect(Number.isFinite(Number(line![1])) && Number.isFinite(Number(line![2]))).toBe(true);
  const grid = await decodePng(new Uint8Array(await readFile(out)));
  expect([grid.width, grid.height]).toEqual([8 * 30 + 2, 8 * 30 + 2]);
});
