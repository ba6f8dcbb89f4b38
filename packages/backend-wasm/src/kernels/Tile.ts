import * as tf from '@tensorflow/tfjs-core';
import { tile } from '../tile';
import type { GanKitKernelConfig } from './kernel-config';

/** Tile with one copy per output row instead of a naive per-element loop. */
export const tileConfig: GanKitKernelConfig = {
  kernelName: tf.Tile,
  kernelFunc: tile,
  mode: 'replace',
};
