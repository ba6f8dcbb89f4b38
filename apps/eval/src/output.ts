import { readdir, stat } from 'node:fs/promises';
import { GanKitError, fileError } from '@gankit/core';

/** Throws (exit 1) when `path` — or `path.npz`, which NumPy would write for it — exists and `force` is off. */
export async function refuseExisting(path: string, force: boolean, what: string): Promise<void> {
  if (force) return;
  for (const candidate of path.endsWith('.npz') ? [path] : [path, `${path}.npz`]) {
    const exists = await stat(candidate).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw fileError(candidate, 'read', error);
      },
    );
    if (exists) throw new GanKitError('OUTPUT_EXISTS', `${what} ${candidate} already exists: choose another path${what === '--out' ? ' or pass --force' : ''}`, { path: candidate });
  }
}

/** Throws unless `dir` is missing or empty, or `force` is on. */
export async function refuseNonEmptyDir(dir: string, force: boolean): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new GanKitError('OUTPUT_EXISTS', `--out ${dir} is a file, expected a folder`, { path: dir });
    throw fileError(dir, 'read folder', error);
  }
  if (names.length > 0 && !force) {
    throw new GanKitError('OUTPUT_EXISTS', `--out ${dir} is not empty (${names.length} entries): choose an empty or new folder, or pass --force to replace its contents`, { path: dir });
  }
}
