import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The Node side of the package: the static server (bin) and its library entry. The page itself is built by Vite
// into dist/site (after tsup, whose clean step would otherwise delete it).
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/serve.ts'], dts: { entry: 'src/index.ts' } }));
