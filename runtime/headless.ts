// Headless Chromium (puppeteer-core driving the system browser) with WebGPU on SwiftShader when no GPU exists:
// serves a folder from localhost (navigator.gpu is absent on about:blank and data: pages) and runs code in it.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Flags that give WebGPU in headless Chromium, on SwiftShader where there is no GPU. */
export function chromiumFlags(useSwiftShader: boolean): string[] {
  const common = ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
  return useSwiftShader
    ? [...common, '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--disable-vulkan-surface']
    : [...common, '--enable-features=Vulkan,WebGPUDeveloperFeatures', '--use-angle=vulkan', '--disable-vulkan-surface'];
}

/** The repository (package) root: the nearest folder above this file holding nibble's package.json. */
export function packageRoot(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).name === 'nibble') return dir;
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('nibble package root not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** The folder holding the built browser bundle (vite build -> dist/browser). */
export const browserDist = (): string => join(packageRoot(), 'dist', 'browser');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.safetensors': 'application/octet-stream',
  '.gz': 'application/gzip',
  '.csv': 'text/csv',
  '.onnx': 'application/octet-stream',
};

/** A static file server on 127.0.0.1 for `dir`; answers single `Range: bytes=a-b` requests with 206 (for openGguf). */
export function serveStatic(dir: string): Promise<{ server: Server; url: string }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    let file = normalize(join(root, path));
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404).end(`not found: ${path}`);
      return;
    }
    const type = MIME[extname(file)] ?? 'application/octet-stream';
    const body = readFileSync(file);
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const a = Number(range[1]);
      const b = Math.min(range[2] === '' ? body.length - 1 : Number(range[2]), body.length - 1);
      if (a > b) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'content-type': type, 'content-range': `bytes ${a}-${b}/${body.length}`, 'content-length': b - a + 1, 'cache-control': 'no-store' });
      res.end(body.subarray(a, b + 1));
      return;
    }
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'accept-ranges': 'bytes', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      if (!a || typeof a === 'string') return fail(new Error('server has no port'));
      ok({ server, url: `http://localhost:${a.port}/` });
    });
  });
}

export interface HeadlessOptions {
  /** Folder to serve (default: the built browser bundle). */
  dir?: string;
  /** Page to open, relative to the folder. */
  page?: string;
  /** 'auto': SwiftShader unless NIBBLE_BROWSER_GPU=hardware. */
  swiftshader?: boolean;
  timeoutMs?: number;
}

export class Headless {
  /** Errors thrown in the page or printed with console.error. */
  readonly pageErrors: string[] = [];
  readonly consoleLines: string[] = [];
  constructor(
    readonly browser: Browser,
    readonly page: Page,
    readonly server: Server,
    readonly url: string,
    private readonly profile: string,
  ) {}

  /** Evaluates an expression (async allowed) in the page and returns its JSON-serialisable value. */
  async evaluate<T>(expression: string): Promise<T> {
    return (await this.page.evaluate(`(async () => { ${expression} })()`)) as T;
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => {});
    await new Promise<void>((ok) => this.server.close(() => ok()));
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export function findChromium(): string {
  const env = process.env.CHROME_PATH;
  if (env) {
    if (!existsSync(env)) throw new Error(`CHROME_PATH=${env}: no such file`);
    return env;
  }
  const found = CHROMIUM_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error(`No Chromium found (looked at ${CHROMIUM_CANDIDATES.join(', ')}). Install it (Debian: apt-get install -y chromium) or set CHROME_PATH.`);
  return found;
}

export async function openHeadless(opts: HeadlessOptions = {}): Promise<Headless> {
  const dir = opts.dir ?? browserDist();
  if (!existsSync(join(dir, opts.page ?? 'index.html'))) {
    throw new Error(`browser bundle missing: ${join(dir, opts.page ?? 'index.html')} (run 'npm run build')`);
  }
  const { launch } = await import('puppeteer-core');
  const swift = opts.swiftshader ?? process.env.NIBBLE_BROWSER_GPU !== 'hardware';
  const { server, url } = await serveStatic(dir);
  const profile = mkdtempSync(join(tmpdir(), 'nibble-chromium-'));
  let browser: Browser | undefined;
  try {
    browser = await launch({
      executablePath: findChromium(),
      headless: true,
      args: [...chromiumFlags(swift), `--user-data-dir=${profile}`],
      protocolTimeout: opts.timeoutMs ?? 900_000,
    });
    const page = await browser.newPage();
    page.setDefaultTimeout(opts.timeoutMs ?? 900_000);
    const h = new Headless(browser, page, server, url, profile);
    page.on('pageerror', (e) => h.pageErrors.push(String((e as Error)?.stack ?? e)));
    page.on('console', (m) => {
      const line = `[${m.type()}] ${m.text()}`;
      h.consoleLines.push(line);
      if (m.type() === 'error') h.pageErrors.push(m.text());
    });
    await page.goto(url + (opts.page ?? 'index.html'), { waitUntil: 'load' });
    return h;
  } catch (e) {
    await browser?.close().catch(() => {});
    server.close();
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}
