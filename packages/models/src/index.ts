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
export {
  styleGan2Discriminator,
  styleGan2Generator,
  styleGan2Resolutions,
  type StyleGan2Channels,
  type StyleGan2DiscriminatorOptions,
  type StyleGan2Generator,
  type StyleGan2GeneratorOptions,
} from './architectures/stylegan2';
export { ARCHITECTURES, createGan, type StyleGan2Parts, type Architecture, type Conditioning, type CreateGanOptions, type Gan } from './registry';
export { countTrainableParams } from './params';
export { cloneModel } from './clone';
export { mappingNetworks, setTruncationPsi, truncatedNormalArray, truncationKind } from './truncation';
export { LATENT_CHUNK, sampleLatents, type LatentExtra, type LatentOptions, type LatentSignature, type Latents } from './latents';
export { styleGan2Parts } from './stylegan2-parts';
