import type * as tfl from '@tensorflow/tfjs-layers';

/** Number of trainable parameters of a model (what PyTorch's `sum(p.numel() for p in m.parameters() if p.requires_grad)` counts). */
export function countTrainableParams(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((total, weight) => total + weight.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}
