import { GanKitError } from '@gankit/core';
import type { WasmMemory, WasmModule } from '../wasm-api';
import { platform, type WorkerHandle } from './platform';

/** A call of a kernel export with numeric arguments (pointers are byte offsets into the shared memory). */
export interface ThreadJob {
  fn: string;
  args: number[];
}

/** Per-thread slot in the control block (int32s): [seq, fn, argc, finished seq, failed]. */
const SLOT = 8;
const SEQ = 0;
const FN = 1;
const ARGC = 2;
const FINISHED = 3;
const FAILED = 4;
/** Float64 argument slots per thread. */
const MAX_ARGS = 32;
/** Longest a kernel call may wait for a worker (the largest call of a training step or a covariance takes seconds). */
const WORKER_TIMEOUT_MS = 600_000;

/*
 * The worker: instantiates the same module over the same shared memory, then blocks in Atomics.wait on its slot's
 * sequence number: a job costs a store + notify each way (no message round trip). Node and browsers wrap it.
 */
const WORKER_SOURCE = `
function start(data, ready) {
  const { module, memory, control, args, results, slot, fns } = data;
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const ctl = new Int32Array(control);
  const argv = new Float64Array(args);
  const out = new Float64Array(results);
  const base = slot * ${SLOT};
  const abase = slot * ${MAX_ARGS};
  ready();
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, base + ${SEQ}, seen);
    seen = Atomics.load(ctl, base + ${SEQ});
    if (seen < 0) break;
    const argc = ctl[base + ${ARGC}];
    try {
      out[slot] = kernels[fns[ctl[base + ${FN}]]](...argv.subarray(abase, abase + argc)) ?? 0;
      ctl[base + ${FAILED}] = 0;
    } catch (error) {
      ctl[base + ${FAILED}] = 1;
      console.error('gankit wasm kernel worker:', error);
    }
    Atomics.store(ctl, base + ${FINISHED}, seen);
    Atomics.notify(ctl, base + ${FINISHED});
  }
}`;

/**
 * Worker threads running one wasm module's exports over one shared memory: the one thread runtime of gankit's
 * float32 GEMM and its float64 statistics kernels. On Node the workers are `worker_threads`; in a browser, Web
 * Workers (only when the page is cross-origin isolated: elsewhere memory cannot be shared and everything runs on
 * the calling thread). Jobs split work into disjoint ranges, so results do not depend on the thread count.
 */
export class WasmThreadPool {
  private workers: WorkerHandle[] = [];
  private control = new Int32Array(new SharedArrayBufferCtor(4 * SLOT));
  private args = new Float64Array(new SharedArrayBufferCtor(8 * MAX_ARGS));
  private results = new Float64Array(new SharedArrayBufferCtor(8));
  private seq = 0;
  /** Every job runs on a worker and the caller only watches (see the constructor). */
  private offload = false;

  /**
   * `kernelsWait`: the kernels synchronise with each other inside wasm (`memory.atomic.wait` barriers). A thread that
   * may not block (a browser's main thread) then cannot run one of them, so every job goes to a worker instead.
   */
  constructor(
    private readonly module: WasmModule,
    private readonly memory: WasmMemory,
    private readonly exports: Record<string, unknown>,
    private readonly fns: readonly string[],
    private readonly options: { kernelsWait?: boolean } = {},
  ) {}

  /** Threads the kernels run on (the calling thread included, unless it only watches). */
  get threads(): number {
    return this.offload ? this.workers.length : this.workers.length + 1;
  }

  /**
   * Runs jobs on `threads` threads from now on (the caller's + `threads − 1` workers); 1 stops the workers. Where
   * memory cannot be shared with workers (a page that is not cross-origin isolated) this stays at 1. Returns the count.
   */
  async setThreads(threads: number): Promise<number> {
    const host = platform();
    const offload = host.canShareMemory() && this.options.kernelsWait === true && !host.canBlock();
    const wanted = Math.max(1, Math.floor(threads));
    const count = !host.canShareMemory() ? 0 : offload ? wanted : wanted - 1;
    if (count === this.workers.length && offload === this.offload) return this.threads;
    this.stop();
    this.offload = offload && count > 0;
    if (count === 0) return 1;
    this.control = new Int32Array(new SharedArrayBufferCtor(4 * SLOT * (count + 1)));
    this.args = new Float64Array(new SharedArrayBufferCtor(8 * MAX_ARGS * (count + 1)));
    this.results = new Float64Array(new SharedArrayBufferCtor(8 * (count + 1)));
    this.seq = 0;
    const data = { module: this.module, memory: this.memory, control: this.control.buffer as SharedArrayBuffer, args: this.args.buffer as SharedArrayBuffer, results: this.results.buffer as SharedArrayBuffer, fns: this.fns };
    this.workers = await Promise.all(Array.from({ length: count }, (_, i) => platform().startWorker(WORKER_SOURCE, { ...data, slot: i + 1 })));
    return this.threads;
  }

  /** Runs `jobs[0]` on this thread and `jobs[t]` on worker t, waits for all of them, and returns job 0's result. */
  parallel(jobs: readonly ThreadJob[]): number {
    if (jobs.length > this.threads) throw new GanKitError('INVALID_ARGUMENT', `${jobs.length} jobs for ${this.threads} threads`);
    const seq = ++this.seq;
    const ctl = this.control;
    // Worker slots start at 1; offloading puts job 0 on worker 1 too.
    const shift = this.offload ? 1 : 0;
    for (let j = 1 - shift; j < jobs.length; j++) this.post(j + shift, jobs[j]!, seq);
    const [first] = jobs;
    let result = first && !this.offload ? (this.exports[first.fn] as (...args: number[]) => number)(...first.args) : 0;
    const canBlock = platform().canBlock();
    let failed = false;
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    for (let t = 1; t < jobs.length + shift; t++) {
      const base = t * SLOT;
      while (Atomics.load(ctl, base + FINISHED) !== seq) {
        // A worker that died (killed, out of memory) never reports: give up instead of waiting forever.
        if (performance.now() > deadline) throw new GanKitError('NUMERIC_FAILURE', `wasm kernel ${jobs[t]?.fn ?? ''} did not finish on worker thread ${t} within ${WORKER_TIMEOUT_MS / 1000} s`);
        // A browser's main thread may not block: it spins on the flag instead.
        if (canBlock) Atomics.wait(ctl, base + FINISHED, Atomics.load(ctl, base + FINISHED), 1000);
      }
      failed ||= ctl[base + FAILED] !== 0;
    }
    if (failed) throw new GanKitError('NUMERIC_FAILURE', 'a wasm kernel failed on a worker thread (its error is on the console)');
    if (this.offload) result = this.results[1] ?? 0;
    return result;
  }

  /** Splits [0, count) into at most `threads` contiguous ranges, each a multiple of `multiple` except the last. */
  split(count: number, multiple: number, minPerThread: number): [number, number][] {
    const threads = Math.max(1, Math.min(this.threads, Math.floor(count / minPerThread)));
    const per = Math.ceil(Math.ceil(count / threads) / multiple) * multiple;
    const ranges: [number, number][] = [];
    for (let start = 0; start < count; start += per) ranges.push([start, Math.min(count, start + per)]);
    return ranges;
  }

  /** Stops the workers (the pool keeps working on the calling thread). */
  stop(): void {
    for (let t = 1; t <= this.workers.length; t++) {
      Atomics.store(this.control, t * SLOT + SEQ, -1);
      Atomics.notify(this.control, t * SLOT + SEQ);
    }
    for (const worker of this.workers) worker.terminate();
    this.workers = [];
  }

  private post(t: number, job: ThreadJob, seq: number): void {
    if (job.args.length > MAX_ARGS) throw new GanKitError('INVALID_ARGUMENT', `wasm kernel ${job.fn}: at most ${MAX_ARGS} arguments`);
    const fn = this.fns.indexOf(job.fn);
    if (fn < 0) throw new GanKitError('UNKNOWN_NAME', `wasm kernel ${job.fn} is not one the workers run (${this.fns.join(', ')})`);
    const base = t * SLOT;
    this.control[base + FN] = fn;
    this.control[base + ARGC] = job.args.length;
    this.args.set(job.args, t * MAX_ARGS);
    Atomics.store(this.control, base + SEQ, seq);
    Atomics.notify(this.control, base + SEQ);
  }
}

/** A page that is not cross-origin isolated has no `SharedArrayBuffer`; it has no workers either, so a plain buffer does. */
const SharedArrayBufferCtor: new (bytes: number) => ArrayBufferLike =
  (globalThis as { SharedArrayBuffer?: new (bytes: number) => ArrayBufferLike }).SharedArrayBuffer ?? ArrayBuffer;
