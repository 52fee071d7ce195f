// The QAT workflow on the GPU (Node and Chromium): the fake_quant graph op, training that reduces the loss and
// reproduces bit for bit, convert == fake-quant, checkpoint resume, NaN handling, bad configurations.
import { initMlp } from '../../src/nn/mlp.js';
import * as ops from '../../src/ops/index.js';
import { Graph } from '../../src/graph/graph.js';
import { fakeQuantLayout, qparamsRef, qRange } from '../../src/ref/fake_quant.js';
import { mlpForwardRef } from '../../src/ref/mlp.js';
import { randomF32 } from '../../src/ref/random.js';
import { toF16 } from '../../src/ref/f16.js';
import { convert, dequantizeLayer, prepare, QuantizedMlpRunner } from '../../src/mlp/qat.js';
import { evaluate, train } from '../../src/mlp/trainer.js';
import { assert, expectError, type GpuCase } from './types.js';
import { toyData } from './qat_helpers.js';


const SIZES = [32, 32, 4];
const data = toyData(96, 7);

function roundHalfEven(t: number): number {
  const f = Math.floor(t);
  const d = t - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

export const CASES: GpuCase[] = [
  {
    name: 'qat: fake_quant op forward equals the reference, backward is the STE clip mask',
    async run(ctx) {
      const N = 6;
      const K = 32;
      const w = randomF32(N * K, 11, -2, 2);
      const c = randomF32(N * K, 12, -1, 1);
      const g = new Graph(ctx, 'fq-op');
      try {
        const W = g.param('w', [N, K], w);
        const C = g.constant(c, [N, K]);
        const y = ops.fakeQuant(W, { bits: 4, symmetric: true, granularity: { kind: 'group', group: 16 } });
        const loss = ops.sum(ops.mul(y, C));
        const gw = ops.contiguous(g.backward(loss, [W]).get(W)!);
        const exe = await g.compile({ outputs: [y, gw] });
        await exe.run();
        const got = await exe.read(y);
        const grad = await exe.read(gw);
        const { qmin, qmax } = qRange(4, true);
        const L = fakeQuantLayout([N, K], { kind: 'group', group: 16 });
        const qp = qparamsRef(w, L, qmin, qmax, 'symmetric');
        let clipped = 0;
        for (let i = 0; i < N * K; i++) {
          const s = qp.scale[Math.floor(i / 16)];
          const inv = Math.fround(1 / s);
          const r = roundHalfEven(Math.fround(w[i] * inv));
          const code = Math.min(qmax, Math.max(qmin, r));
          assert(got[i] === Math.fround(code * s), `y[${i}] = ${got[i]}, reference ${Math.fround(code * s)}`);
          const inside = r >= qmin && r <= qmax;
          if (!inside) clipped++;
          assert(grad[i] === (inside ? c[i] : 0), `grad[${i}] = ${grad[i]}, expected ${inside ? c[i] : 0} (STE mask)`);
        }
        return `${N * K} values identical; ${clipped} clipped`;
      } finally {
        g.destroy();
      }
    },
  },
  {
    // A Linear uses transpose(fake_quant(w)): the gradient reaching fake_quant is a strided view and must be read as one.
    name: 'qat: fake_quant backward through a transpose (a Linear weight) gets the transposed gradient',
    async run(ctx) {
      const N = 4;
      const K = 32;
      const w = randomF32(N * K, 21, -2, 2);
      const c = randomF32(K * N, 22, -1, 1); // [K, N]
      const g = new Graph(ctx, 'fq-transpose');
      try {
        const W = g.param('w', [N, K], w);
        const C = g.constant(c, [K, N]);
        const y = ops.transpose(ops.fakeQuant(W, { bits: 4, symmetric: true, granularity: { kind: 'group', group: 16 } }));
        const loss = ops.sum(ops.mul(y, C));
        const gw = ops.contiguous(g.backward(loss, [W]).get(W)!);
        const exe = await g.compile({ outputs: [gw] });
        await exe.run();
        const grad = await exe.read(gw);
        const { qmin, qmax } = qRange(4, true);
        const qp = qparamsRef(w, fakeQuantLayout([N, K], { kind: 'group', group: 16 }), qmin, qmax, 'symmetric');
        for (let n = 0; n < N; n++) {
          for (let k = 0; k < K; k++) {
            const i = n * K + k;
            const r = roundHalfEven(Math.fround(w[i] * Math.fround(1 / qp.scale[Math.floor(i / 16)])));
            const want = r >= qmin && r <= qmax ? c[k * N + n] : 0;
            assert(grad[i] === want, `grad w[${n}, ${k}] = ${grad[i]}, expected ${want} (C^T under the STE mask)`);
          }
        }
        return `${N * K} gradients equal C^T under the STE mask`;
      } finally {
        g.destroy();
      }
    },
  },
  {
    name: 'qat: training reduces the loss and reproduces bit for bit with the same seed',
    async run(ctx) {
      const model = prepare(initMlp(SIZES, 3), { bits: 4, group: 16, act: true });
      const opts = { epochs: 4, batch: 16, lr: 0.03, seed: 5 };
      const a = await train(ctx, model, data, opts);
      const b = await train(ctx, model, data, opts);
      assert(a.losses.length === 24, `${a.losses.length} steps`);
      const head = a.losses.slice(0, 3).reduce((s, v) => s + v, 0) / 3;
      const tail = a.losses.slice(-3).reduce((s, v) => s + v, 0) / 3;
      assert(tail < 0.7 * head, `loss did not fall: first steps ${head.toFixed(4)}, last steps ${tail.toFixed(4)}`);
      assert(a.losses.every((v, i) => v === b.losses[i]), `runs differ: ${a.losses.join(',')} vs ${b.losses.join(',')}`);
      assert(a.weights.w.every((w, i) => w.every((v, j) => v === b.weights.w[i][j])), 'final weights differ between runs');
      return `loss ${head.toFixed(4)} -> ${tail.toFixed(4)}, identical over ${a.losses.length} steps`;
    },
  },
  {
    name: 'qat: the converted W4 model (fused kernel) equals the fake-quant model to f32 tolerance',
    async run(ctx) {
      const w0 = initMlp([32, 48, 10], 4);
      const model = prepare(w0, { bits: 4, group: 16 });
      const fq = await evaluate(ctx, model, { ...data, y: data.y });
      const conv = await convert(ctx, model);
      const runner = await QuantizedMlpRunner.create(ctx, conv, data.count);
      const got = await runner.run(data.x);
      runner.destroy();
      assert(runner.variant.startsWith('fused W4A16'), runner.variant);
      const ref = mlpForwardRef(conv.sizes, conv.layers.map(dequantizeLayer), conv.layers.map((l) => l.bias), data.x, data.count);
      let worst = 0;
      for (let i = 0; i < got.length; i++) {
        const bound = 2 * ref.bound[i] + Number.MIN_VALUE;
        for (const [what, v] of [['converted', got[i]], ['fake-quant', fq.logits[i]]] as const) {
          const err = Math.abs(v - ref.logits[i]);
          assert(err <= bound, `${what} logit ${i} = ${v}, f64 reference ${ref.logits[i]}, |err| ${err.toExponential(3)} > bound ${bound.toExponential(3)}`);
          worst = Math.max(worst, err / bound);
        }
      }
      return `${got.length} logits within the bound (worst ${(worst * 100).toFixed(1)}%)`;
    },
  },
  {
    name: 'qat: the converted W4 / W8 models served with f16 activations (W4A16 proper) match f64 within the f16 bound; auto and refusals',
    async run(ctx) {
      const msgs: string[] = [];
      for (const bits of [4, 8]) {
        const conv = await convert(ctx, prepare(initMlp([32, 48, 64, 10], 6 + bits), { bits, group: 16 }));
        const runner = await QuantizedMlpRunner.create(ctx, conv, data.count, { activations: 'f16' });
        const r32 = await QuantizedMlpRunner.create(ctx, conv, data.count);
        let got: Float32Array;
        let got32: Float32Array;
        try {
          got = await runner.run(data.x);
          got32 = await r32.run(data.x);
        } finally {
          runner.destroy();
          r32.destroy();
        }
        assert(runner.activations === 'f16' && runner.variant.startsWith(`fused W${bits}A16 matmul (f16 activations`), runner.variant);
        // The runner rounds x to f16 on the way in: the reference starts from those values.
        const x16 = toF16(data.x).values;
        const ref = mlpForwardRef(conv.sizes, conv.layers.map(dequantizeLayer), conv.layers.map((l) => l.bias), x16, data.count, { products: ctx.caps.shaderF16 });
        let worst = 0;
        let differ = 0;
        for (let i = 0; i < got.length; i++) {
          const bound = 2 * ref.bound[i] + Number.MIN_VALUE;
          const err = Math.abs(got[i] - ref.logits[i]);
          assert(err <= bound, `W${bits} f16 logit ${i} = ${got[i]}, f64 reference ${ref.logits[i]}, |err| ${err.toExponential(3)} > bound ${bound.toExponential(3)}`);
          worst = Math.max(worst, err / bound);
          if (got[i] !== got32[i]) differ++;
        }
        // The activations must really be f16: the logits are not those of the f32-activation runner.
        assert(differ > got.length / 2, `W${bits}: only ${differ} of ${got.length} logits differ from the f32-activation runner's: were the activations rounded to f16?`);
        msgs.push(`W${bits}: ${got.length} logits within the f16 bound (worst ${(worst * 100).toFixed(1)}%), ${differ} differ from f32 activations`);
      }
      const actModel = await convert(ctx, prepare(initMlp(SIZES, 2), { bits: 4, group: 16, act: true }));
      const auto = await QuantizedMlpRunner.create(ctx, actModel, 4, { activations: 'auto' });
      auto.destroy();
      assert(auto.activations === 'f32', `auto on an A8 model chose ${auto.activations}`);
      const m = await expectError('f16 on an A8 model', () => QuantizedMlpRunner.create(ctx, actModel, 4, { activations: 'f16' }));
      assert(/layer 0 quantizes its activations to 8 bits/.test(m), m);
      msgs.push(m);
      return msgs.join(' | ');
    },
  },
  {
    name: 'qat: a resumed checkpoint continues with the same losses as an uninterrupted run',
    async run(ctx) {
      const model = prepare(initMlp(SIZES, 8), { bits: 4, group: 16 });
      const opts = { epochs: 2, batch: 16, lr: 0.01, seed: 9 };
      const full = await train(ctx, model, data, opts);
      let saved: Uint8Array | null = null;
      const first = await train(ctx, model, data, { ...opts, stopAtStep: 5, onCheckpoint: (b) => void (saved = b) });
      assert(saved !== null && first.steps === 5, 'no checkpoint at step 5');
      const rest = await train(ctx, model, data, { ...opts, resume: saved! });
      const joined = [...first.losses, ...rest.losses];
      assert(joined.length === full.losses.length, `${joined.length} vs ${full.losses.length} steps`);
      assert(joined.every((v, i) => v === full.losses[i]), `resumed losses differ: ${joined.slice(4, 8)} vs ${full.losses.slice(4, 8)}`);
      return `step 6 loss ${rest.losses[0]} equal to the uninterrupted run`;
    },
  },
  {
    name: 'qat: a NaN loss stops training, naming the step and the last good checkpoint',
    async run(ctx) {
      const model = prepare(initMlp(SIZES, 8), { bits: 4, group: 16 });
      const bad = { ...data, x: data.x.slice() };
      bad.x[5 * 32 + 3] = NaN; // row 5 is in some batch of the first epoch
      let last = -1;
      const msg = await expectError('nan', () => train(ctx, model, bad, { epochs: 1, batch: 16, lr: 0.01, seed: 1, checkpointEvery: 1, onCheckpoint: (_b, s) => void (last = s) }));
      assert(/the loss is NaN at step (\d+) \(lower the learning rate, or clip the gradient norm\); the last good checkpoint is from step (\d+)$/.test(msg), msg);
      const m = /at step (\d+) .*from step (\d+)/.exec(msg)!;
      assert(Number(m[2]) === last && Number(m[2]) === Number(m[1]) - 1, `checkpoint ${last} vs message ${msg}`);
      return msg;
    },
  },
  {
    name: 'qat: bad configurations are refused with the layer named',
    async run(ctx) {
      const w = initMlp([32, 48, 10], 1);
      const a = await expectError('bits', () => prepare(w, { bits: 9 }));
      assert(/layer 0: bits=9 is not an integer in 2..8/.test(a), a);
      const b = await expectError('group', () => prepare(w, { group: 20 }));
      assert(/layer 0: group size 20 does not divide K=32/.test(b), b);
      const c = await expectError('features', () => train(ctx, prepare(initMlp([16, 8, 4], 1), { group: 8 }), data, { epochs: 1, batch: 8, lr: 1, seed: 0 }));
      assert(/data has 32 features, the model takes 16/.test(c), c);
      return [a, b, c].join(' | ');
    },
  },
];
