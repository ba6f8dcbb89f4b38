import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropFilter } from '../conv2d-backprop-filter';
import type { GanKitKernelConfig } from './kernel-config';

/** dW of a convolution (stock tfjs-backend-wasm has none): im2colᵀ · dy on the GEMM. */
export const conv2DBackpropFilterConfig: GanKitKernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  kernelFunc: conv2DBackpropFilter,
  mode: 'fill',
};
