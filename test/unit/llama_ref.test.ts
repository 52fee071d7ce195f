// The f64 Llama reference (src/ref/llama.ts) against llama.cpp (node-llama-cpp 3.21.1, CPU) on small GGUF files
// written by synthLlamaGguf, and the configuration's errors (the families beyond the Llama block:
// llama_config_families.test.ts).
//
// Bounds. The reference keeps exact activations; llama.cpp's CPU rounds every weight matmul's input to the weight
// type's vec_dot_type (F16 for F16 weights, BF16 for BF16, 8-bit Q8_0 / Q8_1 for the 32-blocks, Q8_K for the
// K-quants), and otherwise computes in f32 (the helper keeps the KV cache F32).
//   - F32 weights: only f32 rounding separates the two. A dot product of length K in f32 is within
//     K u sum|w x| (u = 2^-24) of the exact one; here K <= 512, sum|w x| <= 4 |logit scale| ~ 40, so logits agree to
//     ~1e-3 in the worst case and ~1e-6 typically (errors of random sign add as sqrt(K)); a change dz of the logits
//     moves each probability by at most max|dz| / 2 (the softmax Jacobian's rows have 1-norm 2 p (1 - p) <= 1/2).
//     Bound: F32_BOUND = 2e-5 (measured: ~4e-7).
//   - Rounded activations: the reference's `cpuActivations` option reproduces llama.cpp's rounding (Q8_0 / Q8_1 /
//     Q8_K codes, f16 / bf16 values). Where only the output projection is quantized, which isolates each type's
//     rounding, p_rounded agrees with llama.cpp within F32_BOUND (asserted for every type; measured <= 6e-7).
//     Through a whole model it cannot always stay that close: a value within f32 noise of a rounding tie (the
//     reference computes in f64, llama.cpp in f32) rounds one way in llama.cpp and the other in the reference, one
//     step apart, and the difference propagates (measured: none for most seeds, up to 4e-4 for an all-bf16 model).
//   - The exact reference, which is what the GPU engine is held to. Let E = max |p_exact - p_rounded|: what
//     llama.cpp's activation rounding does to this very model, computed by the reference itself. llama.cpp's
//     result is p_rounded but for a few flipped ties, each one step (an error of the same size as a rounding error
//     itself, of which E sums thousands), so |p_rounded - p_cpp| <= E + F32_BOUND (asserted), and by the triangle
//     inequality |p_exact - p_cpp| <= 2 E + F32_BOUND: the bound asserted. For scale: the rounding unit is 1/254 +
//     2^-11 of a block's largest value for Q8_0 / Q8_1 (f16 scale), 1/254 for Q8_K, 2^-9 of each value for bf16,
//     2^-12 for f16; E is reported in those units (1-15 here: relative errors grow a few times through two layers
//     and the logit scale 2.5).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gguf, parseGgufFile, type GgufValue } from '../../src/io/gguf.js';
import { synthLlamaGguf, SYNTH_WEIGHT_TYPES, type SynthOptions, type SynthWeightType } from '../../src/lm/synth.js';
import { attentionScale, attentionTemperature, embeddingScale, layerRope, layerRopeScaling, logitScale, layerUsesRope, layerWindow, llamaConfigFromGguf, GGUF_ARCHS, ropeFactors, ropeFactorsTensor } from '../../src/nn/llama_config.js';
import { splitFusedTensors } from '../../src/nn/llama_layout.js';
import { yarnRope } from '../../src/nn/rope_scaling.js';
import { llamaWeightsFromGguf, tokenizerMetadata, writeLlamaGguf } from '../../src/nn/llama_weights.js';
import { llamaLogitsRef, softmaxRows } from '../../src/ref/llama.js';
import { llamaCppGreedy, llamaCppLogits } from '../../runtime/llamacpp.js';
import { configFails } from '../helpers/llama_config_checks.js';
import { shapeFor, WEIGHT_CASES } from '../helpers/lm_cases.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-llama-ref-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const V = 259;
// BOS, "Hello world!\n" as bytes (byte b is token 3 + b), then a few more.
const IDS = [1, ...[...'Hello world!\n'].map((ch) => 3 + ch.charCodeAt(0)), 200, 5];
const F32_BOUND = 2e-5;
/** The activation rounding unit of llama.cpp's CPU for each weight type (see the top): E is reported in these. */
const UNIT: Record<SynthWeightType, number> = {
  F32: 2 ** -24, F16: 2 ** -12, BF16: 2 ** -9,
  Q4_0: 1 / 254 + 2 ** -11, Q5_0: 1 / 254 + 2 ** -11, Q8_0: 1 / 254 + 2 ** -11, Q4_1: 1 / 254 + 2 ** -11, Q5_1: 1 / 254 + 2 ** -11,
  Q4_K: 1 / 254, Q5_K: 1 / 254, Q6_K: 1 / 254, Q3_K: 1 / 254, Q2_K: 1 / 254,
  MXFP4: 1 / 254 + 2 ** -11, IQ4_NL: 1 / 254 + 2 ** -11, IQ4_XS: 1 / 254,
  IQ2_XXS: 1 / 254, IQ2_XS: 1 / 254, IQ2_S: 1 / 254, IQ3_XXS: 1 / 254, IQ3_S: 1 / 254, IQ1_S: 1 / 254, IQ1_M: 1 / 254,
};

function write(name: string, o: SynthOptions): { path: string; bytes: Uint8Array } {
  const bytes = synthLlamaGguf(o);
  const path = join(dir, `${name}.gguf`);
  writeFileSync(path, bytes);
  return { path, bytes };
}

function maxDiff(a: ArrayLike<number>, b: (t: number, i: number) => number): number {
  let m = 0;
  for (let t = 0; t < IDS.length; t++) for (let i = 0; i < V; i++) m = Math.max(m, Math.abs(a[t * V + i] - b(t, i)));
  return m;
}

async function compare(name: string, o: SynthOptions) {
  const { path, bytes } = write(name, o);
  const f = parseGgufFile(bytes);
  const exact = softmaxRows(llamaLogitsRef(f, IDS), IDS.length, V);
  const rounded = softmaxRows(llamaLogitsRef(f, IDS, { cpuActivations: true }), IDS.length, V);
  const cpp = await llamaCppLogits(path, IDS);
  expect(cpp.length).toBe(IDS.length);
  cpp.forEach((p) => expect(p.length).toBe(V));
  const tops = IDS.map((_, t) => Math.max(...exact.subarray(t * V, (t + 1) * V)));
  return {
    exact: maxDiff(exact, (t, i) => cpp[t][i]),
    rounded: maxDiff(rounded, (t, i) => cpp[t][i]),
    E: maxDiff(exact, (t, i) => rounded[t * V + i]),
    tops,
  };
}

const measured: string[] = [];
afterAll(() => console.log(`llama_ref: max |p_ref - p_llama.cpp| per weight type\n${measured.join('\n')}`));

describe('llama reference vs llama.cpp', () => {
  for (const wt of SYNTH_WEIGHT_TYPES) {
    it(`${wt}: every position's probabilities (${JSON.stringify(WEIGHT_CASES[wt])})`, async () => {
      const r = await compare(wt, { ...shapeFor(wt), layers: 2, heads: 4, ctx: 64, weightType: wt, seed: 7, ...WEIGHT_CASES[wt] });
      const bound = 2 * r.E + F32_BOUND;
      measured.push(`  ${wt.padEnd(5)} exact ${r.exact.toExponential(2)} (bound ${bound.toExponential(2)}), llama.cpp-rounded ${r.rounded.toExponential(2)}, E ${r.E.toExponential(2)} = ${(r.E / UNIT[wt]).toFixed(2)} units; top p ${Math.min(...r.tops).toFixed(2)}..${Math.max(...r.tops).toFixed(2)}`);
      expect(r.rounded).toBeLessThanOrEqual(r.E + F32_BOUND);
      expect(r.exact).toBeLessThanOrEqual(bound);
      if (wt === 'F32') expect(r.exact).toBeLessThanOrEqual(F32_BOUND);
      // The distributions are neither uniform nor one-hot.
      for (const p of r.tops) {
        expect(p).toBeGreaterThan(3 / V);
        expect(p).toBeLessThan(0.99);
      }
    });
  }

  it('the activation rounding of every type matches llama.cpp where only the output projection is quantized', async () => {
    for (const wt of SYNTH_WEIGHT_TYPES.filter((t) => t !== 'F32')) {
      const r = await compare(`out-${wt}`, { ...shapeFor(wt), layers: 1, heads: 4, ctx: 64, types: { 'output.weight': wt }, seed: 11 });
      measured.push(`  output.weight ${wt.padEnd(5)} only: llama.cpp-rounded ${r.rounded.toExponential(2)}, exact ${r.exact.toExponential(2)}`);
      expect(r.rounded, wt).toBeLessThanOrEqual(F32_BOUND);
    }
  });

  it('greedy continuations of 32 tokens agree (F32 weights)', async () => {
    const { path, bytes } = write('greedy', { dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 5 });
    const f = parseGgufFile(bytes);
    const got = await llamaCppGreedy(path, IDS, 32);
    const ids = [...IDS];
    for (let s = 0; s < 32; s++) {
      const z = llamaLogitsRef(f, ids).subarray((ids.length - 1) * V);
      const p = softmaxRows(z, 1, V);
      const order = [...p.keys()].sort((a, b) => p[b] - p[a]);
      // Identical, except where the top two are within the bound of each other (then either may win).
      if (got[s] !== order[0]) expect(p[order[0]] - p[got[s]], `step ${s}`).toBeLessThanOrEqual(2 * F32_BOUND);
      ids.push(got[s]);
    }
  });
});

describe('llama config errors', () => {
  const base = (): { metadata: Record<string, GgufValue>; tensors: { name: string; type: never; shape: number[] }[] } => {
    const f = parseGgufFile(synthLlamaGguf({ dim: 64, ffn: 128, layers: 1, heads: 4, kvHeads: 2, seed: 1 }));
    return { metadata: { ...f.metadata }, tensors: f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] })) };
  };
  const fails = configFails;

  it('reads a valid file', () => {
    const { metadata, tensors } = base();
    expect(llamaConfigFromGguf(metadata, tensors)).toEqual({
      arch: 'llama', vocab: V, dim: 64, layers: 1, heads: 4, kvHeads: 2, headDim: 16, ffn: 128, ctx: 64, eps: Math.fround(1e-5),
      ropeBase: 10000, ropeDims: 16, ropeLayout: 'norm', ropeFreqs: false, tied: false, qkvBias: false, qkNorm: false,
      postNorms: false, ffnAct: 'silu', embedScale: false,
    });
  });

  it('gemma3: sliding window required and read, post-norms required, GeGLU, scaled embeddings; its layers\' windows and ropes', () => {
    const f = parseGgufFile(synthLlamaGguf({ arch: 'gemma3', dim: 64, ffn: 128, layers: 7, heads: 4, kvHeads: 2, headDim: 32, slidingWindow: 12, ropeBase: 1e6, ropeLinearFactor: 8, tied: true, seed: 1 }));
    const tensors = f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'gemma3', headDim: 32, ropeLayout: 'neox', qkvBias: false, qkNorm: true, postNorms: true, ffnAct: 'gelu', embedScale: true, ropeBase: 1e6, ropeScale: 1 / 8, swa: { window: 12, pattern: 6, ropeBase: 10000 } });
    // Layers 0-4 and 6 slide (their own base, unscaled); layer 5 is global (the file's base, scaled).
    expect(Array.from({ length: 7 }, (_, l) => layerWindow(c, l))).toEqual([12, 12, 12, 12, 12, 0, 12]);
    expect(layerRope(c, 0)).toEqual({ base: 10000, scale: 1 });
    expect(layerRope(c, 5)).toEqual({ base: 1e6, scale: 1 / 8 });
    expect(embeddingScale(c)).toBe(8);
    const noKey = { ...f.metadata };
    delete noKey['gemma3.attention.sliding_window'];
    fails(noKey, tensors, /'gemma3\.attention\.sliding_window' is missing/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.3.post_ffw_norm.weight'), /'blk\.3\.post_ffw_norm\.weight' is missing \(expected shape \[64\]\)/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.0.post_attention_norm.weight'), /'blk\.0\.post_attention_norm\.weight' is missing/);
  });

  it('gemma2: window, pattern 2 and soft-caps read with llama.cpp\'s defaults, no q / k norms, the head always tied (output.weight refused)', () => {
    const f = parseGgufFile(synthLlamaGguf({ arch: 'gemma2', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, slidingWindow: 16, softcap: { attn: 20, final: 10 }, seed: 1 }));
    const tensors = f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'gemma2', qkNorm: false, postNorms: true, ffnAct: 'gelu', embedScale: true, tied: true, swa: { window: 16, pattern: 2, ropeBase: 10000, ropeScale: 1 }, softcap: { attn: 20, final: 10 } });
    expect(Array.from({ length: 3 }, (_, l) => layerWindow(c, l))).toEqual([16, 0, 16]);
    const m = { ...f.metadata };
    for (const k of ['gemma2.attention.sliding_window', 'gemma2.attn_logit_softcapping', 'gemma2.final_logit_softcapping']) delete m[k];
    expect(llamaConfigFromGguf(m, tensors)).toMatchObject({ swa: { window: 4096 }, softcap: { attn: 50, final: 30 } });
    fails(f.metadata, [...tensors, { name: 'output.weight', type: 'F32' as never, shape: [V, 64] }], /'output\.weight' not used by a gemma2 model/);
    fails(f.metadata, [...tensors, { name: 'blk.0.attn_q_norm.weight', type: 'F32' as never, shape: [16] }], /'blk\.0\.attn_q_norm\.weight' not used by a gemma2 model/);
    fails({ ...f.metadata, 'gemma2.attn_logit_softcapping': { type: 'f32', value: 0 } }, tensors, /'gemma2\.attn_logit_softcapping' must be a finite number > 0/);
  });

  it('smollm3: NORM rope, no rope on every fourth layer (llama.cpp reads no key for it), biases where the file has them', () => {
    const f = parseGgufFile(synthLlamaGguf({ arch: 'smollm3', dim: 64, ffn: 128, layers: 8, heads: 4, kvHeads: 2, tied: true, seed: 1 }));
    const tensors = f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'smollm3', ropeLayout: 'norm', noRopeStep: 4, qkvBias: false, qkNorm: false, postNorms: false });
    expect(Array.from({ length: 8 }, (_, l) => layerUsesRope(c, l))).toEqual([true, true, true, false, true, true, true, false]);
    fails(f.metadata, [...tensors, { name: 'blk.0.attn_q_norm.weight', type: 'F32' as never, shape: [16] }], /'blk\.0\.attn_q_norm\.weight' not used by a smollm3 model/);
  });

  it('phi3: fused attn_qkv / ffn_up checked as the file holds them, NEOX rope, LongRoPE pair with its original context and attention factor', () => {
    const f = parseGgufFile(synthLlamaGguf({ arch: 'phi3', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, longRope: { origCtx: 16, attnFactor: 1.25 } }));
    const tensors = f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    // q 64 rows + k 32 + v 32; gate 128 + up 128.
    expect(tensors.find((t) => t.name === 'blk.1.attn_qkv.weight')!.shape).toEqual([128, 64]);
    expect(tensors.find((t) => t.name === 'blk.1.ffn_up.weight')!.shape).toEqual([256, 64]);
    expect(tensors.some((t) => /attn_q\.weight|ffn_gate/.test(t.name))).toBe(false);
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'phi3', ropeLayout: 'neox', qkvBias: false, qkNorm: false, ropeAttnFactor: Math.fround(1.25), longRope: { origCtx: 16 } });
    expect([ropeFactorsTensor(c, 16), ropeFactorsTensor(c, 17)]).toEqual(['rope_factors_short.weight', 'rope_factors_long.weight']);
    const noOrig = { ...f.metadata };
    delete noOrig['phi3.rope.scaling.original_context_length'];
    expect(llamaConfigFromGguf(noOrig, tensors).longRope).toEqual({ origCtx: 64 }); // llama.cpp's default: context_length
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.attn_qkv.weight'), /tensor 'blk\.1\.attn_qkv\.weight' is missing \(expected shape \[128, 64\]\)/);
    fails(f.metadata, tensors.map((t) => (t.name === 'blk.0.ffn_up.weight' ? { ...t, shape: [128, 64] } : t)), /'blk\.0\.ffn_up\.weight' has shape \[128, 64\], expected \[256, 64\]/);
    fails(f.metadata, [...tensors, { name: 'blk.0.attn_q.weight', type: 'F32' as never, shape: [64, 64] }], /'blk\.0\.attn_q\.weight' not used by a phi3 model/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'rope_factors_short.weight'), /'rope_factors_short\.weight' is missing \(phi3's LongRoPE needs both/);
    fails({ ...f.metadata, 'phi3.rope.scaling.attn_factor': { type: 'f32', value: 0 } }, tensors, /'phi3\.rope\.scaling\.attn_factor' must be a finite number > 0/);
  });

  it('phi3: the fused tensors\' rows are the definition\'s q / k / v and gate / up (views of the file\'s bytes), and writing fuses them back byte for byte', () => {
    for (const weightType of ['F32', 'Q4_K'] as const) {
      const bytes = synthLlamaGguf({ arch: 'phi3', dim: 256, ffn: 256, layers: 1, heads: 4, kvHeads: 2, seed: 2, weightType, tied: true });
      const f = parseGgufFile(bytes);
      const c = llamaConfigFromGguf(f.metadata, f.tensors);
      const parts = splitFusedTensors(c, f.tensors);
      const qkv = f.tensors.find((t) => t.name === 'blk.0.attn_qkv.weight')!;
      const [q, k, v] = ['attn_q', 'attn_k', 'attn_v'].map((n) => parts.find((t) => t.name === `blk.0.${n}.weight`)!);
      expect([q.shape, k.shape, v.shape]).toEqual([[256, 256], [128, 256], [128, 256]]);
      expect(q.data.length + k.data.length + v.data.length).toBe(qkv.data.length);
      expect(v.fileOffset - qkv.fileOffset).toBe(q.data.length + k.data.length);
      expect(Buffer.from(v.data).equals(Buffer.from(qkv.data.subarray(qkv.data.length - v.data.length)))).toBe(true);
      const gate = parts.find((t) => t.name === 'blk.0.ffn_gate.weight')!;
      const up = parts.find((t) => t.name === 'blk.0.ffn_up.weight')!;
      expect([gate.shape, up.shape]).toEqual([[256, 256], [256, 256]]);
      expect(up.offset - gate.offset).toBe(gate.data.length);
      // The f32 weights round-trip through writeLlamaGguf: the same file layout and values.
      if (weightType === 'F32') {
        const { config, weights } = llamaWeightsFromGguf(f);
        const again = parseGgufFile(writeLlamaGguf(config, weights, tokenizerMetadata(f.metadata)));
        expect(again.tensors.map((t) => t.name)).toEqual(f.tensors.map((t) => t.name));
        for (const t of f.tensors) expect(Buffer.from(again.tensors.find((x) => x.name === t.name)!.data).equals(Buffer.from(t.data))).toBe(true);
      }
    }
  });

  it('phi3: the LongRoPE set and the attention factor both change the model (the f64 reference at contexts on either side of the original)', () => {
    const o = { arch: 'phi3' as const, dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 3 };
    const f = parseGgufFile(synthLlamaGguf({ ...o, longRope: { origCtx: 16, attnFactor: 1.2 } }));
    const noFactor = parseGgufFile(synthLlamaGguf({ ...o, longRope: { origCtx: 16, attnFactor: 1 } }));
    const absDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, x, k) => Math.max(m, Math.abs(x - b[k])), 0);
    const ids = [1, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50];
    const p = (file: typeof f, ctxLen: number) => softmaxRows(llamaLogitsRef(file, ids, { ctxLen }), ids.length, 260);
    const [long, short] = [p(f, 64), p(f, 16)];
    expect(absDiff(long, short)).toBeGreaterThan(0.05);
    expect(absDiff(long, p(noFactor, 64))).toBeGreaterThan(0.01);
    expect(absDiff(short, p(f, 8))).toBe(0); // both within the original context: the short factors
  });

  it('granite: the four multipliers read (logit_scale required, the others 0 when absent), NORM rope, rope factors taken, rope.scaling.finetuned false: no RoPE', () => {
    const mult = { embedding: 6, residual: 0.4, attention: 0.09, logit: 3 };
    const f = parseGgufFile(synthLlamaGguf({ arch: 'granite', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, multipliers: mult, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 } }));
    const tensors = f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    const c = llamaConfigFromGguf(f.metadata, tensors);
    const f32 = (o: typeof mult) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.fround(v)]));
    expect(c).toMatchObject({ arch: 'granite', ropeLayout: 'norm', ropeFreqs: true, qkvBias: false, qkNorm: false, postNorms: false, multipliers: f32(mult) });
    expect([embeddingScale(c), attentionScale(c), logitScale(c)]).toEqual([Math.fround(6), Math.fround(0.09), Math.fround(1 / Math.fround(3))]);
    expect(c.noRopeStep).toBeUndefined();
    const m = { ...f.metadata };
    for (const k of ['granite.embedding_scale', 'granite.residual_scale', 'granite.attention.scale']) delete m[k];
    const d = llamaConfigFromGguf(m, tensors);
    expect(d.multipliers).toEqual({ embedding: 0, residual: 0, attention: 0, logit: 3 });
    expect([embeddingScale(d), attentionScale(d)]).toEqual([1, 1 / 4]); // llama.cpp's: not applied, 1/sqrt(headDim)
    delete m['granite.logit_scale'];
    fails(m, tensors, /'granite\.logit_scale' is missing/);
    fails({ ...f.metadata, 'granite.residual_scale': { type: 'f32', value: -1 } }, tensors, /'granite\.residual_scale' must be a finite number >= 0/);
    fails({ ...f.metadata, 'granite.rope.scaling.finetuned': { type: 'u32', value: 0 } }, tensors, /'granite\.rope\.scaling\.finetuned' must be a bool/);
    const nope = llamaConfigFromGguf({ ...f.metadata, 'granite.rope.scaling.finetuned': { type: 'bool', value: false } }, tensors);
    expect([0, 1].map((l) => layerUsesRope(nope, l))).toEqual([false, false]);
    fails(f.metadata, [...tensors, { name: 'blk.0.attn_q.bias', type: 'F32' as never, shape: [64] }], /'blk\.0\.attn_q\.bias' not used by a granite model/);
  });

  it('granite: each multiplier changes the model (the f64 reference with one of them left out)', () => {
    const mult = { embedding: 6, residual: 0.4, attention: 0.09, logit: 3 };
    const o = { arch: 'granite' as const, dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, ctx: 64, seed: 3 };
    const file = parseGgufFile(synthLlamaGguf({ ...o, multipliers: mult }));
    const ids = [1, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50];
    const p = (m: Record<string, GgufValue>) => softmaxRows(llamaLogitsRef({ ...file, metadata: { ...file.metadata, ...m } }, ids), ids.length, V);
    const absDiff = (a: Float64Array, b: Float64Array) => a.reduce((mx, x, k) => Math.max(mx, Math.abs(x - b[k])), 0);
    const all = p({});
    for (const key of ['embedding_scale', 'residual_scale', 'attention.scale', 'logit_scale']) {
      const d = absDiff(all, p({ [`granite.${key}`]: { type: 'f32', value: key === 'logit_scale' ? 1 : 0 } }));
      measured.push(`  granite without ${key}: probabilities move by ${d.toFixed(3)}`);
      expect(d, key).toBeGreaterThan(0.01);
    }
  });

  it('olmo2: no pre-norms, post-norms, q / k norms over the whole projection, NEOX rope, output.weight required; OLMo 3\'s sliding window read (3 of 4 layers, no YaRN on them)', () => {
    const f = parseGgufFile(synthLlamaGguf({ arch: 'olmo2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1 }));
    const tensors = f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'olmo2', ropeLayout: 'neox', qkNorm: true, qkNormFull: true, noPreNorms: true, postNorms: true, tied: false });
    expect(tensors.some((t) => /attn_norm|ffn_norm/.test(t.name))).toBe(false);
    expect([tensors.find((t) => t.name === 'blk.1.attn_q_norm.weight')!.shape, tensors.find((t) => t.name === 'blk.1.attn_k_norm.weight')!.shape]).toEqual([[64], [32]]);
    fails(f.metadata, tensors.filter((t) => t.name !== 'output.weight'), /'output\.weight' is missing \(an olmo2 model's head is never tied/);
    fails(f.metadata, tensors.map((t) => (t.name === 'blk.0.attn_k_norm.weight' ? { ...t, shape: [16] } : t)), /'blk\.0\.attn_k_norm\.weight' has shape \[16\], expected \[32\]/);
    fails(f.metadata, [...tensors, { name: 'blk.0.attn_norm.weight', type: 'F32' as never, shape: [64] }], /'blk\.0\.attn_norm\.weight' not used by a olmo2 model/);
    // OLMo 3: a sliding window makes 3 of every 4 layers slide (sliding_window_pattern), rotating without YaRN.
    const olmo3 = llamaConfigFromGguf({ ...f.metadata, 'olmo2.attention.sliding_window': { type: 'u32', value: 4096 } }, tensors);
    expect(olmo3.swa).toEqual({ window: 4096, pattern: 4, ropeBase: 10000, ropeScale: 1, plainRope: true });
    expect([0, 1, 2, 3, 4, 7].map((l) => layerWindow(olmo3, l))).toEqual([4096, 4096, 4096, 0, 4096, 0]);
    const rf = { factors: new Float32Array([2, 3]), mscale: 1.5 };
    expect([layerRopeScaling(olmo3, 0, rf), layerRopeScaling(olmo3, 3, rf)]).toEqual([{ mscale: 1 }, rf]);
    expect(llamaConfigFromGguf({ ...f.metadata, 'olmo2.attention.sliding_window': { type: 'u32', value: 4096 }, 'olmo2.attention.sliding_window_pattern': { type: 'u32', value: 2 } }, tensors).swa?.pattern).toBe(2);
    // The converter's per-layer bools: llama.cpp's olmo2 keeps its period of 4 whatever they say (lm_llamacpp checks it).
    expect(llamaConfigFromGguf({ ...f.metadata, 'olmo2.attention.sliding_window': { type: 'u32', value: 4096 }, 'olmo2.attention.sliding_window_pattern': { type: 'array', itemType: 'bool', value: [true, false] } as never }, tensors).swa?.pattern).toBe(4);
    expect(llamaConfigFromGguf({ ...f.metadata, 'olmo2.attention.sliding_window': { type: 'u32', value: 0 } }, tensors).swa).toBeUndefined();
  });

  it('exaone4: no pre-norms, post-norms, per-head q / k norms, NEOX rope, rope factors and a tied head taken; the 32B\'s 64 layers slide', () => {
    const f = parseGgufFile(synthLlamaGguf({ arch: 'exaone4', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, tied: true, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 } }));
    const tensors = f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'exaone4', ropeLayout: 'neox', qkNorm: true, noPreNorms: true, postNorms: true, tied: true, ropeFreqs: true });
    expect(c.qkNormFull).toBeUndefined();
    expect(tensors.find((t) => t.name === 'blk.0.attn_k_norm.weight')!.shape).toEqual([16]);
    // At 64 layers (EXAONE 4.0 32B) llama.cpp slides 3 of every 4 layers (window 4096 unless the file says) and drops
    // RoPE on the global ones.
    const big = parseGgufFile(synthLlamaGguf({ arch: 'exaone4', dim: 32, ffn: 64, layers: 64, heads: 4, kvHeads: 2, seed: 1, slidingWindow: 8 }));
    const bigT = big.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    const c64 = llamaConfigFromGguf(big.metadata, bigT);
    expect(c64).toMatchObject({ swa: { window: 8, pattern: 4 }, noRopeStep: 4 });
    expect([0, 2, 3, 63].map((l) => [layerWindow(c64, l), layerUsesRope(c64, l)])).toEqual([[8, true], [8, true], [0, false], [0, false]]);
    const { 'exaone4.attention.sliding_window': _w, ...noWindow } = big.metadata;
    expect(llamaConfigFromGguf(noWindow, bigT).swa?.window).toBe(4096);
    expect(c.swa).toBeUndefined(); // other sizes do not slide
    fails(f.metadata, [...tensors, { name: 'blk.0.ffn_norm.weight', type: 'F32' as never, shape: [64] }], /'blk\.0\.ffn_norm\.weight' not used by a exaone4 model/);
  });

  it('glm4: pre- and post-norms, NORM rope over part of the head, q / k / v biases where present, gate / up fused in ffn_up', () => {
    const f = parseGgufFile(synthLlamaGguf({ arch: 'glm4', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, ropeDims: 8, qkvBias: true }));
    const tensors = f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'glm4', ropeLayout: 'norm', ropeDims: 8, qkvBias: true, postNorms: true, qkNorm: false, ffnAct: 'silu' });
    expect(llamaConfigFromGguf(f.metadata, tensors).noPreNorms).toBeUndefined();
    expect(tensors.find((t) => t.name === 'blk.0.ffn_up.weight')!.shape).toEqual([256, 64]); // gate's rows, then up's
    expect(tensors.some((t) => t.name === 'blk.0.ffn_gate.weight')).toBe(false);
    expect(llamaConfigFromGguf(f.metadata, tensors.filter((t) => !t.name.endsWith('.bias'))).qkvBias).toBe(false);
    fails(f.metadata, [...tensors, { name: 'blk.0.ffn_gate.weight', type: 'F32' as never, shape: [128, 64] }], /'blk\.0\.ffn_gate\.weight' not used by a glm4 model/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.post_ffw_norm.weight'), /'blk\.1\.post_ffw_norm\.weight' is missing/);
  });

  it('arcee: a Llama without an FFN gate (relu(up)^2), NORM rope, rope factors taken', () => {
    const f = parseGgufFile(synthLlamaGguf({ arch: 'arcee', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 } }));
    const tensors = f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'arcee', ropeLayout: 'norm', ffnAct: 'relu2', ropeFreqs: true, postNorms: false });
    expect(tensors.some((t) => t.name.includes('ffn_gate'))).toBe(false);
    fails(f.metadata, [...tensors, { name: 'blk.0.ffn_gate.weight', type: 'F32' as never, shape: [128, 64] }], /'blk\.0\.ffn_gate\.weight' not used by a arcee model/);
  });

  it('mistral3: a Llama (NORM rope, rope factors) whose YaRN log multiplier and attention temperature are read; llama ignores the multiplier; its MoE refused', () => {
    const f = parseGgufFile(synthLlamaGguf({ arch: 'mistral3', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, yarn: { factor: 16, origCtx: 32, logMul: 1 }, attnTemperature: { scale: 0.1, length: 32 } }));
    const tensors = f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'mistral3', ropeLayout: 'norm', qkNorm: false, postNorms: false, yarn: { factor: 16, origCtx: 32, logMul: 1 }, attnTemperature: { scale: Math.fround(0.1), length: 32 } });
    // YaRN's magnitude: (1 + 0.1 ln 16) / (1 + 0.1 m ln 16): 1 at Ministral 3's m = 1, the usual 1 + 0.1 ln 16 without the key.
    expect(ropeFactors(c).mscale).toBe(1);
    expect(ropeFactors({ ...c, yarn: { factor: 16, origCtx: 32 } }).mscale).toBeCloseTo(1 + 0.1 * Math.log(16), 12);
    expect(ropeFactors({ ...c, yarn: { factor: 16, origCtx: 32, logMul: 0.5 } }).mscale).toBeCloseTo((1 + 0.1 * Math.log(16)) / (1 + 0.05 * Math.log(16)), 12);
    // The temperature: 1 for positions 0..31, then 1 + 0.1 ln(1 + floor(p / 32)).
    expect([0, 31, 32, 63, 64, 320].map((p) => attentionTemperature(c, p))).toEqual([1, 1, 1 + Math.fround(0.1) * Math.log(2), 1 + Math.fround(0.1) * Math.log(2), 1 + Math.fround(0.1) * Math.log(3), 1 + Math.fround(0.1) * Math.log(11)]);
    // Without YaRN the temperature's length is the original context key, else context_length (llama.cpp's n_ctx_orig_yarn).
    const noYarn = Object.fromEntries(Object.entries(f.metadata).filter(([k]) => !k.startsWith('mistral3.rope.scaling.')));
    expect(llamaConfigFromGguf(noYarn, tensors).attnTemperature).toEqual({ scale: Math.fround(0.1), length: 64 });
    expect(llamaConfigFromGguf({ ...noYarn, 'mistral3.attention.temperature_scale': { type: 'f32', value: 0 } }, tensors).attnTemperature).toBeUndefined();
    fails({ ...f.metadata, 'mistral3.expert_count': { type: 'u32', value: 8 } }, tensors, /'mistral3\.expert_count' is 8: mistral3's mixture-of-experts layers are not supported/);
    fails({ ...f.metadata, 'mistral3.rope.dimension_count': { type: 'u32', value: 8 } }, tensors, /'mistral3\.attention\.temperature_scale' with 'mistral3\.rope\.dimension_count' 8 below the head dim 16: not supported/);
    // llama.cpp's llama reads neither key (the llama YaRN betas test in lm_llamacpp.test.ts checks its runs).
    const { metadata, tensors: lt } = base();
    const l = llamaConfigFromGguf({ ...metadata, 'llama.rope.scaling.type': { type: 'string', value: 'yarn' }, 'llama.rope.scaling.factor': { type: 'f32', value: 4 }, 'llama.rope.scaling.yarn_log_multiplier': { type: 'f32', value: 1 }, 'llama.attention.temperature_scale': { type: 'f32', value: 0.1 } }, lt);
    expect(l.yarn).toEqual({ factor: 4, origCtx: 64 });
    expect(l.attnTemperature).toBeUndefined();
  });

  it('rope scaling: linear read (factor, or the older scale_linear), none ignores the factor, YaRN read, other types refused by name', () => {
    const { metadata, tensors } = base();
    const withKeys = (m: Record<string, GgufValue>) => llamaConfigFromGguf({ ...metadata, ...m }, tensors);
    expect(withKeys({ 'llama.rope.scaling.type': { type: 'string', value: 'linear' }, 'llama.rope.scaling.factor': { type: 'f32', value: 4 } }).ropeScale).toBe(0.25);
    expect(withKeys({ 'llama.rope.scale_linear': { type: 'f32', value: 2 } }).ropeScale).toBe(0.5);
    expect(withKeys({ 'llama.rope.scaling.type': { type: 'string', value: 'none' }, 'llama.rope.scaling.factor': { type: 'f32', value: 4 } }).ropeScale).toBeUndefined();
    fails({ ...metadata, 'llama.rope.scaling.type': { type: 'string', value: 'longrope' }, 'llama.rope.scaling.factor': { type: 'f32', value: 4 } }, tensors, /'llama\.rope\.scaling\.type' is 'longrope' \(factor 4\), which nibble does not run \(supported: none, linear, yarn\)/);
    const yarn = { 'llama.rope.scaling.type': { type: 'string', value: 'yarn' }, 'llama.rope.scaling.factor': { type: 'f32', value: 4 } } as const;
    expect(withKeys(yarn)).toMatchObject({ yarn: { factor: 4, origCtx: 64 } }); // the original context defaults to context_length
    expect(withKeys({ ...yarn, 'llama.rope.scaling.original_context_length': { type: 'u32', value: 16 } }).yarn).toEqual({ factor: 4, origCtx: 16 });
    expect(withKeys(yarn).ropeScale).toBeUndefined(); // YaRN is not a position scale
    const g = parseGgufFile(synthLlamaGguf({ arch: 'gemma3', dim: 64, ffn: 128, layers: 1, heads: 4, kvHeads: 2, headDim: 32, seed: 1 }));
    fails({ ...metadata, 'llama.rope.scaling.factor': { type: 'f32', value: -1 } }, tensors, /'llama\.rope\.scaling\.factor' must be a finite number > 0/);
    fails({ ...metadata, 'llama.rope.scaling.type': { type: 'u32', value: 1 } }, tensors, /'llama\.rope\.scaling\.type' must be a string/);
    fails({ ...g.metadata, 'gemma3.rope.scaling.type': { type: 'string', value: 'yarn' }, 'gemma3.rope.scaling.factor': { type: 'f32', value: 4 } }, g.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] })), /'gemma3\.rope\.scaling\.type' is 'yarn': YaRN with gemma3's sliding-window layers is not supported/);
  });

  it("YaRN's factors and magnitude as llama.cpp forms them: extrapolated, ramped and interpolated pairs, cos and sin times 1 + 0.1 ln(factor); each changes the model", () => {
    // rd 32, base 10000, original context 16: d(32) = 32 ln(16 / 64 pi) / (2 ln 10000) < 0 -> lo 0; d(1) = 1.62 -> hi 2.
    const y = yarnRope({ factor: 4, origCtx: 16 }, 32, 10000);
    expect(Array.from(y.factors.slice(0, 4))).toEqual([1, Math.fround(1 / (0.25 * 0.5 + 0.5)), 4, 4]);
    expect(y.factors.every((f, i) => i < 2 || f === 4)).toBe(true);
    expect(y.mscale).toBeCloseTo(1 + 0.1 * Math.log(4), 15);
    expect(yarnRope({ factor: 1, origCtx: 16 }, 32, 10000).mscale).toBe(1);
    // The f64 reference with YaRN against the same file read as linear scaling by 4 (every pair interpolated, no
    // magnitude): they differ, so the llama.cpp comparisons of YaRN (lm_llamacpp.test.ts) check both parts.
    const o = { arch: 'qwen3' as const, dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, headDim: 32, ctx: 64, seed: 3 };
    const file = parseGgufFile(synthLlamaGguf({ ...o, yarn: { factor: 4, origCtx: 16 } }));
    const ids = [1, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58];
    const p = (m: Record<string, GgufValue>) => softmaxRows(llamaLogitsRef({ ...file, metadata: { ...file.metadata, ...m } }, ids), ids.length, V);
    const absDiff = (a: Float64Array, b: Float64Array) => a.reduce((mx, x, k) => Math.max(mx, Math.abs(x - b[k])), 0);
    const d = absDiff(p({}), p({ 'qwen3.rope.scaling.type': { type: 'string', value: 'linear' } }));
    measured.push(`  YaRN vs linear scaling by the same factor: probabilities move by ${d.toFixed(3)}`);
    expect(d).toBeGreaterThan(0.01);
  });

  it('qwen3: per-head q / k norms required and read, NEOX rope, a head dim of its own; biases and rope factors refused', () => {
    const f = parseGgufFile(synthLlamaGguf({ arch: 'qwen3', dim: 64, ffn: 128, layers: 1, heads: 4, kvHeads: 2, headDim: 32, seed: 1 }));
    const tensors = f.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] }));
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'qwen3', headDim: 32, ropeDims: 32, ropeLayout: 'neox', qkvBias: false, qkNorm: true });
    expect(tensors.find((t) => t.name === 'blk.0.attn_q.weight')!.shape).toEqual([128, 64]);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.0.attn_k_norm.weight'), /'blk\.0\.attn_k_norm\.weight' is missing \(expected shape \[32\]\)/);
    fails(f.metadata, [...tensors, { name: 'blk.0.attn_q.bias', type: 'F32' as never, shape: [128] }], /'blk\.0\.attn_q\.bias' not used by a qwen3 model/);
    fails(f.metadata, [...tensors, { name: 'rope_freqs.weight', type: 'F32' as never, shape: [16] }], /'rope_freqs\.weight' not used by a qwen3 model/);
    fails(f.metadata, tensors.map((t) => (t.name === 'blk.0.attn_q_norm.weight' ? { ...t, shape: [16] } : t)), /'blk\.0\.attn_q_norm\.weight' has shape \[16\], expected \[32\]/);
  });

  it('names a missing key', () => {
    const { metadata, tensors } = base();
    delete metadata['llama.block_count'];
    fails(metadata, tensors, /'llama\.block_count' is missing/);
  });

  it('names a tensor of the wrong shape, with the expected and found shapes', () => {
    const { metadata, tensors } = base();
    tensors.find((t) => t.name === 'blk.0.attn_k.weight')!.shape = [64, 64];
    fails(metadata, tensors, /'blk\.0\.attn_k\.weight' has shape \[64, 64\], expected \[32, 64\]/);
  });

  it('names a missing tensor and an unused one', () => {
    const { metadata, tensors } = base();
    fails(metadata, tensors.filter((t) => t.name !== 'blk.0.ffn_up.weight'), /'blk\.0\.ffn_up\.weight' is missing \(expected shape \[128, 64\]\)/);
    fails(metadata, [...tensors, { name: 'blk.1.ffn_up.weight', type: 'F32' as never, shape: [128, 64] }], /'blk\.1\.ffn_up\.weight' not used/);
  });

  it('names an unsupported architecture and the supported ones', () => {
    const { metadata, tensors } = base();
    metadata['general.architecture'] = { type: 'string', value: 'mamba' };
    fails(metadata, tensors, new RegExp(`'general\\.architecture' is 'mamba'.*supported: ${GGUF_ARCHS.join(', ')}\\)`));
  });

  it('names an inconsistent head count', () => {
    const { metadata, tensors } = base();
    metadata['llama.attention.head_count_kv'] = { type: 'u32', value: 3 };
    fails(metadata, tensors, /'llama\.attention\.head_count' 4 is not a multiple of 'llama\.attention\.head_count_kv' 3/);
  });
});
