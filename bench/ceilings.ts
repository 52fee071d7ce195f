// The adapter's own ceilings, measured first in every run so that each kernel row can show its fraction of them:
//   copy: copyBufferToBuffer of one large buffer (bytes = read + written), timed to queue completion;
//   read: shaders/bench/read_bandwidth.wgsl, a kernel that only streams its input (bytes = bytes read);
//   f32 fma: shaders/bench/fma_peak.wgsl, a kernel that only multiplies and adds (flops = 2 per fused multiply-add):
//   the adapter's measured f32 peak, which compute-bound rows (the f32 matmul) are a fraction of.
import type { GpuContext } from '../src/gpu/context.js';
import { getKernel, type KernelDef } from '../src/gpu/kernel.js';
import { randomF32 } from '../src/ref/random.js';
import { compareBound, compareExact } from '../src/ref/tolerance.js';
import type { BenchRow } from './harness.js';

export const READ_BANDWIDTH: KernelDef = { name: 'read_bandwidth', shader: 'bench/read_bandwidth' };
export const FMA_PEAK: KernelDef = { name: 'fma_peak', shader: 'bench/fma_peak' };

/** FLOPs of one step of fma_peak.wgsl's loop in one invocation: 8 vec4 fmas. */
const FMA_STEP_FLOPS = 8 * 4 * 2;

const MiB = 1024 * 1024;

/** `copies` copies per submit (alternating directions), so that on a GPU the wall-time overhead of a submit is small. */
function copyRow(bytes: number, copies: number): BenchRow {
  return {
    name: 'copyBufferToBuffer',
    group: 'ceiling: copy',
    side: 'nibble',
    shape: `${bytes / MiB} MiB${copies > 1 ? ` x${copies}` : ''}`,
    flops: 0,
    bytes: 2 * bytes * copies,
    async setup(ctx) {
      const n = bytes / 4;
      const src = new Uint32Array(n);
      for (let i = 0; i < n; i++) src[i] = (Math.imul(i, 2654435761) >>> 0) ^ 0x5bd1e995;
      const A = ctx.createBuffer(src, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'copy.src');
      const B = ctx.createBuffer(bytes, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'copy.dst');
      const once = async () => {
        // An odd number of copies leaves the source's contents in B for the check.
        await ctx.submit(['copyBufferToBuffer'], (e) => {
          for (let i = 0; i < copies; i++) e.copyBufferToBuffer(i % 2 ? B : A, 0, i % 2 ? A : B, 0, bytes);
        });
        await ctx.device.queue.onSubmittedWorkDone();
      };
      return {
        sample: once,
        sampleMethod: 'queue-completion',
        async check() {
          await once();
          const r = compareExact('copy', await ctx.readU32(B, n), src);
          return { ok: r.ok, message: r.message };
        },
        dispose() {
          A.destroy();
          B.destroy();
        },
      };
    },
  };
}

/** The read probe at `bytes`, `threads` invocations in workgroups of `wg` (also timed by bench/matmul.ts). */
export function readRow(bytes: number, wg: number, threads: number): BenchRow {
  return {
    name: 'read_bandwidth',
    group: 'ceiling: read',
    side: 'nibble',
    shape: `${bytes / MiB} MiB, ${threads} threads`,
    flops: bytes / 4,
    bytes,
    async setup(ctx: GpuContext) {
      const nVec4 = bytes / 16;
      const x = randomF32(bytes / 4, 11);
      const X = ctx.createBuffer(x, undefined, 'read.x');
      const Y = ctx.createBuffer(4 * threads, undefined, 'read.y');
      const kernel = await getKernel(ctx, READ_BANDWIDTH, {}, { WG: wg });
      const d = { kernel, args: { bindings: { x: X, y: Y }, params: { n_vec4: nVec4, threads }, expect: { x: bytes, y: 4 * threads } }, workgroups: [threads / wg] as const };
      return {
        dispatches: [d],
        async check() {
          await kernel.run(d.args, d.workgroups);
          const got = await ctx.readF32(Y, threads);
          const ref = new Float64Array(threads);
          const abs = new Float64Array(threads);
          for (let i = 0; i < nVec4; i++) {
            const t = i % threads;
            for (let c = 0; c < 4; c++) {
              ref[t] += x[4 * i + c];
              abs[t] += Math.abs(x[4 * i + c]);
            }
          }
          const r = compareBound('read_bandwidth sums', got, ref, abs, Math.ceil(nVec4 / threads) + 2);
          return { ok: r.ok, message: r.message };
        },
        dispose() {
          X.destroy();
          Y.destroy();
        },
      };
    },
  };
}

/**
 * The f32 arithmetic probe: `threads` invocations in workgroups of `wg`, `iters` steps of 8 vec4 fmas each, checked
 * exactly (every value is an integer below 2^24; see the shader).
 */
export function fmaRow(threads: number, wg: number, iters: number): BenchRow {
  if (!Number.isInteger(threads / wg)) throw new Error(`fma_peak: ${threads} threads are not whole workgroups of ${wg}`);
  if (496 + 32 * iters >= 2 ** 24) throw new Error(`fma_peak: ${iters} steps take its sums past 2^24 (exact f32 integers)`);
  return {
    name: 'fma_peak',
    group: 'ceiling: f32 fma',
    side: 'nibble',
    shape: `${threads} threads x ${iters} steps`,
    flops: threads * iters * FMA_STEP_FLOPS,
    bytes: 0,
    async setup(ctx: GpuContext) {
      const Y = ctx.createBuffer(4 * threads, undefined, 'fma.y');
      const kernel = await getKernel(ctx, FMA_PEAK, {}, { WG: wg });
      const d = { kernel, args: { bindings: { y: Y }, params: { threads, iters, m: 1, c: 1 }, expect: { y: 4 * threads } }, workgroups: [threads / wg] as const };
      return {
        dispatches: [d],
        async check() {
          await kernel.run(d.args, d.workgroups);
          // Components start at 0 .. 31 and gain 1 a step: their sum is 496 + 32 iters in every invocation.
          const r = compareExact('fma_peak sums', await ctx.readF32(Y, threads), new Float32Array(threads).fill(496 + 32 * iters));
          return { ok: r.ok, message: r.message };
        },
        dispose() {
          Y.destroy();
        },
      };
    },
  };
}

/** fma probe sizes: enough work on a GPU (34 GFLOP, 137 in a full run) to time it well, little on a CPU adapter. */
export function fmaSizes(opts: { quick: boolean; fallback: boolean }): { threads: number; wg: number; iters: number } {
  if (opts.fallback) return { threads: 64 * 64, wg: 64, iters: opts.quick ? 256 : 1024 };
  return { threads: 256 * 1024, wg: 256, iters: opts.quick ? 2048 : 8192 };
}

/** Probe sizes for the adapter: small on a CPU adapter or in --quick mode. */
export function ceilingSizes(opts: { quick: boolean; fallback: boolean }): { bytes: number; wg: number; threads: number } {
  const bytes = opts.quick ? 4 * MiB : opts.fallback ? 32 * MiB : 256 * MiB;
  return { bytes, wg: opts.fallback ? 64 : 256, threads: Math.min(opts.fallback ? 64 * 64 : 256 * 1024, bytes / 16) };
}

/** Ceiling rows sized for the adapter. */
export function ceilingRows(opts: { quick: boolean; fallback: boolean }): BenchRow[] {
  const { bytes, wg, threads } = ceilingSizes(opts);
  const f = fmaSizes(opts);
  return [copyRow(bytes, opts.fallback ? 1 : 15), readRow(bytes, wg, threads), fmaRow(f.threads, f.wg, f.iters)];
}
