// @gankit/optimizers/node: optimizer and EMA state saved to and read from disk (Node only).
export {
  saveTrainingState,
  loadTrainingState,
  TRAINING_STATE_FORMAT,
  type TrainingStateParts,
  type TrainingStateOptions,
  type SaveTrainingStateOptions,
} from './state';
