// The CPU reference of deepseek2's multi-head latent attention (src/nn/llama_mla.ts), in f64 and in the decompressed
// form of the paper rather than the absorbed one the engine runs for deepseek2 (minicpm3's files keep that form): each head's no-RoPE keys and its values are
// expanded from the compressed rows, k_nope[j, h] = attn_k_b[h]^T c[j] and v[j, h] = attn_v_b[h] c[j], and each score
// is q_nope . k_nope + q_pe . k_pe (the same products summed in another order: the two forms agree to rounding).
import type { LlamaConfig } from '../nn/llama_config.js';
import { rmsNormRows, ropeRows } from './llama_rows.js';

/** What the layer reads: a tensor's values, and the caller's linear (its rounding of activations) of x [T, K] by weight [N, K]. */
export interface MlaRefIo {
  get(name: string): Float32Array;
  linear(x: Float64Array, K: number, weight: string, N: number): Float64Array;
}

/**
 * Layer `p`'s (a 'blk.N.' prefix) MLA of its normed input h [T, dim], causal over the T positions: [T, heads * v], the
 * input of attn_output. `rope`: the layer's base and position scale, rope factors and cos / sin magnitude.
 */
export function mlaAttentionRef(c: LlamaConfig, p: string, h: Float64Array, T: number, io: MlaRefIo, rope: { base: number; scale: number; factors?: Float32Array; mscale: number }, scale: number): Float64Array {
  const m = c.mla!;
  const [H, r, L, dn] = [c.heads, c.ropeDims, m.kvLora, m.nope];
  const dq = dn + r;
  const q = m.qLora > 0 ? io.linear(rmsNormRows(io.linear(h, c.dim, `${p}attn_q_a.weight`, m.qLora), T, m.qLora, io.get(`${p}attn_q_a_norm.weight`), c.eps), m.qLora, `${p}attn_q_b.weight`, H * dq) : io.linear(h, c.dim, `${p}attn_q.weight`, H * dq);
  const ckv = io.linear(h, c.dim, `${p}attn_kv_a_mqa.weight`, L + r);
  const cRows = new Float64Array(T * L);
  for (let t = 0; t < T; t++) cRows.set(ckv.subarray(t * (L + r), t * (L + r) + L), t * L);
  const cn = rmsNormRows(cRows, T, L, io.get(`${p}attn_kv_a_norm.weight`), c.eps);
  ropeRows(ckv, T, 1, c, rope.factors, rope.mscale, rope, L + r, L); // k_pe
  ropeRows(q, T, H, c, rope.factors, rope.mscale, rope, dq, dn); // q_pe
  const kNope = new Float64Array(T * H * dn);
  const vals = new Float64Array(T * H * m.v);
  if (m.kvB) {
    // minicpm3: attn_kv_b [H (dn + v), L] decompresses both (a head's rows: its k_nope's, then its v's)
    const kv = io.linear(cn, L, `${p}attn_kv_b.weight`, H * (dn + m.v));
    for (let j = 0; j < T; j++) {
      for (let hh = 0; hh < H; hh++) {
        const o = (j * H + hh) * (dn + m.v);
        kNope.set(kv.subarray(o, o + dn), (j * H + hh) * dn);
        vals.set(kv.subarray(o + dn, o + dn + m.v), (j * H + hh) * m.v);
      }
    }
  } else {
    const kb = io.get(`${p}attn_k_b.weight`); // [H, L, dn]
    const vb = io.get(`${p}attn_v_b.weight`); // [H, v, L]
    for (let j = 0; j < T; j++) {
      for (let hh = 0; hh < H; hh++) {
        for (let d = 0; d < dn; d++) {
          let s = 0;
          for (let i = 0; i < L; i++) s += kb[(hh * L + i) * dn + d] * cn[j * L + i];
          kNope[(j * H + hh) * dn + d] = s;
        }
        for (let e = 0; e < m.v; e++) {
          let s = 0;
          for (let i = 0; i < L; i++) s += vb[(hh * m.v + e) * L + i] * cn[j * L + i];
          vals[(j * H + hh) * m.v + e] = s;
        }
      }
    }
  }
  const out = new Float64Array(T * H * m.v);
  const sc = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    for (let hh = 0; hh < H; hh++) {
      const qo = (t * H + hh) * dq;
      let mx = -Infinity;
      for (let j = 0; j <= t; j++) {
        let d = 0;
        for (let i = 0; i < dn; i++) d += q[qo + i] * kNope[(j * H + hh) * dn + i];
        for (let i = 0; i < r; i++) d += q[qo + dn + i] * ckv[j * (L + r) + L + i];
        sc[j] = d * scale;
        mx = Math.max(mx, sc[j]);
      }
      let sum = 0;
      for (let j = 0; j <= t; j++) sum += sc[j] = Math.exp(sc[j] - mx);
      for (let j = 0; j <= t; j++) {
        const w = sc[j] / sum;
        for (let e = 0; e < m.v; e++) out[(t * H + hh) * m.v + e] += w * vals[(j * H + hh) * m.v + e];
      }
    }
  }
  return out;
}
