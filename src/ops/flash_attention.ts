// Causal self-attention over the projections' own rows, FlashAttention-2 style (shaders/ops/flash_attention.wgsl):
// the [B, heads, T, T] scores never reach memory, the heads are read in place (no permute copies, no GQA repeat) and
// the forward is one dispatch, the backward two (dq with delta = dO . o, then dk and dv). What
// causalSelfAttention(permuted q, repeated k, v) computes (test/cases/fused.cases.ts checks it against that
// composition, the f64 reference and finite differences); the softmax is summed online, so the two agree to the f32
// bound, not bit for bit. The backward can also store dq and dk rotated back by RoPE (RopeOut: the executor's
// fuseRopeBackward, src/graph/fuse.ts, which drops the rope_pair_bwd dispatch).
import type { KernelDef } from '../gpu/kernel.js';
import type { GpuContext } from '../gpu/context.js';
import type { PlanContext, Tensor } from '../graph/tensor.js';
import { subgroupsOf4, type Dispatch } from '../kernels/common.js';
import { graphOf, OpError, requireDtype } from './common.js';
import { contiguous } from './elementwise.js';
import { perItem } from './kernels.js';
import { tuningFor } from '../kernels/tuning.js';

const FORWARD: KernelDef = { name: 'flash_attention', shader: 'ops/flash_attention', defines: { FORWARD: true } };
const BWD_Q: KernelDef = { name: 'flash_attention_bwd_q', shader: 'ops/flash_attention', defines: { BWD_Q: true } };
const BWD_KV: KernelDef = { name: 'flash_attention_bwd_kv', shader: 'ops/flash_attention', defines: { BWD_KV: true } };

/** The largest head dim the kernels take (each invocation holds a few rows of it in private memory). */
export const FLASH_MAX_HEAD_DIM = 256;

export interface FlashAttentionOptions {
  heads: number;
  /** KV heads (GQA: query head h reads KV head h / (heads / kvHeads)); default heads. */
  kvHeads?: number;
  /** Default 1 / sqrt(head dim). */
  scale?: number;
  /** Scores soft-capped after the scale, s -> cap tanh(s / cap) (gemma2's attn_logit_softcapping). Default none. */
  softcap?: number;
  /** ALiBi's max_bias (BLOOM, MPT, ...): key j's score for query t gains head h's slope times j - t (llama.cpp's slopes). Not with softcap. Default none. */
  alibi?: number;
  /**
   * The QUAD variant (a quad's lanes share the rows they all read through quadBroadcast): default the adapter's
   * tuning (flashAttention.quad) where it has subgroups of at least 4 lanes and T is a multiple of 4; true forces it
   * (refused without those), false keeps one load per lane. The same bits either way.
   */
  quad?: boolean;
}

interface Shape {
  B: number;
  T: number;
  heads: number;
  kvHeads: number;
  hd: number;
  scale: number;
  softcap?: number;
  alibi?: number;
  quad?: boolean;
}

/** Whether the kernels run QUAD where a call does not say (FlashAttentionOptions.quad): the tuning's choice, where it can. */
export const flashQuadByDefault = (ctx: GpuContext, T: number): boolean => tuningFor(ctx).flashAttention.quad && subgroupsOf4(ctx) && T % 4 === 0;

/** Whether flashAttention takes this head dim (a multiple of 4 up to FLASH_MAX_HEAD_DIM). */
export const flashAttentionFits = (headDim: number) => Number.isInteger(headDim) && headDim % 4 === 0 && headDim >= 4 && headDim <= FLASH_MAX_HEAD_DIM;

/** The backward storing dq and dk rotated back by RoPE (ROPE_OUT): its pairing ('norm': adjacent). */
export interface RopeOut {
  layout: 'neox' | 'norm';
}

async function plan(ctx: GpuContext, def: KernelDef, s: Shape, kv: boolean, rope?: RopeOut) {
  const rows = s.B * (kv ? s.kvHeads : s.heads) * s.T;
  // Head rows in vec4 registers up to 64 dims (SwiftShader indexes a private array lane by lane), else an array.
  const quad = s.quad ?? flashQuadByDefault(ctx, s.T);
  const k = await perItem(ctx, def, rows, { defines: { HEAD_DIM: s.hd, REGS: s.hd <= 64, REGS8: s.hd > 16 && s.hd <= 64, REGS16: s.hd > 32 && s.hd <= 64, ROPE_OUT: !!rope, QUAD: quad, SOFTCAP: !!s.softcap, ALIBI: !!s.alibi } });
  return { kernel: k.kernel, workgroups: k.workgroups, params: { rows, T: s.T, heads: s.heads, kv_heads: s.kvHeads, group: s.heads / s.kvHeads, row_pitch: k.rowPitch, scale: s.scale, rope_norm: rope?.layout === 'norm' ? 1 : 0, softcap: s.softcap ?? 0, alibi: s.alibi ?? 0 } };
}

/** Storage buffers the backward's dq dispatch binds with ROPE_OUT (q, k, v, o, lse, dO, delta, dq and the table). */
export const FLASH_BWD_ROPE_STORAGE = 9;

/**
 * softmax(cap(scale q k^T) + causal mask) v per head (cap: the identity, or softcap's), for q [B, T, heads * hd] and k, v [B, T, kvHeads * hd] (each
 * position's heads side by side, as a Linear writes them): [B, T, heads * hd]. hd a multiple of 4, at most 256.
 */
export function flashAttention(q0: Tensor, k0: Tensor, v0: Tensor, o: FlashAttentionOptions): Tensor {
  const inputs = [q0, k0, v0];
  const g = graphOf('flash_attention', inputs);
  for (const [t, n] of [[q0, 'q'], [k0, 'k'], [v0, 'v']] as const) requireDtype('flash_attention', inputs, t, n, 'f32');
  const heads = o.heads;
  const kvHeads = o.kvHeads ?? heads;
  if (q0.rank !== 3 || k0.rank !== 3 || v0.rank !== 3) throw new OpError('flash_attention', inputs, 'q, k and v must be [B, T, heads * head_dim]');
  const [B, T, C] = q0.shape;
  const hd = C / heads;
  if (!Number.isInteger(heads) || heads < 1 || !Number.isInteger(kvHeads) || kvHeads < 1 || heads % kvHeads !== 0) {
    throw new OpError('flash_attention', inputs, `heads ${heads} must be a positive multiple of kvHeads ${kvHeads}`);
  }
  if (!flashAttentionFits(hd)) throw new OpError('flash_attention', inputs, `head dim ${C} / ${heads} heads = ${hd} must be a multiple of 4 in [4, ${FLASH_MAX_HEAD_DIM}]`);
  for (const [t, n] of [[k0, 'k'], [v0, 'v']] as const) {
    if (t.shape[0] !== B || t.shape[1] !== T || t.shape[2] !== kvHeads * hd) throw new OpError('flash_attention', inputs, `${n} must be [${B}, ${T}, ${kvHeads * hd}] (kvHeads ${kvHeads} x head dim ${hd})`);
  }
  if (o.quad) {
    if (!subgroupsOf4(g.ctx)) throw new OpError('flash_attention', inputs, `quad needs subgroups of at least 4 lanes (the adapter's: ${g.ctx.caps.subgroups ? g.ctx.caps.subgroupMinSize : 'none'})`);
    if (T % 4 !== 0) throw new OpError('flash_attention', inputs, `quad needs T a multiple of 4, got T=${T}`);
  }
  if (o.softcap !== undefined && !(Number.isFinite(o.softcap) && o.softcap > 0)) throw new OpError('flash_attention', inputs, `softcap ${o.softcap} must be a positive number`);
  if (o.alibi !== undefined && !(Number.isFinite(o.alibi) && o.alibi >= 0 && !(o.alibi > 0 && o.softcap !== undefined))) throw new OpError('flash_attention', inputs, `alibi ${o.alibi} must be a finite number >= 0, and not with softcap`);
  const s: Shape = { B, T, heads, kvHeads, hd, scale: o.scale ?? 1 / Math.sqrt(hd), ...(o.softcap !== undefined ? { softcap: o.softcap } : {}), ...(o.alibi ? { alibi: o.alibi } : {}), ...(o.quad !== undefined ? { quad: o.quad } : {}) };
  const [q, k, v] = inputs.map((t) => contiguous(t));
  const node = g.addNode('flash_attention', [q, k, v], [{ shape: [B, T, C] }, { shape: [B, heads, T] }], { shape: s }, async (pc: PlanContext) => {
    const p = await plan(pc.ctx, FORWARD, s, false);
    const [out, lse] = node.outputs;
    return [{ kernel: p.kernel, workgroups: p.workgroups, args: { bindings: { q: pc.buf(q), k: pc.buf(k), v: pc.buf(v), o: pc.buf(out), lse: pc.buf(lse) }, params: p.params, expect: { q: 4 * q.numel, k: 4 * k.numel, v: 4 * v.numel, o: 4 * q.numel, lse: 4 * B * heads * T } } }];
  });
  return node.outputs[0];
}

/**
 * What flash_attention_bwd records as `attrs.ropeFuse`: its dispatches planned to write `outputs` (dq, dk, dv,
 * delta), dq and dk rotated back by RoPE with the table `cs` (src/graph/fuse.ts fuseRopeBackward).
 */
export interface RopeFusable {
  inputs: Tensor[];
  shape: { heads: number; kvHeads: number; hd: number; T: number };
  plan: (pc: PlanContext, outputs: Tensor[], rope: RopeOut & { cs: Tensor }) => Promise<Dispatch[]>;
}

/** The rule of flash_attention: [dq, dk, dv] from the inputs, the saved output and logsumexp, and dO (two dispatches). */
export function flashAttentionBackward(n: { inputs: Tensor[]; outputs: Tensor[]; attrs: Record<string, unknown> }, dy0: Tensor): Tensor[] {
  const [q, k, v] = n.inputs;
  const [out, lse] = n.outputs;
  const s = n.attrs.shape as Shape;
  const dy = contiguous(dy0);
  const inputs = [q, k, v, out, lse, dy];
  const planAll = async (pc: PlanContext, [dq, dk, dv, delta]: Tensor[], rope?: RopeOut & { cs: Tensor }): Promise<Dispatch[]> => {
    const a = await plan(pc.ctx, BWD_Q, s, false, rope);
    const b = await plan(pc.ctx, BWD_KV, s, true, rope);
    const common = { q: pc.buf(q), k: pc.buf(k), v: pc.buf(v), lse: pc.buf(lse), d_o: pc.buf(dy), ...(rope ? { cs: pc.buf(rope.cs) } : {}) };
    const cs: Record<string, number> = rope ? { cs: 4 * s.T * s.hd } : {};
    return [
      { kernel: a.kernel, workgroups: a.workgroups, args: { bindings: { ...common, o: pc.buf(out), delta: pc.buf(delta), dq: pc.buf(dq) }, params: a.params, expect: { dq: 4 * q.numel, delta: 4 * s.B * s.heads * s.T, ...cs } } },
      { kernel: b.kernel, workgroups: b.workgroups, args: { bindings: { ...common, delta: pc.buf(delta), dk: pc.buf(dk), dv: pc.buf(dv) }, params: b.params, expect: { dk: 4 * k.numel, dv: 4 * v.numel, ...cs } } },
    ];
  };
  const ropeFuse: RopeFusable = { inputs, shape: { heads: s.heads, kvHeads: s.kvHeads, hd: s.hd, T: s.T }, plan: planAll };
  const node = q.graph.addNode('flash_attention_bwd', inputs, [{ shape: q.shape }, { shape: k.shape }, { shape: v.shape }, { shape: [s.B, s.heads, s.T] }], { shape: s, ropeFuse }, (pc: PlanContext) => planAll(pc, node.outputs));
  return node.outputs.slice(0, 3);
}
