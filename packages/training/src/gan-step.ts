import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError, canPauseGradientTape, createRng, lowMemoryVariableGrads, outsideGradientTape, type Rng } from '@gankit/core';
import type { GanLoss } from '@gankit/losses';
import { clipByGlobalNorm, clipWeights } from '@gankit/optimizers';

/** One batch of real data: images `[B, …]` (in the generator's output range) and, for labelled data, int32 labels `[B]`. */
export interface Batch {
  images: tf.Tensor;
  labels?: tf.Tensor1D;
}

/** The D/G loss pair the step minimises: any `GanLoss` from `@gankit/losses` (`getLoss('hinge')`, …) fits. */
export type StepLoss = Pick<GanLoss, 'discriminator' | 'generator'> & { readonly generatorNeedsRealLogits?: boolean };

/** What the step needs of an optimiser: `tf.Optimizer` and `ScheduledOptimizer` from `@gankit/optimizers` both fit. */
export interface GradientApplier {
  applyGradients(grads: tf.NamedTensorMap): void;
}

/** D as a function of images (and the condition where D takes labels), through `augment` when one is set: returns D's adversarial logits. */
export type CriticFunction = (images: tf.Tensor, condition?: tf.Tensor) => tf.Tensor;

/** What a discriminator regularizer is given in the D step. */
export interface DiscriminatorRegularizerContext {
  /** D ∘ augment as a differentiable function (pass it to `gradientPenalty`, `r1Penalty`, …). */
  critic: CriticFunction;
  /** The real images, not augmented (the critic augments). */
  real: tf.Tensor;
  /** The generated images of this D step (G fixed), not augmented. */
  fake: tf.Tensor;
  /** The labels D is conditioned on for `real` (cGAN / projection D), else undefined. */
  condition: tf.Tensor | undefined;
  /** The labels D is conditioned on for `fake`, else undefined. */
  fakeCondition: tf.Tensor | undefined;
  /** 1-based index of this D step. */
  dStep: number;
}

/** A term added to D's loss, e.g. a gradient penalty. */
export interface DiscriminatorRegularizer {
  /** Key of its (unweighted-by-interval) value in the step's scalars, e.g. `gp`, `r1`. */
  name: string;
  /** Lazy regularization (StyleGAN2): applied on every `interval`-th D step only, its value multiplied by `interval` (default 1). */
  interval?: number;
  /** The term, a scalar; it is recorded on D's gradient tape. */
  penalty(context: DiscriminatorRegularizerContext): tf.Scalar;
}

/** What a generator regularizer is given in the G step. */
export interface GeneratorRegularizerContext {
  /** G as a differentiable function of (z, labels), in training mode (e.g. for a path-length penalty on its own batch). */
  generate: (z: tf.Tensor, labels?: tf.Tensor1D) => tf.Tensor;
  /** The latent batch and generated images of this G step, and its labels for conditional G. */
  z: tf.Tensor;
  fake: tf.Tensor;
  labels: tf.Tensor1D | undefined;
  /** 1-based index of this G step. */
  gStep: number;
}

/** A term added to G's loss, e.g. StyleGAN2's path-length regularizer. */
export interface GeneratorRegularizer {
  /** Key of its value in the step's scalars. */
  name: string;
  /** Applied on every `interval`-th G step only, its value multiplied by `interval` (default 1). */
  interval?: number;
  /** The term, a scalar; it is recorded on G's gradient tape. */
  penalty(context: GeneratorRegularizerContext): tf.Scalar;
}

/** Options of `createGanStep`. */
export interface GanStepOptions {
  /** G: inputs `generatorInputs`, output images (its first output). */
  generator: tfl.LayersModel;
  /** D: inputs `discriminatorInputs`, outputs adversarial logits first (and class logits second with `auxiliary`). */
  discriminator: tfl.LayersModel;
  /** The adversarial loss, e.g. `getLoss('standard')` (the seed's: minimax D loss, non-saturating G loss). */
  loss: StepLoss;
  generatorOptimizer: GradientApplier;
  discriminatorOptimizer: GradientApplier;
  /** G's inputs by name, in order (default `['z']`, or `['z', 'labels']` when `numClasses` is set). `@gankit/models`' `createGan` returns them. */
  generatorInputs?: readonly string[];
  /** D's inputs by name, in order (default `['images']`); `labels` makes D conditional (cGAN, projection). */
  discriminatorInputs?: readonly string[];
  /** Size of z (default: the width of G's first input). */
  latentDim?: number;
  /** Classes of a class-conditional GAN: fake labels are drawn uniformly for every G forward. */
  numClasses?: number;
  /** Random stream for the default latent and label samplers (default `createRng(0)`). */
  rng?: Rng;
  /** Draws a latent batch `[n, latentDim]` (default: standard normal from `rng`). */
  sampleLatent?: (n: number) => tf.Tensor;
  /** Draws fake labels `[n]` int32 (default: uniform over `numClasses` from `rng`). */
  sampleLabels?: (n: number) => tf.Tensor1D;
  /** ACGAN: D's second output is class logits, trained with `loss(classLogits, labels)` on reals and fakes, weighted by `weight` (default 1). */
  auxiliary?: { loss: (classLogits: tf.Tensor, labels: tf.Tensor) => tf.Scalar; weight?: number };
  /** Terms added to D's loss in order (gradient penalty, R1, …), each with an optional lazy `interval`. */
  regularizers?: readonly DiscriminatorRegularizer[];
  /** Terms added to G's loss (path length, …), each with an optional lazy `interval`. */
  generatorRegularizers?: readonly GeneratorRegularizer[];
  /** D steps per G step (WGAN: 5; default 1). */
  nCritic?: number;
  /**
   * With `nCritic` 1: compute G(z) once for the D and the G step (PyTorch's `fake.detach()` pattern; default true).
   * D is updated on it with G's tape paused, then G's loss is taken from the updated D on the same samples. Needs
   * a TF.js whose tape gankit can pause (`canPauseGradientTape()`); otherwise the step runs two G forwards.
   */
  sharedForward?: boolean;
  /** Updated after every `step()` (an `ExponentialMovingAverage` of G's weights from `@gankit/optimizers`). */
  ema?: { update(): void };
  /** Clip each network's gradients to this global norm before applying them (0 = off, the default). */
  clipGradNorm?: number;
  /** WGAN weight clipping: D's trainable weights are clamped to [−c, c] after each D step (0 = off, the default). */
  clipWeights?: number;
  /**
   * Differentiable augmentation (DiffAugment, ADA): `images → images` applied to every image D sees — reals and
   * fakes in the D step (and inside the `critic` its regularizers get), fakes in the G step (and reals there for
   * the relativistic losses). Gradients flow through it to G. Its randomness is its own.
   */
  augment?: (images: tf.Tensor) => tf.Tensor;
}

/**
 * Scalars of a step (tensors: the caller disposes them, or reads them with `readScalars`): `d_loss`, `g_loss`
 * always; `d_real_sign` = E[sign(D(augment(x_real)))] (ADA's overfitting heuristic r_t, averaged over the step's D
 * steps) always; with `read`: `d_real` / `d_fake` (mean D logits on reals / fakes), `d_grad_norm` / `g_grad_norm`
 * (global gradient norms before clipping), `d_aux` / `g_aux` (ACGAN), and each regularizer's value under its name
 * on the steps it is applied.
 */
export type StepScalars = Record<string, tf.Scalar>;

/** Options of one call. */
export interface StepCallOptions {
  /** Also compute the diagnostic scalars (D outputs, gradient norms, regularizer values; default true). */
  read?: boolean;
  /** Told which part runs next (for error messages, progress). */
  onPhase?: (phase: 'discriminator' | 'generator' | 'shared') => void;
}

/** Where `step()` takes its n_critic batches from: one batch (n_critic 1), an array of n_critic batches, or a function. */
export type BatchSource = Batch | readonly Batch[] | (() => Batch | Promise<Batch>);

/** The GAN step: D step(s) with G fixed, then a G step with D fixed, then the EMA. */
export interface GanStep {
  /** D steps per G step. */
  readonly nCritic: number;
  /** True when the D and G step share one G forward (n_critic 1, `sharedForward`, and a pausable tape). */
  readonly sharesForward: boolean;
  /** G steps done (`step()` calls); setting it (to resume) also sets the D-step count to `steps × nCritic`. */
  steps: number;
  /** D steps done. */
  readonly discriminatorSteps: number;
  /**
   * One training step: `nCritic` D steps (G fixed), then a G step (D fixed) on the last D step's real batch (or
   * the shared D+G step), then `ema.update()`. Batches a function returns are disposed by the step; batches passed
   * in are not.
   */
  step(batches: BatchSource, options?: StepCallOptions): Promise<StepScalars>;
  /** One D update on fresh G samples with G fixed (its forward runs outside D's gradient tape). */
  discriminatorStep(batch: Batch, options?: StepCallOptions): StepScalars;
  /** One G update with D fixed (only G's variables get gradients); `batch` is used by the relativistic losses only. */
  generatorStep(batch: Batch, options?: StepCallOptions): StepScalars;
  /** A D step then a G step sharing one G forward (see `sharedForward`). */
  sharedStep(batch: Batch, options?: StepCallOptions): StepScalars;
}

/** A latent batch `[n, dim]` of standard normals from `rng` (one `normalArray(n·dim)` call). */
export function latentBatch(rng: Rng, n: number, dim: number): tf.Tensor2D {
  return tf.tensor2d(rng.normalArray(n * dim), [n, dim]);
}

/** `n` int32 labels uniform over `numClasses` from `rng` (one `int` call each). */
export function labelBatch(rng: Rng, n: number, numClasses: number): tf.Tensor1D {
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = rng.int(numClasses);
  return tf.tensor1d(labels, 'int32');
}

/** A model's outputs as an array (`model.apply` in training or inference mode). */
export function callModel(model: tfl.LayersModel, inputs: tf.Tensor[], training: boolean): tf.Tensor[] {
  const out = model.apply(inputs.length === 1 ? (inputs[0] as tf.Tensor) : inputs, { training }) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

/** The tensors for a model's named inputs; `labels` are reshaped to `[B, 1]` as gankit's conditional models take them. */
export function modelInputs(names: readonly string[], byName: Record<string, tf.Tensor | undefined>): tf.Tensor[] {
  return names.map((name) => {
    const t = byName[name];
    if (t === undefined) throw new GanKitError('INVALID_ARGUMENT', `the model needs an input "${name}" the GAN step cannot provide (it provides ${Object.keys(byName).filter((k) => byName[k] !== undefined).join(', ')})`);
    return name === 'labels' ? tf.reshape(t, [-1, 1]) : t;
  });
}

/** A model's trainable variables. */
export function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Reads scalars back from the device as numbers and disposes them. */
export async function readScalars(scalars: StepScalars): Promise<Record<string, number>> {
  const entries = await Promise.all(Object.entries(scalars).map(async ([k, t]) => [k, (await t.data())[0] as number] as const));
  disposeScalars(scalars);
  return Object.fromEntries(entries);
}

/** Disposes a step's scalars. */
export function disposeScalars(scalars: StepScalars): void {
  for (const t of Object.values(scalars)) t.dispose();
}

function bad(message: string): GanKitError {
  return new GanKitError('INVALID_ARGUMENT', `createGanStep: ${message}`);
}

/** How a bad option value is shown in a message. */
function shown(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

function checkNonNegative(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw bad(`${name} must be a finite number ≥ 0 (0 = off), got ${shown(value)}`);
  return value;
}

function checkInterval(value: unknown, name: string): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw bad(`${name} must be an integer ≥ 1, got ${shown(value)}`);
  return value;
}

function checkModel(model: unknown, name: string): tfl.LayersModel {
  const m = model as Partial<tfl.LayersModel> | undefined;
  if (typeof m?.apply !== 'function' || !Array.isArray(m.trainableWeights)) throw bad(`${name} must be a tf.LayersModel (tfjs-layers), got ${typeof model}`);
  return model as tfl.LayersModel;
}

function checkRegularizers<R extends { name: string; interval?: number; penalty: unknown }>(list: readonly R[] | undefined, what: string): readonly (R & { interval: number })[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw bad(`${what} must be an array of { name, interval?, penalty }`);
  const names = new Set<string>();
  return (list as readonly (R | undefined)[]).map((r, i) => {
    if (r === undefined || typeof r.name !== 'string' || r.name === '' || typeof r.penalty !== 'function') throw bad(`${what}[${i}] must be { name: string, interval?: number, penalty: function }`);
    if (names.has(r.name)) throw bad(`${what}[${i}]: the name "${r.name}" is used twice`);
    names.add(r.name);
    return { ...r, interval: checkInterval(r.interval, `${what}[${i}].interval`) };
  });
}

/** Adds `value` (× `factor` when it is not 1) to `loss`. */
function addTerm(loss: tf.Scalar, value: tf.Scalar, factor: number): tf.Scalar {
  return tf.add(loss, factor === 1 ? value : tf.mul(factor, value));
}

/**
 * The GAN step as a library object (the seed's alternation, Goodfellow et al. 2014): `step()` runs n_critic D steps
 * with G fixed, then a G step with D fixed, then the EMA, and returns the step's scalars. Runs wherever TF.js runs
 * (Node or a browser page; no Node built-in). Invalid options throw `GanKitError('INVALID_ARGUMENT')`.
 */
export function createGanStep(options: GanStepOptions): GanStep {
  if (typeof options !== 'object' || options === null) throw bad('options must be an object');
  const generator = checkModel(options.generator, 'generator');
  const discriminator = checkModel(options.discriminator, 'discriminator');
  const loss = options.loss;
  if (typeof loss?.discriminator !== 'function' || typeof loss.generator !== 'function') throw bad('loss must have discriminator(realLogits, fakeLogits) and generator(fakeLogits, realLogits?) functions, e.g. getLoss("standard") from @gankit/losses');
  for (const key of ['generatorOptimizer', 'discriminatorOptimizer'] as const) {
    if (typeof (options[key] as Partial<GradientApplier> | undefined)?.applyGradients !== 'function') throw bad(`${key} must have applyGradients(grads) (a tf.Optimizer or a ScheduledOptimizer)`);
  }
  const gOptimizer = options.generatorOptimizer;
  const dOptimizer = options.discriminatorOptimizer;
  const nCritic = checkInterval(options.nCritic, 'nCritic');
  const clipGradNorm = checkNonNegative(options.clipGradNorm, 'clipGradNorm');
  const clipWeightsBound = checkNonNegative(options.clipWeights, 'clipWeights');
  const regularizers = checkRegularizers(options.regularizers, 'regularizers');
  const generatorRegularizers = checkRegularizers(options.generatorRegularizers, 'generatorRegularizers');
  if (options.numClasses !== undefined && (!Number.isInteger(options.numClasses) || options.numClasses < 1)) throw bad(`numClasses must be an integer ≥ 1, got ${shown(options.numClasses)}`);
  for (const key of ['sampleLatent', 'sampleLabels', 'augment'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') throw bad(`${key} must be a function, got ${typeof options[key]}`);
  }
  if (options.ema !== undefined && typeof options.ema?.update !== 'function') throw bad('ema must have update() (an ExponentialMovingAverage)');
  if (options.sharedForward !== undefined && typeof options.sharedForward !== 'boolean') throw bad(`sharedForward must be a boolean, got ${typeof options.sharedForward}`);
  const auxiliary = options.auxiliary;
  if (auxiliary !== undefined && typeof auxiliary.loss !== 'function') throw bad('auxiliary.loss must be a function (e.g. auxiliaryClassifierLoss from @gankit/losses)');
  const auxWeight = auxiliary?.weight ?? 1;
  if (typeof auxWeight !== 'number' || !Number.isFinite(auxWeight)) throw bad(`auxiliary.weight must be a finite number, got ${shown(auxWeight)}`);

  const conditional = options.numClasses !== undefined || options.sampleLabels !== undefined;
  const generatorInputs = options.generatorInputs ?? (conditional ? ['z', 'labels'] : ['z']);
  const discriminatorInputs = options.discriminatorInputs ?? ['images'];
  if (generatorInputs.includes('labels') && !conditional) throw bad('the generator takes labels: set numClasses (or sampleLabels)');
  if (auxiliary && !conditional) throw bad('auxiliary (ACGAN) needs fake labels: set numClasses (or sampleLabels)');
  const latentDim = options.latentDim ?? generator.inputs[0]?.shape[1];
  if (options.sampleLatent === undefined && (typeof latentDim !== 'number' || !Number.isInteger(latentDim) || latentDim < 1)) throw bad(`latentDim must be an integer ≥ 1 (G's first input has shape [${generator.inputs[0]?.shape.join(', ')}])`);
  const rng = options.rng ?? createRng(0);
  const sampleLatent = options.sampleLatent ?? ((n: number) => latentBatch(rng, n, latentDim as number));
  const sampleLabels = options.sampleLabels ?? (options.numClasses !== undefined ? (n: number) => labelBatch(rng, n, options.numClasses as number) : undefined);
  const augment = options.augment;
  const needsRealLogits = loss.generatorNeedsRealLogits === true;
  const sharesForward = (options.sharedForward ?? true) && nCritic === 1 && canPauseGradientTape();
  const dConditional = discriminatorInputs.includes('labels');

  let dSteps = 0;
  let gSteps = 0;

  const seen = (x: tf.Tensor) => (augment ? augment(x) : x);
  const runD = (images: tf.Tensor, labels: tf.Tensor1D | undefined) => callModel(discriminator, modelInputs(discriminatorInputs, { images: seen(images), labels }), true);
  const runG = (z: tf.Tensor, labels: tf.Tensor1D | undefined) => callModel(generator, modelInputs(generatorInputs, { z, labels }), true)[0] as tf.Tensor;
  const critic: CriticFunction = (x, cond) => callModel(discriminator, modelInputs(discriminatorInputs, { images: seen(x), labels: cond }), true)[0] as tf.Tensor;

  function checkBatch(batch: Batch): void {
    if (!(batch?.images instanceof tf.Tensor)) throw new GanKitError('INVALID_ARGUMENT', 'GAN step: a batch must be { images: tf.Tensor, labels?: tf.Tensor1D }');
    if ((dConditional || auxiliary) && batch.labels === undefined) throw new GanKitError('INVALID_ARGUMENT', `GAN step: the ${auxiliary ? 'ACGAN auxiliary loss' : 'conditional discriminator'} needs batch.labels`);
  }

  function fakeInputs(n: number): { labels: tf.Tensor1D | undefined; z: tf.Tensor } {
    // Labels are drawn before z (the order of the trainer's random draws).
    const labels = sampleLabels?.(n);
    return { labels, z: sampleLatent(n) };
  }

  /** Applies gradients (clipped to a global norm when on); reports the pre-clipping norm if asked. */
  function apply(optimizer: GradientApplier, grads: tf.NamedTensorMap, reportNorm?: (norm: tf.Scalar) => void): void {
    if (clipGradNorm > 0) {
      const clipped = clipByGlobalNorm(grads, clipGradNorm);
      reportNorm?.(clipped.globalNorm);
      optimizer.applyGradients(clipped.grads);
      return;
    }
    if (reportNorm) reportNorm(tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar));
    optimizer.applyGradients(grads);
  }

  /** The D update on `fake` (its own tape over D's variables only, so G stays fixed). Must run inside a tidy. */
  function discriminatorUpdate(batch: Batch, fake: tf.Tensor, fakeLabels: tf.Tensor1D | undefined, read: boolean, kept: StepScalars): void {
    const dStep = ++dSteps;
    const condition = dConditional ? batch.labels : undefined;
    const { value, grads } = lowMemoryVariableGrads(() => {
      const realOut = runD(batch.images, batch.labels);
      const fakeOut = runD(fake, fakeLabels);
      const realLogits = realOut[0] as tf.Tensor;
      let total = loss.discriminator(realLogits, fakeOut[0] as tf.Tensor);
      kept.d_real_sign = tf.keep(tf.mean(tf.sign(realLogits)));
      if (read) {
        kept.d_real = tf.keep(tf.mean(realLogits));
        kept.d_fake = tf.keep(tf.mean(fakeOut[0] as tf.Tensor));
      }
      if (auxiliary && batch.labels && fakeLabels) {
        const aux: tf.Scalar = tf.add(auxiliary.loss(realOut[1] as tf.Tensor, batch.labels), auxiliary.loss(fakeOut[1] as tf.Tensor, fakeLabels));
        if (read) kept.d_aux = tf.keep(aux);
        total = tf.add(total, tf.mul(auxWeight, aux));
      }
      for (const r of regularizers) {
        if (dStep % r.interval !== 0) continue;
        const term = r.penalty({ critic, real: batch.images, fake, condition, fakeCondition: dConditional ? fakeLabels : undefined, dStep });
        if (read) kept[r.name] = tf.keep(term);
        total = addTerm(total, term, r.interval);
      }
      return total;
    }, trainableVariables(discriminator));
    apply(dOptimizer, grads, read ? (norm) => (kept.d_grad_norm = tf.keep(norm)) : undefined);
    if (clipWeightsBound > 0) clipWeights(trainableVariables(discriminator), clipWeightsBound);
    kept.d_loss = tf.keep(value);
  }

  /** G's loss on its own samples from the current D (plus the ACGAN term and G's regularizers). */
  function generatorLoss(batch: Batch, z: tf.Tensor, fake: tf.Tensor, labels: tf.Tensor1D | undefined, gStep: number, read: boolean, kept: StepScalars): tf.Scalar {
    const fakeOut = runD(fake, labels);
    const realLogits = needsRealLogits ? (runD(batch.images, batch.labels)[0] as tf.Tensor) : undefined;
    let total = loss.generator(fakeOut[0] as tf.Tensor, realLogits);
    if (auxiliary && labels) {
      const aux = auxiliary.loss(fakeOut[1] as tf.Tensor, labels);
      if (read) kept.g_aux = tf.keep(aux);
      total = tf.add(total, tf.mul(auxWeight, aux));
    }
    for (const r of generatorRegularizers) {
      if (gStep % r.interval !== 0) continue;
      const term = r.penalty({ generate: (zz, ll) => runG(zz, ll), z, fake, labels, gStep });
      if (read) kept[r.name] = tf.keep(term);
      total = addTerm(total, term, r.interval);
    }
    return total;
  }

  function discriminatorStep(batch: Batch, call: StepCallOptions = {}): StepScalars {
    checkBatch(batch);
    const read = call.read ?? true;
    return tf.tidy(() => {
      const { labels, z } = fakeInputs(batch.images.shape[0]);
      // Its own scope: G's intermediate activations are freed before D's forward and backward run.
      const fake = tf.tidy(() => runG(z, labels));
      const kept: StepScalars = {};
      discriminatorUpdate(batch, fake, labels, read, kept);
      return kept;
    });
  }

  function generatorStep(batch: Batch, call: StepCallOptions = {}): StepScalars {
    checkBatch(batch);
    const read = call.read ?? true;
    const gStep = ++gSteps;
    return tf.tidy(() => {
      const { labels, z } = fakeInputs(batch.images.shape[0]);
      const kept: StepScalars = {};
      const { value, grads } = lowMemoryVariableGrads(() => generatorLoss(batch, z, runG(z, labels), labels, gStep, read, kept), trainableVariables(generator));
      apply(gOptimizer, grads, read ? (norm) => (kept.g_grad_norm = tf.keep(norm)) : undefined);
      kept.g_loss = tf.keep(value);
      return kept;
    });
  }

  function sharedStep(batch: Batch, call: StepCallOptions = {}): StepScalars {
    if (!canPauseGradientTape()) throw new GanKitError('UNSUPPORTED', `GAN step: the shared-forward step needs a TF.js whose gradient tape gankit can pause (this is ${tf.version_core})`);
    checkBatch(batch);
    const read = call.read ?? true;
    const gStep = ++gSteps;
    return tf.tidy(() => {
      const { labels, z } = fakeInputs(batch.images.shape[0]);
      const kept: StepScalars = {};
      // G(z) is recorded on G's tape once; the D update runs on it with that tape paused (its own tape over D's
      // variables only, so G stays fixed and D's activations are freed when it ends); then G's loss is taken from
      // the updated D on the same samples and backpropagated through the recorded G forward.
      const { value, grads } = lowMemoryVariableGrads(() => {
        const fake = runG(z, labels);
        outsideGradientTape(() => tf.tidy(() => discriminatorUpdate(batch, fake, labels, read, kept)));
        return generatorLoss(batch, z, fake, labels, gStep, read, kept);
      }, trainableVariables(generator));
      apply(gOptimizer, grads, read ? (norm) => (kept.g_grad_norm = tf.keep(norm)) : undefined);
      kept.g_loss = tf.keep(value);
      return kept;
    });
  }

  function batchAt(source: BatchSource, k: number): Batch | Promise<Batch> {
    if (typeof source === 'function') return source();
    if (Array.isArray(source)) {
      if (source.length !== nCritic) throw new GanKitError('INVALID_ARGUMENT', `GAN step: nCritic is ${nCritic}, so step() needs ${nCritic} batches (or a function returning batches), got an array of ${source.length}`);
      return source[k] as Batch;
    }
    if (nCritic !== 1) throw new GanKitError('INVALID_ARGUMENT', `GAN step: nCritic is ${nCritic}, so step() needs ${nCritic} batches (an array, or a function returning batches), got one batch`);
    return source as Batch;
  }

  async function step(source: BatchSource, call: StepCallOptions = {}): Promise<StepScalars> {
    const owned = typeof source === 'function';
    const release = (batch: Batch) => {
      if (!owned) return;
      batch.images.dispose();
      batch.labels?.dispose();
    };
    const read = call.read ?? true;
    let scalars: StepScalars;
    if (sharesForward) {
      const batch = await batchAt(source, 0);
      call.onPhase?.('shared');
      try {
        scalars = sharedStep(batch, call);
      } finally {
        release(batch);
      }
    } else {
      let dScalars: StepScalars = {};
      const signs: tf.Scalar[] = [];
      let last: Batch | undefined;
      try {
        for (let k = 0; k < nCritic; k++) {
          const previous = last;
          last = await batchAt(source, k);
          call.onPhase?.('discriminator');
          disposeScalars(dScalars);
          dScalars = {};
          // Only the last D step's diagnostics are kept (read); the sign statistic is averaged over all of them.
          dScalars = discriminatorStep(last, { read: read && k === nCritic - 1 });
          if (dScalars.d_real_sign) signs.push(dScalars.d_real_sign);
          delete dScalars.d_real_sign;
          if (previous) release(previous);
        }
        call.onPhase?.('generator');
        const sign = signs.length === 1 ? (signs[0] as tf.Scalar) : tf.tidy(() => tf.div<tf.Scalar>(tf.addN(signs), signs.length));
        if (signs.length > 1) tf.dispose(signs);
        signs.length = 0;
        scalars = { ...dScalars, d_real_sign: sign, ...generatorStep(last as Batch, call) };
      } catch (error) {
        disposeScalars(dScalars);
        tf.dispose(signs);
        throw error;
      } finally {
        if (last) release(last);
      }
    }
    options.ema?.update();
    return scalars;
  }

  return {
    nCritic,
    sharesForward,
    get steps() {
      return gSteps;
    },
    set steps(n: number) {
      if (!Number.isInteger(n) || n < 0) throw new GanKitError('INVALID_ARGUMENT', `GAN step: steps must be an integer ≥ 0, got ${shown(n)}`);
      gSteps = n;
      dSteps = n * nCritic;
    },
    get discriminatorSteps() {
      return dSteps;
    },
    step,
    discriminatorStep,
    generatorStep,
    sharedStep,
  };
}
