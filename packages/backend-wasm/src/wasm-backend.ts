import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-wasm's `BackendWasm` that gankit's kernels use (it is not exported as a type). */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  incRef(dataId: tf.DataId): void;
}

/** Arguments every kernelFunc receives. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** The wasm backend object passed to a kernelFunc, typed. */
export function asWasmBackend(backend: unknown): WasmBackend {
  return backend as WasmBackend;
}

/** An input tensor of a kernel call, which the engine guarantees to be present. */
export function requireInput(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const info = inputs[name];
  if (info === undefined) throw new Error(`missing input "${name}"`);
  return info;
}

/**
 * Runs a kernel registered for the wasm backend directly (no engine bookkeeping, no tape): its output is
 * owned by the caller, who disposes it with `release` or returns it from the kernel.
 */
export function runWasmKernel(
  name: string,
  backend: WasmBackend,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`kernel ${name} is not registered for the wasm backend`);
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`kernel ${name} returned several outputs`);
  return out;
}

/** Transposes with the wasm kernel. */
export function transpose(backend: WasmBackend, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return runWasmKernel('Transpose', backend, { x }, { perm });
}

/** Frees intermediate results created inside a kernel. */
export function release(backend: WasmBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** A view of the same data under another shape (no copy, no new reference: do not release it separately). */
export function reshapeView(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** A float32 view of a tensor's data on the wasm heap; take it only after every allocation of the kernel. */
export function heapF32(backend: WasmBackend, info: tf.TensorInfo): Float32Array {
  const view = backend.typedArrayFromHeap(info);
  if (!(view instanceof Float32Array)) throw new Error(`expected a float32 tensor, got ${info.dtype}`);
  return view;
}

/** Copies the box `begin`..`begin + size` of a rank-4 tensor into a new tensor (one pass, rows copied whole). */
export function crop4d(backend: WasmBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const [s0 = 0, s1 = 0, s2 = 0, s3 = 0] = size;
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = begin;
  const [, x1 = 0, x2 = 0, x3 = 0] = x.shape;
  const out = backend.makeOutput([s0, s1, s2, s3], x.dtype);
  const src = heapF32(backend, x);
  const dst = heapF32(backend, out);
  const rowLength = s2 * s3;
  const contiguousRows = s3 === x3 && b3 === 0;
  let o = 0;
  for (let i = 0; i < s0; i++) {
    for (let j = 0; j < s1; j++) {
      const rowStart = (((b0 + i) * x1 + b1 + j) * x2 + b2) * x3 + b3;
      if (contiguousRows) {
        dst.set(src.subarray(rowStart, rowStart + rowLength), o);
        o += rowLength;
      } else {
        for (let k = 0; k < s2; k++) {
          const start = rowStart + k * x3;
          dst.set(src.subarray(start, start + s3), o);
          o += s3;
        }
      }
    }
  }
  return out;
}

/** wasm's own kernelFuncs that gankit wraps, captured by the registration before it replaces them. */
const stockKernelFuncs = new Map<string, tf.KernelFunc>();

/** Remembers wasm's own kernelFunc for `name` (called by the registration before replacing it). */
export function rememberStockKernel(name: string, kernelFunc: tf.KernelFunc): void {
  stockKernelFuncs.set(name, kernelFunc);
}

/** Runs wasm's own (replaced) kernel `name` with the given arguments. */
export function runStockKernel(name: string, args: KernelArgs): tf.TensorInfo {
  const kernelFunc = stockKernelFuncs.get(name);
  if (kernelFunc === undefined) throw new Error(`wasm kernel ${name} was not captured`);
  const out = kernelFunc({ inputs: args.inputs, backend: args.backend as object, attrs: args.attrs ?? {} });
  if (Array.isArray(out)) throw new Error(`kernel ${name} returned several outputs`);
  return out;
}
