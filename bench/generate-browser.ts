// Node side of the browser generation bench: serves the built page (dist/browser), the model files and, when found,
// @wllama/wllama's esm folder from one temporary folder of symbolic links, and runs bench/generate-page.ts there.
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { browserDist, openHeadless } from '../runtime/headless.js';
import type { GenReport, GenRow } from './generate.js';
import type { GenModelSpec } from './generate-node.js';
import type { PageGenerateOptions } from './generate-page.js';

/** @wllama/wllama's esm folder: under `dir` (the package folder or a node_modules above it), or nibble's own. */
export function findWllama(dir?: string): string | null {
  const candidates = dir ? [dir, join(dir, 'esm'), join(dir, '@wllama/wllama/esm'), join(dir, 'node_modules/@wllama/wllama/esm')] : [];
  candidates.push(resolve(browserDist(), '../../node_modules/@wllama/wllama/esm'));
  return candidates.find((c) => existsSync(join(c, 'index.js')) && existsSync(join(c, 'wasm/wllama.wasm'))) ?? null;
}

export async function browserGenerate(o: { specs: GenModelSpec[]; files: string[]; wllamaDir?: string; noPeers?: boolean; log: (l: string) => void }): Promise<{ adapter: GenReport['adapter']; rows: GenRow[] }> {
  const dist = browserDist();
  if (!existsSync(join(dist, 'bench.js'))) throw new Error(`browser bundle missing: ${join(dist, 'bench.js')} (run 'npm run build')`);
  const dir = mkdtempSync(join(tmpdir(), 'nibble-bench-page-'));
  try {
    for (const f of readdirSync(dist)) symlinkSync(join(dist, f), join(dir, f));
    o.files.forEach((f, i) => symlinkSync(f, join(dir, `model-${i}.gguf`)));
    const wl = o.noPeers ? null : findWllama(o.wllamaDir);
    if (wl) symlinkSync(wl, join(dir, 'wllama'));
    else if (!o.noPeers) o.log(`@wllama/wllama not found (looked in ${o.wllamaDir ?? 'node_modules'}): the wllama peers are left out`);
    const page: PageGenerateOptions = {
      models: o.specs.map((m, i) => ({ name: m.name, url: `./model-${i}.gguf`, promptTokens: m.promptTokens, decodeTokens: m.decodeTokens })),
      wllama: wl ? './wllama' : null,
    };
    const h = await openHeadless({ dir });
    try {
      await h.page.waitForFunction('window.nibbleReady === true');
      h.page.on('console', (m) => {
        if (m.text().startsWith('[bench] ')) o.log(`(browser) ${m.text().slice(8)}`);
      });
      return await h.evaluate(`const b = await import('./bench.js'); return await b.benchGenerate(${JSON.stringify(page)});`);
    } finally {
      await h.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
