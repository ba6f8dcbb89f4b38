import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';

/** What `enableWasmThreads` set up. */
export interface WasmThreadsInfo {
  /** Threads XNNPACK's pool was asked for (the main thread counts as one). */
  requested: number;
  /** The wasm binary the backend will load. */
  binary: string;
}

/** The parts of the emscripten module of tfjs-backend-wasm's threaded build that gankit touches. */
interface ThreadedModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  PThread?: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] };
  tfjs?: Record<string, (...args: number[]) => number>;
}

type ThreadedFactory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

interface WasmBackendPackage {
  BackendWasm: new (module: ThreadedModule) => tf.KernelBackend;
  setThreadsCount(count: number): void;
}

const MAX_THREADS = 8; // tfjs-backend-wasm pre-creates 8 workers and caps its pool there (cc/backend.cc)

/** Writes tfjs's pthread worker script to a file once (Node's Worker cannot start from the Blob URL tfjs makes). */
function workerScriptFile(contents: string): string {
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 16);
  const dir = join(os.tmpdir(), `gankit-wasm-threads-${hash}`);
  const file = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    // tfjs escapes newlines the same way before making its Blob: the worker source has "\n" inside string literals.
    writeFileSync(file, contents.replace(/\n/g, '\\n'));
  }
  return file;
}

/**
 * Instantiates the threaded SIMD module with `threads` logical cores visible: tfjs-backend-wasm's C++ caps the
 * pool at `emscripten_num_logical_cores() / 2`, which in Node is `os.cpus().length / 2` (1 on a 2-core machine).
 */
async function instantiate(factory: ThreadedFactory, packageDir: string, workerFile: string, threads: number): Promise<ThreadedModule> {
  const realCpus = os.cpus;
  const cores = realCpus();
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cores[i % cores.length]!);
  try {
    return await factory({
      locateFile: (path: string) =>
        path.endsWith('.worker.js') ? workerFile : path.endsWith('.wasm') ? join(packageDir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm') : join(packageDir, 'wasm-out', path),
      mainScriptUrlOrBlob: join(packageDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'),
    });
  } finally {
    os.cpus = realCpus;
  }
}

function bindTfjsExports(module: ThreadedModule): void {
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
}

/**
 * Makes the `wasm` backend run XNNPACK on `threads` threads in Node, with tfjs-backend-wasm's own threaded SIMD
 * binary (tfjs turns threads off in Node, tfjs issue #3830: its loader hands Node's worker_threads a Blob URL).
 * Call it before the wasm backend starts (before `initBackend({ backend: 'wasm' })` / `tf.setBackend('wasm')`).
 * The pool's workers are unref'd, so they never keep the process alive.
 */
export async function enableWasmThreads(threads: number): Promise<WasmThreadsInfo> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new GanKitError('INVALID_ARGUMENT', `enableWasmThreads(threads): threads must be an integer from 1 to ${MAX_THREADS}, got ${threads}`);
  }
  if ('wasm' in tf.engine().registry) {
    throw new GanKitError('INVALID_ARGUMENT', 'enableWasmThreads must run before the wasm backend starts (before initBackend({ backend: "wasm" }) or tf.setBackend("wasm"))');
  }
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const wasmPackage = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmBackendPackage;
  const factory = require(join(packageDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js')) as ThreadedFactory;
  const { wasmWorkerContents } = require(join(packageDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const workerFile = workerScriptFile(wasmWorkerContents);
  if (tf.findBackendFactory('wasm') !== null) tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const module = await instantiate(factory, packageDir, workerFile, threads);
      bindTfjsExports(module);
      wasmPackage.setThreadsCount(threads);
      const backend = new wasmPackage.BackendWasm(module);
      for (const worker of [...(module.PThread?.runningWorkers ?? []), ...(module.PThread?.unusedWorkers ?? [])]) worker.unref();
      return backend;
    },
    2,
  );
  return { requested: threads, binary: join(packageDir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm') };
}
