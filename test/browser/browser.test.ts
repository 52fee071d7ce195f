// The shared GPU case table (test/cases) in headless Chromium: the same cases, the same tolerances, run in the
// page from the built bundle (dist/browser/test-cases.js). Errors thrown in the page fail the run.
//
// The table runs in chunks of CHUNK cases, each chunk one evaluate in the page (one GPU context for all) from its
// own beforeAll: one evaluate of the whole table (~1,000 cases) took 15 minutes on a slow 2-core host under load and
// ran past Puppeteer's protocol timeout, which failed the file without a single case result. The 22 chunks took 673 s
// in all on that host when quiet (about 30 s a chunk), far inside both the protocol timeout and the hook's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHeadless, type Headless } from '../../runtime/headless.js';
import { CASES, type CaseResult } from '../cases/index.js';

const CHUNK = 50;
const CHUNK_TIMEOUT_MS = 900_000;

let h: Headless;
const results = new Map<string, CaseResult>();
let adapter = '';

beforeAll(async () => {
  h = await openHeadless();
  await h.page.waitForFunction('window.nibbleReady === true');
  adapter = await h.evaluate<string>(`
    const ctx = await window.nibble.createBrowserContext();
    window.nibbleTestContext = ctx;
    const a = ctx.info;
    return a.vendor + ' ' + a.architecture + (a.isFallback ? ' (fallback)' : '');
  `);
}, 300_000);
afterAll(async () => {
  await h?.evaluate(`window.nibbleTestContext?.destroy();`).catch(() => undefined);
  await h?.close();
});

const chunks: (typeof CASES)[number][][] = [];
for (let i = 0; i < CASES.length; i += CHUNK) chunks.push(CASES.slice(i, i + CHUNK));

describe('chromium (headless)', () => {
  chunks.forEach((chunk, i) => {
    describe(`cases ${i * CHUNK + 1}..${i * CHUNK + chunk.length}`, () => {
      beforeAll(async () => {
        const names = chunk.map((c) => c.name);
        const r = await h.evaluate<CaseResult[]>(`return await window.nibbleCases.runCases(window.nibbleTestContext, ${JSON.stringify(names)});`);
        for (const x of r) results.set(x.name, x);
      }, CHUNK_TIMEOUT_MS);
      for (const c of chunk) {
        it(`[chromium] ${c.name}`, (t) => {
          const r = results.get(c.name);
          if (!r) throw new Error(`[chromium] case '${c.name}' produced no result (adapter ${adapter})`);
          if (r.status === 'skipped') return t.skip(r.detail);
          if (r.status === 'failed') throw new Error(`[chromium] ${adapter}: ${r.detail}`);
          if (r.detail) t.annotate(r.detail);
        });
      }
    });
  });
  it('[chromium] the page threw no errors', () => {
    expect(h.pageErrors, h.pageErrors.join('\n')).toEqual([]);
  });
});
