// Language-model QAT (src/lm/qat.ts, src/train/qat_plan.ts, the fake-quant Linear of src/nn/llama_train.ts), the
// same cases in Node and in Chromium:
//   - the converted GGUF's blocks dequantize bit for bit to the weights QAT trained against (ggml's Q4_0 / Q8_0
//     rules), and to the trained codes times the f16-rounded scale for the torchao rule and LSQ;
//   - the converted model on the inference engine gives the fake-quant logits (both f32: to the rounding of the sums);
//   - a short QAT run (LSQ + distillation) reproduces bit for bit with one seed.
// Node alone (test/kernels/lm_qat.test.ts): llama.cpp on the converted file, distillation by finite differences.
import { textDataset } from '../../src/data/text.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import { convertLlama, lsqScaleLr, qatLlama } from '../../src/lm/qat.js';
import { fakeQuantWeight, lsqScaleName } from '../../src/nn/linear_quant.js';
import { buildLlamaTrainGraph, llamaLinears, type LlamaWeights } from '../../src/nn/llama_train.js';
import { byteLevelVocab, initLlamaWeights, llamaConfig, llamaWeightsFromGguf } from '../../src/nn/llama_weights.js';
import { parseGgufFile } from '../../src/io/gguf.js';
import { roundF16 } from '../../src/quant/f16.js';
import { dequantizeGguf } from '../../src/quant/gguf.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { convertLinearGguf, initLsqScales, prepareLinears, quantizeLinear, type LinearQatConfig } from '../../src/train/qat_plan.js';
import { assert, type GpuCase } from './types.js';
import { loadBytes, maxDiff } from './lm_helpers.js';

export const QAT_LM_CONFIG = llamaConfig({ dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, ctx: 64, vocab: 260 });

/** Seeded weights at 5x the init scale, so the logits are far from uniform and a wrong weight shows. */
export function qatLmWeights(seed: number): LlamaWeights {
  const w = initLlamaWeights(QAT_LM_CONFIG, seed);
  for (const [k, v] of Object.entries(w)) if (!k.includes('norm')) for (let i = 0; i < v.length; i++) v[i] *= 5;
  return w;
}

/** BOS, then the bytes of a line (byte b is token 3 + b). */
export const QAT_LM_IDS = [1, ...[...'ROMEO:\nBut, soft! what light'].map((ch) => 3 + ch.charCodeAt(0))];

/** The fake-quant weights of every planned Linear, as the training graph computes them. */
async function fakeQuantWeights(ctx: GpuContext, w: LlamaWeights, cfg: LinearQatConfig): Promise<Record<string, Float32Array>> {
  const linears = llamaLinears(QAT_LM_CONFIG);
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

export const CASES: GpuCase[] = [
  {
    name: 'lm qat: the GGUF blocks hold exactly what QAT trained against (Q4_0 / Q8_0 rules), or its codes with an f16 scale (torchao rule, LSQ, midrise) and min (asymmetric, Q4_1)',
    async run(ctx) {
      const w = qatLmWeights(1);
      const linears = llamaLinears(QAT_LM_CONFIG);
      let n = 0;
      for (const cfg of [{ format: 'Q4_0' }, { format: 'Q8_0' }] as LinearQatConfig[]) {
        const fq = await fakeQuantWeights(ctx, w, cfg);
        const plan = prepareLinears(linears, cfg);
        for (const l of linears) {
          const g = await convertLinearGguf(ctx, w[l.name], l.N, l.K, plan.get(l.name)!, l.name);
          assert(g.type === cfg.format, `${l.name}: type ${g.type}`);
          const d = maxDiff(dequantizeGguf(g.type, g.data, l.N, l.K, l.name), fq[l.name]);
          assert(d === 0, `${cfg.format} ${l.name}: the file differs from the fake-quant weights by ${d}`);
          n++;
        }
      }
      // The torchao rule and LSQ: the codes times the f16-rounded scale. Midrise (2..3 bits, STE or LSQ): levels
      // (q + 0.5) * s, written as Q4_0 codes 2q + 1 at d = f16(s / 2), so f16 rounding is the only difference.
      const symCfgs = [{ bits: 3 }, { bits: 2, group: 64 }, { bits: 6 }, { bits: 4, method: 'lsq' }, { bits: 2, midrise: true, method: 'lsq', lsqInit: 'mse' }, { bits: 3, midrise: true }, { bits: 2, group: 64, midrise: true }];
      for (const cfg of symCfgs as LinearQatConfig[]) {
        const fq = await fakeQuantWeights(ctx, w, cfg);
        const plan = prepareLinears(linears, cfg);
        const lsq = initLsqScales(plan, linears, w);
        for (const l of linears) {
          const q = plan.get(l.name)!;
          const { codes, scales } = await quantizeLinear(ctx, w[l.name], l.N, l.K, q, l.name, lsq[l.name]);
          const sc = (i: number) => scales[Math.floor(i / q.group)];
          const what = `${JSON.stringify(cfg)} ${l.name}`;
          assert(codes.every((c) => c >= -(2 ** (q.bits - 1)) && c < 2 ** (q.bits - 1)), `${what}: codes outside the signed ${q.bits}-bit range`);
          const half = q.midrise ? 0.5 : 0;
          assert(maxDiff(fq[l.name], Float32Array.from(codes, (c, i) => Math.fround((c + half) * sc(i)))) === 0, `${what}: fake-quant != (codes + ${half}) x scale`);
          if (q.midrise) assert(fq[l.name].every((v) => v !== 0), `${what}: a midrise weight is 0`);
          const g = await convertLinearGguf(ctx, w[l.name], l.N, l.K, q, l.name, lsq[l.name]);
          assert(g.type === (q.bits <= 4 ? 'Q4_0' : 'Q8_0'), `${what}: type ${g.type}`);
          const deq = dequantizeGguf(g.type, g.data, l.N, l.K, l.name);
          const want = q.midrise ? Float32Array.from(codes, (c, i) => Math.fround((2 * c + 1) * roundF16(sc(i) / 2))) : Float32Array.from(codes, (c, i) => Math.fround(c * roundF16(sc(i))));
          assert(maxDiff(deq, want) === 0, `${what}: file != ${q.midrise ? '(2 codes + 1) x f16(scale / 2)' : 'codes x f16(scale)'}`);
          // f16 rounding of d: at most 2^-11 of it per unit of the stored code (|2q + 1| <= 2^bits - 1 for midrise).
          const bound = (q.midrise ? Math.max(...scales) / 2 : Math.max(...scales)) * 2 ** q.bits * 2 ** -11;
          assert(maxDiff(deq, fq[l.name]) <= bound, `${what}: file vs fake-quant ${maxDiff(deq, fq[l.name])} > ${bound}`);
          n++;
        }
      }
      // Asymmetric (torchao's asymmetric rule): codes in [0, 2^b - 1] with a zero point per group, written as Q4_1
      // (d = f16(s), m = f16(-s * z)); the file's values are u * d + m, the fake-quant's (u - z) * s to f16 rounding.
      for (const cfg of [{ bits: 3, symmetric: false }, { bits: 2, group: 64, symmetric: false }, { bits: 4, symmetric: false }] as LinearQatConfig[]) {
        const fq = await fakeQuantWeights(ctx, w, cfg);
        const plan = prepareLinears(linears, cfg);
        for (const l of linears) {
          const q = plan.get(l.name)!;
          const { codes, scales, zeros } = await quantizeLinear(ctx, w[l.name], l.N, l.K, q, l.name);
          const what = `${JSON.stringify(cfg)} ${l.name}`;
          assert(!!zeros && codes.every((c) => c >= 0 && c < 2 ** q.bits), `${what}: codes outside [0, 2^bits)`);
          const sc = (i: number) => scales[Math.floor(i / q.group)];
          const zp = (i: number) => zeros![Math.floor(i / q.group)];
          assert(maxDiff(fq[l.name], Float32Array.from(codes, (c, i) => Math.fround((c - zp(i)) * sc(i)))) === 0, `${what}: fake-quant != (codes - zero) x scale`);
          const g = await convertLinearGguf(ctx, w[l.name], l.N, l.K, q, l.name);
          assert(g.type === 'Q4_1', `${what}: type ${g.type}`);
          const deq = dequantizeGguf(g.type, g.data, l.N, l.K, l.name);
          const want = Float32Array.from(codes, (c, i) => Math.fround(c * roundF16(sc(i))) + roundF16(Math.fround(-sc(i) * zp(i))));
          assert(maxDiff(deq, want) === 0, `${what}: file != codes x f16(scale) + f16(-scale x zero)`);
          // f16 rounding of d and m: at most 2^-11 of |d| x 15 + 2^-11 of |m| per weight.
          const bound = Math.max(...scales) * (15 + 2 ** q.bits) * 2 ** -11;
          const d = maxDiff(deq, fq[l.name]);
          assert(d <= bound, `${what}: file vs fake-quant ${d} > ${bound}`);
          n++;
        }
      }
      return `${n} weights checked`;
    },
  },
  {
    name: 'lm qat: the converted Q4_0 model (and an asymmetric W3 one, Q4_1, and a midrise W2 one) on the engine gives the fake-quant logits',
    async run(ctx) {
      const w = qatLmWeights(2);
      const T = QAT_LM_IDS.length;
      const logitsOf = async (weights: LlamaWeights, quant?: ReturnType<typeof prepareLinears>): Promise<Float32Array> => {
        const t = buildLlamaTrainGraph(ctx, QAT_LM_CONFIG, weights, { B: 1, T, quant });
        try {
          const exe = await t.graph.compile({ outputs: [t.logits] });
          await exe.run({ ids: Int32Array.from(QAT_LM_IDS), targets: new Int32Array(T) });
          return (await exe.read(t.logits)) as Float32Array;
        } finally {
          t.graph.destroy();
        }
      };
      const out: string[] = [];
      for (const cfg of [{ format: 'Q4_0' }, { bits: 3, symmetric: false }, { bits: 2, midrise: true }] as LinearQatConfig[]) {
        const plan = prepareLinears(llamaLinears(QAT_LM_CONFIG), cfg);
        const fq = await logitsOf(w, plan);
        const bytes = await convertLlama(ctx, QAT_LM_CONFIG, w, plan, {}, byteLevelVocab());
        const lm = await loadBytes(ctx, bytes, { ctxLen: 64, kvType: 'f32', warmup: false });
        try {
          const z = await lm.logits(QAT_LM_IDS);
          // The file's own weights (dequantized on the CPU) through the f32 training forward: the engine's kernels
          // agree to the rounding of the sums (|z| < 10, K <= 128).
          const file = await logitsOf(llamaWeightsFromGguf(parseGgufFile(bytes, 'converted')).weights);
          const dFile = maxDiff(z, file);
          assert(dFile <= 1e-3, `${JSON.stringify(cfg)}: engine vs the file's weights in f32: logits differ by ${dFile}`);
          const dz = maxDiff(z, fq);
          // Q4_0 holds the fake-quant weights exactly; Q4_1 rounds each group's scale and min to f16 (<= 2^-11 of
          // each: measured 4.6e-3 here, on weights 5x the init scale).
          const bound = cfg.format ? 1e-3 : 2e-2;
          assert(dz <= bound, `${JSON.stringify(cfg)}: converted vs fake-quant logits differ by ${dz} (bound ${bound})`);
          out.push(`${cfg.format ?? (cfg.midrise ? 'W2 midrise' : 'W3 asym')}: max |dz| ${dz.toExponential(2)} (vs file weights ${dFile.toExponential(2)})`);
        } finally {
          lm.dispose();
        }
      }
      return `${out.join('; ')} over ${QAT_LM_IDS.length} x ${QAT_LM_CONFIG.vocab} logits`;
    },
  },
  {
    name: "lm qat: a short LSQ + distillation run reproduces bit for bit with one seed; LSQ from mse scales measured against the rule's PTQ",
    async run(ctx) {
      const text = 'ROMEO:\nBut, soft! what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n\n'.repeat(12);
      const data = textDataset(text, Tokenizer.fromGguf(byteLevelVocab()));
      const model = { config: QAT_LM_CONFIG, weights: qatLmWeights(3) };
      const o = { bits: 3, method: 'lsq' as const, distill: { temperature: 2 }, steps: 3, lr: 1e-3, batch: 2, seq: 32, seed: 4, valWindows: 4, metadata: byteLevelVocab() };
      const a = await qatLlama(ctx, model, data, o);
      const b = await qatLlama(ctx, model, data, o);
      for (const k of ['f32_start', 'f32_after', 'ptq', 'qat', 'converted'] as const) assert(Number.isFinite(a[k]), `${k} = ${a[k]}`);
      assert(Math.abs(a.recovered - (1 - (a.qat - a.f32_after) / (a.ptq - a.f32_start))) < 1e-12, 'recovered is not the formula');
      assert(a.losses.qat.every((v, i) => v === b.losses.qat[i]) && a.losses.f32.every((v, i) => v === b.losses.f32[i]), 'the losses differ between runs');
      for (const [k, v] of Object.entries(a.weights)) assert(v.every((x, i) => Object.is(x, b.weights[k][i])), `weight ${k} differs between runs`);
      assert(a.gguf.length === b.gguf.length && a.gguf.every((x, i) => x === b.gguf[i]), 'the GGUF files differ');
      // The converted file runs what QAT trained, up to the scales' f16 rounding (each weight moves by at most 2^-11
      // of itself): measured 5e-5 nats per byte here; a wrong code or scale moves the loss by 1e-2 or more.
      assert(Math.abs(a.converted - a.qat) <= 1e-3, `converted ${a.converted} vs QAT ${a.qat}`);
      assert(a.ptq_start === a.ptq, `LSQ from the rule's scales starts at PTQ: ${a.ptq_start} vs ${a.ptq}`);
      // LSQ from the least-squared-error scales: it starts elsewhere than the rule's PTQ, which stays the gap's
      // reference (measured on a forward-only graph: the same kernels, so to the f32 bound of the training graph's
      // forward). That the start is better shows on a trained model (test/unit/lm_qat_cli.test.ts), not on these
      // random weights.
      // The scales' learning rate is the width's rule by default ((3 / (2^3 - 1))^2 at 3 bits): the same run as that
      // rate given, another run than the weights' own rate.
      const d = await qatLlama(ctx, model, data, { ...o, lsqLrScale: lsqScaleLr(3) });
      assert(Math.abs(lsqScaleLr(3) - 9 / 49) < 1e-15 && lsqScaleLr(2) === 1 && Math.abs(lsqScaleLr(4) - 0.04) < 1e-15, 'lsqScaleLr is not (3 / (2^bits - 1))^2');
      assert(lsqScaleLr(2, true) === 0.5 && lsqScaleLr(3, true) === lsqScaleLr(3) / 2, 'lsqScaleLr on the midrise grid is not half the rule');
      assert(d.losses.qat.every((v, i) => v === a.losses.qat[i]) && d.qat === a.qat, `the default scale lr is not lsqScaleLr(3): ${d.qat} vs ${a.qat}`);
      const e = await qatLlama(ctx, model, data, { ...o, lsqLrScale: 1 });
      assert(e.qat !== a.qat && e.losses.qat[0] === a.losses.qat[0] && e.losses.qat[2] !== a.losses.qat[2], `the scale lr changes nothing: ${e.losses.qat} vs ${a.losses.qat}`);
      // On the midrise grid the default is half the rule's rate: the same run as that rate given.
      const f = await qatLlama(ctx, model, data, { ...o, distill: false, midrise: true });
      const g = await qatLlama(ctx, model, data, { ...o, distill: false, midrise: true, lsqLrScale: lsqScaleLr(3) / 2 });
      assert(f.losses.qat.every((v, i) => v === g.losses.qat[i]) && f.qat === g.qat, `the midrise default scale lr is not lsqScaleLr(3, true): ${f.qat} vs ${g.qat}`);
      assert(Math.abs(f.converted - f.qat) <= 1e-3, `midrise: converted ${f.converted} vs QAT ${f.qat}`);
      const c = await qatLlama(ctx, model, data, { ...o, distill: false, lsqInit: 'mse' });
      assert(Math.abs(c.ptq - a.ptq) <= 1e-5, `the rule's PTQ ${c.ptq} vs ${a.ptq}`);
      assert(Math.abs(c.ptq_start - c.ptq) > 1e-4, `LSQ's mse start ${c.ptq_start} is the rule's PTQ ${c.ptq}`);
      assert(Math.abs(c.converted - c.qat) <= 1e-3, `mse start: converted ${c.converted} vs QAT ${c.qat}`);
      return `QAT ${a.qat.toFixed(6)}, converted ${a.converted.toFixed(6)} nats/byte (|diff| ${Math.abs(a.converted - a.qat).toExponential(2)}); identical twice; mse start ${c.ptq_start.toFixed(4)}, PTQ ${c.ptq.toFixed(4)}`;
    },
  },
  {
    name: 'lm qat: method static trains the weights against the scales it starts from (the rule\'s), never moving them; LSQ moves its own',
    async run(ctx) {
      const text = 'ROMEO:\nBut, soft! what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n\n'.repeat(12);
      const data = textDataset(text, Tokenizer.fromGguf(byteLevelVocab()));
      const start = qatLmWeights(5);
      const model = { config: QAT_LM_CONFIG, weights: start };
      const o = { bits: 4, steps: 3, lr: 1e-3, batch: 2, seq: 32, seed: 4, valWindows: 4, metadata: byteLevelVocab(), distill: false as const };
      const st = await qatLlama(ctx, model, data, { ...o, method: 'static' });
      const plan = st.plan;
      assert([...plan.values()].every((q) => q.learn && q.frozen && !q.lsqInit), `the plan is not static from the rule: ${JSON.stringify([...plan.values()][0])}`);
      assert(st.ptq_start === st.ptq, `static from the rule's scales starts at PTQ: ${st.ptq_start} vs ${st.ptq}`);
      assert(Math.abs(st.converted - st.qat) <= 1e-3, `converted ${st.converted} vs QAT ${st.qat}`);
      const moved = Object.keys(start).filter((k) => st.weights[k].some((v, i) => v !== start[k][i]));
      assert(moved.length === Object.keys(start).length, `weights that did not train: ${Object.keys(start).filter((k) => !moved.includes(k)).join(', ')}`);
      // The converted file is the trained weights at the start weights' rule scales, byte for byte; LSQ's (scales
      // learning at 1x lr) is not.
      const linears = llamaLinears(QAT_LM_CONFIG);
      const again = await convertLlama(ctx, QAT_LM_CONFIG, st.weights, plan, initLsqScales(plan, linears, start), byteLevelVocab());
      assert(again.length === st.gguf.length && again.every((b, i) => b === st.gguf[i]), 'the static run\'s GGUF is not its weights at the start scales');
      const lsq = await qatLlama(ctx, model, data, { ...o, method: 'lsq', lsqLrScale: 1 });
      const lsqAgain = await convertLlama(ctx, QAT_LM_CONFIG, lsq.weights, lsq.plan, initLsqScales(lsq.plan, linears, start), byteLevelVocab());
      assert(lsqAgain.length !== lsq.gguf.length || lsqAgain.some((b, i) => b !== lsq.gguf[i]), 'LSQ\'s scales did not move either: the check cannot tell');
      assert(st.losses.qat[0] === lsq.losses.qat[0], `both start from the same quantized model: ${st.losses.qat[0]} vs ${lsq.losses.qat[0]}`);
      return `static QAT ${st.qat.toFixed(6)}, converted ${st.converted.toFixed(6)}; GGUF = trained weights at the start scales (${st.gguf.length} bytes); LSQ ${lsq.qat.toFixed(6)}`;
    },
  },
];
