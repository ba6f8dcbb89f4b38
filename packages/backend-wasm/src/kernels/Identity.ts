import * as tf from '@tensorflow/tfjs-core';
import { identity } from '../identity';
import type { GanKitKernelConfig } from './kernel-config';

/** Identity without a copy (a new reference to the same data). */
export const identityConfig: GanKitKernelConfig = {
  kernelName: tf.Identity,
  kernelFunc: identity,
  mode: 'replace',
  wraps: true,
};
