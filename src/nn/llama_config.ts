// The hyperparameters of a Llama-family model (GGUF architectures `llama`, `qwen2`, `qwen3`, `gemma`, `gemma2`, `gemma3`,
// `smollm3`, `phi3`, `stablelm`, `granite`, `olmo2`, `exaone`, `exaone4`, `ernie4_5`, `mistral3`, `glm4`, `arcee`, `lfm2`, `starcoder2`, `phi2`, `command-r`, `cohere2`, `minicpm`, `gptneox`, `gpt2`, `starcoder`, `falcon`, and the mixtures of experts `qwen2moe`, `qwen3moe`, `olmoe`, `granitemoe`, `lfm2moe`, `ernie4_5-moe`, `bailingmoe` and Mixtral's `llama`; `internlm2` and `xverse`, Llamas whose head is never tied; `hunyuan-dense` and the MoE `hunyuan-moe`, qwen3's layout with its q / k norms after RoPE; `seed_oss`, a Llama whose
// FFN norm the file names post_attention_norm; the MoE `glm4moe`, GLM-4.5's; `nemotron`, LayerNorms around
// attention and a gateless relu(x)^2 MLP; the MoE `gpt-oss`, with attention sinks; the Mamba-2 models `granitehybrid`,
// `falcon-h1`, `nemotron_h` and `mamba2`, src/nn/llama_ssm.ts), read from a GGUF file's
// metadata and tensor list as llama.cpp reads them (src/llama-model.cpp, load_hparams / load_tensors):
//   <arch>.block_count, .embedding_length, .feed_forward_length, .attention.head_count, .context_length,
//   .attention.layer_norm_rms_epsilon (LayerNorm models: .attention.layer_norm_epsilon)        required
//   .attention.head_count_kv (= head_count), .rope.freq_base (10000), .rope.dimension_count (= head dim),
//   .attention.key_length / .value_length (= embedding_length / head_count),
//   .rope.scaling.type (none / linear / yarn) with .rope.scaling.factor (or .rope.scale_linear),
//   yarn: .rope.scaling.original_context_length (= context_length); beta_fast / beta_slow fixed at 32 / 1, as
//         llama.cpp runs these architectures (it reads no yarn_beta_* key for them);
//         mistral3: .rope.scaling.yarn_log_multiplier (0) sets YaRN's magnitude (YarnScaling.logMul)
//   mistral3: .attention.temperature_scale (0: none), the query temperature's length the original context
//   .rope.scaling.attn_factor (1), .rope.scaling.original_context_length (= context_length)   optional
//   gemma3: .attention.sliding_window                                                        required
//   gemma2: .attention.sliding_window (4096), .attn_logit_softcapping (50), .final_logit_softcapping (30)  optional
//   granite: .logit_scale                                                                    required
//   minicpm: .embedding_scale, .residual_scale, .logit_scale (granite's multipliers)          required
//            .embedding_scale, .residual_scale, .attention.scale (0: not applied), .rope.scaling.finetuned (true)
//   olmo2: .attention.sliding_window (OLMo 3's sliding layers), .attention.sliding_window_pattern (4)   optional
//   command-r, cohere2: .logit_scale (required); cohere2: .attention.sliding_window (required)
//   gptneox: .use_parallel_residual (true)
//   lfm2: .shortconv.l_cache (required); .attention.head_count_kv one count a layer, 0 for a short convolution;
//         .attention.sliding_window refused; the final norm is token_embd_norm.weight
//   mixtures of experts (src/nn/llama_moe.ts moeFromGguf): .expert_count, .expert_used_count, .expert_feed_forward_length
//         (the Qwens, lfm2moe, ernie4_5-moe), .expert_shared_feed_forward_length (qwen2moe, granite, ernie4_5-moe);
//         lfm2moe: .expert_gating_func, .leading_dense_block_count; ernie4_5-moe: .leading_dense_block_count and
//         .interleave_moe_layer_step (required; only 1 runs); bailingmoe, glm4moe: .expert_shared_count,
//         .expert_weights_norm, .expert_weights_scale (glm4moe also .leading_dense_block_count, .expert_gating_func,
//         .nextn_predict_layers); hunyuan-moe: .expert_shared_feed_forward_length (required); smallthinker:
//         .expert_feed_forward_length, .expert_gating_func (required), .attention.sliding_window (> 0: a window of
//         4096), .attention.sliding_window_pattern (4), .rope.freq_base_swa (= rope.freq_base); dots1: glm4moe's keys,
//         .expert_gating_func and .expert_shared_count required; mellum: .expert_feed_forward_length (required),
//         .attention.sliding_window (0), with it .attention.sliding_window_pattern (one bool a layer, or a period);
//         bailingmoe2 (Ling 2.0: q / k / v fused, per-head q / k norms): dots1's keys, .expert_shared_feed_forward_length
//         (0: the experts' width), .nextn_predict_layers; every MoE: .expert_group_count, .expert_group_used_count;
//         llama4: .expert_feed_forward_length, .interleave_moe_layer_step (required), .attention.sliding_window and
//         .rope.freq_base_swa (refused where they change anything below 8192 positions)
//   minicpm3 (MiniCPM 3, MLA with attn_kv_b whole): .attention.q_lora_rank, .kv_lora_rank (required); LongRoPE's factors as phi3's
//   deepseek2 (multi-head latent attention, src/nn/llama_mla.ts): .attention.kv_lora_rank, .key_length_mla,
//         .value_length_mla, .q_lora_rank (not read for the Lite layer counts), dots1's expert keys (gating optional)
// and the vocabulary size from token_embd.weight's shape. Tensors are checked as the file lays them out
// (llama_layout.ts: phi3 fuses q/k/v and gate/up, phi2 q/k/v where the file does). Every tensor the model needs is checked for presence and
// shape, and a tensor the model would not use is refused (llama.cpp refuses such files too: "wrong number of
// tensors"), so the configuration describes the file completely.
import type { GgufTensorType, GgufValue } from '../io/gguf.js';
import { SHORT_CONV_MAX_TAPS } from '../ops/short_conv.js';
import { describe, Keys, ModelConfigError } from './gguf_keys.js';
import { ggufTensorLayout, isNextnTensor } from './llama_layout.js';
import { ggufRopeScaling, type YarnScaling } from './rope_scaling.js';
import { isConvLayer, isShortConvKernel, readsRopeFreqs } from './llama_layers.js';
import { MAMBA2_HEAD_DIM, mamba2Kinds, nemotronHKinds, ssmFromGguf, type LayerKind } from './llama_ssm.js';
import { deltaNetFromGguf } from './llama_delta_net.js';
import { GATING_FUNC, glm4moeLayers, moeFromGguf, nextnLayers } from './llama_moe.js';
import { minicpm3MlaFromGguf, mlaFromGguf, mlaVocab, type MlaConfig } from './llama_mla.js';
import { isMropeArch, MROPE_BASE, mropeConfigFromGguf, type MropeArch } from './llama_mrope.js';
import { alibiConfigFromGguf } from './llama_alibi.js';
import { moreArchConfigFromGguf } from './llama_arch_more.js';

export * from './llama_layers.js';
export * from './llama_arch_extras.js';
export * from './llama_traits.js';
import { archTraits } from './llama_traits.js';
import { archExtras, COMMAND_R_PLUS_LAYERS, llama4Attention, llama4Checks, llama4Pattern, qwenHalfFfn, EXAONE4_SWA_LAYERS, EXAONE4_SWA_WINDOW, GEMMA2_DEFAULTS, GPT_OSS_SWA_PATTERN, mellumSwaLayers, OLMO3_SWA_PATTERN, SMALLTHINKER_SWA } from './llama_arch_extras.js';
export { llamaTensorNames } from './llama_tensors.js';

export { ModelConfigError };

export interface LlamaConfig {
  /** The graph (a qwen2vl / qwen3vl / qwen3vlmoe file runs as qwen2 / qwen3 / qwen3moe: `mrope`). */
  arch: LlamaArch;
  /** Qwen's VL text decoders: the file's architecture, its M-RoPE sections and deepstack count, kept for writing (llama_mrope.ts). */
  mrope?: { arch: MropeArch; sections: number[]; deepstack?: number };
  vocab: number;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  ctx: number;
  eps: number;
  ropeBase: number;
  ropeDims: number;
  /** NORM: rotate adjacent pairs (x[2i], x[2i+1]); NEOX: rotate halves (x[i], x[i + ropeDims/2]). */
  ropeLayout: 'norm' | 'neox';
  /** rope_freqs.weight present (Llama-3 rope scaling: theta_i is divided by its factor). */
  ropeFreqs: boolean;
  /** No output.weight: the token embedding is the output projection. */
  tied: boolean;
  qkvBias: boolean;
  /** qwen3, gemma3, exaone4 (olmo2: over the whole projection, qkNormFull): q and k are RMS-normalized per head (attn_q_norm / attn_k_norm, [headDim]) before RoPE. */
  qkNorm: boolean;
  /** olmo2: the q / k norms normalize the whole projection (weights [heads * headDim] and [kvHeads * headDim]), not each head. */
  qkNormFull?: boolean;
  /** hunyuan-dense: the per-head q / k norms come after RoPE, not before. */
  qkNormAfterRope?: true;
  /** olmo2, exaone4: no attn_norm / ffn_norm: attention and the FFN read the residual stream as it is (post-norms only). */
  noPreNorms?: boolean;
  /** gemma2, gemma3, olmo2, exaone4, glm4: the attention and FFN outputs are RMS-normalized (post_attention_norm / post_ffw_norm) before their residual add. */
  postNorms: boolean;
  /**
   * The FFN's activation: silu (SwiGLU) or gelu (GeGLU, tanh form: the Gemmas) of the gate times up; relu2
   * (arcee): relu(up)^2 (always with ffnGateless); swiglu_oai (gpt-oss's experts): min(g, 7) sigmoid(1.702 min(g, 7))
   * (clamp(up, -7, 7) + 1).
   */
  ffnAct: 'silu' | 'gelu' | 'relu2' | 'swiglu_oai' | 'relu';
  /**
   * arcee, starcoder2: no ffn_gate: act(up) goes straight into ffn_down (llama.cpp's LLM_FFN_SEQ; arcee's relu2,
   * starcoder2's plain GELU MLP).
   */
  ffnGateless?: true;
  /** starcoder2, phi2: attn_output, ffn_up and ffn_down have biases (`<name>.bias`), as q / k / v do with qkvBias. */
  linearBiases?: true;
  /**
   * phi2: attention and the FFN both read attn_norm's output (no ffn_norm), and both outputs add to the residual
   * stream at once: x + attn(h) + ffn(h) (GPT-J's parallel block).
   */
  parallelBlock?: true;
  /**
   * gptneox with use_parallel_residual: attention and the FFN both read the layer's input stream, each through its own
   * norm (attn_norm, ffn_norm), and add to it at once: x + attn(ln1(x)) + ffn(ln2(x)).
   */
  parallelResidual?: true;
  /**
   * gpt2, starcoder: learned positions, position_embd.weight [ctx, dim]: row p is added to position p's token embedding (and no
   * layer applies RoPE: noRopeStep 1).
   */
  learnedPositions?: true;
  /**
   * gpt-oss: attention sinks, blk.N.attn_sinks.weight [heads]: each head's learned logit joins every row's softmax
   * as a key whose value is zero (ggml's soft_max with sinks), so a head can attend to nothing.
   */
  attnSinks?: true;
  /** olmo (OLMo 1): every norm a LayerNorm without weight or bias (non-parametric): no norm tensors in the file. */
  normNoWeight?: true;
  /** ALiBi (bloom, mpt, jais, refact, baichuan at 40 layers: llama_alibi.ts): max_alibi_bias; head h's scores gain slope_h (j - p). */
  alibi?: number;
  /** bloom: the embeddings LayerNorm-ed (token_embd_norm.weight and .bias) before the first layer. */
  embedNorm?: true;
  /** pangu-embedded: attn_output alone has a bias (attn_output.bias [dim]). */
  attnOutBias?: true;
  /** olmo, mpt: q, k and v clamped to [-c, c] after their projections (attention.clamp_kqv; absent or 0: none). */
  clampKqv?: number;
  /** phi2, phimoe: the head has a bias, output.bias [vocab]. */
  outputBias?: true;
  /** command-r with 64 layers or more (Command R+, as llama.cpp tells it), stablelm where the file has them (StableLM 2 12B): q and k LayerNorm-ed per head without a bias before RoPE, each head with its own weight row: attn_q_norm [heads, headDim], attn_k_norm [kvHeads, headDim]. */
  qkHeadLayerNorm?: true;
  /** phimoe: every RMSNorm (attn_norm, ffn_norm, output_norm) adds a bias, <norm>.bias [dim], after its weight (llama.cpp's build_norm with LLM_NORM_RMS and a bias). */
  rmsNormBias?: true;
  /** gptneox, and phi2 files converted from Phi-2's first checkpoints: q / k / v fused in blk.N.attn_qkv.weight and .bias (llama_layout.ts). */
  fusedQkv?: true;
  /** gemma, gemma2, gemma3: token embeddings are multiplied by sqrt(dim) (rounded to f32, as llama.cpp does). */
  embedScale: boolean;
  /**
   * smollm3: every `noRopeStep`-th layer (l + 1 a multiple of it) applies no RoPE to q and k (NoPE layers); 1: no layer
   * does (granite with rope.scaling.finetuned false, llama.cpp's switch for a model without RoPE).
   */
  noRopeStep?: number;
  /** smallthinker: the NoPE layers are the first of each noRopeStep (l a multiple of it), not the last. */
  noRopeFirst?: true;
  /** llama4 (but its 128-expert Maverick): q and k RMS-normalized per head without a weight after RoPE, on the layers that rotate (Llama4TextL2Norm). */
  qkL2Norm?: true;
  /** llama4: chunked attention on the layers l with l % pattern < pattern - 1 (a query sees its chunk of `size` positions only). */
  attnChunk?: { size: number; pattern: number };
  /** llama4: on its NoPE layers the query at position p times 1 + scale ln(1 + floor((p + offset) / floor)) (llama.cpp's attention temperature tuning). */
  nopeTemp?: { scale: number; floor: number; offset: number };
  /** gemma2: attention scores and logits soft-capped, z -> cap tanh(z / cap) (attention's after the score scale). */
  softcap?: { attn: number; final: number };
  /** Linear RoPE scaling: positions times this (1 / rope.scaling.factor); absent or 1: none. gemma3: global layers only. */
  ropeScale?: number;
  /**
   * Interleaved sliding-window attention (gemma2: pattern 2; gemma3: 6; OLMo 3 and EXAONE 4.0 32B: 4): layer l attends to the last `window`
   * positions (its own included) when l % pattern < pattern - 1, and those layers rotate with base `ropeBase`, positions
   * times `ropeScale` (gemma3: 10000 unscaled; gemma2: the file's); every pattern-th layer is global (the file's rope
   * base and scaling). Absent: every layer is global. `plainRope` (olmo2's OLMo 3): the sliding-window layers rotate
   * without the model's rope factors and YaRN (no factors, cos and sin unscaled: layerRopeScaling), as llama.cpp's
   * olmo2 graph and transformers' Olmo3 do; the global layers take them.
   */
  swa?: { window: number; pattern: number; ropeBase: number; ropeScale: number; plainRope?: boolean; /** smallthinker: the global layer is the first of each pattern (l % pattern 0), not the last. */ denseFirst?: true; /** mellum: one flag a layer, true where it slides (pattern unused, 0). */ layers?: readonly boolean[] };
  /**
   * rope.scaling.attn_factor (absent: 1): cos and sin of every rotation are multiplied by it, as llama.cpp's rope does
   * (its yarn_attn_factor; phi3's LongRoPE models store sqrt(1 + ln(ctx / origCtx) / ln(origCtx))).
   */
  ropeAttnFactor?: number;
  /**
   * phi3's LongRoPE: rope_factors_long.weight and rope_factors_short.weight divide theta_i as rope_freqs does; llama.cpp
   * takes the long ones when the context it runs with exceeds `origCtx` (rope.scaling.original_context_length), the
   * short ones otherwise (ropeFactorsTensor).
   */
  longRope?: { origCtx: number };
  /** YaRN (rope.scaling.type yarn): every layer's RoPE interpolated and scaled as llama.cpp does (rope_scaling.ts yarnRope). */
  yarn?: YarnScaling;
  /**
   * granite: llama.cpp's f_embedding_scale, f_residual_scale, f_attention_scale and f_logit_scale (GGUF
   * `embedding_scale`, `residual_scale`, `attention.scale`, `logit_scale`; Hugging Face's embedding_multiplier,
   * residual_multiplier, attention_multiplier, logits_scaling): token embeddings times `embedding`, each attention and
   * FFN output times `residual` before its residual add, attention scores times `attention` (instead of
   * 1/sqrt(headDim)), logits divided by `logit`. A 0 embedding, residual or attention is not applied, as in llama.cpp.
   */
  multipliers?: { embedding: number; residual: number; attention: number; logit: number };
  /**
   * mistral3 (Ministral 3): Llama 4's attention temperature tuning. The query at position p is multiplied by
   * 1 + scale * ln(1 + floor(p / length)) after RoPE (attentionTemperature): 1 for the first `length` positions, then
   * growing slowly, so long contexts keep sharp attention. GGUF `attention.temperature_scale` (Hugging Face's
   * llama_4_scaling_beta); length: rope.scaling.original_context_length (default context_length), as llama.cpp
   * takes it (Hugging Face's original_max_position_embeddings).
   */
  attnTemperature?: { scale: number; length: number };
  /**
   * stablelm: every norm (attn_norm, ffn_norm, output_norm) is LayerNorm with a bias (`<name>.bias`), eps from
   * attention.layer_norm_epsilon: (x - mean) / sqrt(var + eps) * weight + bias, llama.cpp's LLM_NORM.
   */
  layerNorm?: true;
  /** command-r, cohere2: LayerNorms without a bias (a weight alone, mean-centred all the same). */
  normNoBias?: true;
  /** command-r, cohere2: the logits are multiplied by this (GGUF `logit_scale`; Cohere's 0.0625 or 0.125). */
  logitMul?: number;
  /**
   * lfm2 (Liquid's LFM2): the layers whose head_count_kv is 0 (`conv[l]`) are gated short convolutions instead of
   * attention: shortconv.in_proj [3 dim, dim] gives B | C | X, y = C * conv(B * X) with the depthwise causal kernel
   * shortconv.conv [dim, taps] over the layer's last `taps` positions, then shortconv.out_proj (llama.cpp's
   * build_shortconv_block). taps: GGUF shortconv.l_cache.
   */
  shortConv?: { taps: number; conv: readonly boolean[] };
  /**
   * granitehybrid (Granite 4.0 H): Mamba-2 mixers in place of attention in the layers flagged in `layers`
   * (src/nn/llama_ssm.ts): a causal convolution of `taps`, `heads` heads of inner / heads channels, a state of `state`
   * per channel, B and C shared by `groups` groups of heads. falcon-h1: every layer (`parallel`) adds attention and the
   * mixer of the same normed input; `noNorm`: no ssm_norm (the gated output as it is). nemotron_h and mamba2: the
   * layers whose layerKinds entry is 'ssm'.
   */
  ssm?: { taps: number; inner: number; state: number; heads: number; groups: number; layers: readonly boolean[]; parallel?: true; noNorm?: true };
  /**
   * qwen35 (Qwen3.5): Gated DeltaNet linear attention in the layers flagged in `layers` (src/nn/llama_delta_net.ts): a
   * causal convolution of `taps` over q | k | v, `kHeads` key heads and `vHeads` value heads of `state` channels, a
   * state [state, state] per value head; the other layers' attention output gated by sigmoid(attn_q_gate h).
   */
  deltaNet?: { taps: number; state: number; kHeads: number; vHeads: number; layers: readonly boolean[]; /** qwen3next: value head h reads key head h / (vHeads / kHeads) (llama.cpp repeats each key head; qwen35 tiles them, h % kHeads). */ kRepeat?: true };
  /**
   * nemotron_h (Nemotron-H): each layer is one mixer (a Mamba-2 mixer, attention without RoPE, or the gateless
   * squared-ReLU MLP), after the layer's attn_norm, its output added to the stream; no layer has the others.
   */
  layerKinds?: readonly LayerKind[];
  /**
   * Mixture-of-experts FFNs in every layer (src/nn/llama_moe.ts: Mixtral's `llama`, `qwen3moe`, `olmoe`, `qwen2moe`):
   * `experts` SwiGLUs of width `ffn`, each row weighted over its `used` most probable ones (the router's softmax;
   * `norm`: the chosen weights renormalized to sum 1); `sharedFfn` (qwen2moe): a shared SwiGLU of that width, gated
   * by a sigmoid, added to every row.
   */
  moe?: {
    experts: number;
    used: number;
    ffn: number;
    norm: boolean;
    sharedFfn?: number;
    /** lfm2moe, ernie4_5-moe, glm4moe: the first `denseLead` layers have a dense SwiGLU (GGUF leading_dense_block_count). */
    denseLead?: number;
    /** The router's probabilities: a sigmoid each (lfm2moe's and glm4moe's expert_gating_func 2) instead of the softmax. */
    gating?: 'sigmoid';
    /** bailingmoe, glm4moe: the routed experts' weights times this (expert_weights_scale; absent: 1). */
    weightScale?: number;
    /** lfm2moe and glm4moe (always), ernie4_5-moe (where the file has it): blk.N.exp_probs_b.bias [experts] is added to the probabilities to choose the experts (not to weigh them). */
    selectionBias?: true;
    /**
     * gpt-oss: the router and every expert's projections have biases: ffn_gate_inp.bias [experts], and
     * ffn_{gate,up}_exps.bias [experts, ffn], ffn_down_exps.bias [experts, dim] (a row an expert).
     */
    biases?: true;
    /** smallthinker: the router reads the layer's input (before attention), not the FFN's normed input. */
    routerOnInput?: true;
    /** llama4: only every `step`-th layer is a mixture of experts (l + 1 a multiple of it: interleave_moe_layer_step), the others dense. */
    step?: number;
    /** llama4: each chosen expert reads its input times its router weight and is added as it is (llama.cpp's weight_before_ffn). */
    weightBeforeFfn?: true;
    /**
     * DeepSeek V3's group-limited selection (GGUF expert_group_count > 1, expert_group_used_count): the experts in
     * `count` equal groups, each scored by its two largest selection scores; only the best `used` groups' experts are chosen.
     */
    groups?: { count: number; used: number };
  };
  /** deepseek2: multi-head latent attention (src/nn/llama_mla.ts) in place of q / k / v; heads of kvLora + rope dims over one KV head. */
  mla?: MlaConfig;
}

export const LLAMA_ARCHS = ['llama', 'qwen2', 'qwen3', 'gemma', 'gemma2', 'gemma3', 'smollm3', 'phi3', 'stablelm', 'granite', 'olmo2', 'exaone', 'exaone4', 'ernie4_5', 'mistral3', 'glm4', 'arcee', 'lfm2', 'starcoder2', 'phi2', 'command-r', 'cohere2', 'minicpm', 'gptneox', 'gpt2', 'starcoder', 'falcon', 'qwen2moe', 'qwen3moe', 'olmoe', 'granitemoe', 'lfm2moe', 'ernie4_5-moe', 'internlm2', 'xverse', 'bailingmoe', 'hunyuan-dense', 'hunyuan-moe', 'seed_oss', 'glm4moe', 'nemotron', 'gpt-oss', 'granitehybrid', 'falcon-h1', 'nemotron_h', 'mamba2', 'qwen35', 'qwen35moe', 'smallthinker', 'dots1', 'mellum', 'deepseek2', 'minicpm3', 'bailingmoe2', 'qwen3next', 'llama4', 'phimoe', 'chatglm', 'minimax-m2', 'orion', 'qwen', 'olmo', 'bloom', 'mpt', 'jais', 'refact', 'baichuan', 'codeshell', 'jais2', 'maincoder', 'pangu-embedded', 'deepseek', 'dbrx'] as const;
export type LlamaArch = (typeof LLAMA_ARCHS)[number];

/** Every `general.architecture` a GGUF file may name: the graphs, and Qwen's VL text decoders run as theirs (llama_mrope.ts). */
export const GGUF_ARCHS: readonly string[] = [...LLAMA_ARCHS, ...Object.keys(MROPE_BASE)];

/** A norm's bias tensor (`<norm>.bias`) where the model has one (LayerNorm, phimoe's RMSNorm); undefined for other RMSNorms and Cohere's bias-free LayerNorm. */
export function normBiasName(c: LlamaConfig, weight: string): string | undefined {
  return (c.layerNorm && !c.normNoBias) || c.rmsNormBias ? weight.replace(/\.weight$/, '.bias') : undefined;
}

/** The architectures whose llama.cpp graph multiplies the logits by `logit_scale` (required there): Cohere's. */
export const readsLogitScale = (a: LlamaArch): boolean => a === 'command-r' || a === 'cohere2';

/** The final norm's tensor: output_norm.weight, but token_embd_norm.weight in lfm2 (llama.cpp's LLM_TENSOR_OUTPUT_NORM_LFM2). */
export function outputNormName(c: LlamaConfig): string {
  return c.arch === 'lfm2' || c.arch === 'lfm2moe' ? 'token_embd_norm.weight' : 'output_norm.weight';
}

/** lfm2's kernel lengths the kernels take (shaders/ops/short_conv.wgsl MAX_TAPS; LFM2's is 3). */
export const SHORT_CONV_TAPS = { min: 2, max: SHORT_CONV_MAX_TAPS } as const;

/**
 * lfm2's and granitehybrid's layer kinds from `attention.head_count_kv` (llama.cpp: a layer with 0 KV heads is
 * recurrent: lfm2's short convolutions, granitehybrid's Mamba-2 mixers): an array of one count a layer (as the
 * converter writes it), the non-zero counts equal; a scalar makes every layer attention.
 */
function recurrentLayers(metadata: Record<string, GgufValue>, k: Keys, a: string, layers: number, heads: number, nTensors: number): { kvHeads: number; recurrent: boolean[] } {
  const key = `${a}.attention.head_count_kv`;
  // (before a flag a layer is made: a header's block_count of 2^32 would not fit in memory)
  if (layers * 8 > nTensors) throw new ModelConfigError(`model config: '${a}.block_count' ${layers} needs at least ${layers * 8} tensors (8 per layer), the file has ${nTensors}`);
  const v = metadata[key];
  const counts = v?.type === 'array' ? v.value.map((x) => (x.type !== 'array' && typeof x.value !== 'string' && typeof x.value !== 'boolean' ? Number(x.value) : NaN)) : Array.from({ length: layers }, () => k.int(key, heads));
  if (counts.length !== layers) throw new ModelConfigError(`model config: metadata '${key}' has ${counts.length} entries, '${a}.block_count' is ${layers}`);
  const bad = counts.findIndex((n) => !(Number.isSafeInteger(n) && n >= 0));
  if (bad >= 0) throw new ModelConfigError(`model config: metadata '${key}'[${bad}] must be an integer >= 0, found ${describe(v!.type === 'array' ? v!.value[bad] : v!)}`);
  const attn = [...new Set(counts.filter((n) => n > 0))];
  if (attn.length > 1) throw new ModelConfigError(`model config: metadata '${key}' gives attention layers ${attn.join(' and ')} KV heads (nibble needs one count)`);
  return { kvHeads: attn[0] ?? heads, recurrent: counts.map((n) => n === 0) };
}

/** lfm2's short-convolution layers, and its kernel length `shortconv.l_cache` (required, as in llama.cpp). */
function lfm2ConvLayers(metadata: Record<string, GgufValue>, k: Keys, a: string, layers: number, heads: number, nTensors: number): { kvHeads: number; taps: number; conv: boolean[] } {
  const { kvHeads, recurrent } = recurrentLayers(metadata, k, a, layers, heads, nTensors);
  const taps = k.int(`${a}.shortconv.l_cache`);
  if (taps < SHORT_CONV_TAPS.min || taps > SHORT_CONV_TAPS.max) throw new ModelConfigError(`model config: metadata '${a}.shortconv.l_cache' is ${taps}; nibble's short convolution takes ${SHORT_CONV_TAPS.min}..${SHORT_CONV_TAPS.max}`);
  return { kvHeads, taps, conv: recurrent };
}

/**
 * The configuration of a GGUF file of one of LLAMA_ARCHS, validated against its tensors. Throws ModelConfigError naming
 * the key or tensor at fault and what was expected and found.
 */
export function llamaConfigFromGguf(metadata: Record<string, GgufValue>, tensors: readonly { name: string; type: GgufTensorType; shape: number[] }[]): LlamaConfig {
  const archV = metadata['general.architecture'];
  const arch = archV?.type === 'string' ? String(archV.value) : undefined;
  const supported = GGUF_ARCHS.join(', ');
  if (arch === undefined) throw new ModelConfigError(`model config: metadata 'general.architecture' is ${archV ? describe(archV) : 'missing'}; supported: ${supported}`);
  if (isMropeArch(arch)) return mropeConfigFromGguf(metadata, arch, (m) => llamaConfigFromGguf(m, tensors)); // Qwen's VL text decoders (llama_mrope.ts)
  if (!(LLAMA_ARCHS as readonly string[]).includes(arch)) throw new ModelConfigError(`model config: metadata 'general.architecture' is '${arch}', which nibble does not run (supported: ${supported})`);
  const a = arch as LlamaConfig['arch'];
  const k = new Keys(metadata);
  const dim = k.int(`${a}.embedding_length`);
  // (glm4moe: its last nextn_predict_layers blocks are multi-token-prediction layers llama.cpp loads and never runs)
  const layers = a === 'glm4moe' ? glm4moeLayers(k, a, metadata) : a === 'qwen35' || a === 'qwen35moe' || a === 'qwen3next' || a === 'deepseek2' || a === 'bailingmoe2' ? nextnLayers(k, a) : k.int(`${a}.block_count`);
  // mamba2: no attention (its converter writes head_count 0): one notional head of MAMBA2_HEAD_DIM, never run
  const mamba2 = a === 'mamba2' ? mamba2Kinds(k, a, layers, tensors.length) : undefined;
  const heads = mamba2 ? 1 : k.int(`${a}.attention.head_count`);
  // nemotron_h: one mixer a layer, its kind from the per-layer KV-head and FFN-width arrays (llama_ssm.ts)
  const nemo = a === 'nemotron_h' ? nemotronHKinds(metadata, k, a, layers, heads, tensors.length) : mamba2;
  // (qwen, Qwen 1: llama.cpp sizes its gate, up and down by half of feed_forward_length, as its converter writes twice the width)
  const ffn = nemo ? nemo.ffn : a === 'qwen' ? qwenHalfFfn(k, a) : k.int(`${a}.feed_forward_length`);
  if (nemo && !mamba2) k.float(`${a}.attention.layer_norm_epsilon`); // (required by llama.cpp's nemotron_h loader, read by none of its norms)
  // lfm2 writes head_count_kv one a layer, 0 for its short-convolution layers.
  const conv = a === 'lfm2' || a === 'lfm2moe' ? lfm2ConvLayers(metadata, k, a, layers, heads, tensors.length) : undefined;
  // granitehybrid writes head_count_kv one a layer too, 0 for its Mamba-2 layers (llama_ssm.ts)
  const hybrid = a === 'granitehybrid' ? recurrentLayers(metadata, k, a, layers, heads, tensors.length) : undefined;
  // qwen35: Gated DeltaNet layers between its attention layers (llama_delta_net.ts)
  const deltaNet = a === 'qwen35' || a === 'qwen35moe' || a === 'qwen3next' ? deltaNetFromGguf(metadata, k, a, layers, tensors.length) : undefined;
  const kvHeads = conv ? conv.kvHeads : hybrid ? hybrid.kvHeads : nemo ? nemo.kvHeads : k.int(`${a}.attention.head_count_kv`, heads);
  const ctx = k.int(`${a}.context_length`);
  const eps = k.float(archTraits(a).layerNorm ? `${a}.attention.layer_norm_epsilon` : `${a}.attention.layer_norm_rms_epsilon`); // stablelm's and starcoder2's norms are LayerNorm
  const ropeBase = k.float(`${a}.rope.freq_base`, 10000);
  if (heads % kvHeads !== 0) throw new ModelConfigError(`model config: '${a}.attention.head_count' ${heads} is not a multiple of '${a}.attention.head_count_kv' ${kvHeads}`);
  const defHead = dim % heads === 0 ? dim / heads : undefined;
  const headDim = mamba2 ? MAMBA2_HEAD_DIM : k.int(`${a}.attention.key_length`, defHead);
  const vDim = mamba2 ? MAMBA2_HEAD_DIM : k.int(`${a}.attention.value_length`, defHead);
  if (vDim !== headDim && a !== 'deepseek2' && a !== 'minicpm3') throw new ModelConfigError(`model config: '${a}.attention.value_length' ${vDim} differs from '${a}.attention.key_length' ${headDim} (nibble needs them equal)`);
  const ropeDims = k.int(`${a}.rope.dimension_count`, headDim);
  if (ropeDims % 2 !== 0 || ropeDims > headDim) throw new ModelConfigError(`model config: '${a}.rope.dimension_count' must be even and <= the head dim ${headDim}, found ${ropeDims}`);
  const { ropeScale, yarn } = ggufRopeScaling(metadata, k, a, ctx);
  if (yarn && (a === 'gemma2' || a === 'gemma3')) throw new ModelConfigError(`model config: metadata '${a}.rope.scaling.type' is 'yarn': YaRN with ${a}'s sliding-window layers is not supported`);
  const ropeAttnFactor = k.float(`${a}.rope.scaling.attn_factor`, 1);
  const G = GEMMA2_DEFAULTS;
  // gemma3 requires the window; gemma2 defaults it (and its soft-caps) as llama.cpp does.
  // olmo2 slides where the file says (OLMo 3), 3 of every 4 layers unless sliding_window_pattern says otherwise.
  const window = a === 'gemma3' || a === 'cohere2' || a === 'gpt-oss' ? k.int(`${a}.attention.sliding_window`) : a === 'gemma2' ? k.int(`${a}.attention.sliding_window`, G.window) : a === 'olmo2' ? k.int(`${a}.attention.sliding_window`, 0, 0) : a === 'exaone4' && layers === EXAONE4_SWA_LAYERS ? k.int(`${a}.attention.sliding_window`, EXAONE4_SWA_WINDOW) : a === 'smallthinker' || a === 'mellum' ? k.int(`${a}.attention.sliding_window`, 0, 0) : 0;
  // llama.cpp's converter writes OLMo 3's pattern as one bool a layer; llama.cpp's olmo2 reads a period there and,
  // given the array, keeps its default of 4 whatever the array says (measured against it), and so does nibble.
  const patternArray = metadata[`${a}.attention.sliding_window_pattern`]?.type === 'array';
  const pattern = a === 'olmo2' && window > 0 ? (patternArray ? OLMO3_SWA_PATTERN : k.int(`${a}.attention.sliding_window_pattern`, OLMO3_SWA_PATTERN)) : a === 'gpt-oss' ? k.int(`${a}.attention.sliding_window_pattern`, GPT_OSS_SWA_PATTERN, 1) : a === 'smallthinker' && window > 0 ? k.int(`${a}.attention.sliding_window_pattern`, SMALLTHINKER_SWA.pattern, 1) : undefined;
  const swaLayers = a === 'mellum' && window > 0 ? mellumSwaLayers(metadata, k, a, layers) : undefined;
  const swaRopeBase = a === 'gpt-oss' || (a === 'smallthinker' && window > 0) ? k.float(`${a}.rope.freq_base_swa`, ropeBase) : undefined;
  const softcap = a === 'gemma2' ? { attn: k.float(`${a}.attn_logit_softcapping`, G.attnSoftcap), final: k.float(`${a}.final_logit_softcapping`, G.finalSoftcap) } : undefined;
  // minicpm runs granite's graph, its three scales required (it has no attention scale)
  // (granitehybrid's four all optional, as its llama.cpp loader reads them: a logit_scale of 0 or none divides by nothing)
  // minicpm3: llama.cpp's graph fixes its scales: embeddings times 12, each residual branch times 1.4 / sqrt(layers), the final hidden state times 256 / dim
  const multipliers = a === 'minicpm3' ? { embedding: 12, residual: 1.4 / Math.sqrt(layers), attention: 0, logit: dim / 256 } : a === 'minicpm' ? { embedding: k.float(`${a}.embedding_scale`), residual: k.float(`${a}.residual_scale`), attention: 0, logit: k.float(`${a}.logit_scale`) } : a === 'granitehybrid' ? { embedding: k.float(`${a}.embedding_scale`, 0, true), residual: k.float(`${a}.residual_scale`, 0, true), attention: k.float(`${a}.attention.scale`, 0, true), logit: k.float(`${a}.logit_scale`, 0, true) || 1 } : a === 'granite' || a === 'granitemoe' ? { embedding: k.float(`${a}.embedding_scale`, 0, true), residual: k.float(`${a}.residual_scale`, 0, true), attention: k.float(`${a}.attention.scale`, 0, true), logit: k.float(`${a}.logit_scale`) } : undefined;
  const rope = a === 'granite' || a === 'granitemoe' || a === 'granitehybrid' ? k.bool(`${a}.rope.scaling.finetuned`, true) : true;
  const tempScale = a === 'mistral3' ? k.float(`${a}.attention.temperature_scale`, 0, true) : 0;
  // Its length is the YaRN original context, as llama.cpp sets it for mistral3 (it reads no attention.temperature_length there).
  const attnTemperature = tempScale ? { scale: tempScale, length: k.int(`${a}.rope.scaling.original_context_length`, ctx) } : undefined;
  if (attnTemperature && ropeDims !== headDim) throw new ModelConfigError(`model config: '${a}.attention.temperature_scale' with '${a}.rope.dimension_count' ${ropeDims} below the head dim ${headDim}: not supported (mistral3 rotates whole heads)`);
  const parRes = a === 'gptneox' && k.bool(`${a}.use_parallel_residual`, true);
  if ((a === 'starcoder2' || a === 'falcon') && ropeDims !== headDim) throw new ModelConfigError(`model config: '${a}.rope.dimension_count' ${ropeDims} below the head dim ${headDim}: ${a} rotates whole heads (llama.cpp asserts it)`);
  if (a === 'seed_oss' && k.float(`${a}.attention.scale`, 0, true) !== 0) throw new ModelConfigError(`model config: metadata '${a}.attention.scale' is ${k.float(`${a}.attention.scale`, 0, true)}: seed_oss's score scale other than 1/sqrt(head dim) is not supported`);
  if (a === 'bailingmoe' && ropeDims !== headDim) throw new ModelConfigError(`model config: '${a}.rope.dimension_count' ${ropeDims} differs from the head dim ${headDim}: llama.cpp's bailingmoe sizes its heads and scales its scores by the rope dims (only whole heads are run)`);
  if ((a === 'lfm2' || a === 'lfm2moe') && k.int(`${a}.attention.sliding_window`, 0, 0) > 0) throw new ModelConfigError(`model config: metadata '${a}.attention.sliding_window' is ${k.int(`${a}.attention.sliding_window`, 0, 0)}: lfm2's sliding-window attention is not supported`);
  // (deepseek2: GLM-4.7-Flash's files, 47 or 48 layers and a vocabulary of 154880, route by sigmoids where they do not say)
  const mlaV = a === 'deepseek2' ? mlaVocab(metadata, a) : 0;
  const gatingDefault = a === 'deepseek2' ? ((layers === 47 || layers === 48) && mlaV === 154880 ? GATING_FUNC.sigmoid : GATING_FUNC.softmax) : undefined;
  const moe = moeFromGguf(k, a, ffn, (key) => key in metadata, (name) => tensors.some((t) => t.name === name), gatingDefault);
  if (a === 'llama4') llama4Checks(metadata, k, a, { ropeBase, ropeDims, headDim });
  // (deepseek2 without experts: llama.cpp's loader fails on a layer past leading_dense_block_count, which would be one)
  const denseLead = a === 'deepseek2' && !moe ? k.int(`${a}.leading_dense_block_count`, 0, 0) : layers;
  if (denseLead < layers) throw new ModelConfigError(`model config: metadata '${a}.leading_dense_block_count' is ${denseLead}, below the ${layers} layers of a deepseek2 model without experts (llama.cpp needs experts past the dense layers)`);
  const mla = a === 'minicpm3' ? minicpm3MlaFromGguf(metadata, k, a, { heads, kvHeads, headDim, vDim, ropeDims }) : a === 'deepseek2' ? mlaFromGguf(metadata, k, a, { layers, heads, kvHeads, headDim, vDim, ropeDims, vocab: mlaV, ropeScale }) : undefined;
  // llama.cpp's olmoe sizes both q / k norms [embedding_length]: only heads * headDim = dim, no GQA, fits that.
  if (a === 'dots1' && kvHeads !== heads) throw new ModelConfigError(`model config: '${a}.attention.head_count_kv' ${kvHeads} differs from '${a}.attention.head_count' ${heads}: llama.cpp's dots1 sizes k and v by head_count (no grouped-query attention)`);
  if (a === 'qwen' && (kvHeads !== heads || heads * headDim !== dim)) throw new ModelConfigError(`model config: a qwen model with ${heads} heads of ${headDim} and ${kvHeads} KV heads: llama.cpp's qwen sizes attn_qkv [3 x embedding_length ${dim}] (no grouped-query attention)`);
  if (a === 'olmoe' && (kvHeads !== heads || heads * headDim !== dim)) throw new ModelConfigError(`model config: an olmoe model with ${heads} heads of ${headDim} and ${kvHeads} KV heads: llama.cpp's olmoe needs head_count_kv = head_count and head_count x key_length = embedding_length ${dim}`);

  const byName = new Map(tensors.map((t) => [t.name, t]));
  // phi3's LongRoPE factors come as a pair (llama.cpp's converter writes both or neither).
  const longF = byName.has('rope_factors_long.weight');
  if ((a === 'phi3' || a === 'phimoe' || a === 'minicpm3') && longF !== byName.has('rope_factors_short.weight')) {
    throw new ModelConfigError(`model config: tensor '${longF ? 'rope_factors_short.weight' : 'rope_factors_long.weight'}' is missing (${a}'s LongRoPE needs both the long and the short factors)`);
  }
  // Qwen3-Next files converted before llama.cpp split q / k / v / z (one ssm_in a layer, each key head's q, k, v, z together)
  const legacy = a === 'qwen3next' ? tensors.find((t) => t.name.endsWith('.ssm_in.weight')) : undefined;
  if (legacy) throw new ModelConfigError(`model config: tensor '${legacy.name}': a legacy qwen3next file (q / k / v / z fused in ssm_in) is not supported; convert the model again (attn_qkv and attn_gate)`);
  if (a === 'command-r' && layers < COMMAND_R_PLUS_LAYERS && byName.has('blk.0.attn_q_norm.weight')) throw new ModelConfigError(`model config: tensor 'blk.0.attn_q_norm.weight': command-r's per-head q / k LayerNorms are read by llama.cpp only at ${COMMAND_R_PLUS_LAYERS} layers or more (Command R+), this file has ${layers}`);
  if (a === 'falcon' && byName.has('blk.0.attn_norm_2.weight')) throw new ModelConfigError(`model config: tensor 'blk.0.attn_norm_2.weight': Falcon-40B's second attention norm is not supported`);
  // llama.cpp's olmo2, stablelm, phi2 and gptneox require output.weight (their head is never tied).
  if ((a === 'olmo2' || a === 'stablelm' || a === 'phi2' || a === 'gptneox' || a === 'olmoe' || a === 'qwen2moe' || a === 'internlm2' || a === 'xverse' || a === 'bailingmoe' || a === 'nemotron' || a === 'gpt-oss' || a === 'dots1' || a === 'mellum' || a === 'bailingmoe2' || a === 'phimoe' || a === 'minimax-m2' || a === 'orion' || a === 'qwen' || a === 'jais' || a === 'baichuan' || a === 'codeshell' || a === 'dbrx') && !byName.has('output.weight')) throw new ModelConfigError(`model config: tensor 'output.weight' is missing (${/^[aeiou]/.test(a) ? 'an' : 'a'} ${a} model's head is never tied to the embedding)`);
  const embd = byName.get('token_embd.weight');
  if (!embd) throw new ModelConfigError(`model config: tensor 'token_embd.weight' is missing`);
  if (embd.shape.length !== 2 || embd.shape[1] !== dim) throw new ModelConfigError(`model config: tensor 'token_embd.weight' has shape [${embd.shape.join(', ')}], expected [vocab, ${dim}] ('${a}.embedding_length' ${dim})`);
  const vocab = embd.shape[0];
  const tok = metadata['tokenizer.ggml.tokens'];
  if (tok?.type === 'array' && tok.value.length !== vocab) {
    throw new ModelConfigError(`model config: 'tokenizer.ggml.tokens' has ${tok.value.length} tokens, tensor 'token_embd.weight' [${embd.shape.join(', ')}] has ${vocab} rows`);
  }
  const traits = archTraits(a);
  const c: LlamaConfig = {
    arch: a, vocab, dim, layers, heads, kvHeads, headDim, ffn, ctx, eps, ropeBase, ropeDims,
    ...traits,
    ropeFreqs: readsRopeFreqs(a) && byName.has('rope_freqs.weight'),
    tied: !byName.has('output.weight'), // gemma's and gemma2's graphs always tie it (archExtras): an output.weight is refused below
    // qwen2 always has q/k/v biases; llama.cpp's llama, smollm3, ernie4_5 and mistral3 take them where the file has them; the others have none.
    qkvBias: traits.qkvBias || ((a === 'llama' || a === 'phimoe' || a === 'chatglm' || a === 'smollm3' || a === 'ernie4_5' || a === 'ernie4_5-moe' || a === 'hunyuan-dense' || a === 'seed_oss' || a === 'glm4moe' || a === 'gpt-oss' || a === 'falcon-h1' || a === 'mistral3' || a === 'glm4' || a === 'arcee' || a === 'stablelm' || a === 'exaone' || a === 'starcoder2' || a === 'phi2' || a === 'gptneox' || a === 'qwen2moe') && (byName.has('blk.0.attn_q.bias') || byName.has('blk.0.attn_qkv.bias'))),
    ...(a === 'glm4moe' && byName.has('blk.0.attn_q_norm.weight') ? { qkNorm: true } : {}), // (GLM-4.5's; the Air has none)
    ...(a === 'command-r' && layers >= COMMAND_R_PLUS_LAYERS ? { qkHeadLayerNorm: true as const } : {}), // (Command R+'s: llama.cpp keys them on 64 layers or more)
    // StableLM 2 12B: per-head q / k LayerNorms where the file has them, the parallel block where it has no ffn_norm (llama.cpp's stablelm takes both as optional)
    ...(a === 'stablelm' && byName.has('blk.0.attn_q_norm.weight') ? { qkHeadLayerNorm: true as const } : {}),
    ...(a === 'stablelm' && !byName.has('blk.0.ffn_norm.weight') ? { parallelBlock: true as const } : {}),
    ...(a === 'llama4' && moe!.experts !== 128 ? { qkL2Norm: true as const } : {}), // (llama.cpp: all but its 17B-128E, Maverick)
    ...(a === 'llama4' ? llama4Attention(llama4Pattern(metadata, k, a)) : {}),
    ...(a === 'olmo' && k.float(`${a}.attention.clamp_kqv`, 0, true) > 0 ? { clampKqv: k.float(`${a}.attention.clamp_kqv`, 0, true) } : {}),
    ...(ropeScale !== 1 ? { ropeScale } : {}),
    ...archExtras(a, { window, pattern, swaLayers, layers, ropeBase, swaRopeBase, ropeScale, softcap, multipliers, rope, logitMul: readsLogitScale(a) ? k.float(`${a}.logit_scale`) : undefined }),
    ...alibiConfigFromGguf(a, k, layers, (n) => byName.has(n)), // (bloom, mpt, jais, refact, baichuan: llama_alibi.ts)
    ...moreArchConfigFromGguf(a, k, (n) => byName.has(n), { heads, kvHeads, headDim, dim }), // (codeshell, jais2, maincoder, pangu-embedded, deepseek, dbrx)
    ...(ropeAttnFactor !== 1 ? { ropeAttnFactor } : {}),
    ...(yarn ? { yarn } : {}),
    ...(attnTemperature ? { attnTemperature } : {}),
    ...(conv ? { shortConv: { taps: conv.taps, conv: conv.conv } } : {}),
    ...(hybrid ? { ssm: ssmFromGguf(k, a, dim, hybrid.recurrent) } : {}),
    ...(deltaNet ? { deltaNet } : {}),
    ...(nemo ? { layerKinds: nemo.kinds, ssm: ssmFromGguf(k, a, dim, nemo.kinds.map((kind) => kind === 'ssm')) } : {}),
    // falcon-h1: attention and a Mamba-2 mixer in every layer, side by side
    ...(a === 'falcon-h1' ? { ssm: ssmFromGguf(k, a, dim, Array.from({ length: layers }, () => true), { parallel: true, noNorm: !byName.has('blk.0.ssm_norm.weight') }) } : {}),
    ...(a === 'phi2' && byName.has('blk.0.attn_qkv.weight') ? { fusedQkv: true } : {}),
    ...(parRes ? { parallelResidual: true } : {}),
    ...(moe ? { moe } : {}),
    ...(mla ? { mla } : {}),
    ...((a === 'phi3' || a === 'phimoe' || a === 'minicpm3') && longF ? { longRope: { origCtx: k.int(`${a}.rope.scaling.original_context_length`, ctx) } } : {}),
  };
  // Every layer has 9 tensors at least (phi3's, falcon's and chatglm's fused ones: 6; the gateless or bias-free ones: 8): a block_count the file cannot hold is refused before the
  // list of expected tensors is built (a header saying 2^32 layers made a list of 40 billion names: out of memory).
  const perLayer = a === 'nemotron_h' || a === 'mamba2' ? 3 : a === 'phi3' || a === 'falcon' || a === 'chatglm' || a === 'olmo' || a === 'mpt' || a === 'refact' || a === 'baichuan' || a === 'pangu-embedded' || a === 'deepseek' ? 6 : a === 'arcee' || a === 'lfm2' || a === 'lfm2moe' || a === 'granitehybrid' || a === 'qwen35' || a === 'qwen35moe' || a === 'qwen3next' || traits.normNoBias ? 8 : a === 'falcon-h1' ? 15 : a === 'starcoder2' ? 13 : 9;
  if (layers * perLayer > tensors.length) throw new ModelConfigError(`model config: '${a}.block_count' ${layers} needs at least ${layers * perLayer} tensors (${perLayer} per layer), the file has ${tensors.length}`);
  // Only some graphs read rope_freqs (readsRopeFreqs; phi3's its LongRoPE pair): in a qwen2 / qwen3 file llama.cpp would refuse
  // the extra tensor, and so do we (below). The check is of the file's layout: phi3's fused tensors as stored.
  const want = ggufTensorLayout(c);
  for (const w of want) {
    const t = byName.get(w.name);
    if (!t) throw new ModelConfigError(`model config: tensor '${w.name}' is missing (expected shape [${w.shape.join(', ')}])`);
    if (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== w.shape[i])) {
      throw new ModelConfigError(`model config: tensor '${w.name}' has shape [${t.shape.join(', ')}], expected [${w.shape.join(', ')}]`);
    }
    if (isShortConvKernel(w.name) && !['F32', 'F16', 'BF16'].includes(t.type)) throw new ModelConfigError(`model config: tensor '${w.name}' is ${t.type}, expected F32, F16 or BF16 (the short convolution's kernel)`);
    if (w.shape.length === 1 && t.type !== 'F32') throw new ModelConfigError(`model config: tensor '${w.name}' is ${t.type}, expected F32 (norms, biases and rope factors)`);
  }
  const known = new Set(want.map((t) => t.name));
  const extra = tensors.filter((t) => !known.has(t.name) && !isNextnTensor(c, t.name)).map((t) => t.name);
  if (extra.length > 0) throw new ModelConfigError(`model config: tensor${extra.length > 1 ? 's' : ''} ${extra.slice(0, 5).map((n) => `'${n}'`).join(', ')}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''} not used by a ${a} model with ${layers} layers`);
  return c;
}
