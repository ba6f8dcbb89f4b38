import { createRng, GanKitError } from '@gankit/core';
import { truncatedNormalArray } from './truncation';

/**
 * Generator latents are drawn in chunks of this many samples, each chunk from its own seeded RNG, so samples
 * [start, end) of a seed are the same whichever range (shard, page grid, batch) they are drawn in.
 */
export const LATENT_CHUNK = 256;

/** One generator input besides z: class labels `[B, 1]` (also InfoGAN's categorical code) or continuous codes `[B, dim]`. */
export type LatentExtra = { kind: 'labels'; numClasses: number } | { kind: 'continuous'; dim: number };

/** What a generator takes: z of `latentDim` components, then one input per extra (in the model's input order). */
export interface LatentSignature {
  latentDim: number;
  extras: readonly LatentExtra[];
}

/** How generator latents are drawn by `sampleLatents`. */
export interface LatentOptions {
  /** The sampling seed (a uint32). */
  seed: number;
  /** Labels uniformly at random in [0, K) (default), or cycling 0, 1, …, K−1 by sample index (equal counts per class). */
  labels?: 'uniform' | 'per-class';
  /**
   * z-truncation threshold t ≥ 0 (Brock et al. 2019) drawn by `truncatedNormalArray` (t = 0 gives z = 0, the mean
   * latent); undefined draws z untruncated. ψ-truncation of StyleGAN2 leaves z alone: see `setTruncationPsi`.
   */
  zTruncation?: number;
}

/** Drawn generator inputs: z `[n, latentDim]` row-major and one array per extra (`[n, 1]` labels, `[n, dim]` codes). */
export interface Latents {
  z: Float32Array;
  extras: Float32Array[];
}

function chunkSeed(seed: number, chunk: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(chunk + 1, 0x85ebca6b)) >>> 0;
}

const extraWidth = (e: LatentExtra): number => (e.kind === 'labels' ? 1 : e.dim);

function checkSignature(signature: LatentSignature): void {
  const bad = (what: string) => new GanKitError('INVALID_ARGUMENT', `sampleLatents: ${what}`);
  if (!Number.isInteger(signature.latentDim) || signature.latentDim < 1) throw bad(`latentDim must be an integer ≥ 1, got ${signature.latentDim}`);
  for (const e of signature.extras) {
    if (e.kind === 'labels' && !(Number.isInteger(e.numClasses) && e.numClasses >= 1)) throw bad(`a labels input needs numClasses an integer ≥ 1, got ${e.numClasses}`);
    if (e.kind === 'continuous' && !(Number.isInteger(e.dim) && e.dim >= 1)) throw bad(`a continuous code needs dim an integer ≥ 1, got ${e.dim}`);
  }
}

/**
 * The generator inputs of samples [start, end) of `options.seed`, gankit's one seeded sampler (gankit-eval and
 * gankit studio both draw with it): per chunk of `LATENT_CHUNK` samples, z ~ N(0, I) (or truncated at ±t), then
 * per extra input in order, continuous codes ~ U(−1, 1) or labels uniform in [0, K) (or cycling with `per-class`).
 */
export function sampleLatents(signature: LatentSignature, start: number, end: number, options: LatentOptions): Latents {
  checkSignature(signature);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
    throw new GanKitError('INVALID_ARGUMENT', `sampleLatents: expected sample indices 0 ≤ start ≤ end (integers), got [${start}, ${end})`);
  }
  const { latentDim, extras } = signature;
  const n = end - start;
  const z = new Float32Array(n * latentDim);
  const extraData = extras.map((e) => new Float32Array(n * extraWidth(e)));
  const t = options.zTruncation;
  for (let chunk = Math.floor(start / LATENT_CHUNK); chunk * LATENT_CHUNK < end; chunk++) {
    const rng = createRng(chunkSeed(options.seed, chunk));
    const first = chunk * LATENT_CHUNK;
    const size = LATENT_CHUNK;
    let zc: Float32Array;
    if (t !== undefined) {
      zc = truncatedNormalArray(rng, size * latentDim, t);
    } else {
      zc = new Float32Array(size * latentDim);
      for (let i = 0; i < zc.length; i++) zc[i] = rng.normal();
    }
    const ec = extras.map((e) => {
      if (e.kind === 'continuous') return rng.uniformArray(size * e.dim, -1, 1);
      return Float32Array.from({ length: size }, (_, i) => (options.labels === 'per-class' ? (first + i) % e.numClasses : rng.int(e.numClasses)));
    });
    const from = Math.max(start, first);
    const to = Math.min(end, first + size);
    z.set(zc.subarray((from - first) * latentDim, (to - first) * latentDim), (from - start) * latentDim);
    extras.forEach((e, k) => {
      const w = extraWidth(e);
      extraData[k]!.set(ec[k]!.subarray((from - first) * w, (to - first) * w), (from - start) * w);
    });
  }
  return { z, extras: extraData };
}
