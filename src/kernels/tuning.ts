// Per-adapter tuning table: which shape of a kernel runs, and its override constants.
// CPU adapters (SwiftShader) reward one-invocation-per-output kernels without workgroup memory; GPUs reward
// workgroup tiling. Entries are matched on the adapter description; the first match wins.
import type { GpuContext } from '../gpu/context.js';

export interface Tuning {
  matmulF32: { tiled: boolean; wgX: number; wgY: number; bk: number };
  elementwiseWG: number;
  reduceWG: number;
}

interface Entry {
  match: (ctx: GpuContext) => boolean;
  tuning: Tuning;
}

const GPU_DEFAULT: Tuning = {
  matmulF32: { tiled: true, wgX: 16, wgY: 16, bk: 16 },
  elementwiseWG: 256,
  reduceWG: 256,
};

const TABLE: Entry[] = [
  {
    match: (ctx) => ctx.info.isFallback,
    tuning: { matmulF32: { tiled: false, wgX: 8, wgY: 8, bk: 16 }, elementwiseWG: 64, reduceWG: 64 },
  },
];

export function tuningFor(ctx: GpuContext): Tuning {
  return TABLE.find((e) => e.match(ctx))?.tuning ?? GPU_DEFAULT;
}

/** What runs on this adapter, kernel by kernel, for capability panels and reports. */
export function describeVariants(ctx: GpuContext): { kernel: string; variant: string }[] {
  const t = tuningFor(ctx);
  return [
    { kernel: 'matmul_f32', variant: t.matmulF32.tiled ? `tiled ${t.matmulF32.wgY * 4}x${t.matmulF32.wgX * 4}, BK ${t.matmulF32.bk}` : `one invocation per output (${t.matmulF32.wgX}x${t.matmulF32.wgY})` },
    { kernel: 'elementwise', variant: `workgroup ${t.elementwiseWG}` },
    { kernel: 'reduce_sum', variant: `workgroup ${t.reduceWG}, tree reduction` },
  ];
}
