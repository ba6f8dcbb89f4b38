import * as tf from '@tensorflow/tfjs-core';
import { fusedConv2D } from '../gemm/kernels';
import type { GanKitKernelConfig } from './kernel-config';

/** Conv2D with bias and activation fused into the GEMM's epilogue. */
export const fusedConv2DConfig: GanKitKernelConfig = {
  kernelName: tf.FusedConv2D,
  kernelFunc: fusedConv2D,
  mode: 'replace',
  wraps: true,
};
