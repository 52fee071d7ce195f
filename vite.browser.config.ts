// Builds the browser bundle served by runtime/headless.ts: the library (nibble.js) and the shared kernel test
// cases (test-cases.js), as ES modules, plus the harness page; the bench (bench.js, imported on demand) and the
// peers it loads from the page's own origin: onnxruntime-web (ort/, copied from node_modules) and TF.js
// (tfjs-peer.js, its own entry so that bench.js stays small).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: r('./dist/browser'),
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    lib: {
      entry: { nibble: r('./runtime/browser-entry.ts'), 'test-cases': r('./test/cases/index.ts'), bench: r('./bench/page.ts'), 'tfjs-peer': r('./bench/peers/tfjs-bundle.ts') },
      formats: ['es'],
      fileName: (_fmt, name) => `${name}.js`,
    },
    rollupOptions: { external: [] },
  },
  plugins: [
    {
      name: 'nibble-harness-page',
      generateBundle() {
        this.emitFile({ type: 'asset', fileName: 'index.html', source: require_('./runtime/page/index.html') });
        for (const [dir, files] of Object.entries(PEER_FILES)) {
          for (const f of files) this.emitFile({ type: 'asset', fileName: `${dir}/${f.split('/').pop()}`, source: readFileSync(r(`./node_modules/${f}`)) });
        }
      },
    },
  ],
});

import { readFileSync } from 'node:fs';

// Peer libraries served to the bench page from localhost (bench/peers/*.ts load them at run time).
const PEER_FILES: Record<string, string[]> = {
  ort: ['onnxruntime-web/dist/ort.webgpu.min.mjs', 'onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs', 'onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm'],
};
function require_(p: string): string {
  return readFileSync(r(p), 'utf8');
}
