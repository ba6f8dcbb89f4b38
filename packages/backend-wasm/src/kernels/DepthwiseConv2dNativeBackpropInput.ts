import * as tf from '@tensorflow/tfjs-core';
import { depthwiseConv2dNativeBackpropInput } from '../depthwise-backprop';
import type { GanKitKernelConfig } from './kernel-config';

/** dx of a depthwise convolution (stock tfjs-backend-wasm has none). */
export const depthwiseConv2dNativeBackpropInputConfig: GanKitKernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  kernelFunc: depthwiseConv2dNativeBackpropInput,
  mode: 'fill',
};
