// StarCoder2 from a Hugging Face checkpoint (Starcoder2ForCausalLM, model_type starcoder2: StarCoder2 3B / 7B / 15B),
// as llama.cpp's converter writes GGUF's starcoder2 (src/nn/hf_llama.ts calls this for that model_type): GPT-2's
// block on RoPE. LayerNorms with biases (norm_epsilon), biases on q / k / v / o and on the MLP (use_bias: llama.cpp's
// starcoder2 requires them, so a config without is refused), the MLP c_proj(gelu_tanh(c_fc(x))) without a gate (GGUF's
// ffn_up / ffn_down), HF's rotate-half rows kept (GGUF's starcoder2 is NEOX), whole heads rotated, tied unless
// tie_word_embeddings is false (transformers' default). sliding_window is not read: llama.cpp's starcoder2 attends over
// the whole context (the two agree within the first sliding_window positions, 4096 in StarCoder2's configs).
import { positiveInt, positiveNumber } from './hf_keys.js';
import { ModelConfigError, type LlamaConfig } from './llama_config.js';
import { llamaConfig } from './llama_weights.js';

/** StarCoder2's MLP names by GGUF part (its other tensors are named as a Llama's). */
export const STARCODER2_NAMES: Record<string, string> = { ffn_up: 'mlp.c_fc', ffn_down: 'mlp.c_proj' };

/** A Starcoder2Config (transformers' defaults where a key is absent) as GGUF's starcoder2 runs it. */
export function starcoder2Config(j: Record<string, unknown>, source: string): LlamaConfig {
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  if ((j.hidden_act ?? 'gelu_pytorch_tanh') !== 'gelu_pytorch_tanh') throw new ModelConfigError(`${source}: hidden_act ${JSON.stringify(j.hidden_act)}: GGUF's starcoder2 runs gelu_pytorch_tanh`);
  if (j.use_bias === false) throw new ModelConfigError(`${source}: use_bias is false: llama.cpp's starcoder2 requires the biases of every Linear and norm`);
  if (j.rope_scaling !== undefined && j.rope_scaling !== null) throw new ModelConfigError(`${source}: rope_scaling ${JSON.stringify(j.rope_scaling)}: StarCoder2's import takes no rope scaling (only null)`);
  const dim = int('hidden_size', 3072);
  const heads = int('num_attention_heads', 24);
  if (dim % heads !== 0) throw new ModelConfigError(`${source}: 'hidden_size' ${dim} is not a multiple of 'num_attention_heads' ${heads}`);
  const c = llamaConfig({
    arch: 'starcoder2', vocab: int('vocab_size', 49152), dim, layers: int('num_hidden_layers', 30), heads, kvHeads: int('num_key_value_heads', 2), ffn: int('intermediate_size', 12288),
    ctx: int('max_position_embeddings', 4096), eps: positiveNumber(j, source, 'norm_epsilon', 1e-5), ropeBase: positiveNumber(j, source, 'rope_theta', 10000), tied: j.tie_word_embeddings !== false,
  });
  return { ...c, qkvBias: true };
}
