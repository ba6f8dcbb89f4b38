import { createRng } from '@gankit/core';
import type { ExtraInput, OpenGenerator } from './generator';

/**
 * Samples are drawn in chunks of this many, each chunk from its own seeded RNG, exactly as `gankit-eval sample`
 * does (apps/eval/src/inputs.ts): sample i of seed S is the same image in the page and in Node.
 */
const GENERATOR_CHUNK = 256;

function chunkSeed(seed: number, chunk: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(chunk + 1, 0x85ebca6b)) >>> 0;
}

/** How labels are drawn: uniformly at random (gankit-eval's default) or cycling 0…K−1. */
export type LabelMode = 'uniform' | 'per-class';

/** The generator's inputs for samples [0, n): z, then one array per extra input (labels or codes). */
export interface LatentBatch {
  n: number;
  z: Float32Array;
  extras: Float32Array[];
}

/**
 * z ~ N(0, I) with gankit's seeded RNG, labels uniform in [0, K), continuous codes ~ U(−1, 1), as gankit-eval draws
 * them. `truncation` T (Brock et al. 2019, BigGAN's truncation trick on z): every component with |z| > T is redrawn;
 * T = 0 is the limit, z = 0 (the mean latent).
 */
export function drawLatents(gen: Pick<OpenGenerator, 'latentDim' | 'extras'>, n: number, seed: number, options: { labels?: LabelMode; truncation?: number } = {}): LatentBatch {
  const { latentDim, extras } = gen;
  const z = new Float32Array(n * latentDim);
  const extraData = extras.map((e) => new Float32Array(n * width(e)));
  const t = options.truncation;
  for (let chunk = 0; chunk * GENERATOR_CHUNK < n; chunk++) {
    const rng = createRng(chunkSeed(seed, chunk));
    const first = chunk * GENERATOR_CHUNK;
    const zc = new Float32Array(GENERATOR_CHUNK * latentDim);
    for (let i = 0; i < zc.length; i++) {
      let v = rng.normal();
      if (t !== undefined) {
        if (t <= 0) v = 0;
        else while (Math.abs(v) > t) v = rng.normal();
      }
      zc[i] = v;
    }
    const ec = extras.map((e) =>
      e.kind === 'continuous'
        ? rng.uniformArray(GENERATOR_CHUNK * e.dim, -1, 1)
        : Float32Array.from({ length: GENERATOR_CHUNK }, (_, i) => (options.labels === 'per-class' ? (first + i) % e.numClasses : rng.int(e.numClasses))),
    );
    const to = Math.min(n, first + GENERATOR_CHUNK);
    z.set(zc.subarray(0, (to - first) * latentDim), first * latentDim);
    extras.forEach((e, k) => extraData[k]!.set(ec[k]!.subarray(0, (to - first) * width(e)), first * width(e)));
  }
  return { n, z, extras: extraData };
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
