import './gradients';

export { registerSecondOrderGradientFixes } from './gradients';
export {
  sigmoidCrossEntropy,
  minimaxDiscriminatorLoss,
  nonSaturatingGeneratorLoss,
  minimaxGeneratorLoss,
  wassersteinCriticLoss,
  wassersteinGeneratorLoss,
  hingeDiscriminatorLoss,
  hingeGeneratorLoss,
  leastSquaresDiscriminatorLoss,
  leastSquaresGeneratorLoss,
  relativisticDiscriminatorLoss,
  relativisticGeneratorLoss,
  relativisticAverageDiscriminatorLoss,
  relativisticAverageGeneratorLoss,
  type BinaryLabelOptions,
  type LabelFlip,
  type LeastSquaresOptions,
} from './adversarial';
export {
  criticInputGradientSquaredNorm,
  gradientPenalty,
  gradientPenaltyAt,
  r1Penalty,
  r2Penalty,
  draganPenalty,
  draganPenaltyAt,
  type Critic,
  type PenaltyConditionOptions,
  type GradientNormPenaltyOptions,
  type ZeroCenteredPenaltyOptions,
  type DraganPenaltyOptions,
} from './penalties';
export {
  sparseSoftmaxCrossEntropy,
  auxiliaryClassifierLoss,
  gaussianNegativeLogLikelihood,
  infoGanMutualInformationLoss,
  type CategoricalCode,
  type ContinuousCodes,
  type InfoGanLossInput,
} from './auxiliary';
export { getLoss, isLossName, LOSS_NAMES, type GanLoss, type LossName, type LossOptionsByName } from './registry';
export { PathLengthRegularizer, type PathLengthOptions, type PathLengthState, type Synthesis } from './path-length';
