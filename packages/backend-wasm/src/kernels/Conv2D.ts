import * as tf from '@tensorflow/tfjs-core';
import { conv2D } from '../gemm/kernels';
import type { GanKitKernelConfig } from './kernel-config';

/** 2-D convolution (NHWC) as im2col + gankit's SIMD GEMM; NCHW and the `xnnpack` engine go to wasm's own. */
export const conv2DConfig: GanKitKernelConfig = {
  kernelName: tf.Conv2D,
  kernelFunc: conv2D,
  mode: 'replace',
  wraps: true,
};
