// Cohere's models from a Hugging Face checkpoint, as llama.cpp's converter writes them (src/nn/hf_llama.ts calls this
// for these model_types): CohereForCausalLM (model_type cohere: Command R, Aya 23, Aya Expanse) as GGUF's command-r,
// Cohere2ForCausalLM (cohere2: Command R7B) as GGUF's cohere2. A parallel block (attention and the MLP both read
// input_layernorm's output), CohereLayerNorm (mean-centred, a weight and no bias; layer_norm_eps), SwiGLU, logits times
// logit_scale, the head always the embedding. Cohere's RoPE rotates interleaved pairs (its rotate_half takes x[::2] and
// x[1::2]), GGUF's NORM layout: rows not permuted. Cohere2 slides 3 of every 4 layers (sliding_window) and gives its
// full_attention layers no RoPE, as llama.cpp's cohere2 does with its fixed pattern of 4. use_qk_norm (Command R+),
// attention biases, rope scaling and an untied head are refused by key.
import { periodLayerTypes, positiveInt, positiveNumber } from './hf_keys.js';
import { COHERE2_SWA_PATTERN, ModelConfigError, type LlamaConfig } from './llama_config.js';
import { llamaConfig } from './llama_weights.js';

/** A CohereConfig or Cohere2Config (transformers' defaults where a key is absent) as GGUF's command-r or cohere2 runs it. */
export function cohereConfig(j: Record<string, unknown>, source: string, arch: 'command-r' | 'cohere2'): LlamaConfig {
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  if ((j.hidden_act ?? 'silu') !== 'silu') throw new ModelConfigError(`${source}: hidden_act ${JSON.stringify(j.hidden_act)}: GGUF's ${arch} runs silu (SwiGLU)`);
  if (j.use_qk_norm === true) throw new ModelConfigError(`${source}: use_qk_norm is true: Command R+'s per-head q / k LayerNorms are not supported`);
  if (j.attention_bias === true) throw new ModelConfigError(`${source}: attention_bias is true: llama.cpp's ${arch} has no attention biases`);
  if (j.rope_scaling !== undefined && j.rope_scaling !== null) throw new ModelConfigError(`${source}: rope_scaling ${JSON.stringify(j.rope_scaling)}: Cohere's import takes no rope scaling (only null)`);
  if (j.tie_word_embeddings === false) throw new ModelConfigError(`${source}: tie_word_embeddings is false: llama.cpp's ${arch} always ties the head to the embedding`);
  const dim = int('hidden_size', 8192);
  const heads = int('num_attention_heads', 64);
  if (dim % heads !== 0) throw new ModelConfigError(`${source}: 'hidden_size' ${dim} is not a multiple of 'num_attention_heads' ${heads}`);
  const layers = int('num_hidden_layers', 40);
  let slidingWindow: number | undefined;
  if (arch === 'cohere2') {
    slidingWindow = int('sliding_window', 4096);
    const p = j.sliding_window_pattern;
    if (p !== undefined && p !== null && p !== COHERE2_SWA_PATTERN) throw new ModelConfigError(`${source}: sliding_window_pattern ${JSON.stringify(p)}: llama.cpp's cohere2 fixes it at ${COHERE2_SWA_PATTERN}`);
    if (j.layer_types !== undefined && JSON.stringify(j.layer_types) !== JSON.stringify(periodLayerTypes(layers, COHERE2_SWA_PATTERN))) throw new ModelConfigError(`${source}: layer_types: llama.cpp's cohere2 makes every fourth layer full_attention (without RoPE) and the others sliding_attention`);
  }
  return llamaConfig({
    arch, vocab: int('vocab_size', 256000), dim, layers, heads, kvHeads: int('num_key_value_heads', heads), ffn: int('intermediate_size', 22528),
    ctx: int('max_position_embeddings', 8192), eps: positiveNumber(j, source, 'layer_norm_eps', 1e-5), ropeBase: positiveNumber(j, source, 'rope_theta', 10000),
    logitMul: Math.fround(positiveNumber(j, source, 'logit_scale', 0.0625)), ...(slidingWindow !== undefined ? { slidingWindow } : {}),
  });
}
