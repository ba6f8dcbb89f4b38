// Test helper shared by the apps' CLI tests: build the CLI once (turbo-cached; CI has built it already) and
// run it as a real child process.
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The repository root. */
export const repoDir = fileURLToPath(new URL('../', import.meta.url));

const builds = new Map<string, Promise<void>>();

/** Builds a workspace package and its dependencies with turbo, once per test process. */
export function buildPackage(filter: string): Promise<void> {
  let build = builds.get(filter);
  if (!build) {
    build = promisify(execFile)('pnpm', ['exec', 'turbo', 'run', 'build', `--filter=${filter}...`, '--output-logs=errors-only'], { cwd: repoDir, timeout: 280_000 }).then(() => undefined);
    builds.set(filter, build);
  }
  return build;
}

/** A finished child process: exit code, signal and its output. */
export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node script ...args` to completion (killed after `timeout` ms). */
export function runNode(script: string, args: string[], options: { cwd?: string; timeout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: options.cwd ?? repoDir, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 170_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export { referencePython } from './python';

/** Path of a file in the repository. */
export function repoPath(...parts: string[]): string {
  return join(repoDir, ...parts);
}
