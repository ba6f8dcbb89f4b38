import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';
import { conv2DBackpropFilter } from './conv2d-backprop-filter';
import { conv2DBackpropInput } from './conv2d-backprop-input';
import { conv2D, fusedConv2D } from './gemm/kernels';
export { setWasmConvEngine, setWasmConvThreads, wasmConvEngine, wasmConvThreads, wasmConvUsesFma, type WasmConvEngine } from './gemm/kernels';
export { setTransposedConvStrategy, type TransposedConvStrategy } from './conv2d-backprop-input';
export { enableWasmThreads, wasmThreadsCount, type WasmThreadsInfo } from './threads';
import { depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput } from './depthwise-backprop';
import { batchMatMul, fusedMatMul } from './batch-mat-mul';
import { identity } from './identity';
import { cast, fusedBatchNorm, greater, leakyRelu, rsqrt, select, sqrt } from './elementwise/kernels';
import { mean, sum } from './leading-axes-reduce';
import { tile } from './tile';
import { unsortedSegmentSum } from './unsorted-segment-sum';
import { rememberStockKernel, type KernelArgs } from './wasm-backend';

interface GanKitKernel {
  kernelName: string;
  kernelFunc: (args: KernelArgs) => tf.TensorInfo;
  /** `fill`: only where wasm has no kernel; `replace`: also over wasm's own (slower) kernel. */
  mode: 'fill' | 'replace';
  /** gankit's kernel delegates some cases to wasm's own, which is captured at registration. */
  wraps?: true;
}

const KERNELS: GanKitKernel[] = [
  { kernelName: tf.Conv2D, kernelFunc: conv2D, mode: 'replace', wraps: true },
  { kernelName: tf.FusedConv2D, kernelFunc: fusedConv2D, mode: 'replace', wraps: true },
  { kernelName: tf.Conv2DBackpropFilter, kernelFunc: conv2DBackpropFilter, mode: 'fill' },
  { kernelName: tf.Conv2DBackpropInput, kernelFunc: conv2DBackpropInput, mode: 'replace' },
  { kernelName: tf.DepthwiseConv2dNativeBackpropFilter, kernelFunc: depthwiseConv2dNativeBackpropFilter, mode: 'fill' },
  { kernelName: tf.DepthwiseConv2dNativeBackpropInput, kernelFunc: depthwiseConv2dNativeBackpropInput, mode: 'fill' },
  { kernelName: tf.UnsortedSegmentSum, kernelFunc: unsortedSegmentSum, mode: 'fill' },
  { kernelName: tf.Tile, kernelFunc: tile, mode: 'replace' },
  { kernelName: tf.BatchMatMul, kernelFunc: batchMatMul, mode: 'replace', wraps: true },
  { kernelName: tf._FusedMatMul, kernelFunc: fusedMatMul, mode: 'replace', wraps: true },
  { kernelName: tf.Sum, kernelFunc: sum, mode: 'replace', wraps: true },
  { kernelName: tf.Mean, kernelFunc: mean, mode: 'replace', wraps: true },
  { kernelName: tf.Identity, kernelFunc: identity, mode: 'replace', wraps: true },
  { kernelName: tf.LeakyRelu, kernelFunc: leakyRelu, mode: 'replace', wraps: true },
  { kernelName: tf.Greater, kernelFunc: greater, mode: 'replace', wraps: true },
  { kernelName: tf.Select, kernelFunc: select, mode: 'replace', wraps: true },
  { kernelName: tf.Cast, kernelFunc: cast, mode: 'replace', wraps: true },
  { kernelName: tf.Sqrt, kernelFunc: sqrt, mode: 'replace', wraps: true },
  { kernelName: tf.Rsqrt, kernelFunc: rsqrt, mode: 'replace', wraps: true },
  { kernelName: tf.FusedBatchNorm, kernelFunc: fusedBatchNorm, mode: 'replace', wraps: true },
];

/** wasm's own kernels that gankit replaced, kept for `useWasmKernel(name, 'stock')`. */
const stockKernels = new Map<string, tf.KernelConfig>();

function isGanKit(config: tf.KernelConfig | undefined, kernel: GanKitKernel): boolean {
  return config?.kernelFunc === (kernel.kernelFunc as unknown as tf.KernelFunc);
}

function install(kernel: GanKitKernel): void {
  const existing = tf.getKernel(kernel.kernelName, 'wasm');
  if (existing !== undefined) {
    stockKernels.set(kernel.kernelName, existing);
    if (kernel.wraps) rememberStockKernel(kernel.kernelName, existing.kernelFunc);
    tf.unregisterKernel(kernel.kernelName, 'wasm');
  }
  if (existing === undefined && kernel.wraps) return;
  // Keep wasm's setup function: it binds the wasm exports the stock kernel (wrapped, or switched back to) calls.
  tf.registerKernel({ kernelName: kernel.kernelName, backendName: 'wasm', kernelFunc: kernel.kernelFunc, setupFunc: existing?.setupFunc });
}

/**
 * Registers gankit's training kernels for the wasm backend (call it after importing
 * `@tensorflow/tfjs-backend-wasm`): the conv backprops wasm lacks or runs slowly, composed of XNNPACK-backed
 * wasm kernels, UnsortedSegmentSum, and faster Tile/BatchMatMul/_FusedMatMul/Sum/Mean and a zero-copy Identity
 * (wasm's own run naive loops for tiles and transposed operands, transpose before reducing leading axes, copy
 * on clone). Idempotent; returns the names of the gankit kernels now active.
 */
export function registerWasmTrainingKernels(): string[] {
  const active: string[] = [];
  for (const kernel of KERNELS) {
    const existing = tf.getKernel(kernel.kernelName, 'wasm');
    if (!isGanKit(existing, kernel) && (existing === undefined || kernel.mode === 'replace')) install(kernel);
    if (isGanKit(tf.getKernel(kernel.kernelName, 'wasm'), kernel)) active.push(kernel.kernelName);
  }
  return active;
}

/** Which implementation of a kernel gankit replaced on wasm is active (for benchmarks and A/B checks). */
export type WasmKernelVariant = 'gankit' | 'stock';

/**
 * Switches a replaced wasm kernel (e.g. `Conv2DBackpropInput`) between gankit's and tfjs-backend-wasm's own
 * implementation; the wasm backend must be initialised. Throws for a kernel gankit did not replace.
 */
export function useWasmKernel(kernelName: string, variant: WasmKernelVariant): void {
  const kernel = KERNELS.find((k) => k.kernelName === kernelName);
  const stock = stockKernels.get(kernelName);
  if (kernel === undefined || stock === undefined) {
    const replaced = KERNELS.filter((k) => stockKernels.has(k.kernelName)).map((k) => k.kernelName);
    throw new GanKitError('UNKNOWN_NAME', `useWasmKernel: gankit did not replace a wasm kernel named "${kernelName}"; replaced: ${replaced.join(', ') || 'none (call registerWasmTrainingKernels first)'}`);
  }
  const backend = tf.findBackend('wasm');
  if (backend === null) throw new GanKitError('BACKEND_UNAVAILABLE', 'useWasmKernel: the wasm backend is not initialised; call initBackend({ backend: "wasm" }) first');
  tf.unregisterKernel(kernelName, 'wasm');
  if (variant === 'gankit') {
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernel.kernelFunc, setupFunc: stock.setupFunc });
    return;
  }
  tf.registerKernel(stock);
  // The engine ran setup functions when the backend started; run it again in case gankit's kernel was
  // registered after that point (then the stock kernel's exports were never bound).
  stock.setupFunc?.(backend);
}
