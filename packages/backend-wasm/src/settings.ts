import { platform } from './threads/platform';

/** Which engine runs NHWC convolutions and their gradients on wasm. */
export type WasmConvEngine = 'gemm' | 'xnnpack';

/**
 * How `Conv2DBackpropInput` (strided transposed convolutions) is decomposed when it runs on XNNPACK: `auto`
 * takes `per-phase` for 16+ dx channels and `stacked` below.
 */
export type TransposedConvStrategy = 'auto' | 'stacked' | 'per-phase';

/** Which implementation of a kernel gankit replaced on wasm is active (for benchmarks and A/B checks). */
export type WasmKernelVariant = 'gankit' | 'stock';

/** Every setting of the wasm engine: read with `wasmConfig()`, changed with `configureWasm({...})`. */
export interface WasmSettings {
  /** Threads gankit's GEMM and float64 kernels run on, the calling thread included (default `defaultWasmThreads()`). */
  threads: number;
  /** `gemm` (default: gankit's im2col + SIMD GEMM) or `xnnpack` (tfjs-backend-wasm's own convs, for comparisons). */
  convEngine: WasmConvEngine;
  /** The decomposition of transposed convolutions on XNNPACK (default `auto`). */
  transposedConv: TransposedConvStrategy;
  /** Use the relaxed-SIMD (fused multiply-add) builds where the engine accepts them (default true). */
  relaxedSimd: boolean;
  /** gankit's element-wise kernels over tfjs-backend-wasm's memory (default true; false = wasm's own). */
  elementwise: boolean;
  /** Per replaced kernel, gankit's implementation or tfjs-backend-wasm's stock one (default: all `gankit`). */
  kernels: Readonly<Record<string, WasmKernelVariant>>;
}

/** The most threads the kernels start by default (a GEMM gains little past 8 on the machines measured). */
export const MAX_DEFAULT_THREADS = 8;

/**
 * The default thread count, the one rule every part of gankit uses: every logical core, at most 8, where worker
 * threads can share memory (Node; a cross-origin isolated page); 1 elsewhere (a page without COOP/COEP headers).
 */
export function defaultWasmThreads(): number {
  const host = platform();
  if (!host.canShareMemory()) return 1;
  return Math.max(1, Math.min(host.cores(), MAX_DEFAULT_THREADS));
}

let current: WasmSettings | undefined;

/** The settings now in force (the defaults until `configureWasm` changes them). */
export function settings(): WasmSettings {
  current ??= { threads: defaultWasmThreads(), convEngine: 'gemm', transposedConv: 'auto', relaxedSimd: true, elementwise: true, kernels: {} };
  return current;
}

/** Replaces settings (configureWasm validates first and applies the side effects). */
export function updateSettings(next: Partial<WasmSettings>): void {
  current = { ...settings(), ...next };
}
