// nibble bench [--browser] [--quick] [--json] [--out DIR] [--filter S ...]
// nibble bench <file.wgsl> --dispatch X[,Y,Z] [--size binding=bytes ...] [--const NAME=value ...] [--param field=value ...]
// One harness (bench/harness.ts), two runtimes: Dawn in Node, or the headless Chromium page (--browser).
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchReport } from '../../bench/harness.js';
import { runBench } from '../../bench/harness.js';
import { ceilingRows } from '../../bench/ceilings.js';
import { formatMarkdown, formatSvg, formatTable } from '../../bench/report.js';
import { runSuite, defaultReps } from '../../bench/suite.js';
import { BenchInputError, parseUserFlags, userShaderRow, type UserShaderSpec } from '../../bench/user-shader.js';
import { GpuError } from '../../src/gpu/context.js';
import { openHeadless } from '../headless.js';
import { createNodeContext } from '../node.js';
import { formatGenMarkdown, formatGenTable, type GenReport } from '../../bench/generate.js';
import { UsageError, type Command } from './command.js';

const OPTIONS = {
  browser: { type: 'boolean' },
  quick: { type: 'boolean' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  filter: { type: 'string', multiple: true },
  'no-peers': { type: 'boolean' },
  warmup: { type: 'string' },
  reps: { type: 'string' },
  dispatch: { type: 'string' },
  size: { type: 'string', multiple: true },
  const: { type: 'string', multiple: true },
  param: { type: 'string', multiple: true },
  flops: { type: 'string' },
  bytes: { type: 'string' },
  // --filter generate: the language-model bench (bench/generate-node.ts)
  'prompt-tokens': { type: 'string' },
  'decode-tokens': { type: 'string' },
  large: { type: 'boolean' },
  'llama-gpu': { type: 'string' },
} as const;

function count(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${flag} ${v}: expected a whole number >= ${min}`);
  return Number(v);
}

interface PageHandle {
  evaluate<T>(expr: string): Promise<T>;
}

async function inBrowser<T>(fn: (h: PageHandle) => Promise<T>): Promise<T> {
  const h = await openHeadless();
  try {
    await h.page.waitForFunction('window.nibbleReady === true');
    h.page.on('console', (m) => {
      if (m.text().startsWith('[bench] ')) process.stderr.write(`nibble bench (browser): ${m.text().slice(8)}\n`);
    });
    return await fn(h);
  } finally {
    await h.close();
  }
}

function writeOut(dir: string, r: BenchReport): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [
    [join(dir, 'bench.json'), JSON.stringify(r, null, 2) + '\n'],
    [join(dir, 'bench.md'), formatMarkdown(r)],
    [join(dir, 'bench.svg'), formatSvg(r) + '\n'],
  ];
  for (const [f, text] of files) writeFileSync(f, text);
  return files.map((f) => f[0]);
}

async function userShader(file: string, v: Record<string, unknown>, quick: boolean, warmup?: number, reps?: number): Promise<BenchReport> {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  let spec: UserShaderSpec;
  try {
    spec = parseUserFlags({
      file: basename(file),
      code: readFileSync(file, 'utf8'),
      dispatch: v.dispatch as string | undefined,
      size: v.size as string[] | undefined,
      const: v.const as string[] | undefined,
      param: v.param as string[] | undefined,
      flops: v.flops as string | undefined,
      bytes: v.bytes as string | undefined,
    });
  } catch (e) {
    if (e instanceof BenchInputError) throw new UsageError(e.message);
    throw e;
  }
  if (v.browser) {
    const r = await inBrowser((h) =>
      h.evaluate<BenchReport | { error: string; input: boolean }>(
        `const b = await import('./bench.js'); return await b.benchUserShader(${JSON.stringify(spec)}, ${JSON.stringify({ quick, warmup, reps })});`,
      ),
    );
    if ('error' in r) {
      if (r.input) throw new UsageError(r.error);
      throw new Error(r.error);
    }
    return r;
  }
  const ctx = await createNodeContext();
  try {
    const d = defaultReps(quick, ctx.info.isFallback);
    return await runBench(ctx, ceilingRows({ quick, fallback: ctx.info.isFallback }), [userShaderRow(spec)], {
      quick,
      warmup: warmup ?? d.warmup,
      reps: reps ?? d.reps,
      throwErrors: true,
    });
  } catch (e) {
    if (e instanceof BenchInputError || (e instanceof GpuError && e.kind === 'compile')) throw new UsageError(e.message);
    throw e;
  } finally {
    ctx.destroy();
  }
}

export const benchCommand: Command = {
  summary: "benchmark nibble's kernels (or your own WGSL file) against peers, in Node or headless Chromium",
  help: `usage:
  nibble bench [options]                 the kernel suite: ceilings, matmul, elementwise, reduce, peers (browser)
  nibble bench FILE.wgsl --dispatch X[,Y,Z] [--size binding=BYTES ...] [--const NAME=VALUE ...] [--param FIELD=VALUE ...]
                                         your own compute shader (entry point 'main'); storage buffers are sized
                                         from --size (k/M/G suffixes) or from their declared fixed-size types and
                                         filled with seeded random f32 data; uniform fields from --param (else 0)
options:
  --browser        run in headless Chromium (puppeteer-core) instead of Dawn in Node; the peers
                   (onnxruntime-web MatMulNBits, TF.js WebGPU training step) run only there
  --quick          small shapes and few repetitions (CI smoke run; well under 2 minutes on SwiftShader)
  --json           print the report as JSON
  --out DIR        also write DIR/bench.json, DIR/bench.md (markdown table) and DIR/bench.svg (ratio chart)
  --filter S       only rows whose name or group contains S (repeatable)
  --no-peers       leave out the peers
  --warmup N, --reps N   warm-up runs and timed runs per row (median, min, max are reported)
  --flops N, --bytes N   work of one dispatch of FILE.wgsl, for GFLOP/s and GB/s
language models (--filter generate runs bench/generate-node.ts instead of the kernel rows):
                   prompt and decode tok/s, time to first token, dispatches and submits per token, CPU time per
                   token, GPU bytes, greedy agreement with llama.cpp; nibble vs llama.cpp (node-llama-cpp, CPU) and,
                   with --browser, nibble runs in the page. Models: the bundled one; Llama 134M Q4_0 and Q4_K
                   and LFM2-350M's hybrid layout in Q4_0, Qwen3-30B-A3B's 128 experts (8 a token) in a small
                   model, Q4_0, also with every expert run every step (written once to $TMPDIR/nibble-bench-lm);
                   --quick: the bundled model only; another --filter S keeps the models whose name contains S
  --prompt-tokens N, --decode-tokens N   tokens of the prompt and tokens generated, for every model
  --large          also the Llama-3.2-1B shape in Q4_0 (for a GPU)
  --llama-gpu B    also llama.cpp's prebuilt GPU build of backend B (vulkan, cuda, metal) as a peer, every layer offloaded
Every row is checked against its CPU reference before it is timed; nothing is asserted about time.
Timing: timestamp-query where the adapter has it, else wall time to queue completion (the report says which).`,
  async run(argv) {
    let values: Record<string, unknown>;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true }));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (positionals.length > 1) throw new UsageError(`one WGSL file at a time (got ${positionals.join(', ')})`);
    const quick = Boolean(values.quick);
    const warmup = count('warmup', values.warmup as string | undefined, 0);
    const reps = count('reps', values.reps as string | undefined, 1);
    const file = positionals[0];
    const userFlags = ['dispatch', 'size', 'const', 'param', 'flops', 'bytes'].filter((k) => values[k] !== undefined);
    if (!file && userFlags.length) throw new UsageError(`--${userFlags[0]} applies to a WGSL file: nibble bench FILE.wgsl --dispatch X[,Y,Z] ...`);
    if (file && !file.endsWith('.wgsl')) throw new UsageError(`${file}: expected a .wgsl file`);
    if (!file && (values.filter as string[] | undefined)?.some((f) => f.includes('generate'))) return generateBench(values, quick);
    if (values['llama-gpu'] !== undefined) throw new UsageError('--llama-gpu applies to the language-model bench: nibble bench --filter generate --llama-gpu vulkan');
    let report: BenchReport;
    if (file) report = await userShader(file, values, quick, warmup, reps);
    else {
      const o = { quick, noPeers: Boolean(values['no-peers']), filter: values.filter as string[] | undefined, warmup, reps };
      if (values.browser) {
        report = await inBrowser((h) => h.evaluate<BenchReport>(`const b = await import('./bench.js'); return await b.benchSuite(${JSON.stringify(o)});`));
      } else {
        const ctxs = [await createNodeContext()];
        const fresh = async () => (ctxs[ctxs.length] = await createNodeContext());
        try {
          report = await runSuite(ctxs[0], o, (l) => process.stderr.write(`nibble bench: ${l}\n`), [], fresh);
        } finally {
          ctxs.forEach((c) => c.destroy());
        }
      }
    }
    console.log(values.json ? JSON.stringify(report, null, 2) : formatTable(report));
    if (values.out) {
      const files = writeOut(values.out as string, report);
      process.stderr.write(`nibble bench: wrote ${files.join(', ')}\n`);
    }
    return report.rows.some((r) => r.status === 'error' || (r.status === 'check-failed' && r.side === 'nibble')) ? 1 : 0;
  },
};

/** `nibble bench --filter generate`: the language-model runner, its own table and report files. */
async function generateBench(v: Record<string, unknown>, quick: boolean): Promise<number> {
  const { runGenerateBench, LLAMA_GPUS } = await import('../../bench/generate-node.js');
  const gpu = v['llama-gpu'] as string | undefined;
  if (gpu !== undefined && !(LLAMA_GPUS as readonly string[]).includes(gpu)) throw new UsageError(`--llama-gpu ${gpu}: expected one of ${LLAMA_GPUS.join(', ')} (node-llama-cpp's prebuilt GPU builds)`);
  const report: GenReport = await runGenerateBench({
    quick,
    large: Boolean(v.large),
    ...(gpu !== undefined ? { llamaGpu: gpu as (typeof LLAMA_GPUS)[number] } : {}),
    browser: Boolean(v.browser),
    noPeers: Boolean(v['no-peers']),
    models: ((v.filter as string[] | undefined) ?? []).filter((f) => !f.includes('generate')),
    promptTokens: count('prompt-tokens', v['prompt-tokens'] as string | undefined, 2),
    decodeTokens: count('decode-tokens', v['decode-tokens'] as string | undefined, 2),
    log: (l) => process.stderr.write(`nibble bench: ${l}\n`),
  });
  console.log(v.json ? JSON.stringify(report, null, 2) : formatGenTable(report));
  if (v.out) {
    const dir = v.out as string;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'generate.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(dir, 'generate.md'), formatGenMarkdown(report));
    process.stderr.write(`nibble bench: wrote ${join(dir, 'generate.json')}, ${join(dir, 'generate.md')}\n`);
  }
  return report.rows.some((r) => r.status === 'error' && r.side === 'nibble') ? 1 : 0;
}
