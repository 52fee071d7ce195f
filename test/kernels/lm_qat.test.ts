// QAT of a language model, Node alone (the shared cases, Node and Chromium, are test/cases/lm_qat.cases.ts):
//   - llama.cpp's probabilities on a converted Q4_0 file match nibble's (the bound of test/kernels/lm_llamacpp.test.ts),
//     phi3's fused tensors, glm4's fused gate / up, arcee's gateless FFN, lfm2's short convolutions, stablelm's
//     LayerNorms, starcoder2's biases on every Linear, phi2's parallel block and biased head and cohere2's bias-free
//     LayerNorms and sliding layers included;
//   - distillation's loss and gradient against an f64 computation and its finite differences;
//   - a teacher of another vocabulary is refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import { llamaCppLogits } from '../../runtime/llamacpp.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import { parseGgufFile } from '../../src/io/gguf.js';
import { LanguageModel } from '../../src/lm/model.js';
import { convertLlama, qatLlama } from '../../src/lm/qat.js';
import { textDataset } from '../../src/data/text.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { buildLlamaTrainGraph, distillLoss, llamaLinears, type LlamaWeights } from '../../src/nn/llama_train.js';
import { byteLevelVocab, initLlamaWeights, llamaConfig } from '../../src/nn/llama_weights.js';
import type { LlamaConfig } from '../../src/nn/llama_config.js';
import { PHI3_ENDOFTEXT, spmByteVocab } from '../../src/lm/synth.js';
import { llamaLogitsRef, softmaxRows } from '../../src/ref/llama.js';
import { rng } from '../../src/ref/random.js';
import { prepareLinears } from '../../src/train/qat_plan.js';
import { QAT_LM_CONFIG as config, QAT_LM_IDS as IDS, qatLmWeights as weights } from '../cases/lm_qat.cases.js';
import { maxDiff } from '../cases/lm_helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-lm-qat-'));
let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(() => {
  ctx?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const T = IDS.length;
const V = config.vocab;

/** initLlamaWeights(c) with every non-norm tensor times 5, as qatLmWeights makes the llama's. */
function scaledWeights(c: LlamaConfig, seed: number): LlamaWeights {
  const w = initLlamaWeights(c, seed);
  for (const [k, v] of Object.entries(w)) if (!k.includes('norm')) for (let i = 0; i < v.length; i++) v[i] *= 5;
  // Linear biases (starcoder2's) start at 0: give them values that matter (+-0.2).
  for (const [k, v] of Object.entries(w)) if (k.endsWith('.bias') && !k.includes('norm')) for (let i = 0; i < v.length; i++) v[i] = 0.2 * Math.sin(7 * i + 1);
  return w;
}

describe('language-model QAT', () => {
  // phi3: the same weights under phi3's graph (NEOX rope), written with q/k/v and gate/up fused (one Q4_0 tensor each:
  // 4 linears fewer in the file); llama.cpp's phi3 needs <|endoftext|> in the vocabulary (260 tokens, as byteLevelVocab).
  const phi3 = llamaConfig({ arch: 'phi3', dim: config.dim, layers: config.layers, heads: config.heads, kvHeads: config.kvHeads, ffn: config.ffn, ctx: config.ctx, vocab: config.vocab });
  // glm4 (pre- and post-norms, gate / up fused: one Q4_0 tensor a layer fewer) and arcee (no FFN gate) at the same
  // sizes, their weights drawn and scaled as qatLmWeights draws the llama's.
  const like = (arch: 'glm4' | 'arcee' | 'stablelm' | 'starcoder2' | 'phi2' | 'cohere2' | 'hunyuan-dense' | 'bloom') => llamaConfig({ arch, dim: config.dim, layers: config.layers, heads: config.heads, kvHeads: config.kvHeads, ffn: config.ffn, ctx: config.ctx, vocab: config.vocab });
  const [glm4, arcee, stablelm, starcoder2, phi2, cohere2] = [like('glm4'), like('arcee'), like('stablelm'), like('starcoder2'), like('phi2'), like('cohere2')];
  // lfm2: short convolutions on the even layers (in_proj / out_proj quantized, the conv kernels kept F32).
  const lfm2 = llamaConfig({ arch: 'lfm2', dim: config.dim, layers: config.layers, heads: config.heads, kvHeads: config.kvHeads, ffn: config.ffn, ctx: config.ctx, vocab: config.vocab, shortConv: { taps: 3, conv: Array.from({ length: config.layers }, (_, l) => l % 2 === 0) } });
  // MoE: every expert a Linear converted on its own, written back as one Q4_0 stack [experts, ffn, dim] (the routers
  // and qwen2moe's shared-expert gate stay F32, as llama.cpp's quantizer leaves them).
  const moe = (arch: 'qwen3moe' | 'qwen2moe' | 'ernie4_5-moe' | 'bailingmoe' | 'gpt-oss', o: { experts: number; used: number; ffn: number; sharedFfn?: number; denseLead?: number; selectionBias?: true; norm?: boolean; weightScale?: number }) => llamaConfig({ arch, dim: config.dim, layers: config.layers, heads: config.heads, kvHeads: config.kvHeads, ffn: config.ffn, ctx: config.ctx, vocab: config.vocab, moe: o });
  const [qwen3moe, qwen2moe] = [moe('qwen3moe', { experts: 8, used: 2, ffn: 32 }), moe('qwen2moe', { experts: 4, used: 2, ffn: 64, sharedFfn: 32 })];
  const ernieMoe = moe('ernie4_5-moe', { experts: 4, used: 2, ffn: 32, sharedFfn: 64, denseLead: 1, selectionBias: true }); // (its selection bias stays F32, a constant)
  const [hunyuan, bailing] = [like('hunyuan-dense'), moe('bailingmoe', { experts: 4, used: 2, ffn: 32, sharedFfn: 64, norm: true, weightScale: 2.5 })];
  // gpt-oss: attention sinks and every bias stay F32 (vectors), the experts of the clamped SwiGLU quantized one by one
  const gptOss = moe('gpt-oss', { experts: 4, used: 2, ffn: 32 });
  // bloom: ALiBi attention (no RoPE), its embedding LayerNorm and every bias kept F32
  const bloom = like('bloom');
  const cases = [['Q4_0', { format: 'Q4_0' }, 'Q4_0', config], ['asymmetric W3 (Q4_1)', { bits: 3, symmetric: false }, 'Q4_1', config], ['midrise W2 (Q4_0 codes 2q + 1)', { bits: 2, midrise: true }, 'Q4_0', config], ['phi3 Q4_0 (fused tensors)', { format: 'Q4_0' }, 'Q4_0', phi3], ['glm4 Q4_0 (fused gate / up)', { format: 'Q4_0' }, 'Q4_0', glm4], ['arcee Q4_0 (no gate)', { format: 'Q4_0' }, 'Q4_0', arcee], ['lfm2 Q4_0 (short convolutions)', { format: 'Q4_0' }, 'Q4_0', lfm2], ['stablelm Q4_0 (LayerNorms with biases)', { format: 'Q4_0' }, 'Q4_0', stablelm], ['starcoder2 Q4_0 (biases on every Linear, gateless GELU MLP)', { format: 'Q4_0' }, 'Q4_0', starcoder2], ['phi2 Q4_0 (parallel block, the head with a bias)', { format: 'Q4_0' }, 'Q4_0', phi2], ['cohere2 Q4_0 (bias-free LayerNorms, sliding layers, tied)', { format: 'Q4_0' }, 'Q4_0', cohere2], ['qwen3moe Q4_0 (8 experts, 2 a token)', { format: 'Q4_0' }, 'Q4_0', qwen3moe], ['qwen2moe Q4_0 (4 experts, a gated shared expert)', { format: 'Q4_0' }, 'Q4_0', qwen2moe], ['ernie4_5-moe Q4_0 (a dense first layer, 4 experts chosen with a selection bias, an ungated shared expert)', { format: 'Q4_0' }, 'Q4_0', ernieMoe], ['hunyuan-dense Q4_0 (q / k norms after RoPE)', { format: 'Q4_0' }, 'Q4_0', hunyuan], ['bailingmoe Q4_0 (4 experts renormalized and scaled, a shared expert)', { format: 'Q4_0' }, 'Q4_0', bailing], ['gpt-oss Q4_0 (attention sinks, a sliding layer, biased experts of the clamped SwiGLU)', { format: 'Q4_0' }, 'Q4_0', gptOss], ['bloom Q4_0 (ALiBi, the embeddings LayerNorm-ed, q / k / v fused)', { format: 'Q4_0' }, 'Q4_0', bloom]] as const;
  for (const [what, cfg, type, c] of cases) {
    it(`llama.cpp runs the converted ${what} model with nibble's probabilities`, async () => {
      const w = c.arch === 'glm4' || c.arch === 'arcee' || c.arch === 'lfm2' || c.arch === 'stablelm' || c.arch === 'starcoder2' || c.arch === 'phi2' || c.arch === 'cohere2' || c.arch === 'hunyuan-dense' || c.arch === 'bloom' || c.moe ? scaledWeights(c, 2) : weights(2);
      const linears = llamaLinears(c);
      const plan = prepareLinears(linears, cfg);
      const vocab = c.arch === 'phi3' ? spmByteVocab([PHI3_ENDOFTEXT]) : byteLevelVocab();
      const bytes = await convertLlama(ctx, c, w, plan, {}, vocab);
      const path = join(dir, `qat-${what.replace(/\W+/g, '-')}.gguf`);
      writeFileSync(path, bytes);
      const file = parseGgufFile(bytes);
      // (a file's fused tensors and expert stacks hold several Linears each)
      expect(file.tensors.filter((x) => x.type === type).length).toBe(linears.length - (c.arch === 'phi3' ? 3 * c.layers : c.arch === 'glm4' ? c.layers : c.fusedQkv ? 2 * c.layers : c.moe ? 3 * (c.moe.experts - 1) * (c.layers - (c.moe.denseLead ?? 0)) : 0));
      const lm = await LanguageModel.load(ctx, path, { ctxLen: 64, kvType: 'f32', warmup: false });
      let ours: Float32Array;
      try {
        ours = await lm.logits(IDS);
      } finally {
        lm.dispose();
      }
      // llama.cpp on the file: nibble's probabilities within its bound plus what llama.cpp's 8-bit activations do (E).
      const p = softmaxRows(ours, T, V);
      const exact = softmaxRows(llamaLogitsRef(file, IDS), T, V);
      const E = maxDiff(exact, softmaxRows(llamaLogitsRef(file, IDS, { cpuActivations: true }), T, V));
      const cpp = new Float64Array(T * V);
      (await llamaCppLogits(path, IDS)).forEach((x, i) => cpp.set(x, i * V));
      const vsCpp = maxDiff(p, cpp);
      console.log(`QAT ${what} model: nibble vs llama.cpp probabilities ${vsCpp.toExponential(2)} (E ${E.toExponential(2)})`);
      expect(maxDiff(p, exact)).toBeLessThanOrEqual(5e-4);
      expect(vsCpp).toBeLessThanOrEqual(5e-4 + 2 * E + 2e-5);
    });
  }

  it("distillation's loss and its gradient equal an f64 computation and its finite differences", async () => {
    const R = 5;
    const C = 7;
    const Tmp = 2;
    const r = rng(11);
    const s = Float32Array.from({ length: R * C }, () => 4 * r() - 2);
    const tt = Float32Array.from({ length: R * C }, () => 4 * r() - 2);
    const f64 = (x: ArrayLike<number>): number => {
      let L = 0;
      for (let i = 0; i < R; i++) {
        const row = (a: ArrayLike<number>) => Array.from({ length: C }, (_, j) => a[i * C + j] / Tmp);
        const lse = (v: number[]) => Math.max(...v) + Math.log(v.reduce((q, y) => q + Math.exp(y - Math.max(...v)), 0));
        const sv = row(x);
        const tv = row(tt);
        const lt = lse(tv);
        const ls = lse(sv);
        for (let j = 0; j < C; j++) L -= Math.exp(tv[j] - lt) * (sv[j] - ls);
      }
      return (L * Tmp * Tmp) / R;
    };
    const g = new Graph(ctx, 'kd');
    try {
      const sp = g.param('s', [R, C], s);
      const loss = distillLoss(sp, g.constant(tt, [R, C], 'f32', 't'), Tmp);
      const grad = g.backward(loss, [sp]).get(sp)!;
      const exe = await g.compile({ outputs: [loss, grad] });
      await exe.run();
      expect(Math.abs((await exe.read(loss))[0] - f64(s))).toBeLessThanOrEqual(1e-5);
      const gr = await exe.read(grad);
      const h = 1e-4;
      for (let i = 0; i < R * C; i++) {
        const up = Float64Array.from(s);
        const dn = Float64Array.from(s);
        up[i] += h;
        dn[i] -= h;
        expect(Math.abs(gr[i] - (f64(up) - f64(dn)) / (2 * h)), `d loss / d s[${i}]`).toBeLessThanOrEqual(1e-5);
      }
    } finally {
      g.destroy();
    }
  });

  it("distillation from the trained f32 baseline: in-run and given teacherWeights train the same; without either it is refused", async () => {
    const text = Array.from({ length: 60 }, (_, i) => `ROMEO ${i}:\nBut, soft! what light through yonder window breaks?\n`).join('');
    const data = textDataset(text, Tokenizer.fromGguf(byteLevelVocab()));
    const model = { config, weights: weights(5) };
    const o = { bits: 4, distill: { teacher: 'baseline' as const }, steps: 2, lr: 1e-3, batch: 2, seq: 32, seed: 1, valWindows: 2 };
    const a = await qatLlama(ctx, model, data, o);
    expect(a.f32Weights).toBeDefined();
    expect(maxDiff(a.f32Weights!['blk.0.attn_q.weight'], model.weights['blk.0.attn_q.weight'])).toBeGreaterThan(0);
    const b = await qatLlama(ctx, model, data, { ...o, baseline: false, teacherWeights: a.f32Weights });
    expect(b.losses.qat).toEqual(a.losses.qat);
    const c = await qatLlama(ctx, model, data, { ...o, distill: { teacher: 'start' as const } });
    expect(c.losses.qat[1]).not.toBe(a.losses.qat[1]);
    await expect(qatLlama(ctx, model, data, { ...o, baseline: false })).rejects.toThrow(/distill teacher 'baseline' needs the f32 baseline run/);
  });

  it('a teacher of another vocabulary is refused before training', () => {
    const other = llamaConfig({ dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, ctx: 64, vocab: 300 });
    expect(() => buildLlamaTrainGraph(ctx, config, weights(3), { B: 1, T: 8, distill: { teacher: { config: other, weights: {} } } })).toThrow(/the teacher's vocabulary has 300 tokens, the student's 260/);
  });
});
