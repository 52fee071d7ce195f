// f32 matmul bench: every f32 variant (naive, block4, tiled, rows with 4..16 columns) on the three products of a
// linear layer's training step, next to the W4A16 GEMM at the same M x K x N (its forward, y = x W^T, W [N, K]):
//   forward  y  = x W      M=T,   K=in,  N=out   (A [M, K], B [K, N]: 'NN'; the quantized layout x W^T is 'NT')
//   dX       dX = dY W^T   M=T,   K=out, N=in    (B = W [in, out] read as [N, K]: 'NT')
//   dW       dW = X^T dY   M=in,  K=T,   N=out   (A = X [T, in] read as [K, M]: 'TN')
// at the issue's 32x1024x1024 and the MLP bench's 64-256-256-10 batch 128 layers. Each configuration is checked
// against src/ref once, then all are timed in interleaved rounds (one sample each per round, the machine's load
// spread over all of them) and reported as medians, with each f32 row's speed relative to the W4A16 GEMM's and as a
// fraction of the adapter's measured f32 peak (the fma_peak ceiling of `nibble bench`, timed in the same rounds).
import type { GpuContext } from '../src/gpu/context.js';
import type { BoundKernel } from '../src/gpu/kernel.js';
import { median, timePass } from '../src/gpu/timing.js';
import type { Dispatch } from '../src/kernels/common.js';
import { F32_ROWS_COLS, f32Variant, pickSubA, planMatmulF32, type F32Variant } from '../src/kernels/matmul.js';
import { matmulRef, matmulRefRows } from '../src/ref/matmul.js';
import { randomF32 } from '../src/ref/random.js';
import { compareBound } from '../src/ref/tolerance.js';
import { tuningFor, withTuningOverride, type Tuning } from '../src/kernels/tuning.js';
import { fmaRow, fmaSizes } from './ceilings.js';
import { runOnce } from './harness.js';
import { checkedRows, matmulW4A16Row, pickRows } from './matmul-rows.js';

export type Product = 'forward' | 'dX' | 'dW' | 'xWt';

/** A linear layer T tokens x in -> out, and which of its products to time. */
export interface LayerShape {
  T: number;
  inF: number;
  outF: number;
}

export interface F32BenchOptions {
  layers?: LayerShape[];
  products?: Product[];
  /** f32 variants ('rows' with each column count as 'rows c8' etc., 'rows r16 c16 sa' / '... nosa' with SUB_A forced
   *  on / off); default all. */
  variants?: string[];
  rounds?: number;
  log?: (line: string) => void;
}

export interface F32BenchRow {
  layer: string;
  product: Product;
  /** M x K x N and layout. */
  shape: string;
  kernel: string;
  /** The one the tuning table picks for this shape on this adapter. */
  picked: boolean;
  check: string;
  medianMs: number;
  gflops: number;
  /** This row's GFLOP/s over the W4A16 GEMM's at the layer's forward shape (same FLOPs). */
  vsW4A16: number;
  /** This row's GFLOP/s over the adapter's measured f32 peak (F32Peak) in the same rounds. */
  ofPeak: number;
}

/** The fma_peak ceiling timed in the same rounds as the products: its fastest round (the products at their medians, so a ratio errs against them). */
export interface F32Peak {
  shape: string;
  check: string;
  fastestMs: number;
  gflops: number;
}

export const ISSUE_LAYER: LayerShape = { T: 32, inF: 1024, outF: 1024 };
export const MLP_LAYERS: LayerShape[] = [
  { T: 128, inF: 64, outF: 256 },
  { T: 128, inF: 256, outF: 256 },
  { T: 128, inF: 256, outF: 10 },
];
export const ALL_VARIANTS = ['naive', 'block4', 'tiled', ...F32_ROWS_COLS.map((c) => `rows r4 c${c}`), ...F32_ROWS_COLS.map((c) => `rows r8 c${c}`)];

/** The f32 product's shape and layout. */
function productShape(l: LayerShape, p: Product): { M: number; K: number; N: number; transA: boolean; transB: boolean } {
  if (p === 'forward') return { M: l.T, K: l.inF, N: l.outF, transA: false, transB: false };
  if (p === 'xWt') return { M: l.T, K: l.inF, N: l.outF, transA: false, transB: true };
  if (p === 'dX') return { M: l.T, K: l.outF, N: l.inF, transA: false, transB: true };
  return { M: l.inF, K: l.T, N: l.outF, transA: true, transB: false };
}

interface Timed {
  label: Omit<F32BenchRow, 'medianMs' | 'gflops' | 'vsW4A16' | 'ofPeak'>;
  flops: number;
  bound: BoundKernel[];
  ds: Dispatch[];
  samples: number[];
  w4?: boolean;
}

/** What the interleaved rounds time: a product's dispatches (Timed) or the fma_peak ceiling's. */
type Sampled = Pick<Timed, 'flops' | 'bound' | 'ds' | 'samples'> & { label: { kernel: string } };

/** 'tiled tT wXxY kB': the tiled kernel with a T x T register tile, X x Y invocations, B-deep slices (each part optional). */
type TiledKnobs = Partial<Pick<Tuning['matmulF32'], 'tile' | 'wgX' | 'wgY' | 'bk'>>;

function parseVariant(v: string): { variant: F32Variant; cols?: number; rows?: number; subA?: boolean; tiled?: TiledKnobs } {
  const m = /^rows (?:r(\d+) )?c(\d+)( sa| nosa)?$/.exec(v);
  if (m) return { variant: 'rows', cols: Number(m[2]), ...(m[1] ? { rows: Number(m[1]) } : {}), ...(m[3] ? { subA: m[3] === ' sa' } : {}) };
  const t = /^tiled(?: t(\d+))?(?: w(\d+)x(\d+))?(?: k(\d+))?$/.exec(v);
  if (t && v !== 'tiled') {
    const knobs: TiledKnobs = { ...(t[1] ? { tile: Number(t[1]) as 4 | 8 } : {}), ...(t[2] ? { wgX: Number(t[2]), wgY: Number(t[3]) } : {}), ...(t[4] ? { bk: Number(t[4]) } : {}) };
    return { variant: 'tiled', tiled: knobs };
  }
  if (!['naive', 'block4', 'tiled', 'rows'].includes(v)) throw new Error(`matmul-f32 bench: unknown variant '${v}' (${ALL_VARIANTS.join(', ')}, or 'tiled t8 w16x16 k8' and parts of it)`);
  return { variant: v as F32Variant };
}

export async function benchMatmulF32(ctx: GpuContext, o: F32BenchOptions = {}): Promise<{ rows: F32BenchRow[]; peak: F32Peak }> {
  const log = o.log ?? (() => {});
  const layers = o.layers ?? [ISSUE_LAYER, ...MLP_LAYERS];
  const products = o.products ?? ['forward', 'xWt', 'dX', 'dW'];
  const variants = o.variants ?? ALL_VARIANTS;
  const rounds = o.rounds ?? 5;
  const timed: Timed[] = [];
  let ceiling: Sampled | undefined;
  const bufs: GPUBuffer[] = [];
  const disposers: (() => void)[] = [];
  try {
    // The f32 peak: fma_peak.wgsl at `nibble bench`'s full size for this adapter, checked exactly first.
    const f = fmaSizes({ quick: false, fallback: ctx.info.isFallback });
    const peakRow = fmaRow(f.threads, f.wg, f.iters);
    const peak = await peakRow.setup(ctx);
    disposers.push(peak.dispose);
    const cp = await peak.check();
    if (!cp.ok) throw new Error(`fma_peak: ${cp.message}`);
    ceiling = { label: { kernel: 'fma_peak' }, flops: peakRow.flops, ds: peak.dispatches!, bound: [], samples: [] };
    for (const l of layers) {
      const layer = `${l.T}x${l.inF}->${l.outF}`;
      // The W4A16 GEMM at the layer's forward shape (x [T, in] · W[out, in]^T), path from the tuning table.
      const w4 = await matmulW4A16Row({ kind: 'prefill', M: l.T, K: l.inF, N: l.outF }).setup(ctx);
      disposers.push(w4.dispose);
      const c4 = await w4.check();
      if (!c4.ok) throw new Error(`W4A16 ${layer}: ${c4.message}`);
      const flops = 2 * l.T * l.inF * l.outF;
      timed.push({ label: { layer, product: 'forward', shape: `${l.T}x${l.inF}x${l.outF} NT`, kernel: `w4a16 ${w4.notes?.[0] ?? ''}`, picked: true, check: c4.message }, flops, ds: w4.dispatches!, bound: [], samples: [], w4: true });
      for (const p of products) {
        const s = productShape(l, p);
        const a = randomF32(s.M * s.K, 41);
        const b = randomF32(s.K * s.N, 42);
        const A = ctx.createBuffer(a, undefined, 'a');
        const B = ctx.createBuffer(b, undefined, 'b');
        const C = ctx.createBuffer(4 * s.M * s.N, undefined, 'c');
        bufs.push(A, B, C);
        // Large products (the GPU's 1024-4096 shapes) are checked on sampled rows of C.
        const rows = checkedRows(s.M, s.K, s.N);
        const ref = rows ? matmulRefRows(a, b, s, rows) : matmulRef(a, b, s);
        const picked = f32Variant(ctx, { M: s.M });
        for (const v of variants) {
          const { tiled: knobs, ...pv } = parseVariant(v);
          const plan = () => planMatmulF32(ctx, A, B, C, { ...s, ...pv });
          // The tiled knobs laid over the tuning table (setTuningOverride validates them, naming a bad one).
          const d = await (knobs ? withTuningOverride({ matmulF32: knobs }, plan) : plan());
          await runOnce(ctx, [d]);
          const r = compareBound(rows ? `c (rows ${rows.length} of ${s.M})` : 'c', pickRows(await ctx.readF32(C, s.M * s.N), s.N, rows), ref.c, ref.absSum, s.K);
          if (!r.ok) throw new Error(`f32 ${v} ${p} ${layer}: ${r.message}`);
          const tf = tuningFor(ctx).matmulF32;
          const small = s.M <= tf.smallM;
          const cols = small ? tf.smallCols : tf.rowsCols;
          const subA = pickSubA(ctx, s.N, cols);
          const tableTiled = !knobs || Object.entries(knobs).every(([k, x]) => tf[k as keyof TiledKnobs] === x);
          const isPicked = pv.variant === picked && (pv.variant === 'tiled' ? tableTiled : pv.variant !== 'rows' || ((pv.cols ?? 0) === cols && (pv.rows ?? 0) === (small ? 4 : tf.rowsM) && (pv.subA ?? subA) === subA));
          timed.push({ label: { layer, product: p, shape: `${s.M}x${s.K}x${s.N} ${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`, kernel: `f32 ${v}`, picked: isPicked, check: r.message }, flops: 2 * s.M * s.N * s.K, ds: [d], bound: [], samples: [] });
        }
        log(`checked ${layer} ${p}`);
      }
    }
    const all: Sampled[] = [ceiling, ...timed];
    for (const t of all) t.bound = t.ds.map((d) => d.kernel.bind(d.args));
    const sample = async (t: Sampled) => (await timePass(ctx, t.label.kernel, (pass) => t.bound.forEach((b, i) => b.encode(pass, t.ds[i].workgroups)), { warmup: 0, reps: 1 })).samples[0];
    for (const t of all) await sample(t); // warm-up: pipelines, first-use costs
    for (let r = 0; r < rounds; r++) {
      for (const t of all) t.samples.push(await sample(t));
      log(`round ${r + 1}/${rounds}`);
    }
    const w4ByLayer = new Map(timed.filter((t) => t.w4).map((t) => [t.label.layer, t.flops / median(t.samples) / 1e6]));
    const fastestMs = Math.min(...ceiling.samples);
    const peakGflops = ceiling.flops / fastestMs / 1e6;
    const rows = timed.map((t) => {
      const ms = median(t.samples);
      const gflops = t.flops / ms / 1e6;
      return { ...t.label, medianMs: ms, gflops, vsW4A16: gflops / w4ByLayer.get(t.label.layer)!, ofPeak: gflops / peakGflops };
    });
    return { rows, peak: { shape: peakRow.shape, check: cp.message, fastestMs, gflops: peakGflops } };
  } finally {
    // Bindings first (the ceiling's and the products'), then the buffers and the rows' own resources.
    [...(ceiling ? [ceiling] : []), ...timed].forEach((t) => t.bound.forEach((b) => b.dispose()));
    bufs.forEach((b) => b.destroy());
    disposers.forEach((d) => d());
  }
}

export function formatF32Bench(ctx: GpuContext, r: { rows: F32BenchRow[]; peak: F32Peak }, rounds: number): string {
  const p = r.peak;
  const lines = [
    `# f32 matmul vs W4A16 GEMM: ${ctx.info.description || ctx.info.device} (${ctx.info.isFallback ? 'CPU adapter' : 'GPU'}), medians of ${rounds} interleaved rounds`,
    `# f32 peak: ${p.gflops.toFixed(3)} GFLOP/s (fma_peak, ${p.shape}, its fastest round ${p.fastestMs.toFixed(2)} ms; ${p.check})`,
    '',
    '| layer T x in -> out | product | M x K x N | kernel | ms | GFLOP/s | vs W4A16 | of f32 peak |',
    '| --- | --- | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const x of r.rows) lines.push(`| ${x.layer} | ${x.product} | ${x.shape} | ${x.kernel}${x.picked ? ' (picked)' : ''} | ${x.medianMs.toFixed(2)} | ${x.gflops.toFixed(3)} | ${x.vsW4A16.toFixed(2)}x | ${(100 * x.ofPeak).toFixed(1)}% |`);
  return lines.join('\n');
}
