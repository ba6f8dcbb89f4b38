// Where gankit's Inception extraction spends its time (not part of `pnpm bench`: the leading underscore): tf.profile's
// per-kernel wall time of one extract() call, and the process CPU time per image with the GFLOP per CPU-second that
// makes (CPU time moves less than wall time on a loaded machine).
// Usage: pnpm build && node bench/metrics/_profile-inception.mjs [--threads 1] [--batch 8] [--size 64]
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@gankit/core';
import { initBackend } from '@gankit/backend-wasm';
import { inceptionV3 } from '@gankit/metrics/node';

const { values: args } = parseArgs({ options: { threads: { type: 'string', default: '1' }, batch: { type: 'string', default: '8' }, size: { type: 'string', default: '64' } } });
const [THREADS, BATCH, SIZE] = [Number(args.threads), Number(args.batch), Number(args.size)];
const FLOPS_PER_IMAGE = 11.43e9; // bench/metrics/extract_torch.py's count (convolutions + logits at 299×299)
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const dir = join(os.tmpdir(), 'gankit-bench-extract', 'weights');
if (!existsSync(join(dir, 'weights.legacy.pth'))) {
  mkdirSync(dir, { recursive: true });
  execFileSync(process.env.GANKIT_PYTHON || '/usr/bin/python3', [join(root, 'packages/metrics/test/fixtures/inception/make_reference.py'), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
}
await initBackend({ backend: 'wasm', threads: THREADS });
const extractor = await inceptionV3({ weightsPath: join(dir, 'weights.legacy.pth'), maxBatch: BATCH });
const rng = createRng(1);
const pixels = new Int32Array(BATCH * SIZE * SIZE * 3).map(() => rng.int(256));
const x = tf.tensor4d(pixels, [BATCH, SIZE, SIZE, 3], 'int32');
await extractor.extract(x); // warm-up
const c0 = process.cpuUsage();
const t0 = performance.now();
await extractor.extract(x);
const wall = (performance.now() - t0) / 1000;
const c = process.cpuUsage(c0);
const cpu = (c.user + c.system) / 1e6;
const profile = await tf.profile(async () => {
  await extractor.extract(x);
});
const byKernel = new Map();
// tfjs lists a kernel that wraps another (gankit's FusedConv2D over fusedConv2d__op) twice: count the outer names only
for (const k of profile.kernels.filter((k) => !k.name.endsWith('__op'))) {
  const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += k.kernelTimeMs;
  e.calls++;
  byKernel.set(k.name, e);
}
const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
console.log(`Inception, batch ${BATCH} of ${SIZE}×${SIZE} → 299×299, ${THREADS} thread(s); load: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
console.log(`one extract(): wall ${wall.toFixed(2)} s, process CPU ${cpu.toFixed(2)} s = ${(cpu / BATCH).toFixed(3)} CPU-s per image, ${((FLOPS_PER_IMAGE * BATCH) / cpu / 1e9).toFixed(1)} GFLOP per CPU-s`);
console.log('\n| kernel | calls | ms (tf.profile, wall) | share |\n| --- | ---: | ---: | ---: |');
for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms)) console.log(`| ${name} | ${e.calls} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / total).toFixed(2)}% |`);
tf.dispose(x);
extractor.dispose();
process.exit(0);
