// The one place tests find the reference Python (Debian's, with NumPy/SciPy/PyTorch): every test that compares
// against Python goes through here, so the documented GANKIT_PYTHON override works everywhere.
import { spawnSync } from 'node:child_process';

/** The reference Python: `GANKIT_PYTHON`, else Debian's `/usr/bin/python3` (the pyenv python3 on PATH lacks torch/scipy). */
export function referencePythonPath(): string {
  return process.env.GANKIT_PYTHON || '/usr/bin/python3';
}

const probes = new Map<string, string | undefined>();

/** Why `python -c "import modules"` fails, or undefined when it works. */
function importProblem(python: string, modules: readonly string[]): string | undefined {
  const probe = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (probe.error) return probe.error.message;
  if (probe.status !== 0) return (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`).trim();
  return undefined;
}

/**
 * The reference Python when it imports every module in `modules`, else undefined after printing one visible
 * `SKIPPED <what>: ...` line. With `GANKIT_REQUIRE_PYTHON=1` (CI, where setup.sh --test installs them) a missing
 * module throws instead, so a reference check can never be skipped unnoticed.
 */
export function referencePython(modules: readonly string[] = ['numpy', 'scipy'], what = 'the Python reference checks'): string | undefined {
  const python = referencePythonPath();
  const key = `${python}\0${modules.join(',')}`;
  if (!probes.has(key)) {
    const problem = importProblem(python, modules);
    if (problem !== undefined) {
      const message = `${python} cannot import ${modules.join(', ')} (${problem}); set GANKIT_PYTHON to a Python that has them (bash scripts/setup.sh --test installs Debian's)`;
      if (process.env.GANKIT_REQUIRE_PYTHON === '1') throw new Error(`GANKIT_REQUIRE_PYTHON=1 but ${message}`);
      console.warn(`SKIPPED ${what}: ${message}`);
    }
    probes.set(key, problem === undefined ? python : undefined);
  }
  return probes.get(key);
}
