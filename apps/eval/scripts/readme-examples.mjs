// Runs the example commands of apps/eval/README.md and writes their outputs into it (or checks them).
//
//   pnpm --filter @gankit/eval build && node apps/eval/scripts/readme-examples.mjs          # rewrite the README
//   node apps/eval/scripts/readme-examples.mjs --check                                      # exit 1 if stale
//
// Each example is a block in the README between `<!-- example:NAME -->` and `<!-- /example:NAME -->`: the
// commands (one `$ gankit-eval …` line each) and, below them, what the last command printed. Commands run in one
// fresh temporary folder per example (so relative output paths work) with an empty statistics cache. `--check`
// ignores the `time` line, the only part that changes from run to run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const readmePath = join(here, '..', 'README.md');
const cli = join(here, '..', 'dist', 'cli.js');

/** The examples, in README order: each runs its commands in order and shows the output of the last. */
export const EXAMPLES = {
  all: [['all', 'mnist:test', 'mnist:train', '--extractor', 'mnist', '--num', '1000', '--seed', '1', '--kid-subsets', '20', '--kid-subset-size', '500']],
  'pytorch-fid': [['fid', 'fashion-mnist:test', 'mnist:test', '--extractor', 'mnist', '--num', '1000', '--format', 'pytorch-fid']],
  shards: [
    ['stats', 'mnist:train', '--extractor', 'mnist', '--num', '2000', '--shard', '0/2', '--out', 'part0.npz'],
    ['stats', 'mnist:train', '--extractor', 'mnist', '--num', '2000', '--shard', '1/2', '--out', 'part1.npz'],
    ['merge-stats', 'part0.npz', 'part1.npz', '--out', 'train2k.npz'],
    ['fid', 'train2k.npz', 'mnist:test', '--extractor', 'mnist', '--num', '2000'],
  ],
};

function run(args, cwd, cache) {
  const r = spawnSync(process.execPath, [cli, ...args, '--no-progress'], { cwd, encoding: 'utf8', env: { ...process.env, GANKIT_CACHE_DIR: cache, GANKIT_INCEPTION_WEIGHTS: '' } });
  if (r.status !== 0) throw new Error(`gankit-eval ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trimEnd();
}

function block(name, commands, output) {
  const shown = commands.map((c) => `$ gankit-eval ${c.join(' ')}`).join('\n');
  return `<!-- example:${name} -->\n\`\`\`console\n${shown}\n${output}\n\`\`\`\n<!-- /example:${name} -->`;
}

const withoutTime = (text) => text.replace(/^time +.*$/gm, 'time');

const check = process.argv.includes('--check');
let readme = readFileSync(readmePath, 'utf8');
let stale = [];
for (const [name, commands] of Object.entries(EXAMPLES)) {
  const pattern = new RegExp(`<!-- example:${name} -->[\\s\\S]*?<!-- /example:${name} -->`);
  const current = pattern.exec(readme);
  if (!current) throw new Error(`README has no <!-- example:${name} --> block`);
  const cwd = mkdtempSync(join(tmpdir(), 'gankit-readme-'));
  let output = '';
  try {
    for (const args of commands) output = run(args, cwd, join(cwd, '.cache'));
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  const fresh = block(name, commands, output);
  if (withoutTime(current[0]) !== withoutTime(fresh)) stale.push(name);
  readme = readme.replace(current[0], fresh);
}
if (check) {
  if (stale.length) {
    console.error(`apps/eval/README.md examples out of date: ${stale.join(', ')} (run node apps/eval/scripts/readme-examples.mjs)`);
    process.exit(1);
  }
  console.log('README examples are current');
} else {
  writeFileSync(readmePath, readme);
  console.log(stale.length ? `updated: ${stale.join(', ')}` : 'README examples were already current');
}
