export type { FeatureExtractor, ExtractedFeatures } from './extractor';
export { inceptionV3, FID_INCEPTION_WEIGHTS_URL, cleanResize, resizePlaneBicubicPil, type InceptionV3Options } from './extractors/index';
export { loadTorchCheckpoint, readTorchCheckpoint, torchStateDict, isTorchTensor, tensorToFloat32 } from './torch/index';
export type { TorchDType, TorchTensor, TorchTensorData, TorchValue } from './torch/index';
