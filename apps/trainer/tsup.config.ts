import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The CLI is a second entry (the published bin); types are only for the library entry.
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/cli.ts'], dts: { entry: 'src/index.ts' } }));
