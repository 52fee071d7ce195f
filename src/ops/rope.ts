// Rotary position embedding on [..., T, D] (shaders/ops/rope.wgsl); position of row t is t + posOffset. A row may
// hold several heads (`heads`: D = heads * hd, each head rotated alone), so a [B, T, heads * hd] projection is
// rotated without a permute. Pairing: rotate-half ('neox', the default: j with j + hd/2) or adjacent ('norm': 2j with
// 2j + 1, GGUF llama's layout). The angles may be divided by per-pair factors, the positions scaled and the rotation
// scaled by mscale (RopeOptions). The backward is the transposed rotation (the same kernel with sign -1). Dense input
// required.
import type { Tensor } from '../graph/tensor.js';
import { graphOf, OpError, requireDtype } from './common.js';
import { contiguous } from './elementwise.js';
import { elementRun, perItem, perRun, ROPE_DEF } from './kernels.js';
import type { KernelDef } from '../gpu/kernel.js';

export interface RopeOptions {
  base?: number;
  posOffset?: number;
  /** Heads per row (default 1): the last dim is heads * hd, hd even. */
  heads?: number;
  /** 'neox' (rotate-half, default) or 'norm' (adjacent pairs). */
  layout?: 'neox' | 'norm';
  /** theta_j divided by freqFactors[j] ([hd/2]: Llama 3's rope_freqs, phi3's LongRoPE factors). Default none. */
  freqFactors?: Float32Array;
  /** Positions times posScale (linear rope scaling: 1 / factor). Default 1. */
  posScale?: number;
  /** cos and sin times mscale (rope.scaling.attn_factor): the rotation scaled; its backward the scaled inverse. Default 1. */
  mscale?: number;
  /** Leading dims of each head rotated (even, <= hd; partial rotary, Phi-4-mini's 96 of 128); the rest pass through. Default hd. */
  ropeDims?: number;
}

const tables = new WeakMap<object, Map<string, Tensor>>();

/** The rotated dims of a head: `ropeDims` (even, 2..hd) or hd. */
function rotatedDims(op: string, inputs: Tensor[], hd: number, ropeDims?: number): number {
  const rd = ropeDims ?? hd;
  if (!(Number.isInteger(rd) && rd >= 2 && rd % 2 === 0 && rd <= hd)) throw new OpError(op, inputs, `ropeDims ${rd} must be an even integer in [2, ${hd}] (the head dim)`);
  return rd;
}

/**
 * cos/sin [T, rd/2, 2] in f64, rounded once to f32 (angle (p + offset) * posScale * base^(-2j/rd) / factor_j, both
 * times mscale: the inference engine's table, src/kernels/lm.ts ropeTable); one constant per graph and options.
 */
function ropeTable(like: Tensor, T: number, D: number, base: number, posOffset: number, o: RopeOptions, op: string): Tensor {
  const half = D / 2;
  const posScale = o.posScale ?? 1;
  const mscale = o.mscale ?? 1;
  const f = o.freqFactors;
  if (!(Number.isFinite(posScale) && posScale > 0 && Number.isFinite(mscale) && mscale > 0)) throw new OpError(op, [like], `posScale ${posScale} and mscale ${mscale} must be positive numbers`);
  if (f && (f.length !== half || f.some((v) => !(Number.isFinite(v) && v > 0)))) throw new OpError(op, [like], `freqFactors must be ${half} positive numbers (rotated dims / 2), found ${f.length}`);
  const g = like.graph;
  let m = tables.get(g);
  if (!m) tables.set(g, (m = new Map()));
  const key = `${T},${D},${base},${posOffset},${posScale},${mscale}${f ? `,${f.join(':')}` : ''}`;
  let t = m.get(key);
  if (!t) {
    const data = new Float32Array(T * D);
    for (let p = 0; p < T; p++) {
      for (let j = 0; j < half; j++) {
        const angle = ((p + posOffset) * posScale * base ** (-(2 * j) / D)) / (f ? f[j] : 1);
        data[2 * (p * half + j)] = Math.cos(angle) * mscale;
        data[2 * (p * half + j) + 1] = Math.sin(angle) * mscale;
      }
    }
    t = g.constant(data, [T, half, 2], 'f32', `rope_table_${m.size}`);
    m.set(key, t);
  }
  return t;
}

export function rope(x0: Tensor, opts: RopeOptions = {}, sign = 1): Tensor {
  const op = sign > 0 ? 'rope' : 'rope_bwd';
  const g = graphOf(op, [x0]);
  requireDtype(op, [x0], x0, 'x', 'f32');
  const heads = opts.heads ?? 1;
  const layout = opts.layout ?? 'neox';
  if (layout !== 'neox' && layout !== 'norm') throw new OpError(op, [x0], `layout '${String(layout)}' must be 'neox' or 'norm'`);
  const D = x0.shape[x0.rank - 1];
  if (!Number.isInteger(heads) || heads < 1 || D % heads !== 0 || (D / heads) % 2 !== 0) {
    throw new OpError(op, [x0], `x must be [..., T, D] with D even and a multiple of heads, D / heads even (heads = ${heads})`);
  }
  if (x0.rank < 2) throw new OpError(op, [x0], 'x must be [..., T, D]');
  const base = opts.base ?? 10000;
  const posOffset = opts.posOffset ?? 0;
  const x = contiguous(x0);
  const T = x.shape[x.rank - 2];
  const hd = D / heads;
  const n = x.numel;
  const rd = rotatedDims(op, [x0], hd, opts.ropeDims);
  const cs = ropeTable(x, T, rd, base, posOffset, opts, op);
  const attrs = { base, posOffset, heads, layout, posScale: opts.posScale ?? 1, mscale: opts.mscale ?? 1, freqFactors: opts.freqFactors, ropeDims: rd };
  const node = g.addNode(op, [x, cs], [{ shape: x.shape }], attrs, async (pc) => {
    const k = await perRun(pc.ctx, ROPE_DEF, n);
    const params = { n, T, D, row_pitch: k.rowPitch, sign, hd, norm: layout === 'norm' ? 1 : 0, n2: 0, D2: 0, rd };
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { x: pc.buf(x), cs: pc.buf(cs), y: pc.buf(node.outputs[0]) }, params, expect: { x: 4 * n, cs: 4 * T * rd } } }];
  }, [1]);
  return node.outputs[0];
}

const ROPE_PAIR_DEF: KernelDef = { name: 'rope_pair', shader: 'ops/rope', defines: { PAIR: true } };

/**
 * rope of two tensors with the same rows, positions and head dim in one dispatch (a layer's q [..., T, heads * hd]
 * and k [..., T, kvHeads * hd]): [rope(q, heads), rope(k, kvHeads)], the same values. Its backward is one dispatch
 * too (sign -1).
 */
export function ropePair(q0: Tensor, k0: Tensor, opts: Omit<RopeOptions, 'heads'> & { heads: number; kvHeads: number }, sign = 1): [Tensor, Tensor] {
  const op = sign > 0 ? 'rope_pair' : 'rope_pair_bwd';
  const inputs = [q0, k0];
  const g = graphOf(op, inputs);
  requireDtype(op, inputs, q0, 'q', 'f32');
  requireDtype(op, inputs, k0, 'k', 'f32');
  const layout = opts.layout ?? 'neox';
  if (layout !== 'neox' && layout !== 'norm') throw new OpError(op, inputs, `layout '${String(layout)}' must be 'neox' or 'norm'`);
  const [D, D2] = [q0, k0].map((t) => t.shape[t.rank - 1]);
  const hd = D / opts.heads;
  if (q0.rank < 2 || k0.rank !== q0.rank || !Number.isInteger(hd) || hd % 2 !== 0 || D2 !== opts.kvHeads * hd || q0.shape.slice(0, -1).join() !== k0.shape.slice(0, -1).join()) {
    throw new OpError(op, inputs, `q must be [..., T, heads * hd] and k [..., T, kvHeads * hd] with the same leading dims, hd even (heads ${opts.heads}, kvHeads ${opts.kvHeads})`);
  }
  const base = opts.base ?? 10000;
  const posOffset = opts.posOffset ?? 0;
  const q = contiguous(q0);
  const k = contiguous(k0);
  const T = q.shape[q.rank - 2];
  const rd = rotatedDims(op, inputs, hd, opts.ropeDims);
  const cs = ropeTable(q, T, rd, base, posOffset, opts, op);
  const [n, n2] = [q.numel, k.numel];
  const attrs = { base, posOffset, heads: opts.heads, kvHeads: opts.kvHeads, layout, posScale: opts.posScale ?? 1, mscale: opts.mscale ?? 1, freqFactors: opts.freqFactors, ropeDims: rd };
  const node = g.addNode(op, [q, k, cs], [{ shape: q.shape }, { shape: k.shape }], attrs, async (pc) => {
    const run = elementRun(pc.ctx, Math.min(n, n2));
    const kk = await perItem(pc.ctx, ROPE_PAIR_DEF, Math.ceil(n / run) + Math.ceil(n2 / run), { constants: { RUN: run } });
    const params = { n, T, D, row_pitch: kk.rowPitch, sign, hd, norm: layout === 'norm' ? 1 : 0, n2, D2, rd };
    const [y, y2] = node.outputs;
    return [{ kernel: kk.kernel, workgroups: kk.workgroups, args: { bindings: { x: pc.buf(q), x2: pc.buf(k), cs: pc.buf(cs), y: pc.buf(y), y2: pc.buf(y2) }, params, expect: { x: 4 * n, x2: 4 * n2, cs: 4 * T * rd } } }];
  }, [2]);
  return [node.outputs[0], node.outputs[1]];
}
