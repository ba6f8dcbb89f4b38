import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import { GanKitError, fileError } from '@gankit/core';
import { writeIdx, writeNpz } from '@gankit/data/node';
import type { EvalOptions } from './args';
import type { EvaluateHooks } from './evaluate';
import { findGenerator, generateImages, loadGenerator, type SubsetInfo } from './inputs';
import { refuseNonEmptyDir } from './output';

const DEFAULT_SAMPLES = 10_000;
const CHUNK = 100;

/**
 * `gankit-eval sample GEN --num N --out DIR --format png|idx|npz`: writes N generated images as a dataset that
 * `@gankit/data` and torchvision read back — PNGs (in class subfolders `0…K−1`, zero-padded, for conditional
 * generators, as torchvision's ImageFolder expects), an IDX pair (`samples-images-idx3-ubyte`,
 * `samples-labels-idx1-ubyte`) or `samples.npz` (`images` uint8 [N, H, W, C], `labels` int64 [N]).
 * Everything is written into a staging folder next to DIR and renamed into place, so DIR is never half-written.
 */
export async function sampleToDisk(spec: string, options: EvalOptions, hooks: EvaluateHooks): Promise<{ output: string; count: number; subset: SubsetInfo }> {
  const out = options.out as string;
  const modelDir = await findGenerator(spec);
  if (!modelDir) throw new GanKitError('INVALID_ARGUMENT', `\`sample\` needs a gankit-train run folder or an exported generator (model.json), got "${spec}"`, { path: spec });
  await refuseNonEmptyDir(out, options.force);
  const handle = await loadGenerator(modelDir);
  const count = options.num ?? DEFAULT_SAMPLES;
  const [h, w, c] = handle.shape;
  if (options.sampleFormat === 'idx' && c !== 1 && c !== 3) throw new GanKitError('UNSUPPORTED_FORMAT', `IDX output needs 1 or 3 channels, the generator makes ${c}`);
  const sampling = { seed: options.seed, labels: options.labels, ...(options.truncation !== undefined ? { truncation: options.truncation } : {}) };
  const staging = join(dirname(out), `.${basename(out)}.${randomBytes(6).toString('hex')}.tmp`);
  const size = h * w * c;
  try {
    await mkdir(staging, { recursive: true });
    const classes = handle.numClasses;
    const width = classes === undefined ? 0 : String(classes - 1).length;
    const className = (label: number): string => String(label).padStart(width, '0');
    if (options.sampleFormat === 'png' && classes !== undefined) {
      for (let k = 0; k < classes; k++) await mkdir(join(staging, className(k)));
    }
    const all = options.sampleFormat === 'png' ? undefined : new Uint8Array(count * size);
    const labels = classes !== undefined ? new Int32Array(count) : undefined;
    const digits = String(count - 1).length;
    for (let start = 0; start < count; start += CHUNK) {
      const end = Math.min(count, start + CHUNK);
      const batch = generateImages(handle, start, end, sampling);
      if (labels && batch.labels) labels.set(batch.labels, start);
      if (all) all.set(batch.data, start * size);
      else {
        await Promise.all(
          Array.from({ length: end - start }, (_, i) => {
            const pixels = batch.data.subarray(i * size, (i + 1) * size);
            const folder = batch.labels ? join(staging, className(batch.labels[i]!)) : staging;
            const image = sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width: w, height: h, channels: c as 1 | 3 } });
            // single-channel output stays an 8-bit grayscale PNG (sharp would otherwise write RGB)
            return (c === 1 ? image.toColourspace('b-w') : image)
              .png()
              .toFile(join(folder, `${String(start + i).padStart(digits, '0')}.png`));
          }),
        );
      }
      hooks.progress?.update('sample', end, count);
      await new Promise((r) => setImmediate(r));
    }
    if (options.sampleFormat === 'idx') {
      await writeIdx(join(staging, 'samples-images-idx3-ubyte'), { dtype: 'uint8', shape: c === 1 ? [count, h, w] : [count, h, w, c], data: all! });
      if (labels) await writeIdx(join(staging, 'samples-labels-idx1-ubyte'), { dtype: 'uint8', shape: [count], data: Uint8Array.from(labels) });
    } else if (options.sampleFormat === 'npz') {
      await writeNpz(join(staging, 'samples.npz'), {
        images: { dtype: 'uint8', shape: [count, h, w, c], data: all! },
        ...(labels ? { labels: { dtype: 'int64', shape: [count], data: BigInt64Array.from(labels, (l) => BigInt(l)) } } : {}),
      });
    }
    await replaceDir(staging, out);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    handle.model.dispose();
  }
  return { output: out, count, subset: { input: spec, count, of: null, seed: options.seed } };
}

/** Moves `staging` to `target`: an empty target is removed first; with --force a full one is moved aside, then deleted. */
async function replaceDir(staging: string, target: string): Promise<void> {
  const aside = `${target}.${randomBytes(6).toString('hex')}.old`;
  let movedAside = false;
  try {
    await rmdir(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      await rename(target, aside);
      movedAside = true;
    } else if (code !== 'ENOENT') {
      throw fileError(target, 'replace', error);
    }
  }
  try {
    await rename(staging, target);
  } catch (error) {
    if (movedAside) await rename(aside, target);
    throw fileError(target, 'write', error);
  }
  if (movedAside) await rm(aside, { recursive: true, force: true });
}
