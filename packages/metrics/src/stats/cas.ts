import { GanKitError } from '@gankit/core';
import { gramBlocks } from '../linalg/ops';
import { getLinalg } from '../linalg/runtime';
import { checkFinite, checkMatrix, type FeatureMatrix } from './features';

/** A linear classifier: scores = [x, 1] · W, W row-major (d+1)×K. */
export interface LinearClassifier {
  weights: Float64Array;
  dim: number;
  numClasses: number;
}

/** Options of {@link trainRidgeClassifier}. */
export interface RidgeOptions {
  /** Ridge penalty λ on every weight, bias included (default 1). */
  lambda?: number;
  threads?: number;
}

/**
 * A ridge-regression classifier fitted in closed form, in float64: W = (AᵀA + λI)⁻¹ AᵀY with A = [X, 1] and Y the
 * one-hot labels (Cholesky solve). Deterministic — no initialisation, no ordering, no optimiser — so an accuracy
 * depends only on the training samples.
 */
export async function trainRidgeClassifier(x: FeatureMatrix, labels: ArrayLike<number>, numClasses: number, options: RidgeOptions = {}): Promise<LinearClassifier> {
  checkMatrix(x, 'trainRidgeClassifier features');
  checkFinite(x.data, 'trainRidgeClassifier features');
  if (labels.length !== x.rows) throw new GanKitError('SHAPE_MISMATCH', `trainRidgeClassifier: ${labels.length} labels for ${x.rows} samples`);
  const lambda = options.lambda ?? 1;
  if (!(lambda > 0)) throw new GanKitError('INVALID_ARGUMENT', `trainRidgeClassifier: lambda must be > 0, got ${lambda}`);
  const n = x.rows;
  const d = x.cols;
  const p = d + 1;
  // Aᵀ, p×n row-major.
  const at = new Float64Array(p * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) at[j * n + i] = x.data[i * d + j]!;
    at[d * n + i] = 1;
  }
  const rt = await getLinalg(options.threads);
  const gram = new Float64Array(p * p);
  gramBlocks(rt, at, p, at, p, n, 256, (g, i0, rb) => gram.set(g.subarray(0, rb * p), i0 * p));
  for (let j = 0; j < p; j++) gram[j * p + j]! += lambda;
  const rhs = new Float64Array(p * numClasses);
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new GanKitError('INVALID_ARGUMENT', `trainRidgeClassifier: label ${c} at ${i} is outside [0, ${numClasses})`);
    for (let j = 0; j < p; j++) rhs[j * numClasses + c]! += at[j * n + i]!;
  }
  choleskySolve(gram, rhs, p, numClasses);
  return { weights: rhs, dim: d, numClasses };
}

/** In-place Cholesky solve of the SPD system G X = B (G p×p, B p×k, row-major); B becomes X. */
function choleskySolve(g: Float64Array, b: Float64Array, p: number, k: number): void {
  for (let j = 0; j < p; j++) {
    let s = g[j * p + j]!;
    for (let m = 0; m < j; m++) s -= g[j * p + m]! * g[j * p + m]!;
    if (!(s > 0)) throw new GanKitError('NUMERIC_FAILURE', 'trainRidgeClassifier: the regularised Gram matrix is not positive definite');
    const l = Math.sqrt(s);
    g[j * p + j] = l;
    for (let i = j + 1; i < p; i++) {
      let v = g[i * p + j]!;
      for (let m = 0; m < j; m++) v -= g[i * p + m]! * g[j * p + m]!;
      g[i * p + j] = v / l;
    }
  }
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < p; i++) {
      let v = b[i * k + c]!;
      for (let m = 0; m < i; m++) v -= g[i * p + m]! * b[m * k + c]!;
      b[i * k + c] = v / g[i * p + i]!;
    }
    for (let i = p - 1; i >= 0; i--) {
      let v = b[i * k + c]!;
      for (let m = i + 1; m < p; m++) v -= g[m * p + i]! * b[m * k + c]!;
      b[i * k + c] = v / g[i * p + i]!;
    }
  }
}

/** Class predictions argmax([x, 1]·W) of a {@link LinearClassifier}. */
export function predictLinear(classifier: LinearClassifier, x: FeatureMatrix): Int32Array {
  checkMatrix(x, 'predictLinear features', classifier.dim);
  const { weights, dim, numClasses } = classifier;
  const out = new Int32Array(x.rows);
  const scores = new Float64Array(numClasses);
  for (let i = 0; i < x.rows; i++) {
    for (let c = 0; c < numClasses; c++) scores[c] = weights[dim * numClasses + c]!;
    for (let j = 0; j < dim; j++) {
      const v = x.data[i * dim + j]!;
      if (v === 0) continue;
      for (let c = 0; c < numClasses; c++) scores[c]! += v * weights[j * numClasses + c]!;
    }
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (scores[c]! > scores[best]!) best = c;
    out[i] = best;
  }
  return out;
}

/** Share of correct predictions. */
export function accuracyOf(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

/** Inputs of {@link classificationAccuracyScore}: labelled training samples (generated) and the real test set. */
export interface CasInputs {
  train: FeatureMatrix;
  trainLabels: ArrayLike<number>;
  test: FeatureMatrix;
  testLabels: ArrayLike<number>;
  numClasses: number;
}

/**
 * Classification Accuracy Score (Ravuri & Vinyals, NeurIPS 2019, "Classification Accuracy Score for Conditional
 * Generative Models"): the real-test-set accuracy of a classifier trained only on labelled generated samples. The
 * paper trains a ResNet; gankit trains the deterministic ridge classifier of {@link trainRidgeClassifier} (on
 * pixels in gankit-eval), so CAS is comparable between generators and with the same classifier trained on real data.
 */
export async function classificationAccuracyScore(inputs: CasInputs, options: RidgeOptions = {}): Promise<number> {
  const classifier = await trainRidgeClassifier(inputs.train, inputs.trainLabels, inputs.numClasses, options);
  return accuracyOf(predictLinear(classifier, inputs.test), inputs.testLabels);
}
