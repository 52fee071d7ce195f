// 16-bit weight matmul bench: the f32 matmul with B held as F16 or BF16 (bType 'f16' / 'bf16', two values per u32,
// as the language-model engine keeps F16 / BF16 weights) against the same product with B in f32, at the engine's
// Linear shape y = x W^T (W [N, K]): decode GEMVs (M = 1) and a prefill GEMM (M = 32). The variant is the one the
// adapter's tuning table picks, the same for all three types. Each configuration is checked against src/ref once,
// then all are timed in interleaved rounds (one sample each per round) and reported as medians, with each 16-bit
// row's speed and weight bytes relative to the f32 row of its shape.
import type { GpuContext } from '../src/gpu/context.js';
import type { BoundKernel } from '../src/gpu/kernel.js';
import { median, timePass } from '../src/gpu/timing.js';
import { runDispatch, type Dispatch } from '../src/kernels/common.js';
import { f32Variant, planMatmulF32, type MatmulBType } from '../src/kernels/matmul.js';
import { f32ToBf16Bits, f32ToF16Bits } from '../src/quant/f16.js';
import { matmulB16Ref, matmulRef } from '../src/ref/matmul.js';
import { randomF32 } from '../src/ref/random.js';
import { compareBound } from '../src/ref/tolerance.js';

export interface B16Shape {
  M: number;
  K: number;
  N: number;
}

export const B16_SHAPES: B16Shape[] = [
  { M: 1, K: 2048, N: 2048 },
  { M: 1, K: 1024, N: 4096 },
  { M: 32, K: 1024, N: 1024 },
];

export interface B16BenchRow {
  /** M x K x N */
  shape: string;
  bType: MatmulBType;
  variant: string;
  weightBytes: number;
  check: string;
  medianMs: number;
  gflops: number;
  /** Weight bytes read per second (GB/s). */
  weightGBs: number;
  /** The f32 row's median time over this row's (> 1: faster than f32). */
  speedupVsF32: number;
}

interface Timed {
  row: Omit<B16BenchRow, 'medianMs' | 'gflops' | 'weightGBs' | 'speedupVsF32'>;
  flops: number;
  d: Dispatch;
  bound?: BoundKernel;
  samples: number[];
}

export async function benchMatmulB16(ctx: GpuContext, o: { shapes?: B16Shape[]; rounds?: number; log?: (l: string) => void } = {}): Promise<B16BenchRow[]> {
  const shapes = o.shapes ?? B16_SHAPES;
  const rounds = o.rounds ?? 5;
  const log = o.log ?? (() => {});
  const timed: Timed[] = [];
  const bufs: GPUBuffer[] = [];
  try {
    for (const s of shapes) {
      const { M, K, N } = s;
      const shape = `${M}x${K}x${N}`;
      const a = randomF32(M * K, 51);
      const w = randomF32(N * K, 52);
      const A = ctx.createBuffer(a, undefined, 'x');
      const C = ctx.createBuffer(4 * M * N, undefined, 'y');
      bufs.push(A, C);
      const variant = f32Variant(ctx, { M });
      for (const bType of ['f32', 'f16', 'bf16'] as const) {
        const bits = bType === 'f32' ? null : Uint16Array.from(w, bType === 'f16' ? f32ToF16Bits : f32ToBf16Bits);
        const B = ctx.createBuffer(bits ?? w, undefined, `w ${bType}`);
        bufs.push(B);
        const d = await planMatmulF32(ctx, A, B, C, { M, N, K, transB: true, bType });
        await runDispatch(d);
        // The reference on the first 64 columns (a full one costs minutes on this CPU at 2048 x 2048).
        const n = Math.min(N, 64);
        const got = await ctx.readF32(C, M * N);
        const sub = Float32Array.from({ length: M * n }, (_, i) => got[Math.floor(i / n) * N + (i % n)]);
        const ref = bits ? matmulB16Ref(a, bits.subarray(0, n * K), bType as 'f16' | 'bf16', { M, N: n, K, transB: true }) : matmulRef(a, w.subarray(0, n * K), { M, N: n, K, transB: true });
        const r = compareBound('y', sub, ref.c, ref.absSum, K);
        if (!r.ok) throw new Error(`matmul ${bType} ${shape}: ${r.message}`);
        timed.push({ row: { shape, bType, variant, weightBytes: B.size, check: r.message }, flops: 2 * M * N * K, d, samples: [] });
      }
      log(`checked ${shape}`);
    }
    for (const t of timed) t.bound = t.d.kernel.bind(t.d.args);
    const sample = async (t: Timed) => (await timePass(ctx, `matmul ${t.row.bType}`, (pass) => t.bound!.encode(pass, t.d.workgroups), { warmup: 0, reps: 1 })).samples[0];
    for (const t of timed) await sample(t); // warm-up: pipelines, first-use costs
    for (let r = 0; r < rounds; r++) {
      for (const t of timed) t.samples.push(await sample(t));
      log(`round ${r + 1}/${rounds}`);
    }
    const f32Ms = new Map(timed.filter((t) => t.row.bType === 'f32').map((t) => [t.row.shape, median(t.samples)]));
    return timed.map((t) => {
      const ms = median(t.samples);
      return { ...t.row, medianMs: ms, gflops: t.flops / ms / 1e6, weightGBs: t.row.weightBytes / ms / 1e6, speedupVsF32: f32Ms.get(t.row.shape)! / ms };
    });
  } finally {
    timed.forEach((t) => t.bound?.dispose());
    bufs.forEach((b) => b.destroy());
  }
}

export function formatB16Bench(ctx: GpuContext, rows: B16BenchRow[], rounds: number): string {
  const lines = [
    `# 16-bit weights (F16 / BF16 read in place) vs f32 weights, y = x W^T: ${ctx.info.description || ctx.info.device} (${ctx.info.isFallback ? 'CPU adapter: a correctness vehicle, not a GPU figure' : 'GPU'}), medians of ${rounds} interleaved rounds`,
    '',
    '| M x K x N | W | variant | W bytes | ms | GFLOP/s | W GB/s | vs f32 |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) lines.push(`| ${r.shape} | ${r.bType} | ${r.variant} | ${(r.weightBytes / 2 ** 20).toFixed(1)} MiB | ${r.medianMs.toFixed(2)} | ${r.gflops.toFixed(2)} | ${r.weightGBs.toFixed(2)} | ${r.speedupVsF32.toFixed(2)}x |`);
  return lines.join('\n');
}
