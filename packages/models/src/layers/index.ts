import * as tf from '@tensorflow/tfjs-core';
import { ConditionalBatchNorm } from './conditional-batch-norm';
import { SelfAttention } from './self-attention';
import { AveragePooling2x2, ClassEmbedding, GlobalSumPooling, MinibatchStdDev, OneHot, PixelNorm } from './simple';
import { SpectralNormalization } from './spectral-normalization';
import { ConstantInput, EqualizedConv2D, EqualizedDense, MappingNetwork, ModulatedConv2D, Upsample2x } from './stylegan2';

// Side effect (listed in package.json "sideEffects"): registering every custom layer class lets
// tf.loadLayersModel rebuild models that use them.
for (const cls of [SpectralNormalization, ConditionalBatchNorm, SelfAttention, ClassEmbedding, OneHot, GlobalSumPooling, AveragePooling2x2, PixelNorm, MinibatchStdDev,
  MappingNetwork, ModulatedConv2D, ConstantInput, Upsample2x, EqualizedConv2D, EqualizedDense]) {
  tf.serialization.registerClass(cls);
}

export { SpectralNormalization, type SpectralNormalizationArgs } from './spectral-normalization';
export { ConditionalBatchNorm, type ConditionalBatchNormArgs } from './conditional-batch-norm';
export { SelfAttention, type SelfAttentionArgs } from './self-attention';
export {
  AveragePooling2x2,
  ClassEmbedding,
  GlobalSumPooling,
  MinibatchStdDev,
  OneHot,
  PixelNorm,
  type ClassEmbeddingArgs,
  type MinibatchStdDevArgs,
  type OneHotArgs,
  type PixelNormArgs,
} from './simple';
export {
  ConstantInput,
  EqualizedConv2D,
  EqualizedDense,
  MappingNetwork,
  ModulatedConv2D,
  Upsample2x,
  downsample2x,
  upsample2x,
  type ConstantInputArgs,
  type ConvDownsampling,
  type EqualizedConv2DArgs,
  type EqualizedDenseArgs,
  type MappingNetworkArgs,
  type ModulatedConv2DArgs,
  type StyleActivation,
} from './stylegan2';
