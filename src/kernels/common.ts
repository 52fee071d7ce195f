// What every kernel family shares: a planned dispatch (kernel + bindings + grid) and grid math.
import type { GpuContext } from '../gpu/context.js';
import type { BindArgs, Kernel, Workgroups } from '../gpu/kernel.js';

export interface Dispatch {
  kernel: Kernel;
  args: BindArgs;
  workgroups: Workgroups;
}

/**
 * Whether the adapter's subgroups all have at least 4 lanes: what the kernels whose lanes 0 .. 3 load for the others
 * need (the matmuls' SUB_A / SUB_X, flash attention's and the embedding's QUAD).
 */
export const subgroupsOf4 = (ctx: GpuContext): boolean => ctx.caps.subgroups && ctx.caps.subgroupMinSize >= 4;

/** Validates, encodes and submits one planned dispatch. */
export function runDispatch(d: Dispatch): Promise<void> {
  return d.kernel.run(d.args, d.workgroups);
}

/** Encodes several planned dispatches into one pass and submits once. */
export async function runDispatches(ctx: GpuContext, ds: Dispatch[]): Promise<void> {
  const bound = ds.map((d) => d.kernel.bind(d.args));
  try {
    await ctx.submit(ds.map((d) => d.kernel.name), (enc) => {
      const pass = enc.beginComputePass({ label: ds.map((d) => d.kernel.name).join(',') });
      bound.forEach((b, i) => b.encode(pass, ds[i].workgroups));
      pass.end();
    });
  } finally {
    bound.forEach((b) => b.dispose());
  }
}

/**
 * A 1-D problem of `count` workgroups laid on a 2-D grid when it exceeds the per-dimension limit.
 * Returns the grid and how many workgroups one grid row holds.
 */
export function grid1d(ctx: GpuContext, count: number): { workgroups: [number, number]; gridX: number } {
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (count <= max) return { workgroups: [Math.max(1, count), 1], gridX: Math.max(1, count) };
  const y = Math.ceil(count / max);
  const x = Math.ceil(count / y);
  return { workgroups: [x, y], gridX: x };
}

/** `xs` padded with `fill` to `n` slots (a uniform's fixed per-tensor fields); refuses more than `n` values. */
export function padSlots(xs: readonly number[], n: number, fill: number): number[] {
  if (xs.length > n) throw new Error(`${xs.length} values for ${n} slots`);
  return [...xs, ...new Array(n - xs.length).fill(fill)];
}

/** The exclusive prefix sums of `xs`: where each of consecutive runs of these lengths starts. */
export function prefixSums(xs: readonly number[]): number[] {
  let at = 0;
  return xs.map((x) => {
    const start = at;
    at += x;
    return start;
  });
}

export function checkShape(kernel: string, what: string, ok: boolean, detail: string): void {
  if (!ok) throw new Error(`${kernel}: ${what}: ${detail}`);
}
