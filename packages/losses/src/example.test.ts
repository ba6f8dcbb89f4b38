import { readmeExampleTests } from '../../../testing/readme-example';

// Runs the README's training-step example (examples/train-step.mjs) against the package sources; the built
// tarball runs the same kind of step in plain Node in scripts/smoke (check:packages).
readmeExampleTests(new URL('../', import.meta.url), () => import('../examples/train-step.mjs'));
