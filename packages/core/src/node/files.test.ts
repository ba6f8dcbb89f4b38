import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { atomicWriteFile, readJsonFile } from './files';
import { GanKitError } from '../errors';

describe('atomicWriteFile and readJsonFile', () => {
  it('writes atomically, creating folders and leaving no temp files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gankit-files-'));
    const path = join(dir, 'a', 'b.json');
    await atomicWriteFile(path, JSON.stringify({ step: 3 }));
    await atomicWriteFile(path, JSON.stringify({ step: 4 }));
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ step: 4 });
    expect(await readdir(join(dir, 'a'))).toEqual(['b.json']);
  });

  it('validates JSON with a schema and names the file and every bad field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gankit-files-'));
    const path = join(dir, 'c.json');
    await writeFile(path, JSON.stringify({ step: 'x', lr: -1 }));
    const schema = z.object({ step: z.number(), lr: z.number().positive() });
    const error = await readJsonFile(path, schema).catch((e: unknown) => e);
    expect(GanKitError.isInstance(error)).toBe(true);
    expect((error as GanKitError).code).toBe('CONFIG_INVALID');
    expect((error as GanKitError).message).toMatch(/c\.json.*step.*lr/);
    await writeFile(path, '{oops');
    expect(((await readJsonFile(path, schema).catch((e: unknown) => e)) as GanKitError).code).toBe('FILE_CORRUPT');
    expect(((await readJsonFile(join(dir, 'missing.json'), schema).catch((e: unknown) => e)) as GanKitError).code).toBe('FILE_NOT_FOUND');
  });
});
