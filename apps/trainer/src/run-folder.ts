import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GanKitError, fileError } from '@gankit/core';
import { atomicWriteFile } from '@gankit/core/node';

/** Paths inside a run folder. */
export interface RunPaths {
  root: string;
  config: string;
  metrics: string;
  samples: string;
  checkpoints: string;
  tensorboard: string;
  report: string;
  /** The final generator in TF.js Layers format (`model.json` + weights). */
  generator: string;
}

/** The layout of a run folder. */
export function runPaths(root: string): RunPaths {
  return {
    root,
    config: join(root, 'config.json'),
    metrics: join(root, 'metrics.jsonl'),
    samples: join(root, 'samples'),
    checkpoints: join(root, 'checkpoints'),
    tensorboard: join(root, 'tensorboard'),
    report: join(root, 'report.html'),
    generator: join(root, 'generator'),
  };
}

async function entries(dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(dir, 'read folder', error);
  }
}

/**
 * Makes the run folder ready: a missing or empty folder is created; a non-empty one is refused
 * (`OUTPUT_EXISTS`) unless `force` (its contents are deleted) or `resume` (it is kept as it is).
 */
export async function prepareRunFolder(root: string, mode: { force?: boolean; resume?: boolean }): Promise<RunPaths> {
  const paths = runPaths(root);
  const existing = await entries(root);
  if (existing && existing.length > 0 && !mode.resume) {
    if (!mode.force) {
      throw new GanKitError('OUTPUT_EXISTS', `output folder ${root} is not empty; pass --resume ${root} to continue that run or --force to overwrite it`, {
        path: root,
      });
    }
    for (const name of existing) await rm(join(root, name), { recursive: true, force: true });
  }
  try {
    for (const dir of [root, paths.samples, paths.checkpoints]) await mkdir(dir, { recursive: true });
  } catch (error) {
    throw fileError(root, 'create run folder', error);
  }
  return paths;
}

/** One line of `metrics.jsonl`. */
export type MetricsRecord = { step: number } & Record<string, number | string | null>;

/** Appends one JSON line to `metrics.jsonl`. */
export async function appendMetrics(paths: RunPaths, record: MetricsRecord): Promise<void> {
  try {
    await appendFile(paths.metrics, `${JSON.stringify(record)}\n`);
  } catch (error) {
    throw fileError(paths.metrics, 'append to', error);
  }
}

/** Reads every record of `metrics.jsonl` (a torn last line from a crash is ignored). */
export async function readMetrics(paths: RunPaths): Promise<MetricsRecord[]> {
  let text: string;
  try {
    text = await readFile(paths.metrics, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileError(paths.metrics, 'read', error);
  }
  const out: MetricsRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricsRecord);
    } catch {
      // A line cut short by kill -9: the checkpoint it belongs to was never completed.
    }
  }
  return out;
}

/** On resume, drops metrics written after the checkpoint being resumed, so the log continues seamlessly. */
export async function truncateMetricsAfter(paths: RunPaths, step: number): Promise<void> {
  const kept = (await readMetrics(paths)).filter((r) => r.step <= step);
  await atomicWriteFile(paths.metrics, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

const STEP_DIR = /^step-(\d+)$/;
/** The file written last inside a checkpoint; a folder without it is incomplete. */
export const CHECKPOINT_STATE = 'state.json';

/** Steps of the complete checkpoints in a run folder, ascending. */
export async function listCheckpoints(paths: RunPaths): Promise<number[]> {
  const names = (await entries(paths.checkpoints)) ?? [];
  const steps: number[] = [];
  for (const name of names) {
    const match = STEP_DIR.exec(name);
    if (!match) continue;
    const ok = await stat(join(paths.checkpoints, name, CHECKPOINT_STATE)).then(
      () => true,
      () => false,
    );
    if (ok) steps.push(Number(match[1]));
  }
  return steps.sort((a, b) => a - b);
}

/** The folder of the checkpoint at `step`. */
export function checkpointDir(paths: RunPaths, step: number): string {
  return join(paths.checkpoints, `step-${step}`);
}

/**
 * Writes a checkpoint atomically: `write` fills a temporary folder next to the checkpoints, which is renamed to
 * `step-N` only when complete — a crash at any moment leaves either the previous set or the new one, never half.
 */
export async function writeCheckpoint(paths: RunPaths, step: number, write: (dir: string) => Promise<void>): Promise<string> {
  const tmp = join(paths.checkpoints, `.tmp-step-${step}-${randomBytes(4).toString('hex')}`);
  const target = checkpointDir(paths, step);
  try {
    await mkdir(tmp, { recursive: true });
    await write(tmp);
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw fileError(target, 'write checkpoint', error);
  }
  return target;
}

/** Which checkpoint scored best so far. */
export interface BestCheckpoint {
  step: number;
  metric: string;
  value: number;
}

const bestFile = (paths: RunPaths) => join(paths.checkpoints, 'best.json');

/** Reads `checkpoints/best.json`, if any. */
export async function readBest(paths: RunPaths): Promise<BestCheckpoint | undefined> {
  try {
    return JSON.parse(await readFile(bestFile(paths), 'utf8')) as BestCheckpoint;
  } catch {
    return undefined;
  }
}

/** Records the best checkpoint (lower is better, as for FID). */
export async function writeBest(paths: RunPaths, best: BestCheckpoint): Promise<void> {
  await atomicWriteFile(bestFile(paths), JSON.stringify(best, null, 2));
}

/** Deletes old checkpoints, keeping the last `keepLast` and the best one; removes leftover temp folders. */
export async function pruneCheckpoints(paths: RunPaths, keepLast: number): Promise<void> {
  const steps = await listCheckpoints(paths);
  const best = await readBest(paths);
  const keep = new Set(steps.slice(-keepLast));
  if (best) keep.add(best.step);
  for (const step of steps) if (!keep.has(step)) await rm(checkpointDir(paths, step), { recursive: true, force: true });
  for (const name of (await entries(paths.checkpoints)) ?? []) {
    if (name.startsWith('.tmp-')) await rm(join(paths.checkpoints, name), { recursive: true, force: true });
  }
}

/** Writes a small JSON file (not atomically: used inside a checkpoint's temp folder). */
export async function writeJson(path: string, value: unknown): Promise<void> {
  try {
    await writeFile(path, JSON.stringify(value));
  } catch (error) {
    throw fileError(path, 'write', error);
  }
}
