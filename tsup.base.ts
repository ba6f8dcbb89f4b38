import type { Options } from 'tsup';

/** The build every gankit package shares: ESM + bundled .d.ts + sourcemaps for Node 20, from src/index.ts. */
export function packageBuild(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
    ...overrides,
  };
}
