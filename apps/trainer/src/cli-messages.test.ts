// What a new user meets first (issue 18): one readable line per usage/config error, a resume that would train
// nothing says so and fails, and `--json` / `--version` follow one convention. Real child processes on dist/cli.js.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, repoPath, runNode } from '../../../testing/cli-process';
import { buildTestCli, runCli, type RunResult } from './testing/cli-process';
import { tempDirs } from './testing/temp-dirs';

const tempDir = tempDirs('gankit-cli-messages-');
beforeAll(async () => {
  await buildTestCli();
}, 300_000);

/** A small MLP GAN on the cpu backend: a few steps take a second or two. */
const mlp = (steps: number) => ({
  name: 'mlp-messages',
  seed: 1,
  backend: 'cpu',
  data: { source: 'mnist', limit: 64 },
  model: { architecture: 'mlp', latentDim: 8, hiddenUnits: { generator: [16], discriminator: [16] } },
  loss: { name: 'standard' },
  optimizers: { generator: { learningRate: 0.001 }, discriminator: { learningRate: 0.001 } },
  training: { steps, batchSize: 8 },
  logging: { logEvery: 1, sampleEvery: 2, checkpointEvery: 2, keepLast: 2, report: false, tensorboard: false, sampleCount: 4 },
});

/** Asserts a usage/config failure: the exit code, nothing on stdout, exactly one stderr line matching `pattern`. */
function expectOneLine(r: RunResult, code: number, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^gankit-train: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(code);
}

describe('gankit-train errors are one readable line', () => {
  it('a negative or dash-led option value, an unknown option and a missing value', async () => {
    expectOneLine(await runCli(['--preset', 'demo', '--steps', '-5']), 2, /--steps got "-5", which starts with a dash .*write --steps=-5/);
    expectOneLine(await runCli(['--preset', 'demo', '--steps=-5']), 2, /--steps must be a non-negative integer, got "-5"/);
    expectOneLine(await runCli(['--preset', 'demo', '--stpes', '5']), 2, /unknown option --stpes; see --help/);
    expectOneLine(await runCli(['--preset', 'demo', '--steps']), 2, /--steps needs a value/);
  });

  it('a YAML syntax error names the file, line and column without a code frame', async () => {
    const dir = await tempDir();
    const config = join(dir, 'broken.yaml');
    await writeFile(config, 'extends: mnist-dcgan\ntraining:\n  steps: [1, 2\n  batchSize: 3\n');
    expectOneLine(await runCli(['--config', config, '--print-config']), 2, new RegExp(`${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be parsed: .*line 4, column 3$`));
    const json = join(dir, 'broken.json');
    await writeFile(json, '{"extends": "mnist-dcgan",\n "training": {"steps": }\n}\n');
    expectOneLine(await runCli(['--config', json, '--print-config']), 2, /broken\.json cannot be parsed: /);
  });
});

describe('--backend gpu without @tensorflow/tfjs-node-gpu (none can be installed here)', () => {
  it('gankit-train and gankit-eval fail with one line instead of falling back to the CPU', async () => {
    const dir = await tempDir();
    const out = join(dir, 'out');
    const train = await runCli(['--preset', 'demo', '--steps', '1', '--backend', 'gpu', '--out', out]);
    expectOneLine(train, 1, /^gankit-train: backend "gpu" is not available: @tensorflow\/tfjs-node-gpu: not usable .*npm i @tensorflow\/tfjs-node-gpu@4\.22\.0.*CUDA 11\.2 and cuDNN 8\.1/);
    expect(train.stdout).not.toMatch(/backend: (wasm|cpu)/);
    await expect(readFile(join(out, 'config.json'))).rejects.toThrow(/ENOENT/);
    await buildPackage('@gankit/eval');
    const evaluate = await runNode(repoPath('apps', 'eval', 'dist', 'cli.js'), ['fid', 'mnist:test', 'mnist:train', '--extractor', 'mnist', '--num', '10', '--backend', 'gpu', '--no-progress']);
    expect(evaluate.code).toBe(1);
    expect(evaluate.stderr.trim().split('\n')).toHaveLength(1);
    expect(evaluate.stderr).toMatch(/^gankit-eval: error: backend "gpu" is not available: .*CUDA 11\.2 and cuDNN 8\.1/);
  });
});

describe('gankit-train --resume on a run that is already there', () => {
  it('fails with one line saying nothing was trained and why, and leaves the run as it was', async () => {
    const dir = await tempDir();
    const config = join(dir, 'run.json');
    await writeFile(config, JSON.stringify(mlp(4)));
    const out = join(dir, 'out');
    expect((await runCli(['--config', config, '--out', out])).code).toBe(0);
    const before = { config: await readFile(join(out, 'config.json'), 'utf8'), metrics: await readFile(join(out, 'metrics.jsonl'), 'utf8') };

    const fewer = await runCli(['--resume', out, '--steps', '2']);
    expectOneLine(fewer, 2, /nothing to train: .* is already at step 4 and the run asks for 2 steps in total; .*--steps N with N > 4/);
    expect(fewer.stdout).not.toMatch(/done:/);
    const same = await runCli(['--resume', out]);
    expectOneLine(same, 2, /nothing to train: .* already at step 4 and the run asks for 4 steps/);
    expect(await readFile(join(out, 'config.json'), 'utf8')).toBe(before.config);
    expect(await readFile(join(out, 'metrics.jsonl'), 'utf8')).toBe(before.metrics);

    const more = await runCli(['--resume', out, '--steps', '6']);
    expect(more.code, more.stderr).toBe(0);
    expect(more.stdout).toMatch(/resumed from .*step-4 at step 4/);
    expect(more.stdout).toMatch(/done: 6 steps/);
  });
});

describe('one convention', () => {
  it('--json lines use snake_case keys throughout, like metrics.jsonl', async () => {
    const dir = await tempDir();
    const config = join(dir, 'run.json');
    await writeFile(config, JSON.stringify(mlp(2)));
    const r = await runCli(['--config', config, '--out', join(dir, 'out'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const keys = new Set<string>();
    const collect = (v: unknown): void => {
      if (typeof v !== 'object' || v === null) return;
      for (const [k, inner] of Object.entries(v)) {
        keys.add(k);
        collect(inner);
      }
    };
    events.forEach(collect);
    expect([...keys].filter((k) => !/^[a-z0-9]+(_[a-z0-9]+)*$/.test(k))).toEqual([]);
    const progress = events.find((e) => e.event === 'progress')!;
    expect(Object.keys(progress)).toEqual(expect.arrayContaining(['step', 'total_steps', 'd_loss', 'g_loss', 'images_per_sec', 'eta_seconds', 'lr_g', 'd_real']));
    const done = events.find((e) => e.event === 'done')!;
    expect(Object.keys(done)).toEqual(expect.arrayContaining(['run_dir', 'cpu_seconds', 'generator_path']));
    const metricsKeys = Object.keys(JSON.parse((await readFile(join(dir, 'out', 'metrics.jsonl'), 'utf8')).split('\n')[0]!) as object);
    for (const k of ['d_loss', 'g_loss', 'images_per_sec', 'lr_g']) expect(metricsKeys).toContain(k);
  });

  it('gankit-eval --json uses snake_case keys too', async () => {
    await buildPackage('@gankit/eval');
    const r = await runNode(repoPath('apps', 'eval', 'dist', 'cli.js'), ['fid', 'mnist:test', 'mnist:train', '--extractor', 'mnist', '--num', '64', '--json', '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['n_real', 'n_fake', 'metrics', 'seconds']));
    expect(Object.keys(report).filter((k) => !/^[a-z0-9]+(_[a-z0-9]+)*$/.test(k))).toEqual([]);
  });

  it('both CLIs print --version as "<name> <version>"', async () => {
    await buildPackage('@gankit/eval');
    const train = await runCli(['--version']);
    const evaluate = await runNode(repoPath('apps', 'eval', 'dist', 'cli.js'), ['--version']);
    const pkg = (app: string) => readFile(repoPath('apps', app, 'package.json'), 'utf8').then((t) => (JSON.parse(t) as { version: string }).version);
    expect(train.stdout).toBe(`gankit-train ${await pkg('trainer')}\n`);
    expect(evaluate.stdout).toBe(`gankit-eval ${await pkg('eval')}\n`);
  });
});
