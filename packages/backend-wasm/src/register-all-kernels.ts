import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';
import type { GanKitKernelConfig } from './kernels/kernel-config';
import { conv2DConfig } from './kernels/Conv2D';
import { fusedConv2DConfig } from './kernels/FusedConv2D';
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './kernels/Conv2DBackpropInput';
import { depthwiseConv2dNativeBackpropFilterConfig } from './kernels/DepthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputConfig } from './kernels/DepthwiseConv2dNativeBackpropInput';
import { unsortedSegmentSumConfig } from './kernels/UnsortedSegmentSum';
import { tileConfig } from './kernels/Tile';
import { batchMatMulConfig } from './kernels/BatchMatMul';
import { fusedMatMulConfig } from './kernels/_FusedMatMul';
import { sumConfig } from './kernels/Sum';
import { meanConfig } from './kernels/Mean';
import { identityConfig } from './kernels/Identity';
import { leakyReluConfig } from './kernels/LeakyRelu';
import { greaterConfig } from './kernels/Greater';
import { selectConfig } from './kernels/Select';
import { castConfig } from './kernels/Cast';
import { sqrtConfig } from './kernels/Sqrt';
import { rsqrtConfig } from './kernels/Rsqrt';
import { fusedBatchNormConfig } from './kernels/FusedBatchNorm';
import type { WasmKernelVariant } from './settings';
import { rememberStockKernel } from './wasm-backend';

type GanKitKernel = GanKitKernelConfig;

/** Every kernel gankit registers for the wasm backend, one file each under kernels/ (as tfjs-backend-wasm does). */
const KERNELS: readonly GanKitKernelConfig[] = [
  conv2DConfig,
  fusedConv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
  tileConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  sumConfig,
  meanConfig,
  identityConfig,
  leakyReluConfig,
  greaterConfig,
  selectConfig,
  castConfig,
  sqrtConfig,
  rsqrtConfig,
  fusedBatchNormConfig,
];

/** wasm's own kernels that gankit replaced, by name, kept for `configureWasm({ kernels: { Name: 'stock' } })`. */
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

/** The kernels gankit replaces over wasm's own (those `configureWasm({ kernels })` can switch back to stock). */
export function replacedKernelNames(): string[] {
  return KERNELS.filter((k) => k.mode === 'replace').map((k) => k.kernelName);
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

/**
 * Switches a replaced wasm kernel (e.g. `Conv2DBackpropInput`) between gankit's and tfjs-backend-wasm's own
 * implementation; the wasm backend must be initialised. Throws for a kernel gankit did not replace.
 */
export function selectKernelVariant(kernelName: string, variant: WasmKernelVariant): void {
  const kernel = KERNELS.find((k) => k.kernelName === kernelName);
  const stock = stockKernels.get(kernelName);
  if (kernel === undefined || stock === undefined) {
    const replaced = KERNELS.filter((k) => stockKernels.has(k.kernelName)).map((k) => k.kernelName);
    throw new GanKitError('UNKNOWN_NAME', `configureWasm({ kernels }): gankit did not replace a wasm kernel named "${kernelName}"; replaced: ${replaced.join(', ') || 'none (call registerWasmTrainingKernels first)'}`);
  }
  const backend = tf.findBackend('wasm');
  if (backend === null) throw new GanKitError('BACKEND_UNAVAILABLE', 'configureWasm({ kernels }): the wasm backend is not initialised; call initBackend({ backend: "wasm" }) first');
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
