import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's Python with NumPy/SciPy (the pyenv python3 on PATH lacks them). */
export const PYTHON = process.env.GANKIT_PYTHON ?? '/usr/bin/python3';

/** The committed script that makes every statistics fixture. */
export const MAKE_FIXTURES = fileURLToPath(new URL('./fixtures/stats/make_fixtures.py', import.meta.url));

/** Directory of the committed statistics fixtures. */
export const STATS_FIXTURES = fileURLToPath(new URL('./fixtures/stats/', import.meta.url));

/** True when PYTHON can import numpy and scipy; prints why not otherwise. */
export function hasNumpyScipy(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import numpy, scipy.linalg'], { encoding: 'utf8' });
  const ok = r.status === 0;
  if (!ok) console.warn(`SKIPPED: ${PYTHON} with numpy + scipy is not available (${r.error?.message ?? r.stderr.trim()}); the SciPy comparisons generated at test time do not run`);
  return ok;
}

/** Runs make_fixtures.py with `args`, returning stdout (throws with stderr on failure). */
export function runMakeFixtures(args: string[]): string {
  const r = spawnSync(PYTHON, [MAKE_FIXTURES, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`make_fixtures.py ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
