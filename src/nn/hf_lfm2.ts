// Liquid's LFM2 from a Hugging Face checkpoint (Lfm2ForCausalLM, model_type lfm2), as llama.cpp's converter writes it
// into GGUF's lfm2 (src/nn/hf_llama.ts calls this for that model_type):
//   layer_types ('full_attention' | 'conv'; else full_attn_idxs, else every layer attention) -> head_count_kv 0 on
//   the conv layers; conv_L_cache -> shortconv.l_cache; norm_eps; rope_theta (or theta); tie_word_embeddings (or
//   tie_embedding, default true); the MLP width as Lfm2MLP computes it: intermediate_size (or block_ff_dim), with
//   block_auto_adjust_ff_dim (default true) int(2 / 3 of it), then with block_ffn_dim_multiplier (default 1; null:
//   neither) int(multiplier times that) rounded up to block_multiple_of (default 256).
// Tensors: operator_norm, ffn_norm, feed_forward.w1 / w3 / w2 (gate / up / down), self_attn.q_proj / k_proj / v_proj /
// out_proj with q_layernorm / k_layernorm, conv.in_proj / conv.conv ([dim, 1, L], squeezed) / conv.out_proj, and
// model.embedding_norm (the final norm, GGUF's token_embd_norm). RoPE rotates halves (NEOX) in both: no permutation.
import { positiveInt, positiveNumber } from './hf_keys.js';
import { ModelConfigError, SHORT_CONV_TAPS, type LlamaConfig } from './llama_config.js';
import { llamaConfig } from './llama_weights.js';

/** LFM2's HF tensor names by GGUF part (blk.N.<part>.weight -> model.layers.N.<name>.weight). */
export const LFM2_NAMES: Record<string, string> = {
  attn_norm: 'operator_norm', ffn_norm: 'ffn_norm', attn_q: 'self_attn.q_proj', attn_k: 'self_attn.k_proj', attn_v: 'self_attn.v_proj',
  attn_q_norm: 'self_attn.q_layernorm', attn_k_norm: 'self_attn.k_layernorm', attn_output: 'self_attn.out_proj',
  ffn_gate: 'feed_forward.w1', ffn_up: 'feed_forward.w3', ffn_down: 'feed_forward.w2',
  'shortconv.conv': 'conv.conv', 'shortconv.in_proj': 'conv.in_proj', 'shortconv.out_proj': 'conv.out_proj',
};

/** Lfm2MLP's width from the config's intermediate size (transformers' modeling_lfm2). */
export function lfm2FfnWidth(j: Record<string, unknown>, source: string): number {
  let ff = positiveInt(j, source, j.intermediate_size === undefined ? 'block_ff_dim' : 'intermediate_size');
  if (j.block_auto_adjust_ff_dim === false) return ff;
  ff = Math.trunc((2 * ff) / 3);
  if (j.block_ffn_dim_multiplier === null) return ff;
  const mult = positiveNumber(j, source, 'block_ffn_dim_multiplier', 1);
  const of = positiveInt(j, source, 'block_multiple_of', 256);
  ff = Math.trunc(mult * ff);
  return of * Math.ceil(ff / of);
}

/** The layer kinds: layer_types, else full_attn_idxs, else every layer attention (Lfm2Config's default). */
function layerKinds(j: Record<string, unknown>, source: string, layers: number): boolean[] {
  if (j.layer_types !== undefined && j.layer_types !== null) {
    const t = j.layer_types;
    if (!Array.isArray(t) || t.length !== layers || t.some((x) => x !== 'full_attention' && x !== 'conv')) throw new ModelConfigError(`${source}: layer_types ${JSON.stringify(t)} must be ${layers} of 'full_attention' / 'conv'`);
    return t.map((x) => x === 'conv');
  }
  const idx = j.full_attn_idxs ?? Array.from({ length: layers }, (_, l) => l);
  if (!Array.isArray(idx) || idx.some((i) => !(Number.isInteger(i) && i >= 0 && i < layers))) throw new ModelConfigError(`${source}: full_attn_idxs ${JSON.stringify(idx)} must be layer indices below ${layers}`);
  return Array.from({ length: layers }, (_, l) => !idx.includes(l));
}

/** An Lfm2Config (transformers' defaults where a key is absent) as GGUF's lfm2 runs it. */
export function lfm2Config(j: Record<string, unknown>, source: string): LlamaConfig {
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  if (j.conv_bias === true) throw new ModelConfigError(`${source}: conv_bias is true: llama.cpp's lfm2 has no convolution or projection biases`);
  if (j.rope_scaling !== undefined && j.rope_scaling !== null) throw new ModelConfigError(`${source}: rope_scaling ${JSON.stringify(j.rope_scaling)}: LFM2's import takes no rope scaling (only null)`);
  for (const k of ['num_experts', 'num_dense_layers']) if (j[k] !== undefined && j[k] !== null) throw new ModelConfigError(`${source}: ${k} ${JSON.stringify(j[k])}: LFM2's mixture-of-experts models (model_type lfm2_moe) are not imported`);
  const layers = int('num_hidden_layers', 32);
  const dim = int('hidden_size', 2560);
  const heads = int('num_attention_heads', 32);
  if (dim % heads !== 0) throw new ModelConfigError(`${source}: 'hidden_size' ${dim} is not a multiple of 'num_attention_heads' ${heads}`);
  if (j.head_dim !== undefined && j.head_dim !== null && j.head_dim !== dim / heads) throw new ModelConfigError(`${source}: head_dim ${JSON.stringify(j.head_dim)} differs from hidden_size / num_attention_heads = ${dim / heads} (LFM2's is that)`);
  const taps = int('conv_L_cache', 3);
  if (taps < SHORT_CONV_TAPS.min || taps > SHORT_CONV_TAPS.max) throw new ModelConfigError(`${source}: conv_L_cache ${taps}: the short convolution takes ${SHORT_CONV_TAPS.min}..${SHORT_CONV_TAPS.max}`);
  const tied = j.tie_word_embeddings ?? j.tie_embedding ?? true;
  return llamaConfig({
    arch: 'lfm2', vocab: int('vocab_size', 65536), dim, layers, heads, kvHeads: int('num_key_value_heads', 8), ffn: lfm2FfnWidth(j, source),
    ctx: int('max_position_embeddings', 128000), eps: positiveNumber(j, source, 'norm_eps', 1e-5), ropeBase: positiveNumber(j, source, j.rope_theta === undefined && j.theta !== undefined ? 'theta' : 'rope_theta', 1000000),
    tied: tied === true, shortConv: { taps, conv: layerKinds(j, source, layers) },
  });
}
