// RoPE scalings whose per-frequency factors a converter computes once and stores as a tensor (llama.cpp's
// convert_hf_to_gguf.py): Llama 3's (rope_freqs.weight) and Phi-3's LongRoPE attention factor. The Hugging Face
// import and the synthetic files compute them here.

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
