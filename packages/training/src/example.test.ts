import { readmeExampleTests } from '../../../testing/readme-example';

// Runs the README's example (examples/train-step.mjs: the library step on a 2-D ring, browser-safe imports only)
// against the package sources; the built tarball runs a step in plain Node in scripts/smoke (check:packages).
readmeExampleTests(new URL('../', import.meta.url), () => import('../examples/train-step.mjs'));
