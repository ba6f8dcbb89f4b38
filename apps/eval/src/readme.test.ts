// The example outputs in apps/eval/README.md come from scripts/readme-examples.mjs; this reruns its commands with
// the built CLI and fails when the README no longer shows what they print (the `time` line aside).
import { describe, expect, it } from 'vitest';
import { buildPackage, repoPath, runNode } from '../../../testing/cli-process';

describe('apps/eval/README.md examples', () => {
  it('are what the committed commands print now', async () => {
    await buildPackage('@gankit/eval');
    const result = await runNode(repoPath('apps', 'eval', 'scripts', 'readme-examples.mjs'), ['--check'], { timeout: 280_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/README examples are current/);
  }, 300_000);
});
