import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GanKitError } from '@gankit/core';

/** Where the built static site lives inside this package (`dist/site`, written by `vite build`). */
export const siteDir: string = fileURLToPath(new URL('./site/', import.meta.url));

/**
 * The headers that make the page cross-origin isolated (so `SharedArrayBuffer` exists and wasm can use threads).
 * Any static host must send these two for threads; without them the studio runs single-threaded.
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.bin': 'application/octet-stream',
  '.map': 'application/json',
};

/** Options of `serveStudio`. */
export interface ServeOptions {
  /** Port (0: a free one). Default 5178. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Folder to serve. Default: the built studio (`siteDir`). */
  root?: string;
}

/** A running static server. */
export interface StudioServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves a folder of static files (the built studio by default) with the cross-origin isolation headers. */
export async function serveStudio(options: ServeOptions = {}): Promise<StudioServer> {
  const root = normalize(options.root ?? siteDir);
  const index = join(root, 'index.html');
  if (!(await stat(index).then((s) => s.isFile(), () => false))) {
    throw new GanKitError('FILE_NOT_FOUND', `${index} does not exist: build the studio first (pnpm --filter @gankit/studio build)`, { path: index });
  }
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    let file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    void stat(file)
      .then((s) => (s.isDirectory() ? ((file = join(file, 'index.html')), stat(file)) : s))
      .then(
        (s) => {
          res.writeHead(200, { ...ISOLATION_HEADERS, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': s.size, 'Cache-Control': 'no-cache' });
          if (req.method === 'HEAD') res.end();
          else createReadStream(file).pipe(res);
        },
        () => res.writeHead(404, ISOLATION_HEADERS).end('not found'),
      );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new GanKitError('INVALID_ARGUMENT', `cannot listen on ${host}:${options.port ?? 5178}: ${error.code ?? error.message}; pick another --port`, { cause: error })),
    );
    server.listen(options.port ?? 5178, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
