import { GanKitError } from '@gankit/core';
import { classificationAccuracyScore, perceptualPathLength, squaredFeatureDistance, type FeatureExtractor, type FeatureMatrix } from '@gankit/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { styleGan2Parts } from '@gankit/models';
import type { EvalOptions } from './args';
import type { EvaluateHooks } from './evaluate';
import { findGenerator, generatorInputs, loadGenerator, type ImageInput } from './inputs';
import type { MetricRow } from './report';

const DEFAULT_PPL_SAMPLES = 10_000;

/**
 * PPL of a generator (Karras et al. 2019, "Perceptual path length"), with d = squared Euclidean distance of the
 * extractor's features of the two images (not LPIPS-VGG, which gankit does not ship). `options.space`: `w` lerps
 * between mapped latents w = f(z) and runs the synthesis network on them (generators with a mapping network,
 * stylegan2; the default there), `z` slerps between latents (the default otherwise). Labels and InfoGAN codes are
 * held fixed along each path. `--space w` on a generator without a mapping network is `INVALID_ARGUMENT` (exit 2).
 */
export async function pplReport(spec: string, extractor: FeatureExtractor, options: EvalOptions): Promise<{ rows: MetricRow[]; notes: string[] }> {
  const modelDir = await findGenerator(spec);
  if (!modelDir) throw new GanKitError('INVALID_ARGUMENT', `\`ppl\` needs a generator (run folder or exported model.json), got "${spec}"`, { path: spec });
  const handle = await loadGenerator(modelDir);
  try {
    const space = options.space ?? (handle.truncation === 'psi' ? 'w' : 'z');
    if (space === 'w' && handle.truncation !== 'psi') {
      throw new GanKitError('INVALID_ARGUMENT', `--space w needs a generator with a mapping network (stylegan2); ${spec} has none: use --space z (see gankit-eval --help)`, { path: spec });
    }
    const { latentDim, extras } = handle.signature;
    const parts = space === 'w' ? styleGan2Parts(handle.model) : undefined;
    const flat = parts ? parts.numWs * parts.wDim : 0;
    const result = await perceptualPathLength({
      latentDim,
      space,
      num: options.num ?? DEFAULT_PPL_SAMPLES,
      epsilon: options.epsilon,
      seed: options.seed,
      batchSize: Math.max(1, Math.floor(options.batchSize / 2)),
      generate: (z, offset) => {
        const n = z.shape[0];
        const drawn = generatorInputs(handle, offset, offset + n, { seed: options.seed });
        const inputs = [z, ...extras.map((e, k) => tf.tensor2d(drawn.extras[k]!, [n, e.kind === 'labels' ? 1 : e.dim]))];
        return handle.model.predict(inputs.length === 1 ? z : inputs) as tf.Tensor4D;
      },
      // ws [B, numWs, wDim] flattened to rows for the lerp (at inference every style row is the same w).
      ...(parts && {
        mapping: (z: tf.Tensor2D) => tf.reshape<tf.Rank.R2>(parts.mapping.predict(z) as tf.Tensor, [z.shape[0], flat]),
        synthesis: (w: tf.Tensor2D) => parts.synthesis.predict(tf.reshape(w, [w.shape[0], parts.numWs, parts.wDim])) as tf.Tensor4D,
      }),
      distance: async (a, b) => {
        const fa = await extractor.extract(a);
        const fb = await extractor.extract(b);
        return squaredFeatureDistance(fa.features, fb.features, extractor.featureDim);
      },
    });
    const path = space === 'w' ? 'PPL in w (lerp between mapped latents w = f(z), synthesis network on them)' : 'PPL in z (slerp)';
    return {
      rows: [{ metric: 'PPL', value: result.ppl }],
      notes: [
        `${path}, ε = ${options.epsilon}, ${result.distances.length} paths (${result.kept} within the 1st–99th percentiles); distance = squared L2 of ${extractor.name} features, not LPIPS-VGG: compare only with PPLs measured the same way`,
      ],
    };
  } finally {
    handle.model.dispose();
  }
}

async function pixelsAndLabels(input: ImageInput, batchSize: number): Promise<{ x: FeatureMatrix; labels: Int32Array }> {
  const [h, w, c] = input.shape;
  const d = h * w * c;
  const data = new Float64Array(input.count * d);
  const labels = new Int32Array(input.count);
  let n = 0;
  for await (const batch of input.batches(batchSize)) {
    if (!batch.labels) throw new GanKitError('INVALID_ARGUMENT', `${input.spec} has no class labels: CAS needs labelled images (class subfolders, a named dataset, IDX with labels, a conditional generator)`);
    for (let i = 0; i < batch.data.length; i++) data[n * d + i] = batch.data[i]! / 255;
    labels.set(batch.labels, n);
    n += batch.n;
  }
  return { x: { data: data.subarray(0, n * d), rows: n, cols: d }, labels: labels.subarray(0, n) };
}

/**
 * CAS (Ravuri & Vinyals 2019) with gankit's deterministic ridge classifier on pixels in [0, 1]: trained on the
 * generated samples and, for comparison, on as many real training images; both tested on the whole real test set.
 */
export async function casReport(train: ImageInput, test: ImageInput, generated: ImageInput, options: EvalOptions, hooks: EvaluateHooks): Promise<{ rows: MetricRow[]; notes: string[] }> {
  for (const input of [train, test, generated]) {
    if (input.numClasses === undefined) throw new GanKitError('INVALID_ARGUMENT', `${input.spec} has no class labels: CAS needs labelled images (class subfolders, a named dataset, IDX with labels, a conditional generator)`);
  }
  const k = test.numClasses!;
  if (train.numClasses !== k || generated.numClasses !== k) {
    throw new GanKitError('SHAPE_MISMATCH', `CAS: ${train.spec}, ${test.spec} and ${generated.spec} must have the same classes (${train.numClasses}, ${k}, ${generated.numClasses})`);
  }
  const shapes = [train, test, generated].map((i) => i.shape.join('×'));
  if (new Set(shapes).size !== 1) throw new GanKitError('SHAPE_MISMATCH', `CAS: the images must have one size, got ${shapes.join(', ')}`);
  const testSet = await pixelsAndLabels(test, options.batchSize);
  const fake = await pixelsAndLabels(generated, options.batchSize);
  hooks.progress?.update('fake', fake.x.rows, generated.count);
  const real = await pixelsAndLabels(train, options.batchSize);
  const common = { test: testSet.x, testLabels: testSet.labels, numClasses: k };
  const cas = await classificationAccuracyScore({ ...common, train: fake.x, trainLabels: fake.labels });
  const baseline = await classificationAccuracyScore({ ...common, train: real.x, trainLabels: real.labels });
  const std = (p: number): number => Math.sqrt((p * (1 - p)) / testSet.x.rows);
  return {
    rows: [
      { metric: 'CAS', value: cas, std: std(cas) },
      { metric: 'real accuracy', value: baseline, std: std(baseline) },
    ],
    notes: [
      `classifier: ridge regression (λ = 1) on pixels, trained on ${fake.x.rows} generated and on ${real.x.rows} real training images, tested on ${testSet.x.rows} real test images; ± is the binomial standard error`,
    ],
  };
}
