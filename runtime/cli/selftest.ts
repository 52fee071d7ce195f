// nibble selftest [--browser] [--filter REGEX] [--list] [--verbose] [--json FILE] [--cases FILE]: the test suite's GPU case table
// (test/cases, built into dist/browser/test-cases.js) on this machine's adapter: every kernel against its CPU
// reference with the suite's own tolerances, the cases the adapter cannot run skipped with the reason. On a GPU this
// runs what CI's SwiftShader cannot (the shader-f16 cases); on any adapter it says whether nibble computes right there.
// --cases FILE runs a user's own table of the same shape instead (Node).
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { GpuContext } from '../../src/gpu/context.js';
import { browserDist, openHeadless } from '../headless.js';
import { createNodeContext } from '../node.js';
import { UsageError, type Command } from './command.js';

interface CaseResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  detail: string;
  ms: number;
}

interface GpuCase {
  name: string;
  needs?: (ctx: GpuContext) => string | null;
  run: (ctx: GpuContext) => Promise<string | void>;
}

interface CasesModule {
  CASES: GpuCase[];
}

/** Runs one batch of case names and returns their results (Node: in this process; browser: in the page). */
type Runner = { adapter: string; runtime: string; run(names: string[]): Promise<CaseResult[]>; close(): Promise<void> };

const BATCH = 25; // cases per call: progress between batches, and no single page evaluation runs for long

async function loadCases(file?: string): Promise<CasesModule> {
  const path = file ? resolve(file) : join(browserDist(), 'test-cases.js');
  if (!existsSync(path)) throw new UsageError(file ? `--cases ${file}: no such file` : `${path} is missing: run 'npm run build' in the nibble folder`);
  let m: Partial<CasesModule>;
  try {
    m = (await import(pathToFileURL(path).href)) as Partial<CasesModule>;
  } catch (e) {
    if (!file) throw e;
    throw new UsageError(`--cases ${file}: cannot import it as an ES module: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!Array.isArray(m.CASES) || !m.CASES.every((c) => typeof c?.name === 'string' && typeof c.run === 'function')) {
    throw new UsageError(`${file ?? path}: exports no CASES array of {name, run(ctx), needs?(ctx)}`);
  }
  return m as CasesModule;
}

/** One case on ctx, never throwing: skipped (needs), passed (its detail) or failed (the error and its stack). */
async function runCase(ctx: GpuContext, c: GpuCase): Promise<CaseResult> {
  const t0 = performance.now();
  const why = c.needs?.(ctx) ?? null;
  if (why) return { name: c.name, status: 'skipped', detail: why, ms: 0 };
  try {
    return { name: c.name, status: 'passed', detail: (await c.run(ctx)) ?? '', ms: performance.now() - t0 };
  } catch (e) {
    return { name: c.name, status: 'failed', detail: String((e as Error)?.stack ?? e), ms: performance.now() - t0 };
  }
}

async function nodeRunner(cases: CasesModule): Promise<Runner> {
  const ctx = await createNodeContext();
  const a = ctx.summary().adapter;
  const byName = new Map(cases.CASES.map((c) => [c.name, c]));
  return {
    adapter: [a.vendor, a.architecture, a.description].filter(Boolean).join(' / '),
    runtime: a.runtime,
    run: async (names) => {
      const out: CaseResult[] = [];
      for (const n of names) out.push(await runCase(ctx, byName.get(n)!));
      return out;
    },
    close: async () => ctx.destroy(),
  };
}

async function browserRunner(): Promise<Runner> {
  const h = await openHeadless();
  try {
    await h.page.waitForFunction('window.nibbleReady === true');
    const info = await h.evaluate<{ adapter: string; runtime: string }>(`
      window.selftestCtx = await window.nibble.createBrowserContext();
      const a = window.selftestCtx.summary().adapter;
      return { adapter: [a.vendor, a.architecture, a.description].filter(Boolean).join(' / '), runtime: a.runtime };
    `);
    return {
      ...info,
      run: (names) => h.evaluate<CaseResult[]>(`return await window.nibbleCases.runCases(window.selftestCtx, ${JSON.stringify(names)});`),
      close: () => h.close(),
    };
  } catch (e) {
    await h.close();
    throw e;
  }
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export const selftestCommand: Command = {
  summary: "run the test suite's GPU cases (every kernel against its CPU reference) on this machine's adapter",
  help: `options:
  --filter REGEX  only the cases whose name matches (JavaScript regular expression, case-sensitive)
  --list          list the case names (after --filter) and exit
  --browser       run them in headless Chromium (puppeteer-core, CHROME_PATH or /usr/bin/chromium) instead of Dawn in Node
  --cases FILE    run your own table instead (Node): an ES module exporting CASES, an array of
                  {name, run(ctx) -> detail?, needs?(ctx) -> reason to skip or null}; run throws to fail
  --verbose       one line per case (default: failures, and progress every ${BATCH} cases on stderr)
  --json FILE     write {adapter, runtime, results: [{name, status, detail, ms}]} to FILE (atomically)
exit status: 0 when no case failed, 1 when one did, 2 on bad options.
environment: NIBBLE_ADAPTER=auto|hardware|swiftshader, NIBBLE_DAWN_FLAGS (Dawn toggles), NIBBLE_BROWSER_GPU=hardware`,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { filter: { type: 'string' }, list: { type: 'boolean' }, browser: { type: 'boolean' }, verbose: { type: 'boolean' }, json: { type: 'string' }, cases: { type: 'string' } },
        strict: true,
      }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    let re: RegExp | undefined;
    try {
      re = values.filter !== undefined ? new RegExp(values.filter) : undefined;
    } catch (e) {
      throw new UsageError(`--filter: ${(e as Error).message}`);
    }
    if (values.cases && values.browser) throw new UsageError('--cases runs in Node only (the page holds the built table)');
    const cases = await loadCases(values.cases);
    const names = cases.CASES.map((c) => c.name).filter((n) => !re || re.test(n));
    if (names.length === 0) throw new UsageError(`--filter ${values.filter}: no case matches (${cases.CASES.length} cases; --list shows them)`);
    if (values.list) {
      console.log(names.join('\n'));
      return 0;
    }
    const runner = values.browser ? await browserRunner() : await nodeRunner(cases);
    const t0 = performance.now();
    const results: CaseResult[] = [];
    try {
      console.log(`nibble selftest: ${names.length} cases on ${runner.adapter} (${runner.runtime})`);
      for (let i = 0; i < names.length; i += BATCH) {
        for (const r of await runner.run(names.slice(i, i + BATCH))) {
          results.push(r);
          if (r.status === 'failed') console.log(`FAIL ${r.name}\n  ${r.detail.split('\n').slice(0, 4).join('\n  ')}`);
          else if (values.verbose) console.log(`${r.status === 'passed' ? 'ok  ' : 'skip'} ${r.name}${r.detail ? ` -- ${r.detail.split('\n')[0]}` : ''}`);
        }
        if (!values.verbose) process.stderr.write(`  ${results.length} / ${names.length}\n`);
      }
    } finally {
      await runner.close();
    }
    const count = (s: CaseResult['status']) => results.filter((r) => r.status === s).length;
    const reasons = new Map<string, number>();
    for (const r of results) if (r.status === 'skipped') reasons.set(r.detail, (reasons.get(r.detail) ?? 0) + 1);
    const secs = (performance.now() - t0) / 1000;
    if (reasons.size) console.log(`skipped: ${[...reasons].map(([why, n]) => `${n} (${why})`).join(', ')}`);
    console.log(`${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped in ${secs.toFixed(1)} s on ${runner.adapter} (${runner.runtime})`);
    if (values.json) writeAtomic(values.json, JSON.stringify({ adapter: runner.adapter, runtime: runner.runtime, results }, null, 2));
    return count('failed') ? 1 : 0;
  },
};
