import { sampleLatents } from '@gankit/models';
import type { ExtraInput, OpenGenerator } from './generator';

/** How labels are drawn: uniformly at random (gankit-eval's default) or cycling 0…K−1. */
export type LabelMode = 'uniform' | 'per-class';

/** The generator's inputs for samples [0, n): z, then one array per extra input (labels or codes). */
export interface LatentBatch {
  n: number;
  z: Float32Array;
  extras: Float32Array[];
}

/**
 * Samples [0, n) of `seed`, drawn by @gankit/models' `sampleLatents`, the sampler `gankit-eval sample` uses: sample i
 * of seed S is the same image in the page and in Node. `truncation` is z-truncation's threshold t for generators
 * without a mapping network (t = 0 is the mean latent); for StyleGAN2 (ψ-truncation, applied to w when the
 * generator runs) z is drawn untruncated.
 */
export function drawLatents(gen: Pick<OpenGenerator, 'latentDim' | 'extras' | 'truncation'>, n: number, seed: number, options: { labels?: LabelMode; truncation?: number } = {}): LatentBatch {
  const zTruncation = gen.truncation === 'z' ? options.truncation : undefined;
  const { z, extras } = sampleLatents(gen, 0, n, { seed, ...(options.labels ? { labels: options.labels } : {}), ...(zTruncation !== undefined ? { zTruncation } : {}) });
  return { n, z, extras };
}

function width(e: ExtraInput): number {
  return e.kind === 'labels' ? 1 : e.dim;
}

/** Row `i` of a batch as a batch of one. */
export function pick(batch: LatentBatch, gen: Pick<OpenGenerator, 'latentDim' | 'extras'>, i: number): LatentBatch {
  return {
    n: 1,
    z: batch.z.slice(i * gen.latentDim, (i + 1) * gen.latentDim),
    extras: gen.extras.map((e, k) => batch.extras[k]!.slice(i * width(e), (i + 1) * width(e))),
  };
}

/** Rows of several batches stacked into one. */
export function concat(batches: LatentBatch[], gen: Pick<OpenGenerator, 'extras'>): LatentBatch {
  const join = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  return { n: batches.reduce((s, b) => s + b.n, 0), z: join(batches.map((b) => b.z)), extras: gen.extras.map((_, k) => join(batches.map((b) => b.extras[k]!))) };
}

/** How to go from one latent to another. */
export type InterpolationMode = 'lerp' | 'slerp';

/** Linear interpolation (1 − t)·a + t·b. */
export function lerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  return a.map((v, i) => (1 - t) * v + t * b[i]!);
}

/**
 * Spherical interpolation (Shoemake 1985; White 2016, "Sampling Generative Networks"): along the great circle
 * between a and b, sin((1 − t)θ)/sin θ · a + sin(tθ)/sin θ · b with θ the angle between them; lerp when θ ≈ 0.
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const cos = dot / (Math.sqrt(na * nb) || 1);
  const theta = Math.acos(Math.min(1, Math.max(-1, cos)));
  if (theta < 1e-4) return lerp(a, b, t);
  const s = Math.sin(theta);
  const wa = Math.sin((1 - t) * theta) / s;
  const wb = Math.sin(t * theta) / s;
  return a.map((v, i) => wa * v + wb * b[i]!);
}

/**
 * `steps` latents from a to b (both ends included, t = k/(steps−1)); z follows `mode`, continuous codes are lerped,
 * labels switch from a's to b's halfway.
 */
export function interpolate(a: LatentBatch, b: LatentBatch, gen: Pick<OpenGenerator, 'extras'>, steps: number, mode: InterpolationMode): LatentBatch {
  const rows: LatentBatch[] = [];
  for (let k = 0; k < steps; k++) {
    const t = steps === 1 ? 0 : k / (steps - 1);
    // The ends are the picked latents themselves, so the strip starts and ends on the picked samples exactly.
    const z = k === 0 ? a.z : k === steps - 1 ? b.z : (mode === 'slerp' ? slerp : lerp)(a.z, b.z, t);
    const extras = gen.extras.map((e, i) => (k === 0 ? a.extras[i]! : k === steps - 1 ? b.extras[i]! : e.kind === 'labels' ? (t < 0.5 ? a : b).extras[i]! : lerp(a.extras[i]!, b.extras[i]!, t)));
    rows.push({ n: 1, z, extras });
  }
  return concat(rows, gen);
}
