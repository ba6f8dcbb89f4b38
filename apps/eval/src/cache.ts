import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile } from '@gankit/core/node';
import { type FeatureStats } from '@gankit/metrics';
import { loadStatsNpz, saveStatsNpz } from '@gankit/metrics/node';
import { hashKey } from './fingerprint';

/** What identifies cached reference statistics: the input's data and every setting that changes the features. */
export interface CacheKey {
  fingerprint: string;
  extractor: string;
  /** Which weights the extractor ran with (a different Inception file gives different features). */
  weights: string;
  resize: string;
  count: number;
  /** Seed of the random subset, when --num took one. */
  subsetSeed?: number;
  shard?: string;
  recursive?: boolean;
}

interface CacheMeta extends CacheKey {
  spec: string;
  n: number;
  created: string;
}

function entryName(key: CacheKey): string {
  return `stats-${hashKey(key)}`;
}

/** Reads cached statistics for exactly this key, or undefined. */
export async function readCachedStats(dir: string, key: CacheKey): Promise<FeatureStats | undefined> {
  const base = join(dir, entryName(key));
  try {
    const meta = JSON.parse(await readFile(`${base}.json`, 'utf8')) as CacheMeta;
    const stats = await loadStatsNpz(`${base}.npz`);
    return { ...stats, n: meta.n };
  } catch {
    return undefined;
  }
}

/** Writes statistics into the cache (atomically: npz first, then the metadata that makes it visible). */
export async function writeCachedStats(dir: string, key: CacheKey, spec: string, stats: FeatureStats): Promise<void> {
  const base = join(dir, entryName(key));
  await saveStatsNpz(`${base}.npz`, stats);
  const meta: CacheMeta = { ...key, spec, n: stats.n, created: new Date().toISOString() };
  await atomicWriteFile(`${base}.json`, `${JSON.stringify(meta, null, 2)}\n`);
}

/** Resize conventions of cached entries for the same data and extractor but other settings (to warn about mixing). */
export async function otherCachedResizes(dir: string, key: CacheKey): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const found = new Set<string>();
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      const meta = JSON.parse(await readFile(join(dir, name), 'utf8')) as Partial<CacheMeta>;
      if (meta.fingerprint === key.fingerprint && meta.extractor === key.extractor && meta.weights === key.weights && meta.resize && meta.resize !== key.resize) found.add(meta.resize);
    } catch {
      // an unreadable entry is simply not a match
    }
  }
  return [...found];
}
