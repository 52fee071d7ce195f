// StableLM from a Hugging Face checkpoint (StableLmForCausalLM, model_type stablelm: StableLM 2 1.6B, StableLM 3B
// 4E1T, Zephyr), as llama.cpp's converter writes GGUF's stablelm (src/nn/hf_llama.ts calls this for that model_type):
// layer_norm_eps, partial_rotary_factor (rotated dims int(factor * head_dim): NEOX over the first of each head, rows
// not permuted), use_qkv_bias, untied. Tensors as a Llama's, with LayerNorm biases (input_layernorm.bias,
// post_attention_layernorm.bias, model.norm.bias). StableLM 2 12B's qk_layernorm and use_parallel_residual are refused
// by key, as the GGUF side refuses their tensors.
import { headDimsPartialRotary, positiveInt, positiveNumber } from './hf_keys.js';
import { ModelConfigError, type LlamaConfig } from './llama_config.js';
import { llamaConfig } from './llama_weights.js';

/** A StableLmConfig (transformers' defaults where a key is absent) as GGUF's stablelm runs it. */
export function stablelmConfig(j: Record<string, unknown>, source: string): LlamaConfig {
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  for (const k of ['qk_layernorm', 'use_parallel_residual']) if (j[k] === true) throw new ModelConfigError(`${source}: ${k} is true: StableLM 2 12B's ${k === 'qk_layernorm' ? 'per-head q / k LayerNorms' : 'parallel residual'} are not supported`);
  if ((j.hidden_act ?? 'silu') !== 'silu') throw new ModelConfigError(`${source}: hidden_act ${JSON.stringify(j.hidden_act)}: GGUF's stablelm runs silu (SwiGLU)`);
  if (j.rope_scaling !== undefined && j.rope_scaling !== null) throw new ModelConfigError(`${source}: rope_scaling ${JSON.stringify(j.rope_scaling)}: StableLM's import takes no rope scaling (only null)`);
  if (j.tie_word_embeddings === true) throw new ModelConfigError(`${source}: tie_word_embeddings is true: llama.cpp's stablelm needs its own output weight`);
  const dim = int('hidden_size', 2560);
  const heads = int('num_attention_heads', 32);
  const { ropeDims } = headDimsPartialRotary(j, source, dim, heads, 0.25);
  const c = llamaConfig({
    arch: 'stablelm', vocab: int('vocab_size', 50304), dim, layers: int('num_hidden_layers', 32), heads, kvHeads: int('num_key_value_heads', heads), ffn: int('intermediate_size', 6912),
    ctx: int('max_position_embeddings', 4096), eps: positiveNumber(j, source, 'layer_norm_eps', 1e-5), ropeBase: positiveNumber(j, source, 'rope_theta', 10000),
  });
  return { ...c, ropeDims, qkvBias: j.use_qkv_bias === true };
}
