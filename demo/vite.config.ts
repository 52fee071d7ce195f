// The demo: `npm run demo` (dev server) and `npm run build:demo` (static site in dist/demo, relative paths so
// it works from any static host or sub-folder). The Bench tab's peers load from the page's own origin, as in the
// headless bench page: ort/ (onnxruntime-web, from node_modules) and tfjs-peer.js (built by `npm run build` into
// dist/browser; without it the TF.js row reports that it could not load).
import { defineConfig, type Plugin } from 'vite';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PEERS: Record<string, string> = {
  'ort/ort.webgpu.min.mjs': r('../node_modules/onnxruntime-web/dist/ort.webgpu.min.mjs'),
  'ort/ort-wasm-simd-threaded.asyncify.mjs': r('../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs'),
  'ort/ort-wasm-simd-threaded.asyncify.wasm': r('../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm'),
  'tfjs-peer.js': r('../dist/browser/tfjs-peer.js'),
};
const TYPES: Record<string, string> = { mjs: 'text/javascript', js: 'text/javascript', wasm: 'application/wasm' };

/** The peer files plus the chunks the TF.js bundle imports from its own folder (e.g. rolldown-runtime-*.js). */
function peerFiles(): Record<string, string> {
  const out = { ...PEERS };
  const todo = ['tfjs-peer.js'];
  while (todo.length) {
    const name = todo.pop()!;
    const file = out[name] ?? r(`../dist/browser/${name}`);
    if (!existsSync(file)) continue;
    out[name] = file;
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*["']\.\/([\w.-]+\.js)["']/g)) if (!out[m[1]]) todo.push(m[1]);
  }
  return out;
}

function peers(): Plugin {
  return {
    name: 'nibble-demo-peers',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '').split('?')[0].replace(/^\//, '');
        const file = peerFiles()[path];
        if (!file || !existsSync(file)) return next();
        res.setHeader('content-type', TYPES[path.split('.').pop()!] ?? 'application/octet-stream');
        res.end(readFileSync(file));
      });
    },
    generateBundle() {
      for (const [name, file] of Object.entries(peerFiles())) if (existsSync(file)) this.emitFile({ type: 'asset', fileName: name, source: readFileSync(file) });
    },
  };
}

export default defineConfig({
  root: r('.'),
  base: './',
  publicDir: 'public',
  logLevel: 'warn',
  plugins: [peers()],
  build: {
    outDir: r('../dist/demo'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 4000,
  },
  server: { host: '127.0.0.1' },
});
