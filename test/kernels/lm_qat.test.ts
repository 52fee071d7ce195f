// QAT of a language model (src/lm/qat.ts, src/train/qat_plan.ts, the fake-quant Linear of src/nn/llama_train.ts):
//   - the converted GGUF's blocks dequantize bit for bit to the weights QAT trained against (ggml's rules Q4_0 /
//     Q8_0), and to the trained codes times the f16-rounded scale for the torchao rule and LSQ;
//   - the converted model on the inference engine gives the fake-quant logits (to the f32 bound), and llama.cpp's
//     probabilities on the converted file match nibble's (the bound of test/kernels/lm_llamacpp.test.ts);
//   - distillation's loss and gradient against an f64 computation and its finite differences;
//   - a QAT run reproduces bit for bit with one seed; a teacher of another vocabulary is refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import { textDataset } from '../../src/data/text.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import { parseGgufFile } from '../../src/io/gguf.js';
import { LanguageModel } from '../../src/lm/model.js';
import { convertLlama, qatLlama } from '../../src/lm/qat.js';
import { fakeQuantWeight, lsqScaleName } from '../../src/nn/linear_quant.js';
import { buildLlamaTrainGraph, distillLoss, llamaLinears, type LlamaWeights } from '../../src/nn/llama_train.js';
import { byteLevelVocab, initLlamaWeights, llamaConfig } from '../../src/nn/llama_weights.js';
import { roundF16 } from '../../src/quant/f16.js';
import { dequantizeGguf } from '../../src/quant/gguf.js';
import { llamaLogitsRef, softmaxRows } from '../../src/ref/llama.js';
import { rng } from '../../src/ref/random.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { convertLinearGguf, initLsqScales, prepareLinears, quantizeLinear, type LinearQatConfig } from '../../src/train/qat_plan.js';
import { llamaCppLogits } from '../../runtime/llamacpp.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-lm-qat-'));
let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(() => {
  ctx?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const config = llamaConfig({ dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, ctx: 64, vocab: 260 });
/** Seeded weights at 5x the init scale, so the logits are far from uniform and a wrong weight shows. */
function weights(seed: number): LlamaWeights {
  const w = initLlamaWeights(config, seed);
  for (const [k, v] of Object.entries(w)) if (!k.includes('norm')) for (let i = 0; i < v.length; i++) v[i] *= 5;
  return w;
}
const IDS = [1, ...[...'ROMEO:\nBut, soft! what light'].map((ch) => 3 + ch.charCodeAt(0))];
const T = IDS.length;
const V = config.vocab;

/** The fake-quant weights of every planned Linear, as the training graph computes them. */
async function fakeQuantWeights(w: LlamaWeights, cfg: LinearQatConfig): Promise<Record<string, Float32Array>> {
  const linears = llamaLinears(config);
  const plan = prepareLinears(linears, cfg);
  const lsq = initLsqScales(plan, linears, w);
  const g = new Graph(ctx, 'fq');
  try {
    const outs = linears.map((l) => {
      const q = plan.get(l.name)!;
      const scale = q.learn ? g.param(lsqScaleName(l.name), [lsq[l.name].length], lsq[l.name]) : undefined;
      return fakeQuantWeight(g.param(l.name, [l.N, l.K], w[l.name]), q, scale);
    });
    const exe = await g.compile({ outputs: outs });
    await exe.run();
    const out: Record<string, Float32Array> = {};
    for (let i = 0; i < linears.length; i++) out[linears[i].name] = (await exe.read(outs[i])) as Float32Array;
    return out;
  } finally {
    g.destroy();
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('language-model QAT', () => {
  it('the GGUF blocks hold exactly what QAT trained against (Q4_0 / Q8_0 rules), or its codes with an f16 scale (torchao rule, LSQ)', async () => {
    const w = weights(1);
    const linears = llamaLinears(config);
    for (const cfg of [{ format: 'Q4_0' }, { format: 'Q8_0' }] as LinearQatConfig[]) {
      const fq = await fakeQuantWeights(w, cfg);
      const plan = prepareLinears(linears, cfg);
      for (const l of linears) {
        const g = await convertLinearGguf(ctx, w[l.name], l.N, l.K, plan.get(l.name)!, l.name);
        expect(g.type).toBe(cfg.format);
        const deq = dequantizeGguf(g.type, g.data, l.N, l.K, l.name);
        expect(maxDiff(deq, fq[l.name]), `${cfg.format} ${l.name}`).toBe(0);
      }
    }
    for (const cfg of [{ bits: 3 }, { bits: 2, group: 64 }, { bits: 6 }, { bits: 4, method: 'lsq' }] as LinearQatConfig[]) {
      const fq = await fakeQuantWeights(w, cfg);
      const plan = prepareLinears(linears, cfg);
      const lsq = initLsqScales(plan, linears, w);
      for (const l of linears) {
        const q = plan.get(l.name)!;
        const { codes, scales } = await quantizeLinear(ctx, w[l.name], l.N, l.K, q, l.name, lsq[l.name]);
        const sc = (i: number) => scales[Math.floor(i / q.group)];
        // The trained weights are code x scale; the file holds code x f16(scale).
        expect(maxDiff(fq[l.name], Float32Array.from(codes, (c, i) => Math.fround(c * sc(i)))), `${JSON.stringify(cfg)} ${l.name}: fake-quant = codes x scale`).toBe(0);
        const g = await convertLinearGguf(ctx, w[l.name], l.N, l.K, q, l.name, lsq[l.name]);
        expect(g.type).toBe(q.bits <= 4 ? 'Q4_0' : 'Q8_0');
        const deq = dequantizeGguf(g.type, g.data, l.N, l.K, l.name);
        expect(maxDiff(deq, Float32Array.from(codes, (c, i) => Math.fround(c * roundF16(sc(i))))), `${JSON.stringify(cfg)} ${l.name}: file = codes x f16(scale)`).toBe(0);
      }
    }
  });

  it('the converted model runs on the engine with the fake-quant logits, and llama.cpp agrees on it', async () => {
    const w = weights(2);
    const linears = llamaLinears(config);
    const plan = prepareLinears(linears, { format: 'Q4_0' });
    // The fake-quant forward of the training graph.
    const t = buildLlamaTrainGraph(ctx, config, w, { B: 1, T, quant: plan });
    let fq: Float32Array;
    try {
      const exe = await t.graph.compile({ outputs: [t.logits] });
      await exe.run({ ids: Int32Array.from(IDS), targets: new Int32Array(T) });
      fq = (await exe.read(t.logits)) as Float32Array;
    } finally {
      t.graph.destroy();
    }
    const bytes = await convertLlama(ctx, config, w, plan, {}, byteLevelVocab());
    const path = join(dir, 'qat-q4_0.gguf');
    writeFileSync(path, bytes);
    const file = parseGgufFile(bytes);
    expect(file.tensors.filter((x) => x.type === 'Q4_0').length).toBe(linears.length);
    const lm = await LanguageModel.load(ctx, path, { ctxLen: 64, kvType: 'f32', warmup: false });
    let ours: Float32Array;
    try {
      ours = await lm.logits(IDS);
    } finally {
      lm.dispose();
    }
    // Same weights, both f32: the logits agree to f32 rounding of the sums (|logit| <~ 10, K <= 128).
    const dz = maxDiff(ours, fq);
    expect(dz).toBeLessThanOrEqual(1e-3);
    // llama.cpp on the file: nibble's probabilities within its bound plus what llama.cpp's 8-bit activations do (E).
    const p = softmaxRows(ours, T, V);
    const exact = softmaxRows(llamaLogitsRef(file, IDS), T, V);
    const E = maxDiff(exact, softmaxRows(llamaLogitsRef(file, IDS, { cpuActivations: true }), T, V));
    const cpp = new Float64Array(T * V);
    (await llamaCppLogits(path, IDS)).forEach((x, i) => cpp.set(x, i * V));
    const vsCpp = maxDiff(p, cpp);
    console.log(`QAT Q4_0 model: converted vs fake-quant logits ${dz.toExponential(2)}; vs llama.cpp probabilities ${vsCpp.toExponential(2)} (E ${E.toExponential(2)})`);
    expect(maxDiff(p, exact)).toBeLessThanOrEqual(5e-4);
    expect(vsCpp).toBeLessThanOrEqual(5e-4 + 2 * E + 2e-5);
  });

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

  it('a QAT run (LSQ + distillation) reproduces bit for bit with one seed; a teacher of another vocabulary is refused', async () => {
    const text = 'ROMEO:\nBut, soft! what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n\n'.repeat(12);
    const data = textDataset(text, Tokenizer.fromGguf(byteLevelVocab()));
    const model = { config, weights: weights(3) };
    const o = { bits: 3, method: 'lsq' as const, distill: { temperature: 2 }, steps: 3, lr: 1e-3, batch: 2, seq: 32, seed: 4, valWindows: 4, metadata: byteLevelVocab() };
    const a = await qatLlama(ctx, model, data, o);
    const b = await qatLlama(ctx, model, data, o);
    for (const k of ['f32_start', 'f32_after', 'ptq', 'qat', 'converted'] as const) expect(Number.isFinite(a[k]), k).toBe(true);
    expect(a.recovered).toBeCloseTo(1 - (a.qat - a.f32_after) / (a.ptq - a.f32_start), 12);
    expect(b.losses).toEqual(a.losses);
    for (const [k, v] of Object.entries(a.weights)) expect(Buffer.from(b.weights[k].buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
    expect(Buffer.from(b.gguf).equals(Buffer.from(a.gguf))).toBe(true);
    // The converted file runs what QAT trained, up to the scales' f16 rounding.
    expect(Math.abs(a.converted - a.qat)).toBeLessThanOrEqual(0.02);
    const other = llamaConfig({ dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, ctx: 64, vocab: 300 });
    expect(() => buildLlamaTrainGraph(ctx, config, model.weights, { B: 1, T: 8, distill: { teacher: { config: other, weights: {} } } })).toThrow(/the teacher's vocabulary has 300 tokens, the student's 260/);
  });
});
