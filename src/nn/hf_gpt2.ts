// GPT-2 from a Hugging Face checkpoint (GPT2LMHeadModel, model_type gpt2: GPT-2 124M to 1.5B, DistilGPT2 and their
// fine-tunes), as llama.cpp's converter writes GGUF's gpt2 (src/nn/hf_llama.ts calls this for that model_type): its
// Conv1D weights are stored [in, out] and become GGUF's [out, in] (transposed); c_attn is GGUF's fused attn_qkv (q, k
// and v one after another along its outputs, as GGUF lays them), wpe the learned positions, ln_f the final norm, the
// head the embedding unless tie_word_embeddings is false. scale_attn_weights false and scale_attn_by_inverse_layer_idx
// (scores scaled other than by 1 / sqrt(head dim)) and an activation other than GELU's tanh form are refused by key.
import { positiveInt, positiveNumber } from './hf_keys.js';
import { ModelConfigError, type LlamaConfig } from './llama_config.js';
import { llamaConfig } from './llama_weights.js';

/** GPT-2's whole-model tensors by GGUF name. */
export const GPT2_FIXED: Record<string, string> = {
  'token_embd.weight': 'transformer.wte.weight', 'position_embd.weight': 'transformer.wpe.weight', 'output_norm.weight': 'transformer.ln_f.weight', 'output_norm.bias': 'transformer.ln_f.bias', 'output.weight': 'lm_head.weight',
};

/** GPT-2's per-layer names by GGUF part (blk.N.<part>.<weight|bias> -> transformer.h.N.<name>.<weight|bias>). */
export const GPT2_NAMES: Record<string, string> = { attn_norm: 'ln_1', ffn_norm: 'ln_2', attn_qkv: 'attn.c_attn', attn_output: 'attn.c_proj', ffn_up: 'mlp.c_fc', ffn_down: 'mlp.c_proj' };

/** Whether GGUF tensor `name` is one of GPT-2's Conv1D weights (stored [in, out]: transposed on import). */
export const isGpt2Conv1D = (name: string): boolean => /\.(attn_qkv|attn_output|ffn_up|ffn_down)\.weight$/.test(name);

/** A GPT2Config (transformers' defaults where a key is absent) as GGUF's gpt2 runs it. */
export function gpt2Config(j: Record<string, unknown>, source: string): LlamaConfig {
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  const act = j.activation_function ?? 'gelu_new';
  if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh' && act !== 'gelu_fast') throw new ModelConfigError(`${source}: activation_function ${JSON.stringify(act)}: GGUF's gpt2 runs GELU's tanh form (gelu_new)`);
  if (j.scale_attn_weights === false) throw new ModelConfigError(`${source}: scale_attn_weights is false: llama.cpp's gpt2 scales scores by 1 / sqrt(head dim)`);
  if (j.scale_attn_by_inverse_layer_idx === true) throw new ModelConfigError(`${source}: scale_attn_by_inverse_layer_idx is true: llama.cpp's gpt2 scales every layer's scores alike`);
  const dim = int('n_embd', 768);
  const heads = int('n_head', 12);
  if (dim % heads !== 0) throw new ModelConfigError(`${source}: 'n_embd' ${dim} is not a multiple of 'n_head' ${heads}`);
  return llamaConfig({
    arch: 'gpt2', vocab: int('vocab_size', 50257), dim, layers: int('n_layer', 12), heads, ffn: j.n_inner === undefined || j.n_inner === null ? 4 * dim : int('n_inner'),
    ctx: int('n_positions', 1024), eps: positiveNumber(j, source, 'layer_norm_epsilon', 1e-5), tied: j.tie_word_embeddings !== false,
  });
}
