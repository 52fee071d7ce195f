// Learned quantizers in the QAT workflow (LSQ weight scales, LSQ+ activation scale and zero point): the graph op
// against the CPU reference, training, checkpoints, convert == fake-quant, and 5..7-bit layers on the 8-bit kernel.
import { Graph } from '../../src/graph/graph.js';
import { decodeModel, encodeModel } from '../../src/io/model.js';
import { initMlp } from '../../src/nn/mlp.js';
import * as ops from '../../src/ops/index.js';
import { fakeQuantBackwardRef, fakeQuantForwardRef, fakeQuantLayout, lsqGradFactor, pactBackwardRef, pactForwardRef, qRange } from '../../src/ref/fake_quant.js';
import { mlpForwardRef } from '../../src/ref/mlp.js';
import { randomF32 } from '../../src/ref/random.js';
import { convert, dequantizeLayer, prepare, QuantizedMlpRunner } from '../../src/mlp/qat.js';
import { evaluate, train } from '../../src/mlp/trainer.js';
import { assert, expectError, type GpuCase } from './types.js';
import { convertedMatchesFakeQuant, toyData } from './qat_helpers.js';


const SIZES = [32, 32, 4];
const data = toyData(96, 7);
const calib = { x: data.x, rows: 32 };

export const CASES: GpuCase[] = [
  {
    name: 'lsq: fake_quant_lsq op forward and its x / scale / zero-point gradients equal the reference',
    async run(ctx) {
      const N = 4;
      const K = 32;
      const x = randomF32(N * K, 21, -2, 2);
      const c = randomF32(N * K, 22, -1, 1);
      const out: string[] = [];
      for (const [what, gran, bits, sym] of [['weights g16', { kind: 'group', group: 16 }, 4, true], ['activations per tensor', { kind: 'tensor' }, 3, false]] as const) {
        const L = fakeQuantLayout([N, K], gran);
        const { qmin, qmax } = qRange(bits, sym);
        const scale = Float32Array.from({ length: L.channels }, (_, i) => 0.15 + 0.05 * i);
        const zp = Float32Array.from({ length: L.channels }, (_, i) => (sym ? 0 : 3 + i));
        const g = new Graph(ctx, 'lsq-op');
        try {
          const X = g.param('x', [N, K], x);
          const S = g.param('s', [L.channels], scale);
          const Z = g.param('z', [L.channels], zp);
          const y = ops.fakeQuantLearnable(X, S, Z, { bits, symmetric: sym, granularity: gran, learnZeroPoint: !sym });
          const loss = ops.sum(ops.mul(y, g.constant(c, [N, K])));
          const grads = g.backward(loss, sym ? [X, S] : [X, S, Z]);
          const outs = [y, grads.get(X)!, grads.get(S)!, ...(sym ? [] : [grads.get(Z)!])];
          const exe = await g.compile({ outputs: outs });
          await exe.run();
          const [gy, gx, gs, gz] = await Promise.all(outs.map((t) => exe.read(t)));
          const fw = fakeQuantForwardRef(x, scale, zp, L, qmin, qmax);
          const bw = fakeQuantBackwardRef(x, c, scale, zp, L, qmin, qmax, lsqGradFactor(L.numel / L.channels, qmax));
          for (let i = 0; i < N * K; i++) {
            assert(gy[i] === fw.y[i], `${what}: y[${i}] = ${gy[i]}, reference ${fw.y[i]}`);
            assert(gx[i] === bw.gradX[i], `${what}: grad_x[${i}] = ${gx[i]}, reference ${bw.gradX[i]}`);
          }
          for (let ch = 0; ch < L.channels; ch++) {
            // f32 reduction against the f64 sum: within 2 * perScale * u * sum |terms|.
            const bound = 2 * bw.perScale * 2 ** -24 * bw.absScale[ch] + 1e-30;
            assert(Math.abs(gs[ch] - bw.gradScale[ch]) <= bound, `${what}: grad_scale[${ch}] = ${gs[ch]}, reference ${bw.gradScale[ch]}`);
            if (!sym) assert(Math.abs(gz[ch] - bw.gradZeroPoint[ch]) <= 2 * bw.perScale * 2 ** -24 * bw.absZeroPoint[ch] + 1e-30, `${what}: grad_zero_point[${ch}] = ${gz[ch]}, reference ${bw.gradZeroPoint[ch]}`);
          }
          out.push(`${what}: grad_scale[0] ${gs[0].toExponential(4)}`);
        } finally {
          g.destroy();
        }
      }
      return out.join('; ');
    },
  },
  {
    name: 'lsq: learned weight and activation quantizers train, reproduce, resume and convert to what they fake-quantized',
    async run(ctx) {
      const model = prepare(initMlp(SIZES, 3), { bits: 4, group: 16, act: true, learn: true }, calib);
      const q0 = model.qparams!;
      assert(Object.keys(q0).sort().join(',') === 'a0.scale,a0.zero_point,a1.scale,a1.zero_point,w0.scale,w1.scale', Object.keys(q0).join(','));
      const opts = { epochs: 2, batch: 16, lr: 0.02, seed: 5 };
      const a = await train(ctx, model, data, opts);
      const b = await train(ctx, model, data, opts);
      assert(a.losses.every((v, i) => v === b.losses[i]), 'runs differ');
      const head = (a.losses[0] + a.losses[1]) / 2;
      const tail = (a.losses[10] + a.losses[11]) / 2;
      assert(tail < 0.7 * head, `loss did not fall: ${head} -> ${tail}`);
      const moved = Object.keys(q0).filter((k) => a.qparams![k].some((v, i) => v !== q0[k][i]));
      // Every scale learns; a zero point only gets a gradient from clipped elements (none may clip on the inputs).
      assert(['w0.scale', 'w1.scale', 'a0.scale', 'a1.scale'].every((k) => moved.includes(k)) && moved.some((k) => k.endsWith('zero_point')), `learned parameters that changed: ${moved}`);
      // Resume from step 5 continues with the same losses and ends with the same learned parameters.
      let saved: Uint8Array | null = null;
      const first = await train(ctx, model, data, { ...opts, stopAtStep: 5, onCheckpoint: (x) => void (saved = x) });
      const rest = await train(ctx, model, data, { ...opts, resume: saved! });
      assert([...first.losses, ...rest.losses].every((v, i) => v === a.losses[i]), 'resumed losses differ');
      assert(Object.keys(q0).every((k) => rest.qparams![k].every((v, i) => v === a.qparams![k][i])), 'resumed learned parameters differ');
      // convert uses the learned scales: the converted model (fused W4 kernel + per-tensor activation fake-quant) gives
      // the fake-quant model's logits, and the model file keeps the activation quantizers.
      const trained = { weights: a.weights, quant: a.quant, qparams: a.qparams };
      const fq = await evaluate(ctx, trained, data);
      const conv = decodeModel(encodeModel(await convert(ctx, trained)));
      assert(conv.layers.every((l, i) => l.act?.scale === a.qparams![`a${i}.scale`][0]), `act scales ${conv.layers.map((l) => l.act?.scale)}`);
      const worst = await convertedMatchesFakeQuant(ctx, conv, fq.logits, data, /^fused W4A16/);
      return `loss ${head.toFixed(4)} -> ${tail.toFixed(4)}; w0.scale[0] ${q0['w0.scale'][0].toFixed(5)} -> ${a.qparams!['w0.scale'][0].toFixed(5)}, a0 (s, z) (${q0['a0.scale'][0].toFixed(5)}, ${q0['a0.zero_point'][0]}) -> (${a.qparams!['a0.scale'][0].toFixed(5)}, ${a.qparams!['a0.zero_point'][0].toFixed(3)}); converted = fake-quant (worst rel ${worst.toExponential(2)})`;
    },
  },
  {
    name: 'pact: the pact op forward and its x / alpha gradients equal the reference',
    async run(ctx) {
      const x = randomF32(6 * 32, 31, -1, 3);
      const c = randomF32(6 * 32, 32, -1, 1);
      const alpha = Float32Array.of(1.7);
      const L = fakeQuantLayout([6, 32], { kind: 'tensor' });
      const g = new Graph(ctx, 'pact-op');
      try {
        const X = g.param('x', [6, 32], x);
        const A = g.param('alpha', [1], alpha);
        const y = ops.pact(X, A, { bits: 3 });
        const grads = g.backward(ops.sum(ops.mul(y, g.constant(c, [6, 32]))), [X, A]);
        const outs = [y, grads.get(X)!, grads.get(A)!];
        const exe = await g.compile({ outputs: outs });
        await exe.run();
        const [gy, gx, ga] = await Promise.all(outs.map((t) => exe.read(t)));
        const fw = pactForwardRef(x, alpha, L, 7);
        const bw = pactBackwardRef(x, c, alpha, L);
        let clipped = 0;
        for (let i = 0; i < x.length; i++) {
          assert(gy[i] === fw.y[i], `y[${i}] = ${gy[i]}, reference ${fw.y[i]}`);
          assert(gx[i] === bw.gradX[i], `grad_x[${i}] = ${gx[i]}, reference ${bw.gradX[i]}`);
          if (x[i] >= 1.7) clipped++;
        }
        const bound = 2 * x.length * 2 ** -24 * bw.absAlpha[0] + 1e-30;
        assert(Math.abs(ga[0] - bw.gradAlpha[0]) <= bound, `grad_alpha = ${ga[0]}, reference ${bw.gradAlpha[0]}`);
        assert(clipped > 0 && ga[0] !== 0, `${clipped} clipped values`);
        return `${x.length} values identical, ${clipped} above alpha, grad_alpha ${ga[0].toFixed(5)}`;
      } finally {
        g.destroy();
      }
    },
  },
  {
    name: 'pact: PACT activation quantizers train their clip, convert to what they fake-quantized, and keep alpha in the file',
    async run(ctx) {
      const model = prepare(initMlp(SIZES, 6), { bits: 4, group: 16, act: true, pact: true }, calib);
      assert(Object.keys(model.qparams!).sort().join(',') === 'a0.alpha,a1.alpha', Object.keys(model.qparams!).join(','));
      const r = await train(ctx, model, data, { epochs: 2, batch: 16, lr: 0.02, seed: 5 });
      const head = (r.losses[0] + r.losses[1]) / 2;
      const tail = (r.losses[10] + r.losses[11]) / 2;
      assert(tail < 0.7 * head, `loss did not fall: ${head} -> ${tail}`);
      assert(['a0.alpha', 'a1.alpha'].every((k) => r.qparams![k][0] !== model.qparams![k][0]), `alpha did not move: ${JSON.stringify(r.qparams)}`);
      const trained = { weights: r.weights, quant: r.quant, qparams: r.qparams };
      const fq = await evaluate(ctx, trained, data);
      const conv = decodeModel(encodeModel(await convert(ctx, trained)));
      assert(conv.layers.every((l, i) => l.act?.alpha === r.qparams![`a${i}.alpha`][0]), `alphas ${conv.layers.map((l) => l.act?.alpha)}`);
      const worst = await convertedMatchesFakeQuant(ctx, conv, fq.logits, data, /^fused W4A16/);
      const e = await expectError('pact without act', () => prepare(initMlp(SIZES, 6), { pact: true }));
      assert(/pact is an activation quantizer: it needs act: true/.test(e), e);
      return `loss ${head.toFixed(4)} -> ${tail.toFixed(4)}; alpha ${model.qparams!['a0.alpha'][0].toFixed(4)}/${model.qparams!['a1.alpha'][0].toFixed(4)} -> ${r.qparams!['a0.alpha'][0].toFixed(4)}/${r.qparams!['a1.alpha'][0].toFixed(4)}; converted = fake-quant (worst rel ${worst.toExponential(2)})`;
    },
  },
  {
    name: 'lsq: 5..7-bit layers are stored in 8-bit containers and run on the fused 8-bit kernel',
    async run(ctx) {
      const w0 = initMlp([32, 48, 10], 4);
      const model = prepare(w0, { group: 16, perLayer: { 0: { bits: 6 }, 1: { bits: 5 } } });
      const fq = await evaluate(ctx, model, data);
      const conv = decodeModel(encodeModel(await convert(ctx, model)));
      assert(conv.layers.map((l) => l.bits).join() === '6,5', `bits ${conv.layers.map((l) => l.bits)}`);
      assert(conv.layers.every((l) => l.codes!.every((u) => u < 2 ** l.bits!)), 'a code does not fit its bits');
      const runner = await QuantizedMlpRunner.create(ctx, conv, data.count);
      const got = await runner.run(data.x);
      runner.destroy();
      assert(runner.variant.startsWith('fused W6/5A16'), runner.variant);
      const ref = mlpForwardRef(conv.sizes, conv.layers.map(dequantizeLayer), conv.layers.map((l) => l.bias), data.x, data.count);
      let worst = 0;
      for (let i = 0; i < got.length; i++) {
        const bound = 2 * ref.bound[i] + Number.MIN_VALUE;
        for (const v of [got[i], fq.logits[i]]) {
          assert(Math.abs(v - ref.logits[i]) <= bound, `logit ${i} = ${v}, f64 reference ${ref.logits[i]}`);
          worst = Math.max(worst, Math.abs(v - ref.logits[i]) / bound);
        }
      }
      return `${got.length} logits within the bound (worst ${(worst * 100).toFixed(1)}%)`;
    },
  },
  {
    name: 'lsq: learned activation quantizers need calibration; AdaQAT refuses learned quantizers',
    async run(ctx) {
      const w = initMlp(SIZES, 1);
      const a = await expectError('calibration', () => prepare(w, { group: 16, act: true, learn: true }));
      assert(/need calibration rows/.test(a), a);
      const b = await expectError('adaqat', () => train(ctx, prepare(w, { group: 16, learn: true }), data, { epochs: 1, batch: 16, lr: 0.01, seed: 0, adaqat: {} }));
      assert(/cannot be combined with learned \(LSQ\) quantizers/.test(b), b);
      const c = await expectError('missing', () => evaluate(ctx, { ...prepare(w, { group: 16, learn: true }), qparams: {} }, data));
      assert(/learned quantizer parameter 'w0.scale' is missing/.test(c), c);
      return [a, b, c].join(' | ');
    },
  },
];
