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

// The built site's Content-Security-Policy (a <meta> tag: a static host need not send headers). Scripts only from the
// site itself: no inline scripts, no eval / new Function ('unsafe-eval' is absent); 'wasm-unsafe-eval' lets
// onnxruntime-web (the Bench tab's peer) compile its WebAssembly. Workers from the site; fetches to the site and to
// https: (models opened by URL); inline style attributes are allowed (the page and its charts use them), plugins
// and <base> are not. The dev server gets no policy (Vite injects inline scripts for hot reload). A meta policy does
// not reach workers (theirs comes with the worker script's HTTP response), so noEval below also refuses any
// eval / new Function in the site's own chunks, workers included.
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self' https:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

/** Fails the build where a chunk of the site's own code (page or worker) holds eval or new Function. */
function noEval(): Plugin {
  return {
    name: 'nibble-demo-no-eval',
    apply: 'build',
    generateBundle(_, bundle) {
      const peerNames = new Set(Object.keys(peerFiles()));
      for (const [name, out] of Object.entries(bundle)) {
        if (peerNames.has(name) || !/\.m?js$/.test(name)) continue;
        const code = out.type === 'chunk' ? out.code : String(out.source);
        const m = /\bnew Function\b|(?<![\w.$])eval\(|(?<![\w.$])Function\(/.exec(code);
        if (m) this.error(`${name}: '${m[0]}' at ${m.index}: the demo's CSP forbids eval and new Function`);
      }
    },
  };
}

function csp(): Plugin {
  return {
    name: 'nibble-demo-csp',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html)) throw new Error('demo/index.html: an inline <script> would be blocked by the CSP');
        if (!html.includes('<meta charset="utf-8">')) throw new Error('demo/index.html: no <meta charset="utf-8"> to put the CSP after');
        // First thing after the charset: a meta policy governs only what the parser meets after it.
        return html.replace('<meta charset="utf-8">', `<meta charset="utf-8">\n  <meta http-equiv="Content-Security-Policy" content="${CSP}">`);
      },
    },
  };
}

export default defineConfig({
  root: r('.'),
  base: './',
  publicDir: 'public',
  logLevel: 'warn',
  plugins: [peers(), csp(), noEval()],
  worker: { plugins: () => [noEval()] },
  build: {
    outDir: r('../dist/demo'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 4000,
  },
  server: { host: '127.0.0.1' },
});
