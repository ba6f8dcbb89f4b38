import * as tf from '@tensorflow/tfjs-core';
import { fusedMatMul } from '../batch-mat-mul';
import type { GanKitKernelConfig } from './kernel-config';

/** Matrix product with bias and activation fused into the GEMM's epilogue. */
export const fusedMatMulConfig: GanKitKernelConfig = {
  kernelName: tf._FusedMatMul,
  kernelFunc: fusedMatMul,
  mode: 'replace',
  wraps: true,
};
