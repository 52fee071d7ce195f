// Import of a Hugging Face Llama-family checkpoint (config.json + model.safetensors, HF tensor names) for
// fine-tuning: LlamaForCausalLM (and Mistral's without a sliding window, the same model) as GGUF's `llama`,
// Qwen2ForCausalLM (q / k / v biases) as GGUF's `qwen2`, Qwen3ForCausalLM (no biases; q and k RMS-normalized per
// head before RoPE, q_norm / k_norm of [head_dim]; head_dim need not be hidden_size / num_attention_heads) as GGUF's
// `qwen3`; the config becomes a LlamaConfig, the tensors GGUF-named LlamaWeights. HF's RoPE rotates the two halves
// of each head (rotate_half); GGUF's llama layout rotates adjacent pairs, so a Llama's q_proj and k_proj rows are
// permuted as llama.cpp's convert_hf_to_gguf.py does (within each head, row j * (hd / 2) + i moves to row 2 i + j,
// for i < hd / 2, j < 2); GGUF's qwen2 and qwen3 rotate halves as HF does, so a Qwen's are not. Every missing or
// misshapen tensor is named with the shape expected; F32, F16 and BF16 are read.
// Gemma3ForCausalLM (model_type gemma3_text, the text model) becomes GGUF's `gemma3` as llama.cpp's converter makes
// it: every norm weight + 1 (Gemma's RMSNorm multiplies by 1 + weight), HF's post_attention_layernorm is GGUF's
// post_attention_norm and pre_feedforward_layernorm its ffn_norm; what llama.cpp's gemma3 graph fixes (a local rope
// base of 10000, a sliding layer pattern of 6, the attention scale 1 / sqrt(head_dim), no logit soft-capping, the
// tanh gelu) is checked against the config and refused by key where it differs. Gemma2ForCausalLM (gemma2) is
// imported the same way: no q / k norms, the even layers sliding, soft-capped scores and logits, always tied.
// SmolLM3ForCausalLM (smollm3) is a
// Llama (rows permuted the same way) whose every fourth layer applies no RoPE, as GGUF's smollm3 fixes it.
// Phi3ForCausalLM (phi3) keeps its fused qkv_proj / gate_up_proj (GGUF's attn_qkv / ffn_up) and HF's rotate-half
// rows (GGUF's phi3 is NEOX); its LongRoPE becomes rope_factors_long / _short with the converter's attention factor.
// GraniteForCausalLM (granite) is a Llama (rows permuted the same way) with four multipliers, kept as llama.cpp's
// converter writes them: embedding_multiplier, residual_multiplier, attention_multiplier (the score scale) and
// logits_scaling (transformers' defaults, 1, where a key is absent; rounded to f32 as the GGUF stores them).
// Olmo2ForCausalLM (olmo2): no pre-norms, post_attention_layernorm / post_feedforward_layernorm after each output (GGUF's
// post_attention_norm / post_ffw_norm, stored as they are), q_norm / k_norm over the whole projection, HF's
// rotate-half rows (GGUF's olmo2 is NEOX), never tied. Exaone4ForCausalLM (exaone4) is the same layout with q_norm /
// k_norm per head, tied or not, and a Llama's rope_scaling. Ernie4_5ForCausalLM (ernie4_5) is a Llama whose RoPE
// already rotates adjacent pairs ("glm rope style"), as GGUF's NORM layout does: its rows are not permuted.
// Exaone4ForCausalLM at 64 layers (EXAONE 4.0 32B) takes llama.cpp's fixed sliding layout (exaone4Window).
// Olmo3ForCausalLM (olmo3) is GGUF's olmo2 with a sliding window: layer_types as a period (sliding_window_pattern),
// the sliding layers under the default RoPE, the full ones under rope_scaling (YaRN), as llama.cpp's olmo2 runs it.
// Ministral3ForCausalLM (ministral3) is GGUF's mistral3: a Llama with head_dim, YaRN's magnitude from mscale_all_dim
// and the query's attention temperature (llama_4_scaling_beta). transformers 5's rope_parameters is read as
// rope_theta + rope_scaling (ropeParametersAsV4). Glm4ForCausalLM (glm4): q / k / v biases (attention_bias), RoPE in
// adjacent pairs over head_dim * partial_rotary_factor dims (GGUF's NORM: rows not permuted), its four norms under
// GLM's names and gate_up_proj as GGUF's fused ffn_up. ArceeForCausalLM (arcee) is a Llama whose MLP has no gate_proj
// (down_proj(relu(up_proj(x))^2), hidden_act relu2). Starcoder2ForCausalLM (starcoder2: src/nn/hf_starcoder2.ts) is
// GPT-2's block on RoPE: LayerNorms, biases on every Linear, a gateless GELU MLP (c_fc / c_proj), HF's rows kept (NEOX).
// PhiForCausalLM (model_type phi: src/nn/hf_phi2.ts) is GGUF's phi2: the same parts in a parallel block, a biased head.
// CohereForCausalLM / Cohere2ForCausalLM (cohere, cohere2: src/nn/hf_cohere.ts) are GGUF's command-r / cohere2.
// GPT2LMHeadModel (gpt2: src/nn/hf_gpt2.ts) is GGUF's gpt2: Conv1D weights transposed, c_attn as the fused attn_qkv.
// MiniCPMForCausalLM (minicpm) is a Llama (rows permuted) with granite's multipliers (minicpmMultipliers), tied by default.
// A Llama's rope_scaling of rope_type llama3 becomes rope_freqs.weight as the converter computes it, a linear one
// the position scale, a yarn one (any architecture but Phi-3's and the Gemmas') GGUF's YaRN (hfRope).
import type { Safetensors } from '../io/safetensors.js';
import { archTraits, attentionScale, isShortConvKernel, GEMMA3_SWA_PATTERN, GEMMA3_SWA_ROPE_BASE, layerUsesRope, layerWindow, ModelConfigError, OLMO3_SWA_PATTERN, EXAONE4_SWA_LAYERS, EXAONE4_SWA_PATTERN, EXAONE4_SWA_WINDOW, type LlamaConfig } from './llama_config.js';
import { fusedTensors, ggufTensorLayout } from './llama_layout.js';
import { llama3RopeFactors, longRopeAttnFactor } from './rope_scaling.js';
import type { LlamaWeights } from './llama_train.js';
import { llamaConfig } from './llama_weights.js';
import { hfTensorF32, periodLayerTypes, positiveInt, positiveNumber, ropeParametersAsV4 } from './hf_keys.js';
import { HF_MOE_ARCH, hfMoeConfig, hfMoeTensor } from './hf_moe.js';
import { GRANITE4_TYPE, granite4AsGranite, hfGranite4SsmTensor, hfGranite4Tensor, isGranite4Dense } from './hf_granite4.js';
import { LFM2_NAMES, lfm2Config } from './hf_lfm2.js';
import { stablelmConfig } from './hf_stablelm.js';
import { EXAONE_FIXED, EXAONE_NAMES, exaoneAsLlama } from './hf_exaone.js';
import { STARCODER2_NAMES, starcoder2Config } from './hf_starcoder2.js';
import { PHI2_FIXED, PHI2_NAMES, phi2Config } from './hf_phi2.js';
import { cohereConfig } from './hf_cohere.js';
import { HUNYUAN_NAMES, hunyuanAsLlama } from './hf_hunyuan.js';
import { hfInternlm2Tensor, INTERNLM2_FIXED, INTERNLM2_NAMES, internlm2AsLlama } from './hf_internlm2.js';
import { GPT2_FIXED, GPT2_NAMES, gpt2Config, isGpt2Conv1D } from './hf_gpt2.js';

/** The config.json keys read (Llama's; Mistral's without a sliding window, Qwen2's and Qwen3's read the same). */
export interface HfLlamaConfigJson {
  model_type?: string;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  max_position_embeddings: number;
  rms_norm_eps?: number;
  rope_theta?: number;
  tie_word_embeddings?: boolean;
  head_dim?: number;
  rope_scaling?: unknown;
  attention_bias?: boolean;
  sliding_window?: number | null;
  use_sliding_window?: boolean;
  layer_types?: string[];
  /** SmolLM3: 1 where layer l applies RoPE, 0 where it does not. */
  no_rope_layers?: number[];
  no_rope_layer_interval?: number;
  /** Gemma 3. */
  rope_local_base_freq?: number;
  sliding_window_pattern?: number;
  query_pre_attn_scalar?: number;
  hidden_activation?: string;
  final_logit_softcapping?: number | null;
  attn_logit_softcapping?: number | null;
  /** Granite. */
  embedding_multiplier?: number;
  residual_multiplier?: number;
  attention_multiplier?: number;
  logits_scaling?: number;
  mlp_bias?: boolean;
}

/** Each architecture's name in messages. */
const ARCH_NAME: Record<LlamaConfig['arch'], string> = {
  llama: 'Llama', qwen2: 'Qwen2', qwen3: 'Qwen3', gemma: 'Gemma', gemma2: 'Gemma 2', gemma3: 'Gemma 3', smollm3: 'SmolLM3', phi3: 'Phi-3', stablelm: 'StableLM', granite: 'Granite', olmo2: 'OLMo 2', exaone: 'EXAONE 3.5', exaone4: 'EXAONE 4', ernie4_5: 'ERNIE 4.5', mistral3: 'Ministral 3', glm4: 'GLM-4', arcee: 'AFM (Arcee)', lfm2: 'LFM2', starcoder2: 'StarCoder2', phi2: 'Phi-2', 'command-r': 'Command R', cohere2: 'Command R7B', minicpm: 'MiniCPM', gptneox: 'GPT-NeoX', gpt2: 'GPT-2', starcoder: 'StarCoder', falcon: 'Falcon', qwen2moe: 'Qwen2-MoE', qwen3moe: 'Qwen3-MoE', olmoe: 'OLMoE', granitemoe: 'Granite MoE', lfm2moe: 'LFM2-MoE', 'ernie4_5-moe': 'ERNIE 4.5 MoE', internlm2: 'InternLM2', xverse: 'XVERSE', bailingmoe: 'Ling (Bailing MoE)', 'hunyuan-dense': 'Hunyuan', 'hunyuan-moe': 'Hunyuan MoE', seed_oss: 'Seed-OSS', glm4moe: 'GLM-4.5', nemotron: 'Nemotron', 'gpt-oss': 'gpt-oss', granitehybrid: 'Granite 4.0 H', 'falcon-h1': 'Falcon-H1', nemotron_h: 'Nemotron-H', mamba2: 'Mamba-2', qwen35: 'Qwen3.5', qwen35moe: 'Qwen3.5 MoE', smallthinker: 'SmallThinker', dots1: 'dots.llm1', mellum: 'Mellum', deepseek2: 'DeepSeek-V2', minicpm3: 'MiniCPM 3', bailingmoe2: 'Ling 2.0', qwen3next: 'Qwen3-Next', llama4: 'Llama 4', phimoe: 'Phi-3.5-MoE', chatglm: 'ChatGLM', 'minimax-m2': 'MiniMax-M2', orion: 'Orion', qwen: 'Qwen', olmo: 'OLMo', bloom: 'BLOOM', mpt: 'MPT', jais: 'Jais', refact: 'Refact', baichuan: 'Baichuan', codeshell: 'CodeShell', jais2: 'Jais 2', maincoder: 'Maincoder', 'pangu-embedded': 'openPangu-Embedded', deepseek: 'DeepSeek-MoE', dbrx: 'DBRX',
};

/** attention_bias: the import takes q / k / v biases for Qwen2 and GLM-4 only (its callers skip those two; GGUF's other graphs have none, or o biases nibble does not run). */
function refuseAttentionBias(j: Record<string, unknown>, source: string, arch: LlamaConfig['arch']): void {
  if (j.attention_bias === true) throw new ModelConfigError(`${source}: attention_bias is true: the import takes no q / k / v / o biases for ${ARCH_NAME[arch]}`);
}

/** config.json's model_type values imported, and the GGUF architecture each becomes. */
const ARCH_OF: Record<string, LlamaConfig['arch']> = { llama: 'llama', mistral: 'llama', qwen2: 'qwen2', qwen3: 'qwen3', gemma: 'gemma', gemma2: 'gemma2', gemma3_text: 'gemma3', smollm3: 'smollm3', phi3: 'phi3', stablelm: 'stablelm', granite: 'granite', olmo2: 'olmo2', olmo3: 'olmo2', exaone: 'exaone', exaone4: 'exaone4', ernie4_5: 'ernie4_5', ministral3: 'mistral3', glm4: 'glm4', arcee: 'arcee', lfm2: 'lfm2', starcoder2: 'starcoder2', phi: 'phi2', cohere: 'command-r', cohere2: 'cohere2', minicpm: 'minicpm', gpt2: 'gpt2', hunyuan_v1_dense: 'hunyuan-dense', internlm2: 'internlm2', ...HF_MOE_ARCH };

/** The LlamaConfig of an HF config.json; errors name the key. */
export function hfLlamaConfig(json: unknown, source = 'config.json'): LlamaConfig {
  return hfConfig(json, source).config;
}

/** The config and the rope-factor tensors it implies (Llama 3's rope_freqs, Phi-3's LongRoPE pair; none for the Gemmas). */
function hfConfig(json: unknown, source: string): { config: LlamaConfig; ropeTensors: Record<string, Float32Array> } {
  if (!json || typeof json !== 'object') throw new ModelConfigError(`${source}: not a JSON object`);
  const j = json as Record<string, unknown>;
  const type = j.model_type === undefined ? 'llama' : String(j.model_type);
  if (type === GRANITE4_TYPE) { // Granite 4.0: a Granite (or Granite MoE), with Mamba-2 layers a granitehybrid (hf_granite4.ts)
    const g = granite4AsGranite(j, source);
    const r = llamaLikeConfig(ropeParametersAsV4(g.json, source), source, g.type, ARCH_OF[g.type]);
    const c = g.rope ? r.config : { ...r.config, noRopeStep: 1 };
    return { config: g.ssm ? { ...c, arch: 'granitehybrid', ssm: g.ssm } : c, ropeTensors: r.ropeTensors };
  }
  const arch = ARCH_OF[type];
  if (type === 'gemma3') throw new ModelConfigError(`${source}: model_type 'gemma3' is Gemma 3's multimodal model: import its text model (model_type gemma3_text, Gemma3ForCausalLM)`);
  if (!arch) throw new ModelConfigError(`${source}: model_type '${type}' is not one nibble imports (${[...Object.keys(ARCH_OF), GRANITE4_TYPE].join(', ')})`);
  if ((arch === 'gemma' || arch === 'gemma2' || arch === 'gemma3') && j.rope_parameters !== undefined) throw new ModelConfigError(`${source}: rope_parameters (transformers 5's form) is not read for ${ARCH_NAME[arch]}: give rope_theta, rope_local_base_freq and rope_scaling`);
  if (arch === 'gemma3') return { config: gemma3Config(j, source), ropeTensors: {} };
  if (arch === 'gemma2') return { config: gemma2Config(j, source), ropeTensors: {} };
  if (arch === 'gemma') return { config: gemma1Config(j, source), ropeTensors: {} };
  if (arch === 'lfm2') return { config: lfm2Config(ropeParametersAsV4(j, source), source), ropeTensors: {} };
  if (arch === 'stablelm') return { config: stablelmConfig(ropeParametersAsV4(j, source), source), ropeTensors: {} };
  if (arch === 'starcoder2') return { config: starcoder2Config(ropeParametersAsV4(j, source), source), ropeTensors: {} };
  if (arch === 'phi2') return { config: phi2Config(ropeParametersAsV4(j, source), source), ropeTensors: {} };
  if (arch === 'gpt2') return { config: gpt2Config(j, source), ropeTensors: {} };
  if (arch === 'command-r' || arch === 'cohere2') return { config: cohereConfig(ropeParametersAsV4(j, source), source, arch), ropeTensors: {} };
  if (arch === 'exaone') return llamaLikeConfig(exaoneAsLlama(ropeParametersAsV4(j, source), source), source, type, arch);
  if (arch === 'hunyuan-dense') return llamaLikeConfig(hunyuanAsLlama(ropeParametersAsV4(j, source), source), source, type, arch);
  if (arch === 'internlm2') return llamaLikeConfig(internlm2AsLlama(ropeParametersAsV4(j, source), source), source, type, arch);
  return llamaLikeConfig(ropeParametersAsV4(j, source), source, type, arch);
}

/** hfConfig for every architecture but the Gemmas. */
function llamaLikeConfig(j: Record<string, unknown>, source: string, type: string, arch: LlamaConfig['arch']): { config: LlamaConfig; ropeTensors: Record<string, Float32Array> } {
  // Attention over a sliding window is not the full causal attention GGUF's llama, qwen2, qwen3 and smollm3 run.
  const Name = ARCH_NAME[arch];
  if (type === 'mistral' && j.sliding_window !== undefined && j.sliding_window !== null) throw new ModelConfigError(`${source}: sliding_window ${JSON.stringify(j.sliding_window)}: Mistral's windowed attention is not supported (only sliding_window null)`);
  if (arch !== 'qwen2' && arch !== 'glm4') refuseAttentionBias(j, source, arch); // Qwen2's and GLM-4's q / k / v biases are imported
  if (arch !== 'llama' && arch !== 'phi3' && j.use_sliding_window === true) throw new ModelConfigError(`${source}: use_sliding_window is true: ${Name}'s windowed attention is not supported`);
  if (arch !== 'llama' && type !== 'olmo3' && !(arch === 'exaone4' && j.num_hidden_layers === EXAONE4_SWA_LAYERS) && Array.isArray(j.layer_types) && j.layer_types.some((t) => t !== 'full_attention')) throw new ModelConfigError(`${source}: layer_types ${JSON.stringify(j.layer_types)}: ${Name}'s windowed attention is not supported (only 'full_attention')`);
  if ((arch === 'ernie4_5' || arch === 'ernie4_5-moe') && j.use_bias === true) throw new ModelConfigError(`${source}: use_bias is true: llama.cpp's ${arch} has no output or MLP biases`);
  if (arch === 'arcee' && (j.hidden_act ?? 'relu2') !== 'relu2') throw new ModelConfigError(`${source}: hidden_act ${JSON.stringify(j.hidden_act)}: GGUF's arcee runs relu2 (relu(x)^2)`);
  if (arch === 'arcee' && j.mlp_bias === true) throw new ModelConfigError(`${source}: mlp_bias is true: llama.cpp's arcee has no MLP biases`);
  if ((arch === 'granite' || arch === 'granitemoe') && j.mlp_bias === true) throw new ModelConfigError(`${source}: mlp_bias is true: a Granite with MLP biases is not supported by the import`);
  const exaone32 = arch === 'exaone4' && j.num_hidden_layers === EXAONE4_SWA_LAYERS ? exaone4Window(j, source) : undefined;
  // Below 64 layers llama.cpp rotates every exaone4 layer with full attention; transformers' Exaone4 with a
  // sliding_window would drop RoPE on its full_attention layers.
  if (arch === 'exaone4' && !exaone32 && j.sliding_window !== undefined && j.sliding_window !== null) throw new ModelConfigError(`${source}: sliding_window ${JSON.stringify(j.sliding_window)}: llama.cpp slides exaone4's layers only at ${EXAONE4_SWA_LAYERS} layers (EXAONE 4.0 32B); this model has ${JSON.stringify(j.num_hidden_layers)}`);
  if (arch === 'olmo2' && j.tie_word_embeddings === true) throw new ModelConfigError(`${source}: tie_word_embeddings is true: llama.cpp's olmo2 needs its own output weight (never tied)`);
  if (type === 'olmo2' && j.sliding_window !== undefined && j.sliding_window !== null) throw new ModelConfigError(`${source}: sliding_window ${JSON.stringify(j.sliding_window)}: Olmo2ForCausalLM attends over the whole context (an OLMo 3 is model_type olmo3)`);
  const olmo3 = type === 'olmo3' ? olmo3Window(j, source) : undefined;
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  const heads = int('num_attention_heads');
  const dim = int('hidden_size');
  // head_dim (null or absent: hidden_size / num_attention_heads, as transformers reads it): a Qwen3's q_proj is
  // [num_attention_heads * head_dim, hidden_size] whatever hidden_size is (Qwen3 and Ministral 3 always write it); a
  // Llama's and a Qwen2's must be hidden_size / num_attention_heads.
  const hd = j.head_dim ?? undefined;
  if (hd !== undefined && !(Number.isInteger(hd) && (hd as number) > 0 && (hd as number) % 2 === 0)) throw new ModelConfigError(`${source}: 'head_dim' must be a positive even integer (RoPE pairs), found ${JSON.stringify(hd)}`);
  if (hd === undefined && dim % heads !== 0) throw new ModelConfigError(`${source}: 'hidden_size' ${dim} is not a multiple of 'num_attention_heads' ${heads} (and no 'head_dim' is given)`);
  if (arch !== 'qwen3' && arch !== 'qwen3moe' && arch !== 'mistral3' && arch !== 'hunyuan-dense' && hd !== undefined && hd !== dim / heads) throw new ModelConfigError(`${source}: head_dim ${String(hd)} differs from hidden_size / num_attention_heads = ${dim / heads} (not supported)`);
  const headDim = (hd as number | undefined) ?? dim / heads;
  const moe = type in HF_MOE_ARCH ? { moe: hfMoeConfig(j, source, type) } : {};
  const base = llamaConfig({
    ...moe,
    arch, vocab: int('vocab_size'), dim, layers: int('num_hidden_layers'), heads, kvHeads: int('num_key_value_heads', heads), headDim,
    ffn: int('intermediate_size'), ctx: int('max_position_embeddings'), eps: positiveNumber(j, source, 'rms_norm_eps', 1e-6),
    ropeBase: positiveNumber(j, source, 'rope_theta', 10000), tied: arch === 'minicpm' ? j.tie_word_embeddings !== false : j.tie_word_embeddings === true, ...(olmo3 ? { slidingWindow: olmo3.window, slidingPattern: olmo3.pattern } : exaone32 ? { slidingWindow: exaone32 } : {}),
  });
  const rope = hfRope(j, source, base);
  // Granite's multipliers, as the converter writes them (f32 GGUF values).
  const mult = (k: string) => Math.fround(positiveNumber(j, source, k, 1));
  const multipliers = arch === 'granite' || arch === 'granitemoe' ? { multipliers: { embedding: mult('embedding_multiplier'), residual: mult('residual_multiplier'), attention: mult('attention_multiplier'), logit: mult('logits_scaling') } } : arch === 'minicpm' ? { multipliers: minicpmMultipliers(j, source) } : {};
  // (Qwen2-MoE's q / k / v always have biases, as Qwen2's)
  const c: LlamaConfig = { ...base, ...rope.config, ...multipliers, ...(arch === 'glm4' ? { qkvBias: j.attention_bias === true } : arch === 'qwen2moe' ? { qkvBias: true } : {}) };
  // SmolLM3's no_rope_layers must be llama.cpp's fixed pattern (layerUsesRope): it reads no key for it.
  const ropeLayers = Array.from({ length: c.layers }, (_, l) => (layerUsesRope(c, l) ? 1 : 0));
  if (arch === 'smollm3' && j.no_rope_layers !== undefined && JSON.stringify(j.no_rope_layers) !== JSON.stringify(ropeLayers)) {
    throw new ModelConfigError(`${source}: no_rope_layers ${JSON.stringify(j.no_rope_layers)}: llama.cpp's smollm3 skips RoPE on every fourth layer exactly (${JSON.stringify(ropeLayers)})`);
  }
  return { config: c, ropeTensors: rope.tensors };
}

/**
 * MiniCPM's scales as llama.cpp's converter writes them (granite's multipliers, f32): embeddings times scale_emb, each
 * attention and MLP output times scale_depth / sqrt(num_hidden_layers), logits divided by hidden_size / dim_model_base
 * (MiniCPM divides the final hidden states by it: the same product).
 */
function minicpmMultipliers(j: Record<string, unknown>, source: string): NonNullable<LlamaConfig['multipliers']> {
  const L = positiveInt(j, source, 'num_hidden_layers');
  const f = (v: number) => Math.fround(v);
  return { embedding: f(positiveNumber(j, source, 'scale_emb', 1)), residual: f(positiveNumber(j, source, 'scale_depth', 1) / Math.sqrt(L)), attention: 0, logit: f(positiveInt(j, source, 'hidden_size') / positiveNumber(j, source, 'dim_model_base', 1)) };
}

/**
 * rope_scaling (and Phi-3's partial_rotary_factor) as llama.cpp's converter turns them into GGUF: Llama 3's
 * (rope_type llama3) as rope_freqs.weight, linear as the position scale (llama, smollm3, granite); Phi-3's LongRoPE (type
 * longrope or su) as rope_factors_long / rope_factors_short with original_max_position_embeddings and the
 * attention factor sqrt(1 + ln(max / original) / ln(original)). Anything else is refused naming the key.
 */
function hfRope(j: Record<string, unknown>, source: string, c: LlamaConfig): { config: Partial<LlamaConfig>; tensors: Record<string, Float32Array> } {
  const config: Partial<LlamaConfig> = {};
  const tensors: Record<string, Float32Array> = {};
  let ropeDims = c.headDim;
  if ((c.arch === 'phi3' || c.arch === 'glm4') && j.partial_rotary_factor !== undefined && j.partial_rotary_factor !== null) {
    const f = j.partial_rotary_factor;
    // the converter: phi3 int(factor * n_embd) // n_head; glm4 int(head_dim * factor) (transformers' rotary dim)
    ropeDims = typeof f !== 'number' ? NaN : c.arch === 'glm4' ? Math.floor(c.headDim * f) : Math.floor((f * c.dim) / c.heads);
    if (!(f as number > 0 && (f as number) <= 1 && ropeDims >= 2 && ropeDims % 2 === 0)) throw new ModelConfigError(`${source}: partial_rotary_factor ${JSON.stringify(f)} must be in (0, 1] and rotate an even number of head dims (found ${ropeDims})`);
    config.ropeDims = ropeDims;
  }
  const rs = j.rope_scaling as Record<string, unknown> | null | undefined;
  if (rs === undefined || rs === null) return { config, tensors };
  const kind = rs.rope_type ?? rs.type;
  const bad = (why: string) => new ModelConfigError(`${source}: rope_scaling ${JSON.stringify(rs)}: ${why}`);
  const num = (k: string) => {
    const v = rs[k];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw bad(`'${k}' must be a positive number`);
    return v;
  };
  const llamaLike = c.arch === 'llama' || c.arch === 'smollm3' || c.arch === 'granite' || c.arch === 'exaone' || c.arch === 'exaone4' || c.arch === 'mistral3' || c.arch === 'arcee' || c.arch === 'minicpm';
  if (llamaLike && kind === 'llama3') {
    const s = { factor: num('factor'), lowFreqFactor: num('low_freq_factor'), highFreqFactor: num('high_freq_factor'), originalContext: num('original_max_position_embeddings') };
    if (!(s.highFreqFactor > s.lowFreqFactor)) throw bad(`'high_freq_factor' must exceed 'low_freq_factor'`);
    config.ropeFreqs = true;
    tensors['rope_freqs.weight'] = llama3RopeFactors(s, c.headDim, c.ropeBase);
  } else if (llamaLike && kind === 'linear') {
    config.ropeScale = 1 / num('factor');
  } else if (c.arch !== 'phi3' && kind === 'yarn') {
    // As the converter writes it (factor, original context) and llama.cpp runs it (beta_fast 32, beta_slow 1, cos and
    // sin times 1 + 0.1 ln(factor)): a config asking for anything else would run differently there, so it is refused.
    const orig = rs.original_max_position_embeddings ?? c.ctx;
    if (!Number.isInteger(orig) || (orig as number) < 1) throw bad(`'original_max_position_embeddings' must be a positive integer`);
    for (const [k, v] of [['beta_fast', 32], ['beta_slow', 1], ['truncate', true]] as const) if (rs[k] !== undefined && rs[k] !== null && rs[k] !== v) throw bad(`'${k}' ${JSON.stringify(rs[k])}: llama.cpp's YaRN runs ${k} ${v}`);
    const factor = num('factor');
    if (c.arch === 'mistral3') {
      // Ministral 3: cos and sin times get_mscale(f, mscale) / get_mscale(f, mscale_all_dim) in transformers; llama.cpp
      // reads mscale_all_dim (yarn_log_multiplier) and takes mscale as 1, so mscale must be 1. llama_4_scaling_beta is
      // the query's attention temperature over original_max_position_embeddings.
      if (rs.mscale !== undefined && rs.mscale !== null && rs.mscale !== 1) throw bad(`'mscale' ${JSON.stringify(rs.mscale)}: llama.cpp's mistral3 takes mscale 1`);
      const logMul = rs.mscale_all_dim ?? 0;
      if (typeof logMul !== 'number' || !(logMul >= 0) || !Number.isFinite(logMul)) throw bad(`'mscale_all_dim' must be a number >= 0`);
      if (rs.attention_factor !== undefined && rs.attention_factor !== null) throw bad(`'attention_factor' is not imported for Ministral 3 (its magnitude comes from mscale / mscale_all_dim)`);
      const beta = rs.llama_4_scaling_beta ?? 0;
      if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta)) throw bad(`'llama_4_scaling_beta' must be a number >= 0`);
      config.yarn = { factor, origCtx: orig as number, ...(logMul ? { logMul: Math.fround(logMul) } : {}) };
      if (beta) config.attnTemperature = { scale: Math.fround(beta), length: orig as number };
      return { config, tensors };
    }
    // OLMo 3's configs spell out YaRN's default attention_factor, 1 + 0.1 ln(factor): taken where it is that.
    const af = rs.attention_factor;
    if (af !== undefined && af !== null && !(typeof af === 'number' && Math.abs(af - (1 + 0.1 * Math.log(factor))) <= 1e-9)) throw bad(`'attention_factor' ${JSON.stringify(af)}: llama.cpp scales cos and sin by 1 + 0.1 ln(factor) = ${1 + 0.1 * Math.log(factor)} for this architecture`);
    for (const k of ['mscale', 'mscale_all_dim', 'llama_4_scaling_beta']) if (rs[k] !== undefined && rs[k] !== null) throw bad(`'${k}' is not imported (llama.cpp scales cos and sin by 1 + 0.1 ln(factor) for this architecture)`);
    config.yarn = { factor, origCtx: orig as number };
  } else if (c.arch === 'phi3' && (kind === 'longrope' || kind === 'su')) {
    const orig = j.original_max_position_embeddings ?? rs.original_max_position_embeddings;
    if (!Number.isInteger(orig) || (orig as number) < 1) throw new ModelConfigError(`${source}: 'original_max_position_embeddings' must be a positive integer (LongRoPE), found ${JSON.stringify(orig)}`);
    for (const k of ['long_factor', 'short_factor']) {
      const v = rs[k];
      if (!Array.isArray(v) || v.length !== ropeDims / 2 || v.some((x) => typeof x !== 'number' || !(x > 0) || !Number.isFinite(x))) throw bad(`'${k}' must be ${ropeDims / 2} positive numbers (rotated dims / 2)`);
      tensors[k === 'long_factor' ? 'rope_factors_long.weight' : 'rope_factors_short.weight'] = Float32Array.from(v as number[]);
    }
    const attn = longRopeAttnFactor(c.ctx, orig as number);
    if (rs.attention_factor !== undefined && rs.attention_factor !== null && Math.abs((rs.attention_factor as number) - attn) > 1e-6) throw bad(`attention_factor ${JSON.stringify(rs.attention_factor)} differs from the ${attn} that llama.cpp's converter writes`);
    config.longRope = { origCtx: orig as number };
    if (attn !== 1) config.ropeAttnFactor = Math.fround(attn);
  } else {
    throw bad(`not imported for ${c.arch} (${c.arch === 'phi3' ? 'longrope' : llamaLike ? 'llama3, linear or yarn' : 'yarn'} is)`);
  }
  return { config, tensors };
}

/** transformers' layer_types for a period p: every p-th layer full_attention, the others sliding_attention. */

/**
 * Olmo3ForCausalLM's sliding window and its layer pattern: layer_types (transformers' default: every fourth layer
 * full_attention) must be a period p (layers l with l % p < p - 1 sliding), the only form GGUF's
 * sliding_window_pattern holds; sliding_window defaults to 4096 as in Olmo3Config.
 */
function olmo3Window(j: Record<string, unknown>, source: string): { window: number; pattern: number } {
  const window = positiveInt(j, source, 'sliding_window', 4096);
  const L = positiveInt(j, source, 'num_hidden_layers');
  const types = j.layer_types ?? periodLayerTypes(L, OLMO3_SWA_PATTERN);
  const full = Array.isArray(types) ? types.indexOf('full_attention') : -1;
  const pattern = full < 0 ? L + 1 : full + 1;
  if (!Array.isArray(types) || JSON.stringify(types) !== JSON.stringify(periodLayerTypes(L, pattern)) || pattern < 2) throw new ModelConfigError(`${source}: layer_types ${JSON.stringify(types)}: GGUF's olmo2 holds a period (every p-th layer full_attention, p >= 2), which these are not`);
  return { window, pattern };
}

/**
 * EXAONE 4.0 32B's sliding window (default 4096): llama.cpp fixes its layout by the layer count (every fourth layer
 * full_attention and without RoPE), so sliding_window_pattern (4 or "LLLG") and layer_types must be that.
 */
function exaone4Window(j: Record<string, unknown>, source: string): number {
  const window = positiveInt(j, source, 'sliding_window', EXAONE4_SWA_WINDOW);
  const p = j.sliding_window_pattern;
  if (p !== undefined && p !== null && p !== EXAONE4_SWA_PATTERN && p !== 'LLLG') throw new ModelConfigError(`${source}: sliding_window_pattern ${JSON.stringify(p)}: llama.cpp's exaone4 fixes it at ${EXAONE4_SWA_PATTERN} ("LLLG")`);
  if (j.layer_types !== undefined && JSON.stringify(j.layer_types) !== JSON.stringify(periodLayerTypes(EXAONE4_SWA_LAYERS, EXAONE4_SWA_PATTERN))) throw new ModelConfigError(`${source}: layer_types: llama.cpp's exaone4 at ${EXAONE4_SWA_LAYERS} layers makes every fourth layer full_attention (without RoPE) and the others sliding_attention`);
  return window;
}

/**
 * What the Gemmas share: head_dim, the tanh gelu, no biases; `arch` names the GGUF architecture in errors. Gemma 1's
 * configs say hidden_act "gelu" with no hidden_activation, which transformers' GemmaMLP runs as gelu_pytorch_tanh
 * (as llama.cpp does): for it only hidden_activation is read.
 */
function gemmaCommon(j: Record<string, unknown>, source: string, arch: 'gemma' | 'gemma2' | 'gemma3'): { headDim: number } {
  const headDim = positiveInt(j, source, 'head_dim', 256);
  if (headDim % 2 !== 0) throw new ModelConfigError(`${source}: 'head_dim' must be a positive even integer (RoPE pairs), found ${headDim}`);
  const act = j.hidden_activation ?? (arch === 'gemma' ? undefined : j.hidden_act) ?? 'gelu_pytorch_tanh';
  if (act !== 'gelu_pytorch_tanh') throw new ModelConfigError(`${source}: hidden_activation ${JSON.stringify(act)}: GGUF's ${arch} runs gelu_pytorch_tanh`);
  refuseAttentionBias(j, source, arch);
  return { headDim };
}

/** A GemmaConfig (Gemma 1 / 1.1, CodeGemma; transformers' defaults where a key is absent) as GGUF's gemma runs it: always tied, no rope scaling. */
function gemma1Config(j: Record<string, unknown>, source: string): LlamaConfig {
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  const { headDim } = gemmaCommon(j, source, 'gemma');
  if (j.rope_scaling !== undefined && j.rope_scaling !== null) throw new ModelConfigError(`${source}: rope_scaling ${JSON.stringify(j.rope_scaling)}: Gemma has none (only null)`);
  if (j.tie_word_embeddings === false) throw new ModelConfigError(`${source}: tie_word_embeddings is false: llama.cpp's gemma always ties the head to the embedding`);
  return llamaConfig({
    arch: 'gemma', vocab: int('vocab_size', 256000), dim: int('hidden_size', 3072), layers: int('num_hidden_layers', 28), heads: int('num_attention_heads', 16),
    kvHeads: int('num_key_value_heads', 16), headDim, ffn: int('intermediate_size', 24576), ctx: int('max_position_embeddings', 8192),
    eps: positiveNumber(j, source, 'rms_norm_eps', 1e-6), ropeBase: positiveNumber(j, source, 'rope_theta', 10000), tied: true,
  });
}

/** query_pre_attn_scalar must give llama.cpp's attention scale (1 / sqrt(head_dim); the 27B models' 1 / sqrt(hidden / heads)). */
function checkAttnScalar(j: Record<string, unknown>, source: string, c: LlamaConfig): void {
  const scalar = positiveNumber(j, source, 'query_pre_attn_scalar', 256);
  if (Math.abs(scalar ** -0.5 - attentionScale(c)) > 1e-12) throw new ModelConfigError(`${source}: query_pre_attn_scalar ${scalar}: llama.cpp's ${c.arch} scales scores by ${attentionScale(c)} (1 / sqrt(${attentionScale(c) === 1 / Math.sqrt(c.headDim) ? 'head_dim' : 'hidden_size / num_attention_heads'}))`);
}

/**
 * A Gemma2Config (transformers' defaults where a key is absent) as GGUF's gemma2 runs it: every other layer sliding
 * (the even ones), the soft-caps read (they must be numbers: llama.cpp always caps), always tied, no rope scaling.
 */
function gemma2Config(j: Record<string, unknown>, source: string): LlamaConfig {
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  const { headDim } = gemmaCommon(j, source, 'gemma2');
  if (j.rope_scaling !== undefined && j.rope_scaling !== null) throw new ModelConfigError(`${source}: rope_scaling ${JSON.stringify(j.rope_scaling)}: Gemma 2 has none (only null)`);
  if (j.tie_word_embeddings === false) throw new ModelConfigError(`${source}: tie_word_embeddings is false: llama.cpp's gemma2 always ties the head to the embedding`);
  const cap = (k: string, dflt: number) => {
    if (j[k] === null) throw new ModelConfigError(`${source}: ${k} is null: llama.cpp's gemma2 always soft-caps (a positive number)`);
    return positiveNumber(j, source, k, dflt);
  };
  const c = llamaConfig({
    arch: 'gemma2', vocab: int('vocab_size', 256000), dim: int('hidden_size', 2304), layers: int('num_hidden_layers', 26), heads: int('num_attention_heads', 8),
    kvHeads: int('num_key_value_heads', 4), headDim, ffn: int('intermediate_size', 9216), ctx: int('max_position_embeddings', 8192),
    eps: positiveNumber(j, source, 'rms_norm_eps', 1e-6), ropeBase: positiveNumber(j, source, 'rope_theta', 10000), tied: true,
    slidingWindow: int('sliding_window', 4096), softcap: { attn: cap('attn_logit_softcapping', 50), final: cap('final_logit_softcapping', 30) },
  });
  const types = Array.from({ length: c.layers }, (_, l) => (layerWindow(c, l) > 0 ? 'sliding_attention' : 'full_attention'));
  if (Array.isArray(j.layer_types) && JSON.stringify(j.layer_types) !== JSON.stringify(types)) throw new ModelConfigError(`${source}: layer_types ${JSON.stringify(j.layer_types)}: llama.cpp's gemma2 makes the even layers sliding_attention and the odd ones full_attention`);
  checkAttnScalar(j, source, c);
  return c;
}

/** A Gemma3TextConfig (transformers' defaults where a key is absent) as GGUF's gemma3 runs it; what llama.cpp fixes is checked. */
function gemma3Config(j: Record<string, unknown>, source: string): LlamaConfig {
  const int = (k: string, dflt?: number) => positiveInt(j, source, k, dflt);
  const heads = int('num_attention_heads', 8);
  const layers = int('num_hidden_layers', 26);
  const { headDim } = gemmaCommon(j, source, 'gemma3');
  const dim = int('hidden_size', 2304);
  for (const k of ['final_logit_softcapping', 'attn_logit_softcapping']) if (j[k] !== undefined && j[k] !== null) throw new ModelConfigError(`${source}: ${k} ${JSON.stringify(j[k])}: llama.cpp's gemma3 applies no soft-capping (only null)`);
  const local = positiveNumber(j, source, 'rope_local_base_freq', 10000);
  if (local !== GEMMA3_SWA_ROPE_BASE) throw new ModelConfigError(`${source}: rope_local_base_freq ${local}: llama.cpp's gemma3 fixes the sliding layers' rope base at ${GEMMA3_SWA_ROPE_BASE}`);
  const pattern = positiveInt(j, source, 'sliding_window_pattern', GEMMA3_SWA_PATTERN);
  if (pattern !== GEMMA3_SWA_PATTERN) throw new ModelConfigError(`${source}: sliding_window_pattern ${pattern}: llama.cpp's gemma3 fixes it at ${GEMMA3_SWA_PATTERN} (every sixth layer global)`);
  let ropeScale = 1;
  const rs = j.rope_scaling as Record<string, unknown> | null | undefined;
  if (rs !== undefined && rs !== null) {
    const kind = rs.rope_type ?? rs.type;
    if (kind !== 'linear' || typeof rs.factor !== 'number' || !(rs.factor > 0)) throw new ModelConfigError(`${source}: rope_scaling ${JSON.stringify(rs)}: only linear scaling with a positive factor is imported`);
    ropeScale = 1 / rs.factor;
  }
  const c = llamaConfig({
    arch: 'gemma3', vocab: int('vocab_size', 262208), dim, layers, heads, kvHeads: int('num_key_value_heads', 4), headDim,
    ffn: int('intermediate_size', 9216), ctx: int('max_position_embeddings', 131072), eps: positiveNumber(j, source, 'rms_norm_eps', 1e-6),
    ropeBase: positiveNumber(j, source, 'rope_theta', 1000000), tied: j.tie_word_embeddings !== false, slidingWindow: int('sliding_window', 4096), ropeScale,
  });
  const types = Array.from({ length: c.layers }, (_, l) => (layerWindow(c, l) > 0 ? 'sliding_attention' : 'full_attention'));
  if (Array.isArray(j.layer_types) && JSON.stringify(j.layer_types) !== JSON.stringify(types)) throw new ModelConfigError(`${source}: layer_types ${JSON.stringify(j.layer_types)}: llama.cpp's gemma3 makes every sixth layer full_attention and the others sliding_attention`);
  checkAttnScalar(j, source, c);
  return c;
}

/** The post-norms' HF names (Gemma's, OLMo 2's and EXAONE 4's), and Gemma's pre_feedforward_layernorm. */
const POST_NORM_NAMES: Record<string, string> = { post_attention_norm: 'post_attention_layernorm', ffn_norm: 'pre_feedforward_layernorm', post_ffw_norm: 'post_feedforward_layernorm' };

/** GLM-4's norm and fused MLP names (its post_attention_layernorm is the FFN's pre-norm). */
const GLM4_NAMES: Record<string, string> = { post_attention_norm: 'post_self_attn_layernorm', ffn_norm: 'post_attention_layernorm', post_ffw_norm: 'post_mlp_layernorm', ffn_up: 'mlp.gate_up_proj' };

/** The HF name of each GGUF tensor of `c` (Gemma's and OLMo 2's norms are named apart: `arch` gemma2 / gemma3 / olmo2). */
export function hfTensorName(gguf: string, arch: LlamaConfig['arch'] = 'llama'): string {
  const fixed: Record<string, string> = { 'token_embd.weight': 'model.embed_tokens.weight', 'output_norm.weight': 'model.norm.weight', 'output.weight': 'lm_head.weight', 'token_embd_norm.weight': 'model.embedding_norm.weight', 'output_norm.bias': 'model.norm.bias' };
  if (arch === 'exaone' || arch === 'gpt2') { // GPT-2-style names (EXAONE 3's remote code keeps them)
    const m = /^blk\.(\d+)\.(\w+)\.(weight|bias)$/.exec(gguf);
    const [FIXED, NAMES] = arch === 'gpt2' ? [GPT2_FIXED, GPT2_NAMES] : [EXAONE_FIXED, EXAONE_NAMES];
    const name = FIXED[gguf] ?? (m && NAMES[m[2]] ? `transformer.h.${m[1]}.${NAMES[m[2]]}.${m[3]}` : undefined);
    if (!name) throw new ModelConfigError(`no Hugging Face name for '${gguf}'`);
    return name;
  }
  if (arch === 'phi2' && PHI2_FIXED[gguf]) return PHI2_FIXED[gguf];
  if (arch === 'internlm2' && INTERNLM2_FIXED[gguf]) return INTERNLM2_FIXED[gguf];
  if (fixed[gguf]) return fixed[gguf];
  const m = /^blk\.(\d+)\.([\w.]+?)\.(weight|bias)$/.exec(gguf);
  const part: Record<string, string> = {
    attn_norm: 'input_layernorm', ffn_norm: 'post_attention_layernorm', attn_q: 'self_attn.q_proj', attn_k: 'self_attn.k_proj', attn_v: 'self_attn.v_proj',
    attn_q_norm: 'self_attn.q_norm', attn_k_norm: 'self_attn.k_norm', attn_output: 'self_attn.o_proj', ffn_gate: 'mlp.gate_proj', ffn_up: 'mlp.up_proj', ffn_down: 'mlp.down_proj',
    attn_qkv: 'self_attn.qkv_proj', // phi3's fused projections (llama_layout.ts); its ffn_up is gate_up_proj
  };
  const name = m && (arch === 'lfm2' ? LFM2_NAMES[m[2]] : arch === 'hunyuan-dense' ? (HUNYUAN_NAMES[m[2]] ?? part[m[2]]) : arch === 'internlm2' ? INTERNLM2_NAMES[m[2]] : arch === 'starcoder2' ? (STARCODER2_NAMES[m[2]] ?? part[m[2]]) : arch === 'phi2' ? (PHI2_NAMES[m[2]] ?? part[m[2]]) : arch === 'glm4' ? (GLM4_NAMES[m[2]] ?? part[m[2]]) : archTraits(arch).postNorms ? (POST_NORM_NAMES[m[2]] ?? part[m[2]]) : arch === 'phi3' && m[2] === 'ffn_up' ? 'mlp.gate_up_proj' : part[m[2]]);
  if (!m || !name) throw new ModelConfigError(`no Hugging Face name for '${gguf}'`);
  return `model.layers.${m[1]}.${name}.${m[3]}`;
}

/** The NORM-rope architectures whose Hugging Face RoPE already turns adjacent pairs (ERNIE's "glm rope style", GLM-4's, Cohere's interleaved): their q / k rows are not permuted. */
const HF_PAIRED_ROPE: ReadonlySet<LlamaConfig['arch']> = new Set(['ernie4_5', 'ernie4_5-moe', 'glm4', 'command-r', 'cohere2']);

/** A [rows, cols] row-major matrix transposed ([cols, rows]). */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

/** HF's rotate-half rows -> GGUF's adjacent-pair rows, per head of hd rows (llama.cpp's permute). */
export function permuteRope(w: Float32Array, heads: number, hd: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = hd / 2;
  for (let h = 0; h < heads; h++)
    for (let j = 0; j < 2; j++)
      for (let i = 0; i < half; i++) out.set(w.subarray((h * hd + j * half + i) * cols, (h * hd + j * half + i + 1) * cols), (h * hd + 2 * i + j) * cols);
  return out;
}

/** Config and GGUF-named f32 weights of an HF Llama checkpoint. */
export function importHfLlama(configJson: unknown, st: Safetensors, source = 'model.safetensors'): { config: LlamaConfig; weights: LlamaWeights } {
  const { config, ropeTensors } = hfConfig(configJson, 'config.json');
  const weights: LlamaWeights = {};
  const fused = new Map(fusedTensors(config).map((f) => [f.name, f]));
  const granite4 = isGranite4Dense(configJson);
  // The tensors as the checkpoint holds them: phi3's q / k / v and gate / up fused, as in its GGUF.
  for (const { name, shape } of ggufTensorLayout(config)) {
    if (ropeTensors[name]) {
      weights[name] = ropeTensors[name];
      continue;
    }
    // the experts' stacks, routers and shared experts (Granite 4.0 H's as granitemoe's); Granite 4.0's shared MLP and Mamba-2 mixers
    const moe = hfMoeTensor(config.arch === 'granitehybrid' ? { ...config, arch: 'granitemoe' } : config, name, shape, st, source) ?? (granite4 ? hfGranite4Tensor(name, shape, st, source) : null) ?? (config.arch === 'granitehybrid' ? hfGranite4SsmTensor(name, shape, st, source) : null) ?? (config.arch === 'internlm2' ? hfInternlm2Tensor(config, name, st, source, permuteRope) : null);
    if (moe) {
      weights[name] = moe;
      continue;
    }
    // LFM2's conv kernels are Conv1d weights [dim, 1, L]: the converter squeezes them to [dim, L]. GPT-2's Conv1D
    // weights are [in, out]: transposed.
    const conv1d = config.arch === 'gpt2' && isGpt2Conv1D(name);
    const raw = hfTensorF32(st, source, hfTensorName(name, config.arch), shape, (s) => (isShortConvKernel(name) && s.length === 3 && s[1] === 1 ? [s[0], s[2]] : conv1d ? [...s].reverse() : s));
    let w = conv1d ? transpose(raw, shape[1], shape[0]) : raw;
    if (config.ropeLayout === 'norm' && !HF_PAIRED_ROPE.has(config.arch)) { // a Llama's; a Qwen's rows stay in HF's (NEOX) order
      if (name.endsWith('attn_q.weight')) w = permuteRope(w, config.heads, config.headDim, config.dim);
      else if (name.endsWith('attn_k.weight')) w = permuteRope(w, config.kvHeads, config.headDim, config.dim);
    }
    // Gemma's RMSNorm multiplies by (1 + weight): GGUF stores the sum, as llama.cpp's converter writes it.
    if ((config.arch === 'gemma' || config.arch === 'gemma2' || config.arch === 'gemma3') && shape.length === 1) w = w.map((v) => v + 1);
    const f = fused.get(name);
    if (f) {
      let row = 0;
      const K = shape[1] ?? 1; // a fused bias: rows of one value
      for (const p of f.parts) weights[p.name] = w.slice(row * K, (row += p.rows) * K);
    } else weights[name] = w;
  }
  return { config, weights };
}
