// The rows of `nibble bench`: ceilings first, then one list per kernel family, then the peers. Each family file
// returns self-contained rows (bench/harness.ts BenchRow), so adding a kernel is adding rows to this list.
import { basicRows } from './basic.js';
import { ceilingRows } from './ceilings.js';
import { runBench, type BenchReport, type BenchRow } from './harness.js';
import { matmulRows } from './matmul-rows.js';
import { ortMatMulNBitsRow } from './peers/ort.js';
import { tfjsTrainStepRow } from './peers/tfjs.js';
import { matmulShapes, type ShapeOptions } from './shapes.js';
import { nibbleTrainStepRows } from './train-rows.js';
import type { GpuContext } from '../src/gpu/context.js';

export interface SuiteOptions {
  quick: boolean;
  /** Leave out the peers (ORT, TF.js). */
  noPeers?: boolean;
  filter?: string[];
  warmup?: number;
  reps?: number;
  /** Per-row time budget (ms) for the timed samples; default 20 s on a CPU adapter in a full run, else none. */
  budgetMs?: number;
}

export function suiteRows(o: ShapeOptions & { noPeers?: boolean }): BenchRow[] {
  const rows = [...matmulRows(o), ...basicRows(o), ...nibbleTrainStepRows(o)];
  if (!o.noPeers) rows.push(...matmulShapes(o).map(ortMatMulNBitsRow), tfjsTrainStepRow(o));
  return rows;
}

// The reference check already ran each row once (pipelines compiled, buffers touched), so one warm-up run suffices
// on a CPU adapter.
export const defaultReps = (quick: boolean, fallback: boolean) => ({ warmup: quick || fallback ? 1 : 2, reps: quick ? 3 : fallback ? 5 : 20 });

/** The whole suite on one context (Node or the page). */
export async function runSuite(ctx: GpuContext, o: SuiteOptions, log?: (line: string) => void, extra: BenchRow[] = [], newContext?: () => Promise<GpuContext>): Promise<BenchReport> {
  const shape = { quick: o.quick, fallback: ctx.info.isFallback };
  const d = defaultReps(o.quick, shape.fallback);
  return runBench(ctx, ceilingRows(shape), [...suiteRows({ ...shape, noPeers: o.noPeers }), ...extra], {
    quick: o.quick,
    warmup: o.warmup ?? d.warmup,
    reps: o.reps ?? d.reps,
    filter: o.filter,
    budgetMs: o.budgetMs ?? (shape.fallback && !o.quick ? 20_000 : undefined),
    log,
    newContext,
  });
}
