// QAT with a GGUF export target (QatConfig.format) on the GPU, in Node and Chromium: the lossless contract (the
// exported file's Q4_0 / Q8_0 blocks dequantize bit for bit to the fake-quantized weights the QAT graph computes),
// convert stores the same codes and f16 scales (Q4_0's negative d included) and runs on the fused kernels, the file
// reads back to the same model, training with the format reduces the loss, and a torchao-rule layer is refused.
import { buildMlp, initMlp } from '../../src/nn/mlp.js';
import { parseGgufFile, ggufTensor } from '../../src/io/gguf.js';
import { dequantizeGguf } from '../../src/quant/gguf.js';
import { fakeQuantGgufRef } from '../../src/ref/fake_quant_gguf.js';
import { mlpForwardRef } from '../../src/ref/mlp.js';
import { exportMlpGguf, importMlpGguf } from '../../src/mlp/gguf_export.js';
import { convert, dequantizeLayer, prepare, QuantizedMlpRunner, type MlpModel } from '../../src/mlp/qat.js';
import { evaluate, train } from '../../src/mlp/trainer.js';
import { assert, expectError, type GpuCase } from './types.js';
import { toyData } from './qat_helpers.js';


const data = toyData(64, 17, 98);

function sameBits(what: string, got: Float32Array, ref: Float32Array): void {
  assert(got.length === ref.length, `${what}: ${got.length} values, reference ${ref.length}`);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(ref.buffer, ref.byteOffset, ref.length);
  for (let i = 0; i < a.length; i++) assert(a[i] === b[i], `${what}: element ${i} = ${got[i]}, reference ${ref[i]}`);
}

/** The fake-quantized weights as the QAT graph computes them (the fake_quant_gguf nodes buildMlp records). */
async function graphWeights(ctx: Parameters<GpuCase['run']>[0], model: MlpModel): Promise<Map<number, Float32Array>> {
  const mg = buildMlp(ctx, model.weights, { batch: 2, quant: model.quant, label: 'gguf-qat-weights' });
  try {
    const nodes = mg.graph.nodes.filter((n) => n.op === 'fake_quant_gguf');
    const exe = await mg.graph.compile({ outputs: nodes.map((n) => n.outputs[0]) });
    await exe.run();
    const out = new Map<number, Float32Array>();
    for (const n of nodes) out.set(mg.w.indexOf(n.inputs[0]), (await exe.read(n.outputs[0])) as Float32Array);
    return out;
  } finally {
    mg.graph.destroy();
  }
}

function losslessCase(format: 'Q4_0' | 'Q8_0', keepFloat: number[]): GpuCase {
  return {
    name: `gguf qat ${format}: the exported file dequantizes bit for bit to the QAT graph's weights; convert = file; fused model = fake-quant${keepFloat.length ? ' (last layer F32)' : ''}`,
    async run(ctx) {
      const sizes = [32, 64, 10];
      const model = prepare(initMlp(sizes, format === 'Q4_0' ? 6 : 7), { format, keepFloat });
      const fq = await graphWeights(ctx, model);
      assert(fq.size === 2 - keepFloat.length, `${fq.size} fake_quant_gguf nodes in the QAT graph`);
      const bytes = await exportMlpGguf(ctx, model);
      const file = parseGgufFile(bytes);
      const conv = await convert(ctx, model);
      const back = importMlpGguf(bytes);
      let values = 0;
      let negative = 0;
      for (let i = 0; i < 2; i++) {
        const N = sizes[i + 1];
        const K = sizes[i];
        const wt = ggufTensor(file, `blk.${i}.weight`);
        const bias = ggufTensor(file, `blk.${i}.bias`);
        sameBits(`blk.${i}.bias`, new Float32Array(bias.data.slice().buffer), model.weights.b[i]);
        if (keepFloat.includes(i)) {
          assert(wt.type === 'F32', `blk.${i}.weight is ${wt.type}, expected F32 (kept in float)`);
          sameBits(`blk.${i}.weight (F32)`, new Float32Array(wt.data.slice().buffer), model.weights.w[i]);
          continue;
        }
        assert(wt.type === format && wt.shape.join() === `${N},${K}` && wt.ne.join() === `${K},${N}`, `blk.${i}.weight is ${wt.type} [${wt.shape}] ne [${wt.ne}]`);
        const y = fq.get(i)!;
        // The lossless contract, and the CPU reference of the op on top.
        sameBits(`layer ${i}: file blocks vs QAT graph fake-quant`, dequantizeGguf(format, wt.data, N, K, wt.name), y);
        sameBits(`layer ${i}: QAT graph vs CPU reference`, y, fakeQuantGgufRef(model.weights.w[i], N, K, format).y);
        sameBits(`layer ${i}: convert vs QAT graph`, dequantizeLayer(conv.layers[i]), y);
        const l = conv.layers[i];
        const r = back.layers[i];
        assert(l.bits === (format === 'Q4_0' ? 4 : 8) && l.group === 32 && r.bits === l.bits && r.group === 32, `layer ${i}: convert ${l.bits}-bit g${l.group}, file ${r.bits}-bit g${r.group}`);
        assert(l.codes!.every((c, j) => c === r.codes![j]), `layer ${i}: convert's codes differ from the file's`);
        sameBits(`layer ${i}: convert's scales vs the file's d`, l.scales!, r.scales!);
        negative += l.scales!.filter((s) => s < 0).length;
        values += N * K;
      }
      if (format === 'Q4_0') assert(negative > 0, 'no negative Q4_0 d: the symmetric layout with d < 0 was not exercised');
      // The converted model on the fused kernels (negative scales and all) against f64 and the fake-quant model.
      const runner = await QuantizedMlpRunner.create(ctx, conv, data.count);
      const runner2 = await QuantizedMlpRunner.create(ctx, back, data.count);
      let got: Float32Array;
      let got2: Float32Array;
      try {
        got = await runner.run(data.x);
        got2 = await runner2.run(data.x);
        assert(keepFloat.length > 0 || runner.variant.startsWith('fused'), runner.variant); // a float layer: the runner's f32 path
      } finally {
        runner.destroy();
        runner2.destroy();
      }
      sameBits('logits of the model read back from the file vs convert', got2, got);
      const fqLogits = (await evaluate(ctx, model, data)).logits;
      const ref = mlpForwardRef(conv.sizes, conv.layers.map(dequantizeLayer), conv.layers.map((l) => l.bias), data.x, data.count);
      let worst = 0;
      for (let i = 0; i < got.length; i++) {
        const bound = 2 * ref.bound[i] + Number.MIN_VALUE;
        for (const [what, v] of [['converted', got[i]], ['fake-quant', fqLogits[i]]] as const) {
          const err = Math.abs(v - ref.logits[i]);
          assert(err <= bound, `${what} logit ${i} = ${v}, f64 reference ${ref.logits[i]}, |err| ${err.toExponential(3)} > bound ${bound.toExponential(3)}`);
          worst = Math.max(worst, err / bound);
        }
      }
      return `${values} weights identical (file, graph, convert); ${negative} negative d; ${got.length} logits within the bound (worst ${(worst * 100).toFixed(1)}%)`;
    },
  };
}

export const CASES: GpuCase[] = [
  losslessCase('Q4_0', []),
  losslessCase('Q8_0', []),
  losslessCase('Q8_0', [1]),
  {
    name: 'gguf qat Q4_0: training with the GGUF rule reduces the loss and reproduces bit for bit',
    async run(ctx) {
      const model = prepare(initMlp([32, 32, 4], 3), { format: 'Q4_0' });
      const opts = { epochs: 3, batch: 16, lr: 0.03, seed: 5 };
      const a = await train(ctx, model, data, opts);
      const b = await train(ctx, model, data, opts);
      const head = a.losses.slice(0, 2).reduce((s, v) => s + v, 0) / 2;
      const tail = a.losses.slice(-2).reduce((s, v) => s + v, 0) / 2;
      assert(tail < 0.7 * head, `loss did not fall: ${head.toFixed(4)} -> ${tail.toFixed(4)}`);
      assert(a.losses.every((v, i) => v === b.losses[i]), 'runs differ');
      return `loss ${head.toFixed(4)} -> ${tail.toFixed(4)} over ${a.losses.length} steps, identical twice`;
    },
  },
  {
    name: 'error: exportMlpGguf refuses a layer fake-quantized with the torchao rule, naming it',
    async run(ctx) {
      const m = await expectError('torchao', () => exportMlpGguf(ctx, prepare(initMlp([32, 32, 4], 1), { bits: 4, group: 32, keepFloat: [1] })));
      assert(/layer 0 \(w0 \[32, 32\]\) is fake-quantized with the symmetric 4-bit g32 rule.*format: 'Q4_0' \| 'Q8_0'/.test(m), m);
      return m;
    },
  },
];
