import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropInput } from '../conv2d-backprop-input';
import type { GanKitKernelConfig } from './kernel-config';

/** dx of a convolution (a transposed convolution): dy · Wᵀ + col2im on the GEMM. */
export const conv2DBackpropInputConfig: GanKitKernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  kernelFunc: conv2DBackpropInput,
  mode: 'replace',
};
