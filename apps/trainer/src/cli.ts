#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { GanKitError, parseArgsError } from '@gankit/core';
import { describeFailure } from './cli-errors';
import { listPresets, resolveConfig, type ConfigOverrides } from './config';
import { ProgressReporter } from './progress';
import { readRunConfig, train } from './train';

const HELP = `gankit-train — train a GAN on TensorFlow.js from a preset or a config file

Usage:
  gankit-train --preset mnist-dcgan [--steps N] [--batch-size B] [--out runs/NAME] [--seed S] [--backend auto|gpu|tensorflow|wasm|cpu] [--threads N]
  gankit-train --config run.json|run.yaml [overrides...]
  gankit-train --resume runs/NAME [--steps N]

Options:
  --preset NAME        start from a shipped preset (see --list-presets)
  --config FILE        a JSON or YAML config; it may say "extends": "<preset>" and override any key
  --steps N            total training steps
  --batch-size B       images per batch
  --seed S             seed for weights, data order and latents (runs are reproducible)
  --backend B          auto (default), gpu (tfjs-node-gpu on a GPU, else fail), tensorflow, wasm or cpu
  --threads N          on wasm: threads for the conv kernels (default: every core, at most 8)
  --out DIR            run folder (default runs/<name>); a non-empty folder is refused without --force
  --force              delete the contents of a non-empty --out folder first
  --resume DIR         continue the run in DIR from its last complete checkpoint
  --json               one JSON object per progress line on stdout
  --list-presets       print the preset names
  --print-config       print the resolved config and exit (nothing is written)
  -h, --help           this help
  -v, --version        the version

Outputs in the run folder: config.json, metrics.jsonl, samples/step-N.png, checkpoints/step-N/,
tensorboard/ (event files), report.html, generator/ (the final generator, loadable with tf.loadLayersModel).
Ctrl-C (SIGINT) or SIGTERM finishes the current step, writes a checkpoint and exits with 130 / 143;
a second one stops at once (the last complete checkpoint is kept).`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || value.trim() === '') {
    throw new GanKitError('INVALID_ARGUMENT', `--${name} must be a non-negative integer, got "${value}"`);
  }
  return n;
}

function parseCommandLine(argv: string[]) {
  try {
    return parseCommandLineStrict(argv);
  } catch (error) {
    throw parseArgsError(error, argv); // one readable line instead of Node's three
  }
}

function parseCommandLineStrict(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      preset: { type: 'string' },
      config: { type: 'string' },
      steps: { type: 'string' },
      'batch-size': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      resume: { type: 'string' },
      json: { type: 'boolean', default: false },
      'list-presets': { type: 'boolean', default: false },
      'print-config': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
  });
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv);
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`gankit-train ${version()}\n`);
    return 0;
  }
  if (values['list-presets']) {
    process.stdout.write(`${(await listPresets()).join('\n')}\n`);
    return 0;
  }
  if (positionals.length) throw new GanKitError('INVALID_ARGUMENT', `unexpected argument "${positionals[0]}"; see --help`);
  const overrides: ConfigOverrides = {};
  const steps = intOption(values.steps, 'steps');
  const batchSize = intOption(values['batch-size'], 'batch-size');
  const seed = intOption(values.seed, 'seed');
  if (steps !== undefined) overrides.steps = steps;
  if (batchSize !== undefined) overrides.batchSize = batchSize;
  if (seed !== undefined) overrides.seed = seed;
  const threads = intOption(values.threads, 'threads');
  if (threads !== undefined) overrides.threads = threads;
  if (values.backend !== undefined) overrides.backend = values.backend;

  let config;
  let out: string;
  if (values.resume !== undefined) {
    if (values.preset !== undefined || values.config !== undefined) {
      throw new GanKitError('INVALID_ARGUMENT', '--resume continues a run with its saved config.json; it cannot be combined with --preset or --config');
    }
    config = await readRunConfig(values.resume, overrides);
    out = values.resume;
  } else {
    if (values.preset === undefined && values.config === undefined) {
      throw new GanKitError('INVALID_ARGUMENT', 'say what to train: --preset NAME or --config FILE (or --resume DIR); see --help');
    }
    config = await resolveConfig({ ...(values.preset !== undefined && { preset: values.preset }), ...(values.config !== undefined && { configPath: values.config }) }, overrides);
    out = values.out ?? `runs/${config.name}`;
  }
  if (values['print-config']) {
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    return 0;
  }

  // Training runs in a child process: a step is synchronous TF.js work that keeps this thread's event loop (and so
  // every signal handler) waiting until it ends, however long that takes on a loaded machine. The parent only waits,
  // so it sees a second signal at once and stops the child there.
  if (process.env[SUPERVISOR_FD_ENV] === undefined) return supervise(process.argv.slice(2));

  const reporter = ProgressReporter.auto(values.json);
  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const stop = (sig: NodeJS.Signals) => {
    if (signalled) return;
    signalled = sig;
    reporter.info(`${sig}: finishing the current step and writing a checkpoint (send it again to quit at once)`);
    controller.abort(sig);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) process.exit(sig === 'SIGINT' ? 130 : 143); // a second signal sent to this process: stop now
    stop(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The supervisor forwards a signal it got as a message (a Ctrl-C reaches both processes: it counts once).
  process.on('message', (message: { stop?: NodeJS.Signals }) => {
    if (message.stop === 'SIGINT' || message.stop === 'SIGTERM') stop(message.stop);
  });
  process.channel?.unref();
  watchSupervisor(Number(process.env[SUPERVISOR_FD_ENV]));

  const result = await train(config, {
    out,
    resume: values.resume !== undefined,
    force: values.force,
    signal: controller.signal,
    reporter,
  });
  if (result.interrupted) return signalled === 'SIGTERM' ? 143 : 130;
  const metrics = Object.entries(result.metrics).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
  reporter.info(
    [
      `done: ${result.step} steps in ${result.seconds.toFixed(1)} s (${result.cpuSeconds.toFixed(1)} s CPU) on ${result.backend}`,
      `  samples:     ${result.samplesPath ?? '(none)'}`,
      `  report:      ${result.reportPath ?? '(none)'}`,
      `  generator:   ${result.generatorPath ?? '(none)'}`,
      `  tensorboard: ${result.tensorboardPath === undefined ? '(off)' : `${result.tensorboardPath} (view with: tensorboard --logdir ${result.tensorboardPath})`}`,
      ...(metrics ? [`  metrics:     ${metrics}`] : []),
    ].join('\n'),
    { event: 'done', ...result },
  );
  return 0;
}

/** The environment variable that marks the training child and names the pipe whose end means its supervisor is gone. */
const SUPERVISOR_FD_ENV = 'GANKIT_TRAIN_SUPERVISOR_FD';

/**
 * Runs this CLI again as a child process that trains, and relays signals: the first SIGINT/SIGTERM is sent on as a
 * message (finish the step, checkpoint, exit 130/143); a second one kills the child at once (SIGKILL: checkpoints are
 * written atomically, so the last complete one is intact) and exits 130/143. Resolves with the child's exit code.
 */
function supervise(argv: string[]): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'],
    env: { ...process.env, [SUPERVISOR_FD_ENV]: '4' },
  });
  let first: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (first === undefined) {
      first = sig;
      if (child.connected) child.send({ stop: sig });
      return;
    }
    child.kill('SIGKILL');
    process.stderr.write(`gankit-train: ${sig} again: stopped at once; the last complete checkpoint is kept\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

/**
 * In the training child: a worker thread (the main thread may be inside a long step) watches the pipe the
 * supervisor holds open and kills this process when it closes, so a supervisor killed with SIGKILL leaves no
 * training process behind.
 */
function watchSupervisor(fd: number): void {
  if (!Number.isInteger(fd) || fd < 3) return;
  // Set when this process exits on its own, so that the pipe closing at exit is not taken for a lost supervisor.
  const exiting = new Int32Array(new SharedArrayBuffer(4));
  const source = `
    const { Socket } = require('node:net');
    const { workerData } = require('node:worker_threads');
    const die = () => {
      if (Atomics.load(workerData, 0) === 0) process.kill(process.pid, 'SIGKILL');
    };
    const pipe = new Socket({ fd: ${fd}, readable: true, writable: false });
    pipe.on('data', () => undefined);
    pipe.on('end', die);
    pipe.on('close', die);
    pipe.on('error', die);
  `;
  process.on('exit', () => Atomics.store(exiting, 0, 1));
  new Worker(source, { eval: true, workerData: exiting }).unref();
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const failure = describeFailure(error, Boolean(process.env.GANKIT_DEBUG));
    process.stderr.write(`${failure.text}\n`);
    process.exitCode = failure.exitCode;
  },
);
