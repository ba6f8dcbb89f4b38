// Install check for @gankit/studio: `npx gankit-studio` from the tarball in a fresh project serves the built page
// on 127.0.0.1 with the cross-origin isolation headers, its script, the bundled datasets and the .wasm files.
import { spawn } from 'node:child_process';

// Its own process group, so stopping it also stops the server npx starts.
const child = spawn('npx', ['--no-install', 'gankit-studio', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
try {
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const match = /gankit studio: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`gankit-studio exited ${code} before printing its URL: ${out}`)));
    setTimeout(() => reject(new Error(`gankit-studio printed no URL in 30 s: ${out}`)), 30_000).unref();
  });
  console.log(`gankit-studio serves ${url}`);
  const page = await fetch(url);
  const html = await page.text();
  if (page.headers.get('cross-origin-opener-policy') !== 'same-origin' || page.headers.get('cross-origin-embedder-policy') !== 'require-corp') {
    throw new Error('index.html lacks the COOP/COEP headers');
  }
  const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
  if (!script) throw new Error('index.html names no script');
  for (const path of [script, 'datasets/datasets.json', 'datasets/mnist.bin', 'wasm/tfjs-backend-wasm-simd.wasm']) {
    const res = await fetch(new URL(path, url));
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    console.log(`${path}: ${(await res.arrayBuffer()).byteLength} bytes`);
  }
} finally {
  process.kill(-child.pid, 'SIGTERM');
  child.stdout.destroy();
}
