// Causal self-attention of graph ops (its backward is theirs): q k^T, then scale + causal mask + softmax in one
// fused op (causalSoftmax, src/ops/fused.ts), then @ v. `{ composed: true }` runs the composition the fused op
// replaces (scale, add the causalMask constant, softmax), the reference of its tests.
import type { Tensor } from '../graph/tensor.js';
import { graphOf, OpError } from './common.js';
import { add, concat, contiguous, expandCopy, scale, softcap } from './elementwise.js';
import { matmul } from './matmul.js';
import { softmax } from './softmax.js';
import { causalSoftmax } from './fused.js';
import { permute, reshape, slice, transpose } from './view.js';

const masks = new WeakMap<object, Map<number, Tensor>>();
const alibiMasks = new WeakMap<object, Map<string, Tensor>>();

/** [T, T] additive mask: 0 where key <= query, -1e9 above the diagonal (exp underflows to exactly 0). */
export function causalMask(like: Tensor, T: number): Tensor {
  const g = like.graph;
  let m = masks.get(g);
  if (!m) masks.set(g, (m = new Map()));
  let t = m.get(T);
  if (!t) {
    const data = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) data[i * T + j] = -1e9;
    t = g.constant(data, [T, T], 'f32', `causal_mask_${T}`);
    m.set(T, t);
  }
  return t;
}

/** [heads, T, T] additive mask: causalMask's with ALiBi's slope_h (j - t) where key j <= query t (llama.cpp's slopes from maxBias). */
export function alibiMask(like: Tensor, heads: number, T: number, maxBias: number): Tensor {
  const key = `alibi_mask_${heads}_${T}_${maxBias}`;
  let m = alibiMasks.get(like.graph);
  if (!m) alibiMasks.set(like.graph, (m = new Map()));
  const had = m.get(key);
  if (had) return had;
  const n2 = 2 ** Math.floor(Math.log2(heads));
  const data = new Float32Array(heads * T * T);
  for (let h = 0; h < heads; h++) {
    const slope = h < n2 ? 2 ** ((-maxBias * (h + 1)) / n2) : 2 ** ((-maxBias * (2 * (h - n2) + 1)) / (2 * n2));
    for (let t = 0; t < T; t++) for (let j = 0; j < T; j++) data[(h * T + t) * T + j] = j > t ? -1e9 : slope * (j - t);
  }
  const t = like.graph.constant(data, [heads, T, T], 'f32', key);
  m.set(key, t);
  return t;
}

/**
 * causalSelfAttention over a Linear's rows, q [B, T, heads * hd] and k, v [B, T, kvHeads * hd] (what
 * flashAttention computes, as a composition): each row's heads permuted to [B, heads, T, hd] in one copy (a KV head
 * repeated for its heads / kvHeads query heads while it is permuted), attention, permuted back: [B, T, heads * hd].
 */
export function causalAttentionRows(q: Tensor, k: Tensor, v: Tensor, o: { heads: number; kvHeads?: number; composed?: boolean; softcap?: number; scale?: number; sinks?: Tensor; alibi?: number }): Tensor {
  const heads = o.heads;
  const kvHeads = o.kvHeads ?? heads;
  if (q.rank !== 3 || heads < 1 || q.shape[2] % heads !== 0 || heads % kvHeads !== 0) throw new OpError('causal_attention_rows', [q, k, v], `q must be [B, T, heads * hd] with heads ${heads} a multiple of kvHeads ${kvHeads}`);
  const [B, T, C] = q.shape;
  const hd = C / heads;
  const first = (x: Tensor, h: number) => {
    if (h === heads) return contiguous(permute(reshape(x, [B, T, h, hd]), [0, 2, 1, 3]));
    const y = permute(reshape(x, [B, T, h, 1, hd]), [0, 2, 3, 1, 4]);
    return reshape(expandCopy(y, [B, h, heads / h, T, hd]), [B, heads, T, hd]);
  };
  const a = causalSelfAttention(first(q, heads), first(k, kvHeads), first(v, kvHeads), { composed: o.composed, softcap: o.softcap, scale: o.scale, ...(o.sinks ? { sinks: o.sinks } : {}), ...(o.alibi ? { alibi: o.alibi } : {}) });
  return reshape(permute(a, [0, 2, 1, 3]), [B, T, C]);
}

/**
 * softmax(cap(q k^T * scale) + causal mask) v for q, k, v [..., T, D] (scale: o.scale, default 1 / sqrt(D); cap:
 * o.softcap's cap tanh(s / cap), or none). `sinks` (gpt-oss; q [B, heads, T, D]): a logit per head [heads] that joins
 * every row's softmax as a column of its own whose value is zero: the scores with the sink column appended, the
 * softmax, the sink's probability dropped (a composition: its gradient reaches the sinks through the concat).
 */
export function causalSelfAttention(q: Tensor, k: Tensor, v: Tensor, o: { composed?: boolean; softcap?: number; scale?: number; sinks?: Tensor; alibi?: number } = {}): Tensor {
  graphOf('causal_self_attention', [q, k, v]);
  const [T, D] = q.shape.slice(-2);
  if (k.shape[k.rank - 2] !== T || v.shape[v.rank - 2] !== T || k.shape[k.rank - 1] !== D) {
    throw new OpError('causal_self_attention', [q, k, v], 'q, k, v must be [..., T, D] with equal T and D');
  }
  const qk = matmul(q, transpose(k));
  const sc = o.scale ?? 1 / Math.sqrt(D);
  if (o.sinks) {
    const [B, H] = q.shape;
    if (q.rank !== 4 || o.sinks.rank !== 1 || o.sinks.shape[0] !== H || o.softcap !== undefined) throw new OpError('causal_self_attention', [q, o.sinks], `sinks [heads] take q [B, heads, T, D] (no softcap)`);
    const col = expandCopy(reshape(o.sinks, [1, H, 1, 1]), [B, H, T, 1]);
    const p = softmax(concat([add(scale(qk, sc), causalMask(q, T)), col], 3));
    return matmul(contiguous(slice(p, 3, 0, T)), v);
  }
  if (o.alibi) {
    // ALiBi (q [B, heads, T, D]): the causal mask with each head's biases, a constant [heads, T, T]
    if (q.rank !== 4 || o.softcap !== undefined) throw new OpError('causal_self_attention', [q], `alibi takes q [B, heads, T, D] (no softcap)`);
    return matmul(softmax(add(scale(qk, sc), alibiMask(q, q.shape[1], T, o.alibi))), v);
  }
  if (o.softcap !== undefined) {
    const s = softcap(scale(qk, sc), o.softcap);
    return matmul(o.composed ? softmax(add(s, causalMask(q, T))) : causalSoftmax(s, 1), v);
  }
  const p = o.composed ? softmax(add(scale(qk, sc), causalMask(q, T))) : causalSoftmax(qk, sc);
  return matmul(p, v);
}
