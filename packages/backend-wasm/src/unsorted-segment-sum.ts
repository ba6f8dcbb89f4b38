import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, requireInput, type KernelArgs } from './wasm-backend';

/**
 * UnsortedSegmentSum for wasm (missing from tfjs-backend-wasm 4.22; it is the gradient of `gather`, e.g. of an
 * embedding layer): `out[s, ...] = Σ_{i : ids[i] = s} x[i, ...]`, ids outside [0, numSegments) are dropped.
 * One pass over x on the wasm heap.
 */
export function unsortedSegmentSum(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = requireInput(args.inputs, 'x');
  const segmentIds = requireInput(args.inputs, 'segmentIds');
  const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
  const innerShape = x.shape.slice(segmentIds.shape.length);
  const inner = tf.util.sizeFromShape(innerShape);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  const dst = backend.typedArrayFromHeap(out);
  const src = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  dst.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const segment = ids[i] ?? -1;
    if (segment < 0 || segment >= numSegments) continue;
    const from = i * inner;
    const to = segment * inner;
    for (let j = 0; j < inner; j++) dst[to + j] = (dst[to + j] ?? 0) + (src[from + j] ?? 0);
  }
  return out;
}
