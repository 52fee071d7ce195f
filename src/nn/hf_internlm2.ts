// InternLM2 / InternLM2.5 from a Hugging Face checkpoint (InternLM2ForCausalLM, model_type internlm2: its remote
// code's names), as llama.cpp's converter writes it into GGUF's `internlm2`: attention.wqkv split into q / k / v (its
// rows grouped by KV head: each group's query heads, then its key head, then its value head), q and k rows permuted
// from HF's rotate-half RoPE to GGUF's adjacent pairs as for a Llama, feed_forward.w1 / w3 / w2 as gate / up / down,
// never tied.
import type { Safetensors } from '../io/safetensors.js';
import { hfTensorF32 } from './hf_keys.js';
import { ModelConfigError, type LlamaConfig } from './llama_config.js';

/** InternLM2's names of the GGUF tensors outside the layers, and of a layer's parts (attn_q / k / v: hfInternlm2Tensor). */
export const INTERNLM2_FIXED: Record<string, string> = { 'token_embd.weight': 'model.tok_embeddings.weight', 'output_norm.weight': 'model.norm.weight', 'output.weight': 'output.weight' };
export const INTERNLM2_NAMES: Record<string, string> = { attn_norm: 'attention_norm', ffn_norm: 'ffn_norm', attn_output: 'attention.wo', ffn_gate: 'feed_forward.w1', ffn_up: 'feed_forward.w3', ffn_down: 'feed_forward.w2' };

/**
 * An InternLM2 config as the Llama-like config the import reads. rope_scaling: none, or dynamic (HF's dynamic NTK
 * changes nothing within max_position_embeddings, the context the import gives the model, and llama.cpp's converter
 * writes no scaling for it); anything else, and `bias`, are refused by key.
 */
export function internlm2AsLlama(j: Record<string, unknown>, source: string): Record<string, unknown> {
  if (j.bias === true) throw new ModelConfigError(`${source}: bias is true: llama.cpp's internlm2 has no biases`);
  const rs = j.rope_scaling as Record<string, unknown> | null | undefined;
  if (rs !== undefined && rs !== null && (rs.type ?? rs.rope_type) !== 'dynamic') throw new ModelConfigError(`${source}: rope_scaling ${JSON.stringify(rs)}: only none or dynamic (a no-op within max_position_embeddings) is imported`);
  const { rope_scaling: _, bias: __, ...rest } = j;
  return { ...rest, tie_word_embeddings: false };
}

/** Layer l's q, k or v from attention.wqkv (q and k rows permuted by `permute`, as a Llama's), or null for another tensor. */
export function hfInternlm2Tensor(c: LlamaConfig, name: string, st: Safetensors, source: string, permute: (w: Float32Array, heads: number, hd: number, cols: number) => Float32Array): Float32Array | null {
  const m = /^blk\.(\d+)\.attn_([qkv])\.weight$/.exec(name);
  if (!m) return null;
  const { heads: H, kvHeads: KV, headDim: hd, dim: D } = c;
  const gs = H / KV + 2; // a group's rows: its query heads, its key head, its value head
  const w = hfTensorF32(st, source, `model.layers.${m[1]}.attention.wqkv.weight`, [(H + 2 * KV) * hd, D]);
  const part = m[2];
  const heads = part === 'q' ? H : KV;
  const out = new Float32Array(heads * hd * D);
  let row = 0;
  for (let g = 0; g < KV; g++) {
    const [from, n] = part === 'q' ? [0, gs - 2] : [part === 'k' ? gs - 2 : gs - 1, 1];
    out.set(w.subarray((g * gs + from) * hd * D, (g * gs + from + n) * hd * D), row * hd * D);
    row += n;
  }
  return part === 'v' ? out : permute(out, heads, hd, D);
}
