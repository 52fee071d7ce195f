// RoPE scalings whose per-frequency factors a converter computes once and stores as a tensor (llama.cpp's
// convert_hf_to_gguf.py): Llama 3's (rope_freqs.weight) and Phi-3's LongRoPE attention factor. The Hugging Face
// import and the synthetic files compute them here; and the GGUF rope-scaling keys as llama.cpp reads them.
import type { GgufValue } from '../io/gguf.js';
import { describe, Keys, ModelConfigError } from './gguf_keys.js';

export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalContext: number;
}

/**
 * The Llama-3 rope factors of the `headDim / 2` frequencies, as llama.cpp's convert_hf_to_gguf.py computes them:
 * wavelength 2 pi / (base^(-2i/headDim)); shorter than originalContext / highFreqFactor: 1; longer than
 * originalContext / lowFreqFactor: factor; between: 1 / ((1 - s) / factor + s), s = (originalContext / wavelength -
 * lowFreqFactor) / (highFreqFactor - lowFreqFactor).
 */
export function llama3RopeFactors(s: Llama3RopeScaling, headDim: number, base: number): Float32Array {
  const out = new Float32Array(headDim / 2);
  const lowWave = s.originalContext / s.lowFreqFactor;
  const highWave = s.originalContext / s.highFreqFactor;
  for (let i = 0; i < headDim / 2; i++) {
    // torch computes the frequency in f32: base ** (arange(0, dim, 2) / dim), then 1 / that.
    const freq = Math.fround(1 / Math.fround(base ** Math.fround((2 * i) / headDim)));
    const wave = (2 * Math.PI) / freq;
    if (wave < highWave) out[i] = 1;
    else if (wave > lowWave) out[i] = s.factor;
    else {
      const smooth = (s.originalContext / wave - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return out;
}

/**
 * LongRoPE's attention factor as llama.cpp's converter writes it (rope.scaling.attn_factor): sqrt(1 + ln(s) /
 * ln(originalContext)) with s = context / originalContext, or 1 where s <= 1.
 */
export function longRopeAttnFactor(context: number, originalContext: number): number {
  const s = context / originalContext;
  return s > 1 ? Math.sqrt(1 + Math.log(s) / Math.log(originalContext)) : 1;
}

/** YaRN (rope.scaling.type yarn): the factor and the original context. */
export interface YarnScaling {
  factor: number;
  origCtx: number;
  /**
   * mistral3 (Ministral 3): rope.scaling.yarn_log_multiplier, Hugging Face's mscale_all_dim (its mscale 1): cos and
   * sin times (1 + 0.1 ln f) / (1 + 0.1 m ln f) instead of 1 + 0.1 ln f (1 for m = 1, as transformers' attention
   * factor get_mscale(f, 1) / get_mscale(f, m)). llama.cpp reads the key for mistral3 only. Absent: 0.
   */
  logMul?: number;
}

/**
 * YaRN's ramp bounds as llama.cpp runs the architectures nibble reads: beta_fast 32, beta_slow 1 (its hparams
 * defaults; it reads rope.scaling.yarn_beta_fast / _slow only for other architectures, and so ignores them here).
 */
export const YARN_BETA_FAST = 32;
export const YARN_BETA_SLOW = 1;

/**
 * YaRN as llama.cpp runs it (ggml's rope_yarn with ext_factor 1, and llama_context's yarn_attn_factor), expressed as
 * per-pair factors dividing theta_i and a factor of cos and sin:
 *   pair i's angle: theta_extrap_i (fs (1 - r_i) + r_i), fs = 1 / factor, r_i = 1 - clamp((i - lo) / max(0.001, hi -
 *   lo), 0, 1), lo = max(0, floor(d(beta_fast))), hi = min(rd - 1, ceil(d(beta_slow))), d(b) = rd ln(origCtx / (2 pi
 *   b)) / (2 ln base): the low-frequency pairs interpolated, the high-frequency ones extrapolated, a ramp between;
 *   so factor_i = 1 / (fs (1 - r_i) + r_i);
 *   cos and sin times 1 + 0.1 ln(factor) (1 for factor <= 1): llama.cpp's host factor is that over itself, and its
 *   kernel multiplies 1 + 0.1 ln(factor) in (transformers' attention_factor is the same); with mistral3's
 *   yarn_log_multiplier m, that over 1 + 0.1 m ln(factor) (YarnScaling.logMul).
 */
export function yarnRope(y: YarnScaling, ropeDims: number, base: number): { factors: Float32Array; mscale: number } {
  const corr = (b: number) => (ropeDims * Math.log(y.origCtx / (b * 2 * Math.PI))) / (2 * Math.log(base));
  const lo = Math.max(0, Math.floor(corr(YARN_BETA_FAST)));
  const hi = Math.min(ropeDims - 1, Math.ceil(corr(YARN_BETA_SLOW)));
  const fs = 1 / y.factor;
  const factors = Float32Array.from({ length: ropeDims / 2 }, (_, i) => {
    const r = 1 - Math.min(1, Math.max(0, (i - lo) / Math.max(0.001, hi - lo)));
    return 1 / (fs * (1 - r) + r);
  });
  const get = (m: number) => (y.factor <= 1 ? 1 : 1 + 0.1 * m * Math.log(y.factor));
  return { factors, mscale: get(1) / get(y.logMul ?? 0) };
}

/**
 * RoPE scaling as llama.cpp reads it: the factor from rope.scaling.factor (or the older rope.scale_linear); linear: its
 * inverse scaling positions (`ropeScale`); yarn: YaRN with the original context (rope.scaling.original_context_length,
 * default context_length); none: no scaling whatever the factor.
 * LongRoPE is phi3's (its factor tensors), any other type is refused by name.
 */
export function ggufRopeScaling(metadata: Record<string, GgufValue>, k: Keys, a: string, ctx: number): { ropeScale: number; yarn?: YarnScaling } {
  // llama.cpp reads mistral3's yarn_log_multiplier (its other architectures here ignore the key, and so does nibble).
  const logMul = a === 'mistral3' ? k.float(`${a}.rope.scaling.yarn_log_multiplier`, 0, true) : 0;
  const tv = metadata[`${a}.rope.scaling.type`];
  const type = tv === undefined ? 'linear' : tv.type === 'string' ? String(tv.value) : undefined;
  if (type === undefined) throw new ModelConfigError(`model config: metadata '${a}.rope.scaling.type' must be a string, found ${describe(tv!)}`);
  if (type === 'none') return { ropeScale: 1 };
  const key = metadata[`${a}.rope.scaling.factor`] !== undefined ? `${a}.rope.scaling.factor` : `${a}.rope.scale_linear`;
  const factor = k.float(key, 1);
  if (type === 'yarn' && factor !== 1) return { ropeScale: 1, yarn: { factor, origCtx: k.int(`${a}.rope.scaling.original_context_length`, ctx), ...(logMul ? { logMul } : {}) } };
  if (type !== 'linear' && factor !== 1) throw new ModelConfigError(`model config: metadata '${a}.rope.scaling.type' is '${type}' (factor ${factor}), which nibble does not run (supported: none, linear, yarn)`);
  return { ropeScale: 1 / factor };
}
