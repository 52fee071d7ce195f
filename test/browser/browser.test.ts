// The shared GPU case table (test/cases) in headless Chromium: the same cases, the same tolerances, run in the
// page from the built bundle (dist/browser/test-cases.js). Errors thrown in the page fail the run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHeadless, type Headless } from '../../runtime/headless.js';
import { CASES, type CaseResult } from '../cases/index.js';

let h: Headless;
const results = new Map<string, CaseResult>();
let adapter = '';

beforeAll(async () => {
  h = await openHeadless();
  await h.page.waitForFunction('window.nibbleReady === true');
  const r = await h.evaluate<{ adapter: string; results: CaseResult[] }>(`
    const ctx = await window.nibble.createBrowserContext();
    const results = await window.nibbleCases.runCases(ctx);
    const a = ctx.info;
    ctx.destroy();
    return { adapter: a.vendor + ' ' + a.architecture + (a.isFallback ? ' (fallback)' : ''), results };
  `);
  adapter = r.adapter;
  for (const x of r.results) results.set(x.name, x);
  // The whole case table runs in this hook (~1,000 cases on SwiftShader, several minutes quiet): more than the
  // config's hookTimeout on a loaded 2-core machine.
}, 1_800_000);
afterAll(async () => {
  await h?.close();
});

describe('chromium (headless)', () => {
  for (const c of CASES) {
    it(`[chromium] ${c.name}`, (t) => {
      const r = results.get(c.name);
      if (!r) throw new Error(`[chromium] case '${c.name}' produced no result (adapter ${adapter})`);
      if (r.status === 'skipped') return t.skip(r.detail);
      if (r.status === 'failed') throw new Error(`[chromium] ${adapter}: ${r.detail}`);
      if (r.detail) t.annotate(r.detail);
    });
  }
  it('[chromium] the page threw no errors', () => {
    expect(h.pageErrors, h.pageErrors.join('\n')).toEqual([]);
  });
});
