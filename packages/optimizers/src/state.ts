import * as tf from '@tensorflow/tfjs-core';
import { GanKitError, type NamedTensor } from '@gankit/core';
import { loadWeightsMap, saveWeightsMap, type WeightsMap } from '@gankit/core/node';
import type { ExponentialMovingAverage } from './ema';
import { ScheduledOptimizer } from './schedules';

/** The training objects whose state is saved and restored together. */
export interface TrainingStateParts {
  /** Optimizers (plain or wrapped in a schedule) by a name of your choice. */
  optimizers?: Record<string, tf.Optimizer | ScheduledOptimizer>;
  /** Moving averages by name. */
  emas?: Record<string, ExponentialMovingAverage>;
  /** Plain variables by name (e.g. the weights of a network built from tf ops). */
  variables?: Record<string, tf.Variable[]>;
}

/** Options of `saveTrainingState` / `loadTrainingState`. */
export interface TrainingStateOptions {
  /** Base file name: `<name>.json` + `<name>.bin` (default `optimizer-state`). */
  name?: string;
}

/** Options of `saveTrainingState`. */
export interface SaveTrainingStateOptions extends TrainingStateOptions {
  /** Any JSON data saved in the same atomic write (RNG states, counters...). */
  extra?: Record<string, unknown>;
}

/** Format tag written into the metadata. */
export const TRAINING_STATE_FORMAT = 'gankit-training-state';

interface OptimizerMeta { className: string; slotNames: string[]; scheduleStep?: number }
interface StateMeta {
  format: typeof TRAINING_STATE_FORMAT;
  version: 1;
  optimizers: Record<string, OptimizerMeta>;
  emas: Record<string, { updates: number; count: number }>;
  variables: Record<string, number>;
  extra?: Record<string, unknown>;
}

function unwrap(entry: tf.Optimizer | ScheduledOptimizer): { optimizer: tf.Optimizer; schedule?: ScheduledOptimizer } {
  return entry instanceof ScheduledOptimizer ? { optimizer: entry.optimizer, schedule: entry } : { optimizer: entry };
}

const tensorName = (group: string, key: string, index: number) => `${group}/${key}/${index}`;

/**
 * Saves optimizer slots and iteration counts, schedule positions, EMA shadows and counters, and plain variables
 * to `<dir>/<name>.json` + `.bin` in one atomic write (through `@gankit/core`'s `saveWeightsMap`).
 */
export async function saveTrainingState(dir: string, parts: TrainingStateParts, options: SaveTrainingStateOptions = {}): Promise<void> {
  const entries: NamedTensor[] = [];
  const owned: tf.Tensor[] = [];
  const meta: StateMeta = { format: TRAINING_STATE_FORMAT, version: 1, optimizers: {}, emas: {}, variables: {} };
  if (options.extra !== undefined) meta.extra = options.extra;
  try {
    for (const [key, entry] of Object.entries(parts.optimizers ?? {})) {
      const { optimizer, schedule } = unwrap(entry);
      const weights = await optimizer.getWeights();
      if (weights[0] !== undefined) owned.push(weights[0].tensor); // the iteration count is a fresh scalar
      weights.forEach((w, i) => entries.push({ name: tensorName('optimizers', key, i), tensor: w.tensor }));
      meta.optimizers[key] = { className: optimizer.getClassName(), slotNames: weights.map((w) => w.name), ...(schedule ? { scheduleStep: schedule.step } : {}) };
    }
    for (const [key, ema] of Object.entries(parts.emas ?? {})) {
      ema.shadows.forEach((s, i) => entries.push({ name: tensorName('emas', key, i), tensor: s }));
      meta.emas[key] = { ...ema.getState(), count: ema.shadows.length };
    }
    for (const [key, variables] of Object.entries(parts.variables ?? {})) {
      variables.forEach((v, i) => entries.push({ name: tensorName('variables', key, i), tensor: v }));
      meta.variables[key] = variables.length;
    }
    await saveWeightsMap(dir, entries, { name: options.name ?? 'optimizer-state', metadata: meta as unknown as Record<string, unknown> });
  } finally {
    tf.dispose(owned);
  }
}

function parseMeta(map: WeightsMap, where: string): StateMeta {
  const meta = map.metadata as Partial<StateMeta> | undefined;
  if (meta?.format !== TRAINING_STATE_FORMAT || meta.version !== 1 || typeof meta.optimizers !== 'object' || typeof meta.emas !== 'object' || typeof meta.variables !== 'object') {
    throw new GanKitError('FILE_CORRUPT', `${where} is not a gankit training state (expected metadata.format "${TRAINING_STATE_FORMAT}", version 1)`, { path: where });
  }
  return meta as StateMeta;
}

function tensorsOf(map: WeightsMap, group: string, key: string, count: number, where: string): tf.Tensor[] {
  return Array.from({ length: count }, (_, i) => {
    const tensor = map.tensors[tensorName(group, key, i)];
    if (tensor === undefined) throw new GanKitError('FILE_CORRUPT', `${where}: tensor ${tensorName(group, key, i)} is missing`, { path: where });
    return tensor;
  });
}

function requireSaved<T>(saved: T | undefined, kind: string, key: string, where: string): T {
  if (saved === undefined) throw new GanKitError('FILE_MISMATCH', `${where} has no ${kind} named "${key}"`, { path: where });
  return saved;
}

/** float32 β^(t+1) by repeated multiplication, exactly as tf.train.adam accumulates it step by step. */
function accumulatedPower(beta: number, iterations: number): number {
  const b = Math.fround(beta);
  let acc = b;
  for (let i = 0; i < iterations; i++) acc = Math.fround(acc * b);
  return acc;
}

/**
 * TF.js's AdamOptimizer.setWeights recomputes its β^t accumulators with `pow`, which differs in the last bits from
 * the repeated float32 products an uninterrupted run holds; restoring them makes a resumed run bit-identical.
 */
function restoreAdamAccumulators(optimizer: tf.Optimizer): void {
  if (!(optimizer instanceof tf.AdamOptimizer)) return;
  const adam = optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable; beta1: number; beta2: number };
  if (!(adam.accBeta1 instanceof tf.Variable) || !(adam.accBeta2 instanceof tf.Variable)) return;
  const [acc1, acc2] = [adam.accBeta1, adam.accBeta2];
  tf.tidy(() => {
    acc1.assign(tf.scalar(accumulatedPower(adam.beta1, optimizer.iterations)));
    acc2.assign(tf.scalar(accumulatedPower(adam.beta2, optimizer.iterations)));
  });
}

async function restoreOptimizer(entry: tf.Optimizer | ScheduledOptimizer, saved: OptimizerMeta, tensors: tf.Tensor[], where: string, key: string): Promise<void> {
  const { optimizer, schedule } = unwrap(entry);
  if (optimizer.getClassName() !== saved.className) {
    throw new GanKitError('FILE_MISMATCH', `${where}: optimizer "${key}" was saved from a ${saved.className}, cannot restore into a ${optimizer.getClassName()}`, { path: where });
  }
  if (optimizer.iterations !== 0) {
    throw new GanKitError('INVALID_ARGUMENT', `optimizer "${key}" has already taken ${optimizer.iterations} steps; restore into a freshly created optimizer`);
  }
  await optimizer.setWeights(tensors.map((tensor, i) => ({ name: saved.slotNames[i] ?? `slot${i}`, tensor })));
  restoreAdamAccumulators(optimizer);
  if (schedule !== undefined) schedule.setState({ step: saved.scheduleStep ?? 0 });
}

/**
 * Restores state saved by `saveTrainingState` into freshly created objects (same names, same variable order).
 * Returns the `extra` JSON saved with it.
 */
export async function loadTrainingState(dir: string, parts: TrainingStateParts, options: TrainingStateOptions = {}): Promise<{ extra: Record<string, unknown> | undefined }> {
  const name = options.name ?? 'optimizer-state';
  const where = `${dir}/${name}.json`;
  const map = await loadWeightsMap(dir, { name });
  try {
    const meta = parseMeta(map, where);
    for (const [key, entry] of Object.entries(parts.optimizers ?? {})) {
      const saved = requireSaved(meta.optimizers[key], 'optimizer', key, where);
      await restoreOptimizer(entry, saved, tensorsOf(map, 'optimizers', key, saved.slotNames.length, where), where, key);
    }
    for (const [key, ema] of Object.entries(parts.emas ?? {})) {
      const saved = requireSaved(meta.emas[key], 'EMA', key, where);
      ema.setState({ updates: saved.updates }, tensorsOf(map, 'emas', key, saved.count, where));
    }
    for (const [key, variables] of Object.entries(parts.variables ?? {})) {
      const count = requireSaved(meta.variables[key], 'variable list', key, where);
      if (count !== variables.length) throw new GanKitError('FILE_MISMATCH', `${where}: "${key}" holds ${count} variables, ${variables.length} given`, { path: where });
      tensorsOf(map, 'variables', key, count, where).forEach((t, i) => {
        const v = variables[i] as tf.Variable;
        if (t.shape.join(',') !== v.shape.join(',')) throw new GanKitError('FILE_MISMATCH', `${where}: "${key}"[${i}] has shape [${t.shape.join(', ')}], the variable [${v.shape.join(', ')}]`, { path: where });
        v.assign(t);
      });
    }
    return { extra: meta.extra };
  } finally {
    tf.dispose(map.entries.map((e) => e.tensor));
  }
}
