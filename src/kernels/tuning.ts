// Per-adapter tuning table: which shape of a kernel runs, and its override constants.
// CPU adapters (SwiftShader) reward one-invocation-per-output kernels without workgroup memory; GPUs reward
// workgroup tiling. Entries are matched on the adapter description; the first match wins.
import type { GpuContext } from '../gpu/context.js';

export interface Tuning {
  matmulF32: { tiled: boolean; wgX: number; wgY: number; bk: number };
  elementwiseWG: number;
  reduceWG: number;
  /** Elements of a row one invocation of shaders/quant/dequantize.wgsl writes (f32 output; > 1: a whole group where possible). */
  dequantRun: number;
}

interface Entry {
  match: (ctx: GpuContext) => boolean;
  tuning: Tuning;
}

const GPU_DEFAULT: Tuning = {
  matmulF32: { tiled: true, wgX: 16, wgY: 16, bk: 16 },
  elementwiseWG: 256,
  reduceWG: 256,
  dequantRun: 1,
};

const TABLE: Entry[] = [
  {
    match: (ctx) => ctx.info.isFallback,
    tuning: { matmulF32: { tiled: false, wgX: 8, wgY: 8, bk: 16 }, elementwiseWG: 64, reduceWG: 64, dequantRun: 32 },
  },
];

export function tuningFor(ctx: GpuContext): Tuning {
  return TABLE.find((e) => e.match(ctx))?.tuning ?? GPU_DEFAULT;
}
