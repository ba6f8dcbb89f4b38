import * as tf from '@tensorflow/tfjs-core';
import { planTransposedAxis, type TransposedAxisPlan } from './transposed-plan';
import {
  asWasmBackend,
  heapF32,
  release,
  requireInput,
  runWasmKernel,
  transpose,
  type KernelArgs,
  type WasmBackend,
} from './wasm-backend';

/** Geometry of a transposed convolution (the input gradient of a forward conv), NHWC. */
export interface TransposedConvGeometry {
  /** Forward input height/width = dx height/width. */
  inHeight: number;
  inWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/** Both axis plans of a transposed convolution. */
export interface TransposedPlan {
  rows: TransposedAxisPlan;
  cols: TransposedAxisPlan;
}

/** Plans both axes for a `dy` of shape [B, OH, OW, *] and a filter of spatial size [KH, KW]. */
export function planTransposed(g: TransposedConvGeometry, dyShape: number[], filterShape: number[]): TransposedPlan {
  const [, outHeight = 0, outWidth = 0] = dyShape;
  const [filterHeight = 0, filterWidth = 0] = filterShape;
  return {
    rows: planTransposedAxis({
      inSize: g.inHeight,
      outSize: outHeight,
      filterSize: filterHeight,
      stride: g.strideHeight,
      dilation: g.dilationHeight,
      padBefore: g.padTop,
    }),
    cols: planTransposedAxis({
      inSize: g.inWidth,
      outSize: outWidth,
      filterSize: filterWidth,
      stride: g.strideWidth,
      dilation: g.dilationWidth,
      padBefore: g.padLeft,
    }),
  };
}

/**
 * The stacked sub-pixel filter [Mh, Mw, outC, phases·inC] from a forward filter [KH, KW, inC, outC]:
 * `F[mh, mw, o, (rh·sw + rw)·inC + c] = W[tapH[rh][mh], tapW[rw][mw], c, o]` (0 for a zero tap).
 */
function subPixelFilter(backend: WasmBackend, filter: tf.TensorInfo, plan: TransposedPlan): tf.TensorInfo {
  const [, filterWidth = 0, inC = 0, outC = 0] = filter.shape;
  const { rows, cols } = plan;
  const phases = rows.stride * cols.stride;
  const out = backend.makeOutput([rows.window, cols.window, outC, phases * inC], 'float32');
  const w = heapF32(backend, filter);
  const f = heapF32(backend, out);
  let o = 0;
  for (let mh = 0; mh < rows.window; mh++) {
    for (let mw = 0; mw < cols.window; mw++) {
      for (let oc = 0; oc < outC; oc++) {
        for (let rh = 0; rh < rows.stride; rh++) {
          const kh = rows.taps[rh]?.[mh] ?? -1;
          for (let rw = 0; rw < cols.stride; rw++) {
            const kw = cols.taps[rw]?.[mw] ?? -1;
            if (kh < 0 || kw < 0) {
              f.fill(0, o, o + inC);
              o += inC;
              continue;
            }
            let src = (kh * filterWidth + kw) * inC * outC + oc;
            for (let c = 0; c < inC; c++, src += outC) f[o++] = w[src] ?? 0;
          }
        }
      }
    }
  }
  return out;
}

/** How the channels of a phase-stacked result are laid out: channel = phase·phaseStride + c·channelStride. */
export interface PhaseLayout {
  channels: number;
  phaseStride: number;
  channelStride: number;
}

/**
 * Interleaves the phases of `stacked` [B, Lh, Lw, phases·C] into dx [B, inHeight, inWidth, C]:
 * `dx[b, a·sh + rh, a'·sw + rw, c] = stacked[b, a, a', (rh·sw + rw)·phaseStride + c·channelStride]`.
 */
export function interleavePhases(
  backend: WasmBackend,
  stacked: tf.TensorInfo,
  plan: TransposedPlan,
  inHeight: number,
  inWidth: number,
  layout: PhaseLayout,
): tf.TensorInfo {
  const [batch = 0, convH = 0, convW = 0, stackedC = 0] = stacked.shape;
  const { channels, phaseStride, channelStride } = layout;
  const sh = plan.rows.stride;
  const sw = plan.cols.stride;
  const out = backend.makeOutput([batch, inHeight, inWidth, channels], 'float32');
  const src = heapF32(backend, stacked);
  const dst = heapF32(backend, out);
  const contiguous = channelStride === 1;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < inHeight; y++) {
      const a = Math.floor(y / sh);
      const rh = y - a * sh;
      const rowBase = (b * convH + a) * convW;
      for (let x = 0; x < inWidth; x++) {
        const a2 = Math.floor(x / sw);
        const rw = x - a2 * sw;
        const base = (rowBase + a2) * stackedC + (rh * sw + rw) * phaseStride;
        if (contiguous) {
          dst.set(src.subarray(base, base + channels), o);
          o += channels;
        } else {
          for (let c = 0; c < channels; c++) dst[o++] = src[base + c * channelStride] ?? 0;
        }
      }
    }
  }
  return out;
}

/**
 * dx = transposed convolution of dy [B, OH, OW, outC] with filter [KH, KW, inC, outC], NHWC, as one
 * XNNPACK conv2d of dy with the stacked sub-pixel filter followed by a phase interleave.
 */
export function transposedConv2d(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: TransposedConvGeometry,
): tf.TensorInfo {
  const plan = planTransposed(g, dy.shape, filter.shape);
  const inC = filter.shape[2] ?? 0;
  const stackedFilter = subPixelFilter(backend, filter, plan);
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [plan.rows.padBefore, plan.rows.padAfter],
    [plan.cols.padBefore, plan.cols.padAfter],
    [0, 0],
  ];
  const stacked = runWasmKernel(
    'Conv2D',
    backend,
    { x: dy, filter: stackedFilter },
    { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [plan.rows.convDilation, plan.cols.convDilation], dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
  );
  release(backend, stackedFilter);
  const dx = interleavePhases(backend, stacked, plan, g.inHeight, g.inWidth, { channels: inC, phaseStride: inC, channelStride: 1 });
  release(backend, stacked);
  return dx;
}

/** Conv2DBackpropInput for wasm via `transposedConv2d` (NHWC; NCHW by transposing in and out). */
export function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const dy = requireInput(args.inputs, 'dy');
  const filter = requireInput(args.inputs, 'filter');
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const channelsFirst = dataFormat === 'NCHW';
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  const geometry: TransposedConvGeometry = {
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: 1,
    dilationWidth: 1,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  if (!channelsFirst) return transposedConv2d(backend, dy, filter, geometry);
  const dyNhwc = transpose(backend, dy, [0, 2, 3, 1]);
  const dxNhwc = transposedConv2d(backend, dyNhwc, filter, geometry);
  release(backend, dyNhwc);
  const dx = transpose(backend, dxNhwc, [0, 3, 1, 2]);
  release(backend, dxNhwc);
  return dx;
}
