// @gankit/core: platform-neutral (Node and browsers): no Node built-in, no native module. File IO is in `@gankit/core/node`.
export { gradientsRegisteredBy, registerGradientFixes, tileGradient, outsideGradientTape, canPauseGradientTape, lowMemoryVariableGrads } from './gradients';
export { WASM_MAX_BYTES, formatBytes, guardWasmAllocations, isOutOfMemory, outOfMemoryError, wasmHeapBytes } from './memory';
export { GanKitError, fileError, parseArgsError, type GanKitErrorCode, type GanKitErrorOptions } from './errors';
export { snakeCase, snakeCaseKeys } from './json-keys';
export { createRng, rngFromState, type Rng, type RngState } from './rng';
export { parseWithSchema } from './schema';
export { assertSingleTfjsCore, loadedTfjsCoreCopies, TFJS_CORE_VERSION, type TfjsCoreCopy } from './tfjs-copies';
export { toImageGrid, type ImageGrid, type ImageGridOptions, type ImageRange } from './images';
export type { NamedTensor } from './named-tensor';
