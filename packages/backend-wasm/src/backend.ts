import * as tf from '@tensorflow/tfjs-core';
import { GanKitError, registerGradientFixes, guardWasmAllocations, assertSingleTfjsCore } from '@gankit/core';
import { configureWasm, startWasmKernels } from './configure';
import { prepareConvGemm } from './gemm/runtime';
import { registerWasmTrainingKernels } from './register-all-kernels';
import { settings } from './settings';
import { platform } from './threads/platform';

/** Which backend to use; `auto` picks the fastest one that loads; `gpu` is tfjs-node-gpu on a GPU or an error. */
export type BackendChoice = 'auto' | 'gpu' | 'tensorflow' | 'wasm' | 'webgpu' | 'webgl' | 'cpu';

/** What `initBackend` chose and why. */
export interface BackendInfo {
  /** The TF.js backend name now active. */
  name: 'tensorflow' | 'wasm' | 'webgpu' | 'webgl' | 'cpu';
  /** Where the kernels run. */
  device: 'gpu' | 'cpu';
  /** The npm package that provides the backend. */
  package: string;
  /** Human-readable notes: what was tried, what was skipped and why. */
  notes: string[];
  /** On wasm: threads gankit's conv kernels run on. */
  threads?: number;
  /** One line when the backend runs somewhere other than the user would expect (tfjs-node-gpu without a GPU). */
  warning?: string;
}

/** The CUDA / cuDNN versions tfjs-node-gpu 4.x (libtensorflow 2.9) is built against; others fall back to the CPU. */
export const TFJS_NODE_GPU_NEEDS = 'CUDA 11.2 and cuDNN 8.1 (CUDA 12 does not work)';

/** What a tensorflow backend (tfjs-node's `NodeJSKernelBackend`) reports about itself. */
export interface TensorflowBackendReport {
  /** The npm package that registered the backend. */
  package: string;
  /** `tf.backend().isGPUPackage`: true for tfjs-node-gpu. */
  isGPUPackage?: unknown;
  /** `tf.backend().isUsingGpuDevice`: whether TensorFlow found a GPU it can use. */
  isUsingGpuDevice?: unknown;
}

/**
 * Where a tensorflow backend runs, from what it reports: `gpu` only when it comes from tfjs-node-gpu and TensorFlow
 * found a GPU; when tfjs-node-gpu sees none (missing or mismatched CUDA/cuDNN), `problem` says so in one line.
 */
export function tensorflowDevice(report: TensorflowBackendReport): { device: 'gpu' | 'cpu'; problem?: string } {
  const gpuPackage = report.isGPUPackage === true || report.package === '@tensorflow/tfjs-node-gpu';
  if (!gpuPackage) return { device: 'cpu' };
  if (report.isUsingGpuDevice === true) return { device: 'gpu' };
  const found = report.isUsingGpuDevice === false ? 'TensorFlow found no usable GPU' : 'it does not say whether TensorFlow found a GPU';
  return {
    device: 'cpu',
    problem:
      `${report.package} loaded but ${found}, so it runs on the CPU; tfjs-node-gpu 4.x needs an NVIDIA GPU with ${TFJS_NODE_GPU_NEEDS} ` +
      'libraries on the library path (LD_LIBRARY_PATH)',
  };
}

/** Options for `initBackend`. */
export interface InitBackendOptions {
  /** Backend to use (default `auto`, or in Node the `GANKIT_BACKEND` environment variable). */
  backend?: BackendChoice;
  /** On wasm: threads for gankit's kernels (the same as `configureWasm({ threads })`; default `defaultWasmThreads()`). */
  threads?: number;
  /**
   * In a browser: where tfjs-backend-wasm's `.wasm` files are served (its `setWasmPaths`: a folder URL ending in `/`,
   * or a map of file names to URLs). Bundlers do not copy them: serve `node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm`.
   */
  wasmPaths?: string | Record<string, string>;
}

const NODE_PACKAGES = [
  { pkg: '@tensorflow/tfjs-node-gpu', device: 'gpu' as const },
  { pkg: '@tensorflow/tfjs-node', device: 'cpu' as const },
];

// Loaded by a computed specifier so bundlers and the type checker leave the optional peers alone.
async function importOptional(pkg: string): Promise<unknown> {
  const specifier = pkg;
  return import(specifier) as Promise<unknown>;
}

function installHint(pkg: string): string {
  return `install it with \`npm i ${pkg}@${tf.version_core}\` (its install downloads libtensorflow, so it needs internet access)`;
}

async function tryTensorflow(notes: string[], packages = NODE_PACKAGES): Promise<BackendInfo | undefined> {
  for (const { pkg } of packages) {
    let loaded: unknown;
    try {
      loaded = await importOptional(pkg);
    } catch (error) {
      notes.push(`${pkg}: not usable (${firstLine(error)})`);
      continue;
    }
    if (tf.findBackend('tensorflow') === null) {
      const theirs = (loaded as { version?: Record<string, string> }).version?.['tfjs-core'] ?? 'unknown';
      throw new GanKitError(
        'DUPLICATE_TFJS',
        `${pkg} loaded but registered its backend into a second copy of @tensorflow/tfjs-core (${theirs}), not the one gankit uses (${tf.version_core}); ` +
          `make both resolve to one copy, e.g. install @tensorflow/tfjs-core@${tf.version_core} and ${pkg}@${tf.version_core} and deduplicate (npm dedupe / pnpm overrides)`,
      );
    }
    await tf.setBackend('tensorflow');
    await tf.ready();
    const reported = tf.backend() as unknown as { isGPUPackage?: unknown; isUsingGpuDevice?: unknown };
    const { device, problem } = tensorflowDevice({ package: pkg, isGPUPackage: reported.isGPUPackage, isUsingGpuDevice: reported.isUsingGpuDevice });
    if (problem) notes.push(problem);
    return { name: 'tensorflow', device, package: pkg, notes, ...(problem !== undefined && { warning: problem }) };
  }
  return undefined;
}

interface WasmBackendModule {
  setWasmPaths(prefixOrFileMap: string | Record<string, string>, usePlatformFetch?: boolean): void;
}

async function tryWasm(notes: string[], options: InitBackendOptions): Promise<BackendInfo> {
  const wasmPackage = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmBackendModule;
  if (options.wasmPaths !== undefined) wasmPackage.setWasmPaths(options.wasmPaths);
  if (options.threads !== undefined) await configureWasm({ threads: options.threads });
  const added = registerWasmTrainingKernels();
  await prepareConvGemm();
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
  guardWasmAllocations(tf.backend());
  await startWasmKernels();
  notes.push(`wasm: gankit training kernels registered (${added.join(', ') || 'none needed'})`);
  const { threads } = settings();
  if (platform().name === 'browser' && !platform().canShareMemory()) notes.push('wasm: one thread (the page is not cross-origin isolated: serve it with COOP/COEP headers for threads)');
  return { name: 'wasm', device: 'cpu', package: '@tensorflow/tfjs-backend-wasm', notes, threads };
}

/** A GPU backend of the browser (webgpu/webgl), when the app has imported its package (gankit does not bundle them). */
async function tryBrowserGpu(name: 'webgpu' | 'webgl', notes: string[]): Promise<BackendInfo | undefined> {
  if (tf.findBackendFactory(name) === null) {
    notes.push(`${name}: not registered (import '@tensorflow/tfjs-backend-${name}' to use it)`);
    return undefined;
  }
  try {
    if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") returned false`);
    await tf.ready();
  } catch (error) {
    notes.push(`${name}: could not start (${firstLine(error)})`);
    return undefined;
  }
  return { name, device: 'gpu', package: `@tensorflow/tfjs-backend-${name}`, notes };
}

async function useCpu(notes: string[]): Promise<BackendInfo> {
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', device: 'cpu', package: '@tensorflow/tfjs-backend-cpu', notes };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

const CHOICES: readonly BackendChoice[] = ['auto', 'gpu', 'tensorflow', 'wasm', 'webgpu', 'webgl', 'cpu'];

function parseChoice(value: string | undefined): BackendChoice {
  const choice = value ?? 'auto';
  if (CHOICES.includes(choice as BackendChoice)) return choice as BackendChoice;
  throw new GanKitError('INVALID_ARGUMENT', `backend must be one of ${CHOICES.join(', ')}; got "${choice}"`);
}

/**
 * Chooses and activates a TF.js backend. Node: tfjs-node-gpu, then tfjs-node, then wasm with gankit's training
 * kernels, then cpu. Browsers: webgpu or webgl when the app imported their package, then wasm with gankit's
 * kernels, then cpu. Forcing one that cannot load throws `BACKEND_UNAVAILABLE` with the install command (`gpu`:
 * also when tfjs-node-gpu loads but sees no GPU; `info.warning` says so under `auto`/`tensorflow`); a second
 * or mismatched copy of `@tensorflow/tfjs-core` throws `DUPLICATE_TFJS`.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  assertSingleTfjsCore(); // a second tfjs-core copy would split the layer registry: refuse it up front
  const choice = parseChoice(options.backend ?? platform().env('GANKIT_BACKEND'));
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new GanKitError('INVALID_ARGUMENT', `threads must be a positive integer, got ${options.threads}`);
  }
  const notes: string[] = [];
  registerGradientFixes();
  switch (choice) {
    case 'gpu': {
      // tfjs-node-gpu on a GPU, or an error: never a silent fall-back to the CPU.
      const info = platform().name === 'node' ? await tryTensorflow(notes, NODE_PACKAGES.filter((p) => p.device === 'gpu')) : undefined;
      if (info?.device === 'gpu') return info;
      const why = info?.warning ?? notes.join('; ');
      throw new GanKitError(
        'BACKEND_UNAVAILABLE',
        `backend "gpu" is not available: ${why}` +
          (info ? '' : `; ${installHint('@tensorflow/tfjs-node-gpu')} on Linux x64 with an NVIDIA GPU and ${TFJS_NODE_GPU_NEEDS}`),
      );
    }
    case 'tensorflow': {
      if (platform().name !== 'node') notes.push('tfjs-node runs only in Node');
      const info = platform().name === 'node' ? await tryTensorflow(notes) : undefined;
      if (info) return info;
      throw new GanKitError(
        'BACKEND_UNAVAILABLE',
        `backend "tensorflow" is not available: ${notes.join('; ')}; ${installHint('@tensorflow/tfjs-node')} (or @tensorflow/tfjs-node-gpu for CUDA)`,
      );
    }
    case 'wasm':
      try {
        return await tryWasm(notes, options);
      } catch (error) {
        throw new GanKitError('BACKEND_UNAVAILABLE', `backend "wasm" could not start: ${firstLine(error)}; reinstall @tensorflow/tfjs-backend-wasm@${tf.version_core}`, { cause: error });
      }
    case 'webgpu':
    case 'webgl': {
      const info = await tryBrowserGpu(choice, notes);
      if (info) return info;
      throw new GanKitError('BACKEND_UNAVAILABLE', `backend "${choice}" is not available: ${notes.join('; ')}`);
    }
    case 'cpu':
      return useCpu(notes);
    case 'auto': {
      // Node: tfjs-node(-gpu) first. Browsers: a GPU backend the app registered, then wasm.
      const first = platform().name === 'node' ? await tryTensorflow(notes) : ((await tryBrowserGpu('webgpu', notes)) ?? (await tryBrowserGpu('webgl', notes)));
      if (first) return first;
      try {
        return await tryWasm(notes, options);
      } catch (error) {
        notes.push(`wasm: could not start (${firstLine(error)})`);
        return useCpu(notes);
      }
    }
  }
}
