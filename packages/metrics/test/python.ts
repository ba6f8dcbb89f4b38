import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { referencePython, referencePythonPath } from '../../../testing/python';

/** Debian's Python with NumPy/SciPy (the pyenv python3 on PATH lacks them), or GANKIT_PYTHON. */
export const PYTHON = referencePythonPath();

/** The committed script that makes every statistics fixture. */
export const MAKE_FIXTURES = fileURLToPath(new URL('./fixtures/stats/make_fixtures.py', import.meta.url));

/** Directory of the committed statistics fixtures. */
export const STATS_FIXTURES = fileURLToPath(new URL('./fixtures/stats/', import.meta.url));

/** True when PYTHON can import numpy and scipy; prints why not otherwise. */
export function hasNumpyScipy(): boolean {
  return referencePython(['numpy', 'scipy.linalg'], 'the SciPy comparisons generated at test time') !== undefined;
}

/** Runs make_fixtures.py with `args`, returning stdout (throws with stderr on failure). */
export function runMakeFixtures(args: string[]): string {
  const r = spawnSync(PYTHON, [MAKE_FIXTURES, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`make_fixtures.py ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
