// Hugging Face mixture-of-experts checkpoints (hf_llama.ts imports them), as llama.cpp's converter writes them into
// GGUF: MixtralForCausalLM (model_type mixtral: GGUF llama with expert_count), Qwen3MoeForCausalLM (qwen3_moe),
// OlmoeForCausalLM (olmoe), Qwen2MoeForCausalLM (qwen2_moe), GraniteMoe(Shared)ForCausalLM (granitemoe,
// granitemoeshared: GGUF granitemoe) and Ernie4_5_MoeForCausalLM (ernie4_5_moe: its leading dense layers, shared
// experts and selection bias, mlp.moe_statics.e_score_correction_bias [1, E], GGUF's exp_probs_b). Each expert's projections (HF: one tensor an expert; Granite: one [E, 2 ffn, dim]
// input_linear whose first half of rows is the gate) are stacked into GGUF's [experts, ffn, dim] tensors; the routers
// and Qwen2-MoE's shared-expert gate ([1, dim] in HF, [dim] in GGUF) are copied. What GGUF's graphs cannot express is
// refused by key: a renormalization other than the graph's (norm_topk_prob), dense layers among the sparse ones
// (decoder_sparse_step, mlp_only_layers, ERNIE's moe_layer_interval / moe_layer_end_index), OLMoE's clip_qkv.
import { numel, type Safetensors } from '../io/safetensors.js';
import { hfTensorF32, positiveInt } from './hf_keys.js';
import { ModelConfigError, type LlamaArch, type LlamaConfig } from './llama_config.js';
import { parseExpertWeight } from './llama_moe.js';
import type { llamaConfig } from './llama_weights.js';

/** config.json's MoE model types and the GGUF architecture each becomes. */
export const HF_MOE_ARCH: Record<string, LlamaArch> = { mixtral: 'llama', qwen3_moe: 'qwen3moe', olmoe: 'olmoe', qwen2_moe: 'qwen2moe', granitemoe: 'granitemoe', granitemoeshared: 'granitemoe', ernie4_5_moe: 'ernie4_5-moe' };

/** The experts of an HF MoE config (for llamaConfig's `moe`), its keys checked against what llama.cpp's graph runs. */
export function hfMoeConfig(j: Record<string, unknown>, source: string, type: string): NonNullable<Parameters<typeof llamaConfig>[0]['moe']> {
  if (type === 'ernie4_5_moe') return ernieMoeConfig(j, source);
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  const qwen = type === 'qwen3_moe' || type === 'qwen2_moe';
  const experts = int(type === 'mixtral' || type.startsWith('granitemoe') ? 'num_local_experts' : 'num_experts');
  const used = int('num_experts_per_tok');
  if (used > experts) throw new ModelConfigError(`${source}: num_experts_per_tok ${used} exceeds the ${experts} experts`);
  // llama.cpp's graphs fix the renormalization: Qwen3-MoE's on, OLMoE's and Qwen2-MoE's off (Mixtral and Granite always renormalize)
  const norm = type === 'qwen3_moe' ? true : type === 'olmoe' || type === 'qwen2_moe' ? false : undefined;
  if (norm !== undefined && j.norm_topk_prob !== undefined && j.norm_topk_prob !== norm) throw new ModelConfigError(`${source}: norm_topk_prob ${JSON.stringify(j.norm_topk_prob)}: llama.cpp's ${HF_MOE_ARCH[type]} runs it ${norm}`);
  if (qwen && j.decoder_sparse_step !== undefined && j.decoder_sparse_step !== 1) throw new ModelConfigError(`${source}: decoder_sparse_step ${JSON.stringify(j.decoder_sparse_step)}: every layer must be sparse (1)`);
  if (qwen && Array.isArray(j.mlp_only_layers) && j.mlp_only_layers.length > 0) throw new ModelConfigError(`${source}: mlp_only_layers ${JSON.stringify(j.mlp_only_layers)}: every layer must be sparse ([])`);
  if (type === 'olmoe' && j.clip_qkv !== undefined && j.clip_qkv !== null) throw new ModelConfigError(`${source}: clip_qkv ${JSON.stringify(j.clip_qkv)}: llama.cpp's olmoe clips nothing (only null)`);
  if (type === 'mixtral' && j.sliding_window !== undefined && j.sliding_window !== null) throw new ModelConfigError(`${source}: sliding_window ${JSON.stringify(j.sliding_window)}: Mixtral's windowed attention is not supported (only null)`);
  const ffn = qwen ? int('moe_intermediate_size') : int('intermediate_size');
  const shared = type === 'qwen2_moe' ? int('shared_expert_intermediate_size') : type === 'granitemoeshared' ? positiveInt(j, source, 'shared_intermediate_size', 0) : 0;
  return { experts, used, ffn, ...(shared > 0 ? { sharedFfn: shared } : {}) };
}

/**
 * Ernie4_5_MoeConfig as llama.cpp's converter writes it (transformers' defaults where a key is absent): the layers from
 * moe_layer_start_index on sparse (GGUF's leading_dense_block_count), moe_k of moe_num_experts experts of
 * moe_intermediate_size, shared experts of moe_intermediate_size x moe_num_shared_experts, and the selection bias every
 * Ernie4_5_MoeSparseMoeBlock has. A sparse layer every moe_layer_interval-th, or sparse layers ending before the last
 * (moe_layer_end_index), are not GGUF's graph: refused by key.
 */
function ernieMoeConfig(j: Record<string, unknown>, source: string): NonNullable<Parameters<typeof llamaConfig>[0]['moe']> {
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  const experts = int('moe_num_experts', 64);
  const used = int('moe_k', 6);
  if (used > experts) throw new ModelConfigError(`${source}: moe_k ${used} exceeds the ${experts} experts`);
  const ffn = int('moe_intermediate_size', 1536);
  if ((j.moe_layer_interval ?? 1) !== 1) throw new ModelConfigError(`${source}: moe_layer_interval ${JSON.stringify(j.moe_layer_interval)}: every layer after the dense ones must be sparse (1; llama.cpp's loader runs no other)`);
  const layers = int('num_hidden_layers', 28);
  const end = j.moe_layer_end_index ?? -1;
  if (end !== -1 && end !== layers - 1) throw new ModelConfigError(`${source}: moe_layer_end_index ${JSON.stringify(end)}: the sparse layers must run to the last (-1 or ${layers - 1})`);
  const start = j.moe_layer_start_index ?? 1;
  if (!Number.isInteger(start) || (start as number) < 0) throw new ModelConfigError(`${source}: 'moe_layer_start_index' must be an integer >= 0, found ${JSON.stringify(j.moe_layer_start_index)}`);
  const shared = j.moe_num_shared_experts === 0 ? 0 : int('moe_num_shared_experts', 0);
  return { experts, used, ffn, ...(shared > 0 ? { sharedFfn: ffn * shared } : {}), ...((start as number) > 0 ? { denseLead: start as number } : {}), selectionBias: true };
}

/** The HF name of the router of layer l (Mixtral's under block_sparse_moe, Granite's router.layer, the others' mlp.gate). */
function routerName(arch: LlamaArch, l: number): string {
  return arch === 'llama' ? `model.layers.${l}.block_sparse_moe.gate.weight` : arch === 'granitemoe' ? `model.layers.${l}.block_sparse_moe.router.layer.weight` : `model.layers.${l}.mlp.gate.weight`;
}

/** Layer l's Granite shared MLP (GraniteMoeShared's shared expert, Granite 4.0's dense FFN): the gate or up half of shared_mlp.input_linear [2 N, K] (gate rows first), or shared_mlp.output_linear. */
export function graniteSharedMlp(st: Safetensors, source: string, l: number, which: 'gate' | 'up' | 'down', shape: readonly number[]): Float32Array {
  const p = `model.layers.${l}.shared_mlp.`;
  if (which === 'down') return hfTensorF32(st, source, `${p}output_linear.weight`, shape);
  const [N, K] = shape;
  const w = hfTensorF32(st, source, `${p}input_linear.weight`, [2 * N, K]);
  return which === 'gate' ? w.slice(0, N * K) : w.slice(N * K);
}

/**
 * A MoE tensor of the GGUF layout read from the checkpoint (stacks built from the experts, Granite's fused halves split,
 * the shared gate reshaped), or null for a tensor that is not the experts' (hf_llama.ts reads those).
 */
export function hfMoeTensor(c: LlamaConfig, name: string, shape: readonly number[], st: Safetensors, source: string): Float32Array | null {
  const m = /^blk\.(\d+)\.(ffn_gate_inp|ffn_gate_exps|ffn_up_exps|ffn_down_exps|ffn_gate_inp_shexp|ffn_gate_shexp|ffn_up_shexp|ffn_down_shexp)\.weight$|^blk\.(\d+)\.(exp_probs_b)\.bias$/.exec(name);
  if (!c.moe || !m || parseExpertWeight(name)) return null;
  const l = Number(m[1] ?? m[3]);
  const part = m[2] ?? m[4];
  const read = (hf: string, want: readonly number[]): Float32Array => hfTensorF32(st, source, hf, want);
  const p = `model.layers.${l}.`;
  const granite = c.arch === 'granitemoe';
  if (part === 'ffn_gate_inp') return read(routerName(c.arch, l), shape);
  if (part === 'exp_probs_b') return read(`${p}mlp.moe_statics.e_score_correction_bias`, [1, shape[0]]); // ERNIE's [1, E]
  if (part === 'ffn_gate_inp_shexp') return read(`${p}mlp.shared_expert_gate.weight`, [1, shape[0]]);
  const [E, N, K] = shape.length === 3 ? shape : [1, shape[0], shape[1]];
  // Granite's fused [gate | up] rows of an expert's input_linear: the gate is the first half (the shared MLP's: graniteSharedMlp).
  const graniteHalf = (w: Float32Array, e: number, up: boolean) => w.subarray((2 * e + (up ? 1 : 0)) * N * K, (2 * e + (up ? 1 : 0) + 1) * N * K);
  if (part.endsWith('_shexp')) {
    if (granite) return graniteSharedMlp(st, source, l, part === 'ffn_gate_shexp' ? 'gate' : part === 'ffn_up_shexp' ? 'up' : 'down', shape);
    return read(`${p}mlp.${c.arch === 'ernie4_5-moe' ? 'shared_experts' : 'shared_expert'}.${part === 'ffn_gate_shexp' ? 'gate' : part === 'ffn_up_shexp' ? 'up' : 'down'}_proj.weight`, shape);
  }
  if (granite && part === 'ffn_down_exps') return read(`${p}block_sparse_moe.output_linear.weight`, shape);
  const out = new Float32Array(numel(shape));
  if (granite) {
    const w = read(`${p}block_sparse_moe.input_linear.weight`, [E, 2 * N, K]);
    for (let e = 0; e < E; e++) out.set(graniteHalf(w, e, part === 'ffn_up_exps'), e * N * K);
    return out;
  }
  const mixtral = { ffn_gate_exps: 'w1', ffn_up_exps: 'w3', ffn_down_exps: 'w2' } as Record<string, string>;
  const proj = { ffn_gate_exps: 'gate_proj', ffn_up_exps: 'up_proj', ffn_down_exps: 'down_proj' } as Record<string, string>;
  for (let e = 0; e < E; e++) out.set(read(c.arch === 'llama' ? `${p}block_sparse_moe.experts.${e}.${mixtral[part]}.weight` : `${p}mlp.experts.${e}.${proj[part]}.weight`, [N, K]), e * N * K);
  return out;
}
