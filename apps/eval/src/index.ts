export { evaluate, type EvaluateHooks } from './evaluate';
export { parseEvalArgs, USAGE, type EvalCommand, type EvalOptions, type ExtractorName, type ParsedArgs } from './args';
export { formatTable, type EvalReport, type MetricRow } from './report';
export { openInput, type EvalInput, type ImageInput, type StatsInput, type Uint8Batch } from './inputs';
