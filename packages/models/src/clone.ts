import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';

/**
 * An independent copy of a model (same topology, layer names and weights, including BN moving statistics and
 * spectral-norm `u`), made by an in-memory save → load round trip; e.g. for an EMA generator.
 */
export async function cloneModel(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((saved) => {
      artifacts = saved;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    }),
  );
  if (!artifacts) throw new GanKitError('INVALID_ARGUMENT', `cloneModel: model ${model.name} produced no artifacts when saved`);
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}
