import { GanKitError } from '@gankit/core';

/** A row-major matrix of feature vectors: `rows` vectors of `cols` numbers. */
export interface FeatureMatrix {
  data: Float32Array | Float64Array;
  rows: number;
  cols: number;
}

/** Wraps a flat array as a FeatureMatrix of `cols` columns, checking the length. */
export function featureMatrix(data: Float32Array | Float64Array, cols: number): FeatureMatrix {
  if (!Number.isInteger(cols) || cols < 1 || data.length % cols !== 0) {
    throw new GanKitError('SHAPE_MISMATCH', `features: length ${data.length} is not a multiple of the feature size ${cols}`);
  }
  return { data, rows: data.length / cols, cols };
}

/** Throws SHAPE_MISMATCH unless `m` is a consistent matrix (and has `cols` columns when given). */
export function checkMatrix(m: FeatureMatrix, what: string, cols?: number): void {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols < 1 || m.data.length !== m.rows * m.cols) {
    throw new GanKitError('SHAPE_MISMATCH', `${what}: expected data of length rows×cols = ${m.rows}×${m.cols}, got ${m.data.length}`);
  }
  if (cols !== undefined && m.cols !== cols) {
    throw new GanKitError('SHAPE_MISMATCH', `${what}: expected ${cols} features per row, got ${m.cols}`);
  }
}

/** Throws INVALID_ARGUMENT at the first non-finite value. */
export function checkFinite(data: ArrayLike<number>, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new GanKitError('INVALID_ARGUMENT', `${what}: value ${data[i]} at index ${i} is not finite`);
  }
}

/** Checks a real and a fake feature matrix for one metric: well-formed, the same width, finite. */
export function checkFeaturePair(real: FeatureMatrix, fake: FeatureMatrix, metric: string): void {
  checkMatrix(real, `${metric} real features`);
  checkMatrix(fake, `${metric} fake features`, real.cols);
  checkFinite(real.data, `${metric} real features`);
  checkFinite(fake.data, `${metric} fake features`);
}
