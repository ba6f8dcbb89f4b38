import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileError } from '@gankit/core';

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (error) {
      throw fileError(d, 'list', error);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

async function hashFileContent(path: string, hash: ReturnType<typeof createHash>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', resolve)
      .on('error', (error) => reject(fileError(path, 'read', error)));
  });
}

/**
 * A fingerprint that changes whenever an input changes: for a folder, every file's relative path, size and
 * modification time (reading 50k images again just to hash them would cost as much as the features); for a
 * single file, its full content.
 */
export async function fingerprintPath(path: string): Promise<string> {
  const hash = createHash('sha256');
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw fileError(path, 'read', error);
  }
  if (info.isDirectory()) {
    for (const file of await listFiles(path)) {
      const s = await stat(file);
      hash.update(`${relative(path, file)}\0${s.size}\0${s.mtimeMs}\n`);
    }
  } else {
    await hashFileContent(path, hash);
  }
  return hash.digest('hex');
}

/** A short stable hash of a JSON-serialisable value. */
export function hashKey(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}
