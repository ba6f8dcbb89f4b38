import { defineConfig } from 'vite';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// A static site: relative asset URLs (it works from any folder of any static host), the bundled datasets and
// tfjs-backend-wasm's .wasm files copied in from .generated/ by scripts/bundle-datasets.mjs.
export default defineConfig({
  base: './',
  publicDir: '.generated',
  build: { outDir: 'dist/site', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8192, minify: false },
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
});
