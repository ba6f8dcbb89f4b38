import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';
// Importing @gankit/models also registers every gankit layer class (ClassEmbedding, SpectralNormalization,
// MappingNetwork, ModulatedConv2D, …) with tfjs-layers, so tf.loadLayersModel opens every gankit export.
import { truncationKind } from '@gankit/models';

/** One extra generator input besides z: class labels `[B, 1]` (also InfoGAN's categorical code) or continuous codes `[B, dim]`. */
export type ExtraInput = { kind: 'labels'; name: string; numClasses: number } | { kind: 'continuous'; name: string; dim: number };

/** A generator opened in the page, with what is needed to sample it. */
export interface OpenGenerator {
  model: tfl.LayersModel;
  latentDim: number;
  extras: ExtraInput[];
  /** Output image shape [H, W, C]. */
  shape: [number, number, number];
  /** Which truncation trick it takes: ψ toward the tracked mean w (StyleGAN2's mapping network) or z-truncation. */
  truncation: 'psi' | 'z';
  /** Where it came from (file names or URL). */
  source: string;
  /** The run's config.json when a run folder was opened. */
  runConfig?: { name?: string; model?: { architecture?: string } } | undefined;
}

function numClassesOf(model: tfl.LayersModel): number {
  for (const layer of model.layers) {
    const config = layer.getConfig() as { numClasses?: unknown; inputDim?: unknown };
    if (typeof config.numClasses === 'number') return config.numClasses;
    if (layer.getClassName() === 'Embedding' && typeof config.inputDim === 'number') return config.inputDim;
  }
  throw new GanKitError('UNSUPPORTED_FORMAT', 'a conditional generator whose layers do not say how many classes it has');
}

/** Reads latent size, labels and codes from the model's inputs, as gankit-eval does. */
export function describeGenerator(model: tfl.LayersModel, source: string): OpenGenerator {
  const [zInput, ...others] = model.inputs;
  const latentDim = zInput?.shape[1];
  if (typeof latentDim !== 'number' || zInput?.shape.length !== 2) {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${source}: expected a generator whose first input is a latent vector [batch, latentDim], got ${JSON.stringify(zInput?.shape)}`);
  }
  const extras = others.map((input): ExtraInput => {
    const dim = input.shape[1];
    if (input.shape.length !== 2 || typeof dim !== 'number') {
      throw new GanKitError('UNSUPPORTED_FORMAT', `${source}: unsupported generator input of shape ${JSON.stringify(input.shape)}; expected [batch, 1] labels or [batch, dim] codes`);
    }
    return dim === 1 ? { kind: 'labels', name: input.name, numClasses: numClassesOf(model) } : { kind: 'continuous', name: input.name, dim };
  });
  const out = model.outputs[0]?.shape;
  if (!out || out.length !== 4 || !out.slice(1).every((d) => typeof d === 'number')) {
    throw new GanKitError('UNSUPPORTED_FORMAT', `${source}: expected a generator producing images [batch, H, W, C], got ${JSON.stringify(out)}`);
  }
  return { model, latentDim, extras, shape: out.slice(1) as [number, number, number], truncation: truncationKind(model), source };
}

/** A file with the path it had inside a dropped or picked folder. */
export interface PathedFile {
  path: string;
  file: File;
}

const base = (path: string) => path.split('/').pop() ?? path;

/**
 * Opens a generator from files: a run folder (its `generator/model.json` and weights, and `config.json`), the
 * `generator/` folder itself, or model.json with its weight files picked together.
 */
export async function openFromFiles(files: PathedFile[]): Promise<OpenGenerator> {
  const jsons = files.filter((f) => base(f.path) === 'model.json');
  const json = jsons.find((f) => /(^|\/)generator\/model\.json$/.test(f.path)) ?? jsons[0];
  if (!json) {
    throw new GanKitError('FILE_NOT_FOUND', `no model.json among the ${files.length} files given; expected a run folder, its generator/ folder, or model.json with its weights`);
  }
  const dir = json.path.slice(0, json.path.length - 'model.json'.length);
  const text = await json.file.text();
  let manifest: { weightsManifest?: { paths: string[] }[] };
  try {
    manifest = JSON.parse(text) as typeof manifest;
  } catch {
    throw new GanKitError('FILE_CORRUPT', `${json.path} is not JSON; expected a TF.js Layers model.json`);
  }
  const wanted = (manifest.weightsManifest ?? []).flatMap((group) => group.paths.map(base));
  const weights = wanted.map((name) => {
    const found = files.find((f) => f.path === dir + name) ?? files.find((f) => base(f.path) === name);
    if (!found) throw new GanKitError('MISSING_WEIGHTS', `${json.path} names weight file ${name}, which was not among the files given; pick it together with model.json`);
    return found.file;
  });
  const model = await tfl.loadLayersModel(tf.io.browserFiles([json.file, ...weights]));
  const opened = describeGenerator(model, json.path);
  const runDir = dir.endsWith('generator/') ? dir.slice(0, -'generator/'.length) : undefined;
  const configFile = runDir === undefined ? undefined : files.find((f) => f.path === `${runDir}config.json`);
  if (configFile) {
    try {
      opened.runConfig = JSON.parse(await configFile.file.text()) as OpenGenerator['runConfig'];
    } catch {
      // A run's config.json only labels the view; a broken one is not worth refusing the generator for.
    }
  }
  return opened;
}

/** Opens a generator from the URL of its model.json (same origin, or one that allows CORS). */
export async function openFromUrl(url: string): Promise<OpenGenerator> {
  const model = await tfl.loadLayersModel(url);
  return describeGenerator(model, url);
}

/** Collects the files of a drop (folders are walked) with their relative paths. */
export async function droppedFiles(items: DataTransferItemList): Promise<PathedFile[]> {
  const out: PathedFile[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ path: prefix + entry.name, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  const entries = Array.from(items)
    .map((item) => item.webkitGetAsEntry())
    .filter((e): e is FileSystemEntry => e !== null);
  for (const entry of entries) await walk(entry, '');
  return out;
}

/** Files from an `<input type=file>` (with `webkitdirectory`, paths are relative to the picked folder). */
export function pickedFiles(list: FileList): PathedFile[] {
  return Array.from(list, (file) => ({ path: file.webkitRelativePath || file.name, file }));
}
