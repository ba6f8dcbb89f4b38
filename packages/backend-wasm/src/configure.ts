import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';
import { convGemmRuntime } from './gemm/runtime';
import { replacedKernelNames, selectKernelVariant } from './register-all-kernels';
import { settings, updateSettings, type WasmSettings } from './settings';
import { useRelaxedSimd } from './simd';
import { platform } from './threads/platform';

/** What `configureWasm` accepts: any subset of the settings, plus XNNPACK's own thread pool (Node). */
export interface WasmConfigUpdate extends Partial<WasmSettings> {
  /**
   * Threads for tfjs-backend-wasm's own XNNPACK kernels in Node, on tfjs's threaded SIMD binary (tfjs turns them off
   * in Node, tfjs issue #3830). Only before the wasm backend starts; browsers: tfjs decides (cross-origin isolation).
   */
  xnnpackThreads?: number;
}

/** The wasm engine's settings now in force, and what they resolved to on this machine. */
export interface WasmConfig extends WasmSettings {
  /** Whether the kernels run their relaxed-SIMD (fused multiply-add) builds. */
  fma: boolean;
  /** `node` or `browser`. */
  platform: 'node' | 'browser';
  /** Whether worker threads can share memory here (a browser page: only when cross-origin isolated). */
  sharedMemory: boolean;
  /** Threads of tfjs-backend-wasm's own XNNPACK pool when the wasm backend is active (1 for tfjs's default Node setup). */
  xnnpackThreads: number | undefined;
}

/** The part of tfjs-backend-wasm's backend object that reports XNNPACK's threads. */
interface XnnpackReport {
  wasm?: { tfjs?: { getThreadsCount?: () => number } };
}

const MAX_THREADS = 64;
const ENGINES = ['gemm', 'xnnpack'] as const;
const STRATEGIES = ['auto', 'stacked', 'per-phase'] as const;

function invalid(field: string, expected: string, got: unknown): GanKitError {
  return new GanKitError('INVALID_ARGUMENT', `configureWasm: ${field} must be ${expected}, got ${JSON.stringify(got)}`);
}

function validate(update: WasmConfigUpdate): void {
  const { threads, convEngine, transposedConv, relaxedSimd, elementwise, kernels, xnnpackThreads } = update;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) throw invalid('threads', `an integer from 1 to ${MAX_THREADS}`, threads);
  if (convEngine !== undefined && !ENGINES.includes(convEngine)) throw invalid('convEngine', ENGINES.map((e) => `"${e}"`).join(' or '), convEngine);
  if (transposedConv !== undefined && !STRATEGIES.includes(transposedConv)) throw invalid('transposedConv', STRATEGIES.map((e) => `"${e}"`).join(', '), transposedConv);
  if (relaxedSimd !== undefined && typeof relaxedSimd !== 'boolean') throw invalid('relaxedSimd', 'true or false', relaxedSimd);
  if (elementwise !== undefined && typeof elementwise !== 'boolean') throw invalid('elementwise', 'true or false', elementwise);
  for (const [name, variant] of Object.entries(kernels ?? {})) {
    if (!replacedKernelNames().includes(name)) throw invalid(`kernels.${name}`, `one of the kernels gankit replaces (${replacedKernelNames().join(', ')})`, name);
    if (variant !== 'gankit' && variant !== 'stock') throw invalid(`kernels.${name}`, '"gankit" or "stock"', variant);
  }
  if (xnnpackThreads !== undefined) {
    if (!(Number.isInteger(xnnpackThreads) && xnnpackThreads >= 1 && xnnpackThreads <= 8)) throw invalid('xnnpackThreads', 'an integer from 1 to 8 (tfjs-backend-wasm pre-creates 8 workers)', xnnpackThreads);
    if (!platform().enableXnnpackThreads) throw new GanKitError('UNSUPPORTED', 'configureWasm: xnnpackThreads is for Node; in a browser tfjs-backend-wasm threads itself when the page is cross-origin isolated');
  }
}

/** The current settings and what they resolved to. */
export function wasmConfig(): WasmConfig {
  const host = platform();
  const xnnpackThreads = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as XnnpackReport).wasm?.tfjs?.getThreadsCount?.() : undefined;
  return { ...settings(), fma: useRelaxedSimd(), platform: host.name, sharedMemory: host.canShareMemory(), xnnpackThreads };
}

/**
 * The one place the wasm engine is configured (threads, conv engine, transposed-conv strategy, relaxed SIMD,
 * element-wise kernels, stock-vs-gankit per kernel, XNNPACK's threads in Node). Settings apply immediately where they
 * can and otherwise when the wasm backend starts; returns the resolved configuration. Example:
 * `await configureWasm({ threads: 4 })`. Defaults: `defaultWasmThreads()` threads, gankit's GEMM and kernels, relaxed
 * SIMD where accepted. `threads` is honoured only where workers can share memory (else 1: see `wasmConfig().sharedMemory`).
 */
export async function configureWasm(update: WasmConfigUpdate = {}): Promise<WasmConfig> {
  validate(update);
  const { xnnpackThreads, ...rest } = update;
  if (rest.relaxedSimd !== undefined && rest.relaxedSimd !== settings().relaxedSimd && gemmStarted) {
    throw new GanKitError('INVALID_ARGUMENT', 'configureWasm: relaxedSimd must be set before the first wasm kernel runs (the kernel modules are compiled once)');
  }
  if (xnnpackThreads !== undefined) {
    if ('wasm' in tf.engine().registry) throw new GanKitError('INVALID_ARGUMENT', 'configureWasm: xnnpackThreads must be set before the wasm backend starts (before initBackend({ backend: "wasm" }) or tf.setBackend("wasm"))');
    await platform().enableXnnpackThreads?.(xnnpackThreads);
  }
  updateSettings({ ...rest, kernels: { ...settings().kernels, ...rest.kernels } });
  if (rest.threads !== undefined && gemmStarted) updateSettings({ threads: await convGemmRuntime().setThreads(rest.threads) });
  if (rest.kernels && tf.findBackend('wasm') !== null) applyKernelVariants();
  return wasmConfig();
}

let gemmStarted = false;

/** Applies the kernel choices and starts the GEMM runtime at the configured thread count (`initBackend` calls it once the wasm backend is up, after registering the kernels). */
export async function startWasmKernels(): Promise<void> {
  applyKernelVariants();
  gemmStarted = true;
  updateSettings({ threads: await convGemmRuntime().setThreads(settings().threads) });
}

function applyKernelVariants(): void {
  for (const [name, variant] of Object.entries(settings().kernels)) selectKernelVariant(name, variant);
}
