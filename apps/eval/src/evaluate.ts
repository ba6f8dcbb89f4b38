import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { GanKitError, initBackend } from '@gankit/core';
import {
  computeMetrics,
  frechetDistanceDetailed,
  loadStatsNpz,
  saveStatsNpz,
  StreamingFeatureStats,
  featureMatrix,
  type FeatureExtractor,
  type FeatureStats,
  type ImageBatch,
  type MetricName,
  type MetricsResult,
} from '@gankit/metrics';
import * as tf from '@tensorflow/tfjs-core';
import type { EvalCommand, EvalOptions } from './args';
import { otherCachedResizes, readCachedStats, writeCachedStats, type CacheKey } from './cache';
import { imageBatches, loadExtractor } from './extract';
import { openInput, type EvalInput, type ImageInput } from './inputs';
import type { ProgressBar } from './progress';
import type { EvalReport, MetricRow } from './report';

const METRICS_OF: Record<Exclude<EvalCommand, 'stats'>, MetricName[]> = {
  fid: ['fid'],
  is: ['is'],
  kid: ['kid'],
  pr: ['pr'],
  all: ['fid', 'is', 'kid', 'pr'],
};

/** Hooks for progress and warnings (the CLI prints them; a library caller may collect them). */
export interface EvaluateHooks {
  progress?: ProgressBar;
  onWarning?: (message: string) => void;
}

function requireImages(input: EvalInput, command: EvalCommand): ImageInput {
  if (input.kind === 'images') return input;
  throw new GanKitError(
    'INVALID_ARGUMENT',
    `${input.spec} is a statistics file: \`${command}\` needs images (statistics files can only be one side of \`fid\`)`,
    { path: input.path },
  );
}

function metricRows(result: MetricsResult): MetricRow[] {
  const rows: MetricRow[] = [];
  if (result.fid !== undefined) rows.push({ metric: 'FID', value: result.fid });
  if (result.is) rows.push({ metric: 'IS', value: result.is.mean, std: result.is.std });
  if (result.kid) rows.push({ metric: 'KID', value: result.kid.mean, std: result.kid.std });
  if (result.pr) rows.push({ metric: 'precision', value: result.pr.precision }, { metric: 'recall', value: result.pr.recall });
  return rows;
}

/** Identifies the extractor's weights: the Inception file by size and modification time, or the bundled classifier. */
async function weightsId(options: EvalOptions): Promise<string> {
  if (options.extractor !== 'inception' || !options.weights) return 'bundled';
  const info = await stat(options.weights);
  return `${basename(options.weights)}:${info.size}:${info.mtimeMs}`;
}

async function cacheKey(fingerprint: string, extractor: FeatureExtractor, options: EvalOptions, count: number): Promise<CacheKey> {
  return { fingerprint, extractor: extractor.name, weights: await weightsId(options), resize: options.extractor === 'inception' ? options.resize : 'n/a', count };
}

/** Reference statistics from the cache when allowed and present (warning when only other resize settings are cached). */
async function cachedReference(real: ImageInput, extractor: FeatureExtractor, options: EvalOptions, hooks: EvaluateHooks): Promise<{ stats?: FeatureStats; key?: CacheKey }> {
  if (!options.cache) return {};
  const fingerprint = await real.fingerprint();
  if (fingerprint === null) return {};
  const key = await cacheKey(fingerprint, extractor, options, real.count);
  const stats = await readCachedStats(options.cache, key);
  if (!stats) {
    const others = await otherCachedResizes(options.cache, key);
    if (others.length) {
      hooks.onWarning?.(`the cache holds statistics of ${real.spec} made with --resize ${others.join('/')}, but this run uses --resize ${key.resize}: FIDs from different resize conventions are not comparable; computing new reference statistics`);
    }
  }
  return { stats, key };
}

async function extractorFor(options: EvalOptions, inputs: ImageInput[], hooks: EvaluateHooks): Promise<FeatureExtractor> {
  if (options.extractor === 'inception' && inputs.some((i) => i.shape[0] === 28 && i.shape[1] === 28 && i.shape[2] === 1)) {
    hooks.onWarning?.('28×28 grayscale images with the Inception extractor: consider --extractor mnist (the bundled MNIST classifier, as TF-GAN\'s MNIST FID)');
  }
  return loadExtractor(options);
}

/** FID between two statistics files: no images, no extractor. */
async function fidOfStatsFiles(a: EvalInput & { kind: 'stats' }, b: EvalInput & { kind: 'stats' }, hooks: EvaluateHooks): Promise<{ rows: MetricRow[] }> {
  const [sa, sb] = await Promise.all([loadStatsNpz(a.path), loadStatsNpz(b.path)]);
  if (sa.dim !== sb.dim) {
    throw new GanKitError('SHAPE_MISMATCH', `${a.spec} has ${sa.dim}-d statistics but ${b.spec} has ${sb.dim}-d: they come from different extractors`);
  }
  const result = await frechetDistanceDetailed(sa, sb, { onWarning: hooks.onWarning });
  return { rows: [{ metric: 'FID', value: result.fid }] };
}

/** Streams one input through the extractor into mean/covariance statistics. */
async function statsOf(input: ImageInput, extractor: FeatureExtractor, batchSize: number, hooks: EvaluateHooks): Promise<FeatureStats> {
  const acc = await StreamingFeatureStats.create(extractor.featureDim);
  let done = 0;
  try {
    for await (const batch of input.batches(batchSize)) {
      const [h, w, c] = batch.shape;
      const images = tf.tensor4d(batch.data, [batch.n, h, w, c], 'int32');
      try {
        const { features } = await extractor.extract(images);
        acc.add(featureMatrix(features, extractor.featureDim));
      } finally {
        images.dispose();
      }
      done += batch.n;
      hooks.progress?.update('A', done, input.count);
    }
  } catch (error) {
    acc.dispose();
    throw error;
  }
  return acc.finish();
}

/** Runs one gankit-eval command and returns what it measured. */
export async function evaluate(command: EvalCommand, specs: string[], options: EvalOptions, hooks: EvaluateHooks = {}): Promise<EvalReport> {
  const started = performance.now();
  // On wasm, gankit's conv kernels use every core (Inception extraction: 1.6× faster on 2 cores, bench/results/extract.md).
  const backend = await initBackend({ backend: options.backend, threads: Math.min(availableParallelism(), 8) });
  const inputs = await Promise.all(specs.map((spec) => openInput(spec, { num: options.num, seed: options.seed })));
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    hooks.onWarning?.(message);
  };
  if (backend.warning) warn(backend.warning);
  const h: EvaluateHooks = { ...hooks, onWarning: warn };
  const base = { command, inputs: specs, backend: backend.name, warnings, resize: options.extractor === 'inception' ? options.resize : 'n/a' };
  const finish = (report: Omit<EvalReport, 'seconds' | keyof typeof base>): EvalReport => ({ ...base, ...report, seconds: (performance.now() - started) / 1000 });

  const [a, b] = inputs as [EvalInput, EvalInput | undefined];
  if (command === 'fid' && a.kind === 'stats' && b?.kind === 'stats') {
    const { rows } = await fidOfStatsFiles(a, b, h);
    return finish({ metrics: rows, nReal: null, nFake: null, extractor: 'none (statistics files)' });
  }

  if (command === 'stats') {
    const input = requireImages(a, command);
    const extractor = await extractorFor(options, [input], h);
    try {
      const stats = await statsOf(input, extractor, options.batchSize, h);
      if (stats.n < stats.dim) warn(`${stats.n} images but ${stats.dim} feature dimensions: the covariance is rank-deficient; FID against it is biased (use at least ${stats.dim} images)`);
      const written = await saveStatsNpz(options.out as string, stats);
      return finish({ metrics: [], nReal: stats.n, nFake: null, extractor: extractor.name, output: written });
    } finally {
      extractor.dispose();
    }
  }

  let metrics = METRICS_OF[command];
  // FID is symmetric: a statistics file may stand on either side; it becomes the reference.
  let realInput: EvalInput | undefined = command === 'is' ? undefined : a;
  let fakeInput: EvalInput = command === 'is' ? a : (b as EvalInput);
  if (fakeInput.kind === 'stats' && realInput?.kind === 'images' && command === 'fid') [realInput, fakeInput] = [fakeInput, realInput];
  const fake = requireImages(fakeInput, command);
  if (command === 'all' && realInput?.kind === 'stats') {
    warn('the reference is a statistics file: KID and precision/recall need its images, so `all` reports FID and IS only');
    metrics = ['fid', 'is'];
  } else if (realInput && command !== 'fid') {
    requireImages(realInput, command);
  }

  const imageInputs = [realInput, fake].filter((i): i is ImageInput => i?.kind === 'images');
  const extractor = await extractorFor(options, imageInputs, h);
  try {
    let real: FeatureStats | AsyncIterable<ImageBatch> | undefined;
    let key: CacheKey | undefined;
    let nReal: number | null = null;
    if (realInput?.kind === 'stats') {
      real = await loadStatsNpz(realInput.path);
    } else if (realInput) {
      const onlyStatsNeeded = metrics.every((m) => m === 'fid' || m === 'is');
      const cached = onlyStatsNeeded ? await cachedReference(realInput, extractor, options, h) : {};
      key = cached.key;
      if (cached.stats) {
        real = cached.stats;
        nReal = cached.stats.n;
      } else {
        real = imageBatches(realInput, options.batchSize);
      }
    }
    const result = await computeMetrics({
      ...(real !== undefined ? { real } : {}),
      fake: imageBatches(fake, options.batchSize),
      extractor,
      metrics,
      batchSize: options.batchSize,
      seed: options.seed,
      ...(options.num !== undefined ? { num: options.num } : {}),
      is: { splits: options.splits },
      kid: { subsets: options.kidSubsets, subsetSize: options.kidSubsetSize },
      pr: { k: options.k },
      onProgress: ({ side, images }) => hooks.progress?.update(side, images, side === 'real' ? (realInput as ImageInput).count : fake.count),
      onWarning: warn,
    });
    hooks.progress?.done();
    if (result.realStats && options.cache && realInput?.kind === 'images') {
      const fingerprint = key?.fingerprint ?? (await realInput.fingerprint());
      if (fingerprint !== null) await writeCachedStats(options.cache, key ?? (await cacheKey(fingerprint, extractor, options, realInput.count)), realInput.spec, result.realStats);
    }
    if (nReal === null && realInput) nReal = realInput.kind === 'stats' ? null : result.counts.real;
    return finish({ metrics: metricRows(result), nReal, nFake: result.counts.fake, extractor: extractor.name });
  } finally {
    extractor.dispose();
  }
}
