// AdaQAT with run-time code ranges (shaders/quant/fake_quant*.wgsl RANGE, src/train/adaqat.ts, src/lm/qat_bits.ts),
// the same cases in Node and in Chromium:
//   - a fake-quant whose [qmin, qmax] is read from a constant, rewritten between runs, gives bit for bit what the
//     quantizer planned at that bit-width gives: forward, data-derived scales and the STE backward, at 2..8 bits,
//     for weights (symmetric, per group) and activations (asymmetric, per token);
//   - on a language model, the losses AdaQAT probes through the ranges equal those of graphs built at fixed bits;
//   - `nibble lm qat --method adaqat` in short: a large cost lowers the bits, the run reproduces bit for bit, the
//     converted GGUF (Q4_0 / Q8_0 per layer) gives the fake-quant loss at the chosen bits, PTQ is measured there.
import { textDataset } from '../../src/data/text.js';
import { Graph } from '../../src/graph/graph.js';
import type { Tensor } from '../../src/graph/tensor.js';
import { qatLlama } from '../../src/lm/qat.js';
import { adaptivePlan, LmAdaQat } from '../../src/lm/qat_bits.js';
import { validationLoss } from '../../src/lm/pretrain.js';
import { buildLlamaTrainGraph, llamaLinears } from '../../src/nn/llama_train.js';
import { byteLevelVocab } from '../../src/nn/llama_weights.js';
import * as ops from '../../src/ops/index.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { prepareLinears } from '../../src/train/qat_plan.js';
import type { GraphTrainer } from '../../src/train/graph_trainer.js';
import { QAT_LM_CONFIG, qatLmWeights } from './lm_qat.cases.js';
import { assert, type GpuCase } from './types.js';

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

const SHAKES = 'ROMEO:\nBut, soft! what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n\n'.repeat(12);

export const CASES: GpuCase[] = [
  {
    name: 'adaqat ranges: a run-time code range equals the quantizer planned at that bit-width (forward, scales, STE backward), 2..8 bits',
    async run(ctx) {
      const rows = 6;
      const K = 64;
      const xv = rand(rows * K, 11, 2);
      const rv = rand(rows * K, 12);
      const kinds = [
        { what: 'weights, symmetric per group of 32', symmetric: true, granularity: { kind: 'group' as const, group: 32 } },
        { what: 'activations, asymmetric per token', symmetric: false, granularity: { kind: 'token' as const } },
      ];
      let checked = 0;
      for (const k of kinds) {
        // One graph with the range constant (planned at 8 bits), one per fixed bit-width.
        const build = (bits: number, ranged: boolean) => {
          const g = new Graph(ctx, 'range');
          const x = g.param('x', [rows, K], xv);
          const range = ranged ? g.constant(ops.rangeFor(8, k.symmetric), [2], 'f32', 'x.qrange') : undefined;
          const y = ops.fakeQuant(x, { bits, symmetric: k.symmetric, granularity: k.granularity }, range);
          const loss = ops.sum(ops.mul(y, g.constant(rv, [rows, K], 'f32', 'r')));
          const gx = g.backward(loss, [x]).get(x)!;
          return { g, y, gx, range };
        };
        const a = build(8, true);
        try {
          const exe = await a.g.compile({ outputs: [a.y, a.gx] });
          for (let bits = 2; bits <= 8; bits++) {
            const r = a.g.persistentRange(a.range!.storage);
            ctx.write(r.buffer, ops.rangeFor(bits, k.symmetric), r.offset);
            await exe.run();
            const ya = (await exe.read(a.y)) as Float32Array;
            const ga = (await exe.read(a.gx)) as Float32Array;
            const b = build(bits, false);
            try {
              const eb = await b.g.compile({ outputs: [b.y, b.gx] });
              await eb.run();
              assert(same(ya, (await eb.read(b.y)) as Float32Array), `${k.what}, ${bits} bits: the forward differs from the fixed quantizer's`);
              assert(same(ga, (await eb.read(b.gx)) as Float32Array), `${k.what}, ${bits} bits: the STE gradient differs from the fixed quantizer's`);
            } finally {
              b.g.destroy();
            }
            // A wrong range shows: the 2-bit output has at most 4 levels per group (per token: 4 levels per row).
            if (bits === 2) for (let r = 0; r < rows; r++) assert(new Set(ya.subarray(r * K, r * K + 32)).size <= 4, `${k.what}: 2 bits gave more than 4 levels`);
            checked++;
          }
        } finally {
          a.g.destroy();
        }
      }
      return `${checked} bit-widths x kinds bit-identical to the fixed quantizers`;
    },
  },
  {
    name: 'lm adaqat: the losses probed through the range constants equal graphs built at those bit-widths',
    async run(ctx) {
      const w = qatLmWeights(5);
      const linears = llamaLinears(QAT_LM_CONFIG);
      const prepared = prepareLinears(linears, { bits: 5 });
      const ada = new LmAdaQat(ctx, linears, prepared, {});
      const plan = adaptivePlan(prepared, {});
      const data = textDataset(SHAKES, Tokenizer.fromGguf(byteLevelVocab()));
      const T = 32;
      const ids = Int32Array.from(data.train.subarray(0, 2 * T));
      const targets = Int32Array.from(data.train.subarray(1, 2 * T + 1));
      const batch = { ids, targets };
      const t = buildLlamaTrainGraph(ctx, QAT_LM_CONFIG, w, { B: 2, T, quant: plan });
      const lossAt = async (tr: Pick<GraphTrainer, 'evaluate'>) => validationLoss(tr, [batch], data);
      try {
        ada.attachLlama(t);
        const exe = await t.graph.compile({ outputs: [t.ce] });
        const ev = { evaluate: async (inputs: Record<string, ArrayBufferView>) => (await exe.run(inputs), (await exe.read(t.ce)) as Float32Array) };
        const out: string[] = [];
        // The current bits (5 everywhere), one layer moved down, and every layer at 2 bits.
        const configs = [ada.bits(), ada.bits({ layer: 3, kind: 'weight' }, -1), ada.bits().map(() => ({ weight: 2, act: null }))];
        for (const c of configs) {
          ada.writeBits(c);
          const probed = await lossAt(ev);
          const fixed = new Map([...prepared].map(([n, q]) => [n, { ...q, bits: c[linears.findIndex((l) => l.name === n)].weight! }]));
          const f = buildLlamaTrainGraph(ctx, QAT_LM_CONFIG, w, { B: 2, T, quant: fixed });
          try {
            const fe = await f.graph.compile({ outputs: [f.ce] });
            const ref = await lossAt({ evaluate: async (inputs) => (await fe.run(inputs), (await fe.read(f.ce)) as Float32Array) });
            assert(Object.is(probed, ref), `bits ${c.map((x) => x.weight).join('/')}: probed ${probed}, fixed graph ${ref}`);
            out.push(probed.toFixed(4));
          } finally {
            f.graph.destroy();
          }
        }
        // The range matters (random weights: the 2-bit loss differs from the 5-bit one, in either direction).
        assert(Math.abs(Number(out[2]) - Number(out[0])) > 1e-3, `the 2-bit loss ${out[2]} equals the 5-bit loss ${out[0]}: the range is not read`);
        return `losses ${out.join(', ')} (5 bits, ${linears[3].name} at 4, all at 2) equal the fixed graphs'`;
      } finally {
        t.graph.destroy();
      }
    },
  },
  {
    name: 'lm adaqat: a large cost lowers the bits, the run reproduces bit for bit, converted equals fake-quant at the chosen bits',
    async run(ctx) {
      const data = textDataset(SHAKES, Tokenizer.fromGguf(byteLevelVocab()));
      const model = { config: QAT_LM_CONFIG, weights: qatLmWeights(6) };
      const o = { bits: 6, adaqat: { lambda: 2, lr: 2 }, steps: 3, lr: 1e-3, batch: 2, seq: 32, seed: 7, valWindows: 4, metadata: byteLevelVocab() };
      const a = await qatLlama(ctx, model, data, o);
      const b = await qatLlama(ctx, model, data, o);
      const r = a.adaqat!;
      assert(r.updates === 3, `${r.updates} updates, expected 3`);
      assert(r.meanBits < 6, `a large cost left the mean bit-width at ${r.meanBits}`);
      assert(JSON.stringify(r) === JSON.stringify(b.adaqat), 'the chosen bits differ between runs');
      assert(a.losses.qat.every((v, i) => v === b.losses.qat[i]), 'the losses differ between runs');
      assert(a.gguf.length === b.gguf.length && a.gguf.every((x, i) => x === b.gguf[i]), 'the GGUF files differ');
      for (const [name, q] of a.plan) assert(q.bits === r.bits[name] && !q.adaptive, `${name}: converted at ${q.bits} bits, AdaQAT chose ${r.bits[name]}`);
      // The converted file (Q4_0 at <= 4 bits, Q8_0 above) runs the trained codes with f16-rounded scales: 1e-3 bound as lm qat's.
      assert(Math.abs(a.converted - a.qat) <= 1e-3, `converted ${a.converted} vs QAT ${a.qat}`);
      assert(Number.isFinite(a.ptq) && Number.isFinite(a.recovered), `ptq ${a.ptq}, recovered ${a.recovered}`);
      // With --act the inputs' widths are learned too (BitOPs cost): they leave 8 bits, the plan carries them.
      const c = await qatLlama(ctx, model, data, { ...o, act: true, steps: 2 });
      const ib = c.adaqat!.inputBits!;
      assert(Object.keys(ib).length === a.plan.size && Object.values(ib).some((b) => b < 8), `input bits ${JSON.stringify(ib)}`);
      for (const [name, q] of c.plan) assert(!!q.act && q.actBits === ib[name] && !q.actAdaptive, `${name}: input at ${q.actBits} bits, AdaQAT chose ${ib[name]}`);
      return `bits ${Object.values(r.bits).join('/')} (mean ${r.meanBits.toFixed(2)}), QAT ${a.qat.toFixed(5)}, converted ${a.converted.toFixed(5)}; identical twice; with --act inputs ${Object.values(ib).join('/')}`;
    },
  },
];
