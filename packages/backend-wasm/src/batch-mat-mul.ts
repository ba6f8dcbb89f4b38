import * as tf from '@tensorflow/tfjs-core';
import { fusableEpilogue, gemmMatMul, useGemm } from './gemm/kernels';
import { asWasmBackend, release, requireInput, runStockKernel, transpose, type KernelArgs, type WasmBackend } from './wasm-backend';

function swapLastTwo(backend: WasmBackend, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose(backend, x, perm);
}

/** The product on gankit's GEMM (gemm engine, float32, equal batch dims, a fusable bias/activation), else undefined. */
function matMulOnGemm(name: string, backend: WasmBackend, args: KernelArgs): tf.TensorInfo | undefined {
  if (!useGemm('NHWC')) return undefined;
  const a = requireInput(args.inputs, 'a');
  const b = requireInput(args.inputs, 'b');
  const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
  const columns = (attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1]) ?? 0;
  const epilogue = name === tf._FusedMatMul ? fusableEpilogue(args.inputs.bias, attrs.activation, attrs.leakyreluAlpha, columns) : undefined;
  if (name === tf._FusedMatMul && epilogue === undefined) return undefined;
  return gemmMatMul(backend, a, b, attrs.transposeA, attrs.transposeB, epilogue);
}

/**
 * Runs wasm's matmul kernel `name` with both operands untransposed: tfjs-backend-wasm 4.22 sends only
 * transposeA = transposeB = false to XNNPACK and runs a naive loop otherwise (6–8× slower on dense-layer
 * gradients), so a transposed operand is transposed explicitly first (a cheap copy).
 */
function untransposed(name: string) {
  return (args: KernelArgs): tf.TensorInfo => {
    const backend = asWasmBackend(args.backend);
    const viaGemm = matMulOnGemm(name, backend, args);
    if (viaGemm) return viaGemm;
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
