import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { z } from 'zod';
import { GanKitError, fileError } from '../errors';
import { parseWithSchema } from '../schema';

/** Writes a file atomically: data goes to a temp file in the same folder, is fsynced, then renamed over the target. */
export async function atomicWriteFile(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw fileError(path, 'write', error);
  }
}

/** Reads a file, turning file-system errors into GanKitErrors that name the path. */
export async function readFileOrThrow(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw fileError(path, 'read', error);
  }
}

/** Reads a JSON file and validates it with a zod schema; every problem is reported with the file's path. */
export async function readJsonFile<T>(path: string, schema: z.ZodType<T>): Promise<T> {
  const text = (await readFileOrThrow(path)).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new GanKitError('FILE_CORRUPT', `${path} is not valid JSON: ${(error as Error).message}`, { path, cause: error });
  }
  return parseWithSchema(raw, schema, path);
}
