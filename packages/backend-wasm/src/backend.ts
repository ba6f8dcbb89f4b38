import * as tf from '@tensorflow/tfjs-core';
import { GanKitError, registerGradientFixes, guardWasmAllocations, assertSingleTfjsCore } from '@gankit/core';
import { registerWasmTrainingKernels, setWasmConvThreads, wasmConvThreads } from './register-all-kernels';

/** Which backend to use; `auto` picks the fastest one that loads; `gpu` is tfjs-node-gpu on a GPU or an error. */
export type BackendChoice = 'auto' | 'gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** What `initBackend` chose and why. */
export interface BackendInfo {
  /** The TF.js backend name now active (`tensorflow`, `wasm` or `cpu`). */
  name: 'tensorflow' | 'wasm' | 'cpu';
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
  /** Backend to use (default `auto`, or the `GANKIT_BACKEND` environment variable). */
  backend?: BackendChoice;
  /** On wasm: threads for gankit's conv kernels (`setWasmConvThreads`; default: leave as is, initially 1). */
  threads?: number;
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

async function tryWasm(notes: string[], threads: number | undefined): Promise<BackendInfo> {
  await import('@tensorflow/tfjs-backend-wasm');
  const added = registerWasmTrainingKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
  guardWasmAllocations(tf.backend());
  notes.push(`wasm: gankit training kernels registered (${added.join(', ') || 'none needed'})`);
  const convThreads = threads === undefined ? wasmConvThreads() : await setWasmConvThreads(threads);
  return { name: 'wasm', device: 'cpu', package: '@tensorflow/tfjs-backend-wasm', notes, threads: convThreads };
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

function parseChoice(value: string | undefined): BackendChoice {
  const choice = value ?? 'auto';
  if (choice === 'auto' || choice === 'gpu' || choice === 'tensorflow' || choice === 'wasm' || choice === 'cpu') return choice;
  throw new GanKitError('INVALID_ARGUMENT', `backend must be one of auto, gpu, tensorflow, wasm, cpu; got "${choice}"`);
}

/**
 * Chooses and activates a TF.js backend: tfjs-node-gpu, then tfjs-node, then wasm with gankit's training
 * kernels, then cpu. Forcing one that cannot load throws `BACKEND_UNAVAILABLE` with the install command (`gpu`:
 * also when tfjs-node-gpu loads but sees no GPU; `info.warning` says so under `auto`/`tensorflow`); a second
 * or mismatched copy of `@tensorflow/tfjs-core` throws `DUPLICATE_TFJS`.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  assertSingleTfjsCore(); // a second tfjs-core copy would split the layer registry: refuse it up front
  const choice = parseChoice(options.backend ?? process.env.GANKIT_BACKEND);
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
    throw new GanKitError('INVALID_ARGUMENT', `threads must be a positive integer, got ${options.threads}`);
  }
  const notes: string[] = [];
  registerGradientFixes();
  switch (choice) {
    case 'gpu': {
      // tfjs-node-gpu on a GPU, or an error: never a silent fall-back to the CPU.
      const info = await tryTensorflow(notes, NODE_PACKAGES.filter((p) => p.device === 'gpu'));
      if (info?.device === 'gpu') return info;
      const why = info?.warning ?? notes.join('; ');
      throw new GanKitError(
        'BACKEND_UNAVAILABLE',
        `backend "gpu" is not available: ${why}` +
          (info ? '' : `; ${installHint('@tensorflow/tfjs-node-gpu')} on Linux x64 with an NVIDIA GPU and ${TFJS_NODE_GPU_NEEDS}`),
      );
    }
    case 'tensorflow': {
      const info = await tryTensorflow(notes);
      if (info) return info;
      throw new GanKitError(
        'BACKEND_UNAVAILABLE',
        `backend "tensorflow" is not available: ${notes.join('; ')}; ${installHint('@tensorflow/tfjs-node')} (or @tensorflow/tfjs-node-gpu for CUDA)`,
      );
    }
    case 'wasm':
      try {
        return await tryWasm(notes, options.threads);
      } catch (error) {
        throw new GanKitError('BACKEND_UNAVAILABLE', `backend "wasm" could not start: ${firstLine(error)}; reinstall @tensorflow/tfjs-backend-wasm@${tf.version_core}`, { cause: error });
      }
    case 'cpu':
      return useCpu(notes);
    case 'auto': {
      const node = await tryTensorflow(notes);
      if (node) return node;
      try {
        return await tryWasm(notes, options.threads);
      } catch (error) {
        notes.push(`wasm: could not start (${firstLine(error)})`);
        return useCpu(notes);
      }
    }
  }
}
