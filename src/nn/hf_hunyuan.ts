// Tencent's Hunyuan dense models from a Hugging Face checkpoint (HunYuanDenseV1ForCausalLM, model_type
// hunyuan_v1_dense: Hunyuan 0.5B / 1.8B / 4B / 7B), as llama.cpp's converter writes them into GGUF's `hunyuan-dense`:
// qwen3's names and head_dim, the per-head q / k norms named query_layernorm / key_layernorm (applied after RoPE, as
// GGUF's graph does), and the "dynamic NTK alpha" RoPE folded into the base: rope_theta * alpha ^ (head_dim /
// (head_dim - 2)), the base transformers' and vLLM's Hunyuan rotary embeddings compute, written as rope.freq_base.
import { positiveInt, positiveNumber } from './hf_keys.js';
import { ModelConfigError } from './llama_config.js';

/** The Hunyuan names of the q / k norms (GGUF attn_q_norm / attn_k_norm). */
export const HUNYUAN_NAMES: Record<string, string> = { attn_q_norm: 'self_attn.query_layernorm', attn_k_norm: 'self_attn.key_layernorm' };

/** A Hunyuan dense config as the Llama-like config the import reads: rope_scaling's alpha folded into rope_theta; what GGUF's graph cannot run refused by key. */
export function hunyuanAsLlama(j: Record<string, unknown>, source: string): Record<string, unknown> {
  if (j.use_qk_norm === false) throw new ModelConfigError(`${source}: use_qk_norm false: llama.cpp's hunyuan-dense always normalizes q and k`);
  if (j.attention_bias === true || j.mlp_bias === true) throw new ModelConfigError(`${source}: ${j.attention_bias === true ? 'attention_bias' : 'mlp_bias'} is true: the import takes no Hunyuan biases`);
  if (j.hidden_act !== undefined && j.hidden_act !== 'silu') throw new ModelConfigError(`${source}: hidden_act ${JSON.stringify(j.hidden_act)}: Hunyuan's MLP is a SwiGLU (silu)`);
  const rs = j.rope_scaling as Record<string, unknown> | null | undefined;
  const { rope_scaling: _, ...rest } = j;
  if (rs === undefined || rs === null) return rest;
  const kind = rs.type ?? rs.rope_type;
  const alpha = rs.alpha;
  if (kind !== 'dynamic' || typeof alpha !== 'number' || !(alpha > 0) || (rs.factor !== undefined && rs.factor !== 1)) throw new ModelConfigError(`${source}: rope_scaling ${JSON.stringify(rs)}: only Hunyuan's dynamic NTK alpha (type dynamic, alpha > 0, factor 1) is imported`);
  const heads = positiveInt(j, source, 'num_attention_heads');
  const hd = positiveInt(j, source, 'head_dim', positiveInt(j, source, 'hidden_size') / heads);
  return { ...rest, rope_theta: positiveNumber(j, source, 'rope_theta', 10000) * alpha ** (hd / (hd - 2)) };
}
