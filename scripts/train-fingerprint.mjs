#!/usr/bin/env node
// Trains a few short runs with the built CLI (apps/trainer/dist/cli.js) and prints the SHA-256 of every checkpoint
// file and of the metrics lines (without wall-clock fields), so that two builds of the trainer can be compared byte
// for byte: the library-step refactor of issue 14 must not change one weight or one random draw.
//   node scripts/train-fingerprint.mjs OUT_DIR            -> writes OUT_DIR/<run>/ and OUT_DIR/fingerprints.json
//   node scripts/train-fingerprint.mjs --compare A B      -> fingerprints the runs in two OUT_DIRs and compares them (exit 1 on a difference)
// It also resumes each run from its middle checkpoint into OUT_DIR/<run>-resumed and fingerprints that run's final
// checkpoint, so checkpoints written by one build can be resumed by another (pass --resume-from OTHER_DIR).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../apps/trainer/dist/cli.js', import.meta.url));
const quiet = { metric: 'none', tensorboard: false, report: false, logEvery: 1, sampleEvery: 1000, keepLast: 10 };

/** Short runs that cover every path of the step: shared forward + EMA, n_critic with GP, ACGAN + R1 lazy + clipping, labels, relativistic, spectral norm. */
const runs = {
  'dcgan-shared-ema': { extends: 'mnist-dcgan', data: { limit: 2048 }, model: { width: 16 }, training: { steps: 12, batchSize: 32, emaStart: 4 }, logging: { ...quiet, checkpointEvery: 6 } },
  'wgan-gp-ncritic5': { extends: 'mnist-wgan-gp', data: { limit: 2048 }, model: { width: 16 }, training: { steps: 6, batchSize: 32 }, logging: { ...quiet, checkpointEvery: 3 } },
  'acgan-r1-lazy-clip': {
    extends: 'mnist-acgan',
    data: { limit: 2048 },
    model: { width: 16 },
    loss: { name: 'standard', flipProbability: 0.2, realLabel: 0.9 },
    regularizers: { r1: 1, r1Every: 3, clipGradNorm: 1, clipWeights: 0.5 },
    training: { steps: 8, batchSize: 32, nCritic: 2, shareGeneratorForward: false, emaDecay: 0.9 },
    logging: { ...quiet, checkpointEvery: 4 },
  },
  'cgan-relativistic': { extends: 'mnist-cgan', data: { limit: 2048 }, model: { width: 16 }, loss: { name: 'relativistic-average' }, training: { steps: 8, batchSize: 32 }, logging: { ...quiet, checkpointEvery: 4 } },
  'hinge-sn-unshared': { extends: 'mnist-hinge-sn', data: { limit: 2048 }, model: { width: 16 }, training: { steps: 8, batchSize: 32, shareGeneratorForward: false }, logging: { ...quiet, checkpointEvery: 4 } },
};

function sha(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

function fingerprintRun(dir) {
  const out = {};
  for (const step of readdirSync(join(dir, 'checkpoints')).sort()) {
    const ckpt = join(dir, 'checkpoints', step);
    for (const f of readdirSync(ckpt).sort()) {
      if (f.endsWith('.bin')) out[`${step}/${f}`] = sha(readFileSync(join(ckpt, f)));
      if (f === 'state.json') {
        // elapsedSeconds is wall-clock; rngs.loss (the label-flip stream, saved since issue 14) is new.
        const { elapsedSeconds: _, ...state } = JSON.parse(readFileSync(join(ckpt, f), 'utf8'));
        delete state.rngs?.loss;
        out[`${step}/state.json`] = sha(JSON.stringify(state));
      }
    }
  }
  // Wall-clock fields differ between runs; d_real_sign is a column added by issue 14 (E[sign(D(x))], for ADA).
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { time: _t, images_per_sec: _i, d_real_sign: _s, ...rest } = JSON.parse(l);
    return JSON.stringify(Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))));
  });
  out['metrics.jsonl'] = sha(lines.join('\n'));
  return out;
}

function train(args) {
  execFileSync(process.execPath, [cli, ...args, '--backend', 'wasm', '--threads', '1'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

const argv = process.argv.slice(2);
if (argv[0] === '--compare') {
  const [a, b] = [argv[1], argv[2]].map((dir) => Object.fromEntries(Object.keys(runs).flatMap((name) => [name, `${name}-resumed`]).map((name) => [name, fingerprintRun(join(dir, name))])));
  let differences = 0;
  let same = 0;
  for (const run of Object.keys({ ...a, ...b })) {
    for (const key of Object.keys({ ...a[run], ...b[run] })) {
      if (a[run]?.[key] === b[run]?.[key]) same++;
      else {
        differences++;
        console.log(`differs: ${run} ${key}`);
      }
    }
  }
  console.log(`${same} files identical, ${differences} different`);
  process.exit(differences ? 1 : 0);
}
const root = resolve(argv[0] ?? 'runs/train-fingerprint');
const resumeFrom = argv.includes('--resume-from') ? resolve(argv[argv.indexOf('--resume-from') + 1]) : root;
mkdirSync(root, { recursive: true });
const fingerprints = {};
for (const [name, config] of Object.entries(runs)) {
  const cfg = join(root, `${name}.json`);
  writeFileSync(cfg, JSON.stringify({ name, ...config }));
  train(['--config', cfg, '--out', join(root, name), '--force']);
  fingerprints[name] = fingerprintRun(join(root, name));
  // Resume from the middle checkpoint (of this build's run, or of --resume-from's) with this build.
  const resumed = join(root, `${name}-resumed`);
  rmSync(resumed, { recursive: true, force: true });
  cpSync(join(resumeFrom, name), resumed, { recursive: true });
  const middle = `step-${config.logging.checkpointEvery}`;
  for (const step of readdirSync(join(resumed, 'checkpoints'))) if (step !== middle) rmSync(join(resumed, 'checkpoints', step), { recursive: true });
  if (!existsSync(join(resumed, 'checkpoints', middle))) throw new Error(`no ${middle} in ${resumed}`);
  train(['--resume', resumed]);
  fingerprints[`${name}-resumed`] = fingerprintRun(resumed);
  const final = `step-${config.training.steps}/`;
  const same = Object.keys(fingerprints[name]).filter((k) => k.startsWith(final) && k.endsWith('.bin')).every((k) => fingerprints[name][k] === fingerprints[`${name}-resumed`][k]);
  console.log(`${name}: ${Object.keys(fingerprints[name]).length} files; resumed from ${middle} (${resumeFrom === root ? 'this build' : resumeFrom}): final weights ${same ? 'bit-identical to' : 'DIFFERENT from'} the uninterrupted run`);
}
writeFileSync(join(root, 'fingerprints.json'), `${JSON.stringify(fingerprints, null, 2)}\n`);
console.log(`fingerprints: ${join(root, 'fingerprints.json')}`);
