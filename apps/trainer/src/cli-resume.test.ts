import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestCli, runCli, runCliWithEvents } from './testing/cli-process';
import { tempDirs } from './testing/temp-dirs';

const tempDir = tempDirs('gankit-cli-resume-');
beforeAll(async () => {
  await buildTestCli();
}, 300_000);

async function writeConfig(dir: string, config: Record<string, unknown>): Promise<string> {
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify(config));
  return path;
}

/** A small MLP GAN: quick even on the pure-JS cpu backend. */
const mlp = (steps: number) => ({
  name: 'mlp-cli',
  seed: 3,
  backend: 'cpu',
  data: { source: 'mnist', limit: 300 },
  model: { architecture: 'mlp', latentDim: 16, hiddenUnits: { generator: [32], discriminator: [32] } },
  loss: { name: 'standard' },
  optimizers: { generator: { learningRate: 0.001, beta1: 0.5 }, discriminator: { learningRate: 0.001, beta1: 0.5 } },
  training: { steps, batchSize: 16, emaDecay: 0.9 },
  logging: { logEvery: 1, sampleEvery: 4, checkpointEvery: 2, keepLast: 10, report: false, sampleCount: 4 },
});

/** A tiny DCGAN on wasm. */
const dcgan = (steps: number) => ({
  ...mlp(steps),
  name: 'dcgan-cli',
  backend: 'wasm',
  model: { architecture: 'dcgan', latentDim: 16, width: 4 },
  training: { steps, batchSize: 8, emaDecay: 0.9 },
});

async function checkpointFiles(out: string, step: number): Promise<Record<string, Buffer>> {
  const dir = join(out, 'checkpoints', `step-${step}`);
  const names = (await readdir(dir)).filter((f) => f.endsWith('.bin'));
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n))] as const)));
}

async function losses(out: string): Promise<number[][]> {
  const text = await readFile(join(out, 'metrics.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>)
    .map((r) => [r.step!, r.d_loss!, r.g_loss!, r.d_real!, r.d_fake!]);
}

function maxAbsDiff(a: Buffer, b: Buffer): number {
  const x = new Float32Array(a.buffer, a.byteOffset, a.byteLength / 4);
  const y = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  let m = x.length === y.length ? 0 : Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

describe('gankit-train robustness (real child processes)', () => {
  it('kill -9 in the middle of a run: the last complete checkpoint resumes to a bit-identical result (cpu)', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, mlp(8));
    const whole = join(dir, 'whole');
    const a = await runCli(['--config', config, '--out', whole]);
    expect(a.stderr).not.toContain('Error');
    expect(a.code).toBe(0);

    const killed = join(dir, 'killed');
    const b = await runCliWithEvents(['--config', config, '--out', killed], (event, child) => {
      if (event.event === 'checkpoint' && event.step === 4) child.kill('SIGKILL');
    });
    expect(b.signal).toBe('SIGKILL');
    const left = await readdir(join(killed, 'checkpoints'));
    expect(left).toEqual(expect.arrayContaining(['step-2', 'step-4']));
    expect(left).not.toContain('step-8');

    const resumed = await runCli(['--resume', killed]);
    expect(resumed.stderr).not.toContain('Error');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resumed from .*step-(4|6) at step (4|6)/);
    expect(await losses(killed)).toEqual(await losses(whole));
    const [wa, wb] = [await checkpointFiles(whole, 8), await checkpointFiles(killed, 8)];
    for (const name of Object.keys(wa)) expect(wb[name]!.equals(wa[name]!), name).toBe(true);
    const [ga, gb] = [await readFile(join(whole, 'generator', 'weights.bin')), await readFile(join(killed, 'generator', 'weights.bin'))];
    expect(gb.equals(ga)).toBe(true);
  });

  it('SIGINT finishes the step, checkpoints and exits 130; resuming matches an uninterrupted run within float tolerance (wasm)', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, dcgan(6));
    const whole = join(dir, 'whole');
    expect((await runCli(['--config', config, '--out', whole])).code).toBe(0);

    const stopped = join(dir, 'stopped');
    let sent = false;
    const b = await runCliWithEvents(['--config', config, '--out', stopped], (event, child) => {
      if (event.event === 'progress' && !sent) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(b.code).toBe(130);
    const at = Number(/interrupted: checkpoint written at step (\d+)/.exec(b.stdout)?.[1]);
    expect(at).toBeGreaterThanOrEqual(1);
    expect(at).toBeLessThan(6);
    expect(await readdir(join(stopped, 'checkpoints'))).toContain(`step-${at}`);

    const resumed = await runCli(['--resume', stopped]);
    expect(resumed.code).toBe(0);
    const [la, lb] = [await losses(whole), await losses(stopped)];
    expect(lb.map((r) => r[0])).toEqual(la.map((r) => r[0]));
    lb.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(la[i]![j]!, 4)));
    const [wa, wb] = [await checkpointFiles(whole, 6), await checkpointFiles(stopped, 6)];
    for (const name of Object.keys(wa)) expect(maxAbsDiff(wa[name]!, wb[name]!), name).toBeLessThan(1e-5);
  });

  it('SIGTERM checkpoints and exits 143', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, mlp(10_000));
    const out = join(dir, 'run');
    const r = await runCliWithEvents(['--config', config, '--out', out], (event, child) => {
      if (event.event === 'progress' && event.step === 3) child.kill('SIGTERM');
    });
    expect(r.code).toBe(143);
    const steps = (await readdir(join(out, 'checkpoints'))).filter((d) => d.startsWith('step-'));
    expect(steps.length).toBeGreaterThan(0);
  });
});
