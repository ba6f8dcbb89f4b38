import { defineConfig } from 'vite';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// A static site: relative asset URLs (it works from any folder of any static host), the bundled datasets and
// tfjs-backend-wasm's .wasm files copied in from .generated/ by scripts/prepare-assets.mjs.
//
// Minified with Oxc's mangler and whitespace removal, but without its compressor. tfjs-backend-wasm starts its
// threads by sending the *source text* of its Emscripten factory (`wasmFactoryThreadedSimd.toString()`, in
// backend_wasm.js) to each Web Worker, where it runs outside the closure it was bundled in. That closure declares
// `_scriptDir`, and the factory tests it with `typeof _scriptDir !== "undefined"`. A compressor that knows the binding
// is declared rewrites that to `_scriptDir !== void 0` (Oxc does: `e!==void 0&&e`), which throws in the worker: with
// Vite's default `minify: 'oxc'` the page logs "worker sent an error! blob:…: Uncaught ReferenceError: e is not
// defined" once per thread and the wasm backend never becomes ready (the studio e2e tests time out). tfjs documents it in
// tfjs-backend-wasm's README ("JS Minification": turn off terser's `typeofs`) after tensorflow/tfjs#4107 and #4539;
// Oxc's compressor has no such switch, so it is off. Renaming alone is safe (the `typeof` guard stays) and gives
// most of the saving: the page's JavaScript is 1.56 MB so, 4.00 MB unminified (`du -sb dist/site/assets/*.js`).
export default defineConfig({
  base: './',
  publicDir: '.generated',
  build: {
    outDir: 'dist/site',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
    minify: 'oxc',
    rolldownOptions: { output: { minify: { compress: false, mangle: true, codegen: { removeWhitespace: true } } } },
  },
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
});
