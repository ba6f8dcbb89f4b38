// The library step in a real browser page: examples/train-step.mjs (the README example) bundled by esbuild for the
// browser (a Node built-in or native module in the import graph fails the bundle), served on 127.0.0.1 and run in
// headless Debian Chromium.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { expect, it } from 'vitest';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const root = fileURLToPath(new URL('../../../', import.meta.url));
/** The workspace packages the page imports, from their sources (as the tests' vitest aliases do). */
const sources: Record<string, string> = Object.fromEntries(['core', 'losses', 'optimizers', 'training'].map((name) => [`@gankit/${name}`, join(root, 'packages', name, 'src', 'index.ts')]));

it('bundles for the browser without Node built-ins and trains in headless Chromium', async (ctx) => {
  if (!CHROMIUM) {
    console.warn('SKIPPED the Chromium check: no chromium binary (apt-get install -y chromium)');
    ctx.skip();
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'gankit-training-page-'));
  try {
    await build({
      entryPoints: [fileURLToPath(new URL('../examples/train-step.mjs', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      outfile: join(dir, 'page.js'),
      logLevel: 'silent',
      alias: sources,
    });
    await writeFile(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="page.js"></script>');
    const server = createServer((req, res) => {
      const name = req.url === '/page.js' ? 'page.js' : 'index.html';
      void readFile(join(dir, name)).then((body) => res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const done = page.waitForEvent('console', { predicate: (m) => /^cpu: after 300 steps/.test(m.text()), timeout: 120_000 });
      await page.goto(`http://127.0.0.1:${address.port}/`);
      const line = (await done).text();
      const [, d, g, radius] = /D loss (\S+), G loss (\S+), mean radius of samples (\S+)/.exec(line) ?? [];
      expect([d, g, radius].map(Number).every(Number.isFinite), line).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      server.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
