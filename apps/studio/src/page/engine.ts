import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendChoice } from '@gankit/backend-wasm';

/** Engine names the page can run on, fastest first. */
export const ENGINES = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
/** An engine name. */
export type EngineName = (typeof ENGINES)[number];

/** What the page runs on, as shown in its header. */
export interface EngineInfo {
  /** The active TF.js backend. */
  name: EngineName;
  /** Threads gankit's wasm kernels compute with (1 on the other engines). */
  threads: number;
  /** Whether the page is cross-origin isolated (SharedArrayBuffer, so threads, are available). */
  isolated: boolean;
  /** What was tried and why it was not used. */
  notes: string[];
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** Whether the browser has a real GPU for `name` (a software WebGL rasteriser is slower than wasm, so it does not count). */
async function gpuPresent(name: 'webgpu' | 'webgl', notes: string[]): Promise<boolean> {
  if (name === 'webgpu') {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
    if (!adapter) notes.push('webgpu: no adapter');
    return adapter !== null && adapter !== undefined;
  }
  const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
  if (!gl) {
    notes.push('webgl: no context');
    return false;
  }
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  if (/swiftshader|llvmpipe|software/i.test(renderer)) {
    notes.push(`webgl: software renderer (${renderer}), wasm is faster`);
    return false;
  }
  return true;
}

async function start(name: EngineName, notes: string[], threads: number | undefined): Promise<EngineInfo> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
  // The .wasm files are copied next to the page at build time (scripts/prepare-assets.mjs).
  const info = await initBackend({ backend: name as BackendChoice, wasmPaths: new URL('./wasm/', document.baseURI).href, ...(threads !== undefined && { threads }) });
  return { name: info.name as EngineName, threads: info.threads ?? 1, isolated: globalThis.crossOriginIsolated === true, notes: [...notes, ...info.notes] };
}

/**
 * Starts the engine through @gankit/backend-wasm's initBackend: webgpu or webgl when the browser has a real GPU,
 * else wasm with gankit's training kernels (threaded when the page is cross-origin isolated), else cpu; or the one
 * named by `?engine=` in the page's address. `threads`: wasm threads (default: initBackend's, one per core).
 */
export async function startEngine(preferred?: string | null, threads?: number): Promise<EngineInfo> {
  const notes: string[] = [];
  if (preferred && !(ENGINES as readonly string[]).includes(preferred)) notes.push(`?engine=${preferred} is not one of ${ENGINES.join(', ')}`);
  const order: EngineName[] = preferred && (ENGINES as readonly string[]).includes(preferred) ? [preferred as EngineName, 'wasm', 'cpu'] : [];
  if (order.length === 0) {
    if (await gpuPresent('webgpu', notes)) order.push('webgpu');
    if (await gpuPresent('webgl', notes)) order.push('webgl');
    order.push('wasm', 'cpu');
  }
  for (const name of order) {
    try {
      return await start(name, notes, threads);
    } catch (error) {
      notes.push(`${name}: ${firstLine(error)}`);
    }
  }
  throw new Error(`no TF.js engine could start: ${notes.join('; ')}`);
}

/**
 * The engine for training: the active one, unless it lacks a kernel a conv GAN's backward pass needs (stock
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter; gankit's kernels add it), then cpu.
 */
export async function engineForTraining(info: EngineInfo): Promise<EngineInfo> {
  if (info.name !== 'wasm' || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return info;
  await tf.setBackend('cpu');
  return { name: 'cpu', threads: 1, isolated: info.isolated, notes: [...info.notes, 'wasm: no Conv2DBackpropFilter kernel, training runs on cpu'] };
}

/** One line for the page header: engine and threads. */
export function engineLabel(info: EngineInfo): string {
  const threads = `${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  return `engine: ${info.name}, ${threads}${info.isolated ? ', cross-origin isolated' : ', not cross-origin isolated (single-threaded wasm)'}`;
}
