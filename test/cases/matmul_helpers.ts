// Helpers of the matmul cases (matmul.cases.ts, matmul_w8a8.cases.ts, matmul_weights.cases.ts, the f32 tiled and
// group cases): random quantized weights and their buffers, poisoned outputs, residuals, the split-plan check, y's
// comparison, and the f32 tiled kernel's shape laid over the tuning table.
import type { GpuContext } from '../../src/gpu/context.js';
import type { QuantWeightBuffers, ZeroMode } from '../../src/kernels/matmul.js';
import { packCodes, type Bits } from '../../src/quant/layout.js';
import { toF16 } from '../../src/ref/f16.js';
import { groupsOf, type EpilogueRef, type QuantWeightsRef } from '../../src/ref/matmul.js';
import { randomF32, rng } from '../../src/ref/random.js';
import { compareBound, compareF16Rounded } from '../../src/ref/tolerance.js';
import { assert } from './types.js';
import type { Dispatch } from '../../src/kernels/common.js';
import { withTuningOverride, type Tuning } from '../../src/kernels/tuning.js';

/** The f32 tiled kernel's shape: its register tile, workgroup and slice depth. */
export type TiledShape = Pick<Tuning['matmulF32'], 'tile' | 'wgX' | 'wgY' | 'bk'>;

/** Runs `f` with the tiled shape `t` laid over the adapter's tuning (the override before it restored after). */
export function withTiledShape<T>(t: TiledShape, f: () => Promise<T>): Promise<T> {
  return withTuningOverride({ matmulF32: { shape: 'tiled', ...t } }, f);
}

/** Random codes, positive scales and zeros, packed by layout.ts (no quantization rule involved). */
export function randomQuantWeights(seed: number, N: number, K: number, bits: Bits, group: number | undefined, mode: ZeroMode, scaleF16 = false): QuantWeightsRef & { f16?: { scales: Uint16Array; zeros?: Uint16Array } } {
  const r = rng(seed);
  const max = 2 ** bits - 1;
  const codes = new Uint8Array(N * K).map(() => Math.floor(r() * (max + 1)));
  const ng = groupsOf(K, group ?? K);
  const scales = new Float32Array(N * ng).map(() => (0.2 + r()) / 2 ** (bits - 1));
  let zeros: Float32Array | undefined;
  if (mode === 'zero-point') zeros = new Float32Array(N * ng).map(() => Math.floor(r() * (max + 1)));
  if (mode === 'float-min') zeros = scales.map((s) => -s * (2 ** (bits - 1) + 2 * r() - 1));
  const w = { bits, N, K, group: group ?? K, mode, codes: packCodes(codes, N, K, bits), scales, zeros };
  if (!scaleF16) return w;
  // f16 scales/zeros: the reference uses the values the f16s hold.
  const s16 = toF16(scales);
  const z16 = zeros ? toF16(zeros) : undefined;
  return { ...w, scales: s16.values, zeros: z16?.values, f16: { scales: s16.bits, zeros: z16?.bits } };
}

export function uploadWeights(ctx: GpuContext, w: QuantWeightsRef & { f16?: { scales: Uint16Array; zeros?: Uint16Array } }, group: number | undefined): QuantWeightBuffers {
  // f16 scales/zeros as stored pairs (the reference used their values), else f32.
  const scales = w.f16 ? w.f16.scales : new Float32Array(w.scales);
  const zeros = w.f16 ? w.f16.zeros : w.zeros && new Float32Array(w.zeros);
  return {
    bits: w.bits as 4 | 8,
    N: w.N,
    K: w.K,
    group,
    mode: w.mode,
    ...(w.f16 ? { scaleType: 'f16' as const } : {}),
    codes: ctx.createBuffer(w.codes, undefined, 'w.codes'),
    scales: ctx.createBuffer(scales, undefined, 'w.scales'),
    zeros: zeros ? ctx.createBuffer(zeros, undefined, 'w.zeros') : undefined,
  };
}

/** A residual [n] for the epilogue, f32 or f16 (y's type); the reference gets the values the buffer holds. */
export function residualBuffer(ctx: GpuContext, epi: EpilogueRef, n: number, seed: number, f16: boolean): GPUBuffer {
  const v = randomF32(n, seed);
  if (!f16) return ctx.createBuffer(new Float32Array((epi.residual = v)), undefined, 'residual');
  const h = toF16(v);
  epi.residual = h.values;
  return ctx.createBuffer(h.bits, undefined, 'residual'); // createBuffer rounds the size up to whole u32 words
}

/** y [n] poisoned with NaN (f32, or f16 pairs): every element must be written. */
export function poisonedY(ctx: GpuContext, n: number, f16: boolean): GPUBuffer {
  const Y = ctx.createBuffer(f16 ? 4 * Math.ceil(n / 2) : 4 * n, undefined, 'y');
  ctx.write(Y, f16 ? new Uint32Array(Math.ceil(n / 2)).fill(0x7e007e00) : new Float32Array(n).fill(NaN));
  return Y;
}

/**
 * With a forced binding limit: every binding the planner made keeps within it (GPU limits are checked only against
 * the adapter's), and the plan splits as expected; returns "D dispatches (Mc row chunks)" for the case's message.
 */
export function checkSplitPlan(what: string, ds: Dispatch[], max: number): string {
  const rows = new Set<number>();
  for (const d of ds) {
    rows.add(d.args.params!.M as number);
    for (const [name, b] of Object.entries(d.args.bindings ?? {})) {
      const size = 'buffer' in b ? (b.size ?? b.buffer.size - (b.offset ?? 0)) : b.size;
      assert(size <= max, `${what}: binding '${name}' of a ${d.kernel.name} dispatch is ${size} bytes, over the forced limit of ${max}`);
    }
  }
  const mm = ds.filter((d) => d.kernel.name !== 'quantize_rows_i8');
  return `${mm.length} matmul dispatches, chunk heights ${[...rows].join('/')}`;
}

/** y against the reference: the f32 bound, or for f16 y, the bound then rounding to nearest f16. */
export async function compareY(ctx: GpuContext, what: string, Y: GPUBuffer, f16: boolean, ref: { y: ArrayLike<number>; tol: ArrayLike<number> }) {
  const n = ref.y.length;
  if (!f16) return compareBound(what, await ctx.readF32(Y, n), ref.y, ref.tol, 1, 1, 1);
  const words = await ctx.readU32(Y, Math.ceil(n / 2));
  // An odd count leaves the last word's high half outside y: it must keep its poison.
  if (n % 2) assert(words[words.length - 1] >>> 16 === 0x7e00, `${what}: the half past y's last element was overwritten (0x${words[words.length - 1].toString(16)})`);
  return compareF16Rounded(what, new Uint16Array(words.buffer, words.byteOffset, n), ref.y, ref.tol, 1, 1, 1);
}
