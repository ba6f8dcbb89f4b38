import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

// Runs the README's training-step example (examples/train-step.mjs) against the package sources; the built
// tarball runs the same kind of step in plain Node in scripts/smoke (check:packages).
test('the README example trains a few hundred D/G steps and prints finite losses', async () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
  try {
    await import('../examples/train-step.mjs');
  } finally {
    console.log = log;
  }
  log(lines.join('\n'));
  expect(lines.join('\n')).toMatch(/^cpu: /m);
});

test('the README shows exactly examples/train-step.mjs', () => {
  const example = readFileSync(new URL('../examples/train-step.mjs', import.meta.url), 'utf8').trimEnd();
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(example);
});
