// Elementwise (add, mul, scale, axpy), row-sum and column-permutation kernels: shaders/basic/elementwise.wgsl,
// shaders/basic/reduce_sum.wgsl, shaders/basic/permute_cols.wgsl.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type Bindable, type KernelDef } from '../gpu/kernel.js';
import { checkShape, grid1d, runDispatch, type Dispatch } from './common.js';
import { tuningFor } from './tuning.js';

export type BinaryOp = 'add' | 'mul';

export const ELEMENTWISE: Record<BinaryOp | 'scale' | 'axpy', KernelDef> = {
  add: { name: 'add', shader: 'basic/elementwise', defines: { OP_ADD: true } },
  mul: { name: 'mul', shader: 'basic/elementwise', defines: { OP_MUL: true } },
  scale: { name: 'scale', shader: 'basic/elementwise', defines: { OP_SCALE: true } },
  axpy: { name: 'axpy', shader: 'basic/elementwise', defines: { OP_AXPY: true } },
};

export const REDUCE_SUM: KernelDef = { name: 'reduce_sum', shader: 'basic/reduce_sum' };
export const PERMUTE_COLS: Record<'f32' | 'f16', KernelDef> = {
  f32: { name: 'permute_cols', shader: 'basic/permute_cols' },
  f16: { name: 'permute_cols_f16', shader: 'basic/permute_cols', defines: { HALF: true } },
};

/**
 * y[m, j] = x[m, perm[j]] for x [M, K] row-major, f32 or f16 (pairs in u32 words, rows of odd K mid-word); perm [K]
 * u32, a permutation of 0..K-1 (not checked on the GPU: permutations come from importGptq, which checks them).
 */
export async function planPermuteColumns(ctx: GpuContext, x: GPUBuffer, perm: GPUBuffer, y: GPUBuffer, M: number, K: number, elem: 'f32' | 'f16'): Promise<Dispatch> {
  checkShape('permute_cols', 'shape', Number.isInteger(M) && Number.isInteger(K) && M > 0 && K > 0, `[${M}, ${K}] must be positive integers`);
  checkShape('permute_cols', 'elem', elem === 'f32' || elem === 'f16', `'${elem}' is not f32 or f16`);
  const total = M * K;
  const words = elem === 'f16' ? Math.ceil(total / 2) : total;
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, PERMUTE_COLS[elem], {}, { WG: wg });
  const g = grid1d(ctx, Math.ceil(words / wg));
  return {
    kernel,
    args: { bindings: { x, perm, y }, params: { K, total, words, row_pitch: g.gridX * wg }, expect: { x: 4 * words, perm: 4 * K, y: 4 * words } },
    workgroups: g.workgroups,
  };
}

/** y[i] = a[i] (op) b[i] for i < n. */
export async function planBinary(ctx: GpuContext, op: BinaryOp, a: GPUBuffer, b: GPUBuffer, y: GPUBuffer, n: number): Promise<Dispatch> {
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, ELEMENTWISE[op], {}, { WG: wg });
  const g = grid1d(ctx, Math.ceil(n / wg));
  return {
    kernel,
    args: { bindings: { a, b, y }, params: { n, row_pitch: g.gridX * wg, alpha: 0 }, expect: { a: 4 * n, b: 4 * n, y: 4 * n } },
    workgroups: g.workgroups,
  };
}

/** y[i] = alpha * a[i]. */
export const planScale = (ctx: GpuContext, a: Bindable, y: Bindable, n: number, alpha: number) => planUnaryScaled(ctx, 'scale', a, y, n, alpha);

/** y[i] += alpha * a[i], in place (y must not alias a). */
export const planAxpy = (ctx: GpuContext, a: Bindable, y: Bindable, n: number, alpha: number) => planUnaryScaled(ctx, 'axpy', a, y, n, alpha);

/** The elementwise kernels of one input and a scalar: scale (y = alpha a) and axpy (y += alpha a). */
async function planUnaryScaled(ctx: GpuContext, op: 'scale' | 'axpy', a: Bindable, y: Bindable, n: number, alpha: number): Promise<Dispatch> {
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, ELEMENTWISE[op], {}, { WG: wg });
  const g = grid1d(ctx, Math.ceil(n / wg));
  return {
    kernel,
    args: { bindings: { a, y }, params: { n, row_pitch: g.gridX * wg, alpha }, expect: { a: 4 * n, y: 4 * n } },
    workgroups: g.workgroups,
  };
}

/** y[r] = sum over the `cols` elements of row r of x [rows, cols]. */
export async function planReduceSum(ctx: GpuContext, x: GPUBuffer, y: GPUBuffer, rows: number, cols: number): Promise<Dispatch> {
  checkShape('reduce_sum', 'shape', rows > 0 && cols > 0, `rows=${rows}, cols=${cols} must be positive`);
  const wg = tuningFor(ctx).reduceWG;
  const kernel = await getKernel(ctx, REDUCE_SUM, {}, { WG: wg });
  const g = grid1d(ctx, rows);
  return {
    kernel,
    args: { bindings: { x, y }, params: { rows, cols, grid_x: g.gridX }, expect: { x: 4 * rows * cols, y: 4 * rows } },
    workgroups: g.workgroups,
  };
}

export const add = async (ctx: GpuContext, a: GPUBuffer, b: GPUBuffer, y: GPUBuffer, n: number) => runDispatch(await planBinary(ctx, 'add', a, b, y, n));
export const mul = async (ctx: GpuContext, a: GPUBuffer, b: GPUBuffer, y: GPUBuffer, n: number) => runDispatch(await planBinary(ctx, 'mul', a, b, y, n));
export const scale = async (ctx: GpuContext, a: GPUBuffer, y: GPUBuffer, n: number, alpha: number) => runDispatch(await planScale(ctx, a, y, n, alpha));
export const axpy = async (ctx: GpuContext, a: GPUBuffer, y: GPUBuffer, n: number, alpha: number) => runDispatch(await planAxpy(ctx, a, y, n, alpha));
export const reduceSum = async (ctx: GpuContext, x: GPUBuffer, y: GPUBuffer, rows: number, cols: number) => runDispatch(await planReduceSum(ctx, x, y, rows, cols));
