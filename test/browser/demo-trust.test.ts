// The demo trusts no input (issue 18), on the built site (dist/demo, `npm run build`) in headless Chromium: the page
// carries a Content-Security-Policy that forbids eval, new Function and inline scripts; visitor files are parsed in a
// worker under a stated cap; a hostile file is refused while the page keeps running. Violations are collected from
// the page's securitypolicyviolation events, registered (after a reload) before any of its scripts runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openHeadless, packageRoot, type Headless } from '../../runtime/headless.js';

const OUT = join(packageRoot(), 'test-output');
let h: Headless;

const text = (sel: string) => h.page.$eval(sel, (e) => (e as HTMLElement).textContent ?? '');
const hidden = (sel: string) => h.page.$eval(sel, (e) => (e as HTMLElement).hidden);
const tab = (name: string) => h.page.click(`#tabs button[data-tab="${name}"]`);
async function upload(name: string, bytes: Uint8Array, input_: string) {
  const path = join(OUT, name);
  writeFileSync(path, bytes);
  await (await h.page.$(input_) as unknown as { uploadFile: (p: string) => Promise<void> }).uploadFile(path);
}
/** Waits until the Generate tab has loaded the model named `name` (its worker loads the bundled one at start). */
async function genLoaded(name: string) {
  await h.page.waitForFunction((n) => ((document.querySelector('#gen-model')?.textContent ?? '').startsWith(n) && (document.querySelector('#gen-loading') as HTMLElement).hidden) || !(document.querySelector('#gen-error') as HTMLElement).hidden, { timeout: 120_000 }, name);
  expect(await hidden('#gen-error'), await text('#gen-error')).toBe(true);
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  h = await openHeadless({ dir: join(packageRoot(), 'dist', 'demo'), timeoutMs: 120_000 });
  await h.page.setViewport({ width: 1200, height: 900 });
});
afterAll(async () => {
  await h?.close();
});

describe('demo: CSP and hostile files (headless chromium)', () => {
  const violations = () => h.evaluate<string[]>('return window.__cspViolations ?? null');
  const clearViolations = () => h.evaluate('window.__cspViolations.length = 0');

  it('the built page carries the CSP, and a visit of every tab (and the peer bench rows) violates nothing', async () => {
    const csp = await h.page.$eval('meta[http-equiv="Content-Security-Policy"]', (e) => e.getAttribute('content') ?? '');
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    expect(csp).not.toMatch(/unsafe-eval'[^;]*'unsafe-eval|'unsafe-eval'|script-src[^;]*unsafe-inline/);
    expect(csp).toMatch(/object-src 'none'/);
    expect(csp).toMatch(/base-uri 'self'/);
    expect(await h.page.$$eval('script', (s) => s.map((x) => x.getAttribute('src')))).not.toContain(null); // no inline script
    await h.page.evaluateOnNewDocument(() => {
      const w = window as unknown as { __cspViolations: string[] };
      w.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`));
    });
    const errorsBefore = h.pageErrors.length;
    await h.page.reload();
    await h.page.waitForFunction('window.demoReady === "ready"');
    await genLoaded('shakespeare-q4_0.gguf'); // the Generate worker loads the bundled model at start
    await h.page.waitForFunction(() => document.querySelector('#run-models')?.textContent?.includes('digits-f32.safetensors'));
    for (const t of ['run', 'train', 'gguf', 'bench', 'caps', 'generate']) {
      await tab(t);
      expect(await hidden(`#tab-${t}`)).toBe(false);
    }
    await tab('run');
    await h.page.$eval('#run-pred-quant', (e) => (e.textContent = '')).catch(() => {});
    await h.page.click('#run-pick');
    await h.page.waitForFunction(() => /^\d$/.test(document.querySelector('#run-pred-quant')?.textContent ?? ''));
    await tab('gguf');
    await h.page.$eval('#gguf-tensors', (e) => e.removeAttribute('data-rows'));
    await h.page.click('#gguf-sample');
    await h.page.waitForFunction(() => document.querySelector('#gguf-tensors')?.getAttribute('data-rows') === '8');
    // The peers load third-party code under the same policy: onnxruntime-web (WebAssembly, whose emscripten glue holds
    // a `new Function` in embind's method caller, never reached by the MatMulNBits row) and TF.js.
    await tab('bench');
    await h.page.$eval('#bench-peers', (e) => ((e as HTMLInputElement).checked = true));
    await h.page.$eval('#bench-filter', (e) => ((e as HTMLInputElement).value = 'onnxruntime, TF.js'));
    await h.page.$eval('#bench-table', (e) => delete (e as HTMLElement).dataset.rows);
    await h.page.click('#bench-go');
    await h.page.waitForFunction(() => (document.querySelector('#bench-table') as HTMLElement).dataset.rows !== undefined || !(document.querySelector('#bench-error') as HTMLElement).hidden);
    expect(await hidden('#bench-error'), await text('#bench-error')).toBe(true);
    const table = await text('#bench-table');
    expect(table).toMatch(/onnxruntime-web [\d.]+ MatMulNBits .* queue-completion/);
    expect(table).toMatch(/TF\.js [\d.]+ WebGPU train step/);
    expect(table).not.toMatch(/  error: |OUTPUT DISAGREES/);
    expect(await violations()).toEqual([]);
    expect(h.pageErrors.slice(errorsBefore)).toEqual([]);
  });

  it('the CSP refuses new Function, eval and an injected inline script in the page', async () => {
    // Run from a timer: code evaluated by the DevTools protocol itself is exempt from the page's eval rule.
    const tryIt = (what: string) =>
      h.page.evaluate(
        (w) =>
          new Promise<string>((done) =>
            setTimeout(() => {
              try {
                done(`ran: ${w === 'function' ? new Function('return 7')() : (0, eval)('7')}`);
              } catch (e) {
                done(String(e));
              }
            }, 0),
          ),
        what,
      );
    for (const what of ['function', 'eval']) expect(await tryIt(what)).toMatch(/^EvalError: .*Content Security Policy.*'unsafe-eval' is not an allowed source of script/);
    const inline = await h.page.evaluate(
      () =>
        new Promise<unknown>((done) => {
          const s = document.createElement('script');
          s.textContent = 'window.__inlineRan = true';
          document.body.append(s);
          setTimeout(() => done((window as unknown as { __inlineRan?: boolean }).__inlineRan ?? false), 100);
        }),
    );
    expect(inline).toBe(false);
    expect(await violations()).toEqual([expect.stringMatching(/^script-src blocked eval/), expect.stringMatching(/^script-src blocked eval/), expect.stringMatching(/^script-src-elem blocked inline/)]);
    await clearViolations();
    // Chromium logs the blocked inline script as a console error: expected here, not a page fault.
    const i = h.pageErrors.findIndex((e) => /Executing inline script violates the following Content Security Policy/.test(e));
    expect(i).toBeGreaterThanOrEqual(0);
    h.pageErrors.splice(i, 1);
  });

  /** Starts a 5 ms timer in the page that records the longest gap between its ticks (the main thread's longest stall). */
  const startTimer = () => h.evaluate('const g = window.__gap = { max: 0, t0: performance.now(), last: performance.now(), ticks: 0, long: [] }; g.id = setInterval(() => { const t = performance.now(); if (t - g.last > 100) g.long.push(`${(t - g.last).toFixed(0)} ms at ${(g.last - g.t0).toFixed(0)} ms`); g.max = Math.max(g.max, t - g.last); g.last = t; g.ticks++; }, 5)');
  const stopTimer = () => h.evaluate<{ max: number; ticks: number; long: string[] }>('const g = window.__gap; clearInterval(g.id); const t = performance.now(); g.max = Math.max(g.max, t - g.last); return { max: g.max, ticks: g.ticks, long: g.long, ms: t - g.t0 }');
  /** A sparse file of `size` bytes starting with `head`, plus `more` [offset, bytes] (only those take disk space). */
  function sparse(name: string, head: Uint8Array, size: number, more: [number, Uint8Array][] = []): string {
    const path = join(OUT, name);
    const fd = openSync(path, 'w');
    for (const [at, b] of [[0, head], ...more] as [number, Uint8Array][]) writeSync(fd, b, 0, b.length, at);
    writeSync(fd, new Uint8Array(1), 0, 1, size - 1);
    closeSync(fd);
    return path;
  }
  const u64 = (v: bigint) => new Uint8Array(new BigUint64Array([v]).buffer);
  const u32 = (v: number) => new Uint8Array(new Uint32Array([v]).buffer);
  const cat = (...p: Uint8Array[]) => new Uint8Array(p.flatMap((x) => [...x]));
  const GGUF_V3 = cat(new TextEncoder().encode('GGUF'), u32(3));
  /** Uploads a file to `input`, waits until `errorSel` shows a message matching `re`, and returns the longest main-thread gap. */
  async function refused(input: string, file: string | { name: string; bytes: Uint8Array }, errorSel: string, re: RegExp): Promise<number> {
    await h.page.$eval(errorSel, (e) => ((e as HTMLElement).hidden = true));
    await startTimer();
    if (typeof file === 'string') await (await h.page.$(input) as unknown as { uploadFile: (p: string) => Promise<void> }).uploadFile(file);
    else await upload(file.name, file.bytes, input);
    await h.page.waitForFunction((sel) => !(document.querySelector(sel) as HTMLElement).hidden, { timeout: 60_000 }, errorSel);
    const gap = await stopTimer();
    expect(await text(errorSel)).toMatch(re);
    expect(gap.ticks).toBeGreaterThan(0);
    if (gap.long.length) console.log(`${input}: main-thread gaps over 100 ms: ${gap.long.join(', ')} (${gap.ticks} ticks)`);
    return gap.max;
  }

  it('Run: hostile model files are refused in a worker, with the cap stated, while the page keeps running', async () => {
    await tab('run');
    expect(await text('#run-cap')).toBe('files up to 64 MiB, read in a worker');
    // The instrument sees a stall: 300 ms of work on the main thread shows as a gap of at least that.
    await startTimer();
    await h.page.evaluate(() => new Promise<void>((done) => setTimeout(() => { const t = performance.now(); while (performance.now() - t < 300); setTimeout(done, 20); }, 20)));
    expect((await stopTimer()).max).toBeGreaterThanOrEqual(300);
    const gaps: number[] = [];
    // A safetensors header length of 2^53 bytes.
    gaps.push(await refused('#run-file', { name: 'header-2e53.safetensors', bytes: cat(u64(2n ** 53n), new TextEncoder().encode('{}')) }, '#run-error', /header-2e53\.safetensors: header length 9007199254740992 \(bytes 0\.\.7\) overruns the file of 10 bytes/));
    // A 1 GiB file (sparse): over the cap, refused before it is read.
    const big = sparse('huge.safetensors', cat(u64(100n), new TextEncoder().encode('{')), 2 ** 30);
    try {
      gaps.push(await refused('#run-file', big, '#run-error', /huge\.safetensors: 1024 MiB is over the 64 MiB this page reads for a model file/));
    } finally {
      rmSync(big, { force: true });
    }
    console.log(`Run tab, hostile files: longest main-thread gap ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
    for (const g of gaps) expect(g).toBeLessThan(250);
    // The bundled models are untouched and still predict.
    expect(await text('#run-models')).toMatch(/digits-w4g32\.safetensors.*digits-f32\.safetensors/);
    await h.page.$eval('#run-pred-quant', (e) => (e.textContent = '')).catch(() => {});
    await h.page.click('#run-pick');
    await h.page.waitForFunction(() => /^\d$/.test(document.querySelector('#run-pred-quant')?.textContent ?? ''));
  });

  it('GGUF: hostile headers are refused in a worker, with the cap stated, while the page keeps running', async () => {
    await tab('gguf');
    expect(await text('#gguf-cap')).toBe('headers up to 64 MiB are read, in a worker; tensors only when run');
    const gaps: number[] = [];
    // 2^40 tensors claimed by a 24-byte file.
    gaps.push(await refused('#gguf-file', { name: 'tensors-2e40.gguf', bytes: cat(GGUF_V3, u64(2n ** 40n), u64(0n)) }, '#gguf-error', /tensors-2e40\.gguf: tensor_count = 1099511627776 exceeds 0 \(offset 8\)/));
    // A metadata string of 1 GB in a 2 GiB (sparse) file: the file could hold it, so the parser asks for the bytes,
    // and the page's header cap refuses the read.
    const str = sparse('string-1gb.gguf', cat(GGUF_V3, u64(0n), u64(1n), u64(1n), new TextEncoder().encode('a'), u32(8), u64(10n ** 9n)), 2 ** 31);
    // A 2 GiB (sparse) file whose header holds 200 strings of 1 MiB: the header runs past the 64 MiB cap.
    const head = cat(GGUF_V3, u64(0n), u64(1n), u64(1n), new TextEncoder().encode('a'), u32(9), u32(8), u64(200n));
    const items = Array.from({ length: 200 }, (_, k) => [head.length + k * 2 ** 20, u64(2n ** 20n - 8n)] as [number, Uint8Array]);
    const long = sparse('header-200mib.gguf', head, 2 ** 31, items);
    // A 2 GiB (sparse) file whose header is an array of 2^31 - 64 u8 values: the parser makes an object per value, so
    // the worker spends its time (or memory) on it until the cap, its memory or the page's timeout stops it.
    const arr = sparse('array-2g.gguf', cat(GGUF_V3, u64(0n), u64(1n), u64(1n), new TextEncoder().encode('a'), u32(9), u32(0), u64(2n ** 31n - 64n)), 2 ** 31);
    try {
      gaps.push(await refused('#gguf-file', str, '#gguf-error', /string-1gb\.gguf: the GGUF header runs past its first 64 MiB \(it asks for \d+ bytes\)/));
      gaps.push(await refused('#gguf-file', long, '#gguf-error', /header-200mib\.gguf: the GGUF header runs past its first 64 MiB \(it asks for 134217728 bytes\): this page reads GGUF headers up to 64 MiB/));
      const t0 = Date.now();
      const burn = await refused('#gguf-file', arr, '#gguf-error', /array-2g\.gguf: (the GGUF header runs past its first 64 MiB|parsing took over 15 s and was stopped|the parsing worker failed)/);
      console.log(`GGUF tab, u8-array header: ${await text('#gguf-error')} (after ${((Date.now() - t0) / 1000).toFixed(1)} s; longest main-thread gap ${burn.toFixed(0)} ms)`);
      // The worker burns a core and gigabytes for seconds: on a small shared machine the page's process is sometimes
      // descheduled for a quarter second (seen: 256 and 264 ms at load 12 on 2 cores; 35 ms when quieter). Parsed on
      // the main thread, the gap would be the whole parse (over 15 s).
      expect(burn).toBeLessThan(500);
    } finally {
      for (const f of [str, long, arr]) rmSync(f, { force: true });
    }
    console.log(`GGUF tab, hostile files: longest main-thread gap ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
    for (const g of gaps) expect(g).toBeLessThan(250);
    // Nothing of an earlier file is left on show; the page still opens the sample and runs a weight.
    expect(await text('#gguf-summary')).toBe('opening array-2g.gguf…');
    expect(await h.page.$eval('#gguf-run', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
    await h.page.click('#gguf-sample');
    await h.page.waitForFunction(() => (document.querySelector('#gguf-error') as HTMLElement).hidden && /sample.gguf: GGUF v3/.test(document.querySelector('#gguf-summary')?.textContent ?? ''));
    await h.page.waitForFunction(() => !(document.querySelector('#gguf-run') as HTMLButtonElement).disabled);
    await h.page.select('#gguf-tensor', 'blk.0.ffn_up.weight');
    await h.page.$eval('#gguf-result', (e) => (e.textContent = ''));
    await h.page.click('#gguf-run');
    await h.page.waitForFunction(() => (document.querySelector('#gguf-result')?.textContent ?? '') !== '' || !(document.querySelector('#gguf-error') as HTMLElement).hidden);
    expect(await text('#gguf-result')).toMatch(/within the bound/);
    expect(await violations()).toEqual([]);
    expect(h.pageErrors, h.pageErrors.join('\n')).toEqual([]);
  });
});
