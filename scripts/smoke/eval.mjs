// Install check for @gankit/eval: `npx gankit-eval` from the tarball in a fresh project, on the named MNIST.
import { execFileSync } from 'node:child_process';

const run = (args) => execFileSync('npx', ['--no-install', 'gankit-eval', ...args], { encoding: 'utf8' });
console.log(run(['--version']).trim());
const out = run(['fid', 'mnist:test', 'mnist:train', '--extractor', 'mnist', '--num', '300', '--no-progress']);
console.log(out.trim());
if (!/^FID\s+-?\d/m.test(out)) throw new Error('gankit-eval printed no FID');
