// Two SIGTERMs sent quickly while gankit-train is inside a long training step: the process must stop promptly (not
// when the step ends: a step is synchronous work during which no signal handler of the training thread runs) and
// leave the last complete checkpoint intact. Real child processes of the built CLI.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '@gankit/backend-wasm';
import { loadWeightsMap } from '@gankit/core/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestCli, runCliWithEvents } from './testing/cli-process';
import { tempDirs } from './testing/temp-dirs';

const tempDir = tempDirs('gankit-cli-signals-');
beforeAll(async () => {
  await buildTestCli();
  await initBackend({ backend: 'cpu' });
}, 300_000);

/** A DCGAN on the pure-JS cpu backend whose steps take seconds (about 3 s on an idle 2-core machine); a checkpoint after every step. */
const slow = {
  name: 'slow-steps',
  seed: 1,
  backend: 'cpu',
  data: { source: 'mnist', limit: 256 },
  model: { architecture: 'dcgan', latentDim: 32, width: 8 },
  loss: { name: 'standard' },
  optimizers: { generator: { learningRate: 2e-4 }, discriminator: { learningRate: 2e-4 } },
  training: { steps: 20, batchSize: 48 },
  logging: { logEvery: 1, sampleEvery: 1000, checkpointEvery: 1, keepLast: 2, report: false, tensorboard: false, sampleCount: 4 },
};

describe('gankit-train signals (real child processes)', () => {
  it('a second SIGTERM during a long step stops the run at once (exit 143) and the last checkpoint stays intact', async () => {
    const dir = await tempDir();
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify(slow));
    const out = join(dir, 'run');
    let stepStarted = 0;
    let sentAt = 0;
    let stepSeconds = 0;
    const result = await runCliWithEvents(['--config', config, '--out', out], (event, child) => {
      if (event.event !== 'checkpoint') return;
      const now = performance.now();
      if (event.step === 1) stepStarted = now;
      if (event.step === 2) {
        // Step 3 begins now and lasts about as long as step 2 did: two SIGTERMs 100 ms apart, half a second into it.
        stepSeconds = (now - stepStarted) / 1000;
        setTimeout(() => child.kill('SIGTERM'), 500);
        setTimeout(() => {
          sentAt = performance.now();
          child.kill('SIGTERM');
        }, 600);
      }
    });
    const stoppedAfter = (performance.now() - sentAt) / 1000;
    console.log(`one step: ${stepSeconds.toFixed(2)} s; exit ${stoppedAfter.toFixed(2)} s after the second SIGTERM`);
    expect(sentAt).toBeGreaterThan(0);
    expect(result.code).toBe(143);
    expect(result.stderr).toMatch(/SIGTERM again: stopped at once/);
    // The step is long enough to tell "at once" from "at the end of the step".
    expect(stepSeconds).toBeGreaterThan(1.5);
    expect(stoppedAfter).toBeLessThan(Math.min(1, stepSeconds / 3));

    // The newest checkpoint is complete: its state and every weights file load.
    const steps = (await readdir(join(out, 'checkpoints'))).filter((d) => /^step-\d+$/.test(d)).map((d) => Number(d.slice(5)));
    const last = Math.max(...steps);
    expect(last).toBeGreaterThanOrEqual(2);
    const ckpt = join(out, 'checkpoints', `step-${last}`);
    const state = JSON.parse(await readFile(join(ckpt, 'state.json'), 'utf8')) as { step: number };
    expect(state.step).toBe(last);
    for (const name of ['generator', 'discriminator', 'training-state']) {
      const { entries } = await loadWeightsMap(ckpt, { name });
      expect(entries.length, name).toBeGreaterThan(0);
      for (const e of entries) e.tensor.dispose();
    }
  }, 200_000);
});
