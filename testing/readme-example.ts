// Test helper: a package README's runnable example lives in examples/train-step.mjs; these tests run it
// against the package sources and check the README shows it word for word.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

/** Registers the two README-example tests for the package whose folder URL is `packageDir` (ending in '/'). */
export function readmeExampleTests(packageDir: URL, importExample: () => Promise<unknown>): void {
  test('the README example trains a few hundred D/G steps and prints finite losses', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
    try {
      await importExample();
    } finally {
      console.log = log;
    }
    log(lines.join('\n'));
    expect(lines.join('\n')).toMatch(/^cpu: /m);
  });

  test('the README shows exactly examples/train-step.mjs', () => {
    const example = readFileSync(new URL('examples/train-step.mjs', packageDir), 'utf8').trimEnd();
    const readme = readFileSync(new URL('README.md', packageDir), 'utf8');
    expect(readme).toContain(example);
  });
}
