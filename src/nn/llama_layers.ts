// What a Llama-family configuration means layer by layer and position by position (src/nn/llama_config.ts re-exports
// it): which rope factors a layer rotates with and how far it attends, whether it rotates at all or is a short
// convolution, the KV rows it keeps, the scales of the scores, the embeddings and the logits. The engine, training and
// the reference all read these, so the three run one model. And which tensors are constants rather than Linears (rope
// factors, learned positions, lfm2's conv kernels, per-head norm matrices).
import type { LlamaArch, LlamaConfig } from './llama_config.js';
import { yarnRope } from './rope_scaling.js';
import { mlaScoreScale, mlaUnitRope } from './llama_mla.js';

/**
 * The tensor whose factors divide RoPE's theta_i in a context of ctxLen tokens, as llama.cpp's get_rope_factors picks
 * it: rope_freqs.weight (Llama 3), else phi3's long factors past the original context and its short ones within it.
 */
export function ropeFactorsTensor(c: LlamaConfig, ctxLen: number): string | null {
  if (c.ropeFreqs) return 'rope_freqs.weight';
  if (c.longRope) return ctxLen > c.longRope.origCtx ? 'rope_factors_long.weight' : 'rope_factors_short.weight';
  return null;
}

/**
 * What divides theta_i of a global layer's RoPE, and what multiplies its cos and sin: the rope factors the model
 * runs with (`tensor`: the values of ropeFactorsTensor's tensor) times YaRN's, and rope.scaling.attn_factor times
 * YaRN's magnitude scale. No factors: undefined.
 */
export function ropeFactors(c: LlamaConfig, tensor?: Float32Array): { factors?: Float32Array; mscale: number } {
  const attn = c.ropeAttnFactor ?? 1;
  if (!c.yarn) return { ...(tensor ? { factors: tensor } : {}), mscale: attn };
  const y = yarnRope(c.yarn, c.ropeDims, c.ropeBase);
  return { factors: tensor ? y.factors.map((f, i) => f * tensor[i]) : y.factors, mscale: attn * (mlaUnitRope(c) ? 1 : y.mscale) }; // (deepseek2 with a yarn_log_multiplier: magnitude 1, llama_mla.ts)
}

/** The factor of the query at position p (mistral3's attention temperature; 1 without one). */
export function attentionTemperature(c: LlamaConfig, p: number): number {
  const t = c.attnTemperature;
  return t ? 1 + t.scale * Math.log(1 + Math.floor(p / t.length)) : 1;
}

/** Whether layer l is a short convolution (lfm2's layers with head_count_kv 0) rather than attention. */
export function isConvLayer(c: LlamaConfig, l: number): boolean {
  return !!c.shortConv?.conv[l];
}

/** Whether layer l rotates q and k (all but the NoPE layers: the last of every noRopeStep, or with noRopeFirst the first). */
export function layerUsesRope(c: LlamaConfig, l: number): boolean {
  return !c.noRopeStep || (c.noRopeFirst ? l : l + 1) % c.noRopeStep !== 0;
}

/** Layer l's attention window in positions (its own included), or 0 for full causal attention. */
/** Whether `name` is a per-head q / k norm matrix (Command R+'s attn_q_norm [heads, headDim]): a vector of constants to the engine, not a Linear. */
export const isHeadNormMatrix = (name: string): boolean => /\.attn_[qk]_norm\.weight$/.test(name);

/** Layer l's attention chunk (llama4's chunked layers: l % pattern < pattern - 1); 0: none. */
export function layerChunk(c: LlamaConfig, l: number): number {
  const ch = c.attnChunk;
  return ch && l % ch.pattern < ch.pattern - 1 ? ch.size : 0;
}

/** The NoPE layers' query factor at position p (llama4's attention temperature tuning; 1 without it). */
export function nopeTemperature(c: LlamaConfig, p: number): number {
  const t = c.nopeTemp;
  return t ? 1 + t.scale * Math.log(1 + Math.floor((p + t.offset) / t.floor)) : 1;
}

export function layerWindow(c: LlamaConfig, l: number): number {
  if (!c.swa) return 0;
  if (c.swa.layers) return c.swa.layers[l] ? c.swa.window : 0;
  const p = c.swa.pattern;
  return (c.swa.denseFirst ? l % p !== 0 : l % p < p - 1) ? c.swa.window : 0;
}

/**
 * Layer l's KV-cache rows for a context of ctxLen tokens run in steps of at most `chunk`: a sliding-window layer keeps
 * a ring of window + chunk - 1 rows (position j at row j % ring: what a prefill chunk's first query still reads after
 * the chunk's keys are stored) where that is below ctxLen; ring 0 (one row a position) otherwise.
 */
export function layerCacheRows(c: LlamaConfig, l: number, ctxLen: number, chunk: number): { rows: number; ring: number } {
  if (isConvLayer(c, l) || (c.ssm?.layers[l] && !c.ssm.parallel) || c.deltaNet?.layers[l] || (c.layerKinds && c.layerKinds[l] !== 'attention')) return { rows: 0, ring: 0 }; // lfm2's short convolutions, the Mamba-2, Gated DeltaNet and MLP layers keep no KV rows
  const w = layerWindow(c, l);
  const ring = w > 0 ? w + chunk - 1 : 0;
  return ring > 0 && ring < ctxLen ? { rows: ring, ring } : { rows: ctxLen, ring: 0 };
}

type RopeScaling = { factors?: Float32Array; mscale: number };

/**
 * The rope factors and cos / sin magnitude of the sliding-window layers (ropeFactors' `rf` for the model): rf, as
 * llama.cpp's gemma2 / gemma3 / exaone4 graphs pass the model's (the Gemmas have no factors), but none and 1 where
 * they rotate plainly (swa.plainRope: OLMo 3).
 */
export function swaRopeScaling(c: LlamaConfig, rf: RopeScaling): RopeScaling {
  return c.swa?.plainRope ? { mscale: 1 } : rf;
}

/** Layer l's rope factors and cos / sin magnitude: rf on a global layer, swaRopeScaling's on a sliding-window one. */
export function layerRopeScaling(c: LlamaConfig, l: number, rf: RopeScaling): RopeScaling {
  return layerWindow(c, l) === 0 ? rf : swaRopeScaling(c, rf);
}

/** Layer l's RoPE: base and position scale (a sliding-window layer of gemma3 uses its own base, unscaled). */
export function layerRope(c: LlamaConfig, l: number): { base: number; scale: number } {
  return layerWindow(c, l) > 0 ? { base: c.swa!.ropeBase, scale: c.swa!.ropeScale } : { base: c.ropeBase, scale: c.ropeScale ?? 1 };
}

/**
 * The attention's score scale: 1/sqrt(headDim), but llama.cpp's f_attention_scale for the Gemmas' 27B models
 * (gemma2 at 46 layers, gemma3 at 62) is 1/sqrt(dim/heads).
 */
export function attentionScale(c: LlamaConfig): number {
  if (c.mla) return mlaScoreScale(c); // deepseek2's (llama_mla.ts)
  if (c.multipliers?.attention) return c.multipliers.attention;
  if (c.arch === 'jais') return 1 / c.headDim; // (muP's 1 / d, as llama.cpp's jais graph scales)
  const big = (c.arch === 'gemma3' && c.layers === 62) || (c.arch === 'gemma2' && c.layers === 46);
  return big ? 1 / Math.sqrt(c.dim / c.heads) : 1 / Math.sqrt(c.headDim);
}

/** The factor of the token embeddings (sqrt(dim) in f32 for the Gemmas, granite's embedding multiplier, else 1). */
export function embeddingScale(c: LlamaConfig): number {
  return c.embedScale ? Math.fround(Math.sqrt(c.dim)) : c.multipliers?.embedding || 1;
}

/** What the logits are multiplied by: 1 / granite's logit_scale in f32 (as llama.cpp's ggml_scale takes it), Cohere's logit_scale, else 1. */
export function logitScale(c: LlamaConfig): number {
  if (c.logitMul !== undefined) return Math.fround(c.logitMul); // Cohere's logit_scale multiplies
  return c.multipliers ? Math.fround(1 / c.multipliers.logit) : 1;
}

/** The architectures whose llama.cpp graph reads Llama 3's rope_freqs.weight (in any other file it is refused; minicpm's measured: 0.13 without). */
export const readsRopeFreqs = (a: LlamaArch): boolean => a === 'llama' || a === 'llama4' || a === 'granite' || a === 'granitemoe' || a === 'minicpm' || a === 'exaone' || a === 'exaone4' || a === 'mistral3' || a === 'arcee';

/** The tensors of rope factors (Llama 3's, phi3's LongRoPE pair): constants RoPE reads, never trained. */
export const ROPE_FACTOR_TENSORS = ['rope_freqs.weight', 'rope_factors_long.weight', 'rope_factors_short.weight'] as const;

/** Whether `name` is one of ROPE_FACTOR_TENSORS. */
export const isRopeFactors = (name: string): boolean => (ROPE_FACTOR_TENSORS as readonly string[]).includes(name);

/** gpt2's learned position embeddings: a table of rows (read as the token embedding is), not a Linear. */
export const POSITION_EMBD = 'position_embd.weight';

/** Whether `name` is an lfm2 short convolution's kernel (blk.N.shortconv.conv.weight [dim, taps]: a plain weight, not a Linear). */
export const isShortConvKernel = (name: string): boolean => name.endsWith('.shortconv.conv.weight');
