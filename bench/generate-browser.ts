// Node side of the browser generation bench: serves the built page (dist/browser) and the model files from one
// temporary folder of symbolic links, and runs bench/generate-page.ts there.
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserDist, openHeadless } from '../runtime/headless.js';
import type { GenReport, GenRow } from './generate.js';
import type { GenModelSpec } from './generate-node.js';
import type { PageGenerateOptions } from './generate-page.js';

export async function browserGenerate(o: { specs: GenModelSpec[]; files: string[]; log: (l: string) => void }): Promise<{ adapter: GenReport['adapter']; rows: GenRow[] }> {
  const dist = browserDist();
  if (!existsSync(join(dist, 'bench.js'))) throw new Error(`browser bundle missing: ${join(dist, 'bench.js')} (run 'npm run build')`);
  const dir = mkdtempSync(join(tmpdir(), 'nibble-bench-page-'));
  try {
    for (const f of readdirSync(dist)) symlinkSync(join(dist, f), join(dir, f));
    o.files.forEach((f, i) => symlinkSync(f, join(dir, `model-${i}.gguf`)));
    const page: PageGenerateOptions = {
      models: o.specs.map((m, i) => ({ name: m.name, url: `./model-${i}.gguf`, promptTokens: m.promptTokens, decodeTokens: m.decodeTokens })),
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
