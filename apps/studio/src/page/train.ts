import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createRng, type Rng, type RngState } from '@gankit/core';
import { arraySource, createPipeline, type Pipeline, type PipelinePosition } from '@gankit/data';
import { getLoss, type GanLoss } from '@gankit/losses';
import { createGan, type Gan } from '@gankit/models';
import { adam } from '@gankit/optimizers';
import { createGanStep, readScalars, type GanStep } from '@gankit/training';
import type { Checkpoint, StoredTensor } from './store';

/** The two presets of the page, as apps/trainer/presets/mnist-dcgan.json and mnist-hinge-sn.json define them. */
export const PRESETS = {
  dcgan: { loss: 'standard', spectralNorm: false, discriminatorNormalization: 'batch', lrG: 2e-4, lrD: 2e-4, beta1: 0.5, beta2: 0.999 },
  'hinge-sn': { loss: 'hinge', spectralNorm: true, discriminatorNormalization: 'none', lrG: 1e-4, lrD: 4e-4, beta1: 0, beta2: 0.9 },
} as const;
/** A preset name. */
export type PresetName = keyof typeof PRESETS;

/** Everything a run is made from (saved with each checkpoint). */
export interface TrainSettings {
  preset: PresetName;
  /** Where the images come from: a bundled dataset or the user's own. */
  dataset: string;
  seed: number;
  steps: number;
  batchSize: number;
  /** Base channel count of G and D (the DCGAN family's ngf = ndf). */
  width: number;
  latentDim: number;
  lrG: number;
  lrD: number;
  beta1: number;
  beta2: number;
  sampleEvery: number;
  checkpointEvery: number;
}

/** One point of the live curves. */
export interface StepRecord {
  step: number;
  dLoss: number;
  gLoss: number;
  /** Mean D logit on real images (D(x) before the sigmoid; the critic value for hinge). */
  dReal: number;
  /** Mean D logit on generated images, D(G(z)). */
  dFake: number;
}

/** An in-memory image dataset: uint8 [N, H, W, C]. */
export interface ImageData8 {
  images: Uint8Array;
  shape: [number, number, number];
  labels?: Uint8Array;
}

function storeTensors(named: { name: string; tensor: tf.Tensor }[]): StoredTensor[] {
  return named.map(({ name, tensor }) => ({
    name,
    shape: [...tensor.shape],
    dtype: tensor.dtype === 'int32' ? 'int32' : 'float32',
    data: tensor.dtype === 'int32' ? Int32Array.from(tensor.dataSync()) : Float32Array.from(tensor.dataSync()),
  }));
}

function restoreTensors(stored: StoredTensor[]): { name: string; tensor: tf.Tensor }[] {
  return stored.map((s) => ({ name: s.name, tensor: tf.tensor(s.data, s.shape, s.dtype) }));
}

/**
 * A GAN training run inside the page: @gankit/training's step (the one gankit-train runs: a D step with G fixed,
 * then a G step with D fixed) with the preset's loss from @gankit/losses and Adam from @gankit/optimizers, on a
 * @gankit/data pipeline.
 */
export class TrainingRun {
  readonly gan: Gan;
  readonly loss: GanLoss;
  step = 0;
  history: StepRecord[] = [];
  private readonly gOptimizer: tf.Optimizer;
  private readonly dOptimizer: tf.Optimizer;
  private readonly rng: Rng;
  private pipeline: Pipeline;
  private readonly data: ImageData8;
  private readonly fixedZ: tf.Tensor2D;
  private readonly ganStep: GanStep;

  constructor(
    readonly settings: TrainSettings,
    data: ImageData8,
    position?: PipelinePosition,
  ) {
    const preset = PRESETS[settings.preset];
    this.data = data;
    this.gan = createGan({
      architecture: 'dcgan',
      imageShape: data.shape,
      seed: settings.seed,
      latentDim: settings.latentDim,
      width: settings.width,
      spectralNorm: preset.spectralNorm,
      discriminatorNormalization: preset.discriminatorNormalization,
    });
    this.loss = getLoss(preset.loss);
    this.gOptimizer = adam({ learningRate: settings.lrG, beta1: settings.beta1, beta2: settings.beta2 });
    this.dOptimizer = adam({ learningRate: settings.lrD, beta1: settings.beta1, beta2: settings.beta2 });
    this.rng = createRng(settings.seed ^ 0x1d2c3b4a);
    this.pipeline = this.makePipeline(position);
    this.ganStep = createGanStep({
      generator: this.gan.generator,
      discriminator: this.gan.discriminator,
      loss: this.loss,
      generatorOptimizer: this.gOptimizer,
      discriminatorOptimizer: this.dOptimizer,
      latentDim: settings.latentDim,
      rng: this.rng,
    });
    this.fixedZ = tf.tensor2d(createRng(settings.seed ^ 0x5a3c11).normalArray(64 * settings.latentDim), [64, settings.latentDim]);
  }

  private makePipeline(position?: PipelinePosition): Pipeline {
    const source = arraySource(this.data.images, this.data.shape, undefined, { name: this.settings.dataset });
    return createPipeline(source, { batchSize: this.settings.batchSize, seed: this.settings.seed, dropRemainder: true, repeat: true, labels: false, ...(position && { position }) });
  }

  get generator(): tfl.LayersModel {
    return this.gan.generator;
  }

  /** One training step (D step, then G step); returns its scalars. */
  async trainStep(): Promise<StepRecord> {
    const batch = await this.pipeline.next();
    if (!batch) throw new Error('the data pipeline ended');
    const scalars = await readScalars(await this.ganStep.step(() => ({ images: batch.images })));
    batch.labels?.dispose();
    this.step += 1;
    this.ganStep.steps = this.step;
    const record = { step: this.step, dLoss: scalars.d_loss!, gLoss: scalars.g_loss!, dReal: scalars.d_real!, dFake: scalars.d_fake! };
    this.history.push(record);
    return record;
  }

  /** The fixed-latent sample grid's images [64, H, W, C] (inference mode). The caller disposes them. */
  samples(): tf.Tensor4D {
    return tf.tidy(() => this.gan.generator.predict(this.fixedZ) as tf.Tensor4D);
  }

  /** The run as a checkpoint (weights with BN statistics and SN vectors, Adam slots, RNG, data position, curves). */
  async checkpoint(): Promise<Checkpoint<TrainSettings>> {
    const named = (m: tfl.LayersModel) => m.weights.map((w, i) => ({ name: `${i}:${w.name}`, tensor: w.read() }));
    const [gOpt, dOpt] = [await this.gOptimizer.getWeights(), await this.dOptimizer.getWeights()];
    // getWeights makes a fresh scalar for the iteration count ('iter'); the rest are the optimizer's own variables.
    const fresh = [...gOpt, ...dOpt].filter((w) => !(w.tensor instanceof tf.Variable)).map((w) => w.tensor);
    const checkpoint = {
      settings: this.settings,
      step: this.step,
      generator: storeTensors(named(this.gan.generator)),
      discriminator: storeTensors(named(this.gan.discriminator)),
      gOptimizer: storeTensors(gOpt),
      dOptimizer: storeTensors(dOpt),
      rng: this.rng.getState(),
      position: this.pipeline.getPosition(),
      history: this.history,
      savedAt: new Date().toISOString(),
    };
    tf.dispose(fresh);
    return checkpoint;
  }

  /** A run continued from a checkpoint: the next step is `checkpoint.step + 1`. */
  static async resume(checkpoint: Checkpoint<TrainSettings>, data: ImageData8): Promise<TrainingRun> {
    const run = new TrainingRun(checkpoint.settings, data, checkpoint.position as PipelinePosition);
    const setModel = (model: tfl.LayersModel, stored: StoredTensor[]) => {
      const tensors = restoreTensors(stored).map((t) => t.tensor);
      model.setWeights(tensors);
      tf.dispose(tensors);
    };
    setModel(run.gan.generator, checkpoint.generator);
    setModel(run.gan.discriminator, checkpoint.discriminator);
    // setWeights makes its own variables from these (and only reads the iteration count), so they are freed after.
    for (const [optimizer, stored] of [[run.gOptimizer, checkpoint.gOptimizer], [run.dOptimizer, checkpoint.dOptimizer]] as const) {
      const tensors = restoreTensors(stored);
      await optimizer.setWeights(tensors);
      tf.dispose(tensors.map((t) => t.tensor));
    }
    run.rng.setState(checkpoint.rng as RngState);
    run.step = checkpoint.step;
    run.ganStep.steps = checkpoint.step;
    run.history = checkpoint.history as StepRecord[];
    return run;
  }

  /** Frees every tensor of the run. */
  dispose(): void {
    void this.pipeline.close();
    this.fixedZ.dispose();
    this.gan.generator.dispose();
    this.gan.discriminator.dispose();
    this.gOptimizer.dispose();
    this.dOptimizer.dispose();
  }
}
