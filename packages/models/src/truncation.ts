import type * as tfl from '@tensorflow/tfjs-layers';
import { GanKitError, type Rng } from '@gankit/core';
import { checkPsi, MappingNetwork } from './layers/stylegan2';

/**
 * Which truncation trick a generator takes: `psi` (ψ-truncation toward the tracked mean w, Karras et al. 2019) when
 * it has a StyleGAN2 mapping network, else `z` (z-truncation, Brock et al. 2019: resample components beyond t).
 */
export function truncationKind(model: tfl.LayersModel): 'psi' | 'z' {
  return mappingNetworks(model).length > 0 ? 'psi' : 'z';
}

/** The StyleGAN2 mapping-network layers of a model (one in a `stylegan2` generator, none elsewhere). */
export function mappingNetworks(model: tfl.LayersModel): MappingNetwork[] {
  return model.layers.filter((layer): layer is MappingNetwork => layer instanceof MappingNetwork);
}

/**
 * Sets ψ of the truncation trick on a StyleGAN2 generator (or its mapping half): at inference w' = w_avg + ψ·(w − w_avg)
 * with the mean w tracked during training (saved with the generator); ψ = 1 is no truncation, ψ = 0 gives every
 * sample the mean w. Returns the previous ψ. `INVALID_ARGUMENT` for generators without a mapping network
 * (use `truncatedNormalArray` for their z).
 */
export function setTruncationPsi(model: tfl.LayersModel, psi: number): number {
  checkPsi(psi);
  const layers = mappingNetworks(model);
  if (layers.length === 0) throw new GanKitError('INVALID_ARGUMENT', `model "${model.name}" has no mapping network (ψ-truncation needs a stylegan2 generator); truncate its z with truncatedNormalArray instead`);
  const previous = layers[0]!.truncationPsi;
  for (const layer of layers) layer.truncationPsi = psi;
  return previous;
}

/**
 * `length` standard normal samples, each resampled until |z| ≤ `threshold` (z-truncation, Brock et al. 2019), i.e.
 * N(0, 1) truncated to [−t, t]; t = 0 gives zeros (the mean latent). For t ≥ 1 every component is redrawn from
 * `rng.normal()` until it falls inside; for t < 1 (where that would need ~1.25/t draws) it is drawn uniformly in
 * [−t, t] and accepted with probability exp(−z²/2) — the same distribution, at most ~1.7 draws per component.
 */
export function truncatedNormalArray(rng: Rng, length: number, threshold: number): Float32Array {
  if (!(threshold >= 0) || Number.isNaN(threshold)) throw new GanKitError('INVALID_ARGUMENT', `z-truncation threshold must be a number ≥ 0 (0 = the mean latent), got ${threshold}`);
  const out = new Float32Array(length);
  if (threshold === 0) return out;
  for (let i = 0; i < length; i++) {
    if (threshold >= 1) {
      let v = rng.normal();
      while (Math.abs(v) > threshold) v = rng.normal();
      out[i] = v;
    } else {
      let v = (2 * rng.uniform() - 1) * threshold;
      while (rng.uniform() >= Math.exp(-0.5 * v * v)) v = (2 * rng.uniform() - 1) * threshold;
      out[i] = v;
    }
  }
  return out;
}
