// Mixture-of-experts FFNs (LlamaConfig.moe), as llama.cpp's build_moe_ffn runs them (gpt-oss's with biases and a clamped SwiGLU): Mixtral (GGUF `llama` with
// `expert_count`), Qwen3-MoE (`qwen3moe`), OLMoE (`olmoe`), Qwen1.5 / Qwen2-MoE (`qwen2moe`, with a gated shared
// expert) and IBM's Granite 3 MoE (`granitemoe`, or `granite` with `expert_count`; Granite 3.1 / 4.0's shared expert
// ungated, where `expert_shared_feed_forward_length` > 0), its sum times granite's residual scale, LFM2-MoE (`lfm2moe`) and
// Baidu's ERNIE 4.5 MoE (`ernie4_5-moe`: dense leading layers, an ungated shared expert, a selection bias where the file
// has one), Ling (`bailingmoe`), Hunyuan-A13B (`hunyuan-moe`: experts of feed_forward_length and an ungated shared
// expert, after hunyuan-dense's attention), GLM-4.5 (`glm4moe`: sigmoids with a selection bias, a shared expert), Qwen3.5 MoE (`qwen35moe`: Qwen2-MoE's gated shared expert after qwen35's layers), SmallThinker (`smallthinker`: ReGLU experts, the router reading the layer's input), dots.llm1 (`dots1`: glm4moe's experts after qwen3's attention) Mellum (`mellum`: qwen3moe's experts and attention, interleaved sliding layers), Ling 2.0 (`bailingmoe2`: dots1's experts), Qwen3-Next (`qwen3next`: qwen35moe's), Llama 4 (`llama4`: every step-th layer, the experts weighted before their FFN, an ungated shared expert), Phi-3.5-MoE (`phimoe`) and MiniMax-M2 (`minimax-m2`: sigmoids with a selection bias); any of them by DeepSeek V3's expert groups where the file has them. Each layer's router blk.N.ffn_gate_inp [experts, dim] scores a row; a softmax over the experts; the `used`
// most probable are the row's experts, weighted by their probabilities (renormalized to sum 1 where `norm`); each
// expert is a SwiGLU over its slice of blk.N.ffn_{gate,up}_exps [experts, ffn, dim] and ffn_down_exps
// [experts, dim, ffn]; Qwen2-MoE adds a shared SwiGLU (ffn_{gate,up,down}_shexp) times sigmoid(ffn_gate_inp_shexp . h).
// Keys read (llama.cpp's): <arch>.expert_count, .expert_used_count (required for the MoE architectures),
// .expert_feed_forward_length (qwen2moe, qwen3moe; default feed_forward_length / expert_used_count), and
// .expert_shared_feed_forward_length (qwen2moe: default feed_forward_length; granite: 0, no shared expert).
import type { LlamaArch, LlamaConfig } from './llama_config.js';
import { llamaTensorNames } from './llama_tensors.js';

type LlamaWeights = Record<string, Float32Array>;
import { type Keys, ModelConfigError } from './gguf_keys.js';
import { MOE_MAX_EXPERTS, MOE_MAX_GROUPS } from '../kernels/moe_route.js';

export type MoeConfig = NonNullable<LlamaConfig['moe']>;

/** The architectures whose every layer is a mixture of experts (llama's only where the file has expert_count > 0). */
export const MOE_ARCHS: readonly LlamaArch[] = ['qwen2moe', 'qwen3moe', 'olmoe', 'granitemoe', 'lfm2moe', 'ernie4_5-moe', 'bailingmoe', 'hunyuan-moe', 'glm4moe', 'gpt-oss', 'qwen35moe', 'smallthinker', 'dots1', 'mellum', 'bailingmoe2', 'qwen3next', 'llama4', 'phimoe', 'minimax-m2', 'deepseek', 'dbrx'];

/** Expert e's slice [ffn, dim] (or [dim, ffn]) of a stacked expert tensor: the name a backend binds it by. */
export const expertWeight = (name: string, e: number): string => `${name}[${e}]`;

/** The stacked tensor and the expert of a name expertWeight made (a weight's, or gpt-oss's biases'); null for any other name. */
export function parseExpertWeight(name: string): { tensor: string; expert: number } | null {
  const m = /^(.*_exps\.(?:weight|bias))\[(\d+)\]$/.exec(name);
  return m ? { tensor: m[1], expert: Number(m[2]) } : null;
}

/** llama.cpp's norm_w for each MoE graph: Mixtral, Qwen3-MoE and Granite renormalize the chosen weights, OLMoE and Qwen2-MoE do not. */
const NORM_WEIGHTS: Partial<Record<LlamaArch, boolean>> = { llama: true, qwen3moe: true, olmoe: false, qwen2moe: false, granite: true, granitemoe: true, lfm2moe: true, 'ernie4_5-moe': true, bailingmoe: false /* (read: expert_weights_norm) */, 'hunyuan-moe': true, glm4moe: false /* (read: expert_weights_norm) */, 'gpt-oss': true /* (a softmax over the chosen logits: the same weights) */, granitehybrid: true, qwen35moe: true, smallthinker: true, dots1: false /* (read: expert_weights_norm) */, mellum: true, deepseek2: false /* (read: expert_weights_norm) */, bailingmoe2: false /* (read: expert_weights_norm) */, qwen3next: true, llama4: false, phimoe: true, 'minimax-m2': true, deepseek: false, dbrx: true };

/** llama.cpp's expert_gating_func values: 1 softmax, 2 sigmoid (lfm2moe reads the key; the others' graphs fix the softmax). */
export const GATING_FUNC = { softmax: 1, sigmoid: 2 } as const;

/** lfm2moe's, ernie4_5-moe's and glm4moe's per-layer selection bias (llama.cpp's exp_probs_b): a constant of the model, never trained. */
export const isSelectionBias = (name: string): boolean => name.endsWith('.exp_probs_b.bias');

/** Whether layer l's FFN is the mixture of experts (lfm2moe's, ernie4_5-moe's and glm4moe's first denseLead layers are dense; llama4's but every step-th). */
export const isMoeLayer = (c: LlamaConfig, l: number): boolean => !!c.moe && l >= (c.moe.denseLead ?? 0) && (!c.moe.step || (l + 1) % c.moe.step === 0);

/** Whether the shared expert is gated (qwen2moe, qwen35moe, qwen3next: sigmoid(ffn_gate_inp_shexp . h)); Granite's is added as it is. */
export const sharedExpertGated = (c: LlamaConfig): boolean => c.arch === 'qwen2moe' || c.arch === 'qwen35moe' || c.arch === 'qwen3next';

/**
 * The MoE configuration of a file's header, or undefined for a dense model; errors name the key. `gatingDefault` (deepseek2): the expert_gating_func its
 * files mean where they have none (llama.cpp's deepseek2 loader: softmax, GLM-4.7-Flash's sigmoids).
 */
export function moeFromGguf(k: Keys, a: LlamaArch, ffn: number, has: (key: string) => boolean, hasTensor: (name: string) => boolean, gatingDefault?: number): MoeConfig | undefined {
  const moeArch = MOE_ARCHS.includes(a);
  const experts = k.int(`${a}.expert_count`, moeArch ? undefined : 0, moeArch ? 1 : 0);
  if (experts === 0) {
    if (has(`${a}.expert_used_count`) && k.int(`${a}.expert_used_count`, 0, 0) > 0) throw new ModelConfigError(`model config: metadata '${a}.expert_used_count' is set without '${a}.expert_count'`);
    return undefined;
  }
  if (!(a in NORM_WEIGHTS)) throw new ModelConfigError(`model config: metadata '${a}.expert_count' is ${experts}: ${a}'s mixture-of-experts layers are not supported (its dense models are)`);
  if (experts > MOE_MAX_EXPERTS) throw new ModelConfigError(`model config: metadata '${a}.expert_count' is ${experts}; nibble's router takes up to ${MOE_MAX_EXPERTS} experts`);
  const used = k.int(`${a}.expert_used_count`);
  if (used > experts) throw new ModelConfigError(`model config: metadata '${a}.expert_used_count' ${used} exceeds '${a}.expert_count' ${experts}`);
  const groups = expertGroups(k, a, experts, used);
  // llama.cpp: qwen2moe / qwen3moe read expert_feed_forward_length (else feed_forward_length / used); Mixtral and
  // OLMoE size their experts by feed_forward_length.
  const qwen = a === 'qwen2moe' || a === 'qwen3moe' || a === 'qwen35moe' || a === 'qwen3next';
  const ernie = a === 'ernie4_5-moe';
  const expertFfn = qwen ? k.int(`${a}.expert_feed_forward_length`, Math.floor(ffn / used)) : a === 'lfm2moe' || ernie || a === 'smallthinker' || a === 'mellum' ? k.int(`${a}.expert_feed_forward_length`) : ffn;
  if (expertFfn < 1) throw new ModelConfigError(`model config: the experts' feed-forward length is 0 ('${a}.feed_forward_length' ${ffn} / '${a}.expert_used_count' ${used})`);
  // (hunyuan-moe: its shared expert always there, the key required, as llama.cpp's loader reads it)
  // (qwen3next: always a shared expert, of feed_forward_length where the key is absent or 0)
  const sharedFfn = a === 'qwen2moe' || a === 'qwen35moe' ? k.int(`${a}.expert_shared_feed_forward_length`, ffn) : a === 'qwen3next' ? k.int(`${a}.expert_shared_feed_forward_length`, 0, 0) || ffn : a === 'hunyuan-moe' ? k.int(`${a}.expert_shared_feed_forward_length`) : a === 'granite' || a === 'granitemoe' || a === 'granitehybrid' || ernie ? k.int(`${a}.expert_shared_feed_forward_length`, 0, 0) : 0;
  const shared = sharedFfn > 0 ? { sharedFfn } : {};
  // lfm2moe (LFM2-8B-A1B): dense leading layers, the gating function read (sigmoid in LFM2), a selection bias
  if (a === 'bailingmoe') return { ...bailingMoe(k, a, experts, used), ...groups };
  if (a === 'llama4') return { ...llama4Moe(k, a, experts, used), ...groups };
  if (a === 'minimax-m2') return { ...minimaxM2Moe(k, a, experts, used, ffn), ...groups };
  if (a === 'deepseek') return { ...deepseekMoe(k, a, experts, used), ...groups };
  if (a === 'glm4moe') return { ...glm4Moe(k, a, experts, used), ...groups };
  if (a === 'dots1' || a === 'deepseek2' || a === 'bailingmoe2') return { ...dots1Moe(k, a, experts, used, hasTensor, gatingDefault), ...groups };
  // gpt-oss: experts of expert_feed_forward_length, the router's and the experts' biases; llama.cpp's softmax over
  // the chosen experts' logits (its SOFTMAX_WEIGHT gating) is the softmax over all of them renormalized over the chosen
  // (llama.cpp would group its raw logits, whose two largest rank groups otherwise than the probabilities: refused)
  if (a === 'gpt-oss' && groups.groups) throw new ModelConfigError(`model config: metadata '${a}.expert_group_count' is ${groups.groups.count}: gpt-oss's router groups its logits in llama.cpp, which nibble does not follow`);
  if (a === 'gpt-oss') return { experts, used, ffn: k.int(`${a}.expert_feed_forward_length`), norm: true, biases: true };
  // hunyuan-moe: llama.cpp requires expert_feed_forward_length but sizes the experts by feed_forward_length
  const hunyuanFfn = a === 'hunyuan-moe' ? k.int(`${a}.expert_feed_forward_length`) : ffn;
  if (hunyuanFfn !== ffn) throw new ModelConfigError(`model config: metadata '${a}.expert_feed_forward_length' ${hunyuanFfn} differs from '${a}.feed_forward_length' ${ffn}: llama.cpp's hunyuan-moe sizes its experts by the latter`);
  // smallthinker: the router reads the layer's input; the gating function required (llama.cpp aborts without one)
  const extras = a === 'lfm2moe' ? lfm2moeExtras(k, a) : ernie ? ernieMoeExtras(k, a, hasTensor) : a === 'smallthinker' ? { ...gating(k, a), routerOnInput: true as const } : {};
  return { experts, used, ffn: expertFfn, norm: NORM_WEIGHTS[a]!, ...shared, ...extras, ...groups };
}

/**
 * The expert groups (DeepSeek V3's group-limited selection): llama.cpp's loader reads expert_group_count and
 * expert_group_used_count for every architecture and its build_moe_ffn keeps only the best used groups' experts where
 * there is more than one group. Its loader's asserts are errors here (groups fewer than the experts and dividing them,
 * 0 < used groups < groups), and its graph's: a group's score is its two largest (at least 2 experts a group), and the
 * used groups must hold the experts a token uses.
 */
function expertGroups(k: Keys, a: LlamaArch, experts: number, used: number): Pick<MoeConfig, 'groups'> {
  const count = k.int(`${a}.expert_group_count`, 0, 0);
  if (count <= 1) return {};
  const key = `${a}.expert_group_count`;
  if (count > MOE_MAX_GROUPS) throw new ModelConfigError(`model config: metadata '${key}' is ${count}; nibble's router takes up to ${MOE_MAX_GROUPS} groups`);
  if (experts % count !== 0 || experts / count < 2) throw new ModelConfigError(`model config: metadata '${key}' ${count} must divide '${a}.expert_count' ${experts} into groups of at least 2 experts`);
  const groupsUsed = k.int(`${a}.expert_group_used_count`);
  if (groupsUsed >= count) throw new ModelConfigError(`model config: metadata '${a}.expert_group_used_count' is ${groupsUsed}; it must be 1..${count - 1} ('${key}' less one)`);
  if (groupsUsed * (experts / count) < used) throw new ModelConfigError(`model config: metadata '${a}.expert_group_used_count' ${groupsUsed} groups of ${experts / count} experts hold fewer than '${a}.expert_used_count' ${used}`);
  return { groups: { count, used: groupsUsed } };
}

/**
 * bailingmoe (Ling-lite, Ling-Coder-lite): experts of expert_feed_forward_length, a shared expert expert_shared_count
 * of them wide (required: llama.cpp's loader always makes it), the renormalization read (expert_weights_norm, default
 * false) and the routed weights times expert_weights_scale where the file gives one. llama.cpp reads
 * leading_dense_block_count but makes every layer sparse: so does nibble.
 */
function bailingMoe(k: Keys, a: LlamaArch, experts: number, used: number): MoeConfig {
  const ffn = k.int(`${a}.expert_feed_forward_length`);
  return { experts, used, ffn, ...routedWeights(k, a), sharedFfn: ffn * k.int(`${a}.expert_shared_count`) };
}

/**
 * deepseek (DeepSeek-MoE): experts of expert_feed_forward_length (required), softmax weights never renormalized (its
 * graph passes false; expert_weights_norm is not read), times expert_weights_scale where given; a shared SwiGLU of
 * expert_shared_count (required, >= 1) experts' width, added ungated; dense layers before leading_dense_block_count.
 */
function deepseekMoe(k: Keys, a: LlamaArch, experts: number, used: number): MoeConfig {
  const ffn = k.int(`${a}.expert_feed_forward_length`);
  const scale = k.float(`${a}.expert_weights_scale`, 0, true);
  const denseLead = k.int(`${a}.leading_dense_block_count`, 0, 0);
  return { experts, used, ffn, norm: false, sharedFfn: ffn * k.int(`${a}.expert_shared_count`, undefined, 1), ...(scale !== 0 && scale !== 1 ? { weightScale: scale } : {}), ...(denseLead > 0 ? { denseLead } : {}) };
}

/**
 * llama4 (Llama 4 Scout, Maverick): experts of expert_feed_forward_length (required) in every interleave_moe_layer_step-th
 * layer (required), the others dense; chosen by their router logits, weighted by sigmoids, unnormalized, each applied to
 * its expert's input (llama.cpp's weight_before_ffn for LLM_ARCH_LLAMA4); an ungated shared expert of the experts' width.
 */
function llama4Moe(k: Keys, a: LlamaArch, experts: number, used: number): MoeConfig {
  const ffn = k.int(`${a}.expert_feed_forward_length`);
  const step = k.int(`${a}.interleave_moe_layer_step`);
  return { experts, used, ffn, norm: false, gating: 'sigmoid', sharedFfn: ffn, weightBeforeFfn: true, ...(step > 1 ? { step } : {}) };
}

/**
 * minimax-m2 (MiniMax-M2): experts sized by feed_forward_length (llama.cpp requires expert_feed_forward_length and
 * sizes them by the former: the two must agree), the gating function required (llama.cpp's default, none, aborts),
 * the selection bias required, renormalized, no shared expert.
 */
function minimaxM2Moe(k: Keys, a: LlamaArch, experts: number, used: number, ffn: number): MoeConfig {
  const expertFfn = k.int(`${a}.expert_feed_forward_length`);
  if (expertFfn !== ffn) throw new ModelConfigError(`model config: metadata '${a}.expert_feed_forward_length' ${expertFfn} differs from '${a}.feed_forward_length' ${ffn}: llama.cpp's minimax-m2 sizes its experts by the latter`);
  return { experts, used, ffn, norm: true, selectionBias: true, ...gating(k, a) };
}

/**
 * ernie4_5-moe (ERNIE-4.5-21B-A3B, 300B-A47B): its leading dense layers, and its selection bias where the file has it
 * (llama.cpp's loader takes exp_probs_b as optional). llama.cpp's graph makes layer l sparse where l >= the dense count
 * and (l + 1) % interleave_moe_layer_step == 0, but its loader gives every layer past the dense ones the experts' tensors
 * and no dense FFN: only a step of 1 runs there, and here.
 */
function ernieMoeExtras(k: Keys, a: LlamaArch, hasTensor: (name: string) => boolean): Pick<MoeConfig, 'denseLead' | 'selectionBias'> {
  const denseLead = k.int(`${a}.leading_dense_block_count`, undefined, 0);
  const step = k.int(`${a}.interleave_moe_layer_step`);
  if (step !== 1) throw new ModelConfigError(`model config: metadata '${a}.interleave_moe_layer_step' is ${step}; nibble (like llama.cpp's loader) runs 1: every layer after the leading dense ones a mixture of experts`);
  return { ...(denseLead > 0 ? { denseLead } : {}), ...(hasTensor(`blk.${denseLead}.exp_probs_b.bias`) ? { selectionBias: true as const } : {}) };
}

/**
 * glm4moe (GLM-4.5, GLM-4.5-Air, GLM-4.6): leading dense layers, experts of expert_feed_forward_length chosen by
 * sigmoids (expert_gating_func, default 2) plus a selection bias (exp_probs_b, required), the renormalization and the
 * routed weights' scale read (expert_weights_norm, expert_weights_scale), a shared expert expert_shared_count experts
 * wide where the count is above 0.
 */
function glm4Moe(k: Keys, a: LlamaArch, experts: number, used: number): MoeConfig {
  const ffn = k.int(`${a}.expert_feed_forward_length`);
  const shared = k.int(`${a}.expert_shared_count`, undefined, 0);
  const denseLead = k.int(`${a}.leading_dense_block_count`, 0, 0);
  return { experts, used, ffn, ...routedWeights(k, a), selectionBias: true, ...(shared > 0 ? { sharedFfn: ffn * shared } : {}), ...(denseLead > 0 ? { denseLead } : {}), ...gating(k, a, GATING_FUNC.sigmoid) };
}

/**
 * dots1 (rednote's dots.llm1): glm4moe's experts after qwen3's attention: leading dense layers, experts of
 * expert_feed_forward_length, the gating function required (llama.cpp aborts without one), a selection bias where the
 * file has one (llama.cpp's loader takes exp_probs_b as optional), the renormalization and the scale read, and a shared
 * expert expert_shared_count experts wide (required, at least 1: llama.cpp's loader always makes it). deepseek2's the
 * same, its gating function optional (gatingDefault); bailingmoe2's (Ling 2.0) too, its shared expert's width
 * expert_shared_feed_forward_length where the key is above 0.
 */
function dots1Moe(k: Keys, a: LlamaArch, experts: number, used: number, hasTensor: (name: string) => boolean, gatingDefault?: number): MoeConfig {
  const ffn = k.int(`${a}.expert_feed_forward_length`);
  const denseLead = k.int(`${a}.leading_dense_block_count`, 0, 0);
  const selection = hasTensor(`blk.${denseLead}.exp_probs_b.bias`) ? { selectionBias: true as const } : {};
  // (bailingmoe2: a shared expert of expert_shared_feed_forward_length where the key is there and not 0)
  const sharedWidth = a === 'bailingmoe2' ? k.int(`${a}.expert_shared_feed_forward_length`, 0, 0) || ffn : ffn;
  return { experts, used, ffn, ...routedWeights(k, a), sharedFfn: sharedWidth * k.int(`${a}.expert_shared_count`, undefined, 1), ...(denseLead > 0 ? { denseLead } : {}), ...gating(k, a, gatingDefault), ...selection };
}

/** bailingmoe's, glm4moe's and dots1's routed weights: renormalized where expert_weights_norm (default false), times expert_weights_scale where the file gives one. */
function routedWeights(k: Keys, a: LlamaArch): Pick<MoeConfig, 'norm' | 'weightScale'> {
  const scale = k.float(`${a}.expert_weights_scale`, 0, true);
  return { norm: k.bool(`${a}.expert_weights_norm`, false), ...(scale !== 0 && scale !== 1 ? { weightScale: scale } : {}) };
}

/** expert_gating_func (lfm2moe, smallthinker, dots1: required; glm4moe: default sigmoid): 1 softmax (the default of MoeConfig), 2 sigmoid. */
function gating(k: Keys, a: LlamaArch, dflt?: number): Pick<MoeConfig, 'gating'> {
  const g = k.int(`${a}.expert_gating_func`, dflt);
  if (g !== GATING_FUNC.softmax && g !== GATING_FUNC.sigmoid) throw new ModelConfigError(`model config: metadata '${a}.expert_gating_func' is ${g}; nibble runs 1 (softmax) and 2 (sigmoid)`);
  return g === GATING_FUNC.sigmoid ? { gating: 'sigmoid' } : {};
}

/**
 * glm4moe's layers: block_count less its multi-token-prediction layers (nextn_predict_layers, which llama.cpp loads and
 * never runs); GLM-4.5V's M-RoPE sections refused by key.
 */
export function glm4moeLayers(k: Keys, a: LlamaArch, metadata: Record<string, unknown>): number {
  if (`${a}.rope.dimension_sections` in metadata) throw new ModelConfigError(`model config: metadata '${a}.rope.dimension_sections': GLM-4.5V's M-RoPE is not supported`);
  return nextnLayers(k, a);
}

/** The layers a file runs: block_count less its nextn_predict_layers (multi-token-prediction blocks, loaded by llama.cpp and never run). */
export function nextnLayers(k: Keys, a: LlamaArch): number {
  const blocks = k.int(`${a}.block_count`);
  const nextn = k.int(`${a}.nextn_predict_layers`, 0, 0);
  if (nextn >= blocks) throw new ModelConfigError(`model config: metadata '${a}.nextn_predict_layers' ${nextn} must be below '${a}.block_count' ${blocks}`);
  return blocks - nextn;
}

function lfm2moeExtras(k: Keys, a: LlamaArch): Pick<MoeConfig, 'denseLead' | 'gating' | 'selectionBias'> {
  const denseLead = k.int(`${a}.leading_dense_block_count`, 0, 0);
  return { ...(denseLead > 0 ? { denseLead } : {}), ...gating(k, a), selectionBias: true };
}

/** The tensors of layer `p`'s (a 'blk.N.' prefix) MoE FFN, shapes outermost first as llamaTensorNames lists them. */
export function moeTensorNames(c: LlamaConfig, p: string): { name: string; shape: number[] }[] {
  const m = c.moe!;
  const out = [
    { name: `${p}ffn_gate_inp.weight`, shape: [m.experts, c.dim] },
    { name: `${p}ffn_gate_exps.weight`, shape: [m.experts, m.ffn, c.dim] },
    { name: `${p}ffn_down_exps.weight`, shape: [m.experts, c.dim, m.ffn] },
    { name: `${p}ffn_up_exps.weight`, shape: [m.experts, m.ffn, c.dim] },
  ];
  if (m.selectionBias) out.push({ name: `${p}exp_probs_b.bias`, shape: [m.experts] });
  if (m.biases) out.push({ name: `${p}ffn_gate_inp.bias`, shape: [m.experts] }, { name: `${p}ffn_gate_exps.bias`, shape: [m.experts, m.ffn] }, { name: `${p}ffn_down_exps.bias`, shape: [m.experts, c.dim] }, { name: `${p}ffn_up_exps.bias`, shape: [m.experts, m.ffn] });
  if (m.sharedFfn) {
    const s = m.sharedFfn;
    if (sharedExpertGated(c)) out.push({ name: `${p}ffn_gate_inp_shexp.weight`, shape: [c.dim] });
    out.push({ name: `${p}ffn_gate_shexp.weight`, shape: [s, c.dim] }, { name: `${p}ffn_down_shexp.weight`, shape: [c.dim, s] }, { name: `${p}ffn_up_shexp.weight`, shape: [s, c.dim] });
  }
  return out;
}

/** gpt-oss's experts' biases, blk.N.ffn_{gate,up,down}_exps.bias [experts, n]: a row an expert (expertWeight names each). */
export const isExpertBias = (name: string): boolean => /_exps\.bias$/.test(name);

/** Qwen2-MoE's shared-expert gate: a vector [dim] in the file that the definition reads as a Linear [1, dim]. */
export const isSharedExpertGate = (name: string): boolean => name.endsWith('.ffn_gate_inp_shexp.weight');

/** `weights` with every stack of experts also given as its experts' weights (views), by expertWeight names. */
export function splitExperts(c: LlamaConfig, weights: LlamaWeights): LlamaWeights {
  if (!c.moe) return weights;
  const out: LlamaWeights = { ...weights };
  for (const t of llamaTensorNames(c)) {
    const w = weights[t.name];
    if ((t.shape.length !== 3 && !isExpertBias(t.name)) || !w) continue;
    const n = t.shape.slice(1).reduce((a, d) => a * d, 1);
    if (w.length !== t.shape[0] * n) throw new ModelConfigError(`llama weights: '${t.name}' has ${w.length} values, shape [${t.shape.join(', ')}] needs ${t.shape[0] * n}`);
    for (let e = 0; e < t.shape[0]; e++) out[expertWeight(t.name, e)] ??= w.subarray(e * n, (e + 1) * n);
    delete out[t.name];
  }
  return out;
}

/** `weights` with each expert's weights stacked back into its GGUF tensor [E, N, K] (what the writers and the engine read). */
export function stackExperts(c: LlamaConfig, weights: LlamaWeights): LlamaWeights {
  if (!c.moe) return weights;
  const out: LlamaWeights = { ...weights };
  for (const t of llamaTensorNames(c)) {
    if ((t.shape.length !== 3 && !isExpertBias(t.name)) || out[t.name]) continue;
    const n = t.shape.slice(1).reduce((a, d) => a * d, 1);
    const stack = new Float32Array(t.shape[0] * n);
    for (let e = 0; e < t.shape[0]; e++) {
      const w = out[expertWeight(t.name, e)];
      if (!w || w.length !== n) throw new ModelConfigError(`llama weights: expert weight '${expertWeight(t.name, e)}' ${w ? `has ${w.length} values, expected ${n}` : 'is missing'}`);
      stack.set(w, e * n);
      delete out[expertWeight(t.name, e)];
    }
    out[t.name] = stack;
  }
  return out;
}
