import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, release, requireInput, runStockKernel, type KernelArgs, type WasmBackend } from '../wasm-backend';
import { settings } from '../settings';
import { base64Bytes } from '../simd';
import { wasm } from '../wasm-api';
import { ELEMENTWISE_WASM_BASE64 } from './elementwise-wasm';

interface ElementwiseExports {
  leaky_relu: (x: number, out: number, n: number, alpha: number) => void;
  greater: (a: number, b: number, bStep: number, out: number, n: number) => void;
  select: (cond: number, t: number, e: number, out: number, n: number) => void;
  bool_to_float: (input: number, out: number, n: number) => void;
  sqrt_f32: (x: number, out: number, n: number, reciprocal: number) => void;
  batch_norm: (x: number, mean: number, factor: number, offset: number, out: number, rows: number, c: number) => void;
  sum_rows: (x: number, rows: number, inner: number, acc: number, out: number, scale: number) => void;
}

/** tfjs-backend-wasm's emscripten module, as far as it is used here. */
interface EmscriptenModule {
  asm?: { memory?: { buffer: ArrayBufferLike } };
}

let compiled: object | undefined;
/** One instance per wasm backend memory (a new backend, e.g. after enableWasmThreads, has a new one). */
const instances = new WeakMap<object, ElementwiseExports | null>();

/**
 * The element-wise kernels instantiated over the backend's own memory, or null where that memory is not
 * reachable or is shared (tfjs's threaded build), or `configureWasm({ elementwise: false })` (for comparisons): callers then
 * use wasm's own kernels.
 */
export function kernelsOf(backend: WasmBackend): ElementwiseExports | null {
  if (!settings().elementwise) return null;
  const memory = (backend as unknown as { wasm?: EmscriptenModule }).wasm?.asm?.memory;
  if (memory === undefined) return null;
  let exports = instances.get(memory);
  if (exports === undefined) {
    try {
      compiled ??= new wasm.Module(base64Bytes(ELEMENTWISE_WASM_BASE64));
      exports = new wasm.Instance(compiled, { env: { memory } }).exports as unknown as ElementwiseExports;
    } catch {
      exports = null;
    }
    instances.set(memory, exports);
  }
  return exports;
}

/** The heap address of a tensor's data (a byte offset into the backend's memory). */
export function address(backend: WasmBackend, info: tf.TensorInfo): number {
  return backend.typedArrayFromHeap(info).byteOffset;
}

const size = (info: tf.TensorInfo): number => tf.util.sizeFromShape(info.shape);

/** LeakyRelu on float32: one SIMD pass. */
export function leakyRelu(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = requireInput(args.inputs, 'x');
  const k = kernelsOf(backend);
  if (k === null || x.dtype !== 'float32') return runStockKernel(tf.LeakyRelu, args);
  const out = backend.makeOutput(x.shape, 'float32');
  k.leaky_relu(address(backend, x), address(backend, out), size(x), (args.attrs as unknown as tf.LeakyReluAttrs).alpha);
  return out;
}

/** Greater of float32 tensors of one shape, or against a float32 scalar. */
export function greater(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const a = requireInput(args.inputs, 'a');
  const b = requireInput(args.inputs, 'b');
  const k = kernelsOf(backend);
  const step = size(b) === 1 ? 0 : tf.util.arraysEqual(a.shape, b.shape) ? 1 : -1;
  if (k === null || a.dtype !== 'float32' || b.dtype !== 'float32' || step < 0) return runStockKernel(tf.Greater, args);
  const out = backend.makeOutput(a.shape, 'bool');
  k.greater(address(backend, a), address(backend, b), step, address(backend, out), size(a));
  return out;
}

/** Select (where) with a bool condition and float32 branches, all of one shape. */
export function select(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const [condition, t, e] = ['condition', 't', 'e'].map((name) => requireInput(args.inputs, name)) as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
  const k = kernelsOf(backend);
  const sameShape = tf.util.arraysEqual(condition.shape, t.shape) && tf.util.arraysEqual(t.shape, e.shape);
  if (k === null || condition.dtype !== 'bool' || t.dtype !== 'float32' || e.dtype !== 'float32' || !sameShape) return runStockKernel(tf.Select, args);
  const out = backend.makeOutput(t.shape, 'float32');
  k.select(address(backend, condition), address(backend, t), address(backend, e), address(backend, out), size(t));
  return out;
}

/** Cast bool → float32 (the masks of activation gradients); other casts go to wasm's own. */
export function cast(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = requireInput(args.inputs, 'x');
  const k = kernelsOf(backend);
  if (k === null || x.dtype !== 'bool' || (args.attrs as unknown as tf.CastAttrs).dtype !== 'float32') return runStockKernel(tf.Cast, args);
  const out = backend.makeOutput(x.shape, 'float32');
  k.bool_to_float(address(backend, x), address(backend, out), size(x));
  return out;
}

function squareRoot(name: typeof tf.Sqrt | typeof tf.Rsqrt) {
  return (args: KernelArgs): tf.TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const x = requireInput(args.inputs, 'x');
    const k = kernelsOf(backend);
    if (k === null || x.dtype !== 'float32') return runStockKernel(name, args);
    const out = backend.makeOutput(x.shape, 'float32');
    k.sqrt_f32(address(backend, x), address(backend, out), size(x), name === tf.Rsqrt ? 1 : 0);
    return out;
  };
}
/** Sqrt on float32: one SIMD pass. */
export const sqrt = squareRoot(tf.Sqrt);
/** Rsqrt on float32: one SIMD pass. */
export const rsqrt = squareRoot(tf.Rsqrt);

/** FusedBatchNorm over the last axis with per-channel (size C) float32 statistics, scale and offset. */
export function fusedBatchNorm(args: KernelArgs): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const x = requireInput(args.inputs, 'x');
  const [mean, variance] = [requireInput(args.inputs, 'mean'), requireInput(args.inputs, 'variance')];
  const { offset, scale } = args.inputs;
  const channels = x.shape[x.shape.length - 1] ?? 0;
  const perChannel = [mean, variance, offset, scale].every((t) => t === undefined || (t.dtype === 'float32' && size(t) === channels));
  const k = kernelsOf(backend);
  if (k === null || x.dtype !== 'float32' || x.shape.length < 2 || !perChannel) return runStockKernel(tf.FusedBatchNorm, args);
  const epsilon = (args.attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon;
  const out = backend.makeOutput(x.shape, 'float32');
  const factor = backend.makeOutput([channels], 'float32');
  const factors = backend.typedArrayFromHeap(factor);
  const variances = backend.typedArrayFromHeap(variance);
  const scales = scale ? backend.typedArrayFromHeap(scale) : undefined;
  for (let c = 0; c < channels; c++) factors[c] = (scales?.[c] ?? 1) / Math.sqrt(variances[c]! + epsilon);
  k.batch_norm(address(backend, x), address(backend, mean), address(backend, factor), offset ? address(backend, offset) : 0, address(backend, out), size(x) / channels, channels);
  release(backend, factor);
  return out;
}
