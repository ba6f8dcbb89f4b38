export { gradientsRegisteredBy, registerGradientFixes, tileGradient, outsideGradientTape, canPauseGradientTape, lowMemoryVariableGrads } from './gradients';
export { WASM_MAX_BYTES, formatBytes, guardWasmAllocations, isOutOfMemory, outOfMemoryError, wasmHeapBytes } from './memory';
export { GanKitError, fileError, parseArgsError, type GanKitErrorCode, type GanKitErrorOptions } from './errors';
export { snakeCase, snakeCaseKeys } from './json-keys';
export { createRng, rngFromState, type Rng, type RngState } from './rng';
export { atomicWriteFile, readFileOrThrow, readJsonFile, parseWithSchema } from './files';
export { initBackend, tensorflowDevice, TFJS_NODE_GPU_NEEDS, type BackendChoice, type BackendInfo, type InitBackendOptions, type TensorflowBackendReport } from './backend';
export { assertSingleTfjsCore, loadedTfjsCoreCopies, TFJS_CORE_VERSION, type TfjsCoreCopy } from './tfjs-copies';
export {
  registerWasmTrainingKernels,
  useWasmKernel,
  setTransposedConvStrategy,
  setWasmConvEngine,
  setWasmConvThreads,
  wasmConvThreads,
  wasmConvUsesFma,
  wasmConvEngine,
  enableWasmThreads,
  wasmThreadsCount,
  type WasmKernelVariant,
  type TransposedConvStrategy,
  type WasmConvEngine,
  type WasmThreadsInfo,
} from './wasm-kernels/index';
export { toImageGrid, encodePng, decodePng, writePng, readPng, type ImageGrid, type ImageGridOptions, type ImageRange } from './images';
export { fileSystem, MODEL_JSON, WEIGHTS_BIN } from './io-model';
export { saveWeightsMap, loadWeightsMap, WEIGHTS_MAP_FORMAT, type NamedTensor, type WeightsMap, type WeightsMapOptions, type SaveWeightsMapOptions } from './io-tensors';
