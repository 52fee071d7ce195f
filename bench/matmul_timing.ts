// The matmul benchmark's timing and buffer helpers (bench/matmul.ts): the copy and read bandwidth ceilings, random
// weights, sampled reference checks, and streamed timing over copies of a weight so that a GPU reads it from memory
// rather than L2.
import type { GpuContext } from '../src/gpu/context.js';
import type { BoundKernel } from '../src/gpu/kernel.js';
import { median, summarize, timePass, type TimingResult } from '../src/gpu/timing.js';
import type { Dispatch } from '../src/kernels/common.js';
import type { QuantWeightBuffers } from '../src/kernels/matmul.js';
import type { QuantWeightsRef } from '../src/ref/matmul.js';
import { rng } from '../src/ref/random.js';
import { ceilingSizes, readRow } from './ceilings.js';

/** Bytes copied before each timed pass on a GPU so that weights come from memory, not L2 (H100: 50 MB L2). */
export const L2_FLUSH_BYTES = 256 * 1024 * 1024;
/**
 * GEMV rows on a GPU are timed as a decode step runs them: back to back in one pass over distinct copies of the
 * weights, at least this many bytes of them (5x an H100's L2), so none comes from L2; the row's ms is one dispatch's
 * share. A pass of one dispatch (column `ms alone`) also counts the pass's begin / end and the clock ramp of an idle
 * GPU: on an H100 under Dawn 8-40 us, up to 4x what a 4096 x 4096 W4A16 GEMV takes.
 */
export const STREAM_BYTES = 256 * 1024 * 1024;
export const STREAM_MIN = 4;
export const STREAM_MAX = 64;


export async function copyBandwidth(ctx: GpuContext, bytes: number, reps: number): Promise<number> {
  const a = ctx.createBuffer(bytes, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'bench.copy.src');
  const b = ctx.createBuffer(bytes, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'bench.copy.dst');
  // Many copies per submit on a GPU, so that the submit-to-completion overhead (wall time) is a small part of it.
  const inner = ctx.info.isFallback ? 4 : 32;
  const once = async () => {
    await ctx.submit(['copy'], (enc) => {
      for (let i = 0; i < inner; i++) enc.copyBufferToBuffer(i % 2 ? b : a, 0, i % 2 ? a : b, 0, bytes);
    });
    await ctx.device.queue.onSubmittedWorkDone();
  };
  await once();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await once();
    t.push(performance.now() - t0);
  }
  a.destroy();
  b.destroy();
  return (2 * bytes * inner) / (median(t) / 1e3) / 1e9;
}

export function randomWords(n: number, seed: number): Uint32Array {
  const r = rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 4294967296) >>> 0;
  return out;
}

export function randomF16Bits(n: number, seed: number): Uint16Array {
  // Values in about [-1, 1]: sign, exponent 10..15 (2^-5 .. 1), random mantissa.
  const r = rng(seed);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() < 0.5 ? 0x8000 : 0) | ((10 + Math.floor(r() * 5)) << 10) | Math.floor(r() * 1024);
  return out;
}

/** Sampled rows of x and columns of W, for the reference check. */
export function sample(count: number, want: number): number[] {
  if (count <= want) return [...Array(count).keys()];
  const s = new Set<number>([0, count - 1]);
  for (let i = 1; s.size < want; i++) s.add(Math.floor((i * count) / want));
  return [...s].sort((a, b) => a - b);
}

export function subWeights(w: QuantWeightsRef, cols: number[]): QuantWeightsRef {
  const wpr = Math.ceil(w.K / (32 / w.bits));
  const ng = Math.ceil(w.K / Math.min(w.group, w.K));
  const codes = new Uint32Array(cols.length * wpr);
  const scales = new Float32Array(cols.length * ng);
  cols.forEach((n, i) => {
    codes.set(w.codes.subarray(n * wpr, (n + 1) * wpr), i * wpr);
    scales.set((w.scales as Float32Array).subarray(n * ng, (n + 1) * ng), i * ng);
  });
  return { ...w, N: cols.length, codes, scales };
}

/** The read ceiling: the read_bandwidth probe of `nibble bench`, checked against its reference, then timed like the matmuls. */
export async function readBandwidth(ctx: GpuContext, quick: boolean, reps: number): Promise<number> {
  const { bytes, wg, threads } = ceilingSizes({ quick, fallback: ctx.info.isFallback });
  const inst = await readRow(bytes, wg, threads).setup(ctx);
  try {
    const chk = await inst.check();
    if (!chk.ok) throw new Error(`bench: read_bandwidth disagrees with the reference: ${chk.message}`);
    const t = await timeDispatches(ctx, 'read_bandwidth', inst.dispatches!, reps);
    return bytes / (t.median / 1e3) / 1e9;
  } finally {
    inst.dispose();
  }
}

export async function timeDispatches(ctx: GpuContext, label: string, ds: Dispatch[], reps: number): Promise<TimingResult> {
  const bound: BoundKernel[] = ds.map((d) => d.kernel.bind(d.args));
  try {
    return await timePass(ctx, label, (pass) => bound.forEach((b, i) => b.encode(pass, ds[i].workgroups)), { warmup: 2, reps, flushBytes: ctx.info.isFallback ? 0 : L2_FLUSH_BYTES });
  } finally {
    bound.forEach((b) => b.dispose());
  }
}

/** How many copies of `weightBytes` of weights a streamed sample runs over (1: not streamed, on a CPU adapter). */
export function streamCopies(weightBytes: number, fallback: boolean, forced?: number): number {
  if (forced !== undefined) return forced;
  return fallback ? 1 : Math.min(STREAM_MAX, Math.max(STREAM_MIN, Math.ceil(STREAM_BYTES / weightBytes)));
}

/**
 * Device-side copies of one weight's buffers for streamed timing: made on first use, then shared by every
 * configuration timed on that weight (a sweep times dozens), freed by destroy() with the weight.
 */
export class WeightCopies {
  private made: GPUBuffer[][] | null = null;
  constructor(
    private readonly ctx: GpuContext,
    private readonly bufs: GPUBuffer[],
    /** Copies a streamed pass runs over, the original counted (1: not streamed). */
    readonly copies: number,
  ) {}

  /** The copies past the original: copies - 1 sets of buffers, in the order of `bufs`. */
  get(): GPUBuffer[][] {
    if (!this.made) {
      const enc = this.ctx.device.createCommandEncoder({ label: 'bench.weight-copies' });
      this.made = [];
      for (let c = 1; c < this.copies; c++) {
        this.made.push(this.bufs.map((b) => {
          const d = this.ctx.createBuffer(b.size, undefined, `${b.label}.copy${c}`);
          enc.copyBufferToBuffer(b, 0, d, 0, b.size);
          return d;
        }));
      }
      this.ctx.device.queue.submit([enc.finish()]);
    }
    return this.made;
  }

  destroy(): void {
    this.made?.flat().forEach((b) => b.destroy());
    this.made = null;
  }
}

/**
 * Times `ds` (the dispatches `plan` made for the original weight): alone (a pass of just them), and where the weight
 * has copies, streamed: back to back over the original and its copies in one pass, each sample divided by their count.
 */
export async function timeStreamed(ctx: GpuContext, label: string, ds: Dispatch[], plan: (bufs: GPUBuffer[]) => Promise<Dispatch[]>, wc: WeightCopies, reps: number): Promise<{ t: TimingResult; alone: TimingResult | null }> {
  const alone = await timeDispatches(ctx, label, ds, reps);
  if (wc.copies <= 1) return { t: alone, alone: null };
  const all = [ds];
  for (const m of wc.get()) all.push(await plan(m));
  const t = await timeDispatches(ctx, label, all.flat(), reps);
  return { t: summarize(t.samples.map((x) => x / wc.copies), t.method), alone };
}

/** The buffers of a quantized weight (codes, scales and what else it has), and the weight over other such buffers. */
export function weightBuffers(W: QuantWeightBuffers): GPUBuffer[] {
  return [W.codes, W.scales, W.zeros, W.supers].filter((b): b is GPUBuffer => !!b);
}

export function withBuffers(W: QuantWeightBuffers, b: GPUBuffer[]): QuantWeightBuffers {
  let i = 2;
  return { ...W, codes: b[0], scales: b[1], ...(W.zeros ? { zeros: b[i++] } : {}), ...(W.supers ? { supers: b[i++] } : {}) };
}

