#!/usr/bin/env node
// The trainer's wasm step before and after a change, in one run: child processes of this checkout's
// bench/train-step/run.mjs and of another checkout's (built, e.g. a git worktree of the previous main) alternate,
// so both see the same machine load. Prints a table of median step times, ratios and the load.
// Usage: node bench/train-step/before-after.mjs --before /path/to/old/checkout [--rounds 4] [--steps 8]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { before: { type: 'string' }, rounds: { type: 'string', default: '4' }, steps: { type: 'string', default: '8' } } });
if (!values.before || !existsSync(join(values.before, 'bench', 'train-step', 'run.mjs'))) {
  console.error('before-after: --before must be a built checkout with bench/train-step/run.mjs (e.g. git worktree add /tmp/before <commit> && pnpm install && pnpm build)');
  process.exit(2);
}
const scripts = { before: join(values.before, 'bench', 'train-step', 'run.mjs'), after: fileURLToPath(new URL('./run.mjs', import.meta.url)) };
const rounds = Number(values.rounds);
const steps = Number(values.steps);
const WARMUP = 2;

function child(script, threads) {
  const job = { kind: 'train', model: 'm28', backend: 'wasm', convEngine: 'gemm', threads, batch: 64, steps: steps + WARMUP, warmup: WARMUP };
  const res = spawnSync(process.execPath, [script, '--child', JSON.stringify(job)], { encoding: 'utf8', timeout: 900_000, maxBuffer: 64 << 20 });
  const line = (res.stdout ?? '').split('\n').find((l) => l.startsWith('@@RESULT '));
  if (!line) throw new Error(`${script} failed: ${(res.stderr || res.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(line.slice('@@RESULT '.length)).stepMs;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loads = [os.loadavg()[0]];
const rows = [];
for (const threads of [1, 2]) {
  const times = { before: [], after: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so neither always runs on the warmer machine.
    for (const side of r % 2 === 0 ? ['before', 'after'] : ['after', 'before']) times[side].push(...child(scripts[side], threads));
    loads.push(os.loadavg()[0]);
  }
  const [b, a] = [median(times.before), median(times.after)];
  rows.push(`| DCGAN-28 (mnist-dcgan), batch 64, wasm, ${threads} thread${threads > 1 ? 's' : ''} | ${b.toFixed(0)} | ${a.toFixed(0)} | ${(a / b).toFixed(2)}× | ${times.before.length} + ${times.after.length} |`);
}
console.log(`## Trainer step before/after (${rounds} alternating rounds of ${steps} timed steps per side and thread count)\n`);
console.log('| step | before ms (median) | after ms (median) | after / before | steps timed |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
console.log(`\nnode ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; 1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the run`);
