// The language-model files both llama.cpp comparisons use (test/unit/llama_ref.test.ts for the f64 reference,
// test/kernels/lm_llamacpp.test.ts for the GPU engine): one case per weight type, which together cover the four
// architectures (gemma3's two layers both slide: its global layer is the sixth, tested apart), GQA (4 / 2),
// multi-query (4 / 1) and plain heads, tied and untied output, Llama-3 rope scaling, a head dim other than
// dim / heads (qwen3: 32 and 128 at 4 heads of dim 64 and 256), and an embedding type of its own.
import type { SynthOptions, SynthWeightType } from '../../src/lm/synth.js';

export const ROPE_SCALING = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 32 };

export const WEIGHT_CASES: Record<SynthWeightType, Partial<SynthOptions>> = {
  F32: { arch: 'llama', kvHeads: 2 },
  F16: { arch: 'qwen2', tied: true },
  BF16: { arch: 'llama', tied: true, ropeScaling: ROPE_SCALING },
  Q4_0: { arch: 'llama', kvHeads: 2, ropeScaling: ROPE_SCALING },
  Q4_1: { arch: 'gemma3', kvHeads: 2 },
  Q5_0: { arch: 'qwen3', tied: true, kvHeads: 2, headDim: 32 },
  Q5_1: { arch: 'qwen2', tied: true, kvHeads: 2 },
  Q8_0: { arch: 'llama', kvHeads: 2, ropeScaling: ROPE_SCALING, embedType: 'F16' },
  Q4_K: { arch: 'llama', kvHeads: 1, ropeScaling: ROPE_SCALING },
  Q5_K: { arch: 'qwen2', kvHeads: 2, tied: true },
  Q6_K: { arch: 'qwen3', kvHeads: 2, headDim: 128, embedType: 'Q8_0' },
  Q3_K: { arch: 'llama', kvHeads: 2, tied: true },
  Q2_K: { arch: 'qwen2', kvHeads: 2, embedType: 'Q3_K' },
  MXFP4: { arch: 'llama', kvHeads: 2 },
  IQ4_NL: { arch: 'qwen3', kvHeads: 2, embedType: 'IQ4_NL' },
  IQ4_XS: { arch: 'llama', kvHeads: 1, tied: true },
  IQ2_XXS: { arch: 'llama', kvHeads: 2 },
  IQ2_XS: { arch: 'qwen2', tied: true },
  IQ2_S: { arch: 'llama', kvHeads: 1, embedType: 'Q8_0' },
  IQ3_XXS: { arch: 'qwen3', kvHeads: 2 },
  IQ3_S: { arch: 'llama', kvHeads: 2, tied: true },
  IQ1_S: { arch: 'qwen2', kvHeads: 2 },
  IQ1_M: { arch: 'llama', kvHeads: 2, ropeScaling: ROPE_SCALING },
};

/** K-quants, IQ4_XS and the IQ1-IQ3 types need K a multiple of 256; the others 32. */
export const shapeFor = (t: SynthWeightType) => (t.endsWith('_K') || t === 'IQ4_XS' || /^IQ[123]_/.test(t) ? { dim: 256, ffn: 512 } : { dim: 64, ffn: 128 });
