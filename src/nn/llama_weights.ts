// Llama weights in and out of GGUF, and fresh ones for pretraining. Weights are f32 by GGUF tensor name
// (LlamaWeights); a file's F16 / BF16 tensors are widened and its quantized ones dequantized on the way in, and the
// way out writes an F32 GGUF that nibble's LanguageModel and llama.cpp both load: the hyperparameters under the
// architecture's keys, the tensors llamaTensorNames lists, and the tokenizer's metadata (default: byteLevelVocab).
import { encodeGgufFile, gguf, type GgufFile, type GgufValue } from '../io/gguf.js';
import { floatValues } from '../lm/weights.js';
import { PHI3_ENDOFTEXT, spmByteVocab } from '../lm/synth.js';
import { dequantizeGguf, type GgufBlockType } from '../quant/gguf.js';
import { rng } from '../ref/random.js';
import { archExtras, archTraits, EXAONE4_SWA_WINDOW, GEMMA2_DEFAULTS, llamaConfigFromGguf, OLMO3_SWA_PATTERN, GPT_OSS_SWA_PATTERN, readsLogitScale, llamaTensorNames, ModelConfigError, isShortConvKernel, SHORT_CONV_TAPS, type LlamaArch, type LlamaConfig } from './llama_config.js';
import { fuseTensors, splitFusedTensors } from './llama_layout.js';
import { MOE_ARCHS } from './llama_moe.js';
import { MAMBA2_HEAD_DIM } from './llama_ssm.js';
import { COMMAND_R_PLUS_LAYERS, LLAMA4_ATTENTION, llama4Attention, SMALLTHINKER_SWA } from './llama_arch_extras.js';
import { deltaNetKeys } from './llama_delta_net.js';
import { mlaKeys, type MlaConfig } from './llama_mla.js';
import { mropeMetadata } from './llama_mrope.js';
import { alibiConfig, readsAlibiBias } from './llama_alibi.js';
import type { LlamaWeights } from './llama_train.js';
import { expertWeight, GATING_FUNC, stackExperts } from './llama_moe.js';

/**
 * The byte-level vocabulary of nibble's own language models (260 tokens): SPM with <unk> <s> </s>, one token per
 * byte (<0x00>..<0xFF>), and the piece U+2581 that SPM writes for a space (without it, SPM's whitespace escape would
 * spell each space as the three bytes of U+2581). No space prefix: every byte of a text is exactly one token.
 * `arch` phi3: a control token <|endoftext|> is appended (261 tokens), which llama.cpp's vocabulary loader looks up in
 * every phi3 file (it refuses the file without it); no text tokenizes to it.
 */
export function byteLevelVocab(arch?: LlamaArch): Record<string, GgufValue> {
  return { ...spmByteVocab([{ text: '\u2581', score: 0 }, ...(arch === 'phi3' ? [PHI3_ENDOFTEXT] : [])]), 'tokenizer.ggml.add_space_prefix': gguf.bool(false) };
}

/** The tokenizer's keys of a GGUF header (`tokenizer.*`), to write them into a derived model's file. */
export function tokenizerMetadata(metadata: Record<string, GgufValue>): Record<string, GgufValue> {
  return Object.fromEntries(Object.entries(metadata).filter(([k]) => k.startsWith('tokenizer.')));
}

/** The configuration and f32 weights of a Llama-family GGUF file, by the definition's names (phi3's fused tensors split). */
export function llamaWeightsFromGguf(file: GgufFile): { config: LlamaConfig; weights: LlamaWeights } {
  const config = llamaConfigFromGguf(file.metadata, file.tensors);
  const weights: LlamaWeights = {};
  for (const t of splitFusedTensors(config, file.tensors)) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.type === 'F32' || t.type === 'F16' || t.type === 'BF16') weights[t.name] = floatValues(t, n);
    else {
      const K = t.shape[t.shape.length - 1];
      weights[t.name] = dequantizeGguf(t.type as GgufBlockType, t.data, n / K, K, t.name);
    }
  }
  return { config, weights };
}

/** The hyperparameter keys llamaConfigFromGguf reads, for `c`. */
export function llamaHparamMetadata(c: LlamaConfig): Record<string, GgufValue> {
  return mropeMetadata(c, baseHparamMetadata(c)); // (a Qwen VL text decoder's under its own architecture)
}

function baseHparamMetadata(c: LlamaConfig): Record<string, GgufValue> {
  const a = c.arch;
  const out: Record<string, GgufValue> = {
    'general.architecture': gguf.str(a),
    [`${a}.context_length`]: gguf.u32(c.ctx),
    [`${a}.embedding_length`]: gguf.u32(c.dim),
    [`${a}.block_count`]: gguf.u32(c.layers),
    // (nemotron_h: one width a layer, 0 but on its MLP layers)
    // (qwen: twice the width, as its converter writes it)
    [`${a}.feed_forward_length`]: c.layerKinds ? gguf.array('u32', c.layerKinds.map((kind) => (kind === 'ffn' ? c.ffn : 0))) : gguf.u32(a === 'qwen' ? 2 * c.ffn : c.ffn),
    [`${a}.attention.head_count`]: gguf.u32(c.heads),
    // lfm2: one count a layer, 0 for the short-convolution layers (as llama.cpp's converter writes it)
    // (granitehybrid's the same, 0 for its Mamba-2 layers)
    [`${a}.attention.head_count_kv`]: c.layerKinds ? gguf.array('u32', c.layerKinds.map((kind) => (kind === 'attention' ? c.kvHeads : 0))) : c.shortConv || (c.ssm && !c.ssm.parallel) ? gguf.array('u32', (c.shortConv?.conv ?? c.ssm!.layers).map((r) => (r ? 0 : c.kvHeads))) : gguf.u32(c.kvHeads),
    ...(c.shortConv ? { [`${a}.shortconv.l_cache`]: gguf.u32(c.shortConv.taps) } : {}),
    ...(c.deltaNet ? deltaNetKeys(a, c.deltaNet, c.ropeDims) : {}),
    ...(c.ssm ? { [`${a}.ssm.conv_kernel`]: gguf.u32(c.ssm.taps), [`${a}.ssm.inner_size`]: gguf.u32(c.ssm.inner), [`${a}.ssm.state_size`]: gguf.u32(c.ssm.state), [`${a}.ssm.time_step_rank`]: gguf.u32(c.ssm.heads), [`${a}.ssm.group_count`]: gguf.u32(c.ssm.groups) } : {}),
    [`${a}.attention.key_length`]: gguf.u32(c.headDim),
    [`${a}.attention.value_length`]: gguf.u32(c.headDim),
    [c.layerNorm ? `${a}.attention.layer_norm_epsilon` : `${a}.attention.layer_norm_rms_epsilon`]: gguf.f32(c.eps),
    ...(c.clampKqv || a === 'dbrx' ? { [`${a}.attention.clamp_kqv`]: gguf.f32(c.clampKqv ?? 0) } : {}), // (dbrx: required)
    ...(readsAlibiBias(a) && c.alibi ? { [`${a}.attention.max_alibi_bias`]: gguf.f32(c.alibi) } : {}), // (mpt's, jais's)
    // (nemotron_h: llama.cpp's loader requires a LayerNorm epsilon too, which none of its graph's norms reads)
    ...(a === 'nemotron_h' ? { [`${a}.attention.layer_norm_epsilon`]: gguf.f32(c.eps) } : {}),
    [`${a}.rope.freq_base`]: gguf.f32(c.ropeBase),
    [`${a}.rope.dimension_count`]: gguf.u32(c.ropeDims),
    ...(c.swa ? { [`${a}.attention.sliding_window`]: gguf.u32(c.swa.window) } : {}),
    ...(c.swa && a === 'olmo2' && c.swa.pattern !== OLMO3_SWA_PATTERN ? { [`${a}.attention.sliding_window_pattern`]: gguf.u32(c.swa.pattern) } : {}),
    ...(c.swa && a === 'gpt-oss' && c.swa.pattern !== GPT_OSS_SWA_PATTERN ? { [`${a}.attention.sliding_window_pattern`]: gguf.u32(c.swa.pattern) } : {}),
    ...(c.swa?.layers ? { [`${a}.attention.sliding_window_pattern`]: gguf.array('bool', [...c.swa.layers]) } : {}), // (mellum's, one a layer, as its converter writes it)
    ...(c.swa && a === 'smallthinker' && c.swa.pattern !== SMALLTHINKER_SWA.pattern ? { [`${a}.attention.sliding_window_pattern`]: gguf.u32(c.swa.pattern) } : {}),
    ...(c.swa && (a === 'gpt-oss' || a === 'smallthinker') && c.swa.ropeBase !== c.ropeBase ? { [`${a}.rope.freq_base_swa`]: gguf.f32(c.swa.ropeBase) } : {}),
    ...(c.softcap ? { [`${a}.attn_logit_softcapping`]: gguf.f32(c.softcap.attn), [`${a}.final_logit_softcapping`]: gguf.f32(c.softcap.final) } : {}),
    ...((c.ropeScale ?? 1) !== 1 ? { [`${a}.rope.scaling.type`]: gguf.str('linear'), [`${a}.rope.scaling.factor`]: gguf.f32(1 / c.ropeScale!) } : {}),
    ...(c.ropeAttnFactor !== undefined ? { [`${a}.rope.scaling.attn_factor`]: gguf.f32(c.ropeAttnFactor) } : {}),
    ...(c.longRope ? { [`${a}.rope.scaling.original_context_length`]: gguf.u32(c.longRope.origCtx) } : {}),
    ...(c.multipliers && a !== 'minicpm3' ? graniteKeys(a, c.multipliers, c.noRopeStep !== 1) : {}), // (minicpm3's are its graph's constants)
    ...(readsLogitScale(a) ? { [`${a}.logit_scale`]: gguf.f32(c.logitMul ?? 1) } : {}), // Cohere's (required by llama.cpp)
    ...(a === 'gptneox' ? { [`${a}.use_parallel_residual`]: gguf.bool(!!c.parallelResidual) } : {}),
    ...(c.moe ? moeKeys(c) : {}),
    ...(c.yarn ? yarnKeys(a, c.yarn) : {}),
    ...(c.attnTemperature ? temperatureKeys(a, c) : {}),
    ...(c.mla ? mlaKeys(a, c.mla, c.ropeDims, gguf.u32, gguf.f32) : {}),
    // deepseek2 without experts: every layer a leading dense one (llama.cpp's loader requires the experts' keys)
    ...(a === 'deepseek2' && !c.moe ? { [`${a}.leading_dense_block_count`]: gguf.u32(c.layers), [`${a}.expert_shared_count`]: gguf.u32(0), [`${a}.expert_feed_forward_length`]: gguf.u32(c.ffn) } : {}),
  };
  if (a === 'mamba2') {
    // as its converter writes it: head_count and feed_forward_length 0 (unused), no attention or RoPE keys
    for (const key of ['attention.head_count_kv', 'attention.key_length', 'attention.value_length', 'rope.freq_base', 'rope.dimension_count']) delete out[`${a}.${key}`];
    Object.assign(out, { [`${a}.attention.head_count`]: gguf.u32(0), [`${a}.feed_forward_length`]: gguf.u32(0) });
  }
  return out;
}

/** The experts' keys: Mixtral and OLMoE size them by feed_forward_length (the config's ffn must equal theirs), Qwen's by expert_feed_forward_length. */
function moeKeys(c: LlamaConfig): Record<string, GgufValue> {
  const a = c.arch;
  const m = c.moe!;
  const qwen = a === 'qwen2moe' || a === 'qwen3moe' || a === 'qwen35moe' || a === 'qwen3next' || a === 'llama4' || a === 'lfm2moe' || a === 'ernie4_5-moe' || a === 'bailingmoe' || a === 'glm4moe' || a === 'gpt-oss' || a === 'smallthinker' || a === 'dots1' || a === 'mellum' || a === 'deepseek2' || a === 'bailingmoe2' || a === 'deepseek'; // (the experts' width a key of its own)
  const counted = a === 'bailingmoe' || a === 'glm4moe' || a === 'dots1' || a === 'deepseek2' || a === 'bailingmoe2' || a === 'deepseek'; // (a shared expert a count of experts wide, the renormalization and scale keys)
  if (counted && (((a === 'bailingmoe' || a === 'dots1' || a === 'deepseek2' || a === 'bailingmoe2' || a === 'deepseek') && !m.sharedFfn) || (m.sharedFfn ?? 0) % m.ffn !== 0)) throw new RangeError(`llama metadata: ${a}'s shared expert (${m.sharedFfn ?? 0}) must be a multiple of its experts' width ${m.ffn} (GGUF keeps expert_shared_count)`);
  if (!qwen && m.ffn !== c.ffn) throw new RangeError(`llama metadata: ${a}'s experts are feed_forward_length ${c.ffn} wide, not ${m.ffn} (GGUF keeps one)`);
  return {
    [`${a}.expert_count`]: gguf.u32(m.experts),
    [`${a}.expert_used_count`]: gguf.u32(m.used),
    ...(qwen || a === 'hunyuan-moe' ? { [`${a}.expert_feed_forward_length`]: gguf.u32(m.ffn) } : {}), // (hunyuan-moe: required, equal to feed_forward_length)
    ...(m.sharedFfn && !counted ? { [`${a}.expert_shared_feed_forward_length`]: gguf.u32(m.sharedFfn) } : {}),
    ...(counted ? { [`${a}.expert_shared_count`]: gguf.u32((m.sharedFfn ?? 0) / m.ffn), ...(a !== 'deepseek' ? { [`${a}.expert_weights_norm`]: gguf.bool(m.norm) } : {}), ...(m.weightScale ? { [`${a}.expert_weights_scale`]: gguf.f32(m.weightScale) } : {}) } : {}),
    ...(a === 'lfm2moe' ? { [`${a}.expert_gating_func`]: gguf.u32(GATING_FUNC[m.gating ?? 'softmax']), ...(m.denseLead ? { [`${a}.leading_dense_block_count`]: gguf.u32(m.denseLead) } : {}) } : {}),
    ...(a === 'smallthinker' ? { [`${a}.expert_gating_func`]: gguf.u32(GATING_FUNC[m.gating ?? 'softmax']) } : {}),
    ...(a === 'ernie4_5-moe' ? { [`${a}.leading_dense_block_count`]: gguf.u32(m.denseLead ?? 0), [`${a}.interleave_moe_layer_step`]: gguf.u32(1) } : {}),
    ...(a === 'deepseek' && m.denseLead ? { [`${a}.leading_dense_block_count`]: gguf.u32(m.denseLead) } : {}),
    ...(a === 'glm4moe' || a === 'dots1' || a === 'deepseek2' || a === 'bailingmoe2' ? { [`${a}.leading_dense_block_count`]: gguf.u32(m.denseLead ?? 0), [`${a}.expert_gating_func`]: gguf.u32(GATING_FUNC[m.gating ?? 'softmax']) } : {}),
    ...(a === 'llama4' ? { [`${a}.interleave_moe_layer_step`]: gguf.u32(m.step ?? 1), ...(c.attnChunk!.pattern !== LLAMA4_ATTENTION.pattern ? { [`${a}.attention.sliding_window_pattern`]: gguf.u32(c.attnChunk!.pattern) } : {}) } : {}),
    ...(a === 'minimax-m2' ? { [`${a}.expert_feed_forward_length`]: gguf.u32(m.ffn), [`${a}.expert_gating_func`]: gguf.u32(GATING_FUNC[m.gating ?? 'softmax']) } : {}),
    ...(m.groups ? { [`${a}.expert_group_count`]: gguf.u32(m.groups.count), [`${a}.expert_group_used_count`]: gguf.u32(m.groups.used) } : {}),
  };
}

/** mistral3's attention temperature: its scale, and its length as the original context (YaRN's, when the model has it). */
function temperatureKeys(a: string, c: LlamaConfig): Record<string, GgufValue> {
  const t = c.attnTemperature!;
  if (c.yarn && c.yarn.origCtx !== t.length) throw new RangeError(`llama metadata: the attention temperature's length ${t.length} must be YaRN's original context ${c.yarn.origCtx} (GGUF keeps one)`);
  return { [`${a}.attention.temperature_scale`]: gguf.f32(t.scale), ...(!c.yarn && t.length !== c.ctx ? { [`${a}.rope.scaling.original_context_length`]: gguf.u32(t.length) } : {}) };
}

function yarnKeys(a: string, y: NonNullable<LlamaConfig['yarn']>): Record<string, GgufValue> {
  const r = `${a}.rope.scaling`;
  return { [`${r}.type`]: gguf.str('yarn'), [`${r}.factor`]: gguf.f32(y.factor), [`${r}.original_context_length`]: gguf.u32(y.origCtx), ...(y.logMul ? { [`${r}.yarn_log_multiplier`]: gguf.f32(y.logMul) } : {}) };
}

function graniteKeys(a: string, m: NonNullable<LlamaConfig['multipliers']>, rope: boolean): Record<string, GgufValue> {
  return {
    [`${a}.logit_scale`]: gguf.f32(m.logit),
    ...(m.embedding || a === 'minicpm' ? { [`${a}.embedding_scale`]: gguf.f32(m.embedding) } : {}), // minicpm's are required
    ...(m.residual || a === 'minicpm' ? { [`${a}.residual_scale`]: gguf.f32(m.residual) } : {}),
    ...(m.attention ? { [`${a}.attention.scale`]: gguf.f32(m.attention) } : {}),
    ...(rope ? {} : { [`${a}.rope.scaling.finetuned`]: gguf.bool(false) }),
  };
}

/**
 * A GGUF of the model: every tensor llamaTensorNames lists (each checked for presence and size) in F32, or as the
 * block bytes `quantized` gives for it (a QAT-converted Linear: src/train/qat_plan.ts convertLinearGguf), laid out
 * as the architecture's files are (phi3's q/k/v and gate/up fused: llama_layout.ts; their parts share a type), the
 * hyperparameters, and `metadata` (the tokenizer's keys, general.name, ...; overrides). Without tokenizer keys
 * byteLevelVocab is written, which needs vocab 260.
 */
export function writeLlamaGguf(c: LlamaConfig, weights0: LlamaWeights, metadata: Record<string, GgufValue> = {}, quantized: Record<string, { type: 'Q4_0' | 'Q4_1' | 'Q8_0'; data: Uint8Array }> = {}): Uint8Array {
  const weights = c.moe ? stackExperts(c, weights0) : weights0;
  const tensors = llamaTensorNames(c).map(({ name, shape }) => {
    const q = shape.length === 3 ? stackedBlocks(name, shape[0], quantized) : quantized[name];
    if (q) return { name, type: q.type, shape, data: q.data };
    const w = weights[name];
    const n = shape.reduce((a, b) => a * b, 1);
    if (!w) throw new ModelConfigError(`writeLlamaGguf: weight '${name}' is missing (expected shape [${shape.join(', ')}])`);
    if (w.length !== n) throw new ModelConfigError(`writeLlamaGguf: weight '${name}' has ${w.length} values, shape [${shape.join(', ')}] needs ${n}`);
    return { name, type: 'F32' as const, shape, data: w };
  });
  const vocab = metadata['tokenizer.ggml.tokens'] ? {} : byteLevelVocab();
  const tokens = (metadata['tokenizer.ggml.tokens'] ?? vocab['tokenizer.ggml.tokens']) as GgufValue;
  const count = tokens.type === 'array' ? tokens.value.length : -1;
  if (count !== c.vocab) throw new ModelConfigError(`writeLlamaGguf: the tokenizer has ${count} tokens, the model's vocab is ${c.vocab}${metadata['tokenizer.ggml.tokens'] ? '' : ' (the default byte-level vocabulary has 260)'}`);
  return encodeGgufFile(fuseTensors(c, tensors), { ...llamaHparamMetadata(c), 'general.name': gguf.str(`nibble ${c.arch}`), ...vocab, ...metadata });
}

/**
 * A stack of experts' blocks (each expert a converted Linear, quantized[expertWeight(name, e)]) as one tensor: their
 * bytes one after another, all of one type; none quantized: undefined (written F32).
 */
function stackedBlocks(name: string, E: number, quantized: Record<string, { type: 'Q4_0' | 'Q4_1' | 'Q8_0'; data: Uint8Array }>): { type: 'Q4_0' | 'Q4_1' | 'Q8_0'; data: Uint8Array } | undefined {
  const parts = Array.from({ length: E }, (_, e) => quantized[expertWeight(name, e)]);
  if (parts.every((p) => !p)) return quantized[name];
  const bad = parts.findIndex((p) => !p || p.type !== parts[0]!.type);
  if (bad >= 0) throw new ModelConfigError(`writeLlamaGguf: expert ${bad} of '${name}' is ${parts[bad] ? parts[bad]!.type : 'F32'}, expert 0 ${parts[0] ? parts[0].type : 'F32'}: a GGUF tensor holds its experts in one type`);
  const data = new Uint8Array(parts.reduce((s, p) => s + p!.data.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p!.data, o);
    o += p!.data.length;
  }
  return { type: parts[0]!.type, data };
}

/**
 * Fresh weights for pretraining (seeded): matrices normal with standard deviation 0.02, the projections into the
 * residual stream (attn_output, ffn_down, lfm2's shortconv.out_proj) 0.02 / sqrt(2 layers) so the stream's variance
 * does not grow with depth (GPT-2's rule); norm weights 1, biases 0; lfm2's conv kernels as PyTorch's Conv1d.
 */
export function initLlamaWeights(c: LlamaConfig, seed: number): LlamaWeights {
  const r = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const out: LlamaWeights = {};
  for (const { name, shape } of llamaTensorNames(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (shape.length === 1) out[name] = new Float32Array(n).fill(name.endsWith('.bias') ? 0 : 1);
    // lfm2's conv kernels [dim, taps]: uniform in +-1/sqrt(taps), PyTorch's Conv1d default (fan-in: the taps)
    else if (isShortConvKernel(name)) out[name] = Float32Array.from({ length: n }, () => (2 * r() - 1) / Math.sqrt(shape[1]));
    else {
      const std = /attn_output|ffn_down|shortconv\.out_proj/.test(name) ? 0.02 / Math.sqrt(2 * c.layers) : 0.02;
      out[name] = Float32Array.from({ length: n }, () => std * normal());
    }
  }
  return out;
}

/**
 * A config from the few numbers a user picks (byte-level vocabulary by default). The head dim is dim / heads unless
 * given (Qwen3 decouples them: q is [heads * headDim, dim]). gemma3's sliding window defaults to 512 (Gemma 3 1B's);
 * granite's multipliers default to none applied and a logit scale of 1.
 */
export function llamaConfig(o: { /** stablelm: StableLM 2 12B's per-head q / k LayerNorms and parallel block. */ stablelm12b?: boolean; /** mpt, jais: max_alibi_bias (default 8; 0: none). */ alibi?: number; /** mpt: its biases (everywhere, or none: the default) and learned positions. */ mpt?: { biases?: boolean; positions?: boolean }; arch?: LlamaArch; vocab?: number; dim: number; layers: number; heads: number; kvHeads?: number; headDim?: number; ffn: number; ctx: number; eps?: number; ropeBase?: number; tied?: boolean; slidingWindow?: number; /** olmo2 (OLMo 3): sliding_window_pattern (default 4). */ slidingPattern?: number; /** mellum (with slidingWindow): one flag a layer, true where it slides. */ slidingLayers?: readonly boolean[]; ropeScale?: number; softcap?: { attn: number; final: number }; multipliers?: LlamaConfig['multipliers']; /** lfm2: the kernel length and which layers are short convolutions. */ shortConv?: LlamaConfig['shortConv']; /** granitehybrid, falcon-h1, nemotron_h (required there): the Mamba-2 mixers (inner: default 2 dim; falcon-h1's every layer, beside attention; nemotron_h's where layerKinds says 'ssm'). */ ssm?: Omit<NonNullable<LlamaConfig['ssm']>, 'inner' | 'parallel'> & { inner?: number }; /** nemotron_h (required there): each layer's one mixer. */ layerKinds?: LlamaConfig['layerKinds']; /** qwen35 (required there): its Gated DeltaNet layers. */ deltaNet?: LlamaConfig['deltaNet']; /** command-r, cohere2: logit_scale (default 1). */ logitMul?: number; /** gptneox: use_parallel_residual (default true). */ parallelResidual?: boolean; /** Mixtral's llama, granite and the MoE architectures (qwen2moe with sharedFfn, ...): the experts (norm: llama.cpp's, from the arch; ernie4_5-moe's selectionBias as given, lfm2moe's always). */ moe?: Omit<NonNullable<LlamaConfig['moe']>, 'norm'> & { /** bailingmoe only (expert_weights_norm; default false) */ norm?: boolean }; /** deepseek2, minicpm3 (required there): the multi-head latent attention, `rope` its RoPE dims (deepseek2: heads of kvLora + rope over one KV head; minicpm3: heads of nope + rope, kvB set here). */ mla?: MlaConfig & { rope: number } }): LlamaConfig {
  // mamba2: no attention and no FFN (one notional head, never run: llamaConfigFromGguf reads it so), every layer a Mamba-2 mixer
  if ((o.arch === 'deepseek2' || o.arch === 'minicpm3') !== !!o.mla) throw new ModelConfigError(`llama config: mla is deepseek2's and minicpm3's, and they need it (arch ${o.arch ?? 'llama'})`);
  // deepseek2: one KV head of kvLora + rope (absorbed); minicpm3: a KV head a head of nope + rope, with its fixed scales
  if (o.mla) o = o.arch === 'minicpm3' ? { ...o, kvHeads: o.heads, headDim: o.mla.nope + o.mla.rope, multipliers: { embedding: 12, residual: 1.4 / Math.sqrt(o.layers), attention: 0, logit: o.dim / 256 } } : { ...o, kvHeads: 1, headDim: o.mla.kvLora + o.mla.rope };
  if (o.arch === 'mamba2') o = { ...o, heads: 1, kvHeads: 1, headDim: MAMBA2_HEAD_DIM, ffn: 0, layerKinds: Array.from({ length: o.layers }, () => 'ssm' as const) };
  if (o.headDim === undefined && o.dim % o.heads !== 0) throw new ModelConfigError(`llama config: dim ${o.dim} is not a multiple of heads ${o.heads}`);
  const kvHeads = o.kvHeads ?? o.heads;
  if (o.heads % kvHeads !== 0) throw new ModelConfigError(`llama config: heads ${o.heads} is not a multiple of kvHeads ${kvHeads}`);
  const headDim = o.headDim ?? o.dim / o.heads;
  if (!(Number.isInteger(headDim) && headDim > 0 && headDim % 2 === 0)) throw new ModelConfigError(`llama config: the head dim ${headDim} must be an even positive integer (RoPE pairs)`);
  const arch = o.arch ?? 'llama';
  if ((arch === 'lfm2' || arch === 'lfm2moe') && !o.shortConv) throw new ModelConfigError(`llama config: an lfm2 model needs shortConv (its kernel length and which layers are short convolutions)`);
  if (o.shortConv && ((arch !== 'lfm2' && arch !== 'lfm2moe') || o.shortConv.conv.length !== o.layers)) throw new ModelConfigError(`llama config: shortConv is lfm2's, one flag a layer (arch ${arch}, ${o.shortConv.conv.length} flags for ${o.layers} layers)`);
  if ((arch === 'granitehybrid' || arch === 'falcon-h1' || arch === 'nemotron_h' || arch === 'mamba2') !== !!o.ssm) throw new ModelConfigError(`llama config: ssm (Mamba-2 mixers) is granitehybrid's, falcon-h1's, nemotron_h's and mamba2's, and they need it (arch ${arch})`);
  if ((arch === 'qwen35' || arch === 'qwen35moe' || arch === 'qwen3next') !== !!o.deltaNet || (o.deltaNet && o.deltaNet.layers.length !== o.layers)) throw new ModelConfigError(`llama config: deltaNet (one flag a layer) is qwen35's and qwen35moe's, and they need it (arch ${arch})`);
  if ((arch === 'nemotron_h' || arch === 'mamba2') !== !!o.layerKinds || (o.layerKinds && o.layerKinds.length !== o.layers)) throw new ModelConfigError(`llama config: layerKinds (one a layer) is nemotron_h's, and it needs them (arch ${arch})`);
  if (o.ssm && arch === 'granitehybrid' && o.ssm.layers.length !== o.layers) throw new ModelConfigError(`llama config: ssm.layers has ${o.ssm.layers.length} flags for ${o.layers} layers`);
  if (o.shortConv && (o.shortConv.taps < SHORT_CONV_TAPS.min || o.shortConv.taps > SHORT_CONV_TAPS.max)) throw new ModelConfigError(`llama config: a short convolution of ${o.shortConv.taps} taps (${SHORT_CONV_TAPS.min}..${SHORT_CONV_TAPS.max} supported)`);
  if ((arch === 'olmo2' || arch === 'stablelm' || arch === 'phi2' || arch === 'gptneox' || arch === 'internlm2' || arch === 'xverse' || arch === 'bailingmoe' || arch === 'nemotron' || arch === 'gpt-oss' || arch === 'dots1' || arch === 'mellum' || arch === 'bailingmoe2' || arch === 'phimoe' || arch === 'minimax-m2' || arch === 'orion' || arch === 'qwen' || arch === 'jais' || arch === 'baichuan' || arch === 'codeshell' || arch === 'dbrx') && o.tied) throw new ModelConfigError(`llama config: ${/^[aeiou]/.test(arch) ? 'an' : 'a'} ${arch} model's head is never tied to the embedding (llama.cpp requires output.weight)`);
  if ((arch === 'mellum' && (o.slidingWindow ?? 0) > 0) !== !!o.slidingLayers || (o.slidingLayers && o.slidingLayers.length !== o.layers)) throw new ModelConfigError(`llama config: slidingLayers (one flag a layer) is a sliding mellum's, and it needs them (arch ${arch}, window ${o.slidingWindow ?? 0})`);
  if (arch === 'dots1' && kvHeads !== o.heads) throw new ModelConfigError(`llama config: a dots1 model has as many KV heads as heads (llama.cpp sizes k and v by head_count; kvHeads ${kvHeads}, heads ${o.heads})`);
  if (o.stablelm12b && arch !== 'stablelm') throw new ModelConfigError(`llama config: stablelm12b is stablelm's (arch ${arch})`);
  if (MOE_ARCHS.includes(arch) && !o.moe) throw new ModelConfigError(`llama config: a ${arch} model needs moe (its experts)`);
  if (o.moe && arch !== 'llama' && arch !== 'granite' && arch !== 'granitehybrid' && arch !== 'deepseek2' && !MOE_ARCHS.includes(arch)) throw new ModelConfigError(`llama config: moe is Mixtral's (llama), granite's, deepseek2's and ${MOE_ARCHS.join('\'s, ')}'s (arch ${arch})`);
  if (o.moe?.sharedFfn && arch !== 'qwen2moe' && arch !== 'qwen35moe' && arch !== 'qwen3next' && arch !== 'granite' && arch !== 'granitemoe' && arch !== 'granitehybrid' && arch !== 'ernie4_5-moe' && arch !== 'bailingmoe' && arch !== 'hunyuan-moe' && arch !== 'glm4moe' && arch !== 'dots1' && arch !== 'deepseek2' && arch !== 'bailingmoe2' && arch !== 'deepseek') throw new ModelConfigError(`llama config: a shared expert is qwen2moe's, Granite's, ERNIE 4.5 MoE's, bailingmoe's, hunyuan-moe's, glm4moe's and dots1's (arch ${arch})`);
  if ((arch === 'bailingmoe' || arch === 'hunyuan-moe' || arch === 'dots1' || arch === 'deepseek2' || arch === 'bailingmoe2' || arch === 'deepseek') && o.moe && !o.moe.sharedFfn) throw new ModelConfigError(`llama config: a ${arch} model needs its shared expert (moe.sharedFfn${arch !== 'hunyuan-moe' ? ', a multiple of moe.ffn' : ''})`);
  if ((o.moe?.weightScale !== undefined || o.moe?.norm !== undefined) && arch !== 'deepseek' && arch !== 'bailingmoe' && arch !== 'glm4moe' && arch !== 'dots1' && arch !== 'deepseek2' && arch !== 'bailingmoe2') throw new ModelConfigError(`llama config: moe.weightScale and moe.norm are bailingmoe's, glm4moe's and dots1's (the others' graphs fix them; arch ${arch})`);
  if (o.moe?.biases && arch !== 'gpt-oss') throw new ModelConfigError(`llama config: biased experts are gpt-oss's (arch ${arch})`);
  if (o.moe?.gating && arch !== 'lfm2moe' && arch !== 'glm4moe' && arch !== 'smallthinker' && arch !== 'dots1' && arch !== 'deepseek2' && arch !== 'bailingmoe2' && arch !== 'minimax-m2') throw new ModelConfigError(`llama config: a sigmoid router is lfm2moe's, glm4moe's, smallthinker's and dots1's (arch ${arch})`);
  if (arch === 'deepseek' && (o.moe?.norm || o.moe?.selectionBias)) throw new ModelConfigError(`llama config: deepseek's experts are never renormalized and have no selection bias (llama.cpp's graph fixes them)`);
  if (o.moe?.denseLead && arch !== 'lfm2moe' && arch !== 'ernie4_5-moe' && arch !== 'glm4moe' && arch !== 'dots1' && arch !== 'deepseek2' && arch !== 'bailingmoe2' && arch !== 'deepseek') throw new ModelConfigError(`llama config: dense leading layers are lfm2moe's, ernie4_5-moe's, glm4moe's, dots1's and deepseek's (arch ${arch})`);
  if (o.moe?.selectionBias && arch !== 'lfm2moe' && arch !== 'ernie4_5-moe' && arch !== 'glm4moe' && arch !== 'dots1' && arch !== 'deepseek2' && arch !== 'bailingmoe2') throw new ModelConfigError(`llama config: a selection bias is lfm2moe's, ernie4_5-moe's, glm4moe's, dots1's, deepseek2's and bailingmoe2's (arch ${arch})`);
  return {
    arch, vocab: o.vocab ?? 260, dim: o.dim, layers: o.layers, heads: o.heads, kvHeads, headDim, ffn: o.ffn, ctx: o.ctx,
    eps: o.eps ?? 1e-5, ropeBase: o.ropeBase ?? 10000, ropeDims: headDim, ropeFreqs: false, tied: !!o.tied, ...archTraits(arch),
    ...((o.ropeScale ?? 1) !== 1 ? { ropeScale: o.ropeScale } : {}),
    ...(o.shortConv ? { shortConv: { taps: o.shortConv.taps, conv: [...o.shortConv.conv] } } : {}),
    ...(o.ssm ? { ssm: { ...o.ssm, inner: o.ssm.inner ?? 2 * o.dim, layers: arch === 'falcon-h1' ? Array.from({ length: o.layers }, () => true) : o.layerKinds ? o.layerKinds.map((k) => k === 'ssm') : [...o.ssm.layers], ...(arch === 'falcon-h1' ? { parallel: true as const } : {}) } } : {}),
    ...(o.layerKinds ? { layerKinds: [...o.layerKinds] } : {}),
    ...(o.deltaNet ? { deltaNet: { ...o.deltaNet, layers: [...o.deltaNet.layers], ...(arch === 'qwen3next' ? { kRepeat: true as const } : {}) } } : {}),
    ...(arch === 'gptneox' && o.parallelResidual !== false ? { parallelResidual: true } : {}),
    ...(o.moe ? { moe: { ...o.moe, norm: arch === 'bailingmoe' || arch === 'glm4moe' || arch === 'dots1' || arch === 'deepseek2' || arch === 'bailingmoe2' ? !!o.moe.norm : arch !== 'olmoe' && arch !== 'qwen2moe' && arch !== 'deepseek', ...(arch === 'qwen2moe' || arch === 'qwen35moe' || arch === 'qwen3next' ? { sharedFfn: o.moe.sharedFfn ?? o.ffn } : {}), ...(arch === 'lfm2moe' || arch === 'glm4moe' ? { gating: o.moe.gating ?? ('sigmoid' as const), selectionBias: true as const } : {}), ...(arch === 'gpt-oss' ? { biases: true as const } : {}), ...(arch === 'smallthinker' ? { routerOnInput: true as const } : {}), ...(arch === 'llama4' ? llama4Moe(o.moe) : {}), ...(arch === 'minimax-m2' ? { selectionBias: true as const } : {}) } } : {}),
    ...(arch === 'llama4' && o.moe?.experts !== 128 ? { qkL2Norm: true as const } : {}),
    ...(arch === 'llama4' ? llama4Attention(o.slidingPattern) : {}),
    ...(arch === 'command-r' && o.layers >= COMMAND_R_PLUS_LAYERS ? { qkHeadLayerNorm: true as const } : {}), // (Command R+'s per-head q / k LayerNorms)
    ...(arch === 'stablelm' && o.stablelm12b ? { qkHeadLayerNorm: true as const, parallelBlock: true as const } : {}), // (StableLM 2 12B's)
    ...archExtras(arch, { window: o.slidingWindow ?? (arch === 'gemma2' ? GEMMA2_DEFAULTS.window : arch === 'olmo2' || arch === 'smallthinker' || arch === 'mellum' ? 0 : arch === 'exaone4' ? EXAONE4_SWA_WINDOW : 512), pattern: o.slidingPattern, swaLayers: o.slidingLayers, layers: o.layers, ropeBase: o.ropeBase ?? 10000, ropeScale: o.ropeScale ?? 1, softcap: o.softcap, multipliers: o.multipliers ?? (arch === 'granite' || arch === 'granitemoe' || arch === 'granitehybrid' ? { embedding: 0, residual: 0, attention: 0, logit: 1 } : arch === 'minicpm' ? { embedding: 1, residual: 1, attention: 0, logit: 1 } : undefined), logitMul: o.logitMul }),
    ...alibiConfig(arch, o.layers, o), // (bloom, mpt, jais, refact, baichuan: llama_alibi.ts)
    ...(o.mla ? { mla: { qLora: o.mla.qLora, kvLora: o.mla.kvLora, nope: o.mla.nope, v: o.mla.v, ...(o.mla.logMul ? { logMul: o.mla.logMul } : {}), ...(arch === 'minicpm3' ? { kvB: true as const } : {}) }, ropeDims: o.mla.rope } : {}),
  };
}

/** llama4's fixed routing (llama_moe.ts llama4Moe): sigmoids unnormalized, each applied to its expert's input, an ungated shared expert of the experts' width; a step of 1 is every layer (no step). */
function llama4Moe(m: { ffn: number; step?: number }): Partial<NonNullable<LlamaConfig['moe']>> {
  return { norm: false, gating: 'sigmoid', sharedFfn: m.ffn, weightBeforeFfn: true, step: m.step && m.step > 1 ? m.step : undefined };
}
