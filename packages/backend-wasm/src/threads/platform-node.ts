// The Node platform: worker_threads, os.availableParallelism, V8's relaxed-SIMD flag, process.env.
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Platform, WorkerHandle, WorkerStart } from './platform';
import { enableWasmThreads } from './xnnpack-threads-node';

async function startNodeWorker(source: string, data: WorkerStart): Promise<WorkerHandle> {
  const script = `${source}\nconst { parentPort, workerData } = require('node:worker_threads');\nstart(workerData, () => parentPort.postMessage('ready'));`;
  const worker = new Worker(script, { eval: true, workerData: data });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  worker.unref(); // workers never keep the process alive
  return { terminate: () => void worker.terminate() };
}

/** The platform installed by `@gankit/backend-wasm`'s Node entry. */
export const nodePlatform: Platform = {
  name: 'node',
  cores: () => availableParallelism(),
  canShareMemory: () => true,
  canBlock: () => true,
  startWorker: startNodeWorker,
  // Relaxed SIMD is on by default from Node 22 (V8 11.4); Node 20's V8 has it behind this flag, which only adds instructions.
  enableRelaxedSimd: () => setFlagsFromString('--experimental-wasm-relaxed-simd'),
  env: (name) => process.env[name],
  enableXnnpackThreads: async (threads) => {
    await enableWasmThreads(threads);
  },
};
