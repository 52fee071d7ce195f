// The training backend of the Llama definition (src/nn/llama_train.ts) on Dawn in Node:
//   - its logits equal the inference engine's (LanguageModel, the same llamaForward recorded as GPU dispatches) and
//     the f64 reference's (src/ref/llama.ts) for the same weights: llama (NORM rope), qwen2 (NEOX rope, biases),
//     qwen3 (per-head q / k norms, a head dim of its own) and gemma3 (post-norms, GeGLU, scaled embeddings, at T within
//     its sliding window; a longer T is refused), all with GQA;
//   - its gradients equal central finite differences of the f64 reference's loss (a tiny model, dim 16, 1 layer);
//   - writeLlamaGguf's F32 file reads back in LanguageModel and llama.cpp with the same probabilities.
//
// Bounds. Logits: every value is a chain of f32 dot products of length K <= 64 (ffn), each within K u sum|w x| of
// the exact one (u = 2^-24); with sum|w x| ~ 4 * the logit scale (2.5) through 2 layers and the output projection,
// 4 (L + 1) K u sum|w x| = 4 * 3 * 64 * 6e-8 * 10 = 5e-4: LOGIT_BOUND = 1e-3 (a wrong rope pair or head mapping moves
// logits by 0.1+). Gradients: the f32 backward rounds like the forward, each term within K u (K <= 24 here) of
// exact, a few 1e-6 of the tensor's largest gradient through the chain: GRAD_BOUND = 1e-5 relative to it (the finite
// differences are exact to ~1e-8: f64 loss, h = 1e-3, O(h^2) truncation; measured ~5e-7).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import type { GpuContext } from '../../src/gpu/context.js';
import * as ops from '../../src/ops/index.js';
import { parseGgufFile } from '../../src/io/gguf.js';
import { LanguageModel } from '../../src/lm/model.js';
import { spmByteVocab, synthLlamaGguf, type SynthOptions } from '../../src/lm/synth.js';
import { buildLlamaTrainGraph, IGNORE_INDEX, type LlamaWeights } from '../../src/nn/llama_train.js';
import { byteLevelVocab, initLlamaWeights, llamaConfig, llamaWeightsFromGguf, writeLlamaGguf } from '../../src/nn/llama_weights.js';
import type { LlamaArch, LlamaConfig } from '../../src/nn/llama_config.js';
import { llamaLogitsRef, softmaxRows } from '../../src/ref/llama.js';
import { rng } from '../../src/ref/random.js';
import { parseExpertWeight } from '../../src/nn/llama_moe.js';
import { llamaCppLogits } from '../../runtime/llamacpp.js';
import { maxDiff } from '../cases/lm_helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-llama-train-'));
let ctx: GpuContext;
const measured: string[] = [];
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(() => {
  ctx?.destroy();
  rmSync(dir, { recursive: true, force: true });
  console.log(`llama training backend\n${measured.join('\n')}`);
});

const LOGIT_BOUND = 1e-3;
const GRAD_BOUND = 1e-5;
const V = 259;

/** B sequences of T random byte tokens (ids 3..258), each starting with BOS. */
function batch(B: number, T: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => (t === 0 ? 1 : 3 + Math.floor(r() * 256))));
}

async function trainLogits(c: LlamaConfig, w: LlamaWeights, seqs: number[][]): Promise<Float32Array> {
  const B = seqs.length;
  const T = seqs[0].length;
  const t = buildLlamaTrainGraph(ctx, c, w, { B, T });
  try {
    const exe = await t.graph.compile({ outputs: [t.logits] });
    await exe.run({ ids: Int32Array.from(seqs.flat()), targets: new Int32Array(B * T) });
    return (await exe.read(t.logits)) as Float32Array;
  } finally {
    t.graph.destroy();
  }
}

/** mistral3's YaRN (its yarn_log_multiplier 1: no magnitude scaling) and attention temperature, from position 4 on. */
const MISTRAL3 = { yarn: { factor: 4, origCtx: 4, logMul: 1 }, attnTemperature: { scale: 0.5, length: 4 } };

/** Granite's multipliers, each far from 1 (Granite 3's: 12, 0.22, 1/128, 8). */
const GRANITE_MULT = { embedding: 6, residual: 0.4, attention: 0.09, logit: 3 };

/** The training forward's logits on B=2 sequences of T=9 against the inference engine's and the f64 reference's. */
async function forwardMatches(label: string, bytes: Uint8Array): Promise<void> {
  const file = parseGgufFile(bytes);
  const { config, weights } = llamaWeightsFromGguf(file);
  const seqs = batch(2, 9, 3);
  const got = await trainLogits(config, weights, seqs);
  const path = join(dir, `${label.replace(/\W+/g, '-')}.gguf`);
  writeFileSync(path, bytes);
  const lm = await LanguageModel.load(ctx, path, { ctxLen: 32, chunk: 16, kvType: 'f32' });
  try {
    let vsRef = 0;
    let vsEngine = 0;
    for (const [b, ids] of seqs.entries()) {
      const mine = got.subarray(b * ids.length * V, (b + 1) * ids.length * V);
      vsRef = Math.max(vsRef, maxDiff(mine, llamaLogitsRef(file, ids)));
      vsEngine = Math.max(vsEngine, maxDiff(mine, await lm.logits(ids)));
    }
    measured.push(`  ${label}: max |logit| difference vs f64 ${vsRef.toExponential(2)}, vs engine ${vsEngine.toExponential(2)} (bound ${LOGIT_BOUND})`);
    expect(vsRef).toBeLessThanOrEqual(LOGIT_BOUND);
    expect(vsEngine).toBeLessThanOrEqual(LOGIT_BOUND);
  } finally {
    lm.dispose();
  }
}

describe('llama training forward = inference engine = f64 reference', () => {
  // Each architecture at dim 32, 4 heads / 2 KV heads, 2 layers unless said, with what sets it apart.
  const FORWARD: [LlamaArch, string, Partial<SynthOptions>][] = [
    ['llama', '', {}], ['qwen2', '', {}], ['qwen3', ', head dim 16 (q wider than dim 32)', { headDim: 16 }],
    ['gemma3', ', window 16', { slidingWindow: 16 }], ['gemma2', ', window 16, scores and logits soft-capped at 2 and 3', { slidingWindow: 16, softcap: { attn: 2, final: 3 } }],
    ['smollm3', ', the fourth without RoPE', { layers: 4 }], ['phi3', ', q/k/v and gate/up fused in the file', {}],
    ['granite', ', embedding / residual / attention / logit multipliers', { multipliers: GRANITE_MULT }],
    ['olmo2', ', post-norms only, q / k norms over the whole projection', {}], ['exaone4', ', post-norms only, per-head q / k norms', {}],
    ['ernie4_5', '', {}], ['mistral3', ', YaRN (log multiplier 1), attention temperature 0.5 past 4 positions', MISTRAL3],
    ['glm4', ', pre- and post-norms, q / k / v biases, fused gate / up, half the head rotated', { ropeDims: 4, qkvBias: true }],
    ['chatglm', ', q / k / v fused with biases, fused gate / up, half the head rotated in adjacent pairs', { ropeDims: 4, qkvBias: true }],
    ['orion', ', LayerNorms with biases around SwiGLU', {}],
    ['qwen', ', q / k / v fused with biases, no GQA', { kvHeads: 4 }],
    ['arcee', ', no FFN gate: relu(up)^2', {}],
    ['lfm2', ', a short convolution (3 taps) then attention', { shortConv: { taps: 3, conv: [true, false] } }],
    ['gemma', ', GeGLU, scaled and tied embeddings', { embedStd: 0.15 }],
    ['stablelm', ', LayerNorm with biases, q / k / v biases, 4 of 8 head dims rotated', { ropeDims: 4, qkvBias: true }],
    ['exaone', ', NEOX rope with Llama 3 rope factors', { ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 4 } }],
    ['starcoder2', ', LayerNorms, biases on every Linear, gateless GELU MLP', { qkvBias: true }],
    ['phi2', ', parallel block, biases on every Linear and the head, q / k / v fused in the file, half the head rotated', { qkvBias: true, fusedQkv: true, ropeDims: 4 }],
    ['command-r', ', parallel block, bias-free LayerNorms, logit_scale 0.5, tied', { logitMul: 0.5, embedStd: 0.5 }],
    ['gptneox', ', parallel residual (two LayerNorms), q / k / v fused in the file, half the head rotated', { ropeDims: 4 }],
    ['gpt2', ', learned positions, no RoPE, q / k / v fused in the file', {}],
    ['falcon', ', parallel block without biases, q / k / v fused in the file', {}],
    ['minicpm', ', granite\'s scales, Llama 3 rope factors', { multipliers: { embedding: 12, residual: 0.4, attention: 0, logit: 4 }, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 4 } }],
    ['cohere2', ', 4 layers: 3 sliding (window 16) with RoPE, 1 global without, logit_scale 0.5', { layers: 4, slidingWindow: 16, logitMul: 0.5, embedStd: 0.5 }],
    ['internlm2', ', a Llama whose head is never tied', {}],
    ['hunyuan-dense', ': per-head q / k norms after RoPE', {}],
    ['seed_oss', ', q / k / v biases, the FFN norm named post_attention_norm in its file', { qkvBias: true }],
    ['nemotron', ': LayerNorms with biases, a gateless relu(x)^2 MLP, half of each head rotated', { ropeDims: 4 }],
    ['xverse', ', a Llama whose head is never tied', {}],
    ['codeshell', ', starcoder2\'s block, q / k / v fused with biases, a head never tied', { fusedQkv: true, qkvBias: true }],
    ['jais2', ', LayerNorms, biases on q / k / v and every Linear, a gateless relu(x)^2 MLP, no GQA', { kvHeads: 4 }],
    ['maincoder', ': per-head q / k norms after RoPE', {}],
    ['pangu-embedded', ', a bias on attn_output alone, q / k / v biases', { qkvBias: true }],
    ['jais', ': ALiBi (max_alibi_bias 8), a SwiGLU biased in all three projections, scores by 1 / head dim', {}],
    ['mpt', ': ALiBi of 4, biases everywhere, learned positions', { alibi: 4, mpt: { biases: true, positions: true } }],
    ['bloom', ': ALiBi of 8 on 6 heads (two on the second slope series), the embeddings LayerNorm-ed, biases everywhere', { dim: 48, heads: 6, kvHeads: 6 }],
    ['refact', ': ALiBi of 8, no RoPE, one KV head', { kvHeads: 1 }],
    // mixture-of-experts models: every expert runs on every row in training, weighted by the router (0 where not chosen)
    ['llama', ' with experts (Mixtral): 4 of 32, 2 a token', { ffn: 32, moe: { experts: 4, used: 2, ffn: 32 } }],
    ['qwen3moe', ': 8 experts of 16, 3 a token, per-head q / k norms', { moe: { experts: 8, used: 3, ffn: 16 } }],
    ['olmoe', ': 4 experts, 2 a token, unnormalized, 4 KV heads', { kvHeads: 4, ffn: 32, moe: { experts: 4, used: 2, ffn: 32 } }],
    ['qwen2moe', ': 4 experts of 16, 2 a token, a shared expert of 32 behind its sigmoid gate, q / k / v biases', { qkvBias: true, moe: { experts: 4, used: 2, ffn: 16, sharedFfn: 32 } }],
    ['granitemoe', ': 4 experts, 2 a token, granite\'s multipliers, an ungated shared expert of 48', { ffn: 32, multipliers: GRANITE_MULT, moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 48 } }],
    ['lfm2moe', ': a short convolution then attention, the first layer dense, then 4 experts (2 a token) by a sigmoid router with a selection bias', { shortConv: { taps: 3, conv: [true, false] }, moe: { experts: 4, used: 2, ffn: 32, denseLead: 1 } }],
    ['glm4moe', ': a dense first layer, then 4 experts (2 a token) by sigmoids with a selection bias, renormalized and scaled, a shared expert; q / k norms, half of each head rotated', { qkvBias: true, qkNorm: true, ropeDims: 4, moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, norm: true, weightScale: 2.5 } }],
    ['hunyuan-moe', ': q / k norms after RoPE, 4 experts (2 a token), a shared expert of 48', { moe: { experts: 4, used: 2, ffn: 64, sharedFfn: 48 } }],
    ['bailingmoe', ': 4 experts (2 a token) renormalized and scaled by 2.5, a shared expert of 64', { moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 64, norm: true, weightScale: 2.5 } }],
    ['ernie4_5-moe', ': the first layer dense, then 4 experts (2 a token) chosen with a selection bias, a shared expert of 48', { moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 48, denseLead: 1, selectionBias: true } }],
    ['gpt-oss', ': attention sinks, the first layer sliding (window 16), YaRN, q / k / v / o biases, 4 biased experts (2 a token) of the clamped SwiGLU, a biased router', { qkvBias: true, slidingWindow: 16, yarn: { factor: 4, origCtx: 4 }, moe: { experts: 4, used: 2, ffn: 32 } }],
    ['smallthinker', ': a sliding window (the first layer global without RoPE), 4 ReGLU experts (2 a token) by a sigmoid router on the layer input', { slidingWindow: 16, moe: { experts: 4, used: 2, ffn: 32, gating: 'sigmoid' } }],
    ['mellum', ': per-head q / k norms, the second layer sliding (window 16, one bool a layer) and rotating plainly, YaRN on the first, 4 experts (2 a token)', { slidingWindow: 16, slidingLayers: [false, true], yarn: { factor: 4, origCtx: 4 }, moe: { experts: 4, used: 2, ffn: 32 } }],
    ['dots1', ': q / k norms, a dense first layer, then 4 experts (2 a token) by sigmoids with a selection bias, renormalized and scaled, a shared expert', { kvHeads: 4, moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, gating: 'sigmoid', selectionBias: true, norm: true, weightScale: 2.5 } }],
    ['dots1', ': DeepSeek V3\'s group-limited selection, 8 experts in 4 groups, a token\'s 3 from the best 2, by sigmoids with a selection bias, renormalized and scaled, a shared expert', { kvHeads: 4, moe: { experts: 8, used: 3, ffn: 16, sharedFfn: 16, gating: 'sigmoid', selectionBias: true, norm: true, weightScale: 2.5, groups: { count: 4, used: 2 } } }],
    ['deepseek', ' (DeepSeek-MoE): a dense first layer, then 4 experts (2 a token) by an unnormalized softmax times 1.5, an ungated shared expert', { moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, weightScale: 1.5 } }],
    ['minimax-m2', ': q / k norms over the whole projection, half of each head rotated, 8 experts (2 a token) by sigmoids with a selection bias, renormalized', { ropeDims: 4, moe: { experts: 8, used: 2, ffn: 64, gating: 'sigmoid' } }],
    ['bailingmoe2', ': q / k / v fused, per-head q / k norms, half of each head rotated, a dense first layer, then 8 experts in 4 groups (3 a token from the best 2) by sigmoids with a selection bias, renormalized and scaled, a shared expert', { ropeDims: 4, moe: { experts: 8, used: 3, ffn: 16, sharedFfn: 32, denseLead: 1, gating: 'sigmoid', selectionBias: true, norm: true, weightScale: 2.5, groups: { count: 4, used: 2 } } }],
  ];
  for (const [arch, what, extra] of FORWARD) {
    const o: SynthOptions = { arch, dim: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, ctx: 32, seed: 11, vocab: spmByteVocab(), ...extra };
    it(`${arch}${what.startsWith(':') || what.startsWith(' with') ? what : ''}, ${o.kvHeads === o.heads ? `${o.heads} heads (no GQA)` : `GQA ${o.heads} heads / ${o.kvHeads} KV heads`}, ${o.layers} layers, B=2 T=9${what.startsWith(':') || what.startsWith(' with') ? '' : what}`, () => forwardMatches(`${arch}${o.moe ? ' MoE' : ''}`, synthLlamaGguf(o)));
  }

  // EXAONE 4.0 32B's layout: 64 layers, 48 sliding (window 16 here) with Llama 3 rope factors, 16 global without RoPE
  // (llama.cpp's exaone4 at that layer count).
  it('exaone4 at 64 layers, B=2 T=9: sliding layers with rope factors, global ones without RoPE', async () => {
    const bytes = synthLlamaGguf({ arch: 'exaone4', dim: 16, layers: 64, heads: 2, kvHeads: 1, ffn: 24, ctx: 32, seed: 11, vocab: spmByteVocab(), slidingWindow: 16, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 4 } });
    expect(llamaWeightsFromGguf(parseGgufFile(bytes)).config).toMatchObject({ swa: { window: 16, pattern: 4 }, noRopeStep: 4, ropeFreqs: true });
    await forwardMatches('exaone4 64 layers', bytes);
  });
});

describe('llama training refuses what its graph cannot run', () => {
  it('gemma3 and gemma2 at T past their sliding window (training attends over the whole sequence)', () => {
    for (const arch of ['gemma3', 'gemma2'] as const) {
      const c = llamaConfig({ arch, vocab: V, dim: 16, layers: 1, heads: 2, ffn: 24, ctx: 16, slidingWindow: 4 });
      expect(() => buildLlamaTrainGraph(ctx, c, initLlamaWeights(c, 1), { B: 1, T: 5 })).toThrow(/T = 5 exceeds the model's sliding window of 4 positions/);
    }
  });
  it('granitehybrid (Mamba-2 layers): refused by name, before any tensor is made', () => {
    const c = llamaConfig({ arch: 'granitehybrid', vocab: V, dim: 16, layers: 2, heads: 2, ffn: 24, ctx: 16, ssm: { taps: 4, state: 4, heads: 2, groups: 1, layers: [true, false] } });
    expect(() => buildLlamaTrainGraph(ctx, c, initLlamaWeights(c, 1), { B: 1, T: 4 })).toThrow(/llama training: a granitehybrid model \(Mamba-2 layers\) is not trainable here/);
  });
  it('qwen35 (Gated DeltaNet layers): refused by name, before any tensor is made', () => {
    const c = llamaConfig({ arch: 'qwen35', vocab: V, dim: 16, layers: 2, heads: 2, ffn: 24, ctx: 16, deltaNet: { taps: 4, state: 8, kHeads: 1, vHeads: 2, layers: [true, false] } });
    expect(() => buildLlamaTrainGraph(ctx, c, initLlamaWeights(c, 1), { B: 1, T: 4 })).toThrow(/llama training: a qwen35 model \(Gated DeltaNet layers\) is not trainable here/);
  });
  it('llama4 (experts weighted before their FFN, weightless q / k norms): refused by name, before any tensor is made', () => {
    const c = llamaConfig({ arch: 'llama4', vocab: V, dim: 16, layers: 2, heads: 2, ffn: 24, ctx: 16, moe: { experts: 4, used: 1, ffn: 8 } });
    expect(() => buildLlamaTrainGraph(ctx, c, initLlamaWeights(c, 1), { B: 1, T: 4 })).toThrow(/llama training: a llama4 model \(experts weighted before their FFN, weightless q \/ k norms\) is not trainable here/);
  });
  it('command-r at 64 layers (Command R+\'s per-head q / k LayerNorms): refused by name, before any tensor is made', () => {
    const c = llamaConfig({ arch: 'command-r', vocab: V, dim: 16, layers: 64, heads: 2, ffn: 24, ctx: 16, logitMul: 0.5 });
    expect(() => buildLlamaTrainGraph(ctx, c, initLlamaWeights(c, 1), { B: 1, T: 4 })).toThrow(/llama training: a command-r model with per-head q \/ k LayerNorms \(Command R\+'s\) is not trainable here/);
  });
  it('olmo (norms without weights, clamped q / k / v): refused by name, before any tensor is made', () => {
    const c = llamaConfig({ arch: 'olmo', vocab: V, dim: 16, layers: 1, heads: 2, ffn: 24, ctx: 16 });
    expect(() => buildLlamaTrainGraph(ctx, c, initLlamaWeights(c, 1), { B: 1, T: 4 })).toThrow(/llama training: an olmo model \(norms without weights, clamped q \/ k \/ v\) is not trainable here/);
  });
  it('phimoe (RMSNorms with biases): refused by name, before any tensor is made', () => {
    const c = llamaConfig({ arch: 'phimoe', vocab: V, dim: 16, layers: 1, heads: 2, ffn: 24, ctx: 16, moe: { experts: 4, used: 2, ffn: 24 } });
    expect(() => buildLlamaTrainGraph(ctx, c, initLlamaWeights(c, 1), { B: 1, T: 4 })).toThrow(/llama training: a phimoe model \(RMSNorms with biases\) is not trainable here/);
  });
  it('deepseek2 (multi-head latent attention): refused by name, before any tensor is made', () => {
    const c = llamaConfig({ arch: 'deepseek2', vocab: V, dim: 16, layers: 2, heads: 2, ffn: 24, ctx: 16, mla: { qLora: 8, kvLora: 8, nope: 4, rope: 4, v: 4 } });
    expect(() => buildLlamaTrainGraph(ctx, c, initLlamaWeights(c, 1), { B: 1, T: 4 })).toThrow(/llama training: a deepseek2 model \(multi-head latent attention\) is not trainable here/);
  });
  it('gpt-oss at T past its sliding window (training attends over the whole sequence)', () => {
    const c = llamaConfig({ arch: 'gpt-oss', vocab: V, dim: 16, layers: 2, heads: 2, ffn: 24, ctx: 16, slidingWindow: 4, moe: { experts: 4, used: 2, ffn: 8 } });
    expect(() => buildLlamaTrainGraph(ctx, c, initLlamaWeights(c, 1), { B: 1, T: 5 })).toThrow(/T = 5 exceeds the model's sliding window of 4 positions/);
  });
});

/** Mean next-token cross-entropy in f64 of the reference's logits (targets of IGNORE_INDEX skipped). */
function refLoss(c: LlamaConfig, w: LlamaWeights, seqs: number[][], targets: number[][]): number {
  const file = parseGgufFile(writeLlamaGguf(c, w, spmByteVocab()));
  let sum = 0;
  let count = 0;
  for (const [b, ids] of seqs.entries()) {
    const z = llamaLogitsRef(file, ids);
    for (let t = 0; t < ids.length; t++) {
      const y = targets[b][t];
      if (y === IGNORE_INDEX) continue;
      const row = z.subarray(t * c.vocab, (t + 1) * c.vocab);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      sum += lse - row[y];
      count++;
    }
  }
  return sum / count;
}

describe('llama training backward = finite differences of the f64 reference', () => {
  // llama with Llama 3's rope factors and linear rope scaling, and phi3 with LongRoPE (T 5 past the original context
  // of 4: the long factors) and an attention factor of 1.3, rotating all or half of each head (Phi-4-mini rotates 96
  // of 128): RoPE's table and its transposed rotation in the backward.
  // The MoE rows name their params: the router, every expert's gate / up / down (expertWeight names: their own params),
  // the shared expert's; an expert's finite differences perturb its slice of the GGUF stack. An expert no token of the
  // batch chose has no gradient, and its finite differences are 0 too (checked absolutely).
  const experts = (t: string) => Array.from({ length: 4 }, (_, e) => `blk.0.${t}.weight[${e}]`);
  const MOE_PARAMS = ['blk.0.ffn_gate_inp.weight', ...experts('ffn_gate_exps'), ...experts('ffn_up_exps'), ...experts('ffn_down_exps'), 'blk.0.attn_q.weight', 'token_embd.weight', 'output.weight'];
  const FD: [string, LlamaArch, Partial<SynthOptions>, string[]?][] = [
    ['llama', 'llama', {}], ['qwen2', 'qwen2', {}], ['qwen3', 'qwen3', { headDim: 12 }], ['hunyuan-dense (q / k norms after RoPE)', 'hunyuan-dense', {}], ['gemma3', 'gemma3', {}],
    ['llama with rope factors and linear scaling', 'llama', { ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 4 }, ropeLinearFactor: 2 }],
    ['phi3 with LongRoPE', 'phi3', { longRope: { origCtx: 4, attnFactor: 1.3 } }],
    ['phi3 rotating 4 of 8 head dims', 'phi3', { ropeDims: 4, longRope: { origCtx: 4, attnFactor: 1.3 } }],
    ['gemma2 with scores and logits soft-capped at 1.5 and 2', 'gemma2', { softcap: { attn: 1.5, final: 2 } }],
    ['granite with its four multipliers', 'granite', { multipliers: GRANITE_MULT }],
    ['olmo2 (post-norms only, whole-projection q / k norms)', 'olmo2', {}],
    ['qwen3 with YaRN (factor 4 past an original context of 4)', 'qwen3', { headDim: 12, yarn: { factor: 4, origCtx: 4 } }],
    ['exaone4 (post-norms only, per-head q / k norms) with Llama 3 rope factors', 'exaone4', { ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 4 } }],
    ['olmo2 with a sliding window (OLMo 3): its sliding layer rotates without YaRN', 'olmo2', { slidingWindow: 6, yarn: { factor: 4, origCtx: 2 } }],
    ['glm4 (pre- and post-norms, q / k / v biases, fused gate / up, half of each head rotated)', 'glm4', { ropeDims: 4, qkvBias: true }],
    ['arcee (relu(up)^2, no gate) with Llama 3 rope factors', 'arcee', { ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 4 } }],
    ['mistral3 with YaRN and the attention temperature (0.5, from position 2 on)', 'mistral3', { yarn: { factor: 4, origCtx: 2, logMul: 1 }, attnTemperature: { scale: 0.5, length: 2 } }],
    ['lfm2 (a short convolution of 3 taps in place of attention)', 'lfm2', { shortConv: { taps: 3, conv: [true] } }],
    ['gemma (Gemma 1: GeGLU, scaled and tied embeddings)', 'gemma', { embedStd: 0.2 }],
    ['stablelm (LayerNorm with biases, q / k / v biases, half of each head rotated)', 'stablelm', { ropeDims: 4, qkvBias: true }],
    ['starcoder2 (LayerNorms, biases on every Linear, gelu(up) without a gate)', 'starcoder2', { qkvBias: true }],
    ['phi2 (parallel block, the head with a bias, half of each head rotated)', 'phi2', { qkvBias: true, ropeDims: 4 }],
    ['command-r (parallel block, bias-free LayerNorms, logit_scale 0.5, tied)', 'command-r', { logitMul: 0.5, embedStd: 0.5 }],
    ['gptneox (parallel residual: two LayerNorms of the layer input, fused q / k / v, half of each head rotated)', 'gptneox', { ropeDims: 4 }],
    ['gpt2 (learned positions, no RoPE)', 'gpt2', {}],
    ['bloom (ALiBi of 8 on 6 heads, the embeddings LayerNorm-ed, biases everywhere)', 'bloom', { dim: 24, heads: 6, kvHeads: 6 }, ['blk.0.attn_q.weight', 'blk.0.attn_q.bias', 'token_embd_norm.weight', 'token_embd_norm.bias', 'token_embd.weight']],
    ['llama with experts (Mixtral: 4 experts, 2 a token, renormalized)', 'llama', { moe: { experts: 4, used: 2, ffn: 24 } }, MOE_PARAMS],
    ['olmoe (4 experts, 2 a token, unnormalized; whole-projection q / k norms)', 'olmoe', { kvHeads: 2, moe: { experts: 4, used: 2, ffn: 24 } }, [...MOE_PARAMS, 'blk.0.attn_q_norm.weight']],
    ['qwen2moe (4 experts of 12, 2 a token; a shared expert of 20 behind its sigmoid gate)', 'qwen2moe', { moe: { experts: 4, used: 2, ffn: 12, sharedFfn: 20 } }, [...MOE_PARAMS, 'blk.0.ffn_gate_inp_shexp.weight', 'blk.0.ffn_up_shexp.weight']],
    ['granitemoe (4 experts, 2 a token, the residual scale; an ungated shared expert of 20)', 'granitemoe', { multipliers: GRANITE_MULT, moe: { experts: 4, used: 2, ffn: 24, sharedFfn: 20 } }, [...MOE_PARAMS, 'blk.0.ffn_down_shexp.weight']],
    ['lfm2moe (a short convolution; 4 experts, 2 a token, by a sigmoid router with a selection bias, renormalized)', 'lfm2moe', { shortConv: { taps: 3, conv: [true] }, moe: { experts: 4, used: 2, ffn: 24 } }, [...MOE_PARAMS.filter((n) => n !== 'blk.0.attn_q.weight'), 'blk.0.shortconv.in_proj.weight']],
    ['glm4moe (4 experts, 2 a token, by sigmoids with a selection bias, renormalized and scaled; a shared expert of 24; q / k norms)', 'glm4moe', { qkvBias: true, qkNorm: true, moe: { experts: 4, used: 2, ffn: 24, sharedFfn: 24, norm: true, weightScale: 2.5 } }, [...MOE_PARAMS, 'blk.0.ffn_gate_shexp.weight', 'blk.0.attn_q_norm.weight']],
    ['bailingmoe (4 experts, 2 a token, renormalized and scaled by 2.5; a shared expert of 2 experts\' width, 48)', 'bailingmoe', { moe: { experts: 4, used: 2, ffn: 24, sharedFfn: 48, norm: true, weightScale: 2.5 } }, [...MOE_PARAMS, 'blk.0.ffn_up_shexp.weight']],
    ['ernie4_5-moe (4 experts, 2 a token, chosen with a selection bias, renormalized; an ungated shared expert of 20)', 'ernie4_5-moe', { moe: { experts: 4, used: 2, ffn: 24, sharedFfn: 20, selectionBias: true } }, [...MOE_PARAMS, 'blk.0.ffn_gate_shexp.weight']],
    ['gpt-oss (attention sinks, a sliding layer with YaRN, biases on q / k / v / o, the router and the experts; the clamped SwiGLU)', 'gpt-oss', { qkvBias: true, yarn: { factor: 4, origCtx: 4 }, moe: { experts: 4, used: 2, ffn: 24 } }, [...MOE_PARAMS, 'blk.0.attn_sinks.weight', 'blk.0.ffn_gate_inp.bias', 'blk.0.attn_output.bias', ...Array.from({ length: 4 }, (_, e) => `blk.0.ffn_down_exps.bias[${e}]`), ...Array.from({ length: 4 }, (_, e) => `blk.0.ffn_gate_exps.bias[${e}]`)]],
    ['smallthinker (4 ReGLU experts, 2 a token, by a softmax router on the layer input, renormalized)', 'smallthinker', { moe: { experts: 4, used: 2, ffn: 24 } }, MOE_PARAMS],
    ['mellum (4 experts, 2 a token, renormalized; per-head q / k norms)', 'mellum', { moe: { experts: 4, used: 2, ffn: 24 } }, [...MOE_PARAMS, 'blk.0.attn_q_norm.weight']],
    ['dots1 (4 experts, 2 a token, by sigmoids with a selection bias, renormalized and scaled; a shared expert of 24; q / k norms)', 'dots1', { kvHeads: 2, moe: { experts: 4, used: 2, ffn: 24, sharedFfn: 24, gating: 'sigmoid', selectionBias: true, norm: true, weightScale: 2.5 } }, [...MOE_PARAMS, 'blk.0.ffn_gate_shexp.weight', 'blk.0.attn_q_norm.weight']],
    ['dots1 grouped (4 experts in 2 groups, 2 a token from the best group, by sigmoids with a selection bias, renormalized; a shared expert of 24)', 'dots1', { kvHeads: 2, moe: { experts: 4, used: 2, ffn: 24, sharedFfn: 24, gating: 'sigmoid', selectionBias: true, norm: true, groups: { count: 2, used: 1 } } }, [...MOE_PARAMS, 'blk.0.ffn_up_shexp.weight']],
    ['minimax-m2 (4 experts, 2 a token, by sigmoids with a selection bias, renormalized; q / k norms over the whole projection)', 'minimax-m2', { kvHeads: 2, ffn: 24, moe: { experts: 4, used: 2, ffn: 24, gating: 'sigmoid' } }, [...MOE_PARAMS, 'blk.0.attn_q_norm.weight', 'blk.0.attn_k_norm.weight']],
    ['bailingmoe2 (q / k / v fused, per-head q / k norms; 4 experts, 2 a token, by sigmoids with a selection bias, renormalized and scaled; a shared expert of 24)', 'bailingmoe2', { kvHeads: 2, moe: { experts: 4, used: 2, ffn: 24, sharedFfn: 24, gating: 'sigmoid', selectionBias: true, norm: true, weightScale: 2.5 } }, [...MOE_PARAMS, 'blk.0.attn_k.weight', 'blk.0.attn_q_norm.weight', 'blk.0.ffn_down_shexp.weight']],
  ];
  for (const [label, arch, extra, moeNames] of FD) {
    it(`${label}: dim 16, 1 layer, 2 heads / ${extra.kvHeads ?? 1} KV head${(extra.kvHeads ?? 1) > 1 ? 's' : ''}, B=2 T=5 with padding${arch === 'qwen3' ? ', head dim 12' : ''}`, async () => {
      // Weights at the synthetic model's scales (unit-RMS projections, logits of deviation ~2.5): gradients of every
      // part of the model well above rounding.
      const { config: c, weights } = llamaWeightsFromGguf(parseGgufFile(synthLlamaGguf({ arch, dim: 16, layers: 1, heads: 2, kvHeads: 1, ffn: 24, ctx: 8, seed: 4, vocab: spmByteVocab(), ...extra })));
      const seqs = batch(2, 5, 8);
      const targets = seqs.map((s, b) => s.map((_, t) => (b === 1 && t >= 3 ? IGNORE_INDEX : s[(t + 1) % s.length])));
      const t = buildLlamaTrainGraph(ctx, c, weights, { B: 2, T: 5 });
      try {
        // (Without RoPE, as gpt2, k's bias shifts every score of a query alike: softmax ignores it, its gradient is 0;
        // q's bias is checked there instead.)
        const attn = c.shortConv?.conv[0] ? ['blk.0.shortconv.conv.weight', 'blk.0.shortconv.in_proj.weight', 'blk.0.shortconv.out_proj.weight'] : ['blk.0.attn_q.weight', 'blk.0.attn_k.weight', 'blk.0.attn_v.weight'];
        const names = moeNames ?? ['token_embd.weight', ...(c.noPreNorms ? [] : ['blk.0.attn_norm.weight']), ...(c.layerNorm && !c.normNoBias ? ['blk.0.attn_norm.bias', 'output_norm.bias'] : []), ...attn, ...(c.ffnGateless ? ['blk.0.ffn_up.weight'] : ['blk.0.ffn_gate.weight']), ...(c.linearBiases ? ['blk.0.attn_output.bias', 'blk.0.ffn_up.bias', 'blk.0.ffn_down.bias'] : []), ...(c.outputBias ? ['output.bias'] : []), ...(c.learnedPositions ? ['position_embd.weight'] : []), 'blk.0.ffn_down.weight', ...(c.tied ? [] : ['output.weight']), ...(c.qkvBias ? [c.noRopeStep === 1 ? 'blk.0.attn_q.bias' : 'blk.0.attn_k.bias'] : []), ...(c.qkNorm && !c.shortConv?.conv[0] ? ['blk.0.attn_q_norm.weight', 'blk.0.attn_k_norm.weight'] : []), ...(c.postNorms ? ['blk.0.post_attention_norm.weight', 'blk.0.post_ffw_norm.weight', 'blk.0.ffn_up.weight'] : [])];
        const params = names.map((n) => t.ops.params.get(n)!);
        const gm = t.graph.backward(t.loss, params);
        const grads = params.map((p) => ops.contiguous(gm.get(p)!));
        const exe = await t.graph.compile({ outputs: [t.loss, ...grads] });
        await exe.run({ ids: Int32Array.from(seqs.flat()), targets: Int32Array.from(targets.flat()) });
        const L0 = refLoss(c, weights, seqs, targets);
        expect(Math.abs((await exe.read(t.loss))[0] - L0)).toBeLessThanOrEqual(1e-4);
        const r = rng(21);
        const worst: string[] = [];
        for (const [k, name] of names.entries()) {
          const g = await exe.read(grads[k]);
          const unchosen = name.includes('_exps.') && g.every((v) => v === 0); // an expert no token chose
          const scale = unchosen ? 1 : Math.max(...g.map(Math.abs));
          if (!unchosen) expect(scale, `${name}: its gradient is 0`).toBeGreaterThan(1e-4);
          // The embedding's rows of tokens in the batch (the others have zero gradient) and random entries elsewhere.
          // (a router's rows of experts no token chose have no gradient either: its picks are among the entries with one)
          const live = name.endsWith('ffn_gate_inp.weight') ? [...g.keys()].filter((i) => g[i] !== 0) : [...g.keys()];
          const picks = name === 'token_embd.weight' ? [seqs[0][2] * c.dim + 3, seqs[1][4] * c.dim + 7, 1 * c.dim + 0] : Array.from({ length: 4 }, () => live[Math.floor(r() * live.length)]);
          let err = 0;
          // an expert's weight: its slice of the GGUF stack
          const ex = parseExpertWeight(name);
          const w = ex ? weights[ex.tensor].subarray((ex.expert * weights[ex.tensor].length) / c.moe!.experts) : weights[name];
          for (const i of picks) {
            const orig = w[i];
            const plus = Math.fround(orig + 1e-3);
            const minus = Math.fround(orig - 1e-3);
            w[i] = plus;
            const Lp = refLoss(c, weights, seqs, targets);
            w[i] = minus;
            const Lm = refLoss(c, weights, seqs, targets);
            w[i] = orig;
            const fd = (Lp - Lm) / (plus - minus);
            err = Math.max(err, Math.abs(g[i] - fd) / scale);
          }
          worst.push(`${name.replace('blk.0.', '')} ${unchosen ? `(not chosen) ${err.toExponential(1)} absolute` : err.toExponential(1)}`);
          expect(err, `${name}: gradient vs finite differences, relative to its largest ${scale.toExponential(2)}`).toBeLessThanOrEqual(GRAD_BOUND);
        }
        measured.push(`  ${label} gradients vs finite differences (relative): ${worst.join(', ')}`);
      } finally {
        t.graph.destroy();
      }
    });
  }
});

describe('writeLlamaGguf', () => {
  // (the MoE models with their experts: each expert stack read as its experts and written back as one tensor)
  const MOE: Partial<Record<LlamaArch, Partial<SynthOptions>>> = {
    qwen3moe: { moe: { experts: 8, used: 2, ffn: 32 } },
    olmoe: { kvHeads: 4, moe: { experts: 4, used: 2, ffn: 64 } },
    qwen2moe: { moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 64 } },
    granitemoe: { multipliers: GRANITE_MULT, moe: { experts: 4, used: 2, ffn: 64, sharedFfn: 32 } },
    lfm2moe: { shortConv: { taps: 3, conv: [true, false] }, moe: { experts: 4, used: 2, ffn: 32, denseLead: 1 } },
    'ernie4_5-moe': { moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 64, denseLead: 1, selectionBias: true } },
    bailingmoe: { moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 64, norm: true, weightScale: 2.5 } },
    'hunyuan-moe': { moe: { experts: 4, used: 2, ffn: 64, sharedFfn: 32 } },
    glm4moe: { qkvBias: true, qkNorm: true, moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, norm: true, weightScale: 2.5 } },
    'gpt-oss': { qkvBias: true, headDim: 16, yarn: { factor: 4, origCtx: 16 }, moe: { experts: 4, used: 2, ffn: 32 } },
    granitehybrid: { multipliers: GRANITE_MULT, ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [true, false] } },
    'falcon-h1': { ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [true, true] } },
    nemotron_h: { ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [] }, layerKinds: ['ssm', 'attention'] },
    mamba2: { ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [] } },
    qwen35: { headDim: 8, ropeDims: 4, deltaNet: { taps: 4, state: 8, kHeads: 2, vHeads: 4, layers: [true, false] } },
    qwen35moe: { headDim: 8, ropeDims: 4, deltaNet: { taps: 4, state: 8, kHeads: 2, vHeads: 4, layers: [true, false] }, moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 32 } },
    smallthinker: { slidingWindow: 16, moe: { experts: 4, used: 2, ffn: 32, gating: 'sigmoid' } },
    mellum: { slidingWindow: 16, slidingLayers: [true, false], moe: { experts: 4, used: 2, ffn: 32 } },
    dots1: { kvHeads: 4, moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, gating: 'sigmoid', selectionBias: true, norm: true, weightScale: 2.5 } },
    deepseek2: { mla: { qLora: 32, kvLora: 32, nope: 32, rope: 8, v: 8 }, moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, norm: true } },
    minicpm3: { mla: { qLora: 32, kvLora: 32, nope: 8, rope: 8, v: 8 }, longRope: { origCtx: 16, attnFactor: 1.1 } },
    chatglm: { ropeDims: 4, qkvBias: true },
    qwen: { kvHeads: 4 },
    olmo: { kvHeads: 4, clampKqv: 2 },
    'minimax-m2': { ffn: 32, moe: { experts: 4, used: 2, ffn: 32, gating: 'sigmoid' } },
    phimoe: { qkvBias: true, moe: { experts: 4, used: 2, ffn: 64 } },
    llama4: { layers: 4, moe: { experts: 4, used: 1, ffn: 32, step: 2 } }, // (4 layers: llama.cpp aborts on a llama4 without a full-attention layer)
    qwen3next: { headDim: 8, ropeDims: 4, deltaNet: { taps: 4, state: 8, kHeads: 1, vHeads: 4, layers: [true, false] }, moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 32 } },
    mpt: { mpt: { biases: true, positions: true }, alibi: 4, clampKqv: 2 }, // (ALiBi's max bias, mpt's optional parts, read back from the file)
    jais: { alibi: 2 },
    refact: { fusedQkv: true, qkvBias: true },
    jais2: { kvHeads: 4 },
    codeshell: { fusedQkv: true, qkvBias: true },
    'pangu-embedded': { qkvBias: true },
    deepseek: { moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, weightScale: 1.5 } },
    dbrx: { clampKqv: 2, moe: { experts: 4, used: 2, ffn: 64 } },
    bailingmoe2: { ropeDims: 4, moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, gating: 'sigmoid', selectionBias: true, norm: true, weightScale: 2.5, groups: { count: 2, used: 1 } } },
  };
  for (const arch of ['llama', 'qwen3', 'gemma', 'gemma3', 'stablelm', 'exaone', 'granite', 'olmo2', 'exaone4', 'mistral3', 'glm4', 'arcee', 'lfm2', 'starcoder2', 'phi2', 'command-r', 'cohere2', 'minicpm', 'gptneox', 'gpt2', 'starcoder', 'falcon', 'qwen3moe', 'olmoe', 'qwen2moe', 'granitemoe', 'lfm2moe', 'ernie4_5-moe', 'internlm2', 'xverse', 'bailingmoe', 'hunyuan-dense', 'hunyuan-moe', 'seed_oss', 'glm4moe', 'nemotron', 'gpt-oss', 'granitehybrid', 'falcon-h1', 'nemotron_h', 'mamba2', 'qwen35', 'qwen35moe', 'smallthinker', 'dots1', 'mellum', 'deepseek2', 'minicpm3', 'bailingmoe2', 'qwen3next', 'llama4', 'phimoe', 'chatglm', 'minimax-m2', 'orion', 'qwen', 'olmo', 'bloom', 'mpt', 'jais', 'refact', 'baichuan', 'codeshell', 'jais2', 'maincoder', 'pangu-embedded', 'deepseek', 'dbrx'] as const) it(`${arch}: an F32 file that LanguageModel and llama.cpp read back with the same probabilities`, async () => {
    const src = parseGgufFile(synthLlamaGguf({ arch, dim: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, ctx: 32, seed: 5, weightType: 'Q8_0', ...MOE[arch], ...(arch === 'qwen3' ? { headDim: 16 } : {}), ...(arch === 'granite' || arch === 'minicpm' ? { multipliers: GRANITE_MULT } : {}), ...(arch === 'mistral3' ? MISTRAL3 : {}), ...(arch === 'lfm2' ? { shortConv: { taps: 3, conv: [true, false] } } : {}), ...(arch === 'phi2' ? { fusedQkv: true, qkvBias: true } : {}), ...(arch === 'command-r' || arch === 'cohere2' ? { logitMul: 0.5, embedStd: 0.5 } : {}) }));
    const { config, weights } = llamaWeightsFromGguf(src);
    expect(() => writeLlamaGguf(config, weights)).toThrow(/tokenizer has 260 tokens, the model's vocab is 259/);
    const bytes = writeLlamaGguf(config, weights, spmByteVocab());
    const back = llamaWeightsFromGguf(parseGgufFile(bytes));
    expect(back.config).toEqual(config);
    for (const [n, w] of Object.entries(weights)) expect(back.weights[n], n).toEqual(w);
    const path = join(dir, `written-${arch}.gguf`);
    writeFileSync(path, bytes);
    const ids = [1, ...[...'ROMEO:\nO'].map((ch) => 3 + ch.charCodeAt(0))];
    const lm = await LanguageModel.load(ctx, path, { ctxLen: 32, chunk: 16, kvType: 'f32' });
    try {
      const T = ids.length;
      const ours = softmaxRows(await lm.logits(ids), T, V);
      const cpp = new Float64Array(T * V);
      (await llamaCppLogits(path, ids)).forEach((p, t) => cpp.set(p, t * V));
      const d = maxDiff(ours, cpp);
      measured.push(`  written F32 ${arch} GGUF: nibble vs llama.cpp max |p| difference ${d.toExponential(2)} (bound 5.2e-4)`);
      expect(d).toBeLessThanOrEqual(5e-4 + 2e-5);
    } finally {
      lm.dispose();
    }
  });

  it('byteLevelVocab: every byte one token, a space the piece U+2581, no space prefix', async () => {
    const c = llamaConfig({ dim: 16, layers: 1, heads: 2, ffn: 16, ctx: 8 });
    const path = join(dir, 'bytes.gguf');
    writeFileSync(path, writeLlamaGguf(c, initLlamaWeights(c, 1)));
    const lm = await LanguageModel.load(ctx, path, { ctxLen: 8, chunk: 8, kvType: 'f32' });
    try {
      expect(c.vocab).toBe(260);
      expect(byteLevelVocab()["tokenizer.ggml.add_space_prefix"]).toEqual({ type: "bool", value: false });
      const text = 'To be,\n or é';
      const ids = lm.tokenize(text, { addSpecial: true });
      expect(ids).toEqual([1, ...[...new TextEncoder().encode(text)].map((b) => (b === 32 ? 259 : 3 + b))]);
      expect(lm.detokenize(ids, { removeSpecial: true })).toBe(text);
    } finally {
      lm.dispose();
    }
  });

  it("byteLevelVocab('phi3'): <|endoftext|> appended as a control token (llama.cpp refuses a phi3 file without it); a pretrained phi3 loads in llama.cpp with nibble's probabilities", async () => {
    const v = byteLevelVocab('phi3');
    const tokens = (v['tokenizer.ggml.tokens'] as { value: { value: unknown }[] }).value;
    expect([tokens.length, tokens[260].value, (v['tokenizer.ggml.token_type'] as { value: { value: unknown }[] }).value[260].value]).toEqual([261, '<|endoftext|>', 3]);
    const c = llamaConfig({ arch: 'phi3', vocab: 261, dim: 32, layers: 1, heads: 4, kvHeads: 2, ffn: 64, ctx: 16 });
    const w = initLlamaWeights(c, 2);
    for (const [n, x] of Object.entries(w)) if (!n.includes('norm')) for (let i = 0; i < x.length; i++) x[i] *= 25; // logits far from uniform
    const path = join(dir, 'phi3-bytes.gguf');
    writeFileSync(path, writeLlamaGguf(c, w, byteLevelVocab('phi3')));
    const lm = await LanguageModel.load(ctx, path, { ctxLen: 16, chunk: 16, kvType: 'f32' });
    try {
      const ids = lm.tokenize('To be, or', { addSpecial: true });
      expect(ids).toEqual([1, ...[...'To be, or'].map((ch) => (ch === ' ' ? 259 : 3 + ch.charCodeAt(0)))]);
      const T = ids.length;
      const cpp = new Float64Array(T * 261);
      (await llamaCppLogits(path, ids)).forEach((p, t) => cpp.set(p, t * 261));
      expect(maxDiff(softmaxRows(await lm.logits(ids), T, 261), cpp)).toBeLessThanOrEqual(5e-4 + 2e-5);
    } finally {
      lm.dispose();
    }
  });
});
