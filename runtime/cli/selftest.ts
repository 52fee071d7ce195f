// nibble selftest [--browser] [--filter REGEX] [--list] [--verbose] [--json FILE]: the test suite's GPU case table
// (test/cases, built into dist/browser/test-cases.js) on this machine's adapter: every kernel against its CPU
// reference with the suite's own tolerances, the cases the adapter cannot run skipped with the reason. On a GPU this
// runs what CI's SwiftShader cannot (the shader-f16 cases); on any adapter it says whether nibble computes right there.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

interface CasesModule {
  CASES: { name: string }[];
  runCases(ctx: GpuContext, only?: string[]): Promise<CaseResult[]>;
}

/** Runs one batch of case names and returns their results (Node: in this process; browser: in the page). */
type Runner = { adapter: string; runtime: string; run(names: string[]): Promise<CaseResult[]>; close(): Promise<void> };

const BATCH = 25; // cases per call: progress between batches, and no single page evaluation runs for long

async function loadCases(): Promise<CasesModule> {
  const file = join(browserDist(), 'test-cases.js');
  if (!existsSync(file)) throw new UsageError(`${file} is missing: run 'npm run build' in the nibble folder`);
  return (await import(pathToFileURL(file).href)) as CasesModule;
}

async function nodeRunner(cases: CasesModule): Promise<Runner> {
  const ctx = await createNodeContext();
  const a = ctx.summary().adapter;
  return {
    adapter: [a.vendor, a.architecture, a.description].filter(Boolean).join(' / '),
    runtime: a.runtime,
    run: (names) => cases.runCases(ctx, names),
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
  --verbose       one line per case (default: failures, and progress every ${BATCH} cases on stderr)
  --json FILE     write {adapter, runtime, results: [{name, status, detail, ms}]} to FILE (atomically)
exit status: 0 when no case failed, 1 when one did, 2 on bad options.
environment: NIBBLE_ADAPTER=auto|hardware|swiftshader, NIBBLE_DAWN_FLAGS (Dawn toggles), NIBBLE_BROWSER_GPU=hardware`,
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: { filter: { type: 'string' }, list: { type: 'boolean' }, browser: { type: 'boolean' }, verbose: { type: 'boolean' }, json: { type: 'string' } },
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
    const cases = await loadCases();
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
