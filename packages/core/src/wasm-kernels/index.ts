// PLACEHOLDER until the wasm-kernels work lands: registers nothing yet.
/** Registers gankit's training kernels for the wasm backend; returns the kernel names it registered. */
export function registerWasmTrainingKernels(): string[] {
  return [];
}
