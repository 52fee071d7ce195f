// f32 matmul (shaders/matmul/matmul_f32.wgsl): the baseline every quantized kernel is measured against.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type KernelDef } from '../gpu/kernel.js';
import { checkShape, runDispatch, type Dispatch } from './common.js';
import { tuningFor } from './tuning.js';

export const MATMUL_F32: KernelDef = { name: 'matmul_f32', shader: 'matmul/matmul_f32' };

export interface MatmulF32Shape {
  M: number;
  N: number;
  K: number;
  /** A stored [K, M] instead of [M, K]. */
  transA?: boolean;
  /** B stored [N, K] instead of [K, N] (y = x W^T). */
  transB?: boolean;
  /** Batch count (grid z); strides in elements, 0 broadcasts. Defaults: 1 batch, dense strides. */
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  /** Force a variant (tests cover both); default from the adapter's tuning table. */
  tiled?: boolean;
}

export async function planMatmulF32(ctx: GpuContext, a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, s: MatmulF32Shape): Promise<Dispatch> {
  const { M, N, K } = s;
  const batch = s.batch ?? 1;
  for (const [k, v] of Object.entries({ M, N, K, batch })) checkShape('matmul_f32', k, Number.isInteger(v) && v > 0, `${k}=${v} must be a positive integer`);
  const t = tuningFor(ctx).matmulF32;
  const tiled = s.tiled ?? t.tiled;
  const strideA = s.strideA ?? M * K;
  const strideB = s.strideB ?? K * N;
  const strideC = s.strideC ?? M * N;
  const wgX = tiled ? t.wgX : Math.min(t.wgX, 16);
  const wgY = tiled ? t.wgY : Math.min(t.wgY, 16);
  const kernel = await getKernel(ctx, MATMUL_F32, { TRANS_A: !!s.transA, TRANS_B: !!s.transB, TILED: tiled }, tiled ? { WG_X: wgX, WG_Y: wgY, BK: t.bk } : { WG_X: wgX, WG_Y: wgY });
  const perX = tiled ? wgX * 4 : wgX;
  const perY = tiled ? wgY * 4 : wgY;
  const span = (stride: number, one: number) => 4 * (stride * (batch - 1) + one);
  return {
    kernel,
    args: {
      bindings: { a, b, c },
      params: { M, N, K, batch_a: strideA, batch_b: strideB, batch_c: strideC },
      expect: { a: span(strideA, M * K), b: span(strideB, K * N), c: span(strideC, M * N) },
    },
    workgroups: [Math.ceil(N / perX), Math.ceil(M / perY), batch],
  };
}

export const matmulF32 = async (ctx: GpuContext, a: GPUBuffer, b: GPUBuffer, c: GPUBuffer, s: MatmulF32Shape) => runDispatch(await planMatmulF32(ctx, a, b, c, s));
