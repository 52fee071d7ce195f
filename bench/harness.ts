// The benchmark harness: one shape for every row, the same code in Node (Dawn) and the page (Chromium).
// A row is a small self-contained spec: name, shape, flops, bytes, and `setup` which allocates its buffers,
// plans its dispatches and returns how to check the output against the CPU reference and how to time it.
// Every row is checked before it is timed; a row whose check fails is reported as such and not timed.
// Nothing here asserts anything about time. Imports nothing Node-only (it runs in the page).
import type { GpuContext } from '../src/gpu/context.js';
import { summarize, timePass, type TimingResult } from '../src/gpu/timing.js';
import { runDispatches, type Dispatch } from '../src/kernels/common.js';

/** Which side of a comparison a row is on. Ratios are computed against rows whose side is 'peer'. */
export type Side = 'nibble' | 'peer';

export interface CheckResult {
  ok: boolean;
  message: string;
}

/** What `setup` returns: either planned dispatches (timed by the harness) or a custom timer (peers). */
export interface RowInstance {
  /** Dispatches encoded into one compute pass per sample. */
  dispatches?: Dispatch[];
  /** For rows that are not nibble dispatches (peers, multi-submit steps): one timed sample, resolved when the GPU is done. */
  sample?: () => Promise<void>;
  /** How `sample` is timed, named in the report. */
  sampleMethod?: string;
  /** Runs the work once and compares its output with the CPU reference. */
  check: () => Promise<CheckResult>;
  /** Extra facts for the report (e.g. 'ran on: WebGpuExecutionProvider'). */
  notes?: string[];
  dispose: () => void;
}

export interface BenchRow {
  /** Kernel or peer name, e.g. 'matmul_f32 naive'. */
  name: string;
  /** The comparison group: rows with the same group are compared (e.g. 'matmul 1x4096x4096'). */
  group: string;
  side: Side;
  /** Shape label, e.g. 'M=1 N=4096 K=4096'. */
  shape: string;
  /** Floating-point operations of one sample (0 when not meaningful). */
  flops: number;
  /** Bytes one sample must move at least (inputs read once + outputs written once). */
  bytes: number;
  /**
   * Also time the dispatches to queue completion (submit until onSubmittedWorkDone) when the main method is
   * timestamp-query: peers can only be timed that way, so ratios against them compare like with like.
   */
  wallToo?: boolean;
  /** A nibble row of the same group this row's time is shown relative to (e.g. the QAT step vs the f32 step). */
  baseline?: string;
  /** A reason this row cannot run here (missing feature, wrong runtime), or null. */
  needs?: (ctx: GpuContext) => string | null;
  setup: (ctx: GpuContext) => Promise<RowInstance>;
}

export interface BenchOptions {
  warmup: number;
  reps: number;
  /** Only rows whose name or group contains one of these strings. */
  filter?: string[];
  /** Progress lines (stderr in the CLI, console in the page). */
  log?: (line: string) => void;
  /**
   * Time budget of one row's timed samples (ms): after the warm-up, a row whose sample would overrun it gets fewer
   * repetitions (at least 3; the report gives the count). Keeps a full run on a CPU adapter within minutes.
   */
  budgetMs?: number;
  /** Rethrow a row's setup/check error instead of reporting it (the user-shader mode: bad flags, compile errors). */
  throwErrors?: boolean;
  /**
   * A new context after a row lost the device (driver reset, tab backgrounded): that row is reported as
   * 'device-lost' and the rest run on the new one. Without it, every later row reports the loss.
   */
  newContext?: () => Promise<GpuContext>;
}

export interface RowResult {
  name: string;
  group: string;
  side: Side;
  shape: string;
  /** 'device-lost': the GPU device was lost during the row; the rows after it ran on a new device. */
  status: 'ok' | 'check-failed' | 'skipped' | 'error' | 'device-lost';
  check: string;
  method: string;
  reps: number;
  medianMs: number | null;
  /** Median wall time to queue completion (rows with wallToo on a timestamp-query adapter), for ratios against peers. */
  wallMedianMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  gflops: number | null;
  gbps: number | null;
  /** gbps / the copy and read ceilings measured in the same run. */
  fracCopy: number | null;
  fracRead: number | null;
  /** gflops / the f32 fma ceiling measured in the same run (the adapter's measured f32 peak). */
  fracPeak: number | null;
  flops: number;
  bytes: number;
  notes: string[];
  /** BenchRow.baseline, when the row has one. */
  baseline?: string;
}

export interface AdapterHeading {
  runtime: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  fallback: boolean;
  timestampQuery: boolean;
}

/** The best of each ceiling's rows in a run: bytes per second of a copy and of the read kernel, f32 FLOP/s of the fma kernel. */
export interface CeilingFigures {
  copyGBps: number | null;
  readGBps: number | null;
  fmaGFlops: number | null;
}

export interface Ceilings {
  copyGBps: number | null;
  readGBps: number | null;
  rows: RowResult[];
}

export interface BenchReport {
  adapter: AdapterHeading;
  /** The default timing method of this adapter (rows name their own). */
  timing: string;
  quick: boolean;
  date: string;
  ceilings: CeilingFigures;
  rows: RowResult[];
}

export function adapterHeading(ctx: GpuContext): AdapterHeading {
  const a = ctx.info;
  return {
    runtime: a.runtime,
    vendor: a.vendor,
    architecture: a.architecture,
    device: a.device,
    description: a.description,
    fallback: a.isFallback,
    timestampQuery: ctx.caps.timestampQuery,
  };
}

function emptyResult(row: BenchRow, status: RowResult['status'], check: string): RowResult {
  return {
    name: row.name,
    group: row.group,
    side: row.side,
    shape: row.shape,
    status,
    check,
    method: '-',
    reps: 0,
    medianMs: null,
    wallMedianMs: null,
    minMs: null,
    maxMs: null,
    gflops: null,
    gbps: null,
    fracCopy: null,
    fracRead: null,
    fracPeak: null,
    flops: row.flops,
    bytes: row.bytes,
    notes: [],
    ...(row.baseline ? { baseline: row.baseline } : {}),
  };
}

/** Repetitions that fit `budgetMs` given one sample's time (at least 3, at most `reps`). */
export function repsWithin(reps: number, sampleMs: number, budgetMs?: number): number {
  if (!budgetMs || sampleMs <= 0) return reps;
  return Math.max(Math.min(3, reps), Math.min(reps, Math.floor(budgetMs / sampleMs)));
}

/** Times a custom sample: warm-up, then `reps` samples of wall time to completion. */
export async function timeSamples(sample: () => Promise<void>, warmup: number, reps: number, budgetMs?: number): Promise<TimingResult> {
  let last = 0;
  for (let i = 0; i < warmup; i++) {
    const t0 = performance.now();
    await sample();
    last = performance.now() - t0;
  }
  reps = repsWithin(reps, last, budgetMs);
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await sample();
    ms.push(performance.now() - t0);
  }
  return summarize(ms, 'queue-completion');
}

/** Times planned dispatches in one compute pass per sample (timestamp-query where the adapter has it). */
export async function timeDispatches(ctx: GpuContext, label: string, ds: Dispatch[], warmup: number, reps: number, budgetMs?: number): Promise<TimingResult> {
  const bound = ds.map((d) => d.kernel.bind(d.args));
  const encode = (pass: GPUComputePassEncoder) => bound.forEach((b, i) => b.encode(pass, ds[i].workgroups));
  try {
    if (budgetMs && warmup > 0) {
      // The last warm-up run is timed too, to size the repetitions to the budget; it is not a sample.
      if (warmup > 1) await timePass(ctx, label, encode, { warmup: warmup - 1, reps: 1 });
      const probe = await timePass(ctx, label, encode, { warmup: 0, reps: 1 });
      return await timePass(ctx, label, encode, { warmup: 0, reps: repsWithin(reps, probe.median, budgetMs) });
    }
    return await timePass(ctx, label, encode, { warmup, reps });
  } finally {
    bound.forEach((b) => b.dispose());
  }
}

/** Runs one row: setup, check against the reference, then (only if the check passed) time it. Never throws. */
export async function runRow(
  ctx: GpuContext,
  row: BenchRow,
  opts: BenchOptions,
  ceil?: CeilingFigures,
  /** Whether a peer in this row's group can run here (else wallToo is pointless and skipped). */
  peerPresent = true,
): Promise<RowResult> {
  const why = row.needs?.(ctx) ?? null;
  if (why) return emptyResult(row, 'skipped', why);
  let inst: RowInstance | undefined;
  try {
    inst = await row.setup(ctx);
    const c = await inst.check();
    if (!c.ok) {
      const r = emptyResult(row, 'check-failed', c.message);
      r.notes = inst.notes ?? [];
      return r;
    }
    let t: TimingResult;
    let method: string;
    let wall: number | null = null;
    if (inst.dispatches) {
      t = await timeDispatches(ctx, row.name, inst.dispatches, opts.warmup, opts.reps, opts.budgetMs);
      method = t.method;
      if (row.wallToo && peerPresent && t.method === 'timestamp-query') {
        const ds = inst.dispatches;
        const wallReps = repsWithin(opts.reps, t.median, opts.budgetMs && opts.budgetMs / 2);
        const w = await timeSamples(() => runDispatches(ctx, ds).then(() => ctx.device.queue.onSubmittedWorkDone()), 0, wallReps);
        wall = w.median;
        method += `; queue-completion median ${w.median.toFixed(3)} ms (for peer ratios)`;
      } else if (row.wallToo && peerPresent) wall = t.median;
    } else if (inst.sample) {
      t = await timeSamples(inst.sample, opts.warmup, opts.reps, opts.budgetMs);
      method = inst.sampleMethod ?? 'wall time to completion';
    } else throw new Error(`bench row '${row.name}': setup returned neither dispatches nor a sample`);
    const s = t.median / 1e3;
    const gbps = row.bytes > 0 ? row.bytes / s / 1e9 : null;
    return {
      ...emptyResult(row, 'ok', c.message),
      method,
      reps: t.samples.length,
      medianMs: t.median,
      wallMedianMs: wall,
      minMs: t.min,
      maxMs: t.max,
      gflops: row.flops > 0 ? row.flops / s / 1e9 : null,
      gbps,
      fracCopy: gbps !== null && ceil?.copyGBps ? gbps / ceil.copyGBps : null,
      fracRead: gbps !== null && ceil?.readGBps ? gbps / ceil.readGBps : null,
      fracPeak: row.flops > 0 && ceil?.fmaGFlops ? row.flops / s / 1e9 / ceil.fmaGFlops : null,
      notes: inst.notes ?? [],
    };
  } catch (e) {
    if (opts.throwErrors) throw e;
    const r = emptyResult(row, 'error', String((e as Error)?.message ?? e));
    r.notes = inst?.notes ?? [];
    return r;
  } finally {
    try {
      inst?.dispose();
    } catch {
      /* a failed dispose must not hide the row's result */
    }
  }
}

export function selectRows(rows: BenchRow[], filter?: string[]): BenchRow[] {
  if (!filter?.length) return rows;
  return rows.filter((r) => filter.some((f) => r.name.includes(f) || r.group.includes(f)));
}

const lostOf = (ctx: GpuContext): GPUDeviceLostInfo | null => ctx.lost;

/** Runs the ceilings first, then every row, and returns the report (plain data, JSON-serialisable). */
export async function runBench(ctx: GpuContext, ceilingRows: BenchRow[], rows: BenchRow[], opts: BenchOptions & { quick: boolean }): Promise<BenchReport> {
  const log = opts.log ?? (() => {});
  const ceilResults: RowResult[] = [];
  for (const r of ceilingRows) {
    log(`ceiling: ${r.name} ${r.shape}`);
    ceilResults.push(await runRow(ctx, r, opts));
  }
  const best = (kind: string, of: (r: RowResult) => number | null) => {
    const v = ceilResults.filter((r) => r.status === 'ok' && r.group === kind && of(r) !== null).map((r) => of(r)!);
    return v.length ? Math.max(...v) : null;
  };
  const ceilings: CeilingFigures = { copyGBps: best('ceiling: copy', (r) => r.gbps), readGBps: best('ceiling: read', (r) => r.gbps), fmaGFlops: best('ceiling: f32 fma', (r) => r.gflops) };
  const frac = (v: number | null, of: number | null) => (v !== null && of ? v / of : null);
  const out: RowResult[] = [...ceilResults.map((r) => ({ ...r, fracCopy: frac(r.gbps, ceilings.copyGBps), fracRead: frac(r.gbps, ceilings.readGBps), fracPeak: r.group === 'ceiling: f32 fma' ? frac(r.gflops, ceilings.fmaGFlops) : null }))];
  const selected = selectRows(rows, opts.filter);
  const peerGroups = new Set(selected.filter((r) => r.side === 'peer' && !r.needs?.(ctx)).map((r) => r.group));
  for (const r of selected) {
    log(`row: ${r.name} ${r.shape}`);
    if (ctx.lost) {
      out.push(emptyResult(r, 'device-lost', `not run: the device was lost earlier (${ctx.lost.message || ctx.lost.reason})`));
      continue;
    }
    const res = await runRow(ctx, r, opts, ceilings, peerGroups.has(r.group));
    // The device's loss promise settles a tick after the failing call: wait for it to say what happened.
    if (res.status === 'error' && !lostOf(ctx)) await new Promise((ok) => setTimeout(ok, 0));
    const lost = lostOf(ctx);
    if (lost) {
      out.push({ ...res, status: 'device-lost', check: `GPU device lost during this row (${lost.reason}${lost.message ? `: ${lost.message}` : ''})${opts.newContext ? '; the rows after it ran on a new device' : ''}` });
      if (opts.newContext) {
        log(`device lost during ${r.name}: continuing on a new device`);
        ctx = await opts.newContext();
      }
      continue;
    }
    out.push(res);
  }
  return {
    adapter: adapterHeading(ctx),
    timing: ctx.caps.timestampQuery ? 'timestamp-query' : 'queue-completion',
    quick: opts.quick,
    date: new Date().toISOString(),
    ceilings,
    rows: out,
  };
}

/** A dispatch-based row's check helper: run the dispatches once, then compare. */
export async function runOnce(ctx: GpuContext, ds: Dispatch[]): Promise<void> {
  await runDispatches(ctx, ds);
}
