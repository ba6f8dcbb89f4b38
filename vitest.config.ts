import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const dirs = {
  core: 'packages/core',
  'backend-wasm': 'packages/backend-wasm',
  losses: 'packages/losses',
  optimizers: 'packages/optimizers',
  models: 'packages/models',
  data: 'packages/data',
  metrics: 'packages/metrics',
  training: 'packages/training',
  trainer: 'apps/trainer',
  eval: 'apps/eval',
} as const;

/** Tests import every @gankit package from its source, so no build is needed before `vitest`. */
const alias = [
  // Tests run in Node: the engine package's `node` export condition.
  { find: /^@gankit\/backend-wasm$/, replacement: fileURLToPath(new URL('./packages/backend-wasm/src/node.ts', import.meta.url)) },
  // The Node-only subpaths (`@gankit/core/node`, …).
  ...['core', 'data', 'optimizers', 'metrics'].map((name) => ({
    find: new RegExp(`^@gankit/${name}/node$`),
    replacement: fileURLToPath(new URL(`./packages/${name}/src/node.ts`, import.meta.url)),
  })),
  ...Object.entries(dirs).map(([name, dir]) => ({
    find: new RegExp(`^@gankit/${name}$`),
    replacement: fileURLToPath(new URL(`./${dir}/src/index.ts`, import.meta.url)),
  })),
];

export default defineConfig({
  resolve: { alias },
  test: {
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 180_000,
    projects: [
      ...Object.entries(dirs).map(([name, dir]) => ({
        extends: true,
        test: { name, root: `./${dir}`, include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
      })),
      // Repository-wide checks: test hygiene, README commands (docs:check).
      { extends: true, test: { name: 'repo', root: '.', include: ['testing/**/*.test.ts'] } },
    ],
  },
});
