// Kernels of the language-model engine (src/kernels/lm.ts) against their f64 references (src/ref/lm.ts), on odd
// shapes: T = 1 (decode) and 5 (a prefill chunk), GQA, ctxMax not a multiple of splitKeys, padding positions (-1),
// the last cache row, NORM and NEOX rope with ropeDims < headDim, argmax ties and NaN rows, SwiGLU at |g| = 100.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatches, type Dispatch } from '../../src/kernels/common.js';
import {
  attentionPartElems,
  attentionSplits,
  planArgmaxRows,
  planAttentionMerge,
  planAttentionSplit,
  planKvStore,
  planNormRows,
  planRopeAt,
  planSwiglu,
  ropeTable,
  kvCacheBytes,
  type AttentionShape,
  type RopeAtShape,
} from '../../src/kernels/lm.js';
import { argmaxRowsRef, attentionCachedRef, gegluRef, kvStoreRef, layerNormRef, regluRef, rmsNormRef, ropeAtRef, swigluOaiRef, swigluRef } from '../../src/ref/lm.js';
import { randomF32 } from '../../src/ref/random.js';
import { f16BitsToF32, roundF16 } from '../../src/quant/f16.js';
import { compareBound, compareExact, U_F32 } from '../../src/ref/tolerance.js';
import { assert, check, expectError, type GpuCase } from './types.js';


/** Runs the dispatches in one submit, then destroys `bufs`' GPU buffers once `read` is done. */
async function runThenRead<R>(ctx: GpuContext, ds: Dispatch[], bufs: GPUBuffer[], read: () => Promise<R>): Promise<R> {
  try {
    await runDispatches(ctx, ds);
    return await read();
  } finally {
    bufs.forEach((b) => b.destroy());
  }
}

/** ropeTable against cos / sin of the f64 angle, rounded once: |table - exact| <= u |exact|. */
function checkTable(table: Float32Array, ctxMax: number, ropeDims: number, base: number, ff?: Float32Array): string {
  const half = ropeDims / 2;
  let worst = 0;
  for (let p = 0; p < ctxMax; p++) {
    for (let i = 0; i < half; i++) {
      const a = (p * Math.pow(base, (-2 * i) / ropeDims)) / (ff ? ff[i] : 1);
      for (const [k, v] of [[0, Math.cos(a)], [1, Math.sin(a)]] as const) {
        const got = table[2 * (p * half + i) + k];
        const err = Math.abs(got - v);
        assert(err <= U_F32 * Math.abs(v) + 1e-300, `ropeTable[p=${p}, i=${i}, ${k ? 'sin' : 'cos'}] = ${got}, exact ${v}`);
        worst = Math.max(worst, err);
      }
    }
  }
  return `table max |err| ${worst.toExponential(2)}`;
}

function ropeCase(s: RopeAtShape, pos: number[], base: number, withFactors: boolean): GpuCase {
  return {
    name: `lm rope_at ${s.layout} T=${s.T} heads=${s.heads} headDim=${s.headDim} ropeDims=${s.ropeDims} ctxMax=${s.ctxMax}${withFactors ? ' freq factors' : ''}`,
    async run(ctx) {
      assert(pos.length === s.T, 'positions per row');
      const ff = withFactors ? randomF32(s.ropeDims / 2, 5, 1, 8) : undefined;
      const table = ropeTable(s.ctxMax, s.ropeDims, base, ff);
      const msgs = [checkTable(table, s.ctxMax, s.ropeDims, base, ff)];
      const x = randomF32(s.T * s.heads * s.headDim, 11, -2, 2);
      const P = Int32Array.from(pos);
      const X = ctx.createBuffer(x, undefined, 'x');
      const bufs = [X, ctx.createBuffer(P, undefined, 'pos'), ctx.createBuffer(table, undefined, 'table')];
      const d = await planRopeAt(ctx, X, bufs[1], bufs[2], s);
      const got = await runThenRead(ctx, [d], bufs, () => ctx.readF32(X, x.length));
      const ref = ropeAtRef(x, P, table, s);
      // absSum 0 (pass-through dims, padding rows) demands the input back bit for bit.
      msgs.push(check(compareBound('rope_at', got, ref.y, ref.absSum, 2)));
      return msgs.join('; ');
    },
  };
}

function kvStoreCase(s: { T: number; rowElems: number; ctxMax: number; ring?: number }, pos: number[]): GpuCase {
  return {
    name: `lm kv_store T=${s.T} rowElems=${s.rowElems} ctxMax=${s.ctxMax}${s.ring ? ` ring=${s.ring}` : ''} pos [${pos}]`,
    async run(ctx) {
      const src = randomF32(s.T * s.rowElems, 21);
      const cache = randomF32((s.ring || s.ctxMax) * s.rowElems, 22, 5, 6);
      const P = Int32Array.from(pos);
      const C = ctx.createBuffer(cache, undefined, 'cache');
      const bufs = [C, ctx.createBuffer(src, undefined, 'src'), ctx.createBuffer(P, undefined, 'pos')];
      const d = await planKvStore(ctx, bufs[1], C, bufs[2], s);
      const got = await runThenRead(ctx, [d], bufs, () => ctx.readF32(C, cache.length));
      return check(compareExact('kv_store cache', got, kvStoreRef(cache, src, P, s)));
    },
  };
}

/**
 * A sliding-window layer's ring cache: the keys and values of positions 0..last exist, the ring of R rows holds the
 * last R of them (position j at row j % R; rows never written hold NaN), and queries at consecutive positions ending
 * at `last` (a prefill chunk, or one decode step) attend to their windows: equal to the reference over the full cache.
 */
function ringAttentionCase(s: Omit<AttentionShape, 'scale' | 'T'> & { window: number; ring: number }, pos: number[]): GpuCase {
  const T = pos.length;
  const shape: AttentionShape = { ...s, T, scale: 1 / Math.sqrt(s.headDim) };
  return {
    name: `lm attention over a ring cache T=${T} heads=${s.heads} kvHeads=${s.kvHeads} headDim=${s.headDim} ctxMax=${s.ctxMax} splitKeys=${s.splitKeys} window=${s.window} ring=${s.ring} pos [${pos}]`,
    async run(ctx) {
      const { heads, kvHeads, headDim: D, ctxMax, ring } = s;
      const row = kvHeads * D;
      const q = randomF32(T * heads * D, 71, -2, 2);
      const kFull = randomF32(ctxMax * row, 72, -2, 2);
      const vFull = randomF32(ctxMax * row, 73);
      const last = Math.max(...pos);
      const kRing = new Float32Array(ring * row).fill(NaN);
      const vRing = new Float32Array(ring * row).fill(NaN);
      for (let j = Math.max(0, last - ring + 1); j <= last; j++) {
        kRing.set(kFull.subarray(j * row, (j + 1) * row), (j % ring) * row);
        vRing.set(vFull.subarray(j * row, (j + 1) * row), (j % ring) * row);
      }
      const P = Int32Array.from(pos);
      const part = ctx.createBuffer(4 * attentionPartElems(shape), undefined, 'part');
      const out = ctx.createBuffer(4 * T * heads * D, undefined, 'out');
      const ins = [ctx.createBuffer(q, undefined, 'q'), ctx.createBuffer(kRing, undefined, 'k_cache'), ctx.createBuffer(vRing, undefined, 'v_cache'), ctx.createBuffer(P, undefined, 'pos')];
      const ds = [await planAttentionSplit(ctx, ins[0], ins[1], ins[2], ins[3], part, shape), await planAttentionMerge(ctx, part, out, shape)];
      const got = await runThenRead(ctx, ds, [...ins, part, out], () => ctx.readF32(out));
      const ref = attentionCachedRef(q, kFull, vFull, P, { ...shape, ring: undefined });
      return check(compareBound('ring attention', got, ref.y, ref.absSum, 1));
    },
  };
}

/** `sinks`: gpt-oss's per-head sink logits in the merge (seeded, -3..5: some above every score, some below). */
function attentionCase(s: Omit<AttentionShape, 'scale'>, pos: number[], sinks = false): GpuCase {
  const shape: AttentionShape = { ...s, scale: 1 / Math.sqrt(s.headDim) };
  return {
    name: `lm attention split+merge T=${s.T} heads=${s.heads} kvHeads=${s.kvHeads} headDim=${s.headDim} ctxMax=${s.ctxMax} splitKeys=${s.splitKeys}${s.window ? ` window=${s.window}` : ''}${s.chunk ? ` chunk=${s.chunk} (llama4)` : ''}${s.softcap ? ` softcap=${s.softcap}` : ''}${s.alibi ? ` alibi=${s.alibi}` : ''}${sinks ? ' with sinks' : ''} pos [${pos}]`,
    async run(ctx) {
      const { T, heads, kvHeads, headDim: D, ctxMax } = s;
      const q = randomF32(T * heads * D, 31, -2, 2);
      const k = randomF32(ctxMax * kvHeads * D, 32, -2, 2);
      const v = randomF32(ctxMax * kvHeads * D, 33);
      // Rows past every query's position hold NaN: reading one would show in the output.
      const last = Math.max(...pos);
      for (let i = (last + 1) * kvHeads * D; i < k.length; i++) k[i] = v[i] = NaN;
      // With a window, so do the rows before every query's window.
      const w = s.window ?? 0;
      const from = (p: number) => (w ? Math.max(0, p + 1 - w) : s.chunk ? p - (p % s.chunk) : 0);
      const first = Math.min(...pos.filter((p) => p >= 0 && p < ctxMax).map(from));
      for (let i = 0; i < first * kvHeads * D; i++) k[i] = v[i] = NaN;
      const P = Int32Array.from(pos);
      const nPart = attentionPartElems(shape);
      const part = ctx.createBuffer(4 * nPart, undefined, 'part');
      const out = ctx.createBuffer(4 * T * heads * D, undefined, 'out');
      const ins = [ctx.createBuffer(q, undefined, 'q'), ctx.createBuffer(k, undefined, 'k_cache'), ctx.createBuffer(v, undefined, 'v_cache'), ctx.createBuffer(P, undefined, 'pos')];
      const sk = sinks ? randomF32(heads, 34, -3, 5) : undefined;
      if (sk) ins.push(ctx.createBuffer(sk, undefined, 'sinks'));
      const ds = [await planAttentionSplit(ctx, ins[0], ins[1], ins[2], ins[3], part, shape), await planAttentionMerge(ctx, part, out, shape, sk ? ins[4] : undefined)];
      const [got, parts] = await runThenRead(ctx, ds, [...ins, part, out], async () => [await ctx.readF32(out), await ctx.readF32(part, nPart)] as const);
      // The partials' contract: a split with no keys for its query is (m = -inf, l = 0, o = 0); any other has l >= 1.
      const nSplit = attentionSplits(shape);
      let empty = 0;
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < heads; h++) {
          for (let sp = 0; sp < nSplit; sp++) {
            const b = ((t * heads + h) * nSplit + sp) * (D + 2);
            const hasKeys = pos[t] >= 0 && pos[t] < ctxMax && sp * s.splitKeys <= pos[t] && (sp + 1) * s.splitKeys > from(pos[t]);
            if (hasKeys) {
              assert(parts[b + 1] >= 1, `partial (t ${t}, h ${h}, split ${sp}): l = ${parts[b + 1]}, expected >= 1`);
            } else {
              empty++;
              const zeros = parts.subarray(b + 2, b + 2 + D).every((x) => x === 0);
              assert(parts[b] === -Infinity && parts[b + 1] === 0 && zeros, `partial (t ${t}, h ${h}, split ${sp}) has no keys: m ${parts[b]}, l ${parts[b + 1]}, expected -inf, 0 and o = 0`);
            }
          }
        }
      }
      const ref = attentionCachedRef(q, k, v, P, shape, sk);
      if (sk) {
        // The sinks matter: without them the outputs move by far more than the bound.
        const plain = attentionCachedRef(q, k, v, P, shape);
        const moved = Math.max(...plain.y.map((x, i) => Math.abs(x - ref.y[i])));
        assert(moved > 0.05, `the sinks moved the outputs by only ${moved}`);
      }
      if (s.alibi) {
        // ALiBi's biases matter too (a wrong slope or sign would show)
        const plain = attentionCachedRef(q, k, v, P, { ...shape, alibi: 0 }, sk);
        const moved = Math.max(...plain.y.map((x, i) => Math.abs(x - ref.y[i])));
        assert(moved > 0.05, `ALiBi moved the outputs by only ${moved}`);
      }
      return `${nSplit} splits (${empty} empty partials); ${check(compareBound('attention', got, ref.y, ref.absSum, 1))}`;
    },
  };
}

/**
 * The f16 KV cache (pairs of f16 in u32 words): kv_store rounds each value to f16 (nearest even) at its position,
 * and attention over that cache equals the reference over the rounded keys and values.
 */
function f16CacheCase(s: Omit<AttentionShape, 'scale' | 'kvType'>, pos: number[]): GpuCase {
  const shape: AttentionShape = { ...s, scale: 1 / Math.sqrt(s.headDim), kvType: 'f16' };
  return {
    name: `lm f16 KV cache: kv_store + attention T=${s.T} heads=${s.heads} kvHeads=${s.kvHeads} headDim=${s.headDim} ctxMax=${s.ctxMax} pos [${pos}]`,
    async run(ctx) {
      const { T, heads, kvHeads, headDim: D, ctxMax } = s;
      const row = kvHeads * D;
      const q = randomF32(T * heads * D, 61, -2, 2);
      const k = randomF32(T * row, 62, -2, 2);
      const v = randomF32(T * row, 63);
      const P = Int32Array.from(pos);
      const bytes = kvCacheBytes(ctxMax, row, 'f16');
      const [Kc, Vc] = [ctx.createBuffer(bytes, undefined, 'k_cache'), ctx.createBuffer(bytes, undefined, 'v_cache')];
      const ins = [ctx.createBuffer(q, undefined, 'q'), ctx.createBuffer(k, undefined, 'k'), ctx.createBuffer(v, undefined, 'v'), ctx.createBuffer(P, undefined, 'pos')];
      const part = ctx.createBuffer(4 * attentionPartElems(shape), undefined, 'part');
      const out = ctx.createBuffer(4 * T * heads * D, undefined, 'out');
      const st = { T, rowElems: row, ctxMax, kvType: 'f16' as const };
      const ds = [await planKvStore(ctx, ins[1], Kc, ins[3], st), await planKvStore(ctx, ins[2], Vc, ins[3], st), await planAttentionSplit(ctx, ins[0], Kc, Vc, ins[3], part, shape), await planAttentionMerge(ctx, part, out, shape)];
      const [got, kw] = await runThenRead(ctx, ds, [...ins, Kc, Vc, part, out], async () => [await ctx.readF32(out), await ctx.readU32(Kc)] as const);
      // The stored keys: f16 of each value at its position's row, zeros elsewhere.
      const kRef = kvStoreRef(new Float32Array(ctxMax * row), Float32Array.from(k, roundF16), P, { T, rowElems: row, ctxMax });
      const kGot = Float32Array.from({ length: ctxMax * row }, (_, i) => f16BitsToF32((kw[i >> 1] >>> (16 * (i & 1))) & 0xffff));
      const stored = check(compareExact('f16 kv_store', kGot, kRef));
      const vRef = kvStoreRef(new Float32Array(ctxMax * row), Float32Array.from(v, roundF16), P, { T, rowElems: row, ctxMax });
      // Queries attend to the rows written above only (positions are distinct and each query's keys are all stored).
      const ref = attentionCachedRef(q, kRef, vRef, P, { ...shape, kvType: undefined });
      return `${stored}; ${check(compareBound('attention over f16 cache', got, ref.y, ref.absSum, 1))}`;
    },
  };
}

function argmaxCase(rows: number, cols: number, fill: (x: Float32Array) => void, what: string): GpuCase {
  return {
    name: `lm argmax_rows ${rows}x${cols} ${what}`,
    async run(ctx) {
      const x = randomF32(rows * cols, 41 + cols, -4, 4);
      fill(x);
      const X = ctx.createBuffer(x, undefined, 'x');
      const O = ctx.createBuffer(4 * rows, undefined, 'out');
      const got = await runThenRead(ctx, [await planArgmaxRows(ctx, X, O, { rows, cols })], [X, O], () => ctx.readU32(O, rows));
      const ref = argmaxRowsRef(x, rows, cols);
      return `${check(compareExact('argmax', got, ref))}: [${[...got]}]`;
    },
  };
}

/** Row r of an argmax test matrix, as a view. */
const row = (x: Float32Array, cols: number, r: number) => x.subarray(r * cols, (r + 1) * cols);

/** RMSNorm rows, or with a beta (`layer`: stablelm's norms) LayerNorm rows, whose inputs sit off 0 (mean 2). */
function normCase(rows: number, cols: number, eps: number, layer = false): GpuCase {
  return {
    name: `lm ${layer ? 'layer' : 'rms'}_norm_rows ${rows}x${cols} eps=${eps}`,
    async run(ctx) {
      const x = layer ? randomF32(rows * cols, 53, -1, 5) : randomF32(rows * cols, 51, -3, 3);
      const g = randomF32(cols, 52, 0.5, 2);
      const b = randomF32(cols, 55, -1, 1);
      const bufs = [ctx.createBuffer(x, undefined, 'x'), ctx.createBuffer(g, undefined, 'gamma'), ctx.createBuffer(4 * rows * cols, undefined, 'y'), ...(layer ? [ctx.createBuffer(b, undefined, 'beta')] : [])];
      const [X, G, Y, B] = bufs;
      const got = await runThenRead(ctx, [await planNormRows(ctx, X, G, Y, { rows, cols, eps, ...(B ? { beta: B } : {}) })], bufs, () => ctx.readF32(Y));
      const ref = layer ? layerNormRef(x, g, b, rows, cols, eps) : rmsNormRef(x, g, rows, cols, eps);
      return check(compareBound(layer ? 'layer_norm' : 'rms_norm', got, ref.y, ref.absSum, ref.K));
    },
  };
}

/**
 * The gated FFN activation: silu(gate) * up (SwiGLU), or gelu(gate) * up (GeGLU, act 'gelu'), with extreme gates:
 * exp's overflow for silu, and for gelu gates past |g| ~ 7e12, where g^3 overflows to inf in f32 and the clamped
 * tanh keeps gelu finite (g or -0).
 */
function gluCase(n: number, act: 'silu' | 'gelu'): GpuCase {
  const silu = act === 'silu';
  return {
    name: silu ? `lm swiglu n=${n} (|g| up to 1000)` : `lm geglu n=${n} (|g| up to 1e15)`,
    async run(ctx) {
      const gate = randomF32(n, silu ? 61 : 63, silu ? -8 : -6, silu ? 8 : 6);
      const up = randomF32(n, silu ? 62 : 64, -2, 2);
      const extremes = silu ? [100, -100, 1000, -1000, 0, -0, 88.7, -88.7, 1e-30, -1e-30] : [100, -100, 1000, -1000, 0, -0, 10, -10, 1e-30, -1e-30, 1e15, -1e15];
      extremes.forEach((v, i) => (gate[3 * i] = v));
      const bufs = [ctx.createBuffer(gate, undefined, 'gate'), ctx.createBuffer(up, undefined, 'up'), ctx.createBuffer(4 * n, undefined, 'y')];
      const Y = bufs[2];
      const got = await runThenRead(ctx, [await planSwiglu(ctx, bufs[0], bufs[1], Y, n, act)], bufs, () => ctx.readF32(Y));
      const ref = silu ? swigluRef(gate, up) : gegluRef(gate, up);
      // GPUs may flush subnormals: exp(-|g|) below 2^-126 (|g| > 87.3) may become 0, so allow |g| 2^-126 |up|.
      const bound = silu ? ref.absSum.map((a, i) => a + (2 ** -126 * Math.max(1, Math.abs(gate[i])) * Math.abs(up[i])) / (2 * U_F32)) : ref.absSum;
      return check(compareBound(silu ? 'swiglu' : 'geglu', got, ref.y, bound, 1));
    },
  };
}

export const CASES: GpuCase[] = [
  ropeCase({ T: 5, heads: 4, headDim: 16, ropeDims: 16, layout: 'norm', ctxMax: 40 }, [0, 3, -1, 39, 17], 10000, false),
  ropeCase({ T: 5, heads: 4, headDim: 16, ropeDims: 16, layout: 'neox', ctxMax: 40 }, [0, 3, -1, 39, 40], 10000, false),
  ropeCase({ T: 5, heads: 4, headDim: 64, ropeDims: 32, layout: 'neox', ctxMax: 33 }, [7, 8, 9, 32, -1], 1e6, false),
  ropeCase({ T: 1, heads: 4, headDim: 128, ropeDims: 96, layout: 'norm', ctxMax: 300 }, [299], 500000, true),
  kvStoreCase({ T: 5, rowElems: 24, ctxMax: 9 }, [2, -1, 8, 0, 9]),
  kvStoreCase({ T: 1, rowElems: 4 * 64, ctxMax: 37 }, [36]),
  kvStoreCase({ T: 5, rowElems: 24, ctxMax: 40, ring: 8 }, [9, 10, -1, 15, 16]),
  attentionCase({ T: 1, heads: 4, kvHeads: 1, headDim: 16, ctxMax: 37, splitKeys: 8 }, [36]),
  attentionCase({ T: 1, heads: 4, kvHeads: 4, headDim: 64, ctxMax: 50, splitKeys: 16 }, [20]),
  attentionCase({ T: 5, heads: 4, kvHeads: 2, headDim: 64, ctxMax: 37, splitKeys: 8 }, [-1, 0, 17, 36, 5]),
  attentionCase({ T: 5, heads: 4, kvHeads: 1, headDim: 16, ctxMax: 23, splitKeys: 5 }, [3, 4, 5, 6, -1]),
  attentionCase({ T: 1, heads: 4, kvHeads: 2, headDim: 128, ctxMax: 29, splitKeys: 7 }, [28]),
  // gemma3's sliding-window layers: only the last `window` keys (splits wholly before the window are empty).
  attentionCase({ T: 1, heads: 4, kvHeads: 2, headDim: 16, ctxMax: 37, splitKeys: 8, window: 10 }, [36]),
  attentionCase({ T: 5, heads: 4, kvHeads: 1, headDim: 16, ctxMax: 23, splitKeys: 5, window: 4 }, [13, 14, -1, 2, 22]),
  // llama4's chunks: a chunk's first position sees itself alone, its last the whole chunk
  attentionCase({ T: 5, heads: 4, kvHeads: 2, headDim: 16, ctxMax: 40, splitKeys: 6, chunk: 8 }, [16, 17, 23, 31, 39]),
  // Sliding-window layers' ring caches (R = window + chunk - 1, as the engine sizes them): a prefill chunk past the
  // ring's first wrap, and a decode step.
  ringAttentionCase({ heads: 4, kvHeads: 2, headDim: 16, ctxMax: 64, splitKeys: 8, window: 6, ring: 10 }, [37, 38, 39, 40, 41]),
  ringAttentionCase({ heads: 4, kvHeads: 1, headDim: 32, ctxMax: 64, splitKeys: 5, window: 7, ring: 7 }, [50]),
  // gemma2's soft-capped scores (cap 1.5: most scores of this q and k are past it), with and without a window.
  attentionCase({ T: 5, heads: 4, kvHeads: 2, headDim: 32, ctxMax: 23, splitKeys: 5, softcap: 1.5 }, [13, 0, -1, 7, 22]),
  attentionCase({ T: 1, heads: 4, kvHeads: 2, headDim: 16, ctxMax: 37, splitKeys: 8, window: 10, softcap: 1.5 }, [36]),
  // gpt-oss: sink logits in the merge, with and without a window, padding rows (-1) and one split or several
  attentionCase({ T: 5, heads: 4, kvHeads: 2, headDim: 32, ctxMax: 23, splitKeys: 5 }, [13, 0, -1, 7, 22], true),
  // ALiBi (BLOOM, MPT, ...): 6 heads (the last two on llama.cpp's second slope series), GQA, a prefill chunk and a decode step
  attentionCase({ T: 5, heads: 6, kvHeads: 2, headDim: 16, ctxMax: 40, splitKeys: 6, alibi: 8 }, [16, 0, -1, 31, 39]),
  attentionCase({ T: 1, heads: 4, kvHeads: 4, headDim: 32, ctxMax: 50, splitKeys: 16, alibi: 8 }, [49]),
  attentionCase({ T: 1, heads: 8, kvHeads: 2, headDim: 16, ctxMax: 37, splitKeys: 8, window: 10 }, [36], true),
  attentionCase({ T: 3, heads: 4, kvHeads: 1, headDim: 16, ctxMax: 16, splitKeys: 16 }, [15, 2, -1], true),
  f16CacheCase({ T: 5, heads: 4, kvHeads: 2, headDim: 16, ctxMax: 13, splitKeys: 4 }, [0, 1, 2, 3, 4]),
  f16CacheCase({ T: 3, heads: 4, kvHeads: 1, headDim: 64, ctxMax: 7, splitKeys: 2 }, [0, 1, -1]),
  argmaxCase(7, 1000, (x) => {
    // row 0 random; row 1: a three-way tie across invocations' shares (lowest index 37 wins)
    [37, 133, 700].forEach((c) => (row(x, 1000, 1)[c] = 9));
    row(x, 1000, 2).fill(NaN); // all NaN -> cols
    Object.assign(row(x, 1000, 3), { 0: NaN, 5: 7, 6: NaN, 999: NaN }); // NaN never wins
    row(x, 1000, 4).fill(-Infinity); // all -inf: index 0
    Object.assign(row(x, 1000, 5), { 3: NaN, 998: Infinity, 999: Infinity }); // +inf at 998
    row(x, 1000, 6).fill(-1);
    Object.assign(row(x, 1000, 6), { 1: -0, 3: 0, 500: 0 }); // -0 ties with +0: index 1
  }, 'ties, NaN, inf, -0'),
  argmaxCase(2, 262144, (x) => {
    x[262140] = 5;
    x[262144 + 65536] = 5;
    x[262144 + 200000] = 5;
  }, 'vocab-sized rows'),
  normCase(5, 67, 1e-5),
  normCase(3, 1000, 1e-6),
  normCase(5, 67, 1e-5, true),
  normCase(3, 1000, 1e-5, true),
  gluCase(1000, 'silu'),
  gluCase(1000, 'gelu'),
  {
    // ReGLU, and the squared ReLU (arcee's FFN) as ReGLU with the gate bound to up: one f32 product, exact.
    name: 'lm reglu n=1000, and relu(u)^2 with gate = up',
    async run(ctx) {
      const n = 1000;
      const gate = randomF32(n, 65, -4, 4);
      const up = randomF32(n, 66, -2, 2);
      [0, -0, 1e-30, -1e-30, 1e19, -1e19].forEach((v, i) => (gate[7 * i] = v));
      const G = ctx.createBuffer(gate, undefined, 'gate');
      const U = ctx.createBuffer(up, undefined, 'up');
      const Y = ctx.createBuffer(4 * n, undefined, 'y');
      const got = await runThenRead(ctx, [await planSwiglu(ctx, G, U, Y, n, 'relu')], [], () => ctx.readF32(Y));
      const sq = await runThenRead(ctx, [await planSwiglu(ctx, G, G, Y, n, 'relu')], [G, U, Y], () => ctx.readF32(Y));
      const ref = regluRef(gate, up);
      // relu(g)^2 rounded to f32: 1e38 at 1e19 (still finite), 0 at 1e-30 (1e-60 underflows, as in any f32 product).
      const ref2 = regluRef(gate, gate);
      return `${check(compareBound('reglu', got, ref.y, ref.absSum, 1))}; ${check(compareBound('relu^2', sq, ref2.y.map(Math.fround), ref2.absSum, 1))}`;
    },
  },
  {
    // gpt-oss's clamped SwiGLU: gates past the limit 7 (and far below: sigmoid -> 0), ups past +-7, zeros.
    name: 'lm swiglu_oai n=1000 (gate and up past the limit 7)',
    async run(ctx) {
      const n = 1000;
      const gate = randomF32(n, 67, -12, 12);
      const up = randomF32(n, 68, -10, 10);
      [0, -0, 7, 7.5, 1e6, -1e6, -60, 1e-30].forEach((v, i) => (gate[5 * i] = v));
      [7, -7, 1e6, -1e6, -1, 0].forEach((v, i) => (up[11 * i + 1] = v));
      const [G, U, Y] = [ctx.createBuffer(gate, undefined, 'gate'), ctx.createBuffer(up, undefined, 'up'), ctx.createBuffer(4 * n, undefined, 'y')];
      const got = await runThenRead(ctx, [await planSwiglu(ctx, G, U, Y, n, 'swiglu_oai')], [G, U, Y], () => ctx.readF32(Y));
      const ref = swigluOaiRef(gate, up);
      // GPUs may flush subnormals: exp(-1.702 x) past 2^127 (x < -52) and products below 2^-126.
      const bound = ref.absSum.map((a, i) => a + (2 ** -126 * Math.max(1, Math.abs(gate[i])) * 8) / (2 * U_F32));
      assert(ref.y[5 * 4] === 7 / (1 + Math.exp(-1.702 * 7)) * (Math.min(Math.max(up[20], -7), 7) + 1), 'a gate of 1e6 is clamped to 7');
      return check(compareBound('swiglu_oai', got, ref.y, bound, 1));
    },
  },
  {
    name: 'lm error: bad attention and rope shapes are refused by name before any dispatch',
    async run(ctx) {
      const b = ctx.createBuffer(4096, undefined, 'b');
      const s: AttentionShape = { T: 1, heads: 4, kvHeads: 3, headDim: 16, ctxMax: 8, splitKeys: 4, scale: 0.25 };
      const msgs = [
        await expectError('kvHeads', () => planAttentionSplit(ctx, b, b, b, b, b, s)),
        await expectError('headDim', () => planAttentionSplit(ctx, b, b, b, b, b, { ...s, kvHeads: 2, headDim: 18 })),
        await expectError('ropeDims', () => planRopeAt(ctx, b, b, b, { T: 1, heads: 1, headDim: 8, ropeDims: 10, layout: 'norm', ctxMax: 4 })),
        await expectError('small part', async () => runDispatches(ctx, [await planAttentionMerge(ctx, b, b, { ...s, kvHeads: 2, ctxMax: 64, headDim: 64 })])),
      ];
      b.destroy();
      for (const [m, want] of [[msgs[0], 'kvHeads'], [msgs[1], 'headDim'], [msgs[2], 'ropeDims'], [msgs[3], "binding 'part'"]] as const) assert(m.includes(want), `error '${m}' does not name ${want}`);
      return msgs.join(' | ');
    },
  },
];
