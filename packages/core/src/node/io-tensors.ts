import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { GanKitError } from '../errors';
import type { NamedTensor } from '../named-tensor';
import { readManifestJson, readManifestWeights, weightsManifestSchema, writeFilesAtomically } from './io-manifest';

/** The `format` field of a tensors JSON file written by `saveWeightsMap`. */
export const WEIGHTS_MAP_FORMAT = 'gankit-weights-map';


/** Options for `saveWeightsMap` / `loadWeightsMap`. */
export interface WeightsMapOptions {
  /** Base file name: writes `<name>.json` + `<name>.bin` (default `tensors`). Use `model` to read a saved model's weights. */
  name?: string;
}

/** Options for `saveWeightsMap`. */
export interface SaveWeightsMapOptions extends WeightsMapOptions {
  /** JSON-serialisable data saved in the same atomic write (step counters, hyperparameters...). */
  metadata?: Record<string, unknown>;
}

/** Named tensors read back by `loadWeightsMap`; the caller owns (and must dispose) the tensors. */
export interface WeightsMap {
  /** The tensors by name. */
  tensors: tf.NamedTensorMap;
  /** The same tensors in the order they were saved. */
  entries: NamedTensor[];
  /** The `metadata` given to `saveWeightsMap`, if any. */
  metadata: Record<string, unknown> | undefined;
}

const tensorsJsonSchema = z.looseObject({
  weightsManifest: weightsManifestSchema,
  userDefinedMetadata: z.record(z.string(), z.unknown()).optional(),
});

function baseName(options: WeightsMapOptions): string {
  const name = options.name ?? 'tensors';
  if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) {
    throw new GanKitError('INVALID_ARGUMENT', `weights map name must be a plain file name (letters, digits, _ . -), got "${name}"`);
  }
  return name;
}

function toEntries(tensors: tf.NamedTensorMap | NamedTensor[]): NamedTensor[] {
  const entries = Array.isArray(tensors) ? tensors : Object.entries(tensors).map(([name, tensor]) => ({ name, tensor }));
  const seen = new Set<string>();
  for (const { name, tensor } of entries) {
    if (seen.has(name)) throw new GanKitError('INVALID_ARGUMENT', `saveWeightsMap: tensor name "${name}" appears twice; names must be unique`);
    if (tensor.isDisposed) throw new GanKitError('INVALID_ARGUMENT', `saveWeightsMap: tensor "${name}" is already disposed`);
    seen.add(name);
  }
  return entries;
}

/**
 * Saves named tensors (optimizer slots, EMA shadows...) atomically to `<dir>/<name>.json` + `<dir>/<name>.bin`
 * in the TF.js weights-manifest format; the order of an array input is kept.
 */
export async function saveWeightsMap(
  dir: string,
  tensors: tf.NamedTensorMap | NamedTensor[],
  options: SaveWeightsMapOptions = {},
): Promise<void> {
  const name = baseName(options);
  const entries = toEntries(tensors);
  const { data, specs } = await tf.io.encodeWeights(entries);
  const json: Record<string, unknown> = {
    format: WEIGHTS_MAP_FORMAT,
    generatedBy: '@gankit/core',
    weightsManifest: [{ paths: [`${name}.bin`], weights: specs }],
  };
  if (options.metadata !== undefined) json.userDefinedMetadata = options.metadata;
  await writeFilesAtomically([
    { path: join(dir, `${name}.bin`), data: new Uint8Array(data) },
    { path: join(dir, `${name}.json`), data: JSON.stringify(json) },
  ]);
}

/** Loads tensors saved by `saveWeightsMap` (or any TF.js weights manifest, e.g. `{ name: 'model' }`) on the current backend. */
export async function loadWeightsMap(dir: string, options: WeightsMapOptions = {}): Promise<WeightsMap> {
  const jsonPath = join(dir, `${baseName(options)}.json`);
  const { raw, parsed } = await readManifestJson(jsonPath, tensorsJsonSchema, 'TF.js weights manifest');
  const manifest = (raw as { weightsManifest: tf.io.WeightsManifestConfig }).weightsManifest;
  const [specs, data] = await readManifestWeights(jsonPath, manifest);
  let tensors: tf.NamedTensorMap;
  try {
    tensors = tf.io.decodeWeights(data, specs);
  } catch (error) {
    throw new GanKitError('FILE_CORRUPT', `cannot decode the tensors of ${jsonPath}: ${(error as Error).message}`, { path: jsonPath, cause: error });
  }
  const entries = specs.map((spec) => ({ name: spec.name, tensor: tensors[spec.name]! }));
  return { tensors, entries, metadata: parsed.userDefinedMetadata };
}
