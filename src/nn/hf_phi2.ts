// Phi-2 from a Hugging Face checkpoint (PhiForCausalLM, model_type phi: Phi-2, Phi-1.5, Phi-1), as llama.cpp's
// converter writes GGUF's phi2 (src/nn/hf_llama.ts calls this for that model_type): GPT-J's parallel block (attention
// and the MLP both read input_layernorm's output; the stream takes both at once), LayerNorms with biases
// (layer_norm_eps), biases on q / k / v, dense, fc1, fc2 and lm_head, the MLP fc2(gelu_tanh(fc1(x))) without a gate,
// RoPE over the first int(partial_rotary_factor x head_dim) dims of each head in HF's rotate-half order (GGUF's phi2 is
// NEOX: rows not permuted), an untied head. qk_layernorm and rope scaling are refused by key.
import { headDimsPartialRotary, positiveInt, positiveNumber } from './hf_keys.js';
import { ModelConfigError, type LlamaConfig } from './llama_config.js';
import { llamaConfig } from './llama_weights.js';

/** Phi's per-layer names by GGUF part where they differ from a Llama's. */
export const PHI2_NAMES: Record<string, string> = { attn_output: 'self_attn.dense', ffn_up: 'mlp.fc1', ffn_down: 'mlp.fc2' };

/** Phi's whole-model tensors by GGUF name (its final norm is final_layernorm, its head has a bias). */
export const PHI2_FIXED: Record<string, string> = { 'output_norm.weight': 'model.final_layernorm.weight', 'output_norm.bias': 'model.final_layernorm.bias', 'output.bias': 'lm_head.bias' };

/** GELU's tanh form under the names transformers gives it (gelu_new is Phi's). */
const TANH_GELU = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'];

/** A PhiConfig (transformers' defaults where a key is absent) as GGUF's phi2 runs it. */
export function phi2Config(j: Record<string, unknown>, source: string): LlamaConfig {
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  if (!TANH_GELU.includes(String(j.hidden_act ?? 'gelu_new'))) throw new ModelConfigError(`${source}: hidden_act ${JSON.stringify(j.hidden_act)}: GGUF's phi2 runs GELU's tanh form (${TANH_GELU.join(', ')})`);
  if (j.qk_layernorm === true) throw new ModelConfigError(`${source}: qk_layernorm is true: llama.cpp's phi2 has no q / k LayerNorms`);
  if (j.rope_scaling !== undefined && j.rope_scaling !== null) throw new ModelConfigError(`${source}: rope_scaling ${JSON.stringify(j.rope_scaling)}: Phi's import takes no rope scaling (only null)`);
  if (j.tie_word_embeddings === true) throw new ModelConfigError(`${source}: tie_word_embeddings is true: llama.cpp's phi2 needs its own output weight and bias`);
  const dim = int('hidden_size', 2048);
  const heads = int('num_attention_heads', 32);
  const { ropeDims } = headDimsPartialRotary(j, source, dim, heads, 0.5);
  const c = llamaConfig({
    arch: 'phi2', vocab: int('vocab_size', 51200), dim, layers: int('num_hidden_layers', 24), heads, kvHeads: int('num_key_value_heads', heads), ffn: int('intermediate_size', 8192),
    ctx: int('max_position_embeddings', 2048), eps: positiveNumber(j, source, 'layer_norm_eps', 1e-5), ropeBase: positiveNumber(j, source, 'rope_theta', 10000),
  });
  return { ...c, ropeDims, qkvBias: true };
}
