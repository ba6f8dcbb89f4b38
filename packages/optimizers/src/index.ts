export { adam, rmsprop, sgd, ttur, type AdamOptions, type RMSPropOptions, type SgdOptions, type TturOptions, type GanOptimizers, type Exactness } from './presets';
export { PyTorchAdamOptimizer, type PyTorchAdamConfig } from './pytorch-adam';
export { PyTorchRMSPropOptimizer, type PyTorchRMSPropConfig } from './pytorch-rmsprop';
export { getLearningRate, setLearningRate } from './learning-rate';
export {
  constantSchedule,
  warmupSchedule,
  linearDecaySchedule,
  cosineSchedule,
  stepDecaySchedule,
  createSchedule,
  ScheduledOptimizer,
  type LearningRateSchedule,
  type ScheduleConfig,
  type ScheduleState,
} from './schedules';
export { ExponentialMovingAverage, type EmaOptions, type EmaState } from './ema';
export { clipWeights, clipByGlobalNorm, type ClippedGradients } from './clipping';
