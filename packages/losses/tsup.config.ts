import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  // tfjs-core 4.x registers no gradients on import and its per-file ESM dist cannot be loaded by plain Node, so
  // its gradient registrations are bundled in (they register into the one global tfjs engine/registry).
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
