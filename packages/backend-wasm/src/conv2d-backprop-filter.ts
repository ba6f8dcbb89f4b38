import * as tf from '@tensorflow/tfjs-core';
import {
  asWasmBackend,
  crop4d,
  heapF32,
  release,
  reshapeView,
  requireInput,
  runWasmKernel,
  transpose,
  type KernelArgs,
  type WasmBackend,
} from './wasm-backend';
import { gemmConv2dBackpropFilter, useGemm } from './gemm/kernels';

/** Geometry of a filter gradient along one axis. */
interface FilterGradAxis {
  inSize: number;
  outSize: number;
  filterSize: number;
  stride: number;
  dilation: number;
  padBefore: number;
}

/**
 * Padding after the input so that a correlation with a filter of `outSize` taps dilated by `stride`, output
 * stride `dilation`, yields at least `filterSize` outputs; and the length it yields.
 */
function filterGradPadding(a: FilterGradAxis): { padAfter: number; length: number } {
  const span = (a.outSize - 1) * a.stride + 1;
  const needed = (a.filterSize - 1) * a.dilation + span - a.inSize - a.padBefore;
  const padAfter = Math.max(0, needed);
  const length = Math.floor((a.inSize + a.padBefore + padAfter - span) / a.dilation) + 1;
  return { padAfter, length };
}

/**
 * dW [KH, KW, inC, outC] of a forward conv as one XNNPACK conv2d:
 * `dW[kh,kw,c,o] = Σ_{b,oh,ow} x[b, oh·sh + kh·dh − pt, ow·sw + kw·dw − pl, c] · dy[b, oh, ow, o]` is a correlation
 * of xT [inC, H, W, B] with dyT [OH, OW, B, outC] dilated by the forward stride, striding by the forward dilation.
 * `xT` and `dyT` are already transposed; the result comes back as [inC, KH, KW, outC] before the final transpose.
 */
export function filterGradientFromTransposed(
  backend: WasmBackend,
  xT: tf.TensorInfo,
  dyT: tf.TensorInfo,
  rows: FilterGradAxis,
  cols: FilterGradAxis,
): tf.TensorInfo {
  const r = filterGradPadding(rows);
  const c = filterGradPadding(cols);
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [rows.padBefore, r.padAfter],
    [cols.padBefore, c.padAfter],
    [0, 0],
  ];
  let grad = runWasmKernel(
    'Conv2D',
    backend,
    { x: xT, filter: dyT },
    { strides: [rows.dilation, cols.dilation], pad, dataFormat: 'NHWC', dilations: [rows.stride, cols.stride], dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
  );
  if (r.length !== rows.filterSize || c.length !== cols.filterSize) {
    const [inC = 0, , , outC = 0] = grad.shape;
    const cropped = crop4d(backend, grad, [0, 0, 0, 0], [inC, rows.filterSize, cols.filterSize, outC]);
    release(backend, grad);
    grad = cropped;
  }
  return grad;
}

/** Up to this many rows (KH·KW·inC) of the filter gradient, `im2colFilterGradient` beats the conv form. */
const IM2COL_MAX_ROWS = 128;

/**
 * dW as one XNNPACK matmul of transposed image patches with dy (NHWC): `colsT [KH·KW·inC, B·OH·OW] × dy
 * [B·OH·OW, outC]`. For a few input channels (a D's first layer) the conv form has only KH·KW·inC output
 * pixels, which XNNPACK's conv runs far below its matmul rate; the patch matrix is then small.
 */
function im2colFilterGradient(backend: WasmBackend, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const rows = filterHeight * filterWidth * inChannels;
  const positions = batchSize * outHeight * outWidth;
  const cols = backend.makeOutput([1, rows, positions], 'float32');
  const src = heapF32(backend, x);
  const dst = heapF32(backend, cols);
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      for (let c = 0; c < inChannels; c++) {
        let o = ((kh * filterWidth + kw) * inChannels + c) * positions;
        for (let b = 0; b < batchSize; b++) {
          for (let oh = 0; oh < outHeight; oh++) {
            const ih = oh * strideHeight + kh - top;
            if (ih < 0 || ih >= inHeight) {
              dst.fill(0, o, o + outWidth);
              o += outWidth;
              continue;
            }
            const rowBase = (b * inHeight + ih) * inWidth;
            for (let ow = 0; ow < outWidth; ow++) {
              const iw = ow * strideWidth + kw - left;
              dst[o++] = iw < 0 || iw >= inWidth ? 0 : (src[(rowBase + iw) * inChannels + c] ?? 0);
            }
          }
        }
      }
    }
  }
  const product = runWasmKernel('BatchMatMul', backend, { a: cols, b: reshapeView(dy, [1, positions, outChannels]) }, { transposeA: false, transposeB: false });
  release(backend, cols);
  return reshapeView(product, [filterHeight, filterWidth, inChannels, outChannels]);
}

/** Conv2DBackpropFilter for wasm (missing from tfjs-backend-wasm 4.22), NHWC and NCHW. */
export function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = requireInput(args.inputs, 'x');
  const dy = requireInput(args.inputs, 'dy');
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const channelsFirst = dataFormat === 'NCHW';
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (useGemm(dataFormat)) return gemmConv2dBackpropFilter(backend, x, dy, info);
  if (!channelsFirst && info.filterHeight * info.filterWidth * info.inChannels <= IM2COL_MAX_ROWS) return im2colFilterGradient(backend, x, dy, info);
  const xT = transpose(backend, x, channelsFirst ? [1, 2, 3, 0] : [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, channelsFirst ? [2, 3, 0, 1] : [1, 2, 0, 3]);
  const grad = filterGradientFromTransposed(
    backend,
    xT,
    dyT,
    { inSize: info.inHeight, outSize: info.outHeight, filterSize: info.filterHeight, stride: info.strideHeight, dilation: 1, padBefore: info.padInfo.top },
    { inSize: info.inWidth, outSize: info.outWidth, filterSize: info.filterWidth, stride: info.strideWidth, dilation: 1, padBefore: info.padInfo.left },
  );
  release(backend, xT, dyT);
  const dW = transpose(backend, grad, [1, 2, 0, 3]);
  release(backend, grad);
  return dW;
}
