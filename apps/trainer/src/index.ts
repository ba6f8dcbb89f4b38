export { train, readRunConfig, type TrainOptions, type TrainResult } from './train';
export {
  trainConfigSchema,
  validateConfig,
  resolveConfig,
  readPreset,
  listPresets,
  formatIssues,
  type TrainConfig,
  type TrainConfigInput,
  type OptimizerConfig,
  type ConfigOverrides,
} from './config';
export { ProgressReporter, formatDuration, type ProgressEvent, type ProgressMode } from './progress';
export { EventFileWriter, encodeEvent, tfRecord, crc32c, maskedCrc32c, type SummaryValue } from './tensorboard';
export { renderReport, svgLineChart, writeReport, type ReportInput } from './report';
export { runPaths, listCheckpoints, readMetrics, type RunPaths, type MetricsRecord, type BestCheckpoint } from './run-folder';
