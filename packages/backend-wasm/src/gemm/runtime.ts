import { GanKitError, formatBytes } from '@gankit/core';
import { kernelModuleBytes } from '../simd';
import { WasmThreadPool, type ThreadJob } from '../threads/pool';
import { WASM_PAGE, wasm, type WasmMemory, type WasmModule } from '../wasm-api';
import { CONV_GEMM_FMA_WASM_BASE64, CONV_GEMM_WASM_BASE64 } from './conv-gemm-wasm';

interface ConvGemmExports {
  __heap_base: { value: number };
  sgemm_scratch_bytes: () => number;
  sgemm: (...args: number[]) => void;
  im2col: (geometry: number, x: number, col: number, n0: number, n1: number) => void;
  col2im: (geometry: number, col: number, dx: number, n0: number, n1: number) => void;
  bias_activation: (y: number, rows: number, cols: number, bias: number, act: number, alpha: number) => void;
}

const MAX_PAGES = 65536;
const ALIGN = 64;

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** The kernels a thread can be given. */
const PARALLEL_KERNELS = ['sgemm', 'im2col', 'col2im'] as const;
export type { ThreadJob };

/** A region of the kernels' linear memory, in bytes. */
export interface Region {
  readonly ptr: number;
  readonly floats: number;
}

/**
 * gankit's float32 GEMM / im2col kernels (conv-gemm.c) in their own shared WebAssembly memory, run on the
 * engine's thread pool. Each kernel call lays its buffers out from the start of the heap (`layout`), so nothing
 * is allocated between calls; the memory only grows to the largest call's need.
 */
export class ConvGemmRuntime {
  /** True when the fused multiply-add (relaxed SIMD) build runs. */
  readonly fma: boolean;
  private readonly memory: WasmMemory;
  private readonly exports: ConvGemmExports;
  private readonly heapBase: number;
  private readonly scratchBytes: number;
  private readonly pool: WasmThreadPool;

  constructor(module: WasmModule, fma: boolean) {
    this.fma = fma;
    this.memory = new wasm.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    this.exports = new wasm.Instance(module, { env: { memory: this.memory } }).exports as unknown as ConvGemmExports;
    this.heapBase = alignUp(this.exports.__heap_base.value, ALIGN);
    this.scratchBytes = this.exports.sgemm_scratch_bytes();
    this.pool = new WasmThreadPool(module, this.memory, this.exports as unknown as Record<string, unknown>, PARALLEL_KERNELS);
  }

  /** Threads the kernels run on (the calling thread included). */
  get threads(): number {
    return this.pool.threads;
  }

  /** Runs the kernels on `threads` threads from now on (see `WasmThreadPool.setThreads`). */
  setThreads(threads: number): Promise<number> {
    return this.pool.setThreads(threads);
  }

  /**
   * Lays out regions of the given float counts (plus one GEMM scratch per thread, last) from the heap start,
   * growing the memory if needed. Regions are valid until the next `layout`.
   */
  layout(...floats: number[]): { regions: Region[]; scratch: number[] } {
    let ptr = this.heapBase;
    const regions = floats.map((n) => {
      const region = { ptr, floats: n };
      ptr += alignUp(n * 4, ALIGN);
      return region;
    });
    const scratch = Array.from({ length: this.threads }, (_, t) => ptr + t * alignUp(this.scratchBytes, ALIGN));
    this.ensure(ptr + this.threads * alignUp(this.scratchBytes, ALIGN));
    return { regions, scratch };
  }

  /** Runs `jobs[0]` on this thread and `jobs[t]` on worker t, and waits for all of them. */
  parallel(jobs: ThreadJob[]): void {
    this.pool.parallel(jobs);
  }

  /** Splits [0, count) into `threads` contiguous ranges, each a multiple of `multiple` except the last. */
  split(count: number, multiple: number, minPerThread: number): [number, number][] {
    return this.pool.split(count, multiple, minPerThread);
  }

  /** A float32 view of a region (take it after `layout`: growing replaces the buffer). */
  f32(region: Region): Float32Array {
    return new Float32Array(this.memory.buffer, region.ptr, region.floats);
  }

  /** An int32 view of a region. */
  i32(region: Region): Int32Array {
    return new Int32Array(this.memory.buffer, region.ptr, region.floats);
  }

  /** The kernels' exports (pointers are byte offsets into this runtime's memory). */
  get kernels(): ConvGemmExports {
    return this.exports;
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / WASM_PAGE);
    try {
      this.memory.grow(pages);
    } catch (error) {
      throw new GanKitError('OUT_OF_MEMORY', `could not grow the conv kernels' wasm memory from ${formatBytes(have)} to ${formatBytes(bytes)}`, { cause: error });
    }
  }
}

let runtime: ConvGemmRuntime | undefined;
let compiled: { module: WasmModule; fma: boolean } | undefined;

/**
 * Compiles the GEMM module ahead of its first use, off the calling thread where the engine can (a browser's main
 * thread may only compile small modules synchronously). `initBackend` calls it.
 */
export async function prepareConvGemm(): Promise<void> {
  if (compiled) return;
  const { bytes, fma } = kernelModuleBytes(CONV_GEMM_WASM_BASE64, CONV_GEMM_FMA_WASM_BASE64);
  compiled = { module: await wasm.compile(bytes), fma };
}

/** The process-wide runtime, created on first use (synchronously when `prepareConvGemm` has not run: kernels are synchronous). */
export function convGemmRuntime(): ConvGemmRuntime {
  if (!runtime) {
    if (!compiled) {
      const { bytes, fma } = kernelModuleBytes(CONV_GEMM_WASM_BASE64, CONV_GEMM_FMA_WASM_BASE64);
      compiled = { module: new wasm.Module(bytes), fma };
    }
    runtime = new ConvGemmRuntime(compiled.module, compiled.fma);
  }
  return runtime;
}
