// Causal self-attention as a composition of graph ops (its backward is theirs). A fused kernel may replace it
// where a benchmark shows it pays.
import type { Tensor } from '../graph/tensor.js';
import { graphOf, OpError } from './common.js';
import { add, scale } from './elementwise.js';
import { matmul } from './matmul.js';
import { softmax } from './softmax.js';
import { transpose } from './view.js';

const masks = new WeakMap<object, Map<number, Tensor>>();

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

/** softmax(q k^T / sqrt(D) + causal mask) v for q, k, v [..., T, D]. */
export function causalSelfAttention(q: Tensor, k: Tensor, v: Tensor): Tensor {
  graphOf('causal_self_attention', [q, k, v]);
  const [T, D] = q.shape.slice(-2);
  if (k.shape[k.rank - 2] !== T || v.shape[v.rank - 2] !== T || k.shape[k.rank - 1] !== D) {
    throw new OpError('causal_self_attention', [q, k, v], 'q, k, v must be [..., T, D] with equal T and D');
  }
  const scores = add(scale(matmul(q, transpose(k)), 1 / Math.sqrt(D)), causalMask(q, T));
  return matmul(softmax(scores), v);
}
