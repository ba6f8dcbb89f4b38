import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const trainerDir = fileURLToPath(new URL('../../', import.meta.url));
const repoDir = fileURLToPath(new URL('../../../../', import.meta.url));

let built: Promise<string> | undefined;

/**
 * Builds the trainer and the packages it depends on with turbo (cached: a no-op when nothing changed; CI has
 * built everything already) and returns the path of the shipped entry point `dist/cli.js`, which the CLI tests run
 * as a real child process.
 */
export function buildTestCli(): Promise<string> {
  built ??= (async () => {
    await promisify(execFile)('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@gankit/trainer...', '--output-logs=errors-only'], {
      cwd: repoDir,
      timeout: 280_000,
    });
    return join(trainerDir, 'dist', 'cli.js');
  })();
  return built;
}

/** A finished child process: exit code, signal and its output. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI bundle to completion. */
export async function runCli(args: string[], options: { cwd?: string; timeout?: number } = {}): Promise<RunResult> {
  const cli = await buildTestCli();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: options.cwd ?? trainerDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 150_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Starts the CLI with `--json` and calls `onEvent` for every JSON line; resolves when the process exits. */
export async function runCliWithEvents(
  args: string[],
  onEvent: (event: Record<string, unknown>, child: ChildProcess) => void,
): Promise<RunResult> {
  const cli = await buildTestCli();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args, '--json'], { cwd: trainerDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          onEvent(JSON.parse(line) as Record<string, unknown>, child);
        } catch {
          // not a JSON line
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
