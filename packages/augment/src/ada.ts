import * as tf from '@tensorflow/tfjs-core';
import { GanKitError, type Rng } from '@gankit/core';
import { gatherRows, rowsWithZero } from './gather';
import { checkImages } from './validate';

/** The ADA operations of the paper's `bgc` pipeline, in the order they are applied. */
export const ADA_OPS = ['xflip', 'rotate90', 'xint', 'scale', 'rotate', 'aniso', 'xfrac', 'brightness', 'contrast', 'lumaflip', 'hue', 'saturation'] as const;
/** One ADA operation. */
export type AdaOp = (typeof ADA_OPS)[number];

/** The paper's named pipelines: b(lit), g(eometric), c(olor) and their union `bgc` (the default). */
export const ADA_PRESETS = {
  b: ['xflip', 'rotate90', 'xint'],
  g: ['scale', 'rotate', 'aniso', 'xfrac'],
  c: ['brightness', 'contrast', 'lumaflip', 'hue', 'saturation'],
  bg: ['xflip', 'rotate90', 'xint', 'scale', 'rotate', 'aniso', 'xfrac'],
  bgc: [...ADA_OPS],
} as const satisfies Record<string, readonly AdaOp[]>;
/** The name of an ADA pipeline preset. */
export type AdaPreset = keyof typeof ADA_PRESETS;

/** Options of the ADA pipeline; the strengths default to stylegan2-ada's. */
export interface AdaPipelineOptions {
  /** The ops to use: a preset name (default `bgc`) or a list. */
  ops?: AdaPreset | readonly AdaOp[];
  /** Largest integer translation as a fraction of the image side (default 0.125). */
  xintMax?: number;
  /** Std of log2 of the isotropic scale (default 0.2). */
  scaleStd?: number;
  /** Largest rotation as a fraction of π (default 1: any angle). */
  rotateMax?: number;
  /** Std of log2 of the anisotropic scale (default 0.2). */
  anisoStd?: number;
  /** Std of the fractional translation as a fraction of the image side (default 0.125). */
  xfracStd?: number;
  /** Std of the brightness offset (default 0.2). */
  brightnessStd?: number;
  /** Std of log2 of the contrast factor (default 0.5). */
  contrastStd?: number;
  /** Largest hue rotation as a fraction of π (default 1). */
  hueMax?: number;
  /** Std of log2 of the saturation factor (default 1). */
  saturationStd?: number;
}

/**
 * The random parameters of one ADA call, one value (or pair) per image, identity values where an op was not
 * applied: xflip 0/1, rotate90 quarter turns 0..3, xint and xfrac (x, y) shifts in pixels, scale/aniso/contrast/
 * saturation factors, rotate/rotateAfter/hue angles in radians, brightness offsets, lumaflip 0/1.
 */
export interface AdaParams {
  n: number;
  xflip: Float64Array;
  rotate90: Float64Array;
  xint: Float64Array;
  scale: Float64Array;
  rotate: Float64Array;
  aniso: Float64Array;
  rotateAfter: Float64Array;
  xfrac: Float64Array;
  brightness: Float64Array;
  contrast: Float64Array;
  lumaflip: Float64Array;
  hue: Float64Array;
  saturation: Float64Array;
}

/** ADA parameters that change nothing, for `n` images. */
export function identityAdaParams(n: number): AdaParams {
  const fill = (v: number, k = 1) => new Float64Array(n * k).fill(v);
  return {
    n, xflip: fill(0), rotate90: fill(0), xint: fill(0, 2), scale: fill(1), rotate: fill(0), aniso: fill(1), rotateAfter: fill(0),
    xfrac: fill(0, 2), brightness: fill(0), contrast: fill(1), lumaflip: fill(0), hue: fill(0), saturation: fill(1),
  };
}

function opsOf(options: AdaPipelineOptions): Set<AdaOp> {
  const ops = options.ops ?? 'bgc';
  if (typeof ops === 'string') {
    if (!(ops in ADA_PRESETS)) throw new GanKitError('UNKNOWN_NAME', `ADA pipeline "${ops}" is unknown; expected one of ${Object.keys(ADA_PRESETS).join(', ')} or a list of ${ADA_OPS.join(', ')}`);
    return new Set(ADA_PRESETS[ops]);
  }
  for (const op of ops) if (!(ADA_OPS as readonly string[]).includes(op)) throw new GanKitError('UNKNOWN_NAME', `ADA op "${op}" is unknown; expected one of ${ADA_OPS.join(', ')}`);
  return new Set(ops);
}

function strength(options: AdaPipelineOptions, key: keyof Omit<AdaPipelineOptions, 'ops'>, fallback: number): number {
  const v = options[key] ?? fallback;
  if (!Number.isFinite(v) || v < 0) throw new GanKitError('INVALID_ARGUMENT', `ADA ${key} is ${String(options[key])}; expected a finite number ≥ 0`);
  return v;
}

/** Checks that `p` is an augmentation probability. */
export function checkProbability(p: number, what = 'ADA p'): number {
  if (!Number.isFinite(p) || p < 0 || p > 1) throw new GanKitError('INVALID_ARGUMENT', `${what} is ${String(p)}; expected a probability in [0, 1]`);
  return p;
}

/**
 * Draws ADA's random parameters for `n` images of `height`×`width` from `rng`: every op is applied to each image
 * independently with probability `p` (the two rotations each with 1 - sqrt(1 - p), so that some rotation happens
 * with probability p), as in Karras et al. 2020 (appendix B) and stylegan2-ada's `AugmentPipe`. Values are drawn
 * op by op, image by image, so a run is deterministic per seed.
 */
export function drawAdaParams(rng: Rng, n: number, height: number, width: number, p: number, options: AdaPipelineOptions = {}): AdaParams {
  checkProbability(p);
  const ops = opsOf(options);
  const params = identityAdaParams(n);
  const each = (op: AdaOp, draw: (i: number) => void, prob = p): void => {
    if (!ops.has(op) || prob <= 0) return;
    for (let i = 0; i < n; i++) if (rng.uniform() < prob) draw(i);
  };
  const gauss = (): number => rng.normal();
  const unit = (): number => rng.uniform() * 2 - 1;
  each('xflip', (i) => { params.xflip[i] = rng.int(2); });
  each('rotate90', (i) => { params.rotate90[i] = rng.int(4); });
  const xintMax = strength(options, 'xintMax', 0.125);
  each('xint', (i) => { params.xint[2 * i] = Math.round(unit() * xintMax * width); params.xint[2 * i + 1] = Math.round(unit() * xintMax * height); });
  const scaleStd = strength(options, 'scaleStd', 0.2);
  each('scale', (i) => { params.scale[i] = 2 ** (gauss() * scaleStd); });
  const rotateMax = strength(options, 'rotateMax', 1);
  const pRotate = 1 - Math.sqrt(Math.min(Math.max(1 - p, 0), 1));
  each('rotate', (i) => { params.rotate[i] = unit() * Math.PI * rotateMax; }, pRotate);
  const anisoStd = strength(options, 'anisoStd', 0.2);
  each('aniso', (i) => { params.aniso[i] = 2 ** (gauss() * anisoStd); });
  each('rotate', (i) => { params.rotateAfter[i] = unit() * Math.PI * rotateMax; }, pRotate);
  const xfracStd = strength(options, 'xfracStd', 0.125);
  each('xfrac', (i) => { params.xfrac[2 * i] = gauss() * xfracStd * width; params.xfrac[2 * i + 1] = gauss() * xfracStd * height; });
  const brightnessStd = strength(options, 'brightnessStd', 0.2);
  each('brightness', (i) => { params.brightness[i] = gauss() * brightnessStd; });
  const contrastStd = strength(options, 'contrastStd', 0.5);
  each('contrast', (i) => { params.contrast[i] = 2 ** (gauss() * contrastStd); });
  each('lumaflip', (i) => { params.lumaflip[i] = rng.int(2); });
  const hueMax = strength(options, 'hueMax', 1);
  each('hue', (i) => { params.hue[i] = unit() * Math.PI * hueMax; });
  const saturationStd = strength(options, 'saturationStd', 1);
  each('saturation', (i) => { params.saturation[i] = 2 ** (gauss() * saturationStd); });
  return params;
}

type Mat3 = number[];
type Mat4 = number[];

function mul(a: number[], b: number[], k: number): number[] {
  const out = new Array<number>(k * k).fill(0);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let s = 0;
    for (let m = 0; m < k; m++) s += a[i * k + m]! * b[m * k + j]!;
    out[i * k + j] = s;
  }
  return out;
}
const scale2 = (sx: number, sy: number): Mat3 => [sx, 0, 0, 0, sy, 0, 0, 0, 1];
const translate2 = (tx: number, ty: number): Mat3 => [1, 0, tx, 0, 1, ty, 0, 0, 1];
const rotate2 = (t: number): Mat3 => [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1];

/** The luma axis (1, 1, 1)/√3 in homogeneous RGB. */
const LUMA = [1 / Math.sqrt(3), 1 / Math.sqrt(3), 1 / Math.sqrt(3), 0];
const I4: Mat4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const outerLuma = (): Mat4 => Array.from({ length: 16 }, (_, k) => LUMA[Math.floor(k / 4)]! * LUMA[k % 4]!);
/** Rotation by `t` about the luma axis (Rodrigues: cI + s[v]x + (1 - c)vvᵀ). */
function rotateLuma(t: number): Mat4 {
  const [x, y, z] = LUMA as [number, number, number, number];
  const c = Math.cos(t), s = Math.sin(t), cc = 1 - c;
  return [
    x * x * cc + c, x * y * cc - z * s, x * z * cc + y * s, 0,
    y * x * cc + z * s, y * y * cc + c, y * z * cc - x * s, 0,
    z * x * cc - y * s, z * y * cc + x * s, z * z * cc + c, 0,
    0, 0, 0, 1,
  ];
}

/**
 * The inverse geometric transform of image `i` (3×3, row-major): it maps an output pixel's position, in pixels
 * relative to the image centre, to the input position it samples. Composed in the paper's order
 * (x-flip, 90° rotation, integer translation, isotropic scale, rotation, anisotropic scale, rotation, fractional
 * translation), each as the inverse of its forward transform multiplied on the right.
 */
export function adaGeometricMatrix(params: AdaParams, i: number): Mat3 {
  let g: Mat3 = scale2(1, 1);
  g = mul(g, scale2(1 - 2 * params.xflip[i]!, 1), 3);
  g = mul(g, rotate2((Math.PI / 2) * params.rotate90[i]!), 3);
  g = mul(g, translate2(-params.xint[2 * i]!, -params.xint[2 * i + 1]!), 3);
  g = mul(g, scale2(1 / params.scale[i]!, 1 / params.scale[i]!), 3);
  g = mul(g, rotate2(params.rotate[i]!), 3);
  g = mul(g, scale2(1 / params.aniso[i]!, params.aniso[i]!), 3);
  g = mul(g, rotate2(params.rotateAfter[i]!), 3);
  g = mul(g, translate2(-params.xfrac[2 * i]!, -params.xfrac[2 * i + 1]!), 3);
  return g;
}

/**
 * The color transform of image `i` (4×4 on homogeneous RGB, row-major), composed on the left in the paper's order:
 * brightness (add b), contrast (scale by c), luma flip (Householder reflection I - 2vvᵀ across the luma axis v),
 * hue (rotation about v), saturation (vvᵀ + (I - vvᵀ)·s).
 */
export function adaColorMatrix(params: AdaParams, i: number): Mat4 {
  const b = params.brightness[i]!, c = params.contrast[i]!, flip = params.lumaflip[i]!, s = params.saturation[i]!;
  const vv = outerLuma();
  let m: Mat4 = [...I4];
  m = mul([1, 0, 0, b, 0, 1, 0, b, 0, 0, 1, b, 0, 0, 0, 1], m, 4);
  m = mul([c, 0, 0, 0, 0, c, 0, 0, 0, 0, c, 0, 0, 0, 0, 1], m, 4);
  m = mul(I4.map((v, k) => v - 2 * vv[k]! * flip), m, 4);
  m = mul(rotateLuma(params.hue[i]!), m, 4);
  m = mul(I4.map((v, k) => vv[k]! + (v - vv[k]!) * s), m, 4);
  return m;
}

const isIdentity = (m: number[], k: number): boolean => m.every((v, idx) => v === (idx % (k + 1) === 0 ? 1 : 0));

/** Reflects an integer pixel index into [0, size) once (mirror about the edge pixels, like `reflect` padding by size - 1); -1 beyond that. */
function reflect(k: number, size: number): number {
  if (k < -(size - 1) || k > 2 * (size - 1)) return -1;
  if (k < 0) return -k;
  return k > size - 1 ? 2 * (size - 1) - k : k;
}

/**
 * Resamples each image with its inverse transform `gInv` (3×3 per image, as from `adaGeometricMatrix`) by bilinear
 * interpolation with reflect padding of size - 1 pixels per side (zero beyond), differentiable w.r.t. `x`.
 */
export function resampleImages(x: tf.Tensor4D, gInv: readonly Mat3[]): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (gInv.length !== n) throw new GanKitError('SHAPE_MISMATCH', `ADA resampling: ${gInv.length} matrices for ${n} images; expected one per image`);
  const pixels = n * h * w;
  const zero = pixels;
  const index = new Int32Array(4 * pixels);
  const weight = new Float32Array(4 * pixels);
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  for (let b = 0; b < n; b++) {
    const g = gInv[b]!;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const xo = j - cx, yo = i - cy;
        const col = g[0]! * xo + g[1]! * yo + g[2]! + cx;
        const row = g[3]! * xo + g[4]! * yo + g[5]! + cy;
        const c0 = Math.floor(col), r0 = Math.floor(row);
        const fc = col - c0, fr = row - r0;
        const out = (b * h + i) * w + j;
        const corners: [number, number, number][] = [[r0, c0, (1 - fr) * (1 - fc)], [r0, c0 + 1, (1 - fr) * fc], [r0 + 1, c0, fr * (1 - fc)], [r0 + 1, c0 + 1, fr * fc]];
        corners.forEach(([r, cc, wt], k) => {
          const rr = reflect(r, h), rc = reflect(cc, w);
          index[k * pixels + out] = rr < 0 || rc < 0 ? zero : (b * h + rr) * w + rc;
          weight[k * pixels + out] = wt;
        });
      }
    }
  }
  return tf.tidy(() => {
    const taps = tf.reshape(gatherRows(rowsWithZero(x), index), [4, pixels, c]);
    return tf.reshape<tf.Rank.R4>(tf.sum(tf.mul(taps, tf.tensor3d(weight, [4, pixels, 1])), 0), [n, h, w, c]);
  });
}

/**
 * Applies each image's 4×4 color matrix: RGB images get y = A·x + t (A the top-left 3×3, t the last column);
 * one-channel images y = a·x + b with a the mean row sum of A and b the mean of t (as stylegan2-ada).
 */
export function colorTransformImages(x: tf.Tensor4D, matrices: readonly Mat4[]): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (matrices.length !== n) throw new GanKitError('SHAPE_MISMATCH', `ADA color: ${matrices.length} matrices for ${n} images; expected one per image`);
  return tf.tidy(() => {
    if (c === 3) {
      const at = new Float32Array(9 * n);
      const t = new Float32Array(3 * n);
      matrices.forEach((m, b) => {
        for (let r = 0; r < 3; r++) {
          for (let k = 0; k < 3; k++) at[b * 9 + k * 3 + r] = m[r * 4 + k]!;
          t[b * 3 + r] = m[r * 4 + 3]!;
        }
      });
      const y = tf.add(tf.matMul(tf.reshape(x, [n, h * w, 3]), tf.tensor3d(at, [n, 3, 3])), tf.tensor3d(t, [n, 1, 3]));
      return tf.reshape<tf.Rank.R4>(y, [n, h, w, 3]);
    }
    if (c === 1) {
      const a = Float32Array.from(matrices, (m) => [0, 1, 2].reduce((s, r) => s + m[r * 4]! + m[r * 4 + 1]! + m[r * 4 + 2]!, 0) / 3);
      const bias = Float32Array.from(matrices, (m) => (m[3]! + m[7]! + m[11]!) / 3);
      return tf.add<tf.Tensor4D>(tf.mul(x, tf.tensor4d(a, [n, 1, 1, 1])), tf.tensor4d(bias, [n, 1, 1, 1]));
    }
    throw new GanKitError('UNSUPPORTED', `ADA color transforms need 1 or 3 channels; the images have ${c}`);
  });
}

/**
 * ADA with explicit parameters (from `drawAdaParams`): geometric ops by one bilinear resampling, then color ops
 * by one matrix; NHWC images in [-1, 1], differentiable w.r.t. `x`. A stage whose matrices are all identity is
 * skipped, so p = 0 returns `x` unchanged. Karras et al., "Training Generative Adversarial Networks with Limited
 * Data", NeurIPS 2020.
 */
export function applyAda(x: tf.Tensor4D, params: AdaParams): tf.Tensor4D {
  checkImages(x, 'ADA');
  if (params.n !== x.shape[0]) throw new GanKitError('SHAPE_MISMATCH', `ADA params are for ${params.n} images; the batch has ${x.shape[0]}`);
  const geometric = Array.from({ length: params.n }, (_, i) => adaGeometricMatrix(params, i));
  const color = Array.from({ length: params.n }, (_, i) => adaColorMatrix(params, i));
  return tf.tidy(() => {
    let y: tf.Tensor4D = x;
    if (!geometric.every((m) => isIdentity(m, 3))) y = resampleImages(y, geometric);
    if (!color.every((m) => isIdentity(m, 4))) y = colorTransformImages(y, color);
    return y === x ? tf.clone(x) : y;
  });
}

/** ADA of NHWC images with probability `p` and fresh parameters from `rng` (see `drawAdaParams`). */
export function adaAugment(x: tf.Tensor4D, rng: Rng, p: number, options: AdaPipelineOptions = {}): tf.Tensor4D {
  checkImages(x, 'ADA');
  const [n, h, w] = x.shape;
  return applyAda(x, drawAdaParams(rng, n, h, w, p, options));
}
