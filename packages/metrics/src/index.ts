export type { FeatureExtractor, ExtractedFeatures } from './extractor';
export {
  inceptionV3, FID_INCEPTION_WEIGHTS_URL, INCEPTION_BLOCK_INDEX_BY_DIM, type InceptionDims, cleanResize, resizePlaneBicubicPil, mnistClassifier, shippedMnistClassifierDir,
  type InceptionV3Options, type MnistClassifierOptions,
} from './extractors/index';
export { loadTorchCheckpoint, readTorchCheckpoint, torchStateDict, isTorchTensor, tensorToFloat32 } from './torch/index';
export type { TorchDType, TorchTensor, TorchTensorData, TorchValue } from './torch/index';
export { featureMatrix, type FeatureMatrix } from './stats/features';
export { featureStats, mergeFeatureStats, StreamingFeatureStats, type FeatureStats, type FeatureStatsOptions } from './stats/feature-stats';
export { frechetDistance, frechetDistanceDetailed, type GaussianStats, type FrechetOptions, type FrechetResult } from './stats/frechet';
export { inceptionScore, type InceptionScoreOptions, type ScoreWithStd } from './stats/inception-score';
export { kernelInceptionDistance, type KidOptions } from './stats/kid';
export { precisionRecall, type PrecisionRecallOptions, type PrecisionRecall } from './stats/precision-recall';
export { saveStatsNpz, loadStatsNpz, type StatsToSave, type SaveStatsOptions } from './stats-file';
export { computeMetrics, type ComputeMetricsOptions, type MetricsResult, type MetricName, type ImageBatch, type PrecomputedBatch, type PrecomputedBatches, type ImageBatches, type MetricsProgress } from './compute-metrics';
export { float64KernelInfo } from './linalg/runtime';
export { densityCoverage, type DensityCoverage, type DensityCoverageOptions } from './stats/density-coverage';
export { intraFid, type IntraFid } from './stats/intra-fid';
export { perceptualPathLength, slerp, lerp, squaredFeatureDistance, type PerceptualPathLength, type PerceptualPathLengthOptions } from './stats/ppl';
export { trainRidgeClassifier, predictLinear, accuracyOf, classificationAccuracyScore, type LinearClassifier, type RidgeOptions, type CasInputs } from './stats/cas';
