// pnpm docs:check (issue 18, item 1): every README command whose output is quoted runs and matches, and the
// long-running ones (the demo, the full CI) exist and parse. Runs the script as a child process.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, repoPath, runNode } from './cli-process';

const script = repoPath('scripts', 'docs-check.mjs');
let dir: string;
beforeAll(async () => {
  await Promise.all([buildPackage('@gankit/trainer'), buildPackage('@gankit/eval')]);
  dir = await mkdtemp(join(tmpdir(), 'gankit-docs-check-'));
}, 300_000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('pnpm docs:check', () => {
  it('the READMEs are current: quoted outputs match their commands, the demo builds what the next commands use', async () => {
    const r = await runNode(script, [], { timeout: 300_000 });
    expect(r.stderr, r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The eval README's example outputs are kept current by apps/eval/src/readme.test.ts (scripts/readme-examples.mjs).
    expect(r.stdout).toMatch(/packages\/core\/README\.md:\d+: ran `node packages\/core\/examples\/readme-example\.mjs`/);
    expect(r.stdout).toMatch(/`bash scripts\/setup\.sh && pnpm demo` exists and parses \(long-running: not run here\)/);
    const pkg = JSON.parse(await readFile(repoPath('package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toContain('--filter=@gankit/eval...');
    expect(pkg.scripts['docs:check']).toContain('scripts/docs-check.mjs');
  });

  it('finds a stale quoted output, names the line, and --update rewrites it', async () => {
    const readme = join(dir, 'README.md');
    const pkg = JSON.parse(await readFile(repoPath('apps', 'trainer', 'package.json'), 'utf8')) as { version: string };
    await writeFile(readme, ['# t', '', 'Run `gankit-train --version`:', '', '<!-- docs:check run="node apps/trainer/dist/cli.js --version" -->', '```', 'gankit-train 0.0.0-stale', '```', ''].join('\n'));
    const stale = await runNode(script, [readme]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('README.md:5: the quoted output of `node apps/trainer/dist/cli.js --version` is stale: line 1 is quoted as "gankit-train 0.0.0-stale" but is now');
    const updated = await runNode(script, ['--update', readme]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(await readFile(readme, 'utf8')).toContain(`\`\`\`\ngankit-train ${pkg.version}\n\`\`\``);
    expect((await runNode(script, [readme])).code).toBe(0);
  });

  it('refuses a quoted command the README does not show', async () => {
    const readme = join(dir, 'hidden.md');
    await writeFile(readme, ['<!-- docs:check run="node apps/trainer/dist/cli.js --version" -->', '```', 'x', '```', ''].join('\n'));
    const r = await runNode(script, [readme]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the README does not show the command it quotes');
  });
});
