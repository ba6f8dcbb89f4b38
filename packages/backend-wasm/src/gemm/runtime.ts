import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { GanKitError, formatBytes } from '@gankit/core';
import { CONV_GEMM_FMA_WASM_BASE64, CONV_GEMM_WASM_BASE64 } from './conv-gemm-wasm';

/** The parts of the WebAssembly JS API used here (tsconfig's lib has no DOM, and @types/node 20 lacks them). */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface ConvGemmExports {
  __heap_base: { value: number };
  sgemm_scratch_bytes: () => number;
  sgemm: (...args: number[]) => void;
  im2col: (geometry: number, x: number, col: number, n0: number, n1: number) => void;
  col2im: (geometry: number, col: number, dx: number, n0: number, n1: number) => void;
  bias_activation: (y: number, rows: number, cols: number, bias: number, act: number, alpha: number) => void;
}

const WASM_PAGE = 65536;
/** Longest a kernel call may wait for a worker (the largest conv of a training step takes well under a second). */
const WORKER_TIMEOUT_MS = 600_000;
const MAX_PAGES = 65536;
const ALIGN = 64;

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Relaxed SIMD (fused multiply-add) is on by default from Node 22 (V8 11.4); Node 20's V8 has it behind
 * `--experimental-wasm-relaxed-simd`, which only adds instructions and is set here before compiling.
 * GANKIT_WASM_FMA=0 keeps the plain SIMD128 build.
 */
function fmaBytesIfSupported(): Uint8Array | undefined {
  if (process.env.GANKIT_WASM_FMA === '0') return undefined;
  const bytes = Buffer.from(CONV_GEMM_FMA_WASM_BASE64, 'base64');
  if (wasm.validate(bytes)) return bytes;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return wasm.validate(bytes) ? bytes : undefined;
}

/** The kernels a thread can be given (their index is the job's function code). */
const PARALLEL_KERNELS = ['sgemm', 'im2col', 'col2im'] as const;
/** A call of an int-argument kernel on one thread. */
export interface ThreadJob {
  fn: (typeof PARALLEL_KERNELS)[number];
  args: number[];
}

/** Per-worker slot in the control block (int32s): [seq, fn, argc, args…, finished seq, failed]. */
const SLOT = 32;
const SEQ = 0;
const FN = 1;
const ARGC = 2;
const ARGS = 3;
const FINISHED = SLOT - 2;
const FAILED = SLOT - 1;

/*
 * A worker instantiates the same module over the same shared memory, then blocks in Atomics.wait on its
 * slot's sequence number: a job costs a store + notify each way (no message-port round trip).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, control, slot } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(control);
const base = slot * ${SLOT};
const fns = ${JSON.stringify(PARALLEL_KERNELS)};
parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(ctl, base + ${SEQ}, seen);
  seen = Atomics.load(ctl, base + ${SEQ});
  if (seen < 0) break;
  const argc = ctl[base + ${ARGC}];
  try {
    kernels[fns[ctl[base + ${FN}]]](...ctl.subarray(base + ${ARGS}, base + ${ARGS} + argc));
    ctl[base + ${FAILED}] = 0;
  } catch (error) {
    ctl[base + ${FAILED}] = 1;
    console.error('gankit conv-gemm worker:', error);
  }
  Atomics.store(ctl, base + ${FINISHED}, seen);
  Atomics.notify(ctl, base + ${FINISHED});
}
`;

/** A region of the kernels' linear memory, in bytes. */
export interface Region {
  readonly ptr: number;
  readonly floats: number;
}

/**
 * gankit's float32 GEMM / im2col kernels (conv-gemm.c) in their own WebAssembly memory. Each kernel call
 * lays its buffers out from the start of the heap (`layout`), so nothing is allocated between calls; the
 * memory only grows to the largest call's need.
 */
export class ConvGemmRuntime {
  /** True when the fused multiply-add (relaxed SIMD) build runs. */
  readonly fma: boolean;
  private readonly memory: WasmMemory;
  private readonly exports: ConvGemmExports;
  private readonly module: object;
  private readonly heapBase: number;
  private readonly scratchBytes: number;
  private workers: Worker[] = [];
  private control = new Int32Array(new SharedArrayBuffer(4));
  private seq = 0;

  constructor() {
    const fmaBytes = fmaBytesIfSupported();
    this.fma = fmaBytes !== undefined;
    this.module = new wasm.Module(fmaBytes ?? Buffer.from(CONV_GEMM_WASM_BASE64, 'base64'));
    this.memory = new wasm.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
    this.exports = new wasm.Instance(this.module, { env: { memory: this.memory } }).exports as unknown as ConvGemmExports;
    this.heapBase = alignUp(this.exports.__heap_base.value, ALIGN);
    this.scratchBytes = this.exports.sgemm_scratch_bytes();
  }

  /** Threads the kernels run on (the calling thread included). */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs the kernels on `threads` threads from now on (the caller's + `threads − 1` workers sharing this
   * memory); 1 stops the workers. Workers are unref'd: they never keep the process alive.
   */
  async setThreads(threads: number): Promise<void> {
    this.stopWorkers();
    const count = Math.max(0, Math.floor(threads) - 1);
    if (count === 0) return;
    this.control = new Int32Array(new SharedArrayBuffer(4 * SLOT * (count + 1)));
    this.seq = 0;
    this.workers = await Promise.all(Array.from({ length: count }, (_, i) => this.startWorker(i + 1)));
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
    const seq = ++this.seq;
    const ctl = this.control;
    for (let t = 1; t < jobs.length; t++) {
      const job = jobs[t]!;
      const base = t * SLOT;
      ctl[base + FN] = PARALLEL_KERNELS.indexOf(job.fn);
      ctl[base + ARGC] = job.args.length;
      ctl.set(job.args, base + ARGS);
      Atomics.store(ctl, base + SEQ, seq);
      Atomics.notify(ctl, base + SEQ);
    }
    const [first] = jobs;
    if (first) {
      const kernel: (...args: number[]) => void = this.exports[first.fn];
      kernel(...first.args);
    }
    let failed = false;
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    for (let t = 1; t < jobs.length; t++) {
      const base = t * SLOT;
      while (Atomics.load(ctl, base + FINISHED) !== seq) {
        // A worker that died (killed, out of memory) never reports: give up instead of waiting forever.
        if (performance.now() > deadline) throw new GanKitError('NUMERIC_FAILURE', `conv kernel ${jobs[t]?.fn ?? ''} did not finish on worker thread ${t} within ${WORKER_TIMEOUT_MS / 1000} s`);
        Atomics.wait(ctl, base + FINISHED, Atomics.load(ctl, base + FINISHED), 1000);
      }
      failed ||= ctl[base + FAILED] !== 0;
    }
    if (failed) throw new GanKitError('NUMERIC_FAILURE', 'a conv kernel failed on a worker thread (its error is on stderr)');
  }

  /** Splits [0, count) into `threads` contiguous ranges, each a multiple of `multiple` except the last. */
  split(count: number, multiple: number, minPerThread: number): [number, number][] {
    const threads = Math.max(1, Math.min(this.threads, Math.floor(count / minPerThread)));
    const per = alignUp(Math.ceil(count / threads), multiple);
    const ranges: [number, number][] = [];
    for (let start = 0; start < count; start += per) ranges.push([start, Math.min(count, start + per)]);
    return ranges;
  }

  private async startWorker(slot: number): Promise<Worker> {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: this.module, memory: this.memory, control: this.control.buffer, slot } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    worker.unref();
    return worker;
  }

  private stopWorkers(): void {
    for (let t = 1; t <= this.workers.length; t++) {
      Atomics.store(this.control, t * SLOT + SEQ, -1);
      Atomics.notify(this.control, t * SLOT + SEQ);
    }
    for (const worker of this.workers) void worker.terminate();
    this.workers = [];
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

/** The process-wide runtime, compiled on first use (synchronously: kernels are synchronous). */
export function convGemmRuntime(): ConvGemmRuntime {
  runtime ??= new ConvGemmRuntime();
  return runtime;
}
