import * as tf from '@tensorflow/tfjs-core';
import { unsortedSegmentSum } from '../unsorted-segment-sum';
import type { GanKitKernelConfig } from './kernel-config';

/** Sums of segments (the gradient of gathers, e.g. embeddings; stock tfjs-backend-wasm has none). */
export const unsortedSegmentSumConfig: GanKitKernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  kernelFunc: unsortedSegmentSum,
  mode: 'fill',
};
