import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// Two entries: the platform-neutral `@gankit/core` and the Node-only `@gankit/core/node` (shared code in a chunk).
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/node.ts'] }));
