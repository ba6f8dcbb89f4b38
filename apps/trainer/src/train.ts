import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError, outOfMemoryError, createRng, fileError, toImageGrid, type NamedTensor, type Rng, type RngState } from '@gankit/core';
import { initBackend, defaultWasmThreads, type BackendInfo } from '@gankit/backend-wasm';
import { atomicWriteFile, encodePng, loadWeightsMap, saveWeightsMap } from '@gankit/core/node';
import type { AdaControllerState } from '@gankit/augment';
import type { ExponentialMovingAverage, ScheduledOptimizer } from '@gankit/optimizers';
import { loadTrainingState, saveTrainingState } from '@gankit/optimizers/node';
import { callModel, disposeScalars, labelBatch, latentBatch, modelInputs, readScalars, type StepScalars } from '@gankit/training';
import { buildComponents, exportGenerator } from './build';
import type { Components } from './components';
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
  type BestCheckpoint,
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

export type { RunRngs } from './components';

/** The state file of a checkpoint. */
interface CheckpointState {
  step: number;
  /** `loss` only for runs with label flipping (checkpoints before 0.2 lack it: their flips restart on resume); `augment` from 0.2. */
  rngs: Record<'latent' | 'penalty' | 'labels', RngState> & { loss?: RngState; augment?: RngState };
  data: unknown;
  /** D steps done: always step × n_critic (written for trainers before 0.2, which read it; ignored on resume). */
  dSteps?: number;
  /** ADA's controller (p, its sign accumulator), when the run uses ADA. */
  ada?: AdaControllerState;
  /** Running mean of StyleGAN2's path lengths (runs with regularizers.pathLength > 0). */
  pathLengthMean?: number;
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

/** The generator's inputs: z, plus labels for class-conditional models. */
function generatorInputs(c: Components, z: tf.Tensor, labels: tf.Tensor | undefined): tf.Tensor[] {
  return modelInputs(c.generatorInputs, { z, labels });
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
  c.rngs.latent.setState(state.rngs.latent);
  c.rngs.penalty.setState(state.rngs.penalty);
  c.rngs.labels.setState(state.rngs.labels);
  if (state.rngs.loss !== undefined) c.rngs.loss?.setState(state.rngs.loss);
  if (state.rngs.augment) c.rngs.augment.setState(state.rngs.augment);
  const ada = c.augmenter?.controller;
  if (ada) {
    if (!state.ada) throw new GanKitError('FILE_MISMATCH', `${dir} has no ADA state; the run config asks for augment.ada (was the checkpoint written without it?)`, { path: dir });
    ada.setState(state.ada);
  }
  if (state.pathLengthMean !== undefined) c.pathLength?.setState({ mean: state.pathLengthMean });
  // The D-step count (lazy regularization intervals) is derived: step × n_critic.
  c.step.steps = state.step;
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

/** What is due after the step that ends at `step`. */
interface Due {
  isLast: boolean;
  checkpoint: boolean;
  samples: boolean;
  evaluation: boolean;
  /** Read the step's scalars back from the device (a metrics line). */
  log: boolean;
}

function dueAfter(step: number, config: TrainConfig, hasEvaluator: boolean): Due {
  const log = config.logging;
  const isLast = step === config.training.steps;
  const checkpoint = step % log.checkpointEvery === 0 || isLast;
  const samples = step % log.sampleEvery === 0 || isLast;
  const evaluation = hasEvaluator && ((log.evalEvery > 0 && step % log.evalEvery === 0) || isLast);
  return { isLast, checkpoint, samples, evaluation, log: step % log.logEvery === 0 || checkpoint || samples || evaluation || isLast };
}

/** A run in progress: the state the loop and its hooks (logs, evaluation, samples, checkpoints, report) share. */
class TrainingRun {
  /** Last completed step (the library step's count). */
  get step(): number {
    return this.c.step.steps;
  }
  lastCheckpoint: number | undefined;
  best: BestCheckpoint | undefined;
  lastMetrics: Record<string, number> = {};
  samplesPath: string | undefined;
  /** What runs now, for out-of-memory messages. */
  phase = 'the first step';
  private elapsedBefore = 0;
  private windowStart = performance.now();
  private windowImages = 0;
  private lastReport = Number.NEGATIVE_INFINITY;
  private readonly startedAt = new Date().toISOString();
  private readonly fixed: ReturnType<typeof fixedSamples>;
  private readonly evalRng: Rng;
  /** TensorBoard events, when on. */
  tb: EventFileWriter | undefined;

  constructor(
    readonly config: TrainConfig,
    readonly c: Components,
    readonly paths: RunPaths,
    readonly backend: BackendInfo,
    private readonly options: TrainOptions,
    private readonly started: number,
  ) {
    this.fixed = fixedSamples(c, config);
    this.evalRng = createRng(config.seed ^ 0xe7a1);
  }

  private get elapsedSeconds(): number {
    return this.elapsedBefore + (performance.now() - this.started) / 1000;
  }

  private get backendLabel(): string {
    const threads = this.backend.threads === undefined ? '' : `, ${this.backend.threads} conv thread${this.backend.threads === 1 ? '' : 's'}`;
    return `${this.backend.name} (${this.backend.package}${threads})`;
  }

  /** Continues from the last complete checkpoint, if any. */
  async restore(checkpoints: number[]): Promise<void> {
    this.lastCheckpoint = checkpoints.at(-1);
    this.best = await readBest(this.paths);
    if (this.lastCheckpoint !== undefined) {
      const state = await restoreCheckpoint(this.c, checkpointDir(this.paths, this.lastCheckpoint));
      this.elapsedBefore = state.elapsedSeconds;
      await truncateMetricsAfter(this.paths, this.step);
      this.options.reporter?.info(`resumed from ${checkpointDir(this.paths, this.step)} at step ${this.step}`, { resumedFrom: this.step });
    } else if (this.options.resume) {
      this.options.reporter?.info(`no complete checkpoint in ${this.paths.root}: starting from step 0`);
      await truncateMetricsAfter(this.paths, 0);
    }
  }

  /** One training step through the library step; the scalars stay on the device unless `read`. */
  async trainStep(read: boolean): Promise<{ scalars: StepScalars; lr: { lr_g: number; lr_d: number } }> {
    const lr = { lr_g: this.c.gOptimizer.nextLearningRate, lr_d: this.c.dOptimizer.nextLearningRate };
    const penalty = this.config.regularizers.gradientPenalty > 0 ? ' (with its gradient penalty)' : '';
    const phases = { shared: `the D and G step${penalty}`, discriminator: `the D step${penalty}`, generator: 'the G step' };
    const scalars = await this.c.step.step(() => this.c.data.next(), { read, onPhase: (p) => (this.phase = phases[p]) });
    const ada = this.c.augmenter?.controller;
    if (ada && scalars.d_real_sign) {
      // ADA's overfitting heuristic needs E[sign(D(x_real))] of every step, not only of logged ones.
      const count = this.config.training.batchSize * this.config.training.nCritic;
      ada.updateSigns(Math.round((scalars.d_real_sign.dataSync()[0] as number) * count), count);
    }
    this.windowImages += this.config.training.batchSize * this.config.training.nCritic;
    return { scalars, lr };
  }

  /** Log hook: reads the scalars, checks them, adds the evaluation, writes metrics.jsonl and TensorBoard, reports progress. */
  async log(scalars: StepScalars, lr: { lr_g: number; lr_d: number }, evaluate: boolean): Promise<void> {
    const { step } = this;
    const values = await readScalars(scalars);
    finiteOrThrow(step, { d_loss: values.d_loss ?? 0, g_loss: values.g_loss ?? 0 }, this.lastCheckpoint);
    const now = performance.now();
    const imagesPerSec = (this.windowImages * 1000) / Math.max(1, now - this.windowStart);
    this.windowStart = now;
    this.windowImages = 0;
    const record: MetricsRecord = { step, ...values, ...lr, images_per_sec: imagesPerSec, time: Date.now() / 1000 };
    const ada = this.c.augmenter?.controller;
    if (ada) {
      record.ada_p = ada.p;
      if (ada.lastRt !== null) record.ada_rt = ada.lastRt;
    }
    if (evaluate) for (const [k, v] of Object.entries(await this.evaluate())) record[`eval_${k}`] = v;
    await appendMetrics(this.paths, record);
    await this.tb?.scalars(step, Object.fromEntries(Object.entries(record).filter(([k, v]) => k !== 'step' && k !== 'time' && typeof v === 'number')) as Record<string, number>);
    const total = this.config.training.steps;
    const event: ProgressEvent = {
      step,
      totalSteps: total,
      dLoss: values.d_loss ?? Number.NaN,
      gLoss: values.g_loss ?? Number.NaN,
      imagesPerSec,
      etaSeconds: ((total - step) * this.config.training.batchSize * this.config.training.nCritic) / Math.max(imagesPerSec, 1e-9),
      values: Object.fromEntries(Object.entries(record).filter(([k, v]) => typeof v === 'number' && !['step', 'd_loss', 'g_loss', 'images_per_sec', 'time'].includes(k))) as Record<string, number>,
    };
    this.options.reporter?.progress(event);
    this.options.onProgress?.(event);
  }

  /** Evaluation hook: scores the (EMA) generator and tracks the best step. */
  async evaluate(): Promise<Record<string, number>> {
    const evaluator = this.c.evaluator;
    if (!evaluator) return {};
    this.phase = 'the evaluation';
    const scores = await generate(this.c, () => evaluator.evaluate(generatorSampler(this.c, this.evalRng), this.config.logging.evalSamples));
    this.lastMetrics = scores;
    const main = Object.values(scores)[0];
    if (main !== undefined && Number.isFinite(main) && (this.best === undefined || main < this.best.value)) {
      this.best = { step: this.step, metric: Object.keys(scores)[0] as string, value: main };
    }
    return scores;
  }

  /** Samples hook: the fixed-latent grid. */
  async samples(): Promise<void> {
    this.phase = 'writing the sample grid';
    this.samplesPath = await writeSampleGrid(this.c, this.paths, this.step, this.fixed, this.tb);
  }

  /** Checkpoint hook: the best marker, an atomic checkpoint, pruning, TensorBoard flush. */
  async checkpoint(): Promise<void> {
    this.phase = 'writing a checkpoint';
    const { step, c } = this;
    if (this.best?.step === step) await writeBest(this.paths, this.best);
    const state: CheckpointState = {
      step,
      rngs: { latent: c.rngs.latent.getState(), penalty: c.rngs.penalty.getState(), labels: c.rngs.labels.getState(), augment: c.rngs.augment.getState(), ...(c.rngs.loss && { loss: c.rngs.loss.getState() }) },
      data: c.data.getState(),
      dSteps: c.step.discriminatorSteps,
      ...(c.augmenter?.controller && { ada: c.augmenter.controller.getState() }),
      elapsedSeconds: this.elapsedSeconds,
      ...(c.pathLength && { pathLengthMean: c.pathLength.mean }),
    };
    await saveCheckpoint(c, this.paths, state);
    this.lastCheckpoint = step;
    this.options.reporter?.info(`checkpoint: ${checkpointDir(this.paths, step)}`, { event: 'checkpoint', step });
    await pruneCheckpoints(this.paths, this.config.logging.keepLast);
    await this.tb?.flush();
  }

  /** Report hook: rewrites report.html (while running at most every 3 s unless forced). */
  async report(status: 'running' | 'finished' | 'interrupted', force = true): Promise<void> {
    const log = this.config.logging;
    if (!log.report || (!force && performance.now() - this.lastReport < 3000)) return;
    this.lastReport = performance.now();
    const { c, step } = this;
    const total = this.config.training.steps;
    const run: RunInfo = {
      started: this.startedAt,
      elapsedSeconds: this.elapsedSeconds,
      command: commandLine(),
      versions: reportVersions(tf.version_core),
      backend: this.backendLabel,
      parameters: { generator: c.generator.countParams(), discriminator: c.discriminator.countParams() },
      step,
      totalSteps: total,
    };
    const onDisk = await listCheckpoints(this.paths);
    const summary = {
      backend: this.backend.name,
      steps: `${step} / ${total}`,
      'batch size': String(this.config.training.batchSize),
      ...Object.fromEntries(Object.entries(this.lastMetrics).map(([k, v]) => [k, v.toFixed(3)])),
    };
    await writeReport(this.paths, {
      title: this.config.name,
      config: this.config,
      summary,
      status,
      run,
      checkpoints: onDisk,
      ...(this.best && onDisk.includes(this.best.step) && { best: this.best.step }),
      tensorboard: log.tensorboard,
      generator: status === 'finished',
    });
  }

  /** Out-of-memory errors name the phase, the batch size and the backend. */
  outOfMemory(error: unknown): unknown {
    const { name } = this.backend;
    const hint =
      name === 'wasm'
        ? 'lower training.batchSize (--batch-size) or the model width, or train on @tensorflow/tfjs-node, which has no 4 GiB limit'
        : 'lower training.batchSize (--batch-size) or the model width';
    return outOfMemoryError(error, `${this.phase} at batch size ${this.config.training.batchSize} on ${name}`, hint) ?? error;
  }

  dispose(): void {
    this.fixed.z.dispose();
    this.fixed.labels?.dispose();
  }
}

/** Refuses to resume a run that already reached its step count (it would train nothing), before loading anything. */
async function checkResumable(config: TrainConfig, out: string): Promise<void> {
  const last = (await listCheckpoints(runPaths(out))).at(-1);
  if (last !== undefined && last >= config.training.steps) {
    throw new GanKitError(
      'INVALID_ARGUMENT',
      `nothing to train: ${out} is already at step ${last} and the run asks for ${config.training.steps} steps in total; ` +
        `resume with a larger step count (--steps N with N > ${last}) to train further`,
      { path: out },
    );
  }
}

/**
 * Trains a GAN from a validated config: D step(s) with G fixed, then a G step with D fixed (`@gankit/training`'s
 * step), writing samples, metrics, TensorBoard events, atomic checkpoints and a report into `options.out`.
 * Resumable; abortable.
 */
export async function train(config: TrainConfig, options: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const reporter = options.reporter;
  if (options.resume) await checkResumable(config, options.out);
  const backend = await initBackend({ backend: config.backend, threads: config.threads === 'auto' ? defaultWasmThreads() : config.threads });
  const threadsNote = backend.threads === undefined ? '' : `, ${backend.threads} conv thread${backend.threads === 1 ? '' : 's'}`;
  reporter?.info(`backend: ${backend.name} (${backend.package}${threadsNote})`, { backend: backend.name });
  if (backend.warning) reporter?.info(`warning: ${backend.warning}`, { warning: backend.warning });
  const c = await buildComponents(config);
  let run: TrainingRun | undefined;
  let tb: EventFileWriter | undefined;
  try {
    const paths = await prepareRunFolder(options.out, { force: options.force ?? false, resume: options.resume ?? false });
    const checkpoints = options.resume ? await listCheckpoints(paths) : [];
    run = new TrainingRun(config, c, paths, backend, options, started);
    await run.restore(checkpoints);
    await atomicWriteFile(paths.config, `${JSON.stringify(config, null, 2)}\n`);
    if (config.logging.tensorboard) run.tb = tb = await EventFileWriter.create(paths.tensorboard);
    const interrupted = await loop(run, options.signal);
    if (interrupted) {
      if (run.lastCheckpoint !== run.step) await run.checkpoint();
      reporter?.info(`interrupted: checkpoint written at step ${run.step}; continue with --resume ${paths.root}`, { interruptedAt: run.step });
    }
    let generatorPath: string | undefined;
    if (!interrupted && run.step >= config.training.steps) {
      generatorPath = paths.generator;
      await generate(c, () => exportGenerator(c.generator, paths.generator));
    }
    await run.report(interrupted ? 'interrupted' : 'finished');
    const cpu = process.cpuUsage(cpuStart);
    return {
      runDir: resolve(paths.root),
      step: run.step,
      interrupted,
      samplesPath: run.samplesPath,
      reportPath: config.logging.report ? paths.report : undefined,
      generatorPath,
      tensorboardPath: config.logging.tensorboard ? paths.tensorboard : undefined,
      metrics: run.lastMetrics,
      seconds: (performance.now() - started) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      backend: backend.name,
    };
  } finally {
    await tb?.close().catch(() => undefined);
    run?.dispose();
    c.dispose();
  }
}

/** The loop: a step, then the hooks that are due. Returns true when aborted. */
async function loop(run: TrainingRun, signal: AbortSignal | undefined): Promise<boolean> {
  const total = run.config.training.steps;
  while (run.step < total) {
    if (signal?.aborted) return true;
    try {
      const due = dueAfter(run.step + 1, run.config, run.c.evaluator !== undefined);
      const { scalars, lr } = await run.trainStep(due.log);
      if (due.log) await run.log(scalars, lr, due.evaluation);
      else disposeScalars(scalars);
      if (due.samples) await run.samples();
      if (due.checkpoint) await run.checkpoint();
      if ((due.log || due.checkpoint) && !due.isLast) await run.report('running', due.checkpoint);
    } catch (error) {
      throw run.outOfMemory(error);
    }
  }
  return false;
}

