import type * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, requireInput, runStockKernel, type KernelArgs } from './wasm-backend';

/**
 * Identity (tf.clone, and the copies the engine makes around customGrad ops) for wasm without copying: the
 * output shares the input's heap buffer and bumps its reference count, as the cpu backend does. TF.js tensors
 * are immutable (variables get a new buffer on assign), so sharing is safe; wasm's own Identity copies.
 */
export function identity(args: KernelArgs): tf.TensorInfo {
  const x = requireInput(args.inputs, 'x');
  if (x.dtype === 'string') return runStockKernel('Identity', args);
  asWasmBackend(args.backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
