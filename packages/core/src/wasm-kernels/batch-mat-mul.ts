import * as tf from '@tensorflow/tfjs-core';
import { asWasmBackend, release, requireInput, runStockKernel, transpose, type KernelArgs, type WasmBackend } from './wasm-backend';

function swapLastTwo(backend: WasmBackend, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose(backend, x, perm);
}

/**
 * Runs wasm's matmul kernel `name` with both operands untransposed: tfjs-backend-wasm 4.22 sends only
 * transposeA = transposeB = false to XNNPACK and runs a naive loop otherwise (6–8× slower on dense-layer
 * gradients), so a transposed operand is transposed explicitly first (a cheap copy).
 */
function untransposed(name: string) {
  return (args: KernelArgs): tf.TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const attrs = { ...(args.attrs ?? {}) } as Record<string, unknown>;
    const inputs = { ...args.inputs };
    const temporaries: tf.TensorInfo[] = [];
    if (attrs.transposeA === true) {
      const a = swapLastTwo(backend, requireInput(args.inputs, 'a'));
      temporaries.push(a);
      inputs.a = a;
      attrs.transposeA = false;
    }
    if (attrs.transposeB === true) {
      const b = swapLastTwo(backend, requireInput(args.inputs, 'b'));
      temporaries.push(b);
      inputs.b = b;
      attrs.transposeB = false;
    }
    const out = runStockKernel(name, { inputs, backend: args.backend, attrs: attrs as tf.NamedAttrMap });
    release(backend, ...temporaries);
    return out;
  };
}

/** BatchMatMul for wasm: XNNPACK for every transpose combination. */
export const batchMatMul = untransposed(tf.BatchMatMul);
/** _FusedMatMul for wasm: XNNPACK for every transpose combination. */
export const fusedMatMul = untransposed(tf._FusedMatMul);
