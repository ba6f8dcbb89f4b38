// A static server for the built example (or any folder), on 127.0.0.1 only: COOP/COEP headers (cross-origin
// isolation, so gankit's kernels can use Web Workers), tfjs-backend-wasm's .wasm files under /wasm/.
// Run: node serve.mjs [folder=dist] [port=5180]   (add --no-isolation to see the one-thread fallback)
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png', '.bin': 'application/octet-stream', '.map': 'application/json' };
const wasmDist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');

/** Serves `mounts` (URL prefix → folder) on 127.0.0.1; resolves to `{ url, close }`. */
export async function serveStatic({ mounts, isolated = true, port = 0 }) {
  const table = Object.entries({ '/wasm/': wasmDist, ...mounts }).sort((a, b) => b[0].length - a[0].length);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const mount = table.find(([prefix]) => path.startsWith(prefix));
    const file = mount && resolve(mount[1], normalize(path.slice(mount[0].length) || 'index.html'));
    const inside = mount && file && (file === resolve(mount[1]) || file.startsWith(resolve(mount[1]) + sep));
    const stat = inside ? statSync(file, { throwIfNoEntry: false }) : undefined;
    if (isolated) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    if (!stat?.isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': stat.size });
    createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { url, close: () => new Promise((ok) => server.close(ok)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const folder = resolve(args[0] ?? join(dirname(fileURLToPath(import.meta.url)), 'dist'));
  const { url } = await serveStatic({ mounts: { '/': folder }, isolated: !process.argv.includes('--no-isolation'), port: Number(args[1] ?? 5180) });
  console.log(`serving ${folder} at ${url}`);
}
