// Small Llama-family GGUF files with seeded random weights: the test models of the language-model runtime (and the
// bundled untrained model). synthLlamaGguf writes a complete file that llama.cpp loads: hyperparameters, a byte-level
// SPM vocabulary, and every tensor llamaTensorNames lists, in any of the weight types nibble runs.
//
// Scales, chosen so that the next-token distribution at every position is neither uniform nor one-hot (top
// probability mostly 0.1-0.6 over 259 tokens; 0.08-0.93 over test/unit/llama_ref.test.ts's models, which check it):
//   - every [N, K] projection has values of standard deviation 1/sqrt(K), so a unit-RMS input gives unit-RMS
//     outputs (attention scores q.k/sqrt(headDim) then have a standard deviation near 1: attention is neither
//     uniform nor one-hot either);
//   - the output projection (or the embedding, when tied) has standard deviation LOGIT_STD/sqrt(dim): the final
//     RMSNorm makes its input unit-RMS, so the logits have a standard deviation near LOGIT_STD = 2.5. The largest
//     of 259 such logits sits about 2.8 deviations up, which puts its probability near 0.1-0.2;
//   - an untied embedding has standard deviation 1 (the residual stream starts at unit RMS; gemma3's, which it
//     multiplies by sqrt(dim), 1/sqrt(dim)). A tied gemma3 embedding then enters at RMS LOGIT_STD and dominates the
//     residual stream: the next-token distribution is near one-hot on the input token, so tests use it untied;
//   - norm weights 1 + 0.1 N(0, 1) (gemma3's post-norms too), qwen2's q/k/v biases 0.2 N(0, 1).
// Float and Q4_0/Q4_1/Q8_0 weights are normal values (Q4_0/Q4_1/Q8_0 quantized by nibble's own quantizers and
// exported as GGUF blocks); Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q3_K, Q2_K, MXFP4, IQ4_NL, IQ4_XS and the IQ1-IQ3 types (which nibble reads
// but does not write) are random codes with scales (f16, sub-block scales and mins, E8M0 exponents) picked so the values
// have the same standard deviation and a mean near 0.
import { encodeGgufFile, gguf, type GgufTensorIn, type GgufTensorType, type GgufValue } from '../io/gguf.js';
import { f32ToBf16Bits, f32ToF16Bits } from '../quant/f16.js';
import { exportGguf, GGUF_BLOCKS, ggufScheme, type GgufBlockType } from '../quant/gguf.js';
import { dequantizeIquant, IQUANT_BLOCKS, putIquantD, type IquantType } from '../quant/gguf_iquants.js';
import { quantizeRef } from '../ref/quant.js';
import { rng } from '../ref/random.js';
import { QKV_FROM_FILE } from '../nn/llama_arch_more.js';
import { embeddingScale, isShortConvKernel, llamaTensorNames, logitScale, POSITION_EMBD, readsRopeFreqs, type LlamaArch, type LlamaConfig } from '../nn/llama_config.js';
import { fuseTensors } from '../nn/llama_layout.js';
import { isExpertBias, isSharedExpertGate } from '../nn/llama_moe.js';
import { MROPE_BASE } from '../nn/llama_mrope.js';
import type { MlaConfig } from '../nn/llama_mla.js';
import { llama3RopeFactors, type Llama3RopeScaling } from '../nn/rope_scaling.js';

export { llama3RopeFactors, type Llama3RopeScaling };
import { llamaConfig, llamaHparamMetadata } from '../nn/llama_weights.js';

export type SynthWeightType = 'F32' | 'F16' | 'BF16' | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q8_0' | 'Q4_K' | 'Q5_K' | 'Q6_K' | 'Q3_K' | 'Q2_K' | 'MXFP4' | 'IQ4_NL' | 'IQ4_XS' | IquantType;
export const SYNTH_WEIGHT_TYPES: readonly SynthWeightType[] = ['F32', 'F16', 'BF16', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q4_K', 'Q5_K', 'Q6_K', 'Q3_K', 'Q2_K', 'MXFP4', 'IQ4_NL', 'IQ4_XS', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M'];
/** The types nibble reads but does not write: random codes with scales set for the wanted deviation. */
const RANDOM_BLOCK_TYPES = ['Q5_0', 'Q5_1', 'Q4_K', 'Q5_K', 'Q6_K', 'Q3_K', 'Q2_K', 'MXFP4', 'IQ4_NL', 'IQ4_XS', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M'] as const;
type RandomBlockType = (typeof RANDOM_BLOCK_TYPES)[number];

/** Llama-3 rope scaling (Hugging Face's rope_scaling with rope_type "llama3"). */

export interface SynthOptions {
  arch?: LlamaArch;
  dim: number;
  layers: number;
  heads: number;
  /** Default: heads. */
  kvHeads?: number;
  /** Default dim / heads; otherwise written as attention.key_length / value_length (Qwen3's q is wider than dim). */
  headDim?: number;
  ffn: number;
  /** Default 64. */
  ctx?: number;
  /** Default 10000. */
  ropeBase?: number;
  /** Default 1e-5. */
  eps?: number;
  /** Written as rope_freqs.weight (the architectures that read it: readsRopeFreqs). */
  ropeScaling?: Llama3RopeScaling;
  /** gemma2, gemma3: attention.sliding_window (default 8, so short tests cross it); olmo2: OLMo 3's (default none); exaone4 at 64 layers: its (default 8). */
  slidingWindow?: number;
  /** mellum with slidingWindow (required there): one flag a layer, true where it slides (written as sliding_window_pattern, one bool a layer). */
  slidingLayers?: boolean[];
  /** gemma2: attn_logit_softcapping and final_logit_softcapping (default llama.cpp's 50 and 30). */
  softcap?: { attn: number; final: number };
  /** Linear rope scaling: rope.scaling.type 'linear' and rope.scaling.factor (on gemma3, its global layers'). */
  ropeLinearFactor?: number;
  /**
   * phi3's LongRoPE: rope_factors_long.weight / rope_factors_short.weight (drawn: long in 1..16, short in 1..2),
   * rope.scaling.original_context_length `origCtx` and rope.scaling.attn_factor `attnFactor`.
   */
  longRope?: { origCtx: number; attnFactor: number };
  /** deepseek2, minicpm3 (required there): the multi-head latent attention (src/nn/llama_mla.ts; logMul: deepseek2's YaRN log multiplier, written times 0.1). */
  mla?: MlaConfig & { rope: number };
  /** YaRN (rope.scaling.type yarn, its factor and original context; mistral3: its yarn_log_multiplier). */
  yarn?: { factor: number; origCtx: number; logMul?: number };
  /** q / k / v biases for an architecture that takes them where the file has them (llama, glm4, ...; qwen2 always has them). */
  qkvBias?: boolean;
  /** olmo, mpt: q, k and v clamped to [-clampKqv, clampKqv] (attention.clamp_kqv). */
  clampKqv?: number;
  /** mpt, jais: ALiBi's max_alibi_bias (default 8; 0: none). */
  alibi?: number;
  /** mpt: biases everywhere (default none) and learned positions (position_embd). */
  mpt?: { biases?: boolean; positions?: boolean };
  /** phi2: q / k / v (and their biases) fused in blk.N.attn_qkv, as files converted from Phi-2's first checkpoints are. */
  fusedQkv?: boolean;
  /** gptneox: use_parallel_residual (default true). */
  parallelResidual?: boolean;
  /** Mixtral's llama and the MoE architectures: the experts (routers F32 as llama.cpp's quantizer leaves them, unless typed; selectionBias: ernie4_5-moe's optional one, lfm2moe's always). */
  moe?: Omit<NonNullable<LlamaConfig['moe']>, 'norm'> & { /** bailingmoe's renormalization (default false) */ norm?: boolean };
  /** mistral3: attention temperature tuning (attention.temperature_scale and _length). */
  attnTemperature?: LlamaConfig['attnTemperature'];
  /** command-r, cohere2: logit_scale (default 1). */
  logitMul?: number;
  /** glm4moe: per-head q / k norms (GLM-4.5's; the Air has none). */
  qkNorm?: boolean;
  /** stablelm: StableLM 2 12B's per-head q / k LayerNorms and parallel block (no ffn_norm). */
  stablelm12b?: boolean;
  /** glm4moe, bailingmoe2: this many multi-token-prediction layers after the model's (nextn_predict_layers; llama.cpp loads them and never runs them). */
  nextn?: number;
  /** Written as a Qwen VL text decoder (qwen2vl on arch qwen2, qwen3vl on qwen3, qwen3vlmoe on qwen3moe) with these M-RoPE sections. */
  mrope?: LlamaConfig['mrope'];
  /** granite: embedding_scale, residual_scale, attention.scale and logit_scale (default: none applied, logit_scale 1). */
  multipliers?: LlamaConfig['multipliers'];
  /** rope.dimension_count below the head dim (partial rotary: Phi-4-mini rotates 96 of 128). Default: the head dim. */
  ropeDims?: number;
  /**
   * The token embedding's standard deviation (default: the scales above). A Gemma 1 model is always tied, so its
   * embedding both enters the residual stream (times sqrt(dim)) and is the head: at the head's scale the input token
   * dominates every position's distribution (top probability 0.99999), so its tests pass a middle value.
   */
  embedStd?: number;
  /** lfm2: the kernel length (shortconv.l_cache) and which layers are short convolutions (head_count_kv 0). */
  shortConv?: LlamaConfig['shortConv'];
  /** granitehybrid, falcon-h1: the Mamba-2 mixers (the conv kernel, state size, heads, groups; one flag a layer; inner: default 2 dim; falcon-h1's in every layer, beside attention). */
  ssm?: Omit<NonNullable<LlamaConfig['ssm']>, 'inner' | 'parallel'> & { inner?: number };
  /** nemotron_h: each layer's one mixer ('ssm', 'attention', 'ffn'). */
  layerKinds?: LlamaConfig['layerKinds'];
  /** qwen35: the Gated DeltaNet layers (conv taps, head width `state`, key and value heads; one flag a layer). */
  deltaNet?: LlamaConfig['deltaNet'];
  /** No output.weight (the embedding is the output projection). Default false. */
  tied?: boolean;
  /** Type of every 2D weight but the embedding. Default F32. */
  weightType?: SynthWeightType;
  /** Type of token_embd.weight. Default: weightType. */
  embedType?: SynthWeightType;
  /** Per-tensor types, by full name ('blk.0.ffn_down.weight', 'output.weight'). */
  types?: Record<string, SynthWeightType>;
  seed?: number;
  /** The vocabulary's metadata (default spmByteVocab()); its 'tokenizer.ggml.tokens' gives the vocab size. */
  vocab?: Record<string, GgufValue>;
  /** More metadata (overrides). */
  metadata?: Record<string, GgufValue>;
}

export const LOGIT_STD = 2.5;

/** The control token llama.cpp's vocabulary loader looks up in every phi3 file (it refuses the file without it). */
export const PHI3_ENDOFTEXT = { text: '<|endoftext|>', score: 0, type: 3 };

/** A byte-level SPM vocabulary: <unk>, <s>, </s>, <0x00>..<0xFF> (BYTE tokens), then `extraPieces`. */
export function spmByteVocab(extraPieces: { text: string; score: number; /** token type: 1 normal (default), 3 control */ type?: number }[] = []): Record<string, GgufValue> {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3]; // unknown, control, control
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6); // byte
  }
  const scores = tokens.map(() => 0);
  for (const p of extraPieces) {
    tokens.push(p.text);
    types.push(p.type ?? 1); // normal unless given
    scores.push(p.score);
  }
  return {
    'tokenizer.ggml.model': gguf.str('llama'),
    'tokenizer.ggml.tokens': gguf.array('string', tokens),
    'tokenizer.ggml.scores': gguf.array('f32', scores),
    'tokenizer.ggml.token_type': gguf.array('i32', types),
    'tokenizer.ggml.unknown_token_id': gguf.u32(0),
    'tokenizer.ggml.bos_token_id': gguf.u32(1),
    'tokenizer.ggml.eos_token_id': gguf.u32(2),
    'tokenizer.ggml.add_bos_token': gguf.bool(true),
    'tokenizer.ggml.add_eos_token': gguf.bool(false),
  };
}

function normal(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function putHalf(out: Uint8Array, o: number, v: number): void {
  const h = f32ToF16Bits(v);
  out[o] = h & 255;
  out[o + 1] = h >> 8;
}

/** Random bytes, then each block's scales set for values of standard deviation `std` and mean near 0. */
function randomBlocks(t: RandomBlockType, N: number, K: number, std: number, r: () => number): Uint8Array {
  const { bytes: B, elements: E } = GGUF_BLOCKS[t];
  const out = new Uint8Array(((N * K) / E) * B);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  const jitter = () => 0.8 + 0.4 * r(); // scales vary by +-20% from block to block
  for (let o = 0; o < out.length; o += B) {
    if (t in IQUANT_BLOCKS) {
      // The IQ1-IQ3 lattice types: random grid indices, signs and 3- or 4-bit scales; d set from the block's own RMS
      // at d = 1 (the values are linear in d).
      const it = t as IquantType;
      putIquantD(it, out, o, 0x3c00);
      const v = dequantizeIquant(it, out.subarray(o, o + B), 1, 256);
      putIquantD(it, out, o, f32ToF16Bits((jitter() * std) / Math.sqrt(v.reduce((a, x) => a + x * x, 0) / 256)));
    } else if (t === 'MXFP4') {
      // FP4 codes uniform on the 16 values (RMS 5.85), scaled by a power of two within a factor sqrt(2) of the aim.
      out[o] = 128 + Math.round(Math.log2((jitter() * std) / 5.85) + r() - 0.5);
    } else if (t === 'IQ4_NL') {
      // kvalues_iq4nl codes uniform on the 16 values: RMS 67.4 (mean -5.9).
      putHalf(out, o, (jitter() * std) / 67.4);
    } else if (t === 'IQ4_XS') {
      // (d * (ls - 32)) * NL[q], ls - 32 of 8..31 and either sign, as Q3_K's scales are picked.
      const ls = Array.from({ length: 8 }, () => 32 + (8 + Math.floor(r() * 24)) * (r() < 0.5 ? -1 : 1));
      out.fill(0, o + 2, o + 8);
      ls.forEach((v, g) => {
        out[o + 4 + (g >> 1)] |= (v & 15) << (4 * (g & 1));
        out[o + 2 + (g >> 2)] |= (v >> 4) << (2 * (g & 3));
      });
      putHalf(out, o, (jitter() * std) / (67.4 * 19.5));
    } else if (t === 'Q5_0' || t === 'Q5_1') {
      // 5-bit codes uniform on 0..31: mean 15.5, standard deviation 9.23.
      const d = (jitter() * std) / 9.23;
      putHalf(out, o, d);
      if (t === 'Q5_1') putHalf(out, o + 2, -15.5 * d); // value q * d + m: centred
      else continue; // Q5_0: (q - 16) * d is centred already
    } else if (t === 'Q6_K') {
      // (q6 - 32) * d * sc, q6 uniform on 0..63 (deviation 18.5); int8 sub-block scales 8..31, of either sign.
      const sc = Array.from({ length: 16 }, () => (8 + Math.floor(r() * 24)) * (r() < 0.5 ? -1 : 1));
      sc.forEach((v, j) => (out[o + 192 + j] = v & 255));
      putHalf(out, o + 208, (jitter() * std) / (18.5 * 19.5));
    } else if (t === 'Q3_K') {
      // (d * (sc - 32)) * q, q uniform on -4..3 (deviation 2.29); 6-bit scales sc - 32 of 8..31, of either sign,
      // packed as the format reads them (src/quant/gguf_lowk.ts).
      const sc = Array.from({ length: 16 }, () => 32 + (8 + Math.floor(r() * 24)) * (r() < 0.5 ? -1 : 1));
      out.fill(0, o + 96, o + 108);
      sc.forEach((v, g) => {
        out[o + 96 + (g < 8 ? g : g - 8)] |= (v & 15) << (g < 8 ? 0 : 4);
        out[o + 104 + (g & 3)] |= (v >> 4) << (2 * (g >> 2));
      });
      putHalf(out, o + 108, (jitter() * std) / (2.29 * 19.5));
    } else if (t === 'Q2_K') {
      // (d * sc) * q - dmin * mq, q uniform on 0..3 (mean 1.5, deviation 1.12): 4-bit scales sc 8..15, dmin = 2 d and
      // mq = round(0.75 sc) (centred).
      const d = (jitter() * std) / (1.12 * 11.5);
      for (let g = 0; g < 16; g++) {
        const sc = 8 + Math.floor(r() * 8);
        out[o + g] = sc | (Math.round(0.75 * sc) << 4);
      }
      putHalf(out, o + 80, d);
      putHalf(out, o + 82, 2 * d);
    } else {
      // q * (d * sc) - dmin * mq, q uniform on 0..15 (Q4_K; mean 7.5, deviation 4.61) or 0..31 (Q5_K; 15.5, 9.23):
      // 6-bit scales sc 32..63, and dmin = (mean / 8 or 16 ...) so that mq = round(mean * sc / dminRatio) <= 63.
      const [mean, dev, ratio] = t === 'Q4_K' ? [7.5, 4.61, 8] : [15.5, 9.23, 16];
      const d = (jitter() * std) / (dev * 47.5);
      putHalf(out, o, d);
      putHalf(out, o + 2, ratio * d);
      const sc = Array.from({ length: 8 }, () => 32 + Math.floor(r() * 32));
      const mq = sc.map((s) => Math.round((mean * s) / ratio));
      for (let j = 0; j < 4; j++) {
        out[o + 4 + j] = (sc[j] & 63) | ((sc[j + 4] >> 4) << 6);
        out[o + 8 + j] = (mq[j] & 63) | ((mq[j + 4] >> 4) << 6);
        out[o + 12 + j] = (sc[j + 4] & 15) | ((mq[j + 4] & 15) << 4);
      }
    }
  }
  return out;
}

/** A [N, K] weight of type t with values of standard deviation `std` (normal, or random codes for import-only types). */
function weightBytes(t: SynthWeightType, N: number, K: number, std: number, r: () => number, name: string): Uint8Array | Float32Array {
  if ((RANDOM_BLOCK_TYPES as readonly string[]).includes(t)) return randomBlocks(t as RandomBlockType, N, K, std, r);
  const g = normal(r);
  const w = new Float32Array(N * K);
  for (let i = 0; i < w.length; i++) w[i] = std * g();
  if (t === 'F32') return w;
  if (t === 'F16' || t === 'BF16') {
    const out = new Uint8Array(2 * w.length);
    for (let i = 0; i < w.length; i++) {
      const h = t === 'F16' ? f32ToF16Bits(w[i]) : f32ToBf16Bits(w[i]);
      out[2 * i] = h & 255;
      out[2 * i + 1] = h >> 8;
    }
    return out;
  }
  const bt = t as GgufBlockType;
  return exportGguf(bt, quantizeRef(w, N, K, ggufScheme(bt), name), name);
}

/** A complete GGUF file of a Llama-family model with seeded random weights (see the scales above). */
export function synthLlamaGguf(o: SynthOptions): Uint8Array {
  const arch = o.arch ?? 'llama';
  // llama.cpp's vocabulary loader looks up '<|endoftext|>' in a phi3 file (and fails without it: "_Map_base::at").
  const vocabMeta = o.vocab ?? (arch === 'phi3' ? spmByteVocab([PHI3_ENDOFTEXT]) : spmByteVocab());
  const tokens = vocabMeta['tokenizer.ggml.tokens'];
  if (tokens?.type !== 'array') throw new Error(`synth: the vocabulary metadata has no 'tokenizer.ggml.tokens' array`);
  if (!readsRopeFreqs(arch) && o.ropeScaling) throw new Error(`synth: ropeScaling is written as rope_freqs.weight, which llama.cpp's ${arch} does not read`);
  if (o.headDim === undefined && o.dim % o.heads !== 0) throw new Error(`synth: dim ${o.dim} is not a multiple of heads ${o.heads}`);
  const headDim = o.headDim ?? o.dim / o.heads;
  // llamaConfig fills in what each architecture adds (archExtras); the synthetic Gemmas slide over 8 positions so short tests cross the window.
  const c: LlamaConfig = {
    ...llamaConfig({
      arch, vocab: tokens.value.length, dim: o.dim, layers: o.layers, heads: o.heads, kvHeads: o.kvHeads, headDim, ffn: o.ffn, ctx: o.ctx ?? 64, eps: o.eps,
      ssm: o.ssm, layerKinds: o.layerKinds, deltaNet: o.deltaNet, stablelm12b: o.stablelm12b, ropeBase: o.ropeBase, tied: o.tied, slidingWindow: o.slidingWindow ?? (arch === 'olmo2' || arch === 'smallthinker' || arch === 'mellum' ? 0 : 8), slidingLayers: o.slidingLayers, ropeScale: o.ropeLinearFactor === undefined ? undefined : 1 / o.ropeLinearFactor, softcap: o.softcap, multipliers: o.multipliers, shortConv: o.shortConv, logitMul: o.logitMul, parallelResidual: o.parallelResidual, moe: o.moe, mla: o.mla, alibi: o.alibi, mpt: o.mpt,
    }),
    ropeFreqs: !!o.ropeScaling,
    ...(o.ropeDims !== undefined ? { ropeDims: o.ropeDims } : {}),
    ...(o.longRope ? { longRope: { origCtx: o.longRope.origCtx }, ropeAttnFactor: o.longRope.attnFactor } : {}),
    ...(o.yarn ? { yarn: { factor: o.yarn.factor, origCtx: o.yarn.origCtx, ...(o.yarn.logMul ? { logMul: o.yarn.logMul } : {}) } } : {}),
    ...(o.attnTemperature ? { attnTemperature: o.attnTemperature } : {}),
    ...(o.qkvBias ? { qkvBias: true } : {}),
    ...(o.clampKqv ? { clampKqv: o.clampKqv } : {}),
    ...(o.qkNorm ? { qkNorm: true } : {}),
    ...(o.fusedQkv ? { fusedQkv: true } : {}),
    ...(o.mrope ? { mrope: o.mrope } : {}),
  };
  if (o.qkNorm && arch !== 'glm4moe') throw new Error(`synth: qkNorm is glm4moe's (arch ${arch})`);
  if (o.nextn && arch !== 'glm4moe' && arch !== 'bailingmoe2') throw new Error(`synth: nextn is glm4moe's and bailingmoe2's (arch ${arch})`);
  if (o.mrope && MROPE_BASE[o.mrope.arch] !== arch) throw new Error(`synth: mrope ${o.mrope.arch} is written on arch ${MROPE_BASE[o.mrope.arch]} (arch ${arch})`);
  if (arch !== 'olmo' && arch !== 'mpt' && arch !== 'dbrx' && o.clampKqv) throw new Error(`synth: clampKqv is olmo's, mpt's and dbrx's (arch ${arch})`);
  if (arch !== 'phi2' && !QKV_FROM_FILE.includes(arch) && o.fusedQkv) throw new Error(`synth: fusedQkv is phi2's and ${QKV_FROM_FILE.join('\'s, ')}'s (arch ${arch})`);
  if (arch !== 'phi3' && arch !== 'phimoe' && arch !== 'minicpm3' && o.longRope) throw new Error(`synth: longRope is phi3's, phimoe's and minicpm3's (arch ${arch})`);
  if (arch !== 'granite' && arch !== 'granitemoe' && arch !== 'granitehybrid' && arch !== 'minicpm' && o.multipliers) throw new Error(`synth: multipliers are granite's and minicpm's (arch ${arch})`);

  if (arch !== 'gemma3' && arch !== 'gemma2' && arch !== 'olmo2' && arch !== 'exaone4' && arch !== 'cohere2' && arch !== 'gpt-oss' && arch !== 'smallthinker' && arch !== 'mellum' && o.slidingWindow !== undefined) throw new Error(`synth: slidingWindow is the Gemmas', OLMo 3's, EXAONE 4.0 32B's, cohere2's, gpt-oss's, smallthinker's and mellum's (arch ${arch})`);
  if (o.logitMul !== undefined && arch !== 'command-r' && arch !== 'cohere2') throw new Error(`synth: logitMul is Cohere's (arch ${arch})`);
  const r = rng(o.seed ?? 1);
  const g = normal(r);
  const wt = o.weightType ?? 'F32';
  // glm4moe's and bailingmoe2's multi-token-prediction layers (nextn): whole layers past c.layers and their nextn.* tensors, which
  // llama.cpp loads and never runs
  const mtp = o.nextn ? { ...c, layers: c.layers + o.nextn } : c;
  const mtpNames = Array.from({ length: o.nextn ?? 0 }, (_, i) => c.layers + i).flatMap((l) => [
    { name: `blk.${l}.nextn.eh_proj.weight`, shape: [c.dim, 2 * c.dim] }, { name: `blk.${l}.nextn.enorm.weight`, shape: [c.dim] }, { name: `blk.${l}.nextn.hnorm.weight`, shape: [c.dim] },
    ...(arch === 'bailingmoe2' ? [{ name: `blk.${l}.layer_output_norm.weight`, shape: [c.dim] }] : []), // (required by llama.cpp's bailingmoe2 loader)
  ]);
  const tensors: GgufTensorIn[] = [...llamaTensorNames(mtp), ...mtpNames].map(({ name, shape }) => {
    if (name === 'rope_freqs.weight') return { name, type: 'F32', shape, data: llama3RopeFactors(o.ropeScaling!, c.headDim, c.ropeBase) };
    if (name === 'rope_factors_long.weight' || name === 'rope_factors_short.weight') {
      const span = name === 'rope_factors_long.weight' ? 15 : 1;
      return { name, type: 'F32', shape, data: Float32Array.from({ length: shape[0] }, (_, i) => 1 + (span * i) / Math.max(1, shape[0] - 1) + 0.05 * r()) };
    }
    // qwen2moe's shared-expert gate: a vector read as a Linear [1, dim] (sigmoid of its dot product with the row)
    if (isSharedExpertGate(name)) return { name, type: 'F32', shape, data: Float32Array.from({ length: shape[0] }, () => g() / Math.sqrt(shape[0])) };
    // the Mamba-2 mixers' constants, as their checkpoints initialize them: A = -exp(A_log) of -1..-8, D near 1, the
    // conv kernel [channels, taps] of deviation 1 / sqrt(taps), dt's bias so that softplus(dt) is 0.01..0.2 (a state
    // that decays over a few to tens of positions), the group norm's weight near 1; all F32, as the converter keeps them
    if (/\.ssm_a$/.test(name)) return { name, type: 'F32', shape, data: Float32Array.from({ length: shape[0] }, () => -Math.exp(Math.log(8) * r())) };
    if (/\.ssm_d$/.test(name) || name.endsWith('.ssm_norm.weight')) return { name, type: 'F32', shape, data: Float32Array.from({ length: shape.reduce((a, n) => a * n, 1) }, () => 1 + 0.1 * g()) };
    if (name.endsWith('.ssm_conv1d.weight')) return { name, type: 'F32', shape, data: Float32Array.from({ length: shape[0] * shape[1] }, () => g() / Math.sqrt(shape[1])) };
    if (name.endsWith('.ssm_dt.bias')) return { name, type: 'F32', shape, data: Float32Array.from({ length: shape[0] }, () => Math.log(Math.expm1(0.01 + 0.19 * r()))) };
    // gpt-oss's sink logits: of the scores' size (deviation 1.5), so some heads give the sink most of their weight
    if (name.endsWith('.attn_sinks.weight')) return { name, type: 'F32', shape, data: Float32Array.from({ length: shape[0] }, () => 1.5 * g()) };
    // gpt-oss's experts' biases [experts, n]: F32, as its converter writes them
    if (isExpertBias(name)) return { name, type: 'F32', shape, data: Float32Array.from({ length: shape[0] * shape[1] }, () => 0.2 * g()) };
    // Command R+'s per-head q / k norms [heads, headDim]: F32 near 1, as any norm weight
    if (shape.length === 1 || name.endsWith('_norm.weight')) {
      const bias = name.endsWith('.bias');
      return { name, type: 'F32', shape, data: Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => (bias ? 0.2 * g() : 1 + 0.1 * g())) };
    }
    // a stack of experts [E, N, K]: E matrices' rows one after another
    const [N, K] = shape.length === 3 ? [shape[0] * shape[1], shape[2]] : shape;
    // MoE routers [experts, dim]: F32 (llama.cpp's quantizer never quantizes ffn_gate_inp), scaled so each row's
    // softmax has a clear top few (std 2 / sqrt(dim): logits of std 2)
    if (name.endsWith('.ffn_gate_inp.weight')) return { name, type: (o.types?.[name] ?? 'F32') as GgufTensorType, shape, data: weightBytes(o.types?.[name] ?? 'F32', N, K, 2 / Math.sqrt(K), r, name) };
    // gpt2's learned positions: F32 unless typed, rows of deviation 0.5 (a quarter of the token rows' variance here).
    if (name === POSITION_EMBD) return { name, type: (o.types?.[name] ?? 'F32') as GgufTensorType, shape, data: weightBytes(o.types?.[name] ?? 'F32', N, K, 0.5, r, name) };
    // lfm2's conv kernels: F32 (ggml does not quantize rows of 3), values of standard deviation 1/sqrt(taps).
    if (isShortConvKernel(name)) return { name, type: (o.types?.[name] ?? 'F32') as GgufTensorType, shape, data: weightBytes(o.types?.[name] ?? 'F32', N, K, 1 / Math.sqrt(K), r, name) };
    const type = o.types?.[name] ?? (name === 'token_embd.weight' ? (o.embedType ?? wt) : wt);
    const isOut = name === 'output.weight' || (name === 'token_embd.weight' && c.tied);
    // The Gemmas multiply the embeddings by sqrt(dim), granite by its embedding scale: 1 / that makes the residual
    // stream start at unit RMS too.
    const std = name === 'token_embd.weight' && o.embedStd !== undefined ? o.embedStd : isOut ? LOGIT_STD / Math.sqrt(K) / logitScale(c) : name === 'token_embd.weight' ? 1 / embeddingScale(c) : 1 / Math.sqrt(K);
    return { name, type: type as GgufTensorType, shape, data: weightBytes(type, N, K, std, r, name) };
  });
  const metadata: Record<string, GgufValue> = {
    ...llamaHparamMetadata(c),
    'general.name': gguf.str(`nibble synthetic ${arch} (random weights, seed ${o.seed ?? 1})`),
    ...vocabMeta,
    ...o.metadata,
  };
  if (o.nextn) Object.assign(metadata, { [`${arch}.block_count`]: gguf.u32(mtp.layers), [`${arch}.nextn_predict_layers`]: gguf.u32(o.nextn) });
  return encodeGgufFile(fuseTensors(mtp, tensors), metadata);
}
