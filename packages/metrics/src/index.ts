// @gankit/metrics: the platform-neutral part (Node and browsers): feature statistics, FID / IS / KID / precision-recall /
// density-coverage / intra-FID / PPL / CAS, and the extractors' graph code. Reading weights, models and stats files
// from disk is in `@gankit/metrics/node`.
export type { FeatureExtractor, ExtractedFeatures } from './extractor';
export { inceptionV3FromStateDict, FID_INCEPTION_WEIGHTS_URL, INCEPTION_BLOCK_INDEX_BY_DIM, type InceptionV3Options, type InceptionDims } from './extractors/inception';
export { cleanResize, resizePlaneBicubicPil } from './extractors/resize-pil';
export { mnistClassifierFromModel } from './extractors/mnist';
export { isTorchTensor, tensorToFloat32, type TorchDType, type TorchTensor, type TorchTensorData, type TorchValue } from './torch/tensor';
export { featureMatrix, type FeatureMatrix } from './stats/features';
export { featureStats, mergeFeatureStats, StreamingFeatureStats, type FeatureStats, type FeatureStatsOptions } from './stats/feature-stats';
export { frechetDistance, frechetDistanceDetailed, type GaussianStats, type FrechetOptions, type FrechetResult } from './stats/frechet';
export { inceptionScore, type InceptionScoreOptions, type ScoreWithStd } from './stats/inception-score';
export { kernelInceptionDistance, type KidOptions } from './stats/kid';
export { precisionRecall, type PrecisionRecallOptions, type PrecisionRecall } from './stats/precision-recall';
export { computeMetrics, type ComputeMetricsOptions, type MetricsResult, type MetricName, type ImageBatch, type PrecomputedBatch, type PrecomputedBatches, type ImageBatches, type MetricsProgress } from './compute-metrics';
export { float64KernelInfo } from './linalg/runtime';
export { densityCoverage, type DensityCoverage, type DensityCoverageOptions } from './stats/density-coverage';
export { intraFid, type IntraFid } from './stats/intra-fid';
export { perceptualPathLength, slerp, lerp, squaredFeatureDistance, type PerceptualPathLength, type PerceptualPathLengthOptions } from './stats/ppl';
export { trainRidgeClassifier, predictLinear, accuracyOf, classificationAccuracyScore, type LinearClassifier, type RidgeOptions, type CasInputs } from './stats/cas';
