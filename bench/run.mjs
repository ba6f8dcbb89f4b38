#!/usr/bin/env node
// `pnpm bench [name ...] [--readme]`: builds the packages, then runs every script of bench/<name>/ (`*.mjs`; each measures
// gankit and its reference — PyTorch, SciPy, torchvision, PIL — side by side in the same run and writes
// bench/results/<table>.md), then writes bench/README.md from all the result tables.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const isBench = (d) => d.isDirectory() && !['node_modules', 'results'].includes(d.name);
// `--readme`: only regenerate bench/README.md from the committed result tables.
const readmeOnly = process.argv.includes('--readme');
const args = process.argv.slice(2).filter((a) => a !== '--readme');
const names = readmeOnly ? [] : args.length ? args : readdirSync(here, { withFileTypes: true }).filter(isBench).map((d) => d.name).sort();
const scriptsOf = (name) => readdirSync(join(here, name)).filter((f) => f.endsWith('.mjs') && !f.includes('.tmp.') && !f.startsWith('_')).sort();

if (!readmeOnly) execFileSync('pnpm', ['build'], { cwd: root, stdio: 'inherit' });
const failed = [];
for (const name of names) {
  for (const script of scriptsOf(name)) {
    console.log(`\n### bench/${name}/${script}`);
    try {
      execFileSync('node', [join(here, name, script)], { cwd: here, stdio: 'inherit' });
    } catch {
      failed.push(`${name}/${script}`);
    }
  }
}

const tables = readdirSync(join(here, 'results')).filter((f) => f.endsWith('.md')).sort();
const readme = [
  '# gankit benchmarks',
  '',
  'Every table below was written by `pnpm bench` (or `pnpm bench NAME` for one folder), which builds the',
  'packages and runs each `bench/<name>/*.mjs`. Each script measures gankit and an independent reference',
  '(PyTorch 1.13 / torchvision / NumPy / SciPy / PIL from Debian) side by side in the same run and reports',
  'ratios; the machine and its load are printed with each table. Timings are never asserted in tests.',
  '',
  `Last regenerated on a ${cpus().length}-core ${cpus()[0]?.model ?? 'machine'}.`,
  '',
  ...tables.map((t) => readFileSync(join(here, 'results', t), 'utf8').trim() + '\n'),
].join('\n');
writeFileSync(join(here, 'README.md'), readme);
console.log(`\nwrote bench/README.md from ${tables.length} result tables`);
if (failed.length) {
  console.error(`bench failed: ${failed.join(', ')}`);
  process.exit(1);
}
