// The page side of `nibble bench --filter generate --browser`: nibble on the page's WebGPU adapter, on the same GGUF
// files and prompt ids as the Node side (whose llama.cpp run is the peer and the judge).
import { createBrowserContext } from '../runtime/browser.js';
import { emptyRow, measureNibble, promptIds, type GenReport, type GenRow } from './generate.js';

export interface PageGenerateOptions {
  models: { name: string; url: string; promptTokens: number; decodeTokens: number }[];
}

export async function benchGenerate(o: PageGenerateOptions): Promise<{ adapter: GenReport['adapter']; rows: GenRow[] }> {
  const rows: GenRow[] = [];
  const fail = (row: GenRow, e: unknown) => {
    row.status = 'error';
    row.note = (e as Error)?.message ?? String(e);
    return row;
  };
  const ctx = await createBrowserContext();
  const a = ctx.info;
  const adapter = { runtime: a.runtime, vendor: a.vendor, architecture: a.architecture, description: a.description, fallback: a.isFallback };
  try {
    for (const m of o.models) {
      const ids = promptIds(m.promptTokens);
      console.log(`[bench] ${m.name}: nibble (browser)`);
      const blob = await (await fetch(m.url)).blob();
      rows.push(await measureNibble(ctx, m.name, blob, ids, m.decodeTokens, 'browser').catch((e) => fail(emptyRow(m.name, 'nibble', 'nibble', 'browser', ids.length, m.decodeTokens), e)));
    }
  } finally {
    ctx.destroy();
  }
  return { adapter, rows };
}
