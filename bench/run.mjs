#!/usr/bin/env node
// `pnpm bench`: builds the packages, then runs every bench/<name>/run.mjs in turn (each measures gankit and
// its reference side by side in the same run and writes bench/results/<name>.md), then prints the tables.
// Usage: pnpm bench [name ...]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const names = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync(here, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'run.mjs')))
      .map((d) => d.name);

execFileSync('pnpm', ['build'], { cwd: root, stdio: 'inherit' });
const failed = [];
for (const name of names) {
  console.log(`\n### bench/${name}`);
  try {
    execFileSync('node', [join(here, name, 'run.mjs')], { cwd: here, stdio: 'inherit' });
  } catch {
    failed.push(name);
  }
}
console.log('\n## Results\n');
for (const name of names) {
  const file = join(here, 'results', `${name}.md`);
  if (existsSync(file)) console.log(readFileSync(file, 'utf8'));
}
if (failed.length) {
  console.error(`bench failed: ${failed.join(', ')}`);
  process.exit(1);
}
