// nibble's language-model engine (Dawn in Node) against llama.cpp (node-llama-cpp 3.21.1, CPU) and the f64
// reference, on small GGUF files written by synthLlamaGguf: every weight type, the nine architectures (the Gemmas'
// sliding-window and global layers, gemma2's soft-capping, smollm3's NoPE layers, phi3's fused tensors and LongRoPE,
// granite's multipliers, olmo2's post-norms only and whole-projection q / k norms),
// GQA and plain heads, tied and untied output, Llama-3 and linear rope scaling, partial rotary dims.
//
// Bounds (probabilities; a logit change dz moves each probability by at most max|dz| / 2):
//   - nibble vs the exact f64 reference: nibble computes in f32 (activations, KV cache, accumulators), so each dot
//     product of length K is within K u sum|w x| of the exact one (u = 2^-24). Through L layers and the output
//     projection: |dz| <= 4 (L + 1) Kmax u sum|w x|, with sum|w x| <= 4 |logit scale| ~ 40 here, K <= 512: 1e-3 in
//     logits, NIBBLE_BOUND = 5e-4 in probabilities (measured: ~1e-6; a wrong rope pair, mask or scale gives 1e-2+).
//   - nibble vs llama.cpp: llama.cpp's CPU rounds each matmul input to 8 bits (Q8_0 / Q8_1 / Q8_K) or f16 / bf16;
//     nibble keeps f32. The reference with `cpuActivations` reproduces that rounding (test/unit/llama_ref.test.ts
//     shows it equals llama.cpp to 2e-5 tensor by tensor, and to E + 2e-5 through a whole model, where a value within
//     f32 noise of a rounding tie may round one step the other way), so with E = max |p_exact - p_rounded|, what the
//     rounding does to this model, |p_nibble - p_cpp| <= NIBBLE_BOUND + 2E + 2e-5 by the triangle inequality.
//   - Greedy: 32 tokens identical to llama.cpp's, except where nibble's top two are within that bound.
//   - Decode (token by token through the KV cache) equals the prefill's logits to the f32 bound of the same sums.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { gguf, parseGgufFile } from '../../src/io/gguf.js';
import { LanguageModel } from '../../src/lm/model.js';
import { synthLlamaGguf, SYNTH_WEIGHT_TYPES, type SynthOptions, type SynthWeightType } from '../../src/lm/synth.js';
import { llamaLogitsRef, softmaxRows } from '../../src/ref/llama.js';
import { llamaCppGreedy, llamaCppLogits } from '../../runtime/llamacpp.js';
import { shapeFor, WEIGHT_CASES } from '../helpers/lm_cases.js';
import { maxDiff } from '../cases/lm_helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-lm-cpp-'));
let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(() => {
  ctx?.destroy();
  rmSync(dir, { recursive: true, force: true });
  console.log(`lm vs llama.cpp (max |p| differences over every position and token)\n${measured.join('\n')}`);
});

const V = 259;
const IDS = [1, ...[...'To be, or not to be:\n'].map((ch) => 3 + ch.charCodeAt(0))];
const NIBBLE_BOUND = 5e-4;
const CPP_F32 = 2e-5;
const measured: string[] = [];
const GRANITE_MULT = { embedding: 6, residual: 0.4, attention: 0.09, logit: 3 };

async function load(name: string, o: SynthOptions, kvType: 'f32' | 'f16' = 'f32') {
  const bytes = synthLlamaGguf(o);
  const path = join(dir, `${name}.gguf`);
  writeFileSync(path, bytes);
  const lm = await LanguageModel.load(ctx, path, { ctxLen: 64, chunk: 16, kvType });
  return { path, file: parseGgufFile(bytes), lm };
}

/**
 * Probabilities at every position of `ids`: nibble's (prefill, or decode token by token), the exact f64 reference's
 * and llama.cpp's, with E (what llama.cpp's activation rounding does, measured by the reference) and the bound
 * nibble is held to against llama.cpp.
 */
async function compare(m: Awaited<ReturnType<typeof load>>, ids: number[], decode = false) {
  const T = ids.length;
  const V = m.lm.config.vocab; // 259, or 260 where the vocabulary needs one more token (phi3's <|endoftext|>)
  const ours = softmaxRows(await m.lm.logits(ids, { decode }), T, V);
  const exact = softmaxRows(llamaLogitsRef(m.file, ids), T, V);
  const rounded = softmaxRows(llamaLogitsRef(m.file, ids, { cpuActivations: true }), T, V);
  const cpp = new Float64Array(T * V);
  (await llamaCppLogits(m.path, ids)).forEach((p, t) => cpp.set(p, t * V));
  const E = maxDiff(exact, rounded);
  return { vsRef: maxDiff(ours, exact), vsCpp: maxDiff(ours, cpp), E, roundedVsCpp: maxDiff(rounded, cpp), bound: NIBBLE_BOUND + 2 * E + CPP_F32 };
}

/** Records a model's figures and holds them to their bounds. */
function expectWithin(label: string, r: Awaited<ReturnType<typeof compare>>): void {
  measured.push(`  ${label} vs f64 ${r.vsRef.toExponential(2)} (bound ${NIBBLE_BOUND.toExponential(0)}), vs llama.cpp ${r.vsCpp.toExponential(2)} (bound ${r.bound.toExponential(2)}, E ${r.E.toExponential(2)}); the reference with llama.cpp's rounding vs llama.cpp ${r.roundedVsCpp.toExponential(2)}`);
  expect(r.vsRef).toBeLessThanOrEqual(NIBBLE_BOUND);
  expect(r.vsCpp).toBeLessThanOrEqual(r.bound);
}

describe('language model vs llama.cpp', () => {
  for (const wt of SYNTH_WEIGHT_TYPES) {
    it(`${wt}: probabilities at every position (${JSON.stringify(WEIGHT_CASES[wt])})`, async () => {
      const m = await load(wt, { ...shapeFor(wt), layers: 2, heads: 4, ctx: 64, weightType: wt, seed: 7, ...WEIGHT_CASES[wt] });
      const lm = m.lm;
      try {
        const { vsRef, vsCpp, E, bound } = await compare(m, IDS);
        measured.push(`  ${wt.padEnd(5)} vs f64 ${vsRef.toExponential(2)} (bound ${NIBBLE_BOUND.toExponential(0)}), vs llama.cpp ${vsCpp.toExponential(2)} (bound ${bound.toExponential(2)}, of which llama.cpp's 8-bit activations E ${E.toExponential(2)})`);
        expect(vsRef).toBeLessThanOrEqual(NIBBLE_BOUND);
        expect(vsCpp).toBeLessThanOrEqual(bound);
        // Decode through the KV cache equals the prefill, position by position.
        const dec = await lm.logits(IDS, { decode: true });
        const pre = await lm.logits(IDS);
        expect(maxDiff(dec, pre)).toBeLessThanOrEqual(1e-4);
      } finally {
        lm.dispose();
      }
    });
  }

  // gemma3 with a global layer (the sixth: llama.cpp fixes the pattern at 6) among sliding-window ones (window 8, the
  // prompt 22 tokens), linear rope scaling on the global layer only and a rope base of its own there, post-norms,
  // GeGLU (llama.cpp's CPU forms gelu from an f16 table: the reference's cpuActivations does the same) and scaled
  // embeddings. Dropping the window or the rope scale moves the probabilities by 0.29 and 0.07 on this model.
  it('gemma3, 6 layers (5 sliding-window, 1 global with linear rope scaling): probabilities at every position, decode equals prefill', async () => {
    const m = await load('gemma3', { arch: 'gemma3', dim: 64, ffn: 128, layers: 6, heads: 4, kvHeads: 2, headDim: 32, ropeBase: 1e6, ropeLinearFactor: 8, ctx: 64, seed: 3 });
    try {
      expectWithin('gemma3 6 layers', await compare(m, IDS));
      expect(maxDiff(await m.lm.logits(IDS, { decode: true }), await m.lm.logits(IDS))).toBeLessThanOrEqual(1e-4);
      // 60 tokens: the sliding layers' ring caches (window 8 + chunk 16 - 1 = 23 rows) wrap twice, in prefill chunks
      // and token by token; the f64 reference and llama.cpp see the whole sequence.
      const long = Array.from({ length: 60 }, (_, i) => 3 + ((i * 37 + 11) % 250));
      const [pre, dec] = [await compare(m, long), await compare(m, long, true)];
      expectWithin('gemma3 60 tokens through ring caches of 23 rows, prefill:', pre);
      expectWithin('gemma3 60 tokens through ring caches of 23 rows, decode:', dec);
    } finally {
      m.lm.dispose();
    }
  });

  // More architectures, each on one model:
  //   - gemma2: every other layer slides (window 8 over 22 tokens), soft-capped attention scores and logits (caps 4
  //     and 8 here, so that both matter: llama.cpp's defaults 50 / 30 barely touch this model's scores), post-norms,
  //     GeGLU, scaled embeddings, a head always tied to the embedding, and linear rope scaling (factor 4) on every layer;
  //   - smollm3: a Llama whose fourth layer applies no RoPE (NoPE; roping it as a llama moves the probabilities by 0.13);
  //   - phi3: q/k/v fused in attn_qkv and gate/up in ffn_up (rows split as views), NEOX rope; with LongRoPE factors
  //     and an attention factor of 1.2 (cos and sin scaled), where llama.cpp's context (32 or more) is past the original
  //     context of 16, so both pick the long factors (the short ones differ by 0.27 on this model: llama_ref.test.ts);
  //     and a partial rotary Q8_0 model (24 of 32 dims rotated, as Phi-4-mini's 96 of 128), tied;
  //   - granite: a Llama with embeddings times 6, each attention / FFN output times 0.4 before its residual add, scores
  //     times 0.09 (instead of 1/sqrt(16) = 0.25) and logits divided by 3 (Granite 3's are 12, 0.22, 1/128, 8), one
  //     F32, one Q8_0 with Llama 3 rope factors and one without RoPE (rope.scaling.finetuned false, llama.cpp's switch);
  //   - YaRN (rope.scaling.type yarn): the ramp between extrapolated and interpolated pairs and cos / sin times
  //     1 + 0.1 ln(factor), on a qwen3 and on a llama that also has Llama 3 rope factors (both divide theta_i); and
  //     a file with yarn_beta_fast / yarn_beta_slow keys, which llama.cpp reads for other architectures only (its
  //     defaults 32 / 1 stand: with 8 / 0.5 the probabilities would move by 0.25);
  //   - olmo2: no attn_norm / ffn_norm (attention and the FFN read the residual stream), post-norms after each, q and k
  //     RMS-normalized over the whole projection (weights [heads * headDim], [kvHeads * headDim]), NEOX rope, untied;
  //   - olmo2 with attention.sliding_window (OLMo 3): 3 of every 4 layers slide (window 8 here) and rotate without the
  //     model's YaRN, the fourth is global with it (without the window the probabilities move by 0.44, with YaRN on
  //     the sliding layers by 0.12, with the window ignored by 0.35); sliding_window_pattern 2 read (0.44 against 4);
  //     the converter's per-layer bools, which llama.cpp reads as its default period of 4 whatever they say (6 layers,
  //     bools alternating: read per layer (period 2) they would move the probabilities by 0.60, as the array's length
  //     (period 6) by 0.23);
  //   - exaone4 at 64 layers (EXAONE 4.0 32B's layout, which llama.cpp sets up by that count): 3 of every 4 layers
  //     slide (window 8 here) and rotate with the Llama 3 rope factors, every fourth is global without RoPE (with the
  //     window ignored the probabilities move by 0.73, with RoPE on the global layers by 0.43, without the factors on
  //     the sliding ones by 0.72);
  //   - glm4 (GLM-4-0414): the Gemmas' four norms (pre and post) around attention and a SwiGLU whose gate and up rows
  //     are one tensor (ffn_up, as phi3's), q / k / v biases where the file has them, NORM rope over part of the head;
  //   - arcee (Arcee's AFM): a Llama whose FFN has no gate, down(relu(up)^2) (the engine's ReGLU with the gate bound to up);
  //   - gemma (Gemma 1 / CodeGemma): GeGLU and sqrt(dim)-scaled embeddings without the later Gemmas' post-norms, soft-caps
  //     or windows, the head always the embedding (whose deviation, embedStd, keeps the input token from taking every
  //     position's probability);
  //   - stablelm (StableLM 2 1.6B, StableLM 3B, Zephyr): every norm LayerNorm with a bias (mean-centred), q / k / v biases
  //     where the file has them, a quarter of each head rotated (NEOX), untied;
  //   - exaone (EXAONE 3.5): a Llama that rotates halves (NEOX; NORM differs by 0.36), Llama 3 rope factors and q / k / v
  //     biases where the file has them;
  //   - lfm2 (Liquid's LFM2): layers with head_count_kv 0 are gated short convolutions (in_proj's B | C | X, C * conv(B X)
  //     over the last 3 positions, out_proj), the others attention with per-head q / k norms and NEOX rope, the final
  //     norm named token_embd_norm; the prompt (22 tokens) crosses the engine's prefill chunk of 16, so the conv state
  //     carries between chunks, and decode carries it token by token (the taps reversed move the probabilities by 0.62);
  //   - starcoder2 (StarCoder2 3B / 7B / 15B): GPT-2's block on RoPE: LayerNorms with biases, biases on every Linear
  //     (q / k / v where the file has them, attn_output, ffn_up, ffn_down), a gateless GELU MLP down(gelu(up)), NEOX rope
  //     (NORM differs by 0.20), tied or untied;
  //   - phi2 (Phi-2, Phi-1.5): starcoder2's parts in GPT-J's parallel block (attention and the FFN both read attn_norm's
  //     output and add to the stream together), the head with a bias, NEOX rope over part of each head (NORM differs by
  //     0.23); q / k / v apart, or fused in attn_qkv (weight and bias) as files converted from Phi-2's first
  //     checkpoints are;
  //   - command-r (Command R 35B, Aya 23, Aya Expanse): a parallel block (attention and SwiGLU both read attn_norm's
  //     output) whose LayerNorms have no bias, NORM rope (NEOX differs by 0.40), logits times logit_scale (0.5 here:
  //     without it they move by 0.47), always tied (the embedding's deviation, embedStd, at logit std ~2 where the
  //     head's scale would let the input token take every position's probability, as for gemma);
  //   - cohere2 (Command R7B): command-r's block with 3 of every 4 layers sliding (window 6 here) and rotating, the
  //     fourth global without RoPE (with the window ignored the probabilities move by 0.69, with RoPE on the global
  //     layers by 0.18, with the pattern 2 by 0.41);
  //   - minicpm (MiniCPM 1B / 2B): granite's graph with its three scales required (the logit scale inverted moves the
  //     probabilities by 0.90), NORM rope (NEOX differs by 0.11), Llama 3 rope factors read (0.13 without);
  //   - gptneox (Pythia, GPT-NeoX): starcoder2's parts with q / k / v fused (and biased) in attn_qkv, a quarter of each
  //     head rotated (NEOX; NORM differs by 0.15), and with use_parallel_residual the parallel residual x + attn(ln1(x)) +
  //     ffn(ln2(x)) (read as sequential the probabilities move by 0.24), sequential without it;
  //   - gpt2 (GPT-2, and converted fine-tunes of it): gptneox's parts in GPT-2's sequential block with learned positions
  //     (position_embd's row p added to position p's token row; without it the probabilities move by 0.62) and no
  //     RoPE, tied or untied; the prompt crosses the prefill chunk, so the engine's position rows start mid-table;
  //   - starcoder (StarCoder 1, SantaCoder, tiny_starcoder: gpt_bigcode): gpt2's graph with multi-query attention (the
  //     fused attn_qkv is [dim + 2 kv, dim]);
  //   - falcon (Falcon 7B, Falcon-RW): phi2's parallel block without any bias, q / k / v fused, multi-query attention,
  //     NEOX rope over whole heads (NORM differs by 0.42);
  //   - mistral3 (Ministral 3): a Llama with YaRN whose yarn_log_multiplier 1 cancels the 1 + 0.1 ln(factor) of cos and
  //     sin (Ministral 3's mscale_all_dim; without the key the probabilities would move by 0.16), and the
  //     attention temperature: q times 1 + 0.5 ln(1 + floor(p / 8)) from position 8 on (the original context; Ministral
  //     3's beta is 0.1 past 16384 positions), without which they move by 0.18; one Q8_0 with Llama 3 rope factors and
  //     the temperature 0.1 past 4 positions (0.21 without it).
  const MORE: [string, string, SynthOptions][] = [
    ['gemma2 4 layers', 'gemma2, 4 layers (2 sliding-window, 2 global), soft-capped scores and logits, rope scaling on both kinds of layer', { arch: 'gemma2', dim: 64, ffn: 128, layers: 4, heads: 4, kvHeads: 2, headDim: 32, softcap: { attn: 4, final: 8 }, ropeLinearFactor: 4, ctx: 64, seed: 3 }],
    ['smollm3 4 layers', 'smollm3, 4 layers (the fourth without RoPE), Q8_0, tied', { arch: 'smollm3', dim: 64, ffn: 128, layers: 4, heads: 4, kvHeads: 2, weightType: 'Q8_0', tied: true, ctx: 64, seed: 3 }],
    ['phi3 LongRoPE', 'phi3, fused q/k/v and gate/up, LongRoPE (long factors) with attention factor 1.2', { arch: 'phi3', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, longRope: { origCtx: 16, attnFactor: 1.2 } }],
    ['phi3 partial rotary', 'phi3, 24 of 32 head dims rotated, Q8_0, tied', { arch: 'phi3', dim: 64, ffn: 128, layers: 2, heads: 2, kvHeads: 2, ctx: 64, seed: 3, ropeDims: 24, weightType: 'Q8_0', tied: true }],
    ['granite', 'granite, embedding / residual / attention / logit multipliers', { arch: 'granite', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 3, multipliers: GRANITE_MULT }],
    ['exaone4', 'exaone4, post-norms only, per-head q / k norms, NEOX rope, tied', { arch: 'exaone4', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 3, tied: true }],
    ['exaone4 Q8_0 rope factors', 'exaone4, Llama 3 rope factors, Q8_0', { arch: 'exaone4', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 5, weightType: 'Q8_0', ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 } }],
    ['ernie4_5', 'ernie4_5 (ERNIE 4.5 dense: a Llama), F32', { arch: 'ernie4_5', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 8 }],
    ['granite NoPE', 'granite, rope.scaling.finetuned false (no layer applies RoPE)', { arch: 'granite', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 7, multipliers: GRANITE_MULT, metadata: { 'granite.rope.scaling.finetuned': gguf.bool(false) } }],
    ['olmo2', 'olmo2, no pre-norms, post-norms, q / k norms over the whole projection, NEOX rope', { arch: 'olmo2', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 3 }],
    ['olmo2 Q8_0', 'olmo2, Q8_0, 4 heads / 1 KV head', { arch: 'olmo2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0' }],
    ['qwen3 YaRN', 'qwen3, YaRN (factor 4 past an original context of 16), head dim 32', { arch: 'qwen3', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, headDim: 32, ctx: 64, seed: 3, yarn: { factor: 4, origCtx: 16 } }],
    ['llama YaRN rope factors', 'llama, YaRN (factor 8) with Llama 3 rope factors', { dim: 64, ffn: 128, layers: 2, heads: 2, kvHeads: 1, ctx: 64, seed: 6, yarn: { factor: 8, origCtx: 16 }, ropeScaling: { factor: 2, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 } }],
    ['llama YaRN betas ignored', 'llama, YaRN (factor 8) with yarn_beta_fast 8 / yarn_beta_slow 0.5 keys, which llama.cpp\'s llama does not read', { dim: 64, ffn: 128, layers: 2, heads: 2, kvHeads: 1, ctx: 64, seed: 6, yarn: { factor: 8, origCtx: 16 }, metadata: { 'llama.rope.scaling.yarn_beta_fast': gguf.f32(8), 'llama.rope.scaling.yarn_beta_slow': gguf.f32(0.5) } }],
    ['mistral3', 'mistral3, YaRN (factor 4, original context 8, yarn_log_multiplier 1), attention temperature 0.5', { arch: 'mistral3', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 6, yarn: { factor: 4, origCtx: 8, logMul: 1 }, attnTemperature: { scale: 0.5, length: 8 } }],
    ['mistral3 Q8_0 rope factors', 'mistral3, Llama 3 rope factors, attention temperature 0.1 past 4 positions, Q8_0, tied', { arch: 'mistral3', dim: 64, ffn: 128, layers: 2, heads: 2, kvHeads: 1, ctx: 64, seed: 4, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 }, attnTemperature: { scale: 0.1, length: 4 }, weightType: 'Q8_0', tied: true }],
    ['olmo2 sliding (OLMo 3)', 'olmo2 with a sliding window (OLMo 3): 4 layers (3 sliding, window 8; 1 global), YaRN on the global layer only', { arch: 'olmo2', dim: 64, ffn: 128, layers: 4, heads: 4, kvHeads: 2, ctx: 64, seed: 3, slidingWindow: 8, yarn: { factor: 4, origCtx: 16 } }],
    ['olmo2 sliding bool array', 'olmo2 as the converter writes OLMo 3: sliding_window_pattern as one bool a layer (llama.cpp keeps its period of 4) and rope.scaling.attn_factor (YaRN\'s 1 + 0.1 ln 4, which llama.cpp applies on top of its own on the global layers), 6 layers', { arch: 'olmo2', dim: 64, ffn: 128, layers: 6, heads: 4, kvHeads: 2, ctx: 64, seed: 3, slidingWindow: 8, yarn: { factor: 4, origCtx: 16 }, metadata: { 'olmo2.attention.sliding_window_pattern': gguf.array('bool', [true, false, true, false, true, false]), 'olmo2.rope.scaling.attn_factor': gguf.f32(1 + 0.1 * Math.log(4)) } }],
    ['olmo2 sliding pattern 2', 'olmo2 with a sliding window of 6 and sliding_window_pattern 2 (layers 0 and 2 sliding), Q8_0', { arch: 'olmo2', dim: 64, ffn: 128, layers: 4, heads: 4, kvHeads: 2, ctx: 64, seed: 4, slidingWindow: 6, weightType: 'Q8_0', metadata: { 'olmo2.attention.sliding_window_pattern': gguf.u32(2) } }],
    ['exaone4 64 layers (32B layout)', 'exaone4 at 64 layers (EXAONE 4.0 32B\'s layout): 48 sliding (window 8) with Llama 3 rope factors, 16 global without RoPE', { arch: 'exaone4', dim: 32, ffn: 64, layers: 64, heads: 4, kvHeads: 2, ctx: 64, seed: 3, slidingWindow: 8, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 } }],
    ['glm4', 'glm4 (GLM-4-0414), pre- and post-norms, q / k / v biases, gate / up fused in ffn_up, half the head dims rotated (NORM)', { arch: 'glm4', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, ropeDims: 8, qkvBias: true }],
    ['glm4 Q8_0', 'glm4, Q8_0, tied, whole heads rotated', { arch: 'glm4', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true }],
    ['arcee', 'arcee (AFM), no FFN gate: relu(up)^2, q / k / v biases', { arch: 'arcee', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, qkvBias: true }],
    ['arcee Q8_0 rope factors', 'arcee, Llama 3 rope factors, Q8_0, tied', { arch: 'arcee', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 6, weightType: 'Q8_0', tied: true, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 } }],
    ['gemma', 'gemma (Gemma 1): GeGLU, embeddings scaled by sqrt(dim), always tied, one KV head (multi-query), head dim 32', { arch: 'gemma', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 1, headDim: 32, ctx: 64, seed: 3, embedStd: 0.1 }],
    ['gemma Q8_0', 'gemma (Gemma 1), Q8_0, 3 layers', { arch: 'gemma', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', embedStd: 0.1 }],
    ['stablelm', 'stablelm (StableLM 2): LayerNorm with biases, q / k / v biases, 4 of 16 head dims rotated (NEOX)', { arch: 'stablelm', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, ropeDims: 4, qkvBias: true }],
    ['stablelm Q8_0', 'stablelm, Q8_0, no biases, 3 layers', { arch: 'stablelm', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 4, ctx: 64, seed: 5, weightType: 'Q8_0' }],
    ['stablelm 12b', 'stablelm as StableLM 2 12B: per-head q / k LayerNorms, the parallel block (no ffn_norm), a quarter of each head rotated, GQA', { arch: 'stablelm', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 20, ropeDims: 4, stablelm12b: true }],
    ['exaone', 'exaone (EXAONE 3.5): a Llama rotating halves (NEOX)', { arch: 'exaone', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3 }],
    ['exaone Q8_0 rope factors', 'exaone, Llama 3 rope factors, q / k / v biases, Q8_0, tied', { arch: 'exaone', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 4, weightType: 'Q8_0', tied: true, qkvBias: true, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 } }],
    ['lfm2', 'lfm2 (LFM2), 4 layers: short convolutions (3 taps) at 0 and 2, attention at 1 and 3', { arch: 'lfm2', dim: 64, ffn: 96, layers: 4, heads: 4, kvHeads: 2, ctx: 64, seed: 3, shortConv: { taps: 3, conv: [true, false, true, false] } }],
    ['lfm2 Q8_0', 'lfm2, Q8_0, tied, 3 layers (two short convolutions of 4 taps first)', { arch: 'lfm2', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, shortConv: { taps: 4, conv: [true, true, false] } }],
    ['starcoder2', 'starcoder2 (StarCoder2): LayerNorms and biases everywhere, gateless GELU MLP, NEOX rope', { arch: 'starcoder2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, qkvBias: true }],
    ['starcoder2 Q8_0', 'starcoder2, Q8_0, tied, no q / k / v biases, 3 layers', { arch: 'starcoder2', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true }],
    ['phi2', 'phi2 (Phi-2): parallel block, LayerNorms, biases on every Linear and the head, gateless GELU MLP, 8 of 16 head dims rotated (NEOX)', { arch: 'phi2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 4, ctx: 64, seed: 3, ropeDims: 8, qkvBias: true }],
    ['phi2 Q8_0 fused q / k / v', 'phi2, Q8_0, q / k / v and their biases fused in attn_qkv, GQA, 3 layers', { arch: 'phi2', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 5, ropeDims: 8, qkvBias: true, fusedQkv: true, weightType: 'Q8_0' }],
    ['command-r', 'command-r (Command R, Aya): parallel block, bias-free LayerNorms, NORM rope, logit_scale 0.5, tied', { arch: 'command-r', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, logitMul: 0.5, embedStd: 0.5 }],
    ['command-r Q8_0', 'command-r, Q8_0, logit_scale 0.25, 3 layers', { arch: 'command-r', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 4, ctx: 64, seed: 5, logitMul: 0.25, embedStd: 1, weightType: 'Q8_0' }],
    ['cohere2', 'cohere2 (Command R7B), 4 layers: 3 sliding (window 6) with RoPE, 1 global without, logit_scale 0.25', { arch: 'cohere2', dim: 64, ffn: 128, layers: 4, heads: 4, kvHeads: 2, ctx: 64, seed: 3, slidingWindow: 6, logitMul: 0.25, embedStd: 1 }],
    ['cohere2 Q8_0', 'cohere2, Q8_0, 8 layers (window 8), GQA 4 / 1', { arch: 'cohere2', dim: 64, ffn: 128, layers: 8, heads: 4, kvHeads: 1, ctx: 64, seed: 5, slidingWindow: 8, logitMul: 0.5, embedStd: 0.5, weightType: 'Q8_0' }],
    ['minicpm', 'minicpm (MiniCPM): embedding 12 / residual 0.4 / logit 4 scales', { arch: 'minicpm', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, multipliers: { embedding: 12, residual: 0.4, attention: 0, logit: 4 } }],
    ['minicpm Q8_0 rope factors', 'minicpm, Q8_0, tied (embedding scale 2), Llama 3 rope factors', { arch: 'minicpm', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 5, multipliers: { embedding: 2, residual: 0.4, attention: 0, logit: 1 }, embedStd: 0.15, weightType: 'Q8_0', tied: true, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 } }],
    ['gptneox', 'gptneox (Pythia): parallel residual, two LayerNorms a layer, fused q / k / v with biases, 4 of 16 head dims rotated', { arch: 'gptneox', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 4, ctx: 64, seed: 3, ropeDims: 4 }],
    ['gptneox Q8_0 sequential', 'gptneox, Q8_0, use_parallel_residual false (sequential), 3 layers', { arch: 'gptneox', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 4, ctx: 64, seed: 5, ropeDims: 8, parallelResidual: false, weightType: 'Q8_0' }],
    ['gpt2', 'gpt2 (GPT-2): learned positions, no RoPE, fused q / k / v, biases everywhere, gateless GELU MLP', { arch: 'gpt2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 4, ctx: 64, seed: 3 }],
    ['gpt2 Q8_0 tied', 'gpt2, Q8_0, tied, the position table F16, 3 layers', { arch: 'gpt2', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, embedStd: 0.5, types: { 'position_embd.weight': 'F16' } }],
    ['starcoder', 'starcoder (StarCoder 1, SantaCoder): GPT-2\'s block with multi-query attention (1 KV head), untied', { arch: 'starcoder', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 1, ctx: 64, seed: 4 }],
    ['falcon', 'falcon (Falcon 7B): parallel block without biases, fused q / k / v, multi-query attention, NEOX rope', { arch: 'falcon', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 1, ctx: 64, seed: 3 }],
    ['falcon Q8_0 tied', 'falcon, Q8_0, tied, 2 KV heads, 3 layers', { arch: 'falcon', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, embedStd: 0.5 }],
    ['llama MoE (Mixtral)', 'llama with experts (Mixtral): 4 experts, 2 a token, weights renormalized', { dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, moe: { experts: 4, used: 2, ffn: 64 } }],
    ['llama MoE Q8_0', 'llama with experts, Q8_0 experts (F32 routers), tied, 8 experts, 2 a token', { dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, moe: { experts: 8, used: 2, ffn: 64 } }],
    ['qwen3moe', 'qwen3moe (Qwen3-MoE): per-head q / k norms, 8 experts of 32, 3 a token', { arch: 'qwen3moe', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, moe: { experts: 8, used: 3, ffn: 32 } }],
    ['qwen3moe Q8_0', 'qwen3moe, Q8_0, tied, 16 experts, 4 a token, 3 layers', { arch: 'qwen3moe', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, moe: { experts: 16, used: 4, ffn: 32 } }],
    ['olmoe', 'olmoe (OLMoE): q / k norms over the whole projection, 8 experts, 2 a token, weights not renormalized', { arch: 'olmoe', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 4, ctx: 64, seed: 3, moe: { experts: 8, used: 2, ffn: 64 } }],
    ['qwen2moe', 'qwen2moe (Qwen1.5-MoE): q / k / v biases, 6 experts of 32, 2 a token, a shared expert of 64 behind a sigmoid gate', { arch: 'qwen2moe', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, qkvBias: true, moe: { experts: 6, used: 2, ffn: 32, sharedFfn: 64 } }],
    ['qwen2moe Q8_0', 'qwen2moe, Q8_0, no biases, 8 experts, 4 a token, 3 layers', { arch: 'qwen2moe', dim: 64, ffn: 64, layers: 3, heads: 4, kvHeads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', moe: { experts: 8, used: 4, ffn: 32, sharedFfn: 64 } }],
    ['granitemoe', 'granitemoe (Granite 3 MoE): granite\'s multipliers, 8 experts, 2 a token, the sum times the residual scale', { arch: 'granitemoe', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, multipliers: GRANITE_MULT, moe: { experts: 8, used: 2, ffn: 64 } }],
    ['granite MoE shared Q8_0', 'granite with experts and an ungated shared expert (Granite 3.1 / 4.0 MoE), Q8_0', { arch: 'granite', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 5, multipliers: GRANITE_MULT, weightType: 'Q8_0', moe: { experts: 8, used: 2, ffn: 64, sharedFfn: 96 } }],
    ['lfm2moe', 'lfm2moe (LFM2-8B-A1B): short convolutions and attention, a dense first layer, then 8 experts (2 a token) by a sigmoid router with a selection bias', { arch: 'lfm2moe', dim: 64, ffn: 96, layers: 4, heads: 4, kvHeads: 2, ctx: 64, seed: 3, shortConv: { taps: 3, conv: [true, false, true, false] }, moe: { experts: 8, used: 2, ffn: 32, denseLead: 1 } }],
    ['lfm2moe Q8_0', 'lfm2moe, Q8_0, tied, 16 experts (4 a token), no dense layer', { arch: 'lfm2moe', dim: 64, ffn: 64, layers: 3, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, shortConv: { taps: 3, conv: [true, true, false] }, moe: { experts: 16, used: 4, ffn: 32 } }],
    ['ernie4_5-moe', 'ernie4_5-moe (ERNIE-4.5-21B-A3B): adjacent-pair RoPE, a dense first layer, then 8 experts (3 a token) chosen with a selection bias, shared experts of 64', { arch: 'ernie4_5-moe', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 3, moe: { experts: 8, used: 3, ffn: 32, sharedFfn: 64, denseLead: 1, selectionBias: true } }],
    ['ernie4_5-moe Q8_0', 'ernie4_5-moe, Q8_0, tied, 16 experts (4 a token), no dense layer, no shared expert, no selection bias', { arch: 'ernie4_5-moe', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, moe: { experts: 16, used: 4, ffn: 32 } }],
    ['qwen2vl', 'qwen2vl (Qwen2.5-VL\'s text decoder): qwen2 with M-RoPE sections [2, 3, 3, 0], on text', { arch: 'qwen2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, qkvBias: true, mrope: { arch: 'qwen2vl', sections: [2, 3, 3, 0] } }],
    // (Qwen3-VL's interleaved sections chosen so that every pair falls in t / h / w: where one falls past them (the
    // "e" section: pairs 61 and 62 of Qwen3-VL's 64), llama.cpp 3.21.1 turns it by another position than the token's,
    // 3.9e-4 in these probabilities for one pair of 8, where Hugging Face's model and later llama.cpp use the token's: docs/architectures.md)
    ['qwen3vl Q8_0', 'qwen3vl (Qwen3-VL\'s text decoder): qwen3 with interleaved M-RoPE [3, 3, 2, 0] and 3 deepstack layers, Q8_0, tied, on text', { arch: 'qwen3', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, mrope: { arch: 'qwen3vl', sections: [3, 3, 2, 0], deepstack: 3 } }],
    ['qwen3vlmoe', 'qwen3vlmoe (Qwen3-VL-30B-A3B\'s text decoder): qwen3moe with interleaved M-RoPE [3, 3, 2, 0], 8 experts of 32, 3 a token, on text', { arch: 'qwen3moe', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, moe: { experts: 8, used: 3, ffn: 32 }, mrope: { arch: 'qwen3vlmoe', sections: [3, 3, 2, 0] } }],
    ['internlm2', 'internlm2 (InternLM2 / 2.5): a Llama (adjacent-pair RoPE), its own head, GQA', { arch: 'internlm2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3 }],
    ['xverse Q8_0', 'xverse (XVERSE): a Llama with its own head, Q8_0, 3 layers', { arch: 'xverse', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 4, ctx: 64, seed: 5, weightType: 'Q8_0' }],
    ['bailingmoe', 'bailingmoe (Ling-lite): 8 experts of 32 (2 a token) renormalized and scaled by 2.5, a shared expert of 2 experts\' width', { arch: 'bailingmoe', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64, norm: true, weightScale: 2.5 } }],
    ['bailingmoe Q8_0', 'bailingmoe, Q8_0, 16 experts (4 a token) not renormalized, a shared expert of one expert\'s width, 3 layers', { arch: 'bailingmoe', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', moe: { experts: 16, used: 4, ffn: 32, sharedFfn: 32 } }],
    ['hunyuan-dense', 'hunyuan-dense (Hunyuan 0.5B-7B): qwen3\'s per-head q / k norms after RoPE, GQA, tied', { arch: 'hunyuan-dense', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, tied: true }],
    ['hunyuan-dense Q8_0', 'hunyuan-dense, Q8_0, q / k / v biases, head dim 32, 3 layers', { arch: 'hunyuan-dense', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, headDim: 32, ctx: 64, seed: 5, weightType: 'Q8_0', qkvBias: true }],
    ['hunyuan-moe', 'hunyuan-moe (Hunyuan-A13B): q / k norms after RoPE, 8 experts of 128 (2 a token), renormalized, an ungated shared expert of 64', { arch: 'hunyuan-moe', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, moe: { experts: 8, used: 2, ffn: 128, sharedFfn: 64 } }],
    ['seed_oss', 'seed_oss (Seed-OSS-36B): a Llama (NEOX RoPE) with q / k / v biases, its FFN norm named post_attention_norm, head dim 32', { arch: 'seed_oss', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, headDim: 32, ctx: 64, seed: 3, qkvBias: true }],
    ['glm4moe', 'glm4moe (GLM-4.5): a dense first layer, then 8 experts of 32 (2 a token) by sigmoids with a selection bias, renormalized and scaled by 2.5, a shared expert; q / k / v biases and norms, half of each head rotated, one multi-token-prediction layer loaded and not run', { arch: 'glm4moe', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 3, qkvBias: true, qkNorm: true, ropeDims: 8, nextn: 1, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, norm: true, weightScale: 2.5 } }],
    ['glm4moe Q8_0', 'glm4moe (GLM-4.5-Air\'s kind), Q8_0: no q / k norms or biases, 16 experts (4 a token) not renormalized, no dense layer, tied', { arch: 'glm4moe', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, ropeDims: 8, moe: { experts: 16, used: 4, ffn: 32, sharedFfn: 32 } }],
    ['gpt-oss', 'gpt-oss (gpt-oss-20b / 120b): attention sinks, every other layer sliding (window 8), YaRN (factor 4 over 16) on both kinds, q / k / v / o biases, head dim 32, 8 biased experts of 32 (2 a token) of the clamped SwiGLU, a biased router, its FFN norm named post_attention_norm', { arch: 'gpt-oss', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 32, ctx: 64, seed: 3, qkvBias: true, yarn: { factor: 4, origCtx: 16 }, moe: { experts: 8, used: 2, ffn: 32 } }],
    ['gpt-oss MXFP4', 'gpt-oss with its experts in MXFP4 (as its GGUF releases store them), the rest Q8_0, 16 experts (4 a token), 3 layers, window 4', { arch: 'gpt-oss', dim: 64, ffn: 64, layers: 3, heads: 4, kvHeads: 1, headDim: 32, ctx: 64, seed: 5, weightType: 'Q8_0', qkvBias: true, slidingWindow: 4, yarn: { factor: 8, origCtx: 32 }, moe: { experts: 16, used: 4, ffn: 64 }, types: Object.fromEntries([0, 1, 2].flatMap((l) => ['gate', 'up', 'down'].map((t) => [`blk.${l}.ffn_${t}_exps.weight`, 'MXFP4']))) }],
    ['granitehybrid', 'granitehybrid (Granite 4.0 H): Mamba-2 layers (4 heads of 16, state 8, 2 groups, a conv of 4) around an attention layer, granite\'s multipliers, GQA', { arch: 'granitehybrid', dim: 32, ffn: 64, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 3, multipliers: { embedding: 2, residual: 0.5, attention: 0.2, logit: 2 }, ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [true, false, true] } }],
    ['granitehybrid Q8_0 MoE', 'granitehybrid (Granite 4.0 H Tiny\'s kind), Q8_0: no RoPE (rope.scaling.finetuned false), 8 experts of 32 (2 a token) and a shared expert of 32, Mamba-2 layers of one group of 8 heads, state 16, tied', { arch: 'granitehybrid', dim: 32, ffn: 32, layers: 4, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, multipliers: { embedding: 4, residual: 0.3, attention: 0.25, logit: 1.5 }, ssm: { taps: 4, state: 16, heads: 8, groups: 1, layers: [true, true, false, true] }, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 32 }, metadata: { 'granitehybrid.rope.scaling.finetuned': gguf.bool(false) } }],
    ['falcon-h1', 'falcon-h1 (Falcon-H1): attention and a Mamba-2 mixer side by side in every layer (inner 48, state 8, 2 groups), the FFN norm named blk.N.ffn_norm, head dim 16', { arch: 'falcon-h1', dim: 32, ffn: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, ctx: 64, seed: 3, ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [true, true], inner: 48 } }],
    ['falcon-h1 Q8_0', 'falcon-h1, Q8_0, q / k / v biases, no ssm_norm (the gate alone), one group, 3 layers', { arch: 'falcon-h1', dim: 32, ffn: 64, layers: 3, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', qkvBias: true, ssm: { taps: 4, state: 8, heads: 4, groups: 1, layers: [true, true, true], inner: 64, noNorm: true } }],
    ['nemotron_h', 'nemotron_h (Nemotron-H, Nemotron Nano 2): one mixer a layer: Mamba-2 (4 heads of 16, state 8, 2 groups), the squared-ReLU MLP, attention without RoPE (head dim 16), Mamba-2 again', { arch: 'nemotron_h', dim: 32, ffn: 64, layers: 4, heads: 4, kvHeads: 2, headDim: 16, ctx: 64, seed: 3, ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [] }, layerKinds: ['ssm', 'ffn', 'attention', 'ssm'] }],
    ['nemotron_h Q8_0', 'nemotron_h, Q8_0, 6 layers (Mamba-2 of 8 heads and one group, two attention layers of one KV head, two MLPs), tied', { arch: 'nemotron_h', dim: 32, ffn: 64, layers: 6, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, ssm: { taps: 4, state: 16, heads: 8, groups: 1, layers: [] }, layerKinds: ['ssm', 'attention', 'ffn', 'ssm', 'attention', 'ffn'] }],
    ['mamba2', 'mamba2 (Mamba-2, Mamba-Codestral): every layer a Mamba-2 mixer (4 heads of 16, state 8, 2 groups), no attention', { arch: 'mamba2', dim: 32, ffn: 0, layers: 3, heads: 1, ctx: 64, seed: 3, ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [] } }],
    ['qwen35', 'qwen35 (Qwen3.5): three Gated DeltaNet layers (2 key heads, 4 value heads of 16, a conv of 4) then gated attention (per-head q / k norms, 8 of 16 head dims rotated under M-RoPE sections [2, 1, 1, 0], GQA)', { arch: 'qwen35', dim: 64, ffn: 128, layers: 4, heads: 4, kvHeads: 2, headDim: 16, ropeDims: 8, ctx: 64, seed: 3, deltaNet: { taps: 4, state: 16, kHeads: 2, vHeads: 4, layers: [true, true, true, false] } }],
    ['qwen35 Q8_0', 'qwen35, Q8_0, tied, 6 layers (the attention layers third and sixth: attention.recurrent_layers), one key head for 2 value heads of 32', { arch: 'qwen35', dim: 64, ffn: 128, layers: 6, heads: 2, kvHeads: 1, headDim: 32, ropeDims: 16, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, deltaNet: { taps: 4, state: 32, kHeads: 1, vHeads: 2, layers: [true, true, false, true, true, false] } }],
    ['qwen35moe', 'qwen35moe (Qwen3.5 MoE): qwen35\'s layers, each FFN 8 experts of 32 (2 a token, renormalized) and a sigmoid-gated shared expert of 64', { arch: 'qwen35moe', dim: 64, ffn: 128, layers: 4, heads: 4, kvHeads: 2, headDim: 16, ropeDims: 8, ctx: 64, seed: 3, deltaNet: { taps: 4, state: 16, kHeads: 2, vHeads: 4, layers: [true, true, true, false] }, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64 } }],
    ['qwen35moe Q8_0', 'qwen35moe, Q8_0, tied, 16 experts of 32 (4 a token), the shared expert feed_forward_length wide (64)', { arch: 'qwen35moe', dim: 64, ffn: 64, layers: 4, heads: 2, kvHeads: 1, headDim: 32, ropeDims: 16, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, deltaNet: { taps: 4, state: 32, kHeads: 1, vHeads: 2, layers: [true, true, true, false] }, moe: { experts: 16, used: 4, ffn: 32 } }],
    ['qwen3next', 'qwen3next (Qwen3-Next): qwen35moe\'s layers without M-RoPE sections, each key head repeated over its value heads (2 key heads, 4 value heads), beta and alpha fused in ssm_ba, 8 experts of 32 (2 a token, renormalized) and a sigmoid-gated shared expert of 64', { arch: 'qwen3next', dim: 64, ffn: 128, layers: 4, heads: 4, kvHeads: 2, headDim: 16, ropeDims: 8, ctx: 64, seed: 9, deltaNet: { taps: 4, state: 16, kHeads: 2, vHeads: 4, layers: [true, true, true, false] }, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64 } }],
    ['qwen3next Q8_0', 'qwen3next, Q8_0, 3 value heads a key head, 16 experts of 32 (4 a token), the shared expert feed_forward_length wide (64)', { arch: 'qwen3next', dim: 64, ffn: 64, layers: 4, heads: 2, kvHeads: 1, headDim: 32, ropeDims: 16, ctx: 64, seed: 6, weightType: 'Q8_0', deltaNet: { taps: 4, state: 32, kHeads: 2, vHeads: 6, layers: [true, true, true, false] }, moe: { experts: 16, used: 4, ffn: 32 } }],
    ['smallthinker', 'smallthinker (SmallThinker): the router on the layer input, 8 ReGLU experts of 32 (2 a token, softmax, renormalized), NEOX', { arch: 'smallthinker', dim: 64, ffn: 32, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, moe: { experts: 8, used: 2, ffn: 32 } }],
    ['smallthinker Q8_0 swa', 'smallthinker with a sliding window, Q8_0: 5 layers, the first global without RoPE, 3 sliding (llama.cpp fixes the window at 4096), the fifth global again, a sigmoid router, tied', { arch: 'smallthinker', dim: 64, ffn: 32, layers: 5, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, slidingWindow: 16, moe: { experts: 8, used: 3, ffn: 32, gating: 'sigmoid' } }],
    ['dots1', 'dots1 (dots.llm1): qwen3\'s attention, a dense first layer, then 8 experts of 32 (3 a token) by sigmoids with a selection bias, renormalized and scaled by 2.5, a shared expert of 32', { arch: 'dots1', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 4, ctx: 64, seed: 3, moe: { experts: 8, used: 3, ffn: 32, sharedFfn: 32, denseLead: 1, gating: 'sigmoid', selectionBias: true, norm: true, weightScale: 2.5 } }],
    ['dots1 Q8_0', 'dots1, Q8_0: 8 experts of 32 (2 a token) by a softmax, unnormalized, a shared expert of 64', { arch: 'dots1', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64 } }],
    ['mellum', 'mellum (Mellum): qwen3moe\'s attention and 8 experts of 32 (2 a token), layers 2 and 3 of 3 sliding (window 8, one bool a layer) rotating plainly, YaRN (factor 4) on the global one', { arch: 'mellum', dim: 64, ffn: 64, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 3, slidingWindow: 8, slidingLayers: [false, true, true], yarn: { factor: 4, origCtx: 16 }, moe: { experts: 8, used: 2, ffn: 32 } }],
    ['mellum Q8_0', 'mellum, Q8_0, no sliding window, 8 experts of 32 (3 a token)', { arch: 'mellum', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', moe: { experts: 8, used: 3, ffn: 32 } }],
    ['deepseek2', 'deepseek2 (DeepSeek-V2 / V3\'s multi-head latent attention): q through a rank-32 LoRA, keys and values compressed to 32 (8 of 24 query dims rotated, 16 out a head), YaRN (factor 4, log multiplier 1), a dense first layer, then 8 experts of 32 (2 a token) renormalized and scaled by 2.5, a shared expert of 32', { arch: 'deepseek2', dim: 64, ffn: 128, layers: 3, heads: 4, ctx: 64, seed: 3, mla: { qLora: 32, kvLora: 32, nope: 16, rope: 8, v: 16, logMul: 1 }, yarn: { factor: 4, origCtx: 16 }, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, norm: true, weightScale: 2.5 } }],
    ['deepseek2 Q8_0 lite', 'deepseek2 as the Lite models (attn_q, no q LoRA), Q8_0: 8 experts of 32 (2 a token) by sigmoids with a selection bias, a shared expert of 64', { arch: 'deepseek2', dim: 64, ffn: 64, layers: 2, heads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', mla: { qLora: 0, kvLora: 32, nope: 32, rope: 16, v: 16 }, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64, gating: 'sigmoid', selectionBias: true } }],
    ['deepseek2 grouped', 'deepseek2 as DeepSeek-V3 routes: 16 experts in 4 groups, a token\'s 4 from the best 2 groups (a group scored by its two largest), by sigmoids with a selection bias, renormalized and scaled by 2.5, a shared expert of 32, q LoRA 32', { arch: 'deepseek2', dim: 64, ffn: 128, layers: 3, heads: 4, ctx: 64, seed: 6, mla: { qLora: 32, kvLora: 32, nope: 16, rope: 8, v: 16 }, moe: { experts: 16, used: 4, ffn: 32, sharedFfn: 32, denseLead: 1, norm: true, weightScale: 2.5, gating: 'sigmoid', selectionBias: true, groups: { count: 4, used: 2 } } }],
    ['deepseek2 384 experts', 'deepseek2 with Kimi K2\'s 384 experts (of 16, 8 a token, by sigmoids with a selection bias), q LoRA 32, a dense first layer', { arch: 'deepseek2', dim: 64, ffn: 64, layers: 2, heads: 4, ctx: 64, seed: 7, mla: { qLora: 32, kvLora: 32, nope: 16, rope: 8, v: 16 }, moe: { experts: 384, used: 8, ffn: 16, sharedFfn: 16, denseLead: 1, norm: true, weightScale: 2.827, gating: 'sigmoid', selectionBias: true } }],
    ['bailingmoe2', 'bailingmoe2 (Ling 2.0: q / k / v fused, per-head q / k norms, half of each head rotated), a dense first layer, then 16 experts of 32 in 4 groups (4 a token from the best 2) by sigmoids with a selection bias, renormalized and scaled by 2.5, a shared expert of 32; a multi-token-prediction layer (loaded, never run)', { arch: 'bailingmoe2', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 8, ropeDims: 8, moe: { experts: 16, used: 4, ffn: 32, sharedFfn: 32, denseLead: 1, norm: true, weightScale: 2.5, gating: 'sigmoid', selectionBias: true, groups: { count: 4, used: 2 } }, nextn: 1 }],
    ['bailingmoe2 Q8_0', 'bailingmoe2, Q8_0: 8 experts of 32 (2 a token) by a softmax, unnormalized, a shared expert of 64, no dense layer', { arch: 'bailingmoe2', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 5, weightType: 'Q8_0', moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64 } }],
    ['llama4', 'llama4 (Llama 4 Maverick\'s layout): every second layer 16 experts of 32 (1 a token) by their logits, each expert reading its input times the sigmoid of its logit, an ungated shared expert; the others dense; q / k RMS-normalized without a weight after RoPE; the fourth layer without RoPE', { arch: 'llama4', dim: 64, ffn: 128, layers: 4, heads: 4, kvHeads: 2, ctx: 64, seed: 10, moe: { experts: 16, used: 1, ffn: 32, step: 2 } }],
    ['llama4 Q8_0', 'llama4 (Llama 4 Scout\'s layout), Q8_0, Llama 3 rope factors: every layer 8 experts of 32 (2 a token)', { arch: 'llama4', dim: 64, ffn: 64, layers: 4, heads: 4, kvHeads: 1, ctx: 64, seed: 12, weightType: 'Q8_0', ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 16 }, moe: { experts: 8, used: 2, ffn: 32 } }],
    ['llama4 128 experts', 'llama4 with Maverick\'s 128 experts (1 a token): no q / k norms (llama.cpp keys them on that count), tied', { arch: 'llama4', dim: 64, ffn: 64, layers: 4, heads: 4, kvHeads: 2, ctx: 64, seed: 11, tied: true, moe: { experts: 128, used: 1, ffn: 16, step: 2 } }],
    ['phimoe', 'phimoe (Phi-3.5-MoE): RMSNorms with biases, q / k / v and attn_output biases, a biased head, 8 experts of 64 (2 a token, renormalized), NEOX RoPE', { arch: 'phimoe', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 12, qkvBias: true, moe: { experts: 8, used: 2, ffn: 64 } }],
    ['phimoe Q8_0', 'phimoe, Q8_0, LongRoPE\'s long factors and attention factor, no q / k / v biases', { arch: 'phimoe', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', longRope: { origCtx: 16, attnFactor: 1.1 }, moe: { experts: 8, used: 2, ffn: 64 } }],
    ['chatglm', 'chatglm (GLM-4-9B, ChatGLM3): q / k / v fused with their biases, gate and up fused in ffn_up, half of each head rotated in adjacent pairs, GQA', { arch: 'chatglm', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 13, qkvBias: true, ropeDims: 8 }],
    ['chatglm Q8_0', 'chatglm, Q8_0, tied, no q / k / v biases', { arch: 'chatglm', dim: 64, ffn: 64, layers: 2, heads: 2, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, ropeDims: 16 }],
    ['minimax-m2', 'minimax-m2 (MiniMax-M2): q / k RMS-normalized over the whole projection (k over its KV heads), half of each head rotated (NEOX), 16 experts of 32 (4 a token) by sigmoids with a selection bias, renormalized', { arch: 'minimax-m2', dim: 64, ffn: 32, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 14, ropeDims: 8, moe: { experts: 16, used: 4, ffn: 32, gating: 'sigmoid' } }],
    ['minimax-m2 Q8_0', 'minimax-m2, Q8_0, 8 experts of 32 (2 a token) by a softmax with a selection bias', { arch: 'minimax-m2', dim: 64, ffn: 32, layers: 2, heads: 4, kvHeads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', moe: { experts: 8, used: 2, ffn: 32 } }],
    ['orion', 'orion (Orion-14B): LayerNorms with biases around a SwiGLU block, NEOX RoPE over whole heads, GQA', { arch: 'orion', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 15 }],
    ['orion Q8_0', 'orion, Q8_0', { arch: 'orion', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 4, ctx: 64, seed: 5, weightType: 'Q8_0' }],
    ['qwen', 'qwen (Qwen 1): q / k / v fused with their biases, NEOX RoPE, the FFN half of feed_forward_length wide', { arch: 'qwen', dim: 64, ffn: 96, layers: 2, heads: 4, ctx: 64, seed: 16 }],
    ['qwen Q8_0', 'qwen, Q8_0', { arch: 'qwen', dim: 64, ffn: 64, layers: 2, heads: 2, ctx: 64, seed: 5, weightType: 'Q8_0' }],
    ['olmo', 'olmo (OLMo 1): LayerNorms without weight or bias, adjacent-pair RoPE, q / k / v clamped to [-1, 1] (clamp_kqv), tied', { arch: 'olmo', dim: 64, ffn: 128, layers: 2, heads: 4, ctx: 64, seed: 18, tied: true, clampKqv: 1 }],
    ['olmo Q8_0', 'olmo, Q8_0, no clamp, an untied head', { arch: 'olmo', dim: 64, ffn: 64, layers: 2, heads: 4, ctx: 64, seed: 5, weightType: 'Q8_0' }],
    // ALiBi (since 2026-12-08): no RoPE, each head's scores biased by slope_h (j - p), llama.cpp's slopes from max_alibi_bias
    ['bloom', 'bloom (BLOOM): the embeddings LayerNorm-ed, biased LayerNorms, q / k / v fused and biased, a biased GELU MLP, ALiBi of 8, tied', { arch: 'bloom', dim: 64, ffn: 128, layers: 2, heads: 4, ctx: 64, seed: 20, tied: true }],
    ['bloom Q8_0 6 heads', 'bloom, Q8_0, 6 heads (the last two on ALiBi\'s second slope series), an untied head', { arch: 'bloom', dim: 96, ffn: 96, layers: 2, heads: 6, ctx: 64, seed: 5, weightType: 'Q8_0' }],
    ['mpt', 'mpt (MPT-7B\'s layout): LayerNorms without biases, q / k / v fused and clamped to [-2, 2], a GELU MLP, no biases, ALiBi of 8, tied', { arch: 'mpt', dim: 64, ffn: 128, layers: 2, heads: 4, ctx: 64, seed: 21, tied: true, clampKqv: 2 }],
    ['mpt Q8_0 biases positions', 'mpt, Q8_0, biases everywhere, learned positions, ALiBi of 4, GQA', { arch: 'mpt', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 5, weightType: 'Q8_0', mpt: { biases: true, positions: true }, alibi: 4 }],
    ['jais', 'jais (Jais): bloom\'s block with a SwiGLU biased in all three projections, scores scaled by 1 / head dim, ALiBi of 8, GQA', { arch: 'jais', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 22 }],
    ['jais Q8_0 no alibi', 'jais, Q8_0, max_alibi_bias 0 (no position signal at all, as llama.cpp runs it)', { arch: 'jais', dim: 64, ffn: 64, layers: 2, heads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', alibi: 0 }],
    ['refact', 'refact (Refact-1.6B): a Llama without RoPE, ALiBi of 8, one KV head, tied', { arch: 'refact', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 1, ctx: 64, seed: 23, tied: true }],
    ['refact Q8_0 fused', 'refact, Q8_0, q / k / v fused in attn_qkv with their biases', { arch: 'refact', dim: 64, ffn: 64, layers: 2, heads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', fusedQkv: true, qkvBias: true }],
    ['baichuan 13B', 'baichuan at 40 layers (Baichuan-13B, as llama.cpp tells it): ALiBi of 8, no RoPE', { arch: 'baichuan', dim: 32, ffn: 64, layers: 40, heads: 4, ctx: 64, seed: 24, embedStd: 0.5 }],
    ['baichuan 7B Q8_0', 'baichuan at 32 layers (Baichuan-7B): adjacent-pair RoPE, no ALiBi, Q8_0, q / k / v fused (W_pack)', { arch: 'baichuan', dim: 32, ffn: 64, layers: 32, heads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', fusedQkv: true }],
    // (since 2026-12-08) codeshell, jais2, maincoder, pangu-embedded, deepseek
    ['codeshell', 'codeshell (CodeShell-7B): biased LayerNorms, q / k / v fused and biased, a biased GELU MLP, NEOX RoPE, GQA', { arch: 'codeshell', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 25, fusedQkv: true, qkvBias: true }],
    ['codeshell Q8_0', 'codeshell, Q8_0, q / k / v apart without biases', { arch: 'codeshell', dim: 64, ffn: 64, layers: 2, heads: 4, ctx: 64, seed: 5, weightType: 'Q8_0' }],
    ['jais2', 'jais2 (Jais 2): biased LayerNorms, q / k / v and attn_output biased, a biased relu(x)^2 MLP, NEOX RoPE, tied', { arch: 'jais2', dim: 64, ffn: 128, layers: 2, heads: 4, ctx: 64, seed: 26, tied: true }],
    ['jais2 Q8_0', 'jais2, Q8_0, untied', { arch: 'jais2', dim: 64, ffn: 64, layers: 2, heads: 4, ctx: 64, seed: 5, weightType: 'Q8_0' }],
    ['maincoder', 'maincoder (Maincoder-1B): a Llama whose q and k are RMS-normalized per head after RoPE, GQA', { arch: 'maincoder', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 27 }],
    ['maincoder Q8_0 fused', 'maincoder, Q8_0, q / k / v fused with biases, tied', { arch: 'maincoder', dim: 64, ffn: 64, layers: 2, heads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, fusedQkv: true, qkvBias: true }],
    ['pangu-embedded', 'pangu-embedded (openPangu-Embedded): a Llama with NEOX RoPE and a bias on attn_output alone, q / k / v biases, GQA', { arch: 'pangu-embedded', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 28, qkvBias: true }],
    ['pangu-embedded Q8_0', 'pangu-embedded, Q8_0, tied, no q / k / v biases', { arch: 'pangu-embedded', dim: 64, ffn: 64, layers: 2, heads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true }],
    ['deepseek', 'deepseek (DeepSeek-MoE 16B): a dense first layer, then 8 experts of 32 (2 a token) by an unnormalized softmax, a shared SwiGLU of 2 experts\' width, adjacent-pair RoPE', { arch: 'deepseek', dim: 64, ffn: 128, layers: 3, heads: 4, ctx: 64, seed: 29, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64, denseLead: 1 } }],
    ['deepseek Q8_0', 'deepseek, Q8_0, every layer 16 experts (4 a token) times expert_weights_scale 1.5, one shared expert, q / k / v fused, GQA', { arch: 'deepseek', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 5, weightType: 'Q8_0', fusedQkv: true, moe: { experts: 16, used: 4, ffn: 32, sharedFfn: 32, weightScale: 1.5 } }],
    ['dbrx', 'dbrx (DBRX): LayerNorms without biases, q / k / v fused and clamped to [-1.5, 1.5], NEOX RoPE, 8 experts of 64 (2 a token) renormalized, its FFN norm named attn_output_norm, GQA', { arch: 'dbrx', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 30, clampKqv: 1.5, moe: { experts: 8, used: 2, ffn: 64 } }],
    ['dbrx Q8_0', 'dbrx, Q8_0, clamp_kqv 0 (none), 16 experts (4 a token)', { arch: 'dbrx', dim: 64, ffn: 32, layers: 2, heads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', moe: { experts: 16, used: 4, ffn: 32 } }],
    ['command-r plus', 'command-r as Command R+ (64 layers, where llama.cpp reads them): q and k LayerNorm-ed per head before RoPE, each head its own weights, GQA', { arch: 'command-r', dim: 32, ffn: 32, layers: 64, heads: 4, kvHeads: 2, ctx: 64, seed: 19, logitMul: 0.5, embedStd: 0.5 }],
    ['deepseek2 dense tied', 'deepseek2 without experts (every layer a leading dense one, as Youtu-LLM), tied, 2 heads, q LoRA 16, keys and values compressed to 304 (attention heads of 320, past the usual 256), 32 out a head, YaRN (factor 8) without a log multiplier', { arch: 'deepseek2', dim: 64, ffn: 128, layers: 2, heads: 2, ctx: 64, seed: 4, tied: true, yarn: { factor: 8, origCtx: 8 }, mla: { qLora: 16, kvLora: 304, nope: 16, rope: 16, v: 32 } }],
    ['minicpm3', 'minicpm3 (MiniCPM 3): latent attention decompressed by attn_kv_b (nope 16 + rope 8 a head, values of 16 padded for the kernel), LongRoPE factors (the long set past an original context of 16, attention factor 1.1), the graph\'s fixed scales', { arch: 'minicpm3', dim: 64, ffn: 128, layers: 2, heads: 4, ctx: 64, seed: 3, mla: { qLora: 32, kvLora: 32, nope: 16, rope: 8, v: 16 }, longRope: { origCtx: 16, attnFactor: 1.1 } }],
    ['minicpm3 Q8_0 tied', 'minicpm3, Q8_0, tied, values as wide as the keys (24 + 8), no rope factors, 3 layers', { arch: 'minicpm3', dim: 64, ffn: 64, layers: 3, heads: 4, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, mla: { qLora: 32, kvLora: 32, nope: 24, rope: 8, v: 32 } }],
    ['mamba2 Q8_0', 'mamba2, Q8_0, tied, one group of 8 heads, state 16', { arch: 'mamba2', dim: 32, ffn: 0, layers: 2, heads: 1, ctx: 64, seed: 5, weightType: 'Q8_0', tied: true, ssm: { taps: 4, state: 16, heads: 8, groups: 1, layers: [] } }],
    ['nemotron', 'nemotron (Nemotron-Mini-4B, Minitron): LayerNorms with biases, a gateless relu(x)^2 MLP, half of each head rotated (NEOX)', { arch: 'nemotron', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, ropeDims: 8 }],
    ['granite Q8_0 rope factors', 'granite, multipliers, Llama 3 rope factors, Q8_0', { arch: 'granite', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 4, multipliers: GRANITE_MULT, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 }, weightType: 'Q8_0' }],
  ];
  for (const [label, what, o] of MORE) {
    it(`${what}: probabilities at every position, decode equals prefill`, async () => {
      const m = await load(o.arch!, o);
      try {
        expectWithin(label, await compare(m, IDS));
        expect(maxDiff(await m.lm.logits(IDS, { decode: true }), await m.lm.logits(IDS))).toBeLessThanOrEqual(1e-4);
      } finally {
        m.lm.dispose();
      }
    });
  }

  // Llama 4 past 8192 positions: its chunked layers see their chunk of 8192 alone and its NoPE layers scale the query
  // by 1 + 0.1 ln(1 + floor((p + 1) / 8192)) (1.069 from position 8191 on), both as llama.cpp fixes them.
  it('llama4 at 8192 positions and past: chunked attention on 3 of every 4 layers, the NoPE layers\' temperature', async () => {
    const o: SynthOptions = { arch: 'llama4', dim: 32, ffn: 64, layers: 4, heads: 2, kvHeads: 1, ctx: 8400, seed: 17, moe: { experts: 4, used: 1, ffn: 32, step: 2 } };
    const path = join(dir, 'llama4-long.gguf');
    writeFileSync(path, synthLlamaGguf(o));
    const T = 8200;
    const from = 8184; // (the last positions: before and after 8191 / 8192)
    const ids = Array.from({ length: T }, (_, t) => 3 + ((t * 7919 + (t >> 3) * 104729) % 250));
    const lm = await LanguageModel.load(ctx, path, { ctxLen: 8200, chunk: 512, kvType: 'f32' });
    try {
      const V = lm.config.vocab;
      const ours = softmaxRows((await lm.logits(ids)).subarray(from * V), T - from, V);
      const cpp = await llamaCppLogits(path, ids, from);
      // (the f64 reference too: its chunks and temperature, checked against llama.cpp here)
      const exact = softmaxRows(llamaLogitsRef(parseGgufFile(synthLlamaGguf(o)), ids).subarray(from * V), T - from, V);
      let [worst, refWorst] = [0, 0];
      cpp.forEach((p, i) => p.forEach((v, j) => ((worst = Math.max(worst, Math.abs(v - ours[i * V + j]))), (refWorst = Math.max(refWorst, Math.abs(v - exact[i * V + j]))))));
      measured.push(`  llama4 F32 at positions ${from}..${T - 1} (chunks of 8192, the NoPE temperature): nibble vs llama.cpp max |p| difference ${worst.toExponential(2)}, the f64 reference vs llama.cpp ${refWorst.toExponential(2)} (bound 5.2e-4)`);
      expect(worst).toBeLessThanOrEqual(5.2e-4);
      expect(refWorst).toBeLessThanOrEqual(5.2e-4);
    } finally {
      lm.dispose();
    }
  });

  // The experts' arming: in a decode step each expert's three matmuls (F32 weights: one dispatch each) run from the
  // router's arguments, so only the token's experts read their weights (a recorder that left them unarmed would
  // still be right, and read every expert). The SwiGLU between them is not armed: cheaper to run than to arm.
  it('MoE decode: every expert\'s matmuls are armed by the router', async () => {
    const m = await load('moe-armed', { arch: 'qwen3moe', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3, moe: { experts: 8, used: 3, ffn: 32 } });
    try {
      await m.lm.logits(IDS, { decode: true });
      expect(m.lm.engine.lastArmedDispatches).toBe(2 * 8 * 3);
      measured.push(`  MoE decode (qwen3moe F32, 2 layers of 8 experts): ${m.lm.engine.lastArmedDispatches} of ${m.lm.engine.lastDispatches} dispatches armed`);
    } finally {
      m.lm.dispose();
    }
  });

  // The f16 KV cache (the default on GPUs with shader-f16) rounds every cached key and value to f16: unit 2^-11
  // relative, which through the scores, two layers and the logit scale (~2.5) grows a few times: F16_KV_BOUND = 5e-3.
  it('f16 KV cache: probabilities within the f16 rounding of the cache, decode equals prefill', async () => {
    const { file, lm } = await load('f16kv', { dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 9 }, 'f16');
    try {
      const T = IDS.length;
      const ours = softmaxRows(await lm.logits(IDS), T, V);
      const d = maxDiff(ours, softmaxRows(llamaLogitsRef(file, IDS), T, V));
      measured.push(`  f16 KV cache (F32 weights) vs f64 ${d.toExponential(2)} (bound 5e-3)`);
      expect(d).toBeLessThanOrEqual(5e-3);
      expect(maxDiff(await lm.logits(IDS, { decode: true }), await lm.logits(IDS))).toBeLessThanOrEqual(1e-4);
    } finally {
      lm.dispose();
    }
  });

  it('greedy continuations of 32 tokens equal llama.cpp\'s (Q8_0, GQA)', async () => {
    const { path, file, lm } = await load('greedy', { dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 5, weightType: 'Q8_0' });
    try {
      const want = await llamaCppGreedy(path, IDS, 32);
      const gen = lm.generate(IDS, { temperature: 0, maxTokens: 32 });
      for await (const _ of gen) void _;
      const got = lm.lastStats!.ids;
      expect(got.length).toBe(32);
      const first = got.findIndex((id, i) => id !== want[i]);
      measured.push(`  greedy: ${first < 0 ? '32 of 32 identical' : `identical up to step ${first}`}`);
      if (first >= 0) {
        // Allowed only where the two candidates are within the bound of each other at that step.
        const prefix = [...IDS, ...got.slice(0, first)];
        const row = (z: ArrayLike<number>) => softmaxRows(Array.from(z).slice((prefix.length - 1) * V), 1, V);
        const p = row(await lm.logits(prefix));
        const E = maxDiff(row(llamaLogitsRef(file, prefix)), row(llamaLogitsRef(file, prefix, { cpuActivations: true })));
        expect(Math.abs(p[got[first]] - p[want[first]])).toBeLessThanOrEqual(2 * (NIBBLE_BOUND + 2 * E + CPP_F32));
      }
    } finally {
      lm.dispose();
    }
  });
});
