import * as tf from '@tensorflow/tfjs-core';
import { address, kernelsOf } from './elementwise/kernels';
import { asWasmBackend, release, requireInput, runStockKernel, type KernelArgs } from './wasm-backend';

/** The number of leading axes reduced when `axis` is exactly 0..k-1 (k < rank), else 0. */
function leadingAxesCount(axis: number | number[], shape: number[]): number {
  const axes = tf.util.parseAxisParam(axis, shape).sort((a, b) => a - b);
  const count = axes.length;
  if (count === 0 || count >= shape.length) return 0;
  return axes.every((a, i) => a === i) ? count : 0;
}

/**
 * Column sums of a row-major [rows, inner] array in float64. Eight rows are added per pass over the
 * accumulators (pairwise), which cuts the accumulator loads/stores eightfold: ~3× faster than one row per pass.
 */
function sumRows(src: ArrayLike<number>, rows: number, inner: number): Float64Array {
  const acc = new Float64Array(inner);
  const [i2, i3, i4, i5, i6, i7] = [2, 3, 4, 5, 6, 7].map((k) => k * inner) as [number, number, number, number, number, number];
  let r = 0;
  for (; r + 8 <= rows; r += 8) {
    const o = r * inner;
    for (let j = 0; j < inner; j++) {
      const p = o + j;
      acc[j]! += src[p]! + src[p + inner]! + (src[p + i2]! + src[p + i3]!) + (src[p + i4]! + src[p + i5]! + (src[p + i6]! + src[p + i7]!));
    }
  }
  for (; r < rows; r++) {
    const o = r * inner;
    for (let j = 0; j < inner; j++) acc[j]! += src[o + j]!;
  }
  return acc;
}

/**
 * Sums (or averages) a float32 tensor over its leading axes, e.g. a bias or batch-norm gradient over
 * [batch, height, width] of NHWC: one pass with float64 accumulators per channel. wasm's own Sum/Mean first
 * transpose the reduced axes to the end (a full copy).
 */
function reduceLeadingAxes(name: 'Sum' | 'Mean') {
  return (args: KernelArgs): tf.TensorInfo => {
    const x = requireInput(args.inputs, 'x');
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const count = x.dtype === 'float32' ? leadingAxesCount(axis, x.shape) : 0;
    if (count === 0) return runStockKernel(name, args);
    const backend = asWasmBackend(args.backend);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, count));
    const innerShape = x.shape.slice(count);
    const inner = tf.util.sizeFromShape(innerShape);
    const outShape = keepDims ? [...x.shape.slice(0, count).map(() => 1), ...innerShape] : innerShape;
    const out = backend.makeOutput(outShape, 'float32');
    const scale = name === 'Mean' ? 1 / rows : 1;
    const k = kernelsOf(backend);
    if (k !== null) {
      // float64 accumulators: `inner` doubles, i.e. 2·inner float32s of scratch on the heap.
      const acc = backend.makeOutput([2 * inner + 2], 'float32');
      const accAddress = address(backend, acc);
      k.sum_rows(address(backend, x), rows, inner, accAddress + (accAddress % 8 === 0 ? 0 : 4), address(backend, out), scale);
      release(backend, acc);
      return out;
    }
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const acc = sumRows(src, rows, inner);
    for (let j = 0; j < inner; j++) dst[j] = acc[j]! * scale;
    return out;
  };
}

/** Sum for wasm: one pass over leading axes; other reductions go to wasm's own Sum. */
export const sum = reduceLeadingAxes('Sum');
/** Mean for wasm: one pass over leading axes; other reductions go to wasm's own Mean. */
export const mean = reduceLeadingAxes('Mean');
