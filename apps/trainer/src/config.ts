import { readFile, readdir } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GanKitError, fileError } from '@gankit/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { LOSS_NAMES, type LossName } from '@gankit/losses';
import { ARCHITECTURES, type Architecture } from '@gankit/models';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

const scheduleSchema = z.strictObject({
  /** `@gankit/optimizers` schedule type; the rate is a function of the generator step. */
  type: z.enum(['constant', 'linear-decay', 'cosine', 'step']).default('constant'),
  /** Linear warm-up over the first steps. */
  warmupSteps: nonNegativeInt.optional(),
  /** `linear-decay`: the step where the decay to zero starts (default 0) and ends (default: the last step). */
  startStep: nonNegativeInt.optional(),
  endStep: positiveInt.optional(),
  /** `cosine`: the floor of the rate. */
  minLearningRate: z.number().nonnegative().optional(),
  /** `step`: every `stepSize` steps the rate is multiplied by `gamma`. */
  stepSize: positiveInt.optional(),
  gamma: z.number().positive().optional(),
});

const optimizerSchema = z.strictObject({
  name: z.enum(['adam', 'rmsprop', 'sgd']).default('adam'),
  learningRate: z.number().positive(),
  beta1: z.number().min(0).max(1).optional(),
  beta2: z.number().min(0).max(1).optional(),
  epsilon: z.number().positive().optional(),
  /** rmsprop: squared-gradient decay. */
  decay: z.number().min(0).max(1).optional(),
  /** rmsprop / sgd momentum. */
  momentum: z.number().min(0).max(1).optional(),
  /** `tfjs` (TF.js's update) or `pytorch` (PyTorch 1.13's exact update; adam and rmsprop). */
  exact: z.enum(['tfjs', 'pytorch']).default('tfjs'),
  schedule: scheduleSchema.optional(),
});

const dataSchema = z.strictObject({
  /** Where images come from: a named offline dataset, an image folder, CIFAR binary batches or IDX files. */
  source: z.enum(['mnist', 'fashion-mnist', 'folder', 'cifar10', 'idx']),
  /** Folder or file for `folder`, `cifar10` and `idx` sources. */
  path: z.string().min(1).optional(),
  /** Labels file for `idx`. */
  labelsPath: z.string().min(1).optional(),
  split: z.enum(['train', 'test']).default('train'),
  /** Square side images are resized / cropped to (folder sources). */
  imageSize: positiveInt.optional(),
  channels: z.union([z.literal(1), z.literal(3)]).optional(),
  /** Seeded random horizontal flips. */
  flip: z.boolean().default(false),
  /** Train on N examples only: a seeded random subset, class-balanced when the data is labelled (limited-data runs). */
  limit: positiveInt.optional(),
  /** Seed of the `limit` subset (default: the run's seed), so runs with different seeds can share one subset. */
  limitSeed: nonNegativeInt.optional(),
});

const augmentSchema = z.union([
  z.strictObject({
    /** DiffAugment policy: a comma-separated subset of color, translation, cutout (Zhao et al. 2020). */
    policy: z.string().min(1),
    /** Largest shift as a fraction of the image side (default 1/8). */
    translationRatio: z.number().min(0).max(1).optional(),
    /** Cut-out square side as a fraction of the image side (default 1/2). */
    cutoutRatio: z.number().min(0).max(1).optional(),
  }),
  z.strictObject({
    /** Adaptive discriminator augmentation (Karras et al. 2020): the bgc pipeline with probability p, tuned from r_t. */
    ada: z.strictObject({
      /** Target of r_t = E[sign(D(x_real))] (default 0.6). */
      target: z.number().min(-1).max(1).default(0.6),
      /** Adjust p every this many D steps (default 4). */
      interval: positiveInt.default(4),
      /** Thousands of real images for p to move by 1 (default 500; smaller for short runs). */
      kimg: z.number().positive().default(500),
      /** Starting p (default 0). */
      initialP: z.number().min(0).max(1).default(0),
      /** Pipeline: bgc (default), bg, b, g or c. */
      ops: z.enum(['bgc', 'bg', 'b', 'g', 'c']).default('bgc'),
    }),
  }),
]);

const modelSchema = z.strictObject({
  /** A `@gankit/models` architecture: mlp, dcgan, cgan, acgan, projection, wgan-gp, sngan-resnet, stylegan2. */
  architecture: z.enum(ARCHITECTURES.filter((a) => a !== 'infogan') as [Architecture, ...Architecture[]]),
  /** Size of z (the architecture's default when left out). */
  latentDim: positiveInt.optional(),
  /** Base channel count (DCGAN family: ngf = ndf; sngan-resnet: D channels). */
  width: positiveInt.optional(),
  /** G's base channels where they differ from D's (DCGAN family; sngan-resnet: G channels). */
  generatorWidth: positiveInt.optional(),
  /** D's base channels where they differ from G's. */
  discriminatorWidth: positiveInt.optional(),
  /** MLP hidden layer sizes. */
  hiddenUnits: z.strictObject({ generator: z.array(positiveInt).optional(), discriminator: z.array(positiveInt).optional() }).optional(),
  discriminatorNormalization: z.enum(['batch', 'layer', 'none']).optional(),
  spectralNorm: z.boolean().optional(),
  minibatchStdDev: z.boolean().optional(),
  selfAttention: z.boolean().optional(),
  /** stylegan2: size of w (default 512). */
  wDim: positiveInt.optional(),
  /** stylegan2: fully connected layers of the mapping network (default 8). */
  mappingLayers: positiveInt.optional(),
  /** stylegan2: probability of style mixing in training (default 0; the paper uses 0.9). */
  styleMixingProb: z.number().min(0).max(1).optional(),
  /** stylegan2: channels at resolution r are min(width, channelBase / r) (default 16384). */
  channelBase: positiveInt.optional(),
});

const lossSchema = z.strictObject({
  /** A `@gankit/losses` registry name: standard (the seed's), minimax, wasserstein, hinge, lsgan, relativistic, relativistic-average. */
  name: z.enum(LOSS_NAMES as [LossName, ...LossName[]]),
  /** Target for real samples in the D loss (one-sided label smoothing, e.g. 0.9; standard/minimax only). */
  realLabel: z.number().min(0).max(1).optional(),
  /** Target for fake samples in the D loss (standard/minimax only). */
  fakeLabel: z.number().min(0).max(1).optional(),
  /** Probability of flipping a D target (standard/minimax only). */
  flipProbability: z.number().min(0).max(1).optional(),
  /** LSGAN targets. */
  a: z.number().optional(),
  b: z.number().optional(),
  c: z.number().optional(),
  /** Weight of the ACGAN auxiliary classification loss. */
  auxWeight: z.number().nonnegative().default(1),
});

const regularizersSchema = z.strictObject({
  /** WGAN-GP gradient penalty weight λ (0 = off). */
  gradientPenalty: z.number().nonnegative().default(0),
  /** R1 penalty weight γ on real images (0 = off). */
  r1: z.number().nonnegative().default(0),
  /** Apply R1 every k D steps (lazy regularisation). */
  r1Every: positiveInt.default(1),
  /** stylegan2: path-length regularisation weight (Karras et al. 2020; the paper's 2; 0 = off). */
  pathLength: z.number().nonnegative().default(0),
  /** Apply path-length regularisation every k G steps, weighted by k (lazy regularisation; the paper's 4). */
  pathLengthEvery: positiveInt.default(4),
  /** Decay of the path lengths' running mean a. */
  pathLengthDecay: z.number().min(0).max(1).default(0.01),
  /** Path-length regularisation runs on the first batchSize / k latents of the G step (the paper's 2). */
  pathLengthBatchShrink: positiveInt.default(2),
  /** WGAN weight clipping to [-c, c] after each D step (0 = off). */
  clipWeights: z.number().nonnegative().default(0),
  /** Clip each network's gradients to this global norm (0 = off). */
  clipGradNorm: z.number().nonnegative().default(0),
});

const trainingSchema = z.strictObject({
  steps: positiveInt,
  batchSize: positiveInt.default(64),
  /** D steps per G step (WGAN: 5). */
  nCritic: positiveInt.default(1),
  /** Decay of the EMA generator (0 = no EMA generator). */
  emaDecay: z.number().min(0).max(1).default(0),
  /** With n_critic 1: compute G(z) once for the D and the G step (PyTorch's detach pattern) instead of twice. */
  shareGeneratorForward: z.boolean().default(true),
  /** Step from which the EMA starts averaging (before it, it copies the generator). */
  emaStart: nonNegativeInt.default(0),
  /** StyleGAN2's EMA instead of emaDecay: the half-life in training images (NVlabs' ema_kimg × 1000; 0 = off). */
  emaHalfLifeImages: z.number().nonnegative().default(0),
  /** Ramp-up of that half-life: min(emaHalfLifeImages, images seen × emaRampup) (StyleGAN2-ADA: 0.05). */
  emaRampup: z.number().positive().optional(),
});

const loggingSchema = z.strictObject({
  /** Every how many steps a metrics line is written (losses are read back from the device only then). */
  logEvery: positiveInt.default(10),
  sampleEvery: positiveInt.default(200),
  checkpointEvery: positiveInt.default(500),
  /** How many recent checkpoints to keep (plus the best by metric). */
  keepLast: positiveInt.default(3),
  /** Every how many steps the metric is evaluated (0 = only at the end, if `metric` is set). */
  evalEvery: nonNegativeInt.default(0),
  /** Metric used for periodic evaluation and the best checkpoint: `mnist-fid` on MNIST presets, or `none`. */
  metric: z.enum(['none', 'mnist-fid']).default('none'),
  /** Generated images scored per evaluation. */
  evalSamples: positiveInt.default(1000),
  /** Images in the fixed-latent sample grid. */
  sampleCount: positiveInt.default(64),
  tensorboard: z.boolean().default(true),
  report: z.boolean().default(true),
});

/** A complete training configuration: what the presets hold and what `config.json` records. */
export const trainConfigSchema = z.strictObject({
  /** Free-form run name (the preset's name by default). */
  name: z.string().min(1).default('run'),
  /** Extends a preset by name; keys here override it. Resolved away before validation. */
  extends: z.string().optional(),
  seed: z.number().int().nonnegative().default(0),
  backend: z.enum(['auto', 'gpu', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  /** On wasm: threads for gankit's kernels; `auto` = `defaultWasmThreads()` of @gankit/backend-wasm (every core, at most 8). */
  threads: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto'),
  data: dataSchema,
  model: modelSchema,
  loss: lossSchema,
  regularizers: regularizersSchema.default(() => regularizersSchema.parse({})),
  /** Discriminator augmentation (on real and fake images in the D step, on fake images in the G step): DiffAugment or ADA. */
  augment: augmentSchema.optional(),
  optimizers: z.strictObject({ generator: optimizerSchema, discriminator: optimizerSchema }),
  training: trainingSchema,
  logging: loggingSchema.default(() => loggingSchema.parse({})),
});

/** A validated training configuration with every default filled in. */
export type TrainConfig = z.infer<typeof trainConfigSchema>;
/** What a user writes: any key with a default may be left out. */
export type TrainConfigInput = z.input<typeof trainConfigSchema>;
/** Optimiser settings for one network. */
export type OptimizerConfig = z.infer<typeof optimizerSchema>;

/** Formats zod issues as one readable message, one `field: problem` per line. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.join('.') : '(top level)';
      if (issue.code === 'unrecognized_keys') {
        return `  ${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      }
      return `  ${where}: ${issue.message}`;
    })
    .join('\n');
}

/** Validates a raw configuration; every unknown key and wrong type is reported in one `CONFIG_INVALID` error. */
export function validateConfig(raw: unknown, what = 'config'): TrainConfig {
  const result = trainConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const n = result.error.issues.length;
  throw new GanKitError('CONFIG_INVALID', `${what} has ${n} problem${n > 1 ? 's' : ''}:\n${formatIssues(result.error.issues)}`, {
    path: what,
    cause: result.error,
  });
}

const presetsDir = fileURLToPath(new URL('../presets/', import.meta.url));

/** Names of the presets shipped with the trainer. */
export async function listPresets(): Promise<string[]> {
  const files = await readdir(presetsDir);
  return files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
}

/** Reads a shipped preset as raw (unvalidated) JSON. */
export async function readPreset(name: string): Promise<Record<string, unknown>> {
  const names = await listPresets();
  if (!names.includes(name)) {
    throw new GanKitError('UNKNOWN_NAME', `unknown preset "${name}"; expected one of: ${names.join(', ')}`);
  }
  return JSON.parse(await readFile(`${presetsDir}${name}.json`, 'utf8')) as Record<string, unknown>;
}

/** Reads a user config file (`.json`, `.yaml` or `.yml`) as raw data. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw fileError(path, 'read config', error);
  }
  let raw: unknown;
  try {
    raw = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    // YAML errors end in a code frame after the first line (`... at line 4, column 3:`); keep the one line.
    const reason = ((error as Error).message.split('\n')[0] ?? '').replace(/:\s*$/, '');
    throw new GanKitError('CONFIG_INVALID', `${path} cannot be parsed: ${reason}`, { path, cause: error });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new GanKitError('CONFIG_INVALID', `${path} must hold an object of settings`, { path });
  }
  return raw as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merges `override` into `base` (objects merge, everything else replaces). */
export function deepMerge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

/** Command-line overrides applied on top of a preset or config file. */
export interface ConfigOverrides {
  steps?: number;
  batchSize?: number;
  seed?: number;
  backend?: string;
  threads?: number;
}

/** Resolves `--preset`/`--config` plus overrides into a validated configuration. */
export async function resolveConfig(source: { preset?: string; configPath?: string }, overrides: ConfigOverrides = {}): Promise<TrainConfig> {
  let raw: Record<string, unknown> = {};
  let what = 'config';
  if (source.preset !== undefined) {
    raw = { name: source.preset, ...(await readPreset(source.preset)) };
    what = `preset ${source.preset}`;
  }
  if (source.configPath !== undefined) {
    const file = await readConfigFile(source.configPath);
    if (typeof file.extends === 'string') raw = deepMerge({ name: file.extends, ...(await readPreset(file.extends)) }, raw);
    raw = deepMerge(raw, file);
    delete raw.extends;
    what = source.configPath;
  }
  const cli: Record<string, unknown> = {};
  if (overrides.seed !== undefined) cli.seed = overrides.seed;
  if (overrides.backend !== undefined) cli.backend = overrides.backend;
  if (overrides.threads !== undefined) cli.threads = overrides.threads;
  const training: Record<string, unknown> = {};
  if (overrides.steps !== undefined) training.steps = overrides.steps;
  if (overrides.batchSize !== undefined) training.batchSize = overrides.batchSize;
  if (Object.keys(training).length) cli.training = training;
  return validateConfig(deepMerge(raw, cli), what);
}
