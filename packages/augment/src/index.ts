export { gatherRows } from './gather';
export {
  DIFF_AUGMENT_OPS, applyDiffAugment, cutoutMask, diffAugment, drawDiffAugmentParams, parseDiffAugmentPolicy, translateImages,
  type DiffAugmentOp, type DiffAugmentOptions, type DiffAugmentParams,
} from './diffaugment';
export {
  ADA_OPS, ADA_PRESETS, adaAugment, adaColorMatrix, adaGeometricMatrix, applyAda, checkProbability, colorTransformImages, drawAdaParams,
  identityAdaParams, resampleImages, type AdaOp, type AdaParams, type AdaPipelineOptions, type AdaPreset,
} from './ada';
export { AdaController, type AdaControllerOptions, type AdaControllerState } from './controller';
export { createAugmenter, type AugmentConfig, type Augmenter } from './augmenter';
