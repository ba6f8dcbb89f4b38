export * from './layers/index';
export { Seeds } from './architectures/init';
export { checkImageShape, type BaseOptions, type GeneratorBaseOptions, type ImageShape } from './architectures/types';
export {
  DCGAN_SIZES,
  dcganDiscriminator,
  dcganGenerator,
  type DcganDiscriminatorOptions,
  type DcganGeneratorOptions,
  type DiscriminatorHead,
  type DiscriminatorNormalization,
  type GeneratorConditioning,
} from './architectures/dcgan';
export { mlpDiscriminator, mlpGenerator, type MlpDataShape, type MlpDiscriminatorOptions, type MlpGeneratorOptions } from './architectures/mlp';
export {
  snganResnetDiscriminator,
  snganResnetGenerator,
  type SnganResnetDiscriminatorOptions,
  type SnganResnetGeneratorOptions,
} from './architectures/sngan';
export { ARCHITECTURES, createGan, type Architecture, type Conditioning, type CreateGanOptions, type Gan } from './registry';
export { countTrainableParams } from './params';
export { cloneModel } from './clone';
