import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// Two entries: the platform-neutral package and its Node-only `/node` subpath (shared code in a chunk).
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/node.ts'] }));
