// What the headless page exposes as window.nibbleBench (dist/browser/bench.js, imported on demand): the suite and
// the user-shader mode, run on a browser GpuContext, returning the plain-data report.
import { createBrowserContext } from '../runtime/browser.js';
import { runBench, type BenchReport } from './harness.js';
import { runSuite, defaultReps, type SuiteOptions } from './suite.js';
import { BenchInputError, userShaderRow, type UserShaderSpec } from './user-shader.js';
import { ceilingRows } from './ceilings.js';

export { formatTable, formatMarkdown, formatSvg } from './report.js';
export { ortFallbackProbe } from './peers/ort.js';

export async function benchSuite(o: SuiteOptions): Promise<BenchReport> {
  const ctxs = [await createBrowserContext()];
  const fresh = async () => (ctxs[ctxs.length] = await createBrowserContext());
  try {
    return await runSuite(ctxs[0], o, (l) => console.log(`[bench] ${l}`), [], fresh);
  } finally {
    ctxs.forEach((c) => c.destroy());
  }
}

/** Bad flags or a shader that does not compile come back as { error, input: true } so the CLI exits 2. */
export async function benchUserShader(spec: UserShaderSpec, o: { quick: boolean; warmup?: number; reps?: number }): Promise<BenchReport | { error: string; input: boolean }> {
  const ctx = await createBrowserContext();
  try {
    const d = defaultReps(o.quick, ctx.info.isFallback);
    return await runBench(ctx, ceilingRows({ quick: o.quick, fallback: ctx.info.isFallback }), [userShaderRow(spec)], {
      quick: o.quick,
      warmup: o.warmup ?? d.warmup,
      reps: o.reps ?? d.reps,
      throwErrors: true,
    });
  } catch (e) {
    const err = e as Error & { kind?: string };
    return { error: err.message, input: e instanceof BenchInputError || err.kind === 'compile' };
  } finally {
    ctx.destroy();
  }
}

export { benchGenerate } from './generate-page.js';
