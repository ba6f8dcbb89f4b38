import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** Engine names the page can run on, fastest first. */
export const ENGINES = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
/** An engine name. */
export type EngineName = (typeof ENGINES)[number];

/** What the page runs on, as shown in its header. */
export interface EngineInfo {
  /** The active TF.js backend. */
  name: EngineName;
  /** Threads the engine computes with (1 unless wasm runs threaded). */
  threads: number;
  /** Whether the page is cross-origin isolated (SharedArrayBuffer, so threads, are available). */
  isolated: boolean;
  /** What was tried and why it was not used. */
  notes: string[];
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

async function tryEngine(name: EngineName, notes: string[]): Promise<boolean> {
  try {
    if (name === 'webgpu') {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      if (!gpu || !(await gpu.requestAdapter())) {
        notes.push('webgpu: no adapter');
        return false;
      }
      await import('@tensorflow/tfjs-backend-webgpu');
    } else if (name === 'webgl') {
      const canvas = document.createElement('canvas');
      const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
      if (!gl) {
        notes.push('webgl: no context');
        return false;
      }
      // A software rasteriser (SwiftShader, llvmpipe: what a browser without a GPU gets) is slower than wasm.
      const info = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      if (/swiftshader|llvmpipe|software/i.test(renderer)) {
        notes.push(`webgl: software renderer (${renderer}), wasm is faster`);
        return false;
      }
      await import('@tensorflow/tfjs-backend-webgl');
    } else if (name === 'wasm') {
      setWasmPaths(new URL('./wasm/', document.baseURI).href);
      // Threads need SharedArrayBuffer, so a cross-origin isolated page; then one per core (up to 8).
      if (globalThis.crossOriginIsolated === true) setThreadsCount(Math.min(8, Math.max(1, navigator.hardwareConcurrency || 1)));
    }
    if (!(await tf.setBackend(name))) {
      notes.push(`${name}: did not start`);
      return false;
    }
    await tf.ready();
    return true;
  } catch (error) {
    notes.push(`${name}: ${firstLine(error)}`);
    return false;
  }
}

/**
 * Starts the fastest engine the browser has (webgpu → webgl → wasm → cpu), or the one named by `?engine=` in the
 * page's address. wasm runs threaded when the page is cross-origin isolated.
 */
export async function startEngine(preferred?: string | null): Promise<EngineInfo> {
  const notes: string[] = [];
  const isolated = globalThis.crossOriginIsolated === true;
  const order: EngineName[] = preferred && (ENGINES as readonly string[]).includes(preferred) ? [preferred as EngineName, 'cpu'] : [...ENGINES];
  if (preferred && !(ENGINES as readonly string[]).includes(preferred)) notes.push(`?engine=${preferred} is not one of ${ENGINES.join(', ')}`);
  for (const name of order) {
    if (await tryEngine(name, notes)) return describe(name, isolated, notes);
  }
  throw new Error(`no TF.js engine could start: ${notes.join('; ')}`);
}

function describe(name: EngineName, isolated: boolean, notes: string[]): EngineInfo {
  const threads = name === 'wasm' ? getThreadsCount() : 1;
  return { name, threads, isolated, notes };
}

/**
 * Kernels the stock wasm backend lacks for training a conv GAN (tfjs-backend-wasm 4.22 has no
 * Conv2DBackpropFilter): training moves to cpu there until gankit's wasm kernels run in the page.
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
