#!/usr/bin/env node
// pnpm docs:check — keeps the READMEs' commands and their quoted output current.
//
// 1. Quoted output. A README marks a fenced block as the output of a command with a comment just above it:
//      <!-- docs:check run="node apps/eval/dist/cli.js all ..." vary="^time " -->
//    The command runs from the repository root (or `cwd="tmp"`: a fresh temporary folder) and its stdout must equal
//    the block, except lines matching `vary` (timings), of which only the part before the first number is
//    compared. `--update` rewrites the blocks with the fresh output instead. The command (or, for the CLIs,
//    its `gankit-train` / `gankit-eval` form) must also appear in the README's text.
// 2. Long-running commands (the demo, the full CI): not run here, but checked to exist and to parse — see LONG.
//
// Usage: node scripts/docs-check.mjs [--update] [README.md ...]   (default: every tracked README.md)
// Needs the trainer and eval builds (`pnpm docs:check` builds them first).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const update = args.includes('--update');
const files = args.filter((a) => !a.startsWith('--')).map((f) => resolve(f));
const readmes = files.length
  ? files
  : execFileSync('git', ['ls-files', '*README.md'], { cwd: root, encoding: 'utf8' }).split('\n').filter((f) => f && !f.startsWith('.changeset/')).map((f) => join(root, f));

const problems = [];
const notes = [];
const where = (file, line) => `${relative(root, file)}:${line}`;

/** Runs a shell command; returns stdout or records a problem. */
function run(command, cwd, label) {
  const r = spawnSync('bash', ['-c', command], { cwd, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 10 * 60_000, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
  if (r.status !== 0) {
    problems.push(`${label}: \`${command}\` exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    return undefined;
  }
  return r.stdout;
}

const attr = (text, name) => new RegExp(`${name}="((?:[^"\\\\]|\\\\.)*)"`).exec(text)?.[1]?.replace(/\\"/g, '"');
const shownForms = (command) => [command, command.replace(/^node apps\/eval\/dist\/cli\.js/, 'gankit-eval').replace(/^node apps\/trainer\/dist\/cli\.js/, 'gankit-train')];

/** Compares expected and actual output; `vary` lines compare only up to their first digit. */
function differs(expected, actual, vary) {
  const a = expected.replace(/\s+$/, '').split('\n');
  const b = actual.replace(/\s+$/, '').split('\n');
  if (a.length !== b.length) return `${a.length} lines quoted, the command prints ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i].trimEnd(), b[i].trimEnd()];
    const same = vary && vary.test(y) ? x.split(/\d/)[0] === y.split(/\d/)[0] : x === y;
    if (!same) return `line ${i + 1} is quoted as "${x}" but is now "${y}"`;
  }
  return undefined;
}

for (const file of readmes) {
  let text = readFileSync(file, 'utf8');
  const marker = /<!-- docs:check ([^\n]*?)-->\n(```[^\n]*\n)([\s\S]*?)```/g;
  let changed = false;
  let match;
  const replacements = [];
  while ((match = marker.exec(text)) !== null) {
    const line = text.slice(0, match.index).split('\n').length;
    const command = attr(match[1], 'run');
    if (!command) {
      problems.push(`${where(file, line)}: docs:check marker without run="..."`);
      continue;
    }
    const visible = text.replace(/<!--[\s\S]*?-->/g, '');
    if (!shownForms(command).some((form) => visible.includes(form))) problems.push(`${where(file, line)}: the README does not show the command it quotes: ${command}`);
    // A package's example script must be the README's code block, word for word.
    const example = /^node ((?:packages|apps)\/[\w-]+\/examples\/[\w.-]+\.mjs)$/.exec(command)?.[1];
    if (example && !visible.includes(readFileSync(join(root, example), 'utf8').trimEnd())) problems.push(`${where(file, line)}: the README's code block is not ${example} word for word`);
    const varyText = attr(match[1], 'vary');
    const vary = varyText ? new RegExp(varyText) : undefined;
    const tmp = attr(match[1], 'cwd') === 'tmp' ? mkdtempSync(join(tmpdir(), 'gankit-docs-')) : undefined;
    const started = performance.now();
    // In a temporary folder, a script path relative to the repository becomes absolute.
    const runnable = tmp ? command.replace(/^node (?!\/)(\S+)/, (_, script) => `node ${join(root, script)}`) : command;
    const actual = run(runnable, tmp ?? root, where(file, line));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (actual === undefined) continue;
    notes.push(`${where(file, line)}: ran \`${command}\` (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    const why = differs(match[3], actual, vary);
    if (why && update) {
      const value = actual.replace(/\s+$/, '').split('\n').map((l) => l.trimEnd()).join('\n');
      replacements.push({ start: match.index + match[0].length - match[3].length - 3, end: match.index + match[0].length - 3, value: `${value}\n` });
      notes.push(`${where(file, line)}: updated (${why})`);
      changed = true;
    } else if (why) {
      problems.push(`${where(file, line)}: the quoted output of \`${command}\` is stale: ${why} (run \`pnpm docs:check --update\`)`);
    }
  }
  if (changed) {
    for (const r of replacements.reverse()) text = text.slice(0, r.start) + r.value + text.slice(r.end);
    writeFileSync(file, text);
  }
}

// Long-running commands: checked to exist and parse, not run (the demo trains 2,000 steps; `pnpm run ci` is CI).
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const LONG = [
  {
    command: 'bash scripts/setup.sh && pnpm demo',
    check() {
      run('bash -n scripts/setup.sh', root, 'README.md');
      const demo = pkg.scripts?.demo;
      if (!demo) return problems.push('README.md: `pnpm demo` has no "demo" script in package.json');
      const [build, trainer] = demo.split(' && ');
      // The demo's trainer command, with --print-config: the preset and arguments parse, nothing is written.
      if (trainer) run(`${trainer} --print-config > /dev/null`, root, 'README.md (pnpm demo)');
      // Every built CLI the README's next commands use must be built by the demo.
      for (const [, kind, name] of readme.matchAll(/\b(apps|packages)\/([\w-]+)\/dist\//g)) {
        const pkgName = JSON.parse(readFileSync(join(root, kind, name, 'package.json'), 'utf8')).name;
        if (!build.includes(`--filter=${pkgName}...`)) problems.push(`README.md: \`pnpm demo\` does not build ${pkgName}, but the README then runs ${kind}/${name}/dist`);
      }
    },
  },
  {
    command: 'node apps/eval/dist/cli.js all mnist:test runs/demo --extractor mnist --num 5000',
    check() {
      // Needs the demo's run folder: in an empty folder it must get past argument parsing and name the missing input.
      const tmp = mkdtempSync(join(tmpdir(), 'gankit-docs-'));
      const r = spawnSync('bash', ['-c', `${this.command.replace('apps/eval/dist/cli.js', join(root, 'apps/eval/dist/cli.js'))} --no-progress`], { cwd: tmp, encoding: 'utf8' });
      rmSync(tmp, { recursive: true, force: true });
      if (r.status !== 1 || !/runs\/demo/.test(r.stderr)) problems.push(`README.md: \`${this.command}\` does not parse (exit ${r.status}: ${r.stderr.trim()})`);
    },
  },
  {
    command: 'bash scripts/setup.sh --test && pnpm run ci',
    check() {
      if (!pkg.scripts?.ci) problems.push('README.md: `pnpm run ci` has no "ci" script in package.json');
      if (!readFileSync(join(root, 'scripts/setup.sh'), 'utf8').includes('--test)')) problems.push('README.md: scripts/setup.sh does not accept --test');
    },
  },
];
if (!files.length || files.includes(join(root, 'README.md'))) {
  for (const long of LONG) {
    if (!readme.includes(long.command)) {
      problems.push(`README.md no longer shows \`${long.command}\`: update scripts/docs-check.mjs (LONG)`);
      continue;
    }
    long.check();
    notes.push(`README.md: \`${long.command}\` exists and parses (long-running: not run here)`);
  }
}
if (!existsSync(join(root, 'apps/eval/dist/cli.js'))) problems.push('apps/eval/dist/cli.js is missing: run `pnpm docs:check` (it builds first)');

for (const n of notes) console.log(`docs:check: ${n}`);
if (problems.length) {
  for (const p of problems) console.error(`docs:check: ${p}`);
  process.exit(1);
}
console.log(`docs:check: ${readmes.length} READMEs current`);
