import * as tf from '@tensorflow/tfjs-core';
import { batchMatMul } from '../batch-mat-mul';
import type { GanKitKernelConfig } from './kernel-config';

/** Batched matrix products on the GEMM, transposes folded into its packing. */
export const batchMatMulConfig: GanKitKernelConfig = {
  kernelName: tf.BatchMatMul,
  kernelFunc: batchMatMul,
  mode: 'replace',
  wraps: true,
};
