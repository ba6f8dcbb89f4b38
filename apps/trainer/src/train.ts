import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError, canPauseGradientTape, lowMemoryVariableGrads, outOfMemoryError, outsideGradientTape, createRng, fileError, toImageGrid, type NamedTensor, type Rng, type RngState } from '@gankit/core';
import { initBackend, defaultWasmThreads } from '@gankit/backend-wasm';
import { atomicWriteFile, encodePng, loadWeightsMap, saveWeightsMap } from '@gankit/core/node';
import { clipByGlobalNorm, clipWeights, type ExponentialMovingAverage, type ScheduledOptimizer } from '@gankit/optimizers';
import { loadTrainingState, saveTrainingState } from '@gankit/optimizers/node';
import { buildComponents, exportGenerator } from './build';
import type { Batch, Components } from './components';
import { deepMerge, validateConfig, type ConfigOverrides, type TrainConfig } from './config';
import type { ProgressEvent, ProgressReporter } from './progress';
import { commandLine, reportVersions, writeReport, type RunInfo } from './report';
import {
  CHECKPOINT_STATE,
  appendMetrics,
  checkpointDir,
  listCheckpoints,
  prepareRunFolder,
  pruneCheckpoints,
  readBest,
  runPaths,
  truncateMetricsAfter,
  writeBest,
  writeCheckpoint,
  writeJson,
  type MetricsRecord,
  type RunPaths,
} from './run-folder';
import { EventFileWriter } from './tensorboard';
import { assignInOrder } from './tensor-files';

/** Options of `train`. */
export interface TrainOptions {
  /** The run folder. */
  out: string;
  /** Continue from the last complete checkpoint in `out`. */
  resume?: boolean;
  /** Delete the contents of a non-empty `out` first. */
  force?: boolean;
  /** Aborting finishes the current step, writes a checkpoint and returns with `interrupted: true`. */
  signal?: AbortSignal;
  /** Called after every logged step. */
  onProgress?: (event: ProgressEvent) => void;
  /** Where progress and messages are printed (default: nothing is printed). */
  reporter?: ProgressReporter;
}

/** What `train` returns. */
export interface TrainResult {
  runDir: string;
  /** Last completed step. */
  step: number;
  interrupted: boolean;
  /** The last sample grid written. */
  samplesPath: string | undefined;
  reportPath: string | undefined;
  /** The exported final generator (TF.js Layers format), when the run completed. */
  generatorPath: string | undefined;
  /** The TensorBoard event folder (`tensorboard --logdir <it>`), when TensorBoard logging is on. */
  tensorboardPath: string | undefined;
  /** Last evaluated metric values (e.g. `{ mnist_fid: 12.3 }`). */
  metrics: Record<string, number>;
  seconds: number;
  /** CPU time of this process during the run (user + system), a load-independent cost measure. */
  cpuSeconds: number;
  backend: string;
}

/** The RNG streams of a run, each saved in checkpoints so a resumed run draws the same numbers. */
export interface RunRngs {
  latent: Rng;
  penalty: Rng;
  labels: Rng;
}

/** The state file of a checkpoint. */
interface CheckpointState {
  step: number;
  rngs: Record<keyof RunRngs, RngState>;
  data: unknown;
  dSteps: number;
  elapsedSeconds: number;
}

/** Reads a run folder's resolved `config.json` (for `--resume`), applying command-line overrides. */
export async function readRunConfig(dir: string, overrides: ConfigOverrides = {}): Promise<TrainConfig> {
  const path = runPaths(dir).config;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof SyntaxError) throw new GanKitError('FILE_CORRUPT', `${path} is not valid JSON: ${error.message}`, { path });
    throw fileError(path, 'read the run config (is this a gankit run folder?)', error);
  }
  const cli: Record<string, unknown> = {};
  if (overrides.seed !== undefined) cli.seed = overrides.seed;
  if (overrides.backend !== undefined) cli.backend = overrides.backend;
  if (overrides.threads !== undefined) cli.threads = overrides.threads;
  if (overrides.steps !== undefined) cli.training = { steps: overrides.steps };
  if (overrides.batchSize !== undefined) throw new GanKitError('INVALID_ARGUMENT', '--batch-size cannot change when resuming a run');
  return validateConfig(deepMerge(raw, cli), path);
}

export function variablesOf(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

export function callModel(model: tfl.LayersModel, inputs: tf.Tensor[], training: boolean): tf.Tensor[] {
  const out = model.apply(inputs.length === 1 ? (inputs[0] as tf.Tensor) : inputs, { training }) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

function modelInputs(names: string[], byName: Record<string, tf.Tensor | undefined>): tf.Tensor[] {
  return names.map((name) => {
    const t = byName[name];
    if (t === undefined) throw new GanKitError('INVALID_ARGUMENT', `the model needs an input "${name}" the trainer cannot provide`);
    return name === 'labels' ? tf.reshape(t, [-1, 1]) : t;
  });
}

/** The generator's inputs: z, plus labels for class-conditional models. */
export function generatorInputs(c: Components, z: tf.Tensor, labels: tf.Tensor | undefined): tf.Tensor[] {
  return modelInputs(c.generatorInputs, { z, labels });
}

/** The discriminator's inputs: images, plus labels where D is conditioned on them (cGAN, projection). */
function discriminatorInputs(c: Components, images: tf.Tensor, labels: tf.Tensor | undefined): tf.Tensor[] {
  return modelInputs(c.discriminatorInputs, { images, labels });
}

function latentBatch(rng: Rng, n: number, dim: number): tf.Tensor2D {
  return tf.tensor2d(rng.normalArray(n * dim), [n, dim]);
}

function labelBatch(rng: Rng, n: number, numClasses: number): tf.Tensor1D {
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = rng.int(numClasses);
  return tf.tensor1d(labels, 'int32');
}

function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/** Applies gradients (clipped to a global norm when `maxNorm` > 0); reports the pre-clipping norm if asked. */
function applyWithClipping(optimizer: ScheduledOptimizer, grads: tf.NamedTensorMap, maxNorm: number, reportNorm?: (norm: tf.Scalar) => void): void {
  if (maxNorm > 0) {
    const clipped = clipByGlobalNorm(grads, maxNorm);
    reportNorm?.(clipped.globalNorm);
    optimizer.applyGradients(clipped.grads);
    return;
  }
  if (reportNorm) reportNorm(globalNorm(grads));
  optimizer.applyGradients(grads);
}

/** Scalars one step produces; read back from the device only on logging steps. */
export type StepScalars = Record<string, tf.Scalar>;

/**
 * The D update (its own gradient tape over D's variables only, so G — whose output `fake` is — stays fixed),
 * including penalties, gradient clipping and weight clipping. Must run inside a `tf.tidy`.
 */
export function discriminatorUpdate(
  c: Components,
  config: TrainConfig,
  rngs: RunRngs,
  batch: Batch,
  fake: tf.Tensor,
  fakeLabels: tf.Tensor1D | undefined,
  dStep: number,
  read: boolean,
  kept: StepScalars,
): void {
  const critic = (x: tf.Tensor, cond?: tf.Tensor) => callModel(c.discriminator, discriminatorInputs(c, x, cond), true)[0] as tf.Tensor;
  const condition = c.discriminatorInputs.includes('labels') ? batch.labels : undefined;
  const { value, grads } = lowMemoryVariableGrads(() => {
    const realOut = callModel(c.discriminator, discriminatorInputs(c, batch.images, batch.labels), true);
    const fakeOut = callModel(c.discriminator, discriminatorInputs(c, fake, fakeLabels), true);
    let loss = c.loss.discriminator(realOut[0] as tf.Tensor, fakeOut[0] as tf.Tensor);
    if (read) {
      kept.d_real = tf.keep(tf.mean(realOut[0] as tf.Tensor));
      kept.d_fake = tf.keep(tf.mean(fakeOut[0] as tf.Tensor));
    }
    if (c.auxiliary && c.auxLoss && batch.labels && fakeLabels) {
      const aux: tf.Scalar = tf.add(c.auxLoss(realOut[1] as tf.Tensor, batch.labels), c.auxLoss(fakeOut[1] as tf.Tensor, fakeLabels));
      if (read) kept.d_aux = tf.keep(aux);
      loss = tf.add(loss, tf.mul(config.loss.auxWeight, aux));
    }
    if (c.gradientPenalty) {
      const gp = c.gradientPenalty(critic, batch.images, fake, rngs.penalty, condition);
      if (read) kept.gp = tf.keep(gp);
      loss = tf.add(loss, gp);
    }
    if (c.r1Penalty && dStep % config.regularizers.r1Every === 0) {
      const r1 = c.r1Penalty(critic, batch.images, condition);
      if (read) kept.r1 = tf.keep(r1);
      loss = tf.add(loss, tf.mul(config.regularizers.r1Every, r1));
    }
    return loss;
  }, variablesOf(c.discriminator));
  applyWithClipping(c.dOptimizer, grads, c.clipGradNorm, read ? (norm) => (kept.d_grad_norm = tf.keep(norm)) : undefined);
  if (c.clipWeights > 0) clipWeights(variablesOf(c.discriminator), c.clipWeights);
  kept.d_loss = tf.keep(value);
}

/** G's loss on its own samples `fake` from the current D (plus the ACGAN term); D(real) only for relativistic losses. */
export function generatorLoss(c: Components, config: TrainConfig, batch: Batch, fake: tf.Tensor, labels: tf.Tensor1D | undefined, read: boolean, kept: StepScalars): tf.Scalar {
  const fakeOut = callModel(c.discriminator, discriminatorInputs(c, fake, labels), true);
  const realLogits = c.generatorNeedsRealLogits ? (callModel(c.discriminator, discriminatorInputs(c, batch.images, batch.labels), true)[0] as tf.Tensor) : undefined;
  let loss = c.loss.generator(fakeOut[0] as tf.Tensor, realLogits);
  if (c.auxiliary && c.auxLoss && labels) {
    const aux = c.auxLoss(fakeOut[1] as tf.Tensor, labels);
    if (read) kept.g_aux = tf.keep(aux);
    loss = tf.add(loss, tf.mul(config.loss.auxWeight, aux));
  }
  return loss;
}

/** One D step: G fixed (its forward runs outside any gradient tape), gradients for D only. */
function discriminatorStep(c: Components, config: TrainConfig, rngs: RunRngs, batch: Batch, dStep: number, read: boolean): StepScalars {
  return tf.tidy(() => {
    const n = batch.images.shape[0];
    const fakeLabels = c.numClasses !== undefined ? labelBatch(rngs.labels, n, c.numClasses) : undefined;
    const z = latentBatch(rngs.latent, n, c.latentDim);
    // Its own scope: G's intermediate activations are freed before D's forward and backward run.
    const fake = tf.tidy(() => callModel(c.generator, generatorInputs(c, z, fakeLabels), true)[0] as tf.Tensor);
    const kept: StepScalars = {};
    discriminatorUpdate(c, config, rngs, batch, fake, fakeLabels, dStep, read, kept);
    return kept;
  });
}

/**
 * A D step then a G step sharing one generator forward (PyTorch's `fake.detach()` pattern): G(z) is computed once
 * inside G's gradient tape; the D update runs on it with G's tape paused (its own tape over D's variables only, so G
 * stays fixed and D's activations are freed when it ends), then G's loss is taken from the updated D on the same
 * samples and backpropagated through the recorded G forward.
 */
export function sharedStep(c: Components, config: TrainConfig, rngs: RunRngs, batch: Batch, dStep: number, read: boolean): StepScalars {
  return tf.tidy(() => {
    const n = batch.images.shape[0];
    const labels = c.numClasses !== undefined ? labelBatch(rngs.labels, n, c.numClasses) : undefined;
    const z = latentBatch(rngs.latent, n, c.latentDim);
    const kept: StepScalars = {};
    const { value, grads } = lowMemoryVariableGrads(() => {
      const fake = callModel(c.generator, generatorInputs(c, z, labels), true)[0] as tf.Tensor;
      outsideGradientTape(() => tf.tidy(() => discriminatorUpdate(c, config, rngs, batch, fake, labels, dStep, read, kept)));
      return generatorLoss(c, config, batch, fake, labels, read, kept);
    }, variablesOf(c.generator));
    applyWithClipping(c.gOptimizer, grads, c.clipGradNorm, read ? (norm) => (kept.g_grad_norm = tf.keep(norm)) : undefined);
    kept.g_loss = tf.keep(value);
    return kept;
  });
}

/** One G step: D fixed, gradients for G only. */
function generatorStep(c: Components, config: TrainConfig, rngs: RunRngs, batch: Batch, read: boolean): StepScalars {
  return tf.tidy(() => {
    const n = batch.images.shape[0];
    const labels = c.numClasses !== undefined ? labelBatch(rngs.labels, n, c.numClasses) : undefined;
    const z = latentBatch(rngs.latent, n, c.latentDim);
    const kept: StepScalars = {};
    const { value, grads } = lowMemoryVariableGrads(() => {
      const fake = callModel(c.generator, generatorInputs(c, z, labels), true)[0] as tf.Tensor;
      return generatorLoss(c, config, batch, fake, labels, read, kept);
    }, variablesOf(c.generator));
    applyWithClipping(c.gOptimizer, grads, c.clipGradNorm, read ? (norm) => (kept.g_grad_norm = tf.keep(norm)) : undefined);
    kept.g_loss = tf.keep(value);
    return kept;
  });
}

async function readScalars(scalars: StepScalars): Promise<Record<string, number>> {
  const entries = await Promise.all(Object.entries(scalars).map(async ([k, t]) => [k, (await t.data())[0] as number] as const));
  for (const t of Object.values(scalars)) t.dispose();
  return Object.fromEntries(entries);
}

function disposeScalars(scalars: StepScalars): void {
  for (const t of Object.values(scalars)) t.dispose();
}

/** The fixed latent batch (and, for conditional models, one row per class) used for every sample grid. */
function fixedSamples(c: Components, config: TrainConfig): { z: tf.Tensor2D; labels: tf.Tensor1D | undefined; columns: number } {
  const rng = createRng(config.seed ^ 0x5a3c11);
  const count = config.logging.sampleCount;
  const z = latentBatch(rng, count, c.latentDim);
  if (c.numClasses === undefined) return { z, labels: undefined, columns: Math.ceil(Math.sqrt(count)) };
  const perRow = Math.max(1, Math.floor(count / c.numClasses));
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = Math.min(c.numClasses - 1, Math.floor(i / perRow));
  return { z, labels: tf.tensor1d(labels, 'int32'), columns: perRow };
}

/** Generates images with the generator in inference mode (the EMA weights when present). */
async function generate<T>(c: Components, fn: () => Promise<T>): Promise<T> {
  return c.ema ? c.ema.withAveragedWeights(fn) : fn();
}

async function writeSampleGrid(c: Components, paths: RunPaths, step: number, fixed: ReturnType<typeof fixedSamples>, tb: EventFileWriter | undefined): Promise<string> {
  const path = join(paths.samples, `step-${step}.png`);
  await generate(c, async () => {
    const images = tf.tidy(() => callModel(c.generator, generatorInputs(c, fixed.z, fixed.labels), false)[0] as tf.Tensor4D);
    try {
      const grid = await toImageGrid(images, { columns: fixed.columns, range: 'tanh' });
      const png = await encodePng(grid);
      await atomicWriteFile(path, png);
      await tb?.image(step, 'samples', png, grid.height, grid.width, 3);
    } finally {
      images.dispose();
    }
  });
  return path;
}

/** uint8 images `[n, H, W, C]` from the generator, for evaluation. */
function generatorSampler(c: Components, rng: Rng): (n: number) => Promise<Uint8Array> {
  return async (n: number) => {
    const images = tf.tidy(() => {
      const z = latentBatch(rng, n, c.latentDim);
      const labels = c.numClasses !== undefined ? labelBatch(rng, n, c.numClasses) : undefined;
      const x = callModel(c.generator, generatorInputs(c, z, labels), false)[0] as tf.Tensor;
      return tf.cast(tf.round(tf.mul(tf.add(tf.clipByValue(x, -1, 1), 1), 127.5)), 'int32');
    });
    const data = await images.data();
    images.dispose();
    return Uint8Array.from(data);
  };
}

/** A model's weights (trainable and not: batch-norm statistics, spectral-norm vectors) with unique names. */
function modelTensors(model: tfl.LayersModel): NamedTensor[] {
  return model.weights.map((w, i) => ({ name: `${i}:${w.name}`, tensor: w.read() }));
}

/** Optimiser slots, schedule positions and EMA shadows, saved together by `@gankit/optimizers`. */
function trainingStateParts(c: Components): { optimizers: Record<string, ScheduledOptimizer>; emas: Record<string, ExponentialMovingAverage> } {
  return { optimizers: { generator: c.gOptimizer, discriminator: c.dOptimizer }, emas: c.ema ? { generator: c.ema } : {} };
}

async function saveCheckpoint(c: Components, paths: RunPaths, state: CheckpointState): Promise<void> {
  await writeCheckpoint(paths, state.step, async (dir) => {
    await saveWeightsMap(dir, modelTensors(c.generator), { name: 'generator' });
    await saveWeightsMap(dir, modelTensors(c.discriminator), { name: 'discriminator' });
    await saveTrainingState(dir, trainingStateParts(c), { name: 'training-state' });
    await writeJson(join(dir, CHECKPOINT_STATE), state);
  });
}

async function restoreCheckpoint(c: Components, dir: string): Promise<CheckpointState> {
  let state: CheckpointState;
  try {
    state = JSON.parse(await readFile(join(dir, CHECKPOINT_STATE), 'utf8')) as CheckpointState;
  } catch (error) {
    throw fileError(join(dir, CHECKPOINT_STATE), 'read checkpoint state', error);
  }
  const assignModel = async (model: tfl.LayersModel, name: string) => {
    const saved = (await loadWeightsMap(dir, { name })).entries;
    try {
      assignInOrder(
        model.weights.map((w) => ({ name: w.name, shape: w.shape as number[], write: (t) => w.write(t) })),
        saved,
        `${dir}/${name}`,
      );
    } finally {
      for (const s of saved) s.tensor.dispose();
    }
  };
  await assignModel(c.generator, 'generator');
  await assignModel(c.discriminator, 'discriminator');
  await loadTrainingState(dir, trainingStateParts(c), { name: 'training-state' });
  c.data.setState(state.data);
  return state;
}

function finiteOrThrow(step: number, values: Record<string, number>, lastCheckpoint: number | undefined): void {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isFinite(value)) {
      const keep = lastCheckpoint === undefined ? 'no checkpoint was written yet' : `the last good checkpoint is step ${lastCheckpoint}`;
      throw new GanKitError('NON_FINITE_LOSS', `training diverged: ${name} is ${value} at step ${step}; ${keep} (try a lower learning rate)`);
    }
  }
}

/**
 * Trains a GAN from a validated config: D step(s) with G fixed, then a G step with D fixed, writing samples,
 * metrics, TensorBoard events, atomic checkpoints and a report into `options.out`. Resumable; abortable.
 */
export async function train(config: TrainConfig, options: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const reporter = options.reporter;
  if (options.resume) {
    // Resuming a run that already reached its step count would train nothing: say so before loading anything.
    const last = (await listCheckpoints(runPaths(options.out))).at(-1);
    if (last !== undefined && last >= config.training.steps) {
      throw new GanKitError(
        'INVALID_ARGUMENT',
        `nothing to train: ${options.out} is already at step ${last} and the run asks for ${config.training.steps} steps in total; ` +
          `resume with a larger step count (--steps N with N > ${last}) to train further`,
        { path: options.out },
      );
    }
  }
  const backend = await initBackend({ backend: config.backend, threads: config.threads === 'auto' ? defaultWasmThreads() : config.threads });
  const threadsNote = backend.threads === undefined ? '' : `, ${backend.threads} conv thread${backend.threads === 1 ? '' : 's'}`;
  reporter?.info(`backend: ${backend.name} (${backend.package}${threadsNote})`, { backend: backend.name });
  if (backend.warning) reporter?.info(`warning: ${backend.warning}`, { warning: backend.warning });
  const c = await buildComponents(config);
  const fixed = fixedSamples(c, config);
  const rngRoot = createRng(config.seed);
  const rngs: RunRngs = { latent: rngRoot.fork(), penalty: rngRoot.fork(), labels: rngRoot.fork() };
  const evalRng = createRng(config.seed ^ 0xe7a1);
  let tb: EventFileWriter | undefined;
  try {
    const paths = await prepareRunFolder(options.out, { force: options.force ?? false, resume: options.resume ?? false });
    let step = 0;
    let dSteps = 0;
    let elapsedBefore = 0;
    const checkpoints = options.resume ? await listCheckpoints(paths) : [];
    let lastCheckpoint = checkpoints.at(-1);
    if (lastCheckpoint !== undefined) {
      const state = await restoreCheckpoint(c, checkpointDir(paths, lastCheckpoint));
      step = state.step;
      dSteps = state.dSteps;
      elapsedBefore = state.elapsedSeconds;
      rngs.latent.setState(state.rngs.latent);
      rngs.penalty.setState(state.rngs.penalty);
      rngs.labels.setState(state.rngs.labels);
      await truncateMetricsAfter(paths, step);
      reporter?.info(`resumed from ${checkpointDir(paths, step)} at step ${step}`, { resumedFrom: step });
    } else if (options.resume) {
      reporter?.info(`no complete checkpoint in ${paths.root}: starting from step 0`);
      await truncateMetricsAfter(paths, 0);
    }
    await atomicWriteFile(paths.config, `${JSON.stringify(config, null, 2)}\n`);
    if (config.logging.tensorboard) tb = await EventFileWriter.create(paths.tensorboard);

    const total = config.training.steps;
    // One generator forward serves the D and the G step when there is one D step per G step.
    const shareForward = config.training.shareGeneratorForward && config.training.nCritic === 1 && canPauseGradientTape();
    const batchSize = config.training.batchSize;
    const log = config.logging;
    let samplesPath: string | undefined;
    let lastMetrics: Record<string, number> = {};
    let best = await readBest(paths);
    let interrupted = false;
    let windowStart = performance.now();
    let windowImages = 0;
    const checkpointNow = async () => {
      const state: CheckpointState = {
        step,
        rngs: { latent: rngs.latent.getState(), penalty: rngs.penalty.getState(), labels: rngs.labels.getState() },
        data: c.data.getState(),
        dSteps,
        elapsedSeconds: elapsedBefore + (performance.now() - started) / 1000,
      };
      await saveCheckpoint(c, paths, state);
      lastCheckpoint = step;
      reporter?.info(`checkpoint: ${checkpointDir(paths, step)}`, { event: 'checkpoint', step });
      await pruneCheckpoints(paths, log.keepLast);
    };
    const startedAt = new Date().toISOString();
    let lastReport = Number.NEGATIVE_INFINITY;
    /** Rewrites report.html: at log steps while running (at most every 3 s), at checkpoints and at the end. */
    const report = async (status: 'running' | 'finished' | 'interrupted', force = true) => {
      if (!log.report || (!force && performance.now() - lastReport < 3000)) return;
      lastReport = performance.now();
      const run: RunInfo = {
        started: startedAt,
        elapsedSeconds: elapsedBefore + (performance.now() - started) / 1000,
        command: commandLine(),
        versions: reportVersions(tf.version_core),
        backend: `${backend.name} (${backend.package}${threadsNote})`,
        parameters: { generator: c.generator.countParams(), discriminator: c.discriminator.countParams() },
        step,
        totalSteps: total,
      };
      const onDisk = await listCheckpoints(paths);
      await writeReport(paths, {
        title: config.name,
        config,
        summary: summary(),
        status,
        run,
        checkpoints: onDisk,
        ...(best && onDisk.includes(best.step) && { best: best.step }),
        tensorboard: config.logging.tensorboard,
        generator: status === 'finished',
      });
    };
    const summary = () => ({ backend: backend.name, steps: `${step} / ${total}`, 'batch size': String(batchSize), ...Object.fromEntries(Object.entries(lastMetrics).map(([k, v]) => [k, v.toFixed(3)])) });

    let phase = 'the first step';
    const outOfMemory = (error: unknown) =>
      outOfMemoryError(
        error,
        `${phase} at batch size ${batchSize} on ${backend.name}`,
        backend.name === 'wasm'
          ? 'lower training.batchSize (--batch-size) or the model width, or train on @tensorflow/tfjs-node, which has no 4 GiB limit'
          : 'lower training.batchSize (--batch-size) or the model width',
      ) ?? error;
    while (step < total) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      try {
        const next = step + 1;
        const isLast = next === total;
        const doCheckpoint = next % log.checkpointEvery === 0 || isLast;
        const doSample = next % log.sampleEvery === 0 || isLast;
        const doEval = c.evaluator !== undefined && ((log.evalEvery > 0 && next % log.evalEvery === 0) || isLast);
        const read = next % log.logEvery === 0 || doCheckpoint || doSample || doEval || isLast;
        const lrG = c.gOptimizer.nextLearningRate;
        const lrD = c.dOptimizer.nextLearningRate;

        let scalars: StepScalars;
        phase = `${shareForward ? 'the D and G step' : 'the D step'}${c.gradientPenalty ? ' (with its gradient penalty)' : ''}`;
        if (shareForward) {
          const batch = await c.data.next();
          dSteps++;
          scalars = sharedStep(c, config, rngs, batch, dSteps, read);
          disposeBatch(batch);
        } else {
          let dScalars: StepScalars = {};
          let lastBatch: Batch | undefined;
          for (let k = 0; k < config.training.nCritic; k++) {
            const batch = await c.data.next();
            dSteps++;
            disposeScalars(dScalars);
            dScalars = discriminatorStep(c, config, rngs, batch, dSteps, read && k === config.training.nCritic - 1);
            if (lastBatch) disposeBatch(lastBatch);
            lastBatch = batch;
          }
          phase = 'the G step';
          scalars = { ...dScalars, ...generatorStep(c, config, rngs, lastBatch as Batch, read) };
          disposeBatch(lastBatch as Batch);
        }
        c.ema?.update();
        step = next;
        windowImages += batchSize * config.training.nCritic;

        if (read) {
          const values = await readScalars(scalars);
          finiteOrThrow(step, { d_loss: values.d_loss ?? 0, g_loss: values.g_loss ?? 0 }, lastCheckpoint);
          const now = performance.now();
          const imagesPerSec = (windowImages * 1000) / Math.max(1, now - windowStart);
          windowStart = now;
          windowImages = 0;
          const record: MetricsRecord = { step, ...values, lr_g: lrG, lr_d: lrD, images_per_sec: imagesPerSec, time: Date.now() / 1000 };
          if (doEval && c.evaluator) {
            phase = 'the evaluation';
            const scores = await generate(c, () => (c.evaluator as NonNullable<Components['evaluator']>).evaluate(generatorSampler(c, evalRng), log.evalSamples));
            for (const [k, v] of Object.entries(scores)) record[`eval_${k}`] = v;
            lastMetrics = scores;
            const main = Object.values(scores)[0];
            if (main !== undefined && Number.isFinite(main) && (best === undefined || main < best.value)) {
              best = { step, metric: Object.keys(scores)[0] as string, value: main };
            }
          }
          await appendMetrics(paths, record);
          await tb?.scalars(step, Object.fromEntries(Object.entries(record).filter(([k, v]) => k !== 'step' && k !== 'time' && typeof v === 'number')) as Record<string, number>);
          const event: ProgressEvent = {
            step,
            totalSteps: total,
            dLoss: values.d_loss ?? Number.NaN,
            gLoss: values.g_loss ?? Number.NaN,
            imagesPerSec,
            etaSeconds: ((total - step) * batchSize * config.training.nCritic) / Math.max(imagesPerSec, 1e-9),
            values: Object.fromEntries(Object.entries(record).filter(([k, v]) => typeof v === 'number' && !['step', 'd_loss', 'g_loss', 'images_per_sec', 'time'].includes(k))) as Record<string, number>,
          };
          reporter?.progress(event);
          options.onProgress?.(event);
        } else {
          disposeScalars(scalars);
        }
        phase = 'writing the sample grid';
        if (doSample) samplesPath = await writeSampleGrid(c, paths, step, fixed, tb);
        phase = 'writing a checkpoint';
        if (doCheckpoint) {
          if (best?.step === step) await writeBest(paths, best);
          await checkpointNow();
          await tb?.flush();
        }
        if ((read || doCheckpoint) && !isLast) await report('running', doCheckpoint);
      } catch (error) {
        throw outOfMemory(error);
      }
    }

    if (interrupted) {
      if (lastCheckpoint !== step) await checkpointNow();
      reporter?.info(`interrupted: checkpoint written at step ${step}; continue with --resume ${paths.root}`, { interruptedAt: step });
    }
    let generatorPath: string | undefined;
    if (!interrupted && step >= total) {
      generatorPath = paths.generator;
      await generate(c, () => exportGenerator(c.generator, paths.generator));
    }
    await report(interrupted ? 'interrupted' : 'finished');
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    return {
      runDir: resolve(paths.root),
      step,
      interrupted,
      samplesPath,
      reportPath: log.report ? paths.report : undefined,
      generatorPath,
      tensorboardPath: log.tensorboard ? paths.tensorboard : undefined,
      metrics: lastMetrics,
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      backend: backend.name,
    };
  } finally {
    await tb?.close().catch(() => undefined);
    fixed.z.dispose();
    fixed.labels?.dispose();
    c.dispose();
  }
}

function disposeBatch(batch: Batch): void {
  batch.images.dispose();
  batch.labels?.dispose();
}
