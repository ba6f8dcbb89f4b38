import * as tf from '@tensorflow/tfjs-core';

/** PIL's bicubic kernel (a = −0.5), support 2. */
function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** Per output pixel: first input index, tap count and normalised weights (PIL's `precompute_coeffs`). */
interface Coefficients {
  start: Int32Array;
  count: Int32Array;
  ksize: number;
  weights: Float64Array;
}

function precomputeCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) / filterScale);
      weights[xx * ksize + x] = w;
      sum += w;
    }
    if (sum !== 0) for (let x = 0; x < xmax; x++) weights[xx * ksize + x] = (weights[xx * ksize + x] ?? 0) / sum;
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, ksize, weights };
}

/**
 * Resizes one float32 plane like PIL's `Image.resize(size, BICUBIC)` on a mode-"F" image: separable, antialiased
 * (the kernel widens by the downscale factor), horizontal pass then vertical, float64 sums stored as float32.
 */
export function resizePlaneBicubicPil(plane: Float32Array, inH: number, inW: number, outH: number, outW: number): Float32Array {
  let current = plane;
  let width = inW;
  if (outW !== inW) {
    const c = precomputeCoefficients(inW, outW);
    const next = new Float32Array(inH * outW);
    for (let y = 0; y < inH; y++) {
      const row = y * inW;
      for (let xx = 0; xx < outW; xx++) {
        const first = c.start[xx] ?? 0;
        const taps = c.count[xx] ?? 0;
        const k = xx * c.ksize;
        let sum = 0;
        for (let x = 0; x < taps; x++) sum += (current[row + first + x] ?? 0) * (c.weights[k + x] ?? 0);
        next[y * outW + xx] = sum;
      }
    }
    current = next;
    width = outW;
  }
  if (outH !== inH) {
    const c = precomputeCoefficients(inH, outH);
    const next = new Float32Array(outH * width);
    for (let yy = 0; yy < outH; yy++) {
      const first = c.start[yy] ?? 0;
      const taps = c.count[yy] ?? 0;
      const k = yy * c.ksize;
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let y = 0; y < taps; y++) sum += (current[(first + y) * width + x] ?? 0) * (c.weights[k + y] ?? 0);
        next[yy * width + x] = sum;
      }
    }
    current = next;
  }
  return current === plane ? plane.slice() : current;
}

/**
 * clean-fid's resize (Parmar et al. 2022, "On Aliased Resizing and Surprising Subtleties in GAN Evaluation"):
 * each channel of the uint8 image as float32 → PIL bicubic to outH×outW → clipped to [0, 255]. Returns float32
 * RGB [B, outH, outW, 3] in [0, 255]; one-channel images are replicated to RGB first.
 */
export async function cleanResize(images: tf.Tensor4D, outH: number, outW: number): Promise<tf.Tensor4D> {
  const [b, h, w, c] = images.shape;
  const data = await images.data();
  const out = new Float32Array(b * outH * outW * 3);
  const plane = new Float32Array(h * w);
  for (let n = 0; n < b; n++) {
    for (let ch = 0; ch < 3; ch++) {
      const src = c === 1 ? 0 : ch;
      for (let i = 0; i < h * w; i++) plane[i] = data[(n * h * w + i) * c + src] ?? 0;
      const resized = resizePlaneBicubicPil(plane, h, w, outH, outW);
      for (let i = 0; i < outH * outW; i++) out[(n * outH * outW + i) * 3 + ch] = Math.min(255, Math.max(0, resized[i] ?? 0));
    }
  }
  return tf.tensor4d(out, [b, outH, outW, 3]);
}
