// Causal self-attention of graph ops (its backward is theirs): q k^T, then scale + causal mask + softmax in one
// fused op (causalSoftmax, src/ops/fused.ts), then @ v. `{ composed: true }` runs the composition the fused op
// replaces (scale, add the causalMask constant, softmax), the reference of its tests.
import type { Tensor } from '../graph/tensor.js';
import { graphOf, OpError } from './common.js';
import { add, scale } from './elementwise.js';
import { matmul } from './matmul.js';
import { softmax } from './softmax.js';
import { causalSoftmax } from './fused.js';
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
export function causalSelfAttention(q: Tensor, k: Tensor, v: Tensor, o: { composed?: boolean } = {}): Tensor {
  graphOf('causal_self_attention', [q, k, v]);
  const [T, D] = q.shape.slice(-2);
  if (k.shape[k.rank - 2] !== T || v.shape[v.rank - 2] !== T || k.shape[k.rank - 1] !== D) {
    throw new OpError('causal_self_attention', [q, k, v], 'q, k, v must be [..., T, D] with equal T and D');
  }
  const qk = matmul(q, transpose(k));
  const p = o.composed ? softmax(add(scale(qk, 1 / Math.sqrt(D)), causalMask(q, T))) : causalSoftmax(qk, 1 / Math.sqrt(D));
  return matmul(p, v);
}
