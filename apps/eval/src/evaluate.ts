import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { GanKitError } from '@gankit/core';
import { initBackend, defaultWasmThreads } from '@gankit/backend-wasm';
import { computeMetrics, frechetDistanceDetailed, intraFid, mergeFeatureStats, StreamingFeatureStats, featureMatrix, type FeatureExtractor, type FeatureStats, type ImageBatch, type PrecomputedBatch, type MetricName, type MetricsResult } from '@gankit/metrics';
import { loadStatsNpz, saveStatsNpz } from '@gankit/metrics/node';
import * as tf from '@tensorflow/tfjs-core';
import type { EvalCommand, EvalOptions } from './args';
import { otherCachedResizes, readCachedStats, writeCachedStats, type CacheKey } from './cache';
import { casReport, pplReport } from './generator-metrics';
import { imageBatches, loadExtractor } from './extract';
import { openInput, type EvalInput, type FeaturesInput, type ImageInput, type SampleInput, type SubsetInfo } from './inputs';
import { refuseExisting } from './output';
import type { ProgressBar } from './progress';
import type { EvalReport, MetricRow } from './report';
import { sampleToDisk } from './sample';

const METRICS_OF: Partial<Record<EvalCommand, MetricName[]>> = {
  fid: ['fid'],
  is: ['is'],
  kid: ['kid'],
  pr: ['pr'],
  dc: ['dc'],
  all: ['fid', 'is', 'kid', 'pr', 'dc'],
};

/** Hooks for progress and warnings (the CLI prints them; a library caller may collect them). */
export interface EvaluateHooks {
  progress?: ProgressBar;
  onWarning?: (message: string) => void;
}

function requireImages(input: EvalInput, command: EvalCommand): ImageInput {
  if (input.kind === 'images') return input;
  if (input.kind === 'features') {
    throw new GanKitError('INVALID_ARGUMENT', `${input.spec} holds precomputed features: \`${command}\` needs images (features files work with fid, kid, pr, dc, all, stats and intra-fid)`);
  }
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
  if (result.dc) rows.push({ metric: 'density', value: result.dc.density }, { metric: 'coverage', value: result.dc.coverage });
  return rows;
}

/** Identifies the extractor's weights: the Inception file by size and modification time, or the bundled classifier. */
async function weightsId(options: EvalOptions): Promise<string> {
  if (options.extractor !== 'inception' || !options.weights) return 'bundled';
  const info = await stat(options.weights);
  return `${basename(options.weights)}:${info.size}:${info.mtimeMs}`;
}

/** Images or precomputed features (not a statistics file), or an error naming the command. */
function requireSamples(input: EvalInput, command: EvalCommand): SampleInput {
  if (input.kind === 'features') return input;
  return requireImages(input, command);
}

/** Stands in for an extractor when the inputs are precomputed features: the features are used as they are. */
function precomputedExtractor(dim: number): FeatureExtractor {
  return {
    name: 'precomputed features (npz)',
    featureDim: dim,
    numClasses: 0,
    inputSize: `${dim}-d feature vectors`,
    extract: () => Promise.reject(new GanKitError('INVALID_ARGUMENT', 'precomputed features cannot be mixed with images: give both sides as features files')),
    dispose: () => undefined,
  };
}

async function cacheKey(input: SampleInput, fingerprint: string, extractor: FeatureExtractor, options: EvalOptions): Promise<CacheKey> {
  return {
    fingerprint,
    extractor: extractor.name,
    weights: await weightsId(options),
    resize: options.extractor === 'inception' ? options.resize : 'n/a',
    count: input.count,
    ...(input.subset.seed !== null ? { subsetSeed: input.subset.seed } : {}),
    ...(input.subset.shard ? { shard: input.subset.shard } : {}),
    ...(options.recursive ? { recursive: true } : {}),
  };
}

/** Reference statistics from the cache when allowed and present (warning when only other resize settings are cached). */
async function cachedReference(real: SampleInput, extractor: FeatureExtractor, options: EvalOptions, hooks: EvaluateHooks): Promise<{ stats?: FeatureStats; key?: CacheKey }> {
  if (!options.cache) return {};
  const fingerprint = await real.fingerprint();
  if (fingerprint === null) return {};
  const key = await cacheKey(real, fingerprint, extractor, options);
  const stats = await readCachedStats(options.cache, key);
  if (!stats) {
    const others = await otherCachedResizes(options.cache, key);
    if (others.length) {
      hooks.onWarning?.(`the cache holds statistics of ${real.spec} made with --resize ${others.join('/')}, but this run uses --resize ${key.resize}: FIDs from different resize conventions are not comparable; computing new reference statistics`);
    }
  }
  return { stats, key };
}

async function extractorFor(options: EvalOptions, inputs: SampleInput[], hooks: EvaluateHooks): Promise<FeatureExtractor> {
  const features = inputs.filter((i): i is FeaturesInput => i.kind === 'features');
  if (features.length > 0) {
    if (features.length !== inputs.length) throw new GanKitError('INVALID_ARGUMENT', `${features[0]!.spec} holds precomputed features and cannot be compared with images: give both sides as features files (or both as images)`);
    const dims = new Set(features.map((f) => f.dim));
    if (dims.size > 1) throw new GanKitError('SHAPE_MISMATCH', `the features files have different sizes (${features.map((f) => `${f.spec}: ${f.dim}`).join(', ')})`);
    return precomputedExtractor(features[0]!.dim);
  }
  if (options.extractor === 'inception' && (inputs as ImageInput[]).some((i) => i.shape[0] === 28 && i.shape[1] === 28 && i.shape[2] === 1)) {
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

/** Streams one input through the extractor into mean/covariance statistics; with `byClass`, also per class label. */
async function statsOf(input: SampleInput, extractor: FeatureExtractor, batchSize: number, hooks: EvaluateHooks, side = 'A'): Promise<FeatureStats> {
  return (await streamStats(input, extractor, batchSize, hooks, side, false)).all;
}

async function streamStats(
  input: SampleInput,
  extractor: FeatureExtractor,
  batchSize: number,
  hooks: EvaluateHooks,
  side: string,
  byClass: boolean,
): Promise<{ all: FeatureStats; classes: FeatureStats[] }> {
  const d = extractor.featureDim;
  const acc = await StreamingFeatureStats.create(d);
  const classes = byClass ? await Promise.all(Array.from({ length: input.numClasses ?? 0 }, () => StreamingFeatureStats.create(d))) : [];
  let done = 0;
  try {
    const add = (features: Float32Array, n: number, labels: Int32Array | undefined): void => {
      acc.add(featureMatrix(features, d));
      if (byClass) {
        for (let i = 0; i < n; i++) classes[labels![i]!]!.add({ data: features.subarray(i * d, (i + 1) * d), rows: 1, cols: d });
      }
      done += n;
      hooks.progress?.update(side, done, input.count);
    };
    if (input.kind === 'features') {
      for await (const batch of input.batches(batchSize)) add(batch.features, batch.rows, batch.labels);
    } else {
      for await (const batch of input.batches(batchSize)) {
        const [h, w, c] = batch.shape;
        const images = tf.tensor4d(batch.data, [batch.n, h, w, c], 'int32');
        try {
          add((await extractor.extract(images)).features, batch.n, batch.labels);
        } finally {
          images.dispose();
        }
      }
    }
  } catch (error) {
    acc.dispose();
    for (const s of classes) s.dispose();
    throw error;
  }
  const all = acc.finish();
  const perClass = classes.map((s, c) => {
    if (s.n < 2) {
      for (const other of classes) other.dispose();
      throw new GanKitError('INVALID_ARGUMENT', `${input.spec}: class ${c} has ${s.n} image(s); intra-FID needs at least 2 per class (more images with --num)`);
    }
    return s.finish();
  });
  return { all, classes: perClass };
}

/** Checks KID's subset size against the sample counts before any feature is extracted. */
function kidSubsetSize(options: EvalOptions, counts: number[], warn: (m: string) => void): number {
  const n = Math.min(...counts);
  if (options.kidSubsetSize <= n) return options.kidSubsetSize;
  if (options.kidSubsetSizeGiven) {
    throw new GanKitError('INVALID_ARGUMENT', `--kid-subset-size ${options.kidSubsetSize} is larger than the ${n} images per side: pass --kid-subset-size ${n} or less, or use more images (--num)`);
  }
  warn(`KID: ${n} images per side, fewer than the default --kid-subset-size 1000: using subsets of ${n} (pass --kid-subset-size to choose)`);
  return n;
}

/** Runs one gankit-eval command and returns what it measured. */
export async function evaluate(command: EvalCommand, specs: string[], options: EvalOptions, hooks: EvaluateHooks = {}): Promise<EvalReport> {
  const started = performance.now();
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    hooks.onWarning?.(message);
  };
  const h: EvaluateHooks = { ...hooks, onWarning: warn };
  const resize = options.extractor === 'inception' ? options.resize : 'n/a';
  let backendName = 'none';
  let subsets: SubsetInfo[] = [];
  const finish = (report: Omit<EvalReport, 'seconds' | 'command' | 'inputs' | 'backend' | 'warnings' | 'resize' | 'seed' | 'subsets'>): EvalReport => ({
    command,
    inputs: specs,
    backend: backendName,
    warnings,
    resize,
    seed: options.seed,
    subsets,
    ...report,
    seconds: (performance.now() - started) / 1000,
  });

  if (command === 'merge-stats') {
    const out = options.out as string;
    await refuseExisting(out, options.force, '--out');
    const parts = await Promise.all(specs.map((s) => loadStatsNpz(s)));
    const merged = mergeFeatureStats(parts, specs);
    const written = await saveStatsNpz(out, merged);
    return finish({ metrics: [], nReal: merged.n, nFake: null, extractor: 'none (statistics files)', output: written });
  }

  // On wasm, gankit's conv kernels use defaultWasmThreads(): every core, at most 8 (Inception extraction: 1.6× faster on 2 cores, bench/results/extract.md).
  const backend = await initBackend({ backend: options.backend, threads: defaultWasmThreads() });
  backendName = backend.name;
  if (backend.warning) warn(backend.warning);

  if (command === 'sample') {
    const result = await sampleToDisk(specs[0] as string, options, h);
    subsets = [result.subset];
    return finish({ metrics: [], nReal: null, nFake: result.count, extractor: 'none', output: result.output });
  }

  const labelled = command === 'intra-fid' || command === 'cas';
  const sampling = options.truncation === undefined ? {} : { sampling: { truncation: options.truncation } };
  const inputOptions = { num: options.num, seed: options.seed, recursive: options.recursive, workers: options.workers, shard: options.shard, labels: labelled, ...sampling };
  const openSpecs = command === 'fid' && options.saveStats ? specs.slice(0, 1) : specs;
  const inputs: EvalInput[] = [];
  if (command === 'cas') {
    // CAS: the generated set (--num of them), as many real training images, the whole real test set.
    const generated = requireImages(await openInput(specs[2] as string, inputOptions), command);
    inputs.push(await openInput(specs[0] as string, { ...inputOptions, num: generated.count }), await openInput(specs[1] as string, { ...inputOptions, num: undefined }), generated);
  } else {
    for (const spec of openSpecs) inputs.push(await openInput(spec, inputOptions));
  }
  subsets = inputs.filter((i): i is SampleInput => i.kind !== 'stats').map((i) => i.subset);
  const [a, b] = inputs as [EvalInput, EvalInput | undefined];

  if (command === 'fid' && options.saveStats) {
    const out = specs[1] as string;
    await refuseExisting(out, false, 'the --save-stats output');
    const input = requireSamples(a, command);
    const extractor = await extractorFor(options, [input], h);
    try {
      const stats = await statsOf(input, extractor, options.batchSize, h);
      // exactly pytorch-fid's file: mu and sigma only
      const written = await saveStatsNpz(out, { mu: stats.mu, sigma: stats.sigma });
      return finish({ metrics: [], nReal: stats.n, nFake: null, extractor: extractor.name, output: written });
    } finally {
      extractor.dispose();
    }
  }

  if (command === 'fid' && a.kind === 'stats' && b?.kind === 'stats') {
    const { rows } = await fidOfStatsFiles(a, b, h);
    return finish({ metrics: rows, nReal: null, nFake: null, extractor: 'none (statistics files)' });
  }

  if (command === 'stats') {
    await refuseExisting(options.out as string, options.force, '--out');
    const input = requireSamples(a, command);
    const extractor = await extractorFor(options, [input], h);
    try {
      const stats = await statsOf(input, extractor, options.batchSize, h);
      if (stats.n < stats.dim && !options.shard) warn(`${stats.n} images but ${stats.dim} feature dimensions: the covariance is rank-deficient; FID against it is biased (use at least ${stats.dim} images)`);
      const written = await saveStatsNpz(options.out as string, stats);
      return finish({ metrics: [], nReal: stats.n, nFake: null, extractor: extractor.name, output: written });
    } finally {
      extractor.dispose();
    }
  }

  if (command === 'intra-fid') {
    const real = requireSamples(a, command);
    const fake = requireSamples(b as EvalInput, command);
    for (const input of [real, fake]) {
      if (input.numClasses === undefined) {
        throw new GanKitError('INVALID_ARGUMENT', `${input.spec} has no class labels: intra-FID needs labelled inputs (class subfolders, a named dataset, IDX with its labels file, a conditional generator)`);
      }
    }
    if (real.numClasses !== fake.numClasses) throw new GanKitError('SHAPE_MISMATCH', `${real.spec} has ${real.numClasses} classes but ${fake.spec} has ${fake.numClasses}`);
    const extractor = await extractorFor(options, [real, fake], h);
    try {
      const r = await streamStats(real, extractor, options.batchSize, h, 'real', true);
      const f = await streamStats(fake, extractor, options.batchSize, h, 'fake', true);
      const small = [...r.classes, ...f.classes].filter((st) => st.n < st.dim).length;
      if (small > 0) warn(`intra-FID: ${small} of the ${2 * r.classes.length} per-class sets have fewer images than the ${extractor.featureDim} feature dimensions: their covariances are singular and the per-class FIDs biased; use more images (--num)`);
      const result = await intraFid(r.classes, f.classes, { onWarning: () => undefined });
      const rows: MetricRow[] = [{ metric: 'intra-FID', value: result.mean }, ...result.perClass.map((v, c) => ({ metric: `FID class ${c}`, value: v }))];
      return finish({ metrics: rows, nReal: r.all.n, nFake: f.all.n, extractor: extractor.name });
    } finally {
      extractor.dispose();
    }
  }

  if (command === 'ppl') {
    const input = requireImages(a, command);
    const extractor = await extractorFor(options, [input], h);
    try {
      const { rows, notes } = await pplReport(specs[0] as string, extractor, options);
      return finish({ metrics: rows, nReal: null, nFake: input.count, extractor: extractor.name, notes });
    } finally {
      extractor.dispose();
    }
  }

  if (command === 'cas') {
    const [train, test, generated] = inputs.map((i) => requireImages(i, command)) as [ImageInput, ImageInput, ImageInput];
    const { rows, notes } = await casReport(train, test, generated, options, h);
    return finish({ metrics: rows, nReal: train.count, nFake: generated.count, extractor: 'none (ridge classifier on pixels)', notes });
  }

  let metrics = METRICS_OF[command] as MetricName[];
  // FID is symmetric: a statistics file may stand on either side; it becomes the reference.
  let realInput: EvalInput | undefined = command === 'is' ? undefined : a;
  let fakeInput: EvalInput = command === 'is' ? a : (b as EvalInput);
  if (fakeInput.kind === 'stats' && realInput && realInput.kind !== 'stats' && command === 'fid') [realInput, fakeInput] = [fakeInput, realInput];
  const fake = requireSamples(fakeInput, command);
  if (command === 'all' && realInput?.kind === 'stats') {
    warn('the reference is a statistics file: KID, precision/recall and density/coverage need its images, so `all` reports FID and IS only');
    metrics = ['fid', 'is'];
  } else if (realInput && command !== 'fid') {
    requireSamples(realInput, command);
  }
  if (metrics.includes('is') && options.extractor === 'inception' && options.dims !== 2048) {
    throw new GanKitError('INVALID_ARGUMENT', `the Inception Score needs the 2048-d pool3 features and logits: drop --dims ${options.dims} for \`${command}\``);
  }
  const kidSize = metrics.includes('kid') && realInput && realInput.kind !== 'stats' ? kidSubsetSize(options, [realInput.count, fake.count], warn) : options.kidSubsetSize;

  const sampleInputs = [realInput, fake].filter((i): i is SampleInput => i !== undefined && i.kind !== 'stats');
  const extractor = await extractorFor(options, sampleInputs, h);
  try {
    if (metrics.includes('is') && extractor.numClasses === 0) {
      throw new GanKitError('INVALID_ARGUMENT', `the Inception Score needs class logits, which ${extractor.name} does not have: use \`fid\`, \`kid\`, \`pr\` or \`dc\``);
    }
    let real: FeatureStats | AsyncIterable<ImageBatch | PrecomputedBatch> | undefined;
    let key: CacheKey | undefined;
    let nReal: number | null = null;
    let fromCache = false;
    if (realInput?.kind === 'stats') {
      real = await loadStatsNpz(realInput.path);
      if (real.n > 0) nReal = real.n;
    } else if (realInput) {
      const onlyStatsNeeded = metrics.every((m) => m === 'fid' || m === 'is');
      const cached = onlyStatsNeeded ? await cachedReference(realInput, extractor, options, h) : {};
      key = cached.key;
      if (cached.stats) {
        real = cached.stats;
        nReal = cached.stats.n;
        fromCache = true;
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
      kid: { subsets: options.kidSubsets, subsetSize: kidSize },
      pr: { k: options.k },
      dc: { k: options.dcK },
      onProgress: ({ side, images }) => hooks.progress?.update(side, images, side === 'real' ? (realInput as SampleInput).count : fake.count),
      onWarning: warn,
    });
    hooks.progress?.done();
    if (result.realStats && options.cache && realInput && realInput.kind !== 'stats') {
      const fingerprint = key?.fingerprint ?? (await realInput.fingerprint());
      if (fingerprint !== null) await writeCachedStats(options.cache, key ?? (await cacheKey(realInput, fingerprint, extractor, options)), realInput.spec, result.realStats);
    }
    if (nReal === null && realInput && realInput.kind !== 'stats') nReal = result.counts.real;
    return finish({ metrics: metricRows(result), nReal, nFake: result.counts.fake, extractor: extractor.name, ...(fromCache ? { notes: [`reference statistics of ${(realInput as SampleInput).spec} read from the cache (${options.cache})`] } : {}) });
  } finally {
    extractor.dispose();
  }
}
