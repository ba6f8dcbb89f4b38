// The gankit CLIs' machine-readable output uses snake_case keys throughout (as metrics.jsonl does).

/** `imagesPerSec` → `images_per_sec`; snake_case keys are returned unchanged. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** A copy of `value` whose object keys, at any depth, are snake_case (for `--json` output). */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snakeCase(k), snakeCaseKeys(v)]));
}
