// @gankit/backend-wasm: the engine. Both entries (browser/default and node) export this API; the node entry also
// installs the Node platform (worker_threads, V8's relaxed-SIMD flag, XNNPACK threads, GANKIT_BACKEND).
export { initBackend, tensorflowDevice, TFJS_NODE_GPU_NEEDS, type BackendChoice, type BackendInfo, type InitBackendOptions, type TensorflowBackendReport } from './backend';
export { configureWasm, wasmConfig, type WasmConfig, type WasmConfigUpdate } from './configure';
export { defaultWasmThreads, MAX_DEFAULT_THREADS, type WasmSettings, type WasmConvEngine, type TransposedConvStrategy, type WasmKernelVariant } from './settings';
export { registerWasmTrainingKernels } from './register-all-kernels';
export { WasmThreadPool, type ThreadJob } from './threads/pool';
export { kernelModuleBytes, useRelaxedSimd } from './simd';
export { wasm, WASM_PAGE, type WasmMemory, type WasmModule, type WasmInstance } from './wasm-api';
