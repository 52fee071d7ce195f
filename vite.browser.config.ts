// Builds the browser bundle served by runtime/headless.ts: the library (nibble.js) and the shared kernel test
// cases (test-cases.js), as ES modules, plus the harness page.
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
      entry: { nibble: r('./runtime/browser-entry.ts'), 'test-cases': r('./test/cases/index.ts') },
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
      },
    },
  ],
});

import { readFileSync } from 'node:fs';
function require_(p: string): string {
  return readFileSync(r(p), 'utf8');
}
