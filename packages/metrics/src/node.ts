// @gankit/metrics/node: the extractors with their weights read from disk, PyTorch checkpoints and stats files (Node only).
export { inceptionV3 } from './extractors/inception-file';
export { mnistClassifier, shippedMnistClassifierDir, type MnistClassifierOptions } from './extractors/mnist-file';
export { loadTorchCheckpoint, readTorchCheckpoint, torchStateDict } from './torch/checkpoint';
export { saveStatsNpz, loadStatsNpz, type StatsToSave, type SaveStatsOptions } from './stats-file';
