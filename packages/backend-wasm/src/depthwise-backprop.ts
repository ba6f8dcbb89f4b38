import * as tf from '@tensorflow/tfjs-core';
import { interleavePhases, planTransposed, type TransposedPlan } from './conv2d-backprop-input';
import {
  asWasmBackend,
  crop4d,
  heapF32,
  release,
  requireInput,
  reshapeView,
  runWasmKernel,
  transpose,
  type KernelArgs,
  type WasmBackend,
} from './wasm-backend';

type DepthwiseAttrs = tf.DepthwiseConv2dNativeBackpropInputAttrs;

function depthwiseInfo(inShape: number[], filterShape: number[], attrs: Omit<DepthwiseAttrs, 'inputShape'>): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

function runDepthwise(backend: WasmBackend, x: tf.TensorInfo, filter: tf.TensorInfo, strides: [number, number], dilations: [number, number], pad: tf.backend_util.ExplicitPadding): tf.TensorInfo {
  return runWasmKernel('DepthwiseConv2dNative', backend, { x, filter }, { strides, dilations, pad, dimRoundingMode: undefined } as unknown as tf.NamedAttrMap);
}

/** Sums axis 1 of a rank-3 view; returns `x` itself when that axis has length 1. */
function sumMiddleAxis(backend: WasmBackend, x: tf.TensorInfo, shape: [number, number, number]): { out: tf.TensorInfo; summed: boolean } {
  if (shape[1] === 1) return { out: x, summed: false };
  return { out: runWasmKernel('Sum', backend, { x: reshapeView(x, shape) }, { axis: [1], keepDims: false }), summed: true };
}

/**
 * DepthwiseConv2dNativeBackpropFilter for wasm (missing from tfjs-backend-wasm 4.22): one XNNPACK depthwise
 * correlation of x arranged as [1, H, W, B·C] with dy arranged as [OH, OW, B·C, M], then a sum over the batch.
 */
export function depthwiseConv2dNativeBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = requireInput(args.inputs, 'x');
  const dy = requireInput(args.inputs, 'dy');
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = depthwiseInfo(x.shape, attrs.filterShape, attrs);
  const { batchSize: batch, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = info;
  const multiplier = info.outChannels / inChannels;
  const rowPad = paddingAfter(inHeight, outHeight, filterHeight, info.strideHeight, info.dilationHeight, info.padInfo.top);
  const colPad = paddingAfter(inWidth, outWidth, filterWidth, info.strideWidth, info.dilationWidth, info.padInfo.left);
  const xT = transpose(backend, x, [1, 2, 0, 3]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  let corr = runDepthwise(
    backend,
    reshapeView(xT, [1, inHeight, inWidth, batch * inChannels]),
    reshapeView(dyT, [outHeight, outWidth, batch * inChannels, multiplier]),
    [info.dilationHeight, info.dilationWidth],
    [info.strideHeight, info.strideWidth],
    [
      [0, 0],
      [info.padInfo.top, rowPad],
      [info.padInfo.left, colPad],
      [0, 0],
    ],
  );
  release(backend, xT, dyT);
  if (corr.shape[1] !== filterHeight || corr.shape[2] !== filterWidth) {
    const cropped = crop4d(backend, corr, [0, 0, 0, 0], [1, filterHeight, filterWidth, batch * info.outChannels]);
    release(backend, corr);
    corr = cropped;
  }
  const { out, summed } = sumMiddleAxis(backend, corr, [filterHeight * filterWidth, batch, info.outChannels]);
  if (summed) release(backend, corr);
  return reshapeView(out, [filterHeight, filterWidth, inChannels, multiplier]);
}

function paddingAfter(inSize: number, outSize: number, filterSize: number, stride: number, dilation: number, padBefore: number): number {
  return Math.max(0, (filterSize - 1) * dilation + (outSize - 1) * stride + 1 - inSize - padBefore);
}

/** The depthwise sub-pixel filter [Mh, Mw, C·M, phases]: F[mh, mw, j, rh·sw + rw] = W[tapH[rh][mh], tapW[rw][mw], j]. */
function depthwiseSubPixelFilter(backend: WasmBackend, filter: tf.TensorInfo, plan: TransposedPlan): tf.TensorInfo {
  const [, filterWidth = 0, inC = 0, multiplier = 0] = filter.shape;
  const channels = inC * multiplier;
  const { rows, cols } = plan;
  const phases = rows.stride * cols.stride;
  const out = backend.makeOutput([rows.window, cols.window, channels, phases], 'float32');
  const w = heapF32(backend, filter);
  const f = heapF32(backend, out);
  let o = 0;
  for (let mh = 0; mh < rows.window; mh++) {
    for (let mw = 0; mw < cols.window; mw++) {
      for (let j = 0; j < channels; j++) {
        for (let rh = 0; rh < rows.stride; rh++) {
          const kh = rows.taps[rh]?.[mh] ?? -1;
          for (let rw = 0; rw < cols.stride; rw++) {
            const kw = cols.taps[rw]?.[mw] ?? -1;
            f[o++] = kh < 0 || kw < 0 ? 0 : (w[(kh * filterWidth + kw) * channels + j] ?? 0);
          }
        }
      }
    }
  }
  return out;
}

/**
 * DepthwiseConv2dNativeBackpropInput for wasm (missing from tfjs-backend-wasm 4.22): a sub-pixel decomposition
 * into one XNNPACK depthwise conv of dy (phases as channel multiplier), a sum over the multiplier, an interleave.
 */
export function depthwiseConv2dNativeBackpropInput(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const dy = requireInput(args.inputs, 'dy');
  const filter = requireInput(args.inputs, 'filter');
  const attrs = args.attrs as unknown as DepthwiseAttrs;
  const info = depthwiseInfo(attrs.inputShape, filter.shape, attrs);
  const plan = planTransposed(
    {
      inHeight: info.inHeight,
      inWidth: info.inWidth,
      strideHeight: info.strideHeight,
      strideWidth: info.strideWidth,
      dilationHeight: info.dilationHeight,
      dilationWidth: info.dilationWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    },
    dy.shape,
    filter.shape,
  );
  const inC = info.inChannels;
  const multiplier = info.outChannels / inC;
  const phases = plan.rows.stride * plan.cols.stride;
  const stackedFilter = depthwiseSubPixelFilter(backend, filter, plan);
  const stacked = runDepthwise(backend, dy, stackedFilter, [1, 1], [plan.rows.convDilation, plan.cols.convDilation], [
    [0, 0],
    [plan.rows.padBefore, plan.rows.padAfter],
    [plan.cols.padBefore, plan.cols.padAfter],
    [0, 0],
  ]);
  release(backend, stackedFilter);
  const [batch = 0, convH = 0, convW = 0] = stacked.shape;
  const { out: perChannel, summed } = sumMiddleAxis(backend, stacked, [batch * convH * convW * inC, multiplier, phases]);
  if (summed) release(backend, stacked);
  const dx = interleavePhases(backend, reshapeView(perChannel, [batch, convH, convW, inC * phases]), plan, info.inHeight, info.inWidth, {
    channels: inC,
    phaseStride: 1,
    channelStride: phases,
  });
  release(backend, perChannel);
  return dx;
}
