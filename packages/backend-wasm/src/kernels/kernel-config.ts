import type * as tf from '@tensorflow/tfjs-core';
import type { KernelArgs } from '../wasm-backend';

/** A gankit kernel for the wasm backend: tfjs's KernelConfig plus how it is installed. */
export interface GanKitKernelConfig {
  kernelName: string;
  kernelFunc: (args: KernelArgs) => tf.TensorInfo;
  /** `fill`: only where wasm has no kernel; `replace`: also over wasm's own (slower) kernel. */
  mode: 'fill' | 'replace';
  /** gankit's kernel delegates some cases to wasm's own, which is captured at registration. */
  wraps?: true;
}
