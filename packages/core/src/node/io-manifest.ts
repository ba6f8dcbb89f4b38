import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { GanKitError, fileError } from '../errors';

// Shared by io-model.ts and io-tensors.ts: the TF.js weights-manifest format on disk (a JSON file with a
// `weightsManifest` plus binary shard files next to it) and a two-phase atomic writer.

const weightEntrySchema = z.looseObject({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
  quantization: z.looseObject({ dtype: z.enum(['uint8', 'uint16', 'float16']) }).optional(),
});

/** The `weightsManifest` field of a TF.js model.json: groups of weights, each stored in one or more files. */
export const weightsManifestSchema = z.array(z.looseObject({ paths: z.array(z.string().min(1)).min(1), weights: z.array(weightEntrySchema) }));

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/** Bytes one manifest group needs, or `undefined` when it holds strings (variable length). */
export function manifestGroupBytes(weights: readonly tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const entry of weights) {
    const perElement = BYTES_PER_ELEMENT[entry.quantization?.dtype ?? entry.dtype];
    if (perElement === undefined) return undefined;
    total += entry.shape.reduce((a, b) => a * b, 1) * perElement;
  }
  return total;
}

/** Reads and parses a JSON file: missing → FILE_NOT_FOUND, not JSON or wrong structure → FILE_CORRUPT. */
export async function readManifestJson<T>(path: string, schema: z.ZodType<T>, what: string): Promise<{ raw: unknown; parsed: T }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw fileError(path, `read ${what}`, error);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new GanKitError('FILE_CORRUPT', `${path} is not valid JSON (${(error as Error).message}); expected a ${what}`, { path, cause: error });
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
    throw new GanKitError('FILE_CORRUPT', `${path} is not a valid ${what}: ${issues.join('; ')}`, { path, cause: result.error });
  }
  return { raw, parsed: result.data };
}

/**
 * Reads every weight file a manifest names (relative to the JSON file's folder), checks each group's byte
 * count against its specs, and returns the specs and the bytes concatenated in manifest order.
 */
export async function readManifestWeights(
  jsonPath: string,
  manifest: tf.io.WeightsManifestConfig,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const dir = dirname(jsonPath);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Buffer[] = [];
  for (const group of manifest) {
    const paths = group.paths.map((p) => join(dir, p));
    const buffers: Buffer[] = [];
    for (const path of paths) {
      try {
        buffers.push(await readFile(path));
      } catch (error) {
        throw fileError(path, `read weights listed in ${jsonPath}`, error);
      }
    }
    const actual = buffers.reduce((sum, b) => sum + b.byteLength, 0);
    const expected = manifestGroupBytes(group.weights);
    if (expected !== undefined && actual !== expected) {
      const where = paths.length === 1 ? paths[0] : paths.join(' + ');
      throw new GanKitError(
        'FILE_MISMATCH',
        `${where} holds ${actual} bytes but the weightsManifest in ${jsonPath} describes ${expected} bytes ` +
          `(${group.weights.length} tensors); the files are truncated or from a different save`,
        { path: paths[0] },
      );
    }
    specs.push(...group.weights);
    chunks.push(...buffers);
  }
  const all = Buffer.concat(chunks);
  return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
}

/** One file for `writeFilesAtomically`. */
export interface FileToWrite {
  path: string;
  data: string | Uint8Array;
}

async function writeAndSync(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Folders cannot be fsynced on every platform (Windows); the renames are still atomic.
  }
}

/**
 * Writes several files so that a crash never leaves a half-written one: every file is first written and
 * fsynced under a temp name in its folder, and only when all are on disk are they renamed into place, in
 * order (so write weights before the JSON that names them). A failure removes the temp files.
 */
export async function writeFilesAtomically(files: readonly FileToWrite[]): Promise<void> {
  const staged: { tmp: string; path: string }[] = [];
  let current = files[0]?.path ?? '';
  try {
    for (const file of files) {
      current = file.path;
      const dir = dirname(file.path);
      await mkdir(dir, { recursive: true });
      const folder = await stat(dir);
      if (!folder.isDirectory()) throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
      const tmp = join(dir, `.${basename(file.path)}.${randomBytes(6).toString('hex')}.tmp`);
      staged.push({ tmp, path: file.path });
      await writeAndSync(tmp, file.data);
    }
    while (staged.length > 0) {
      const next = staged[0]!;
      current = next.path;
      await rename(next.tmp, next.path);
      staged.shift();
    }
    for (const dir of new Set(files.map((f) => dirname(f.path)))) await syncFolder(dir);
  } catch (error) {
    await Promise.all(staged.map(({ tmp }) => rm(tmp, { force: true }).catch(() => undefined)));
    throw fileError(current, 'write', error);
  }
}

/** Copies a (possibly multi-part) TF.js WeightData into one contiguous byte array. */
export function weightBytes(weightData: tf.io.WeightData | undefined): Uint8Array {
  if (weightData === undefined) return new Uint8Array(0);
  const parts = Array.isArray(weightData) ? weightData : [weightData];
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(new Uint8Array(part), offset);
    offset += part.byteLength;
  }
  return out;
}
