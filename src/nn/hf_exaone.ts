// EXAONE 3.x from a Hugging Face checkpoint (ExaoneForCausalLM, model_type exaone: EXAONE 3.5 2.4B / 7.8B / 32B; its
// remote code names a Llama's tensors GPT-2's way), as llama.cpp's converter writes GGUF's exaone: a Llama whose rows
// stay in HF's rotate-half order (GGUF's exaone rotates halves, NEOX: measured against llama.cpp), Llama 3 rope
// scaling as rope_freqs. Its config keys are read as a Llama's (num_layers, layer_norm_epsilon, activation_function).
import { ModelConfigError } from './llama_config.js';

/** EXAONE 3's HF tensor names by GGUF part (blk.N.<part>.weight -> transformer.h.N.<name>.weight). */
export const EXAONE_NAMES: Record<string, string> = {
  attn_norm: 'ln_1', ffn_norm: 'ln_2', attn_q: 'attn.attention.q_proj', attn_k: 'attn.attention.k_proj', attn_v: 'attn.attention.v_proj',
  attn_output: 'attn.attention.out_proj', ffn_gate: 'mlp.c_fc_0', ffn_up: 'mlp.c_fc_1', ffn_down: 'mlp.c_proj',
};

/** EXAONE 3's whole-model tensors by GGUF name. */
export const EXAONE_FIXED: Record<string, string> = { 'token_embd.weight': 'transformer.wte.weight', 'output_norm.weight': 'transformer.ln_f.weight', 'output.weight': 'lm_head.weight' };

/** An ExaoneConfig's keys as the Llama config reader takes them (a key given both ways is refused). */
export function exaoneAsLlama(j: Record<string, unknown>, source: string): Record<string, unknown> {
  const out = { ...j };
  for (const [from, to] of [['num_layers', 'num_hidden_layers'], ['layer_norm_epsilon', 'rms_norm_eps'], ['activation_function', 'hidden_act']] as const) {
    if (j[from] === undefined) continue;
    if (j[to] !== undefined) throw new ModelConfigError(`${source}: both '${from}' and '${to}' are given`);
    out[to] = j[from];
    delete out[from];
  }
  if ((out.hidden_act ?? 'silu') !== 'silu') throw new ModelConfigError(`${source}: activation_function ${JSON.stringify(out.hidden_act)}: GGUF's exaone runs silu (SwiGLU)`);
  return out;
}
