// Install check for @gankit/trainer: `npx gankit-train` from the tarball in a fresh project, a few real steps.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const run = (args) => execFileSync('npx', ['--no-install', 'gankit-train', ...args], { encoding: 'utf8' });
console.log(run(['--version']).trim());
console.log(run(['--preset', 'mnist-gan', '--steps', '4', '--batch-size', '16', '--out', 'runs/smoke']).trim().split('\n').slice(-4).join('\n'));
const samples = existsSync('runs/smoke/samples') ? readdirSync('runs/smoke/samples') : [];
if (!samples.some((f) => f.endsWith('.png'))) throw new Error('gankit-train wrote no sample grid');
if (!existsSync('runs/smoke/generator/model.json')) throw new Error('gankit-train exported no generator');
