// The Llama-family model, defined once: the layer structure of llama.cpp's `llama`, `qwen2` and `qwen3` graphs, written
// against an abstract set of operations. The inference engine (src/lm/engine.ts) implements the operations by
// recording GPU dispatches over the GGUF weights and the KV cache; a training backend implements the same
// operations on the autograd graph. Hyperparameters come from the file (src/nn/llama_config.ts); the weights are
// named as GGUF names them, so a backend binds `blk.3.attn_q.weight` to whatever holds that tensor.
import type { LlamaConfig } from './llama_config.js';

export interface LlamaOps<T> {
  /** Token embeddings of the step's tokens, [T, dim]. */
  embed(): T;
  rmsNorm(x: T, weight: string): T;
  /** RMSNorm of each head of x [T, heads * headDim] over its headDim values, times weight [headDim] (qwen3's q / k norms). */
  headNorm(x: T, weight: string, heads: number): T;
  /** x [T, K] @ weight^T [K, N] (+ bias) (+ residual): weight is [N, K] as GGUF stores it. */
  linear(x: T, weight: string, o?: { bias?: string; residual?: T }): T;
  /** Rotary embedding of a layer's q [T, heads * headDim] and k [T, kvHeads * headDim] at the step's positions. */
  ropeQK(q: T, k: T): [T, T];
  /** Causal attention of the step's queries over the layer's cached keys and values (which it extends by k, v). */
  attention(layer: number, q: T, k: T, v: T): T;
  /** silu(gate) * up. */
  swiglu(gate: T, up: T): T;
  /** The rows whose logits are wanted (all, or the last one for generation). */
  outputRows(x: T): T;
}

/** GGUF names of layer `l`'s tensors. */
export const blk = (l: number, t: string) => `blk.${l}.${t}`;

/** The forward pass: token embeddings to logits [rows, vocab]. */
export function llamaForward<T>(c: LlamaConfig, ops: LlamaOps<T>): T {
  let x = ops.embed();
  for (let l = 0; l < c.layers; l++) {
    const h = ops.rmsNorm(x, blk(l, 'attn_norm.weight'));
    const bias = (t: string) => (c.qkvBias ? { bias: blk(l, `${t}.bias`) } : {});
    let q = ops.linear(h, blk(l, 'attn_q.weight'), bias('attn_q'));
    let k = ops.linear(h, blk(l, 'attn_k.weight'), bias('attn_k'));
    if (c.qkNorm) {
      q = ops.headNorm(q, blk(l, 'attn_q_norm.weight'), c.heads);
      k = ops.headNorm(k, blk(l, 'attn_k_norm.weight'), c.kvHeads);
    }
    [q, k] = ops.ropeQK(q, k);
    const v = ops.linear(h, blk(l, 'attn_v.weight'), bias('attn_v'));
    x = ops.linear(ops.attention(l, q, k, v), blk(l, 'attn_output.weight'), { residual: x });
    const f = ops.rmsNorm(x, blk(l, 'ffn_norm.weight'));
    const gate = ops.linear(f, blk(l, 'ffn_gate.weight'));
    const up = ops.linear(f, blk(l, 'ffn_up.weight'));
    x = ops.linear(ops.swiglu(gate, up), blk(l, 'ffn_down.weight'), { residual: x });
  }
  const out = ops.rmsNorm(ops.outputRows(x), 'output_norm.weight');
  return ops.linear(out, c.tied ? 'token_embd.weight' : 'output.weight');
}
