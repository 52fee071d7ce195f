// IBM Granite 4.0 from a Hugging Face checkpoint (GraniteMoeHybridForCausalLM, model_type granitemoehybrid): with
// every layer attention (Granite 4.0 1B / 350M / Micro) llama.cpp's converter writes it as GGUF's `granite` (no experts)
// or `granitemoe` (experts and the shared MLP); with Mamba-2 layers (layer_types "mamba": the H models) as
// `granitehybrid` (src/nn/llama_ssm.ts), and so does the import: the mixer's mamba.in_proj, conv1d [channels, 1, taps]
// squeezed to [channels, taps], dt_bias, A_log as ssm_a = -exp(A_log) [heads, 1], D [heads, 1], norm.weight as
// [groups, inner / groups] and out_proj (as llama.cpp's converter reshapes them). Granite's multipliers, the shared MLP
// (shared_mlp.input_linear [2 S, hidden], gate rows first, and shared_mlp.output_linear) as the dense FFN where
// num_local_experts is 0, else as the shared expert next to block_sparse_moe (GraniteMoeShared's names, hf_moe.ts).
// RoPE turns q and k only where position_embedding_type is "rope", as transformers' GraniteMoeHybridAttention does;
// without it the GGUF says rope.scaling.finetuned false (granite's switch for a model without RoPE; a MoE one without
// Mamba-2 layers is refused: llama.cpp 3.21.1's granitemoe rotates regardless, where its granitehybrid honors it).
import type { Safetensors } from '../io/safetensors.js';
import { positiveInt } from './hf_keys.js';
import { graniteSharedMlp } from './hf_moe.js';
import { ModelConfigError, type LlamaConfig } from './llama_config.js';
import { hfTensorF32 } from './hf_keys.js';

/** config.json's model type of Granite 4.0. */
export const GRANITE4_TYPE = 'granitemoehybrid';

/**
 * A Granite 4.0 config as the Granite config it is (`type`: granite, or granitemoeshared where it has experts): the
 * dense FFN's width is shared_intermediate_size; `rope`: whether q and k are rotated; `ssm`: the Mamba-2 layers'
 * configuration where layer_types has any (the GGUF is then granitehybrid).
 */
export function granite4AsGranite(j: Record<string, unknown>, source: string): { json: Record<string, unknown>; type: 'granite' | 'granitemoeshared'; rope: boolean; ssm?: LlamaConfig['ssm'] } {
  const layers = positiveInt(j, source, 'num_hidden_layers');
  const lt = j.layer_types;
  if (!Array.isArray(lt) || lt.length !== layers || lt.some((t) => t !== 'attention' && t !== 'mamba')) throw new ModelConfigError(`${source}: layer_types ${JSON.stringify(lt)}: a GraniteMoeHybrid config lists its ${layers} layers ('attention' or 'mamba')`);
  const ssm = lt.includes('mamba') ? granite4Ssm(j, source, lt.map((t) => t === 'mamba')) : undefined;
  const pe = j.position_embedding_type ?? null;
  if (pe !== null && pe !== 'rope' && pe !== 'nope') throw new ModelConfigError(`${source}: position_embedding_type ${JSON.stringify(pe)}: 'rope', 'nope' or null`);
  if (j.hidden_act !== undefined && j.hidden_act !== 'silu') throw new ModelConfigError(`${source}: hidden_act ${JSON.stringify(j.hidden_act)}: Granite 4.0's MLP is a SwiGLU (silu)`);
  const { layer_types: _, ...rest } = j; // ('attention' everywhere: not the windowed layer_types the other configs have)
  const experts = j.num_local_experts ?? 0;
  if (experts !== 0) {
    // (measured: llama.cpp 3.21.1's granitemoe rotates whatever rope.scaling.finetuned says; its granite and granitehybrid honor it)
    if (pe !== 'rope' && !ssm) throw new ModelConfigError(`${source}: position_embedding_type ${JSON.stringify(pe)} with experts: llama.cpp's granitemoe (3.21.1, the judge) applies RoPE regardless of rope.scaling.finetuned, so a Granite 4.0 MoE without RoPE is not imported`);
    return { json: rest, type: 'granitemoeshared', rope: pe === 'rope', ...(ssm ? { ssm } : {}) };
  }
  // (the dense FFN is the shared MLP: llama.cpp's converter writes it as ffn_gate / ffn_up / ffn_down)
  return { json: { ...rest, intermediate_size: positiveInt(j, source, 'shared_intermediate_size') }, type: 'granite', rope: pe === 'rope', ...(ssm ? { ssm } : {}) };
}

/**
 * The Mamba-2 layers of a Granite 4.0 H config: mamba_n_heads of mamba_d_head channels (their product
 * mamba_expand x hidden_size, and mamba_expand 2, as llama.cpp asserts), mamba_d_state, mamba_d_conv, mamba_n_groups;
 * the conv's bias required (llama.cpp 3.21.1 aborts without it) and no projection biases (llama.cpp reads none).
 */
function granite4Ssm(j: Record<string, unknown>, source: string, layers: boolean[]): NonNullable<LlamaConfig['ssm']> {
  const int = (k: string, d?: number) => positiveInt(j, source, k, d);
  const dim = int('hidden_size');
  const heads = int('mamba_n_heads');
  const expand = int('mamba_expand', 2);
  const inner = expand * dim;
  if (expand !== 2) throw new ModelConfigError(`${source}: mamba_expand ${expand}: llama.cpp's granitehybrid needs 2 (an inner width twice hidden_size)`);
  if (int('mamba_d_head', inner / heads) * heads !== inner) throw new ModelConfigError(`${source}: mamba_n_heads ${heads} x mamba_d_head ${JSON.stringify(j.mamba_d_head)} must be mamba_expand x hidden_size = ${inner}`);
  const groups = int('mamba_n_groups', 1);
  if (heads % groups !== 0) throw new ModelConfigError(`${source}: mamba_n_groups ${groups} must divide mamba_n_heads ${heads}`);
  if ((j.mamba_conv_bias ?? true) !== true) throw new ModelConfigError(`${source}: mamba_conv_bias ${JSON.stringify(j.mamba_conv_bias)}: llama.cpp's granitehybrid needs the conv's bias`);
  if (j.mamba_proj_bias === true) throw new ModelConfigError(`${source}: mamba_proj_bias is true: llama.cpp's granitehybrid has no in_proj / out_proj biases`);
  const taps = int('mamba_d_conv', 4);
  return { taps, inner, state: int('mamba_d_state'), heads, groups, layers };
}

/** A Granite 4.0 H mixer tensor (blk.N.ssm_*) from the checkpoint's mamba.*, reshaped and A_log turned into A; null for any other. */
export function hfGranite4SsmTensor(name: string, shape: readonly number[], st: Safetensors, source: string): Float32Array | null {
  const m = /^blk\.(\d+)\.(ssm_in\.weight|ssm_conv1d\.weight|ssm_conv1d\.bias|ssm_dt\.bias|ssm_a|ssm_d|ssm_norm\.weight|ssm_out\.weight)$/.exec(name);
  if (!m) return null;
  const hf = `model.layers.${m[1]}.mamba.${({ 'ssm_in.weight': 'in_proj.weight', 'ssm_conv1d.weight': 'conv1d.weight', 'ssm_conv1d.bias': 'conv1d.bias', 'ssm_dt.bias': 'dt_bias', ssm_a: 'A_log', ssm_d: 'D', 'ssm_norm.weight': 'norm.weight', 'ssm_out.weight': 'out_proj.weight' } as Record<string, string>)[m[2]]}`;
  // conv1d [ch, 1, taps]; A_log, D [heads]; norm [inner]: the GGUF shapes are those, reshaped
  const want = m[2] === 'ssm_conv1d.weight' ? [shape[0], 1, shape[1]] : m[2] === 'ssm_a' || m[2] === 'ssm_d' ? [shape[0]] : m[2] === 'ssm_norm.weight' ? [shape[0] * shape[1]] : [...shape];
  const w = hfTensorF32(st, source, hf, want, (s) => s);
  return m[2] === 'ssm_a' ? w.map((v) => -Math.exp(v)) : w;
}

/** Whether an HF config is a Granite 4.0 one whose dense FFN is its shared MLP (hfGranite4Tensor reads it). */
export const isGranite4Dense = (j: unknown): boolean => !!j && typeof j === 'object' && (j as Record<string, unknown>).model_type === GRANITE4_TYPE && !(j as Record<string, unknown>).num_local_experts;

/** A dense Granite 4.0's ffn_gate / ffn_up / ffn_down from its shared MLP, or null for any other tensor. */
export function hfGranite4Tensor(name: string, shape: readonly number[], st: Safetensors, source: string): Float32Array | null {
  const m = /^blk\.(\d+)\.ffn_(gate|up|down)\.weight$/.exec(name);
  return m ? graniteSharedMlp(st, source, Number(m[1]), m[2] as 'gate' | 'up' | 'down', shape) : null;
}
