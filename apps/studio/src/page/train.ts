import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createRng, type Rng, type RngState } from '@gankit/core';
import { arraySource, createPipeline, type Pipeline, type PipelinePosition } from '@gankit/data';
import { getLoss, type GanLoss } from '@gankit/losses';
import { createGan, type Gan } from '@gankit/models';
import { adam } from '@gankit/optimizers';
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
  /** Mean D output on real images: sigmoid(logit) for the standard loss, the raw critic value for hinge. */
  dReal: number;
  /** The same on generated images. */
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
 * A GAN training run inside the page: the seed's alternation — a D step with G fixed (G's forward runs outside D's
 * gradient tape), then a G step with D fixed (gradients for G's variables only) — with the preset's loss from
 * @gankit/losses and Adam from @gankit/optimizers, on a @gankit/data pipeline.
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
    this.fixedZ = tf.tensor2d(createRng(settings.seed ^ 0x5a3c11).normalArray(64 * settings.latentDim), [64, settings.latentDim]);
  }

  private makePipeline(position?: PipelinePosition): Pipeline {
    const source = arraySource(this.data.images, this.data.shape, undefined, { name: this.settings.dataset });
    return createPipeline(source, { batchSize: this.settings.batchSize, seed: this.settings.seed, dropRemainder: true, repeat: true, labels: false, ...(position && { position }) });
  }

  get generator(): tfl.LayersModel {
    return this.gan.generator;
  }

  private latents(n: number): tf.Tensor2D {
    return tf.tensor2d(this.rng.normalArray(n * this.settings.latentDim), [n, this.settings.latentDim]);
  }

  private dOutput(logits: tf.Tensor): tf.Scalar {
    return this.settings.preset === 'dcgan' ? tf.mean(tf.sigmoid(logits)) : tf.mean(logits);
  }

  /** One D step then one G step; returns the step's scalars. */
  async trainStep(): Promise<StepRecord> {
    const batch = await this.pipeline.next();
    if (!batch) throw new Error('the data pipeline ended');
    const { generator: G, discriminator: D } = this.gan;
    const n = batch.images.shape[0];
    const dVars = D.trainableWeights.map((w) => w.read() as tf.Variable);
    const gVars = G.trainableWeights.map((w) => w.read() as tf.Variable);
    const scalars = tf.tidy(() => {
      // D step: G's forward is outside the tape, so only D's variables get gradients (G fixed).
      const fake = G.apply(this.latents(n), { training: true }) as tf.Tensor;
      let dReal!: tf.Scalar;
      let dFake!: tf.Scalar;
      const d = tf.variableGrads(() => {
        const realLogits = D.apply(batch.images, { training: true }) as tf.Tensor;
        const fakeLogits = D.apply(fake, { training: true }) as tf.Tensor;
        dReal = tf.keep(this.dOutput(realLogits));
        dFake = tf.keep(this.dOutput(fakeLogits));
        return this.loss.discriminator(realLogits, fakeLogits);
      }, dVars);
      this.dOptimizer.applyGradients(d.grads);
      // G step: gradients for G's variables only (D fixed).
      const z = this.latents(n);
      const g = tf.variableGrads(() => {
        const images = G.apply(z, { training: true }) as tf.Tensor;
        return this.loss.generator(D.apply(images, { training: true }) as tf.Tensor);
      }, gVars);
      this.gOptimizer.applyGradients(g.grads);
      return tf.stack([d.value, g.value, dReal, dFake]);
    });
    tf.dispose([batch.images, ...(batch.labels ? [batch.labels] : [])]);
    const [dLoss, gLoss, dReal, dFake] = Array.from(await scalars.data());
    scalars.dispose();
    this.step += 1;
    const record = { step: this.step, dLoss: dLoss!, gLoss: gLoss!, dReal: dReal!, dFake: dFake! };
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
    await run.gOptimizer.setWeights(restoreTensors(checkpoint.gOptimizer));
    await run.dOptimizer.setWeights(restoreTensors(checkpoint.dOptimizer));
    run.rng.setState(checkpoint.rng as RngState);
    run.step = checkpoint.step;
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
