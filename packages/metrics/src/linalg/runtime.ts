import { GanKitError } from '@gankit/core';
import { kernelModuleBytes, wasm, wasmConfig, WasmThreadPool, WASM_PAGE, type WasmInstance, type WasmMemory } from '@gankit/backend-wasm';
import { KERNELS_FMA_WASM_BASE64, KERNELS_WASM_BASE64 } from './kernels-wasm';

/*
 * Why our own WebAssembly kernels (measured on this 2-core AMD EPYC machine, Node 20, while shared):
 * - ml-matrix: 78 s for one 2048×2048 symmetric eigendecomposition.
 * - @stdlib/blas-base-dgemm (pure JS): 0.63 GFLOP/s on a 1024³ product.
 * - eigen (Eigen compiled to wasm, 0.2.2): 6.6 GFLOP/s on a 1024³ product, single-threaded, and no
 *   symmetric eigensolver (only a general complex `eig`).
 * - pytorch-fid's NumPy/SciPy path (OpenBLAS, AVX-512 "Cooperlake" kernels, 2 threads): np.cov ×2 ≈ 1.95 s,
 *   scipy.linalg.sqrtm ≈ 5.8 s on an idle machine for two 10,000×2048 sets.
 * Stats + FID on 10,000×2048 needs ≈ 84 GFLOP (two covariances, symmetric half) + ≈ 25 GFLOP (pivoted
 * Cholesky, two products, tridiagonalisation), so none of the libraries above could reach SciPy's time.
 * kernels.c: a packed 4×4 SIMD128 micro-kernel for C += αAᵀB (15.8 GFLOP per CPU-second, vs 8.4 while V8
 * still ran it in its baseline tier), a blocked pivoted Cholesky and a blocked (dlatrd-style) Householder
 * tridiagonalisation with implicit-QL eigenvalues, run SPMD on all cores through worker_threads sharing one
 * WebAssembly.Memory (the engine's thread pool). bench/metrics (same run, loaded machine): statistics 2.4× NumPy's CPU time (no FMA or
 * 256/512-bit vectors in wasm), FID 0.38× SciPy's, stats + FID 0.73×–0.90× SciPy's wall time over two runs.
 */

const MAX_PAGES = 65536; // 4 GiB, the wasm32 limit
const ALIGN = 64;

interface KernelExports {
  __heap_base: { value: number };
  set_control(ptr: number): void;
  gemm_atb(...args: number[]): void;
  mirror_upper(tid: number, nthreads: number, s: number, n: number): void;
  pivoted_cholesky(...args: number[]): number;
  tridiagonalize(...args: number[]): void;
  tridiagonal_eigenvalues(d: number, e: number, n: number): number;
  center_chunk(x: number, m: number, n: number, mean: number, muPrev: number, nPrev: number): number;
}

/** A block of the shared linear memory, addressed in bytes. */
export interface Block {
  readonly ptr: number;
  readonly bytes: number;
}

/** The SPMD kernels the threads run (each called as `fn(tid, nthreads, ...args)`). */
const SPMD_KERNELS = ['gemm_atb', 'mirror_upper', 'pivoted_cholesky', 'tridiagonalize'] as const;

/**
 * The float64 kernels, one instance per thread over a shared memory, with a first-fit allocator. Threads come from
 * the engine's one thread runtime (`WasmThreadPool` of @gankit/backend-wasm, the same as the float32 GEMM's), and
 * so does the relaxed-SIMD decision.
 */
export class LinalgRuntime {
  /** True when the fused multiply-add (relaxed SIMD) build runs. */
  readonly fma: boolean;
  private readonly memory: WasmMemory;
  private readonly exports: KernelExports;
  private readonly pool: WasmThreadPool;
  private readonly heapBase: number;
  private free: { ptr: number; bytes: number }[];
  private scratch: Block | undefined;

  private constructor(memory: WasmMemory, instance: WasmInstance, pool: WasmThreadPool, fma: boolean) {
    this.fma = fma;
    this.memory = memory;
    this.exports = instance.exports as unknown as KernelExports;
    this.pool = pool;
    this.heapBase = alignUp(Number(this.exports.__heap_base.value), ALIGN);
    this.free = [{ ptr: this.heapBase, bytes: memory.buffer.byteLength - this.heapBase }];
    const control = this.alloc(64);
    this.exports.set_control(control.ptr);
  }

  /** Threads the kernels run on (the calling thread included). */
  get threads(): number {
    return this.pool.threads;
  }

  /** Compiles the kernels and starts `threads − 1` workers sharing one memory. */
  static async create(threads: number): Promise<LinalgRuntime> {
    const { bytes, fma } = kernelModuleBytes(KERNELS_WASM_BASE64, KERNELS_FMA_WASM_BASE64);
    const module = await wasm.compile(bytes);
    const memory = new wasm.Memory({ initial: 256, maximum: MAX_PAGES, shared: true });
    const instance = new wasm.Instance(module, { env: { memory } });
    // The kernels meet at barriers inside wasm (atomic waits), so they must never run on a thread that may not block.
    const pool = new WasmThreadPool(module, memory, instance.exports, SPMD_KERNELS, { kernelsWait: true });
    await pool.setThreads(threads);
    return new LinalgRuntime(memory, instance, pool, fma);
  }

  /** Allocates `bytes` (64-byte aligned), growing the memory if needed. */
  alloc(bytes: number): Block {
    const size = alignUp(Math.max(bytes, ALIGN), ALIGN);
    for (;;) {
      const index = this.free.findIndex((b) => b.bytes >= size);
      if (index >= 0) {
        const block = this.free[index]!;
        const out = { ptr: block.ptr, bytes: size };
        if (block.bytes === size) this.free.splice(index, 1);
        else this.free[index] = { ptr: block.ptr + size, bytes: block.bytes - size };
        return out;
      }
      this.grow(size);
    }
  }

  /** Returns a block to the allocator. */
  release(block: Block): void {
    this.free.push({ ptr: block.ptr, bytes: block.bytes });
    this.free.sort((a, b) => a.ptr - b.ptr);
    const merged: { ptr: number; bytes: number }[] = [];
    for (const b of this.free) {
      const last = merged[merged.length - 1];
      if (last && last.ptr + last.bytes === b.ptr) last.bytes += b.bytes;
      else merged.push({ ...b });
    }
    this.free = merged;
  }

  /** A Float64Array view of a block (re-create after any allocation: the memory may have grown). */
  f64(block: Block, length = block.bytes / 8): Float64Array {
    return new Float64Array(this.memory.buffer, block.ptr, length);
  }

  /** An Int32Array view of a block. */
  i32(block: Block, length = block.bytes / 4): Int32Array {
    return new Int32Array(this.memory.buffer, block.ptr, length);
  }

  /** Per-thread scratch for the GEMM packing (enough for panels of up to `maxDim` columns). */
  gemmScratch(maxDim: number): { ptr: number; strideBytes: number } {
    const perThread = alignUp(((Math.ceil(maxDim / 4) * 4 + 8) * 256 + 512 * 256) * 8, ALIGN);
    const need = perThread * this.threads;
    if (!this.scratch || this.scratch.bytes < need) {
      if (this.scratch) this.release(this.scratch);
      this.scratch = this.alloc(need);
    }
    return { ptr: this.scratch.ptr, strideBytes: this.scratch.bytes / this.threads };
  }

  /** Runs an SPMD kernel on every thread: `fn(tid, nthreads, ...args)`; `workPtr` appends each thread's own work area. */
  run(fn: (typeof SPMD_KERNELS)[number], args: number[], workPtr?: { ptr: number; strideBytes: number }): number {
    const threads = this.threads;
    const jobs = Array.from({ length: threads }, (_, tid) => ({ fn, args: [tid, threads, ...args, ...(workPtr ? [workPtr.ptr + tid * workPtr.strideBytes] : [])] }));
    return this.pool.parallel(jobs);
  }

  /** Centres a chunk in place (see kernels.c `center_chunk`); serial. */
  centerChunk(x: Block, m: number, n: number, mean: Block, muPrev: Block, nPrev: number): number {
    return this.exports.center_chunk(x.ptr, m, n, mean.ptr, muPrev.ptr, nPrev);
  }

  /** Eigenvalues of a symmetric tridiagonal matrix (serial); returns 0 on convergence. */
  tridiagonalEigenvalues(d: Block, e: Block, n: number): number {
    return this.exports.tridiagonal_eigenvalues(d.ptr, e.ptr, n);
  }

  /** Stops the workers. */
  terminate(): void {
    this.pool.stop();
  }

  private grow(bytes: number): void {
    const current = this.memory.buffer.byteLength;
    const pages = Math.max(Math.ceil(bytes / WASM_PAGE) + 16, Math.ceil(current / WASM_PAGE / 2));
    const target = Math.min(pages, MAX_PAGES - current / WASM_PAGE);
    if (target * WASM_PAGE < bytes) {
      throw new GanKitError('NUMERIC_FAILURE', `float64 kernels: out of memory (need ${bytes} more bytes, 4 GiB limit)`);
    }
    this.memory.grow(target);
    const last = this.free[this.free.length - 1];
    if (last && last.ptr + last.bytes === current) last.bytes += target * WASM_PAGE;
    else this.free.push({ ptr: current, bytes: target * WASM_PAGE });
  }
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** One runtime per thread count, started on first use and kept (its workers do not keep the process alive). */
const runtimes = new Map<number, Promise<LinalgRuntime>>();

/** Threads used by default: the engine's setting (`configureWasm({ threads })`, default `defaultWasmThreads()`). */
export function defaultThreads(): number {
  return wasmConfig().threads;
}

/** The process-wide kernels runtime for `threads` threads (started on first use). */
export function getLinalg(threads = defaultThreads()): Promise<LinalgRuntime> {
  if (!Number.isInteger(threads) || threads < 1) {
    return Promise.reject(new GanKitError('INVALID_ARGUMENT', `threads must be a positive integer, got ${threads}`));
  }
  let runtime = runtimes.get(threads);
  if (!runtime) {
    runtime = LinalgRuntime.create(threads);
    runtimes.set(threads, runtime);
    runtime.catch(() => runtimes.delete(threads));
  }
  return runtime;
}

/** Which float64 kernels run: thread count and whether the fused multiply-add (relaxed SIMD) build is used. */
export async function float64KernelInfo(threads?: number): Promise<{ threads: number; fma: boolean }> {
  const rt = await getLinalg(threads);
  return { threads: rt.threads, fma: rt.fma };
}
