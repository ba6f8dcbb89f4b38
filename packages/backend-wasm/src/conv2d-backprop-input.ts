import * as tf from '@tensorflow/tfjs-core';
import { settings } from './settings';
import { planTransposedAxis, planTransposedAxisPerPhase, type PhaseAxisPlan, type TransposedAxisPlan } from './transposed-plan';
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
import { gemmConv2dBackpropInput, useGemm } from './gemm/kernels';

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
export function stackedTransposedConv2d(
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
  if (useGemm(dataFormat)) return gemmConv2dBackpropInput(backend, dy, filter, info);
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

/** The exact sub-filter [Mh, Mw, outC, inC] of one phase: F[mh, mw, o, c] = W[tapsH[mh], tapsW[mw], c, o]. */
function phaseFilter(backend: WasmBackend, filter: tf.TensorInfo, tapsH: Int32Array, tapsW: Int32Array): tf.TensorInfo {
  const [, filterWidth = 0, inC = 0, outC = 0] = filter.shape;
  const out = backend.makeOutput([tapsH.length, tapsW.length, outC, inC], 'float32');
  const w = heapF32(backend, filter);
  const f = heapF32(backend, out);
  let o = 0;
  for (const kh of tapsH) {
    for (const kw of tapsW) {
      if (kh < 0 || kw < 0) {
        f.fill(0, o, o + outC * inC);
        o += outC * inC;
        continue;
      }
      const base = (kh * filterWidth + kw) * inC * outC;
      for (let oc = 0; oc < outC; oc++) {
        let src = base + oc;
        for (let c = 0; c < inC; c++, src += outC) f[o++] = w[src] ?? 0;
      }
    }
  }
  return out;
}

/** Correlates dy with one phase's exact sub-filter; undefined when no filter tap feeds the phase. */
function phaseConv(backend: WasmBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, rows: PhaseAxisPlan, cols: PhaseAxisPlan, dilations: [number, number]): tf.TensorInfo | undefined {
  if (rows.window === 0 || cols.window === 0 || rows.positions <= 0 || cols.positions <= 0) return undefined;
  const phaseFilterInfo = phaseFilter(backend, filter, rows.taps, cols.taps);
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [rows.padBefore, rows.padAfter],
    [cols.padBefore, cols.padAfter],
    [0, 0],
  ];
  const out = runWasmKernel('Conv2D', backend, { x: dy, filter: phaseFilterInfo }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined } as unknown as tf.NamedAttrMap);
  release(backend, phaseFilterInfo);
  return out;
}

/**
 * dx = transposed convolution as one exact-size XNNPACK conv2d per phase (sh·sw of them) and an interleave:
 * no multiply-adds with the zero taps a shared window needs (4×4 stride-2 kernels: 2.25× fewer).
 */
export function perPhaseTransposedConv2d(backend: WasmBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, g: TransposedConvGeometry): tf.TensorInfo {
  const [, outHeight = 0, outWidth = 0] = dy.shape;
  const [filterHeight = 0, filterWidth = 0, inC = 0] = filter.shape;
  const rows = planTransposedAxisPerPhase({ inSize: g.inHeight, outSize: outHeight, filterSize: filterHeight, stride: g.strideHeight, dilation: g.dilationHeight, padBefore: g.padTop });
  const cols = planTransposedAxisPerPhase({ inSize: g.inWidth, outSize: outWidth, filterSize: filterWidth, stride: g.strideWidth, dilation: g.dilationWidth, padBefore: g.padLeft });
  const dilations: [number, number] = [rows.convDilation, cols.convDilation];
  const phases: (tf.TensorInfo | undefined)[] = [];
  for (const rowPlan of rows.phases) for (const colPlan of cols.phases) phases.push(phaseConv(backend, dy, filter, rowPlan, colPlan, dilations));
  const batch = dy.shape[0] ?? 0;
  const dx = backend.makeOutput([batch, g.inHeight, g.inWidth, inC], 'float32');
  const dst = heapF32(backend, dx);
  const sources = phases.map((p) => (p === undefined ? undefined : { data: heapF32(backend, p), height: p.shape[1] ?? 0, width: p.shape[2] ?? 0 }));
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < g.inHeight; y++) {
      const a = Math.floor(y / sh);
      const rh = y - a * sh;
      for (let x = 0; x < g.inWidth; x++) {
        const a2 = Math.floor(x / sw);
        const source = sources[rh * sw + x - a2 * sw];
        if (source === undefined) {
          dst.fill(0, o, o + inC);
        } else {
          const from = ((b * source.height + a) * source.width + a2) * inC;
          if (inC === 1) dst[o] = source.data[from] ?? 0;
          else dst.set(source.data.subarray(from, from + inC), o);
        }
        o += inC;
      }
    }
  }
  release(backend, ...phases.filter((p): p is tf.TensorInfo => p !== undefined));
  return dx;
}

/** Fewer dx channels than this: `auto` stacks the phases into one conv. */
const PER_PHASE_MIN_CHANNELS = 16;

/** dx = transposed convolution of dy with filter (NHWC), by the current strategy (stride 1: one conv either way). */
export function transposedConv2d(backend: WasmBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, g: TransposedConvGeometry): tf.TensorInfo {
  const strategy = settings().transposedConv;
  const perPhase = strategy === 'per-phase' || (strategy === 'auto' && (filter.shape[2] ?? 0) >= PER_PHASE_MIN_CHANNELS);
  return perPhase ? perPhaseTransposedConv2d(backend, dy, filter, g) : stackedTransposedConv2d(backend, dy, filter, g);
}
