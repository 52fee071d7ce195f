// The elementwise dispatches the step recorder (record.ts) plans over its activations: adds, unary maps, row copies and
// strided copies / joins of head slices, all on the graph executor's strided ew kernel (shaders/ops/ew.wgsl).
import type { GpuContext } from '../gpu/context.js';
import type { Dispatch } from '../kernels/common.js';
import { vec8 } from '../ops/common.js';
import { ewDef, perItem } from '../ops/kernels.js';

/** y [rows, cols] = a + b (op MUL: a * b), b a row [cols] repeated where broadcastB. */
export async function planEwAdd(ctx: GpuContext, a: GPUBuffer, b: GPUBuffer, y: GPUBuffer, rows: number, cols: number, broadcastB: boolean, op: 'ADD' | 'MUL' = 'ADD'): Promise<Dispatch> {
  const n = rows * cols;
  const { kernel, workgroups, rowPitch } = await perItem(ctx, ewDef(op), n);
  return {
    kernel,
    workgroups,
    args: {
      bindings: { a, b, y },
      params: { n, rank: 2, row_pitch: rowPitch, off_a: 0, off_b: 0, axis: 0, split: 0, alpha: 0, beta: 0, ...vec8('shape', [rows, cols], 1), ...vec8('sa', [cols, 1]), ...vec8('sb', [broadcastB ? 0 : cols, 1]), ...vec8('lo', []) },
      expect: { y: 4 * n },
    },
  };
}

/** y [rows, cols] = x times column `col` of w [rows, wCols], row by row. */
export async function planEwRowScale(ctx: GpuContext, x: GPUBuffer, w: GPUBuffer, y: GPUBuffer, rows: number, cols: number, wCols: number, col: number): Promise<Dispatch> {
  const n = rows * cols;
  const { kernel, workgroups, rowPitch } = await perItem(ctx, ewDef('MUL'), n);
  return {
    kernel,
    workgroups,
    args: {
      bindings: { a: x, b: w, y },
      params: { n, rank: 2, row_pitch: rowPitch, off_a: 0, off_b: col, axis: 0, split: 0, alpha: 0, beta: 0, ...vec8('shape', [rows, cols], 1), ...vec8('sa', [cols, 1]), ...vec8('sb', [wCols, 0]), ...vec8('lo', []) },
      expect: { y: 4 * n },
    },
  };
}

export async function planEwUnary(ctx: GpuContext, op: 'AFFINE' | 'SOFTCAP' | 'GELU' | 'SILU' | 'CLAMP', a: GPUBuffer, y: GPUBuffer, n: number, alpha: number, beta = 0): Promise<Dispatch> {
  const { kernel, workgroups, rowPitch } = await perItem(ctx, ewDef(op), n);
  return {
    kernel,
    workgroups,
    args: {
      bindings: { a, y },
      params: { n, rank: 1, row_pitch: rowPitch, off_a: 0, off_b: 0, axis: 0, split: 0, alpha, beta, ...vec8('shape', [n], 1), ...vec8('sa', [1]), ...vec8('sb', []), ...vec8('lo', []) },
      expect: { y: 4 * n },
    },
  };
}

/**
 * The ew kernel over y [shape] (dense) reading a through strides `sa` from element `offA` (COPY), or a and b joined
 * along the last axis at `split` (CONCAT, b through `sb`).
 */
export async function planEwStrided(ctx: GpuContext, op: 'COPY' | 'CONCAT', a: GPUBuffer, b: GPUBuffer | null, y: GPUBuffer, shape: number[], sa: number[], offA: number, o: { sb?: number[]; split?: number } = {}): Promise<Dispatch> {
  const n = shape.reduce((p, d) => p * d, 1);
  const { kernel, workgroups, rowPitch } = await perItem(ctx, ewDef(op), n);
  return {
    kernel,
    workgroups,
    args: {
      bindings: b ? { a, b, y } : { a, y },
      params: { n, rank: shape.length, row_pitch: rowPitch, off_a: offA, off_b: 0, axis: shape.length - 1, split: o.split ?? 0, alpha: 0, beta: 0, ...vec8('shape', shape, 1), ...vec8('sa', sa), ...vec8('sb', o.sb ?? []), ...vec8('lo', []) },
      expect: { y: 4 * n },
    },
  };
}

export async function planCopyRow(ctx: GpuContext, a: GPUBuffer, y: GPUBuffer, row: number, cols: number): Promise<Dispatch> {
  const { kernel, workgroups, rowPitch } = await perItem(ctx, ewDef('COPY'), cols);
  return {
    kernel,
    workgroups,
    args: {
      bindings: { a, y },
      params: { n: cols, rank: 1, row_pitch: rowPitch, off_a: row * cols, off_b: 0, axis: 0, split: 0, alpha: 0, beta: 0, ...vec8('shape', [cols], 1), ...vec8('sa', [1]), ...vec8('sb', []), ...vec8('lo', []) },
      expect: { y: 4 * cols },
    },
  };
}

