// A throwaway npm registry for the package checks: verdaccio on 127.0.0.1 (a free port), its storage in a temp
// folder, no uplinks (it serves only what is published to it; the projects that install from it take everything
// outside the @gankit scope from the configured npm registry through npm's per-scope registry setting), and one
// user whose token lets npm/pnpm publish.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts verdaccio; resolves with its URL, an auth token, the .npmrc lines that point @gankit at it, and stop(). */
export async function startLocalRegistry() {
  const dir = mkdtempSync(join(tmpdir(), 'gankit-registry-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 1',
      'uplinks: {}',
      'packages:',
      "  '@gankit/*':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  const bin = join(dirname(require.resolve('verdaccio/package.json')), 'bin', 'verdaccio');
  const child = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const stop = () => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}:\n${output}`);
      const ok = await fetch(`${url}-/ping`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`verdaccio did not answer on ${url} within 30 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const res = await fetch(`${url}-/user/org.couchdb.user:ci`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci', password: 'ci-password' }),
    });
    const { token } = await res.json();
    if (!token) throw new Error(`verdaccio refused to create a user (HTTP ${res.status})`);
    const host = url.replace(/^http:/, '');
    const npmrc = `@gankit:registry=${url}\n${host}:_authToken=${token}\n`;
    return { url, token, npmrc, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/** The versions of a package the registry holds (empty when it has none), and its published manifests. */
export async function registryVersions(url, name) {
  // node:http without keep-alive: verdaccio closes idle sockets, which fetch's pool may try to reuse.
  const { status, body } = await new Promise((resolve, reject) => {
    get(`${url}${name.replace('/', '%2f')}`, { agent: false, headers: { accept: 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    }).on('error', reject);
  });
  if (status === 404) return { versions: [], manifests: {} };
  if (status !== 200) throw new Error(`registry ${url}: GET ${name} gave HTTP ${status}`);
  const doc = JSON.parse(body);
  return { versions: Object.keys(doc.versions ?? {}).sort(), manifests: doc.versions ?? {}, latest: doc['dist-tags']?.latest };
}
