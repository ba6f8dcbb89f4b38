import { GanKitError } from '@gankit/core';
import type { WasmMemory, WasmModule } from '../wasm-api';

/** A started worker thread (Node `worker_threads` or a browser Web Worker). */
export interface WorkerHandle {
  terminate(): void;
}

/** What a worker is started with: the compiled module, the shared memory, the control block and its slot. */
export interface WorkerStart {
  module: WasmModule;
  memory: WasmMemory;
  control: SharedArrayBuffer;
  args: SharedArrayBuffer;
  /** One float64 per slot: each job's return value. */
  results: SharedArrayBuffer;
  slot: number;
  fns: readonly string[];
}

/** What the engine needs from where it runs; `@gankit/backend-wasm`'s Node and browser entries each install one. */
export interface Platform {
  readonly name: 'node' | 'browser';
  /** Logical cores. */
  cores(): number;
  /** Whether worker threads can share memory with this one (browsers: only when the page is cross-origin isolated). */
  canShareMemory(): boolean;
  /** Whether this thread may block in `Atomics.wait` (a browser's main thread may not). */
  canBlock(): boolean;
  /** Starts a worker running `source` (a script that defines `start(data, ready)`), resolved once it is ready. */
  startWorker(source: string, data: WorkerStart): Promise<WorkerHandle>;
  /** Makes the engine accept relaxed SIMD if it can be switched on at run time (Node 20's V8 flag); no-op elsewhere. */
  enableRelaxedSimd(): void;
  /** An environment variable (Node) or undefined. */
  env(name: string): string | undefined;
  /** Runs XNNPACK (tfjs-backend-wasm's own kernels) on `threads` threads; Node only (browsers: tfjs decides). */
  enableXnnpackThreads?(threads: number): Promise<void>;
}

/** The platform used until an entry installs its own: a browser (or any host with Web Workers). */
const browserDefault: Platform = {
  name: 'browser',
  cores: () => (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1,
  canShareMemory: () => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
  canBlock: () => typeof (globalThis as { document?: unknown }).document === 'undefined',
  startWorker: startWebWorker,
  enableRelaxedSimd: () => undefined,
  env: () => undefined,
};

let current: Platform = browserDefault;

/** The platform the engine runs on. */
export function platform(): Platform {
  return current;
}

/** Installs the platform (done once by the package entry). */
export function setPlatform(next: Platform): void {
  current = next;
}

/** Starts a Web Worker from a Blob URL; the module and the shared memory are posted to it. */
async function startWebWorker(source: string, data: WorkerStart): Promise<WorkerHandle> {
  const scope = globalThis as unknown as { Worker?: new (url: string) => BrowserWorker; Blob: typeof Blob; URL: typeof URL };
  if (scope.Worker === undefined) throw new GanKitError('UNSUPPORTED', 'this JavaScript host has no Web Workers, so the wasm kernels run on one thread');
  const url = scope.URL.createObjectURL(new scope.Blob([`${source}\nself.onmessage = (e) => start(e.data, () => self.postMessage('ready'));`], { type: 'text/javascript' }));
  const worker = new scope.Worker(url);
  try {
    await new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (event) => reject(new GanKitError('UNSUPPORTED', `a wasm kernel worker failed to start: ${String((event as { message?: string }).message ?? event)}`));
      worker.postMessage(data);
    });
  } finally {
    scope.URL.revokeObjectURL(url);
  }
  return worker;
}

interface BrowserWorker {
  onmessage: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  postMessage(data: unknown): void;
  terminate(): void;
}
