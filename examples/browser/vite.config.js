import { defineConfig } from 'vite';

// Top-level await in main.js needs an ES2022 target; COOP/COEP make the dev server cross-origin isolated (threads).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
export default defineConfig({
  build: { target: 'es2022' },
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
});
