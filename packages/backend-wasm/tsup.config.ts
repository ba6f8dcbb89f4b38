import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// `index` is the browser/default entry, `node` the same API on the Node platform (export conditions in package.json).
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/node.ts'] }));
