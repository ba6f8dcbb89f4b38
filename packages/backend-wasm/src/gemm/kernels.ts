import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';
import { asWasmBackend, heapF32, requireInput, runStockKernel, type KernelArgs, type WasmBackend } from '../wasm-backend';
import { settings } from '../settings';
import { convGemmRuntime, type ConvGemmRuntime, type Region } from './runtime';

/** True when `gemm` should run a conv of this data format. */
export function useGemm(dataFormat: string | undefined): boolean {
  return settings().convEngine === 'gemm' && dataFormat !== 'NCHW';
}

const GEOMETRY_INTS = 15;

/** conv-gemm.c's `conv_geometry`, in field order. */
function geometryInts(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.filterHeight, info.filterWidth, info.outChannels,
    info.outHeight, info.outWidth,
    info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left, info.dilationHeight, info.dilationWidth,
  ];
}

/** Sizes of the conv as a GEMM: rows M = B·OH·OW, depth K = KH·KW·Ci, columns N = Co. */
function gemmSizes(info: tf.backend_util.Conv2DInfo): { m: number; k: number; n: number } {
  return {
    m: info.batchSize * info.outHeight * info.outWidth,
    k: info.filterHeight * info.filterWidth * info.inChannels,
    n: info.outChannels,
  };
}

/** A 1×1, stride-1, unpadded conv reads the image itself as its im2col matrix. */
function isPointwise(info: tf.backend_util.Conv2DInfo): boolean {
  return info.filterHeight === 1 && info.filterWidth === 1 && info.strideHeight === 1 && info.strideWidth === 1 &&
    info.padInfo.top === 0 && info.padInfo.left === 0 && info.outHeight === info.inHeight && info.outWidth === info.inWidth;
}

/** Copies floats [start, start + region.floats) of a tensor's data into a region of the GEMM runtime. */
function copyIn(rt: ConvGemmRuntime, backend: WasmBackend, info: tf.TensorInfo, region: Region, start = 0): void {
  rt.f32(region).set(heapF32(backend, info).subarray(start, start + region.floats));
}

/** Copies a region's floats into a tensor's data from float `start` on. */
function copyOutInto(rt: ConvGemmRuntime, backend: WasmBackend, region: Region, out: tf.TensorInfo, start = 0, floats = region.floats): void {
  heapF32(backend, out).set(rt.f32(region).subarray(0, floats), start);
}

/** A new output tensor holding a region's data. */
function copyOut(rt: ConvGemmRuntime, backend: WasmBackend, region: Region, shape: number[]): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  copyOutInto(rt, backend, region, out);
  return out;
}

/** C (+)= A·B (see conv-gemm.c `sgemm`; pointers in bytes) with the rows of C split over the runtime's threads. */
function parallelGemm(rt: ConvGemmRuntime, scratch: number[], m: number, n: number, k: number, a: number, rsa: number, csa: number, b: number, rsb: number, csb: number, c: number, accumulate = false): void {
  const ranges = rt.split(m, 4, MIN_ROWS_PER_THREAD);
  rt.parallel(ranges.map(([r0, r1], t) => ({ fn: 'sgemm', args: [r1 - r0, n, k, a + 4 * r0 * rsa, rsa, csa, b, rsb, csb, c + 4 * r0 * n, n, accumulate ? 1 : 0, scratch[t] ?? 0] })));
}

/** im2col or col2im of `images` images (the regions hold just those) split over the runtime's threads. */
function parallelImages(rt: ConvGemmRuntime, fn: 'im2col' | 'col2im', geometry: Region, src: Region, dst: Region, images: number): void {
  rt.parallel(rt.split(images, 1, 1).map(([n0, n1]) => ({ fn, args: [geometry.ptr, src.ptr, dst.ptr, n0, n1] })));
}

/** Fewer GEMM rows than this per thread are not worth a worker's wake-up. */
const MIN_ROWS_PER_THREAD = 64;

/**
 * Floats of the GEMM runtime's memory one chunk of a conv may use (its images, their im2col rows and outputs):
 * 16 Mi floats = 64 MiB. Whole-batch im2col matrices reached 600 MB (SNGAN's 3×3 convs at 32×32×256, batch 64)
 * and, with tfjs-backend-wasm's own heap, pushed training past wasm's 4 GiB; chunks keep this memory bounded
 * whatever the batch size.
 */
const DEFAULT_CHUNK_FLOATS = 16 * 1024 * 1024;
let chunkFloats = DEFAULT_CHUNK_FLOATS;

/** Sets the per-chunk float budget (tests use tiny ones to force many chunks); no argument restores the default. */
export function setConvChunkFloats(floats = DEFAULT_CHUNK_FLOATS): void {
  if (!Number.isInteger(floats) || floats < 1) throw new GanKitError('INVALID_ARGUMENT', `the conv chunk budget must be a positive integer, got ${floats}`);
  chunkFloats = floats;
}

/** The GEMM's depth blocking (conv-gemm.c `KC`): chunking a GEMM's depth at multiples of it keeps sums bit-identical. */
const GEMM_DEPTH_BLOCK = 256;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Images per chunk for a conv whose per-image footprint is `floatsPerImage`: as many as fit the chunk budget
 * (at least one), rounded down to a multiple of `multiple`, and the whole batch when that leaves none.
 */
export function imagesPerChunk(batch: number, floatsPerImage: number, multiple = 1): number {
  const fit = Math.max(1, Math.floor(chunkFloats / Math.max(1, floatsPerImage)));
  const rounded = Math.floor(fit / multiple) * multiple;
  return rounded === 0 || rounded >= batch ? batch : rounded;
}

/** Runs `fn(n0, count)` over [0, batch) in chunks of `per` images. */
function forEachChunk(batch: number, per: number, fn: (n0: number, count: number) => void): void {
  for (let n0 = 0; n0 < batch; n0 += per) fn(n0, Math.min(per, batch - n0));
}

/** Writes the geometry into its region. */
function writeGeometry(rt: ConvGemmRuntime, region: Region, info: tf.backend_util.Conv2DInfo): void {
  rt.i32(region).set(geometryInts(info));
}

/** Bias + activation fused into the conv epilogue (conv-gemm.c `bias_activation` codes). */
export interface Epilogue {
  bias?: tf.TensorInfo;
  activation: 0 | 1 | 2 | 3;
  alpha: number;
}

/** Per-image sizes of a conv: input image, output rows (OH·OW) and im2col floats. */
function imageSizes(info: tf.backend_util.Conv2DInfo): { image: number; rows: number; col: number; k: number; n: number } {
  const rows = info.outHeight * info.outWidth;
  const { k, n } = gemmSizes(info);
  return { image: info.inHeight * info.inWidth * info.inChannels, rows, col: rows * k, k, n };
}

/** y = x ⊛ filter (+ epilogue): per chunk of images, im2col, then a GEMM of [c·OH·OW, KH·KW·Ci] × [KH·KW·Ci, Co]. */
export function gemmConv2d(backend: WasmBackend, x: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, epilogue?: Epilogue): tf.TensorInfo {
  const rt = convGemmRuntime();
  const { image, rows, col: colPerImage, k, n } = imageSizes(info);
  const pointwise = isPointwise(info);
  const bias = epilogue?.bias;
  const per = imagesPerChunk(info.batchSize, (pointwise ? 0 : image) + colPerImage + rows * n);
  const { regions, scratch } = rt.layout(GEOMETRY_INTS, per * colPerImage, k * n, per * rows * n, pointwise ? 0 : per * image, bias ? n : 0);
  const [geometry, col, w, y, images, biasRegion] = regions as [Region, Region, Region, Region, Region, Region];
  copyIn(rt, backend, filter, w);
  if (bias) copyIn(rt, backend, bias, biasRegion);
  if (!pointwise) writeGeometry(rt, geometry, info);
  const out = backend.makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
  forEachChunk(info.batchSize, per, (n0, count) => {
    if (pointwise) copyIn(rt, backend, x, { ptr: col.ptr, floats: count * colPerImage }, n0 * image);
    else {
      copyIn(rt, backend, x, { ptr: images.ptr, floats: count * image }, n0 * image);
      parallelImages(rt, 'im2col', geometry, images, col, count);
    }
    const m = count * rows;
    parallelGemm(rt, scratch, m, n, k, col.ptr, k, 1, w.ptr, n, 1, y.ptr);
    if (epilogue && (bias || epilogue.activation !== 0)) rt.kernels.bias_activation(y.ptr, m, n, bias ? biasRegion.ptr : 0, epilogue.activation, epilogue.alpha);
    copyOutInto(rt, backend, y, out, n0 * rows * n, m * n);
  });
  return out;
}

/** dx = col2im(dy · filterᵀ): per chunk of images, a GEMM of [c·OH·OW, Co] × [Co, KH·KW·Ci], then the adjoint of im2col. */
export function gemmConv2dBackpropInput(backend: WasmBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const rt = convGemmRuntime();
  const { image, rows, col: colPerImage, k, n } = imageSizes(info);
  const pointwise = isPointwise(info);
  const per = imagesPerChunk(info.batchSize, rows * n + colPerImage + (pointwise ? 0 : image));
  const { regions, scratch } = rt.layout(GEOMETRY_INTS, per * rows * n, k * n, per * colPerImage, pointwise ? 0 : per * image);
  const [geometry, dyRegion, w, col, dx] = regions as [Region, Region, Region, Region, Region];
  copyIn(rt, backend, filter, w);
  if (!pointwise) writeGeometry(rt, geometry, info);
  const out = backend.makeOutput([info.batchSize, info.inHeight, info.inWidth, info.inChannels], 'float32');
  forEachChunk(info.batchSize, per, (n0, count) => {
    const m = count * rows;
    copyIn(rt, backend, dy, { ptr: dyRegion.ptr, floats: m * n }, n0 * rows * n);
    parallelGemm(rt, scratch, m, k, n, dyRegion.ptr, n, 1, w.ptr, 1, n, col.ptr);
    if (pointwise) return copyOutInto(rt, backend, col, out, n0 * image, count * image);
    parallelImages(rt, 'col2im', geometry, col, dx, count);
    copyOutInto(rt, backend, dx, out, n0 * image, count * image);
  });
  return out;
}

/**
 * dW = im2col(x)ᵀ · dy: a GEMM of [KH·KW·Ci, B·OH·OW] × [B·OH·OW, Co], its depth (the rows of the batch) taken in
 * chunks of images that are whole multiples of the GEMM's depth block, so the sum is bit-identical to one GEMM.
 */
export function gemmConv2dBackpropFilter(backend: WasmBackend, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const rt = convGemmRuntime();
  const { image, rows, col: colPerImage, k, n } = imageSizes(info);
  const pointwise = isPointwise(info);
  const multiple = GEMM_DEPTH_BLOCK / gcd(rows, GEMM_DEPTH_BLOCK);
  const per = imagesPerChunk(info.batchSize, colPerImage + rows * n + (pointwise ? 0 : image), multiple);
  const { regions, scratch } = rt.layout(GEOMETRY_INTS, per * colPerImage, per * rows * n, k * n, pointwise ? 0 : per * image);
  const [geometry, col, dyRegion, dw, images] = regions as [Region, Region, Region, Region, Region];
  if (!pointwise) writeGeometry(rt, geometry, info);
  forEachChunk(info.batchSize, per, (n0, count) => {
    const m = count * rows;
    copyIn(rt, backend, dy, { ptr: dyRegion.ptr, floats: m * n }, n0 * rows * n);
    if (pointwise) copyIn(rt, backend, x, { ptr: col.ptr, floats: count * colPerImage }, n0 * image);
    else {
      copyIn(rt, backend, x, { ptr: images.ptr, floats: count * image }, n0 * image);
      parallelImages(rt, 'im2col', geometry, images, col, count);
    }
    parallelGemm(rt, scratch, k, n, m, col.ptr, 1, k, dyRegion.ptr, n, 1, dw.ptr, n0 > 0);
  });
  return copyOut(rt, backend, dw, [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels]);
}

/** The forward conv's geometry from a Conv2D / FusedConv2D call. */
function forwardInfo(x: tf.TensorInfo, filter: tf.TensorInfo, attrs: tf.Conv2DAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}

/** Conv2D for wasm: gankit's GEMM for NHWC float32, wasm's own (XNNPACK) otherwise. */
export function conv2D(args: KernelArgs): tf.TensorInfo {
  const x = requireInput(args.inputs, 'x');
  const filter = requireInput(args.inputs, 'filter');
  const attrs = args.attrs as unknown as tf.Conv2DAttrs;
  if (!useGemm(attrs.dataFormat) || x.dtype !== 'float32') return runStockKernel(tf.Conv2D, args);
  return gemmConv2d(asWasmBackend(args.backend), x, filter, forwardInfo(x, filter, attrs));
}

const ACTIVATION_CODES: Partial<Record<string, 0 | 1 | 2 | 3>> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3 };

/** FusedConv2D for wasm: the GEMM with a bias + linear/relu/relu6/leakyrelu epilogue; other cases go to wasm's own. */
export function fusedConv2D(args: KernelArgs): tf.TensorInfo {
  const x = requireInput(args.inputs, 'x');
  const filter = requireInput(args.inputs, 'filter');
  const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
  const epilogue = fusableEpilogue(args.inputs.bias, attrs.activation, attrs.leakyreluAlpha, filter.shape[3] ?? 0);
  if (!useGemm(attrs.dataFormat) || x.dtype !== 'float32' || epilogue === undefined) return runStockKernel(tf.FusedConv2D, args);
  return gemmConv2d(asWasmBackend(args.backend), x, filter, forwardInfo(x, filter, attrs), epilogue);
}


/**
 * a·b (either transposed) for float32 operands with the same batch dims (or none): one GEMM per batch
 * matrix, transposes folded into the packing's strides. Undefined when the shapes broadcast.
 */
export function gemmMatMul(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, epilogue?: Epilogue): tf.TensorInfo | undefined {
  const batchDims = a.shape.slice(0, -2);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || !tf.util.arraysEqual(batchDims, b.shape.slice(0, -2))) return undefined;
  const [a0 = 0, a1 = 0] = a.shape.slice(-2);
  const [b0 = 0, b1 = 0] = b.shape.slice(-2);
  const [m, k, n] = [transposeA ? a1 : a0, transposeA ? a0 : a1, transposeB ? b0 : b1];
  const batches = tf.util.sizeFromShape(batchDims);
  const rt = convGemmRuntime();
  const bias = epilogue?.bias;
  const { regions, scratch } = rt.layout(batches * m * k, batches * k * n, batches * m * n, bias ? n : 0);
  const [aRegion, bRegion, out, biasRegion] = regions as [Region, Region, Region, Region];
  copyIn(rt, backend, a, aRegion);
  copyIn(rt, backend, b, bRegion);
  const [rsa, csa] = transposeA ? [1, m] : [k, 1];
  const [rsb, csb] = transposeB ? [1, k] : [n, 1];
  for (let i = 0; i < batches; i++) {
    parallelGemm(rt, scratch, m, n, k, aRegion.ptr + 4 * i * m * k, rsa, csa, bRegion.ptr + 4 * i * k * n, rsb, csb, out.ptr + 4 * i * m * n);
  }
  if (epilogue && (bias || epilogue.activation !== 0)) {
    if (bias) copyIn(rt, backend, bias, biasRegion);
    rt.kernels.bias_activation(out.ptr, batches * m, n, bias ? biasRegion.ptr : 0, epilogue.activation, epilogue.alpha);
  }
  return copyOut(rt, backend, out, [...batchDims, m, n]);
}

/** The GEMM epilogue of a fused op's bias/activation attrs, or undefined when the GEMM can't fuse them. */
export function fusableEpilogue(bias: tf.TensorInfo | undefined, activation: string | undefined, alpha: number | undefined, columns: number): Epilogue | undefined {
  const code = ACTIVATION_CODES[activation ?? 'linear'];
  const biasPerColumn = bias === undefined || (bias.dtype === 'float32' && tf.util.sizeFromShape(bias.shape) === columns);
  if (code === undefined || !biasPerColumn) return undefined;
  return { activation: code, alpha: alpha ?? 0, ...(bias ? { bias } : {}) };
}
