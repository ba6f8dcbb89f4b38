import { GanKitError } from '@gankit/core';
import type { FeatureStats } from './feature-stats';
import { frechetDistance, type FrechetOptions } from './frechet';

/** Intra-FID: the mean over classes and the FID of each class. */
export interface IntraFid {
  /** (1/K) Σ_c FID(real_c, fake_c). */
  mean: number;
  /** FID of class c (index = label). */
  perClass: number[];
}

/**
 * Intra-FID (Miyato & Koyama 2018, "cGANs with Projection Discriminator"): the FID (Heusel et al. 2017) between the
 * real and generated images of each class c, d²_c = ‖μʳ_c−μᶠ_c‖² + Tr(Σʳ_c + Σᶠ_c − 2(Σʳ_cΣᶠ_c)^½), averaged over the
 * K classes. `real[c]` and `fake[c]` are the statistics of class c.
 */
export async function intraFid(real: readonly FeatureStats[], fake: readonly FeatureStats[], options: FrechetOptions = {}): Promise<IntraFid> {
  if (real.length === 0 || real.length !== fake.length) {
    throw new GanKitError('SHAPE_MISMATCH', `intraFid: need the same positive number of classes on both sides, got ${real.length} real and ${fake.length} fake`);
  }
  const perClass: number[] = [];
  for (let c = 0; c < real.length; c++) {
    const warnings: string[] = [];
    perClass.push(await frechetDistance(real[c]!, fake[c]!, { ...options, onWarning: (m) => warnings.push(`class ${c}: ${m}`) }));
    for (const w of warnings) (options.onWarning ?? ((m: string) => console.warn(m)))(w);
  }
  return { mean: perClass.reduce((a, b) => a + b, 0) / perClass.length, perClass };
}
