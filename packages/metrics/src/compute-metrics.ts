import * as tf from '@tensorflow/tfjs-core';
import { GanKitError } from '@gankit/core';
import type { FeatureExtractor } from './extractor';
import { featureMatrix, type FeatureMatrix } from './stats/features';
import { StreamingFeatureStats, type FeatureStats } from './stats/feature-stats';
import { frechetDistanceDetailed, type FrechetResult } from './stats/frechet';
import { inceptionScore, type InceptionScoreOptions, type ScoreWithStd } from './stats/inception-score';
import { kernelInceptionDistance, type KidOptions } from './stats/kid';
import { precisionRecall, type PrecisionRecall, type PrecisionRecallOptions } from './stats/precision-recall';
import { densityCoverage, type DensityCoverage, type DensityCoverageOptions } from './stats/density-coverage';

/** The metrics {@link computeMetrics} can report. */
export type MetricName = 'fid' | 'is' | 'kid' | 'pr' | 'dc';

/** A batch of uint8-valued images [B, H, W, C] (C = 1 or 3), as a tensor or as raw bytes. */
export type ImageBatch = tf.Tensor4D | { data: Uint8Array; shape: [number, number, number, number] };

/** Features computed elsewhere (e.g. an npz of feature vectors): used as they are, the extractor is not called. */
export interface PrecomputedBatch {
  /** Row-major [rows × extractor.featureDim]. */
  features: Float32Array;
  /** Row-major [rows × extractor.numClasses], when IS is wanted. */
  logits?: Float32Array;
  rows: number;
}

/** Image batches, sync or async (e.g. a generator sampling a GAN, or a dataset pipeline). */
export type ImageBatches = AsyncIterable<ImageBatch> | Iterable<ImageBatch>;

/** Batches of images and/or precomputed features (used as they are), sync or async. */
export type PrecomputedBatches = AsyncIterable<ImageBatch | PrecomputedBatch> | Iterable<ImageBatch | PrecomputedBatch>;

/** Progress of {@link computeMetrics}: images done so far on one side. */
export interface MetricsProgress {
  side: 'real' | 'fake';
  images: number;
}

/** Options of {@link computeMetrics}. */
export interface ComputeMetricsOptions {
  /** Real images, or precomputed statistics (e.g. from {@link loadStatsNpz}) when only FID/IS are asked. */
  real?: ImageBatches | PrecomputedBatches | FeatureStats;
  /** Generated images (or their precomputed features). */
  fake: ImageBatches | PrecomputedBatches;
  /** The network producing features and logits. */
  extractor: FeatureExtractor;
  /** Which metrics to compute (default: all that the inputs allow: fid, is, kid, pr). */
  metrics?: readonly MetricName[];
  /** Images per extractor call (default 50, as pytorch-fid); larger input batches are split. */
  batchSize?: number;
  /** Feature vectors kept per side for KID and precision/recall (default 10,000; FID and IS use every image). */
  num?: number;
  /** Seed of KID's subset sampling (overrides `kid.seed`). */
  seed?: number;
  /** Options of the Inception Score (splits: 10). */
  is?: InceptionScoreOptions;
  /** Options of KID (subsets 100 × 1000). */
  kid?: KidOptions;
  /** Options of precision/recall (k = 3). */
  pr?: PrecisionRecallOptions;
  /** Options of density/coverage (k = 5). */
  dc?: DensityCoverageOptions;
  /** Threads for the float64 kernels. */
  threads?: number;
  /** Called after each extractor batch. */
  onProgress?: (progress: MetricsProgress) => void;
  /** Receives warnings such as N < d (default: console.warn). */
  onWarning?: (message: string) => void;
}

/** What {@link computeMetrics} measured; each metric is present when it was asked for. */
export interface MetricsResult {
  fid?: number;
  /** FID parts, rank and warnings. */
  fidDetails?: FrechetResult;
  is?: ScoreWithStd;
  kid?: ScoreWithStd;
  pr?: PrecisionRecall;
  dc?: DensityCoverage;
  /** Statistics of the real side (save them with {@link saveStatsNpz} to skip the real images next time). */
  realStats?: FeatureStats;
  /** Statistics of the fake side. */
  fakeStats?: FeatureStats;
  /** Images read per side. */
  counts: { real: number; fake: number };
}

interface SideResult {
  stats?: FeatureStats;
  logits?: FeatureMatrix;
  kept?: FeatureMatrix;
  count: number;
}

/**
 * FID (Heusel et al. 2017), IS (Salimans et al. 2016), KID (Bińkowski et al. 2018) and precision/recall
 * (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020) of generated images against real ones, extracting each image's features once:
 * FID statistics stream in float64, logits are kept for IS, up to `num` features per side for KID/PR.
 * Input tensors are disposed after use.
 */
export async function computeMetrics(options: ComputeMetricsOptions): Promise<MetricsResult> {
  const realIsStats = options.real !== undefined && isFeatureStats(options.real);
  const metrics = options.metrics ?? (options.real === undefined ? ['is'] : realIsStats ? ['fid', 'is'] : ['fid', 'is', 'kid', 'pr']);
  for (const m of metrics) {
    if (!['fid', 'is', 'kid', 'pr', 'dc'].includes(m)) throw new GanKitError('UNKNOWN_NAME', `computeMetrics: unknown metric ${JSON.stringify(m)}; expected fid, is, kid, pr or dc`);
  }
  if (metrics.length === 0) throw new GanKitError('INVALID_ARGUMENT', 'computeMetrics: no metrics requested');
  const wants = (m: MetricName): boolean => metrics.includes(m);
  const needsReal = wants('fid') || wants('kid') || wants('pr') || wants('dc');
  if (needsReal && options.real === undefined) {
    throw new GanKitError('INVALID_ARGUMENT', `computeMetrics: ${metrics.filter((m) => m !== 'is').join(', ')} need real images (option 'real')`);
  }
  if (realIsStats && (wants('kid') || wants('pr') || wants('dc'))) {
    throw new GanKitError('INVALID_ARGUMENT', 'computeMetrics: KID, precision/recall and density/coverage need real images, not precomputed statistics');
  }
  const batchSize = options.batchSize ?? 50;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new GanKitError('INVALID_ARGUMENT', `computeMetrics: batchSize must be a positive integer, got ${batchSize}`);
  const keep = wants('kid') || wants('pr') || wants('dc') ? (options.num ?? 10_000) : 0;
  if (!Number.isInteger(keep) || keep < 0) throw new GanKitError('INVALID_ARGUMENT', `computeMetrics: num must be a non-negative integer, got ${options.num}`);

  const result: MetricsResult = { counts: { real: 0, fake: 0 } };
  let real: SideResult | undefined;
  if (options.real !== undefined && needsReal) {
    if (isFeatureStats(options.real)) {
      real = { stats: options.real, count: 0 };
    } else {
      real = await extractSide(options.real, 'real', options, { stats: wants('fid'), logits: false, keep }, batchSize);
      result.realStats = real.stats;
    }
    result.counts.real = real.count;
  }
  const fake = await extractSide(options.fake, 'fake', options, { stats: wants('fid'), logits: wants('is'), keep }, batchSize);
  result.counts.fake = fake.count;
  result.fakeStats = fake.stats;

  if (wants('fid')) {
    const details = await frechetDistanceDetailed(real!.stats!, fake.stats!, { onWarning: options.onWarning, threads: options.threads });
    result.fid = details.fid;
    result.fidDetails = details;
  }
  if (wants('is')) result.is = inceptionScore(fake.logits!, options.is);
  if (wants('kid')) {
    result.kid = await kernelInceptionDistance(real!.kept!, fake.kept!, {
      ...options.kid,
      seed: options.seed ?? options.kid?.seed,
      threads: options.threads,
    });
  }
  if (wants('pr')) result.pr = await precisionRecall(real!.kept!, fake.kept!, { ...options.pr, threads: options.threads });
  if (wants('dc')) result.dc = await densityCoverage(real!.kept!, fake.kept!, { ...options.dc, threads: options.threads });
  return result;
}

function isFeatureStats(x: ImageBatches | PrecomputedBatches | FeatureStats): x is FeatureStats {
  return typeof x === 'object' && x !== null && 'mu' in x && 'sigma' in x;
}

async function extractSide(
  batches: ImageBatches | PrecomputedBatches,
  side: 'real' | 'fake',
  options: ComputeMetricsOptions,
  needs: { stats: boolean; logits: boolean; keep: number },
  batchSize: number,
): Promise<SideResult> {
  const { extractor } = options;
  const dim = extractor.featureDim;
  const stats = needs.stats ? await StreamingFeatureStats.create(dim, { threads: options.threads }) : undefined;
  const logitChunks: Float32Array[] = [];
  const keptChunks: Float32Array[] = [];
  let kept = 0;
  let count = 0;
  try {
    const consume = (out: { features: Float32Array; logits: Float32Array }, size: number, what: string): void => {
      if (out.features.length !== size * dim || (needs.logits && out.logits.length !== size * extractor.numClasses)) {
        throw new GanKitError('SHAPE_MISMATCH', `computeMetrics: ${what} gave ${out.features.length} features and ${out.logits.length} logits for ${size} ${side} samples (expected ${size}×${dim} and ${size}×${extractor.numClasses})`);
      }
      stats?.add(featureMatrix(out.features, dim));
      if (needs.logits) logitChunks.push(out.logits);
      if (kept < needs.keep) {
        const take = Math.min(size, needs.keep - kept);
        keptChunks.push(out.features.slice(0, take * dim));
        kept += take;
      }
      count += size;
      options.onProgress?.({ side, images: count });
    };
    for await (const batch of batches as AsyncIterable<ImageBatch | PrecomputedBatch>) {
      if ('features' in batch) {
        consume({ features: batch.features, logits: batch.logits ?? new Float32Array(0) }, batch.rows, 'a precomputed batch');
        continue;
      }
      const images = toTensor(batch, side);
      try {
        const total = images.shape[0];
        for (let start = 0; start < total; start += batchSize) {
          const size = Math.min(batchSize, total - start);
          const part = size === total ? images : tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
          let out;
          try {
            out = await extractor.extract(part);
          } finally {
            if (part !== images) part.dispose();
          }
          consume(out, size, `extractor ${extractor.name}`);
        }
      } finally {
        images.dispose();
      }
    }
  } catch (err) {
    stats?.dispose();
    throw err;
  }
  if (count === 0) {
    stats?.dispose();
    throw new GanKitError('EMPTY_DATASET', `computeMetrics: the ${side} images are empty`);
  }
  return {
    stats: stats?.finish(),
    logits: needs.logits ? featureMatrix(concat(logitChunks), extractor.numClasses) : undefined,
    kept: needs.keep > 0 ? featureMatrix(concat(keptChunks), dim) : undefined,
    count,
  };
}

function toTensor(batch: ImageBatch, side: string): tf.Tensor4D {
  if (batch instanceof tf.Tensor) {
    if (batch.rank !== 4) throw new GanKitError('SHAPE_MISMATCH', `computeMetrics: ${side} batch must be [B, H, W, C], got shape [${batch.shape.join(', ')}]`);
    return batch;
  }
  const [b, h, w, c] = batch.shape;
  if (batch.data.length !== b * h * w * c) {
    throw new GanKitError('SHAPE_MISMATCH', `computeMetrics: ${side} batch has ${batch.data.length} bytes, expected ${b}×${h}×${w}×${c}`);
  }
  return tf.tensor4d(batch.data, batch.shape, 'int32');
}

function concat(chunks: Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
