import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError, createRng, fileError, fileSystem, type Rng } from '@gankit/core';
import { idxSource, imageFolder, loadNamedDataset, type ImageShape, type ImageSource } from '@gankit/data';
import '@gankit/models';
import { fingerprintPath } from './fingerprint';

/** A batch of uint8 images, N×H×W×C row-major. */
export interface Uint8Batch {
  data: Uint8Array;
  n: number;
  shape: ImageShape;
}

/** An input that yields images (folder, IDX file, named dataset, generator). */
export interface ImageInput {
  kind: 'images';
  /** What the user typed, for messages and the report. */
  spec: string;
  /** Number of images this input will yield. */
  count: number;
  shape: ImageShape;
  /** Streams the images in batches; nothing beyond one batch is held decoded. */
  batches(batchSize: number): AsyncIterable<Uint8Batch>;
  /** Identifies the exact data (for the statistics cache); null where caching makes no sense (generators). */
  fingerprint(): Promise<string | null>;
}

/** A pytorch-fid statistics file (`mu`, `sigma`): usable as the reference side of FID. */
export interface StatsInput {
  kind: 'stats';
  spec: string;
  path: string;
}

/** Any input of gankit-eval. */
export type EvalInput = ImageInput | StatsInput;

/** Options that shape how inputs are read. */
export interface InputOptions {
  num: number | undefined;
  seed: number;
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

function limitCount(available: number, num: number | undefined, spec: string): number {
  if (num === undefined) return available;
  if (num > available) {
    throw new GanKitError('INVALID_ARGUMENT', `--num ${num} is more than the ${available} images in ${spec}`);
  }
  return num;
}

/** Wraps a data source as an image input over its first `count` examples. */
function sourceInput(spec: string, source: ImageSource & { length: number }, count: number, fingerprint: () => Promise<string | null>): ImageInput {
  const shape = source.shape;
  const size = shape[0] * shape[1] * shape[2];
  return {
    kind: 'images',
    spec,
    count,
    shape,
    fingerprint,
    async *batches(batchSize: number) {
      let data = new Uint8Array(batchSize * size);
      let n = 0;
      let seen = 0;
      for await (const example of source.examples()) {
        if (seen >= count) break;
        seen += 1;
        data.set(example.image, n * size);
        n += 1;
        if (n === batchSize) {
          yield { data, n, shape };
          data = new Uint8Array(batchSize * size);
          n = 0;
        }
      }
      if (n > 0) yield { data: data.subarray(0, n * size), n, shape };
    },
  };
}

async function namedInput(spec: string, options: InputOptions): Promise<ImageInput> {
  const [, name, split] = NAMED.exec(spec) as RegExpExecArray;
  const source = await loadNamedDataset(name as string, { split: split as 'train' | 'test' });
  const count = limitCount(source.length, options.num, spec);
  return sourceInput(spec, source, count, () => Promise.resolve(`${spec}:${source.length}`));
}

async function idxInput(spec: string, options: InputOptions): Promise<ImageInput> {
  const source = await idxSource(spec);
  const count = limitCount(source.length, options.num, spec);
  return sourceInput(spec, source, count, () => fingerprintPath(spec));
}

async function folderInput(spec: string, options: InputOptions): Promise<ImageInput> {
  const source = await imageFolder(spec, { labels: 'none' });
  const count = limitCount(source.length, options.num, spec);
  return sourceInput(spec, source, count, () => fingerprintPath(spec));
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
type ExtraInput = { kind: 'labels'; numClasses: number } | { kind: 'continuous'; dim: number };

interface GeneratorSignature {
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

/** Seeded generator inputs for `n` samples: z ~ N(0, 1), labels uniform over the classes, codes ~ U(-1, 1). */
function sampleGeneratorInputs(signature: GeneratorSignature, n: number, rng: Rng): tf.Tensor[] {
  const inputs = [tf.tensor2d(rng.normalArray(n * signature.latentDim), [n, signature.latentDim])];
  for (const extra of signature.extras) {
    if (extra.kind === 'labels') inputs.push(tf.tensor2d(Float32Array.from({ length: n }, () => rng.int(extra.numClasses)), [n, 1]));
    else inputs.push(tf.tensor2d(rng.uniformArray(n * extra.dim, -1, 1), [n, extra.dim]));
  }
  return inputs;
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

async function generatorInput(spec: string, modelDir: string, options: InputOptions): Promise<ImageInput> {
  const model = await tfl.loadLayersModel(fileSystem(modelDir));
  const signature = generatorSignature(model, modelDir);
  const outShape = model.outputs[0]?.shape;
  if (!outShape || outShape.length !== 4) {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${modelDir}: expected a generator producing images [batch, H, W, C], got ${JSON.stringify(outShape)}`, { path: modelDir });
  }
  const shape = outShape.slice(1) as ImageShape;
  const count = options.num ?? DEFAULT_GENERATOR_SAMPLES;
  return {
    kind: 'images',
    spec,
    count,
    shape,
    fingerprint: () => Promise.resolve(null),
    async *batches(batchSize: number) {
      const rng = createRng(options.seed);
      for (let done = 0; done < count; done += batchSize) {
        const n = Math.min(batchSize, count - done);
        const inputs = sampleGeneratorInputs(signature, n, rng);
        const out = model.predict(inputs.length === 1 ? inputs[0] as tf.Tensor : inputs) as tf.Tensor;
        const data = toUint8(out);
        tf.dispose([...inputs, out]);
        yield { data, n, shape };
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}

function isIdxPath(path: string): boolean {
  return /(\.idx\d?|-ubyte)(\.gz)?$/i.test(basename(path));
}

/** Resolves what the user typed into an input: named dataset, `.npz` stats, IDX file, generator or image folder. */
export async function openInput(spec: string, options: InputOptions): Promise<EvalInput> {
  if (NAMED.test(spec)) return namedInput(spec, options);
  const kind = await pathKind(spec);
  if (kind === 'missing') {
    throw new GanKitError(
      'FILE_NOT_FOUND',
      `input "${spec}" does not exist: expected an image folder, an IDX file, a .npz statistics file, a run folder or exported generator, or one of mnist:train, mnist:test, fashion-mnist:train, fashion-mnist:test`,
      { path: spec },
    );
  }
  if (kind === 'file') {
    if (spec.toLowerCase().endsWith('.npz')) return { kind: 'stats', spec, path: spec };
    if (isIdxPath(spec)) return idxInput(spec, options);
    throw new GanKitError('UNSUPPORTED_FORMAT', `input file "${spec}" is neither a .npz statistics file nor an IDX images file (*-ubyte, *.idx, optionally .gz)`, { path: spec });
  }
  const modelDir = await generatorModelDir(spec);
  if (modelDir) return generatorInput(spec, modelDir, options);
  const names = await readdir(spec);
  if (names.length === 0) throw new GanKitError('EMPTY_DATASET', `input folder "${spec}" is empty: expected images (PNG/JPEG/WebP)`, { path: spec });
  return folderInput(spec, options);
}
