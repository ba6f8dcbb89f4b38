import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError, fileError } from '@gankit/core';
import { fileSystem } from '@gankit/core/node';
import { randomSubset, type Example, type ImageShape, type ImageSource } from '@gankit/data';
import { idxSource, imageFolder, loadNamedDataset, npySource, readNpz, type NpyArray, IMAGE_EXTENSIONS } from '@gankit/data/node';
import { sampleLatents, setTruncationPsi, truncationKind, type LatentExtra, type LatentOptions } from '@gankit/models';
import { fingerprintPath } from './fingerprint';

/** A batch of uint8 images, N×H×W×C row-major, with class labels where the input has them. */
export interface Uint8Batch {
  data: Uint8Array;
  n: number;
  shape: ImageShape;
  labels?: Int32Array;
}

/** How an input's images were chosen: a seeded random subset of `count` of the `of` available, or all of them. */
export interface SubsetInfo {
  input: string;
  count: number;
  of: number | null;
  /** The seed of the subset (or of generator sampling); null when every image is used in storage order. */
  seed: number | null;
  /** `K/N` when only shard K of N is read. */
  shard?: string;
  /** Images per class among those read, for labelled inputs with known labels. */
  classCounts?: number[];
}

/** An input that yields images (folder, IDX file, npz arrays, named dataset, generator). */
export interface ImageInput {
  kind: 'images';
  /** What the user typed, for messages and the report. */
  spec: string;
  /** Number of images this input will yield (after subset and shard). */
  count: number;
  shape: ImageShape;
  /** Number of classes when the images are labelled (named datasets, class subfolders, IDX with labels, conditional generators). */
  numClasses?: number;
  /** Which images are read. */
  subset: SubsetInfo;
  /** Streams the images in batches; nothing beyond one batch is held decoded. */
  batches(batchSize: number): AsyncIterable<Uint8Batch>;
  /** Identifies the exact data (for the statistics cache); null where caching makes no sense (generators). */
  fingerprint(): Promise<string | null>;
}

/** A statistics file (`mu`, `sigma`, and for gankit's shard files `n`, `sum`, `comoment`): usable as the reference side of FID. */
export interface StatsInput {
  kind: 'stats';
  spec: string;
  path: string;
}

/** Feature vectors computed elsewhere (an npz with `features` [N, d] float, optional `labels`): no extractor runs. */
export interface FeaturesInput {
  kind: 'features';
  spec: string;
  count: number;
  dim: number;
  numClasses?: number;
  subset: SubsetInfo;
  batches(batchSize: number): AsyncIterable<{ features: Float32Array; rows: number; labels?: Int32Array }>;
  fingerprint(): Promise<string | null>;
}

/** Inputs that yield samples: images, or precomputed features. */
export type SampleInput = ImageInput | FeaturesInput;

/** Any input of gankit-eval. */
export type EvalInput = ImageInput | StatsInput | FeaturesInput;

/** Shard `index` (0-based) of `count` equal contiguous parts of an input. */
export interface Shard {
  index: number;
  count: number;
}

/** Options that shape how inputs are read. */
export interface InputOptions {
  num: number | undefined;
  seed: number;
  /** Image folders: search subfolders too (default false, as pytorch-fid). */
  recursive?: boolean;
  /** Images decoded at once (image folders). */
  workers?: number;
  /** Read only this shard of the (subset of the) input. */
  shard?: Shard;
  /** Read class subfolders of image folders as labels. */
  labels?: boolean;
}

const NAMED = /^(mnist|fashion-mnist):(train|test)$/;
const DEFAULT_GENERATOR_SAMPLES = 10_000;

async function pathKind(path: string): Promise<'dir' | 'file' | 'missing'> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw fileError(path, 'read', error);
  }
}

async function exists(path: string): Promise<boolean> {
  return (await pathKind(path)) !== 'missing';
}

/** The positions [start, end) of shard K of N over `n` items (contiguous, sizes differ by at most one). */
export function shardRange(n: number, shard: Shard | undefined): [number, number] {
  if (!shard) return [0, n];
  return [Math.floor((shard.index * n) / shard.count), Math.floor(((shard.index + 1) * n) / shard.count)];
}

/** The indices an input reads: a seeded random subset of `--num` (sorted), or all, then the shard's part. */
function chooseIndices(available: number, options: InputOptions, spec: string): { indices: Uint32Array | undefined; subset: SubsetInfo; count: number } {
  let indices: Uint32Array | undefined;
  let subset: SubsetInfo = { input: spec, count: available, of: available, seed: null };
  if (options.num !== undefined && options.num !== available) {
    if (options.num > available) {
      throw new GanKitError('INVALID_ARGUMENT', `--num ${options.num} is more than the ${available} images in ${spec}`);
    }
    indices = randomSubset(available, options.num, options.seed);
    subset = { input: spec, count: options.num, of: available, seed: options.seed };
  }
  const total = indices?.length ?? available;
  const [start, end] = shardRange(total, options.shard);
  if (options.shard) {
    indices = indices ? indices.subarray(start, end) : Uint32Array.from({ length: end - start }, (_, i) => start + i);
    subset = { ...subset, shard: `${options.shard.index}/${options.shard.count}` };
  }
  const count = indices?.length ?? available;
  if (count === 0) throw new GanKitError('EMPTY_DATASET', `${spec}${options.shard ? ` shard ${options.shard.index}/${options.shard.count}` : ''} has no images to read`);
  return { indices, subset: { ...subset, count }, count };
}

/** Wraps a random-access source as an image input over the chosen indices, reading ahead `window` images. */
function indexedInput(
  spec: string,
  source: ImageSource & { length: number; get(index: number): Example | null | Promise<Example | null> },
  options: InputOptions,
  fingerprint: () => Promise<string | null>,
  window = 16,
): ImageInput {
  const shape = source.shape;
  const size = shape[0] * shape[1] * shape[2];
  const { indices, subset, count } = chooseIndices(source.length, options, spec);
  const labelled = source.numClasses !== undefined;
  const known = (source as { labels?: ArrayLike<number> }).labels ?? (source as { fileLabels?: ArrayLike<number> }).fileLabels;
  if (labelled && known) {
    const counts = new Array<number>(source.numClasses).fill(0);
    for (let i = 0; i < count; i++) counts[known[indices ? indices[i]! : i]!]! += 1;
    subset.classCounts = counts;
  }
  return {
    kind: 'images',
    spec,
    count,
    shape,
    ...(labelled ? { numClasses: source.numClasses } : {}),
    subset,
    fingerprint,
    async *batches(batchSize: number) {
      const pending: Promise<Example | null>[] = [];
      let next = 0;
      const at = (i: number): number => (indices ? indices[i]! : i);
      let data = new Uint8Array(batchSize * size);
      let labels = new Int32Array(batchSize);
      let n = 0;
      while (next < count || pending.length > 0) {
        while (pending.length < window && next < count) {
          const p = Promise.resolve(source.get(at(next++)));
          p.catch(() => undefined);
          pending.push(p);
        }
        const example = await pending.shift()!;
        if (!example) continue;
        data.set(example.image, n * size);
        labels[n] = example.label ?? 0;
        n += 1;
        if (n === batchSize) {
          yield { data, n, shape, ...(labelled ? { labels } : {}) };
          data = new Uint8Array(batchSize * size);
          labels = new Int32Array(batchSize);
          n = 0;
        }
      }
      if (n > 0) yield { data: data.subarray(0, n * size), n, shape, ...(labelled ? { labels: labels.subarray(0, n) } : {}) };
    },
  };
}

async function namedInput(spec: string, options: InputOptions): Promise<ImageInput> {
  const [, name, split] = NAMED.exec(spec) as RegExpExecArray;
  const source = await loadNamedDataset(name as string, { split: split as 'train' | 'test' });
  return indexedInput(spec, source, options, () => Promise.resolve(`${spec}:${source.length}`));
}

/** The labels file next to an IDX images file (`t10k-images-idx3-ubyte` → `t10k-labels-idx1-ubyte`), if present. */
async function siblingIdxLabels(path: string): Promise<string | undefined> {
  const name = basename(path);
  const candidate = name.replace('images-idx3', 'labels-idx1').replace('images', 'labels');
  if (candidate === name) return undefined;
  const full = join(dirname(path), candidate);
  return (await exists(full)) ? full : undefined;
}

async function idxInput(spec: string, options: InputOptions): Promise<ImageInput> {
  const labels = options.labels ? await siblingIdxLabels(spec) : undefined;
  const source = await idxSource(spec, labels ? { labels } : {});
  return indexedInput(spec, source, options, () => fingerprintPath(spec));
}

function featuresInput(spec: string, arrays: Record<string, NpyArray>, options: InputOptions): FeaturesInput {
  const f = arrays.features!;
  if ((f.dtype !== 'float32' && f.dtype !== 'float64') || f.shape.length !== 2 || !(f.shape[0]! > 0) || !(f.shape[1]! > 0)) {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${spec}: 'features' must be a float32/float64 array [N, d], got ${f.dtype} [${f.shape.join(', ')}]`, { path: spec });
  }
  const [n, dim] = f.shape as [number, number];
  let labels: Int32Array | undefined;
  let numClasses: number | undefined;
  if (arrays.labels) {
    const l = arrays.labels;
    if (l.shape.length !== 1 || l.shape[0] !== n || l.dtype === 'float32' || l.dtype === 'float64' || l.dtype === 'bool') {
      throw new GanKitError('UNSUPPORTED_FORMAT', `${spec}: 'labels' must be ${n} integers, got ${l.dtype} [${l.shape.join(', ')}]`, { path: spec });
    }
    labels = Int32Array.from(l.data as ArrayLike<number | bigint>, (v) => Number(v));
    numClasses = Math.max(...labels) + 1;
    if (labels.some((v) => v < 0)) throw new GanKitError('FILE_CORRUPT', `${spec}: negative label`, { path: spec });
  }
  const data = f.data;
  const { indices, subset, count } = chooseIndices(n, options, spec);
  if (labels && numClasses !== undefined) {
    const counts = new Array<number>(numClasses).fill(0);
    for (let i = 0; i < count; i++) counts[labels[indices ? indices[i]! : i]!]! += 1;
    subset.classCounts = counts;
  }
  return {
    kind: 'features',
    spec,
    count,
    dim,
    ...(numClasses !== undefined ? { numClasses } : {}),
    subset,
    fingerprint: () => fingerprintPath(spec),
    async *batches(batchSize: number) {
      for (let start = 0; start < count; start += batchSize) {
        const rows = Math.min(batchSize, count - start);
        const features = new Float32Array(rows * dim);
        const batchLabels = labels ? new Int32Array(rows) : undefined;
        for (let r = 0; r < rows; r++) {
          const src = indices ? indices[start + r]! : start + r;
          for (let j = 0; j < dim; j++) features[r * dim + j] = data[src * dim + j]!;
          if (batchLabels) batchLabels[r] = labels![src]!;
        }
        yield { features, rows, ...(batchLabels ? { labels: batchLabels } : {}) };
        await Promise.resolve();
      }
    },
  };
}

async function npzImagesInput(spec: string, options: InputOptions): Promise<ImageInput> {
  const source = await npySource(spec);
  return indexedInput(spec, source, options, () => fingerprintPath(spec));
}

async function folderInput(spec: string, options: InputOptions): Promise<ImageInput> {
  const workers = options.workers ?? 8;
  const source = await imageFolder(spec, { labels: options.labels ? 'auto' : 'none', recursive: options.recursive ?? false, concurrency: workers });
  return indexedInput(spec, source, options, () => fingerprintPath(spec), Math.max(16, workers * 2));
}

/** Where the generator of a run folder or an export lives, or undefined if `dir` is neither. */
async function generatorModelDir(dir: string): Promise<string | undefined> {
  if (await exists(join(dir, 'model.json'))) return dir;
  if (await exists(join(dir, 'generator', 'model.json'))) return join(dir, 'generator');
  if (await exists(join(dir, 'config.json')) && (await exists(join(dir, 'checkpoints')))) {
    throw new GanKitError(
      'FILE_NOT_FOUND',
      `${dir} is a gankit run folder without an exported generator (${join(dir, 'generator', 'model.json')}): ` +
        `let the run finish, or resume it with \`gankit-train --resume ${dir}\` so it exports one`,
      { path: dir },
    );
  }
  return undefined;
}

/** How to sample one extra generator input: class labels `[B, 1]` or continuous codes `[B, dim]` in U(-1, 1) (InfoGAN). */
export type ExtraInput = LatentExtra;

export interface GeneratorSignature {
  latentDim: number;
  extras: ExtraInput[];
}

/** The class count of a conditional generator, from the label layer's config (`numClasses`, or Embedding's `inputDim`). */
function numClassesOf(model: tfl.LayersModel, dir: string): number {
  for (const layer of model.layers) {
    const config = layer.getConfig() as { numClasses?: unknown; inputDim?: unknown };
    if (typeof config.numClasses === 'number') return config.numClasses;
    if (layer.getClassName() === 'Embedding' && typeof config.inputDim === 'number') return config.inputDim;
  }
  throw new GanKitError('UNSUPPORTED_FORMAT', `${dir}: a conditional generator whose layers do not say how many classes it has; cannot sample labels`, { path: dir });
}

/** Reads the generator's latent size and how to sample its other inputs (labels, InfoGAN codes). */
function generatorSignature(model: tfl.LayersModel, dir: string): GeneratorSignature {
  const [zInput, ...others] = model.inputs;
  const latentDim = zInput?.shape[1];
  if (typeof latentDim !== 'number' || zInput?.shape.length !== 2) {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${dir}: expected a generator whose first input is a latent vector [batch, latentDim], got ${JSON.stringify(zInput?.shape)}`, { path: dir });
  }
  const extras = others.map((input): ExtraInput => {
    const dim = input.shape[1];
    if (input.shape.length !== 2 || typeof dim !== 'number') {
      throw new GanKitError('UNSUPPORTED_FORMAT', `${dir}: unsupported generator input of shape ${JSON.stringify(input.shape)}; expected [batch, 1] labels or [batch, dim] codes`, { path: dir });
    }
    return dim === 1 ? { kind: 'labels', numClasses: numClassesOf(model, dir) } : { kind: 'continuous', dim };
  });
  return { latentDim, extras };
}

/** How a generator's class labels are drawn: uniformly at random, or cycling 0, 1, …, K−1 (equal counts per class). */
export type LabelMode = NonNullable<LatentOptions['labels']>;

/** Options of generator sampling. */
export interface SamplingOptions {
  seed: number;
  labels?: LabelMode;
  /**
   * Truncation trick: ψ toward the generator's tracked mean w for generators with a mapping network (stylegan2;
   * 1 = none, 0 = the mean image), else z-truncation (Brock et al. 2019): z components with |z| > T are redrawn
   * (0 = the mean latent).
   */
  truncation?: number;
}

/** A loaded generator with the means to draw its inputs reproducibly. */
export interface GeneratorHandle {
  model: tfl.LayersModel;
  signature: GeneratorSignature;
  /** Output image shape [H, W, C]. */
  shape: ImageShape;
  /** Number of classes of a conditional generator. */
  numClasses?: number;
  /** Which truncation trick `truncation` means for this generator: ψ (it has a mapping network) or z. */
  truncation: 'psi' | 'z';
}

/** Generator inputs of samples [start, end): @gankit/models' `sampleLatents` (z, truncated at ±T for z-truncation; labels, codes). */
export function generatorInputs(handle: GeneratorHandle, start: number, end: number, options: SamplingOptions): { z: Float32Array; extras: Float32Array[]; labels?: Int32Array } {
  const zTruncation = options.truncation !== undefined && handle.truncation === 'z' ? options.truncation : undefined;
  const { z, extras } = sampleLatents(handle.signature, start, end, { seed: options.seed, ...(options.labels ? { labels: options.labels } : {}), ...(zTruncation !== undefined ? { zTruncation } : {}) });
  const labelIndex = handle.signature.extras.findIndex((e) => e.kind === 'labels');
  return { z, extras, ...(labelIndex >= 0 ? { labels: Int32Array.from(extras[labelIndex]!) } : {}) };
}

/** Runs the generator on samples [start, end) and returns uint8 images (and labels of conditional generators). */
export function generateImages(handle: GeneratorHandle, start: number, end: number, options: SamplingOptions): { data: Uint8Array; labels?: Int32Array } {
  const n = end - start;
  const drawn = generatorInputs(handle, start, end, options);
  const inputs = [tf.tensor2d(drawn.z, [n, handle.signature.latentDim])];
  handle.signature.extras.forEach((e, k) => inputs.push(tf.tensor2d(drawn.extras[k]!, [n, e.kind === 'labels' ? 1 : e.dim])));
  const psi = options.truncation !== undefined && handle.truncation === 'psi' ? options.truncation : undefined;
  const previous = psi === undefined ? undefined : setTruncationPsi(handle.model, psi);
  let out: tf.Tensor;
  try {
    out = handle.model.predict(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor;
  } finally {
    if (previous !== undefined) setTruncationPsi(handle.model, previous);
  }
  const data = toUint8(out);
  tf.dispose([...inputs, out]);
  return { data, ...(drawn.labels ? { labels: drawn.labels } : {}) };
}

/** Maps generator output in [-1, 1] to uint8 exactly as torchvision's save_image: clamp((x+1)/2·255 + 0.5). */
function toUint8(images: tf.Tensor): Uint8Array {
  const scaled = tf.tidy(() => tf.clipByValue(tf.add(tf.mul(tf.add(images, 1), 127.5), 0.5), 0, 255));
  const values = scaled.dataSync();
  scaled.dispose();
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.floor(values[i] as number);
  return out;
}

/** Loads a generator (run folder or export) for sampling. */
export async function loadGenerator(modelDir: string): Promise<GeneratorHandle> {
  const model = await tfl.loadLayersModel(fileSystem(modelDir));
  const signature = generatorSignature(model, modelDir);
  const outShape = model.outputs[0]?.shape;
  if (!outShape || outShape.length !== 4) {
    model.dispose();
    throw new GanKitError('UNSUPPORTED_FORMAT', `${modelDir}: expected a generator producing images [batch, H, W, C], got ${JSON.stringify(outShape)}`, { path: modelDir });
  }
  const labelsExtra = signature.extras.find((e): e is { kind: 'labels'; numClasses: number } => e.kind === 'labels');
  return { model, signature, shape: outShape.slice(1) as ImageShape, truncation: truncationKind(model), ...(labelsExtra ? { numClasses: labelsExtra.numClasses } : {}) };
}

async function generatorInput(spec: string, modelDir: string, options: InputOptions & { sampling?: Omit<SamplingOptions, 'seed'> }): Promise<ImageInput> {
  const handle = await loadGenerator(modelDir);
  const total = options.num ?? DEFAULT_GENERATOR_SAMPLES;
  const [start, end] = shardRange(total, options.shard);
  const count = end - start;
  const sampling: SamplingOptions = { ...options.sampling, seed: options.seed };
  return {
    kind: 'images',
    spec,
    count,
    shape: handle.shape,
    ...(handle.numClasses !== undefined ? { numClasses: handle.numClasses } : {}),
    subset: { input: spec, count, of: null, seed: options.seed, ...(options.shard ? { shard: `${options.shard.index}/${options.shard.count}` } : {}) },
    fingerprint: () => Promise.resolve(null),
    async *batches(batchSize: number) {
      for (let done = start; done < end; done += batchSize) {
        const to = Math.min(end, done + batchSize);
        const { data, labels } = generateImages(handle, done, to, sampling);
        yield { data, n: to - done, shape: handle.shape, ...(labels ? { labels } : {}) };
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}

/** Where the exported generator of a run folder or export is, or undefined. */
export async function findGenerator(dir: string): Promise<string | undefined> {
  return (await pathKind(dir)) === 'dir' ? generatorModelDir(dir) : undefined;
}

function isIdxPath(path: string): boolean {
  return /(\.idx\d?|-ubyte)(\.gz)?$/i.test(basename(path));
}

/** Resolves what the user typed into an input: named dataset, `.npz` stats or images, IDX file, generator or image folder. */
export async function openInput(spec: string, options: InputOptions & { sampling?: Omit<SamplingOptions, 'seed'> }): Promise<EvalInput> {
  if (NAMED.test(spec)) return namedInput(spec, options);
  const kind = await pathKind(spec);
  if (kind === 'missing') {
    throw new GanKitError(
      'FILE_NOT_FOUND',
      `input "${spec}" does not exist: expected an image folder, an IDX file, a .npz statistics or images file, a run folder or exported generator, or one of mnist:train, mnist:test, fashion-mnist:train, fashion-mnist:test`,
      { path: spec },
    );
  }
  if (kind === 'file') {
    if (spec.toLowerCase().endsWith('.npz')) {
      const arrays = await readNpz(spec);
      if ('mu' in arrays && 'sigma' in arrays) return { kind: 'stats', spec, path: spec };
      if ('features' in arrays && !('images' in arrays)) return featuresInput(spec, arrays, options);
      return npzImagesInput(spec, options);
    }
    if (isIdxPath(spec)) return idxInput(spec, options);
    throw new GanKitError('UNSUPPORTED_FORMAT', `input file "${spec}" is neither a .npz file (statistics mu/sigma, or uint8 images) nor an IDX images file (*-ubyte, *.idx, optionally .gz)`, { path: spec });
  }
  const modelDir = await generatorModelDir(spec);
  if (modelDir) return generatorInput(spec, modelDir, options);
  const names = await readdir(spec);
  if (names.length === 0) throw new GanKitError('EMPTY_DATASET', `input folder "${spec}" is empty: expected images (${IMAGE_EXTENSIONS.join(' ')})`, { path: spec });
  return folderInput(spec, options);
}
