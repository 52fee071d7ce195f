// IBM Granite 4.0 from a Hugging Face checkpoint (GraniteMoeHybridForCausalLM, model_type granitemoehybrid) whose
// layers are all attention: Granite 4.0 1B / 350M / Micro (the H models interleave Mamba-2 layers, which nibble does
// not run: refused by key). llama.cpp's converter writes such a checkpoint as GGUF's `granite` (no experts) or
// `granitemoe` (experts and the shared MLP), and so does the import: granite's multipliers, the shared MLP
// (shared_mlp.input_linear [2 S, hidden], gate rows first, and shared_mlp.output_linear) as the dense FFN where
// num_local_experts is 0, else as the shared expert next to block_sparse_moe (GraniteMoeShared's names, hf_moe.ts).
// RoPE turns q and k only where position_embedding_type is "rope", as transformers' GraniteMoeHybridAttention does;
// without it the GGUF says rope.scaling.finetuned false (granite's switch for a model without RoPE; a MoE one is
// refused: llama.cpp 3.21.1's granitemoe rotates regardless).
import type { Safetensors } from '../io/safetensors.js';
import { positiveInt } from './hf_keys.js';
import { graniteSharedMlp } from './hf_moe.js';
import { ModelConfigError } from './llama_config.js';

/** config.json's model type of Granite 4.0. */
export const GRANITE4_TYPE = 'granitemoehybrid';

/**
 * A Granite 4.0 config as the Granite config it is (`type`: granite, or granitemoeshared where it has experts): the
 * dense FFN's width is shared_intermediate_size; `rope`: whether q and k are rotated. Mamba-2 layers are refused.
 */
export function granite4AsGranite(j: Record<string, unknown>, source: string): { json: Record<string, unknown>; type: 'granite' | 'granitemoeshared'; rope: boolean } {
  const layers = positiveInt(j, source, 'num_hidden_layers');
  const lt = j.layer_types;
  if (!Array.isArray(lt) || lt.length !== layers) throw new ModelConfigError(`${source}: layer_types ${JSON.stringify(lt)}: a GraniteMoeHybrid config lists its ${layers} layers ('attention' or 'mamba')`);
  if (lt.some((t) => t !== 'attention')) throw new ModelConfigError(`${source}: layer_types ${JSON.stringify(lt)}: Granite 4.0 H's Mamba-2 layers are not supported (only 'attention' layers: Granite 4.0 1B, 350M, Micro)`);
  const pe = j.position_embedding_type ?? null;
  if (pe !== null && pe !== 'rope' && pe !== 'nope') throw new ModelConfigError(`${source}: position_embedding_type ${JSON.stringify(pe)}: 'rope', 'nope' or null`);
  if (j.hidden_act !== undefined && j.hidden_act !== 'silu') throw new ModelConfigError(`${source}: hidden_act ${JSON.stringify(j.hidden_act)}: Granite 4.0's MLP is a SwiGLU (silu)`);
  const { layer_types: _, ...rest } = j; // ('attention' everywhere: not the windowed layer_types the other configs have)
  const experts = j.num_local_experts ?? 0;
  if (experts !== 0) {
    // (measured: llama.cpp 3.21.1's granitemoe rotates whatever rope.scaling.finetuned says; its granite honors it)
    if (pe !== 'rope') throw new ModelConfigError(`${source}: position_embedding_type ${JSON.stringify(pe)} with experts: llama.cpp's granitemoe (3.21.1, the judge) applies RoPE regardless of rope.scaling.finetuned, so a Granite 4.0 MoE without RoPE is not imported`);
    return { json: rest, type: 'granitemoeshared', rope: true };
  }
  // (the dense FFN is the shared MLP: llama.cpp's converter writes it as ffn_gate / ffn_up / ffn_down)
  return { json: { ...rest, intermediate_size: positiveInt(j, source, 'shared_intermediate_size') }, type: 'granite', rope: pe === 'rope' };
}

/** Whether an HF config is a Granite 4.0 one whose dense FFN is its shared MLP (hfGranite4Tensor reads it). */
export const isGranite4Dense = (j: unknown): boolean => !!j && typeof j === 'object' && (j as Record<string, unknown>).model_type === GRANITE4_TYPE && !(j as Record<string, unknown>).num_local_experts;

/** A dense Granite 4.0's ffn_gate / ffn_up / ffn_down from its shared MLP, or null for any other tensor. */
export function hfGranite4Tensor(name: string, shape: readonly number[], st: Safetensors, source: string): Float32Array | null {
  const m = /^blk\.(\d+)\.ffn_(gate|up|down)\.weight$/.exec(name);
  return m ? graniteSharedMlp(st, source, Number(m[1]), m[2] as 'gate' | 'up' | 'down', shape) : null;
}
