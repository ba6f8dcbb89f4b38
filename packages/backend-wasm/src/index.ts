export { initBackend, tensorflowDevice, TFJS_NODE_GPU_NEEDS, type BackendChoice, type BackendInfo, type InitBackendOptions, type TensorflowBackendReport } from './backend';
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
} from './register-all-kernels';
