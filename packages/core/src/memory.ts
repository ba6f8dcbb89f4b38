import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from './errors';

/** WebAssembly's 32-bit address space: the most memory one wasm instance (tfjs-backend-wasm's heap) can have. */
export const WASM_MAX_BYTES = 4 * 1024 ** 3;

/** The emscripten module inside tfjs-backend-wasm's backend object (the fields gankit reads). */
interface WasmModule {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
}

const guarded = new WeakSet<object>();

function wasmModule(backend: unknown): WasmModule | undefined {
  const wasm = (backend as { wasm?: Partial<WasmModule> } | undefined)?.wasm;
  return wasm && typeof wasm._malloc === 'function' && typeof wasm._free === 'function' && wasm.HEAPU8 instanceof Uint8Array ? (wasm as WasmModule) : undefined;
}

/** Bytes as "1.2 GB" / "340 MB". */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

/** The size of tfjs-backend-wasm's heap now (it only grows), or undefined when the wasm backend is not active. */
export function wasmHeapBytes(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  return wasmModule(tf.backend())?.HEAPU8.length;
}

/**
 * Makes tfjs-backend-wasm's tensor allocations fail with `GanKitError('OUT_OF_MEMORY')` naming the size asked for.
 * Its malloc returns 0 when wasm's 4 GiB are exhausted and TF.js then writes through that null pointer, which
 * surfaced as "RuntimeError: memory access out of bounds" from some later kernel. Idempotent.
 */
export function guardWasmAllocations(backend: unknown): boolean {
  const wasm = wasmModule(backend);
  if (wasm === undefined) return false;
  if (guarded.has(wasm)) return true;
  // Emscripten replaces `_malloc` with the raw export on its first call: make that call before wrapping it.
  wasm._free(wasm._malloc(16));
  const malloc = wasm._malloc.bind(wasm);
  wasm._malloc = (bytes: number) => {
    const ptr = malloc(bytes);
    if (ptr === 0 && bytes > 0) {
      throw new GanKitError('OUT_OF_MEMORY', `could not allocate ${formatBytes(bytes)} for a tensor: wasm memory holds ${formatBytes(wasm.HEAPU8.length)} of its 4 GiB`);
    }
    return ptr;
  };
  guarded.add(wasm);
  return true;
}

const OUT_OF_MEMORY_MESSAGES = [/Array buffer allocation failed/i, /Invalid typed array length/i, /out of memory/i, /Aborted\(OOM\)/, /Cannot enlarge memory/i, /Maximum memory size exceeded/i, /WebAssembly\.Memory.*grow/i];

/**
 * True when `error` is a failed allocation: gankit's own OUT_OF_MEMORY, a JS allocation failure, a wasm memory that
 * could not grow, or a wasm out-of-bounds access while tfjs-backend-wasm's heap is within 5% of its 4 GiB (what an
 * allocation inside a C++ kernel looks like when it fails).
 */
export function isOutOfMemory(error: unknown): boolean {
  if (GanKitError.isInstance(error)) return error.code === 'OUT_OF_MEMORY';
  if (!(error instanceof Error)) return false;
  if (OUT_OF_MEMORY_MESSAGES.some((re) => re.test(error.message))) return true;
  const heap = wasmHeapBytes();
  return /memory access out of bounds|unreachable/i.test(error.message) && heap !== undefined && heap > 0.95 * WASM_MAX_BYTES;
}

/**
 * `GanKitError('OUT_OF_MEMORY')` for an allocation failure: `during` says what was running ("the D step at batch size
 * 64"), `advice` what to change; the original error is its cause. Undefined when `error` is something else.
 */
export function outOfMemoryError(error: unknown, during: string, advice: string): GanKitError | undefined {
  if (!isOutOfMemory(error)) return undefined;
  const heap = wasmHeapBytes();
  const detail = GanKitError.isInstance(error) ? error.message : heap !== undefined ? `wasm memory holds ${formatBytes(heap)} of its 4 GiB` : firstLine(error);
  return new GanKitError('OUT_OF_MEMORY', `out of memory during ${during} (${detail}); ${advice}`, { cause: error });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
