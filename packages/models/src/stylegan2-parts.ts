import * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError } from '@gankit/core';
import { mappingNetworks } from './truncation';
import type { StyleGan2Parts } from './registry';

type Sym = tfl.SymbolicTensor;

function bad(model: tfl.LayersModel, what: string): GanKitError {
  return new GanKitError('INVALID_ARGUMENT', `styleGan2Parts: model "${model.name}" ${what}; expected a stylegan2 generator (createGan's, or one loaded with tf.loadLayersModel)`);
}

/**
 * The mapping and synthesis halves of a StyleGAN2 generator, from the generator alone: one `createGan` built, or one
 * loaded with `tf.loadLayersModel` (whose saved graph no longer has them). `mapping`: z [B, latentDim] → ws
 * [B, numWs, wDim], the generator's graph up to its `MappingNetwork` (inference applies its ψ); `synthesis`: ws →
 * images, the layers after it applied to a new `ws` input (e.g. for perceptual path length in w). Both are views
 * sharing the generator's layers and weights: dispose only the generator. `INVALID_ARGUMENT` unless the model has
 * one input and exactly one mapping network, and every path from z to the image goes through it.
 */
export function styleGan2Parts(generator: tfl.LayersModel): StyleGan2Parts {
  const found = mappingNetworks(generator);
  if (found.length !== 1) throw bad(generator, found.length === 0 ? 'has no mapping network' : `has ${found.length} mapping networks`);
  if (generator.inputs.length !== 1) throw bad(generator, `has ${generator.inputs.length} inputs`);
  if (generator.outputs.length !== 1) throw bad(generator, `has ${generator.outputs.length} outputs`);
  const layer = found[0]!;
  // The generator's own call of the mapping network is its first inbound node (createGan's synthesis view adds none).
  const ws = layer.inboundNodes[0]?.outputTensors[0];
  if (ws === undefined) throw bad(generator, 'has a mapping network that is not connected');
  const mapping = tfl.model({ inputs: generator.inputs, outputs: ws, name: `${generator.name}_mapping` });
  const wsInput = tfl.input({ shape: [layer.numWs, layer.wDim], name: 'ws' });
  const rebuilt = new Map<number, Sym>([[ws.id, wsInput]]);
  const applied: unknown[] = [];
  const rebuild = (t: Sym): Sym => {
    const done = rebuilt.get(t.id);
    if (done) return done;
    const source = t.sourceLayer;
    const node = source.inboundNodes[t.nodeIndex];
    if (node === undefined || node.inboundLayers.length === 0) throw bad(generator, `reads its input "${t.name}" other than through its mapping network`);
    const inputs = node.inputTensors.map(rebuild);
    const out = source.apply(inputs.length === 1 ? inputs[0]! : inputs, node.callArgs ?? {}) as Sym | Sym[];
    applied.push(source);
    const outs = Array.isArray(out) ? out : [out];
    node.outputTensors.forEach((o, i) => rebuilt.set(o.id, outs[i]!));
    return rebuilt.get(t.id)!;
  };
  let images: Sym;
  try {
    images = rebuild(generator.outputs[0]!);
  } finally {
    // tfjs-layers counts every symbolic call of a layer and frees its weights when as many models using it are
    // disposed: uncount these calls, so that disposing the generator still frees every weight.
    for (const l of applied) (l as { _refCount: number })._refCount -= 1;
  }
  const synthesis = tfl.model({ inputs: wsInput, outputs: images, name: `${generator.name}_synthesis` });
  return { mapping, synthesis, numWs: layer.numWs, wDim: layer.wDim };
}
