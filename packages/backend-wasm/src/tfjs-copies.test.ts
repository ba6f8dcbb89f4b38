// A second @tensorflow/tfjs-core next to gankit's (issue 18, item 5): a real copy of the package with another
// version in a temporary app, loaded in a child process before gankit's built dist initialises.
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, repoPath, runNode } from '../../../testing/cli-process';

import { GanKitError, assertSingleTfjsCore, loadedTfjsCoreCopies, TFJS_CORE_VERSION } from '@gankit/core';

const require = createRequire(import.meta.url);
let app: string;
let realCore: string;

/** Writes a copy of gankit's tfjs-core into `app/node_modules/@tensorflow/tfjs-core`, claiming `version`. */
async function installCopy(appDir: string, version: string): Promise<string> {
  const target = join(appDir, 'node_modules', '@tensorflow', 'tfjs-core');
  await mkdir(join(target, 'dist'), { recursive: true });
  const pkg = JSON.parse(await readFile(join(realCore, 'package.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(target, 'package.json'), JSON.stringify({ ...pkg, version }));
  const bundle = await readFile(join(realCore, 'dist', 'tf-core.node.js'), 'utf8');
  expect(bundle).toContain(`var version = '${tf.version_core}';`);
  await writeFile(join(target, 'dist', 'tf-core.node.js'), bundle.replace(`var version = '${tf.version_core}';`, `var version = '${version}';`));
  // Its own dependencies, as the package manager would install them next to it.
  const siblings = dirname(dirname(realCore));
  for (const dep of ['long', 'seedrandom', 'node-fetch']) {
    await symlink(await realpath(join(siblings, dep)), join(appDir, 'node_modules', dep)).catch(() => undefined);
  }
  return realpath(target);
}

/** The user's app: imports its own tfjs-core (or not), then gankit's built core, then initialises. */
async function runApp(appDir: string, importUserCopy: boolean): Promise<{ code?: string; message?: string; ok?: boolean; userVersion?: string }> {
  const main = join(appDir, 'main.mjs');
  await writeFile(
    main,
    [
      importUserCopy ? "import * as userTf from '@tensorflow/tfjs-core';" : 'const userTf = undefined;',
      `const { initBackend } = await import(${JSON.stringify(repoPath('packages', 'backend-wasm', 'dist', 'node.js'))});`,
      'try {',
      "  await initBackend({ backend: 'cpu' });",
      '  console.log(JSON.stringify({ ok: true, userVersion: userTf?.version_core }));',
      '} catch (e) {',
      '  console.log(JSON.stringify({ code: e.code, message: e.message, userVersion: userTf?.version_core }));',
      '}',
    ].join('\n'),
  );
  const r = await runNode(main, [], { cwd: appDir, timeout: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { code?: string; message?: string; ok?: boolean };
}

beforeAll(async () => {
  await buildPackage('@gankit/backend-wasm');
  realCore = dirname(dirname(await realpath(require.resolve('@tensorflow/tfjs-core'))));
  app = await mkdtemp(join(tmpdir(), 'gankit-two-tfjs-'));
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
}, 300_000);
afterAll(async () => rm(app, { recursive: true, force: true }));

describe('a second @tensorflow/tfjs-core', () => {
  it('the version constant is the peer dependency gankit declares and the one installed here', async () => {
    const pkg = JSON.parse(await readFile(repoPath('packages', 'core', 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
    expect(pkg.peerDependencies['@tensorflow/tfjs-core']).toBe(TFJS_CORE_VERSION);
    expect(tf.version_core).toBe(TFJS_CORE_VERSION);
  });

  it('in this process there is one copy, gankit\'s, and initialising is allowed', () => {
    const copies = loadedTfjsCoreCopies();
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ version: TFJS_CORE_VERSION, gankit: true });
    expect(() => assertSingleTfjsCore(copies)).not.toThrow();
  });

  it('an app that loads tfjs-core 4.21.0 next to gankit\'s gets DUPLICATE_TFJS naming both versions and folders', async () => {
    const alone = await runApp(app, false);
    expect(alone).toMatchObject({ ok: true });
    const theirs = await installCopy(app, '4.21.0');
    const both = await runApp(app, true);
    expect(both.userVersion).toBe('4.21.0');
    expect(both.code).toBe('DUPLICATE_TFJS');
    expect(both.message).toContain(`4.21.0 from ${theirs}`);
    expect(both.message).toContain(`${TFJS_CORE_VERSION} from ${realCore} (gankit's)`);
    expect(both.message).toMatch(/Unknown layer/);
    expect(both.message).not.toContain('\n');
  });

  it('two copies of the same version are refused too (their layer registries are still separate)', async () => {
    const same = await mkdtemp(join(tmpdir(), 'gankit-two-tfjs-same-'));
    try {
      await writeFile(join(same, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
      const theirs = await installCopy(same, TFJS_CORE_VERSION);
      const r = await runApp(same, true);
      expect(r.code).toBe('DUPLICATE_TFJS');
      expect(r.message).toContain(`2 copies of @tensorflow/tfjs-core are loaded`);
      expect(r.message).toContain(theirs);
    } finally {
      await rm(same, { recursive: true, force: true });
    }
  });

  it('a single copy of another version is refused with what gankit needs', () => {
    const error = (() => {
      try {
        assertSingleTfjsCore([{ version: '4.21.0', path: '/app/node_modules/@tensorflow/tfjs-core', gankit: true }]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(GanKitError.isInstance(error) && error.code).toBe('DUPLICATE_TFJS');
    expect((error as Error).message).toBe(
      `gankit needs @tensorflow/tfjs-core ${TFJS_CORE_VERSION} but 4.21.0 is loaded from /app/node_modules/@tensorflow/tfjs-core; make your app use one copy: install @tensorflow/tfjs-core@${TFJS_CORE_VERSION} (and @tensorflow/tfjs@${TFJS_CORE_VERSION} or @tensorflow/tfjs-layers@${TFJS_CORE_VERSION} if you use them), then deduplicate (npm dedupe, or "overrides" / pnpm.overrides)`,
    );
  });
});
