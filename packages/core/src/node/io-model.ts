import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { GanKitError } from '../errors';
import { readManifestJson, readManifestWeights, weightBytes, weightsManifestSchema, writeFilesAtomically } from './io-manifest';

/** File names of a saved model, as tfjs-node's `file://` handler writes them. */
export const MODEL_JSON = 'model.json';
/** The one binary weights file of a saved model (named by `weightsManifest[0].paths`). */
export const WEIGHTS_BIN = 'weights.bin';

const modelJsonSchema = z.looseObject({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: weightsManifestSchema.optional(),
});

/** The folder and model.json path for a `fileSystem` location (a folder, a model.json path, or a file:// URL). */
function resolveLocation(location: string): { dir: string; modelJson: string } {
  const path = location.startsWith('file://') ? fileURLToPath(location) : location;
  if (path.endsWith('.json')) return { dir: dirname(path), modelJson: path };
  return { dir: path, modelJson: join(path, MODEL_JSON) };
}

/** The model.json content for saved artifacts, field for field as tfjs (and tfjs-node's file:// handler) writes it. */
function modelJsonFor(artifacts: tf.io.ModelArtifacts, manifest: tf.io.WeightsManifestConfig): tf.io.ModelJSON {
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: manifest,
  };
  if (artifacts.signature != null) json.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata != null) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer != null) json.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature != null) json.initializerSignature = artifacts.initializerSignature;
  if (artifacts.trainingConfig != null) json.trainingConfig = artifacts.trainingConfig;
  return json;
}

async function saveModel(dir: string, modelJson: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology == null) {
    throw new GanKitError('UNSUPPORTED_FORMAT', `fileSystem(${dir}) saves models with a JSON topology (tf.LayersModel, or graph models in JSON); got a binary or missing topology`, { path: dir });
  }
  const weightsFile = basename(modelJson) === MODEL_JSON ? WEIGHTS_BIN : `${basename(modelJson, '.json')}.weights.bin`;
  const manifest: tf.io.WeightsManifestConfig = [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }];
  const text = JSON.stringify(modelJsonFor(artifacts, manifest));
  // Weights first, model.json last: both are staged on disk before either is renamed into place.
  await writeFilesAtomically([
    { path: join(dir, weightsFile), data: weightBytes(artifacts.weightData) },
    { path: modelJson, data: text },
  ]);
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

async function loadModel(modelJson: string): Promise<tf.io.ModelArtifacts> {
  const { raw, parsed } = await readManifestJson(modelJson, modelJsonSchema, 'TF.js model.json (with modelTopology and weightsManifest)');
  const json = raw as tf.io.ModelJSON;
  if (parsed.weightsManifest === undefined) return tf.io.getModelArtifactsForJSONSync(json);
  const [specs, data] = await readManifestWeights(modelJson, json.weightsManifest);
  return tf.io.getModelArtifactsForJSONSync(json, specs, data);
}

/**
 * A TF.js IOHandler for a folder on disk: `model.save(fileSystem(dir))` writes `model.json` + `weights.bin`
 * atomically in the standard TF.js layout (as tfjs-node's `file://` does), and `tf.loadLayersModel(fileSystem(dir))`
 * reads it back on any backend. `location` may also be a path to a `.json` file or a `file://` URL.
 */
export function fileSystem(location: string): tf.io.IOHandler {
  const { dir, modelJson } = resolveLocation(location);
  return {
    save: (artifacts: tf.io.ModelArtifacts) => saveModel(dir, modelJson, artifacts),
    load: () => loadModel(modelJson),
  };
}
