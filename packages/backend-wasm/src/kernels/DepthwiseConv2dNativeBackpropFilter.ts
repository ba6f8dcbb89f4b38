import * as tf from '@tensorflow/tfjs-core';
import { depthwiseConv2dNativeBackpropFilter } from '../depthwise-backprop';
import type { GanKitKernelConfig } from './kernel-config';

/** dW of a depthwise convolution (stock tfjs-backend-wasm has none). */
export const depthwiseConv2dNativeBackpropFilterConfig: GanKitKernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  kernelFunc: depthwiseConv2dNativeBackpropFilter,
  mode: 'fill',
};
