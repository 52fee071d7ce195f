// nibble's layers (src/nn/layers.ts) on a model that is not the Llama: an embedding, RMSNorm, GQA attention with
// RoPE, a bias on k and per-head q / k norms (Qwen3's), LayerNorm, a SwiGLU block and a biased head, with residuals. The same cases in Node and in
// Chromium:
//   - its forward equals a CPU reference written with src/ref's f64 ops;
//   - its gradients equal central finite differences of that reference;
//   - prepare / train / convert on it (src/train/qat_plan.ts, GraphTrainer): the loss falls, and the converted model
//     (codes and scales on the dequant-fused kernels) gives the fake-quant logits.
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import type { Tensor } from '../../src/graph/tensor.js';
import * as ops from '../../src/ops/index.js';
import { Attention, Embedding, GraphScope, initWeights, LayerNorm, Linear, linearInfos, RMSNorm, SwiGLU, type ScopeOptions } from '../../src/nn/layers.js';
import { layerQuant } from '../../src/nn/linear_quant.js';
import { Arr, ref } from '../../src/ref/ops.js';
import { rng } from '../../src/ref/random.js';
import { GraphTrainer } from '../../src/train/graph_trainer.js';
import { convertLinears, initLsqScales, prepareLinears, type LinearQatConfig } from '../../src/train/qat_plan.js';
import { assert, expectError, type GpuCase } from './types.js';

const V = 24;
const D = 32;
const B = 2;
const T = 8;
const HD = 8;
const SHAPE = { heads: 4, kvHeads: 2, headDim: HD, ropeBase: 10000, ropeLayout: 'norm' as const };
const M = {
  embed: new Embedding('embed.weight', V, D),
  norm1: new RMSNorm('norm1.weight', D),
  attn: new Attention(new Linear('attn.q.weight', 4 * HD, D), new Linear('attn.k.weight', 2 * HD, D, { bias: 'attn.k.bias' }), new Linear('attn.v.weight', 2 * HD, D), new Linear('attn.o.weight', D, 4 * HD), SHAPE, { q: new RMSNorm('attn.q_norm.weight', HD), k: new RMSNorm('attn.k_norm.weight', HD) }),
  norm2: new LayerNorm('norm2.weight', 'norm2.bias', D),
  ffn: new SwiGLU(new Linear('ffn.gate.weight', 64, D), new Linear('ffn.up.weight', 64, D), new Linear('ffn.down.weight', D, 64)),
  head: new Linear('head.weight', V, D, { bias: 'head.bias' }),
};
const LAYERS = Object.values(M);

function forward(s: GraphScope, ids: Tensor): Tensor {
  const x0 = ops.reshape(M.embed.forward(s, ids), [B * T, D]);
  const x1 = M.attn.forward(s, M.norm1.forward(s, x0), B, T, { residual: x0 });
  const x2 = M.ffn.forward(s, M.norm2.forward(s, x1), { residual: x1 });
  return M.head.forward(s, x2);
}

/** Seeded weights with every value in play: embeddings of unit scale, norm weights around 1, biases not 0. */
function weights(seed: number): Record<string, Float32Array> {
  const w = initWeights(LAYERS, seed);
  const r = rng(seed + 100);
  for (const [k, v] of Object.entries(w)) for (let i = 0; i < v.length; i++) v[i] = k.includes('norm') ? 1 + 0.4 * (r() - 0.5) : k.startsWith('embed') ? v[i] * 50 : k.endsWith('bias') ? 0.3 * (r() - 0.5) : v[i];
  return w;
}

const ids = (seed: number) => {
  const r = rng(seed);
  return Int32Array.from({ length: B * T }, () => Math.floor(r() * V));
};

/** The same model in f64 (src/ref), query head h reading KV head h / 2. */
function forwardRef(w: Record<string, ArrayLike<number>>, x: ArrayLike<number>): Arr {
  const P = (n: string, shape: number[]) => Arr.from(shape, w[n]);
  const lin = (a: Arr, l: Linear) => {
    const y = ref.matmul(a, ref.transpose(P(l.weight, [l.N, l.K])));
    return l.o.bias ? ref.add(y, P(l.o.bias, [l.N])) : y;
  };
  const rope = (a: Arr, h: number) => ref.reshape(ref.rope(ref.reshape(a, [B, T, h * HD]), { base: SHAPE.ropeBase, heads: h, layout: 'norm' }), [B * T, h * HD]);
  const headsFirst = (a: Arr, h: number) => {
    const out = new Float64Array(B * 4 * T * HD);
    for (let b = 0; b < B; b++) for (let q = 0; q < 4; q++) for (let t = 0; t < T; t++) for (let d = 0; d < HD; d++) out[((b * 4 + q) * T + t) * HD + d] = a.data[(b * T + t) * h * HD + Math.floor(q / (4 / h)) * HD + d];
    return new Arr([B, 4, T, HD], out);
  };
  const x0 = ref.reshape(ref.embedding(P('embed.weight', [V, D]), x, [B, T]), [B * T, D]);
  const h1 = ref.rmsNorm(x0, P('norm1.weight', [D]));
  const headNorm = (a: Arr, h: number, name: string) => ref.reshape(ref.rmsNorm(ref.reshape(a, [B * T * h, HD]), P(name, [HD])), [B * T, h * HD]);
  const q = rope(headNorm(lin(h1, M.attn.q), 4, 'attn.q_norm.weight'), 4);
  const k = rope(headNorm(lin(h1, M.attn.k), 2, 'attn.k_norm.weight'), 2);
  const v = lin(h1, M.attn.v);
  const a = ref.causalSelfAttention(headsFirst(q, 4), headsFirst(k, 2), headsFirst(v, 2));
  const x1 = ref.add(x0, lin(ref.reshape(ref.permute(a, [0, 2, 1, 3]), [B * T, 4 * HD]), M.attn.out));
  const f = ref.layerNorm(x1, P('norm2.weight', [D]), P('norm2.bias', [D]));
  const x2 = ref.add(x1, lin(ref.mul(ref.silu(lin(f, M.ffn.gate)), lin(f, M.ffn.up)), M.ffn.down));
  return lin(x2, M.head);
}

/** Logits (and with `loss`, the cross-entropy and its gradients) of the layered model on the GPU. */
async function runGpu(ctx: GpuContext, w: Record<string, Float32Array>, x: Int32Array, o: ScopeOptions & { targets?: Int32Array } = {}): Promise<{ logits: Float32Array; grads: Map<string, Float32Array> }> {
  const g = new Graph(ctx, 'layers');
  try {
    const idsT = g.input('ids', [B, T], 'i32');
    const s = new GraphScope(g, w, o);
    const logits = forward(s, idsT);
    const grads = new Map<string, Float32Array>();
    if (!o.targets) {
      const exe = await g.compile({ outputs: [logits] });
      await exe.run({ ids: x });
      return { logits: (await exe.read(logits)) as Float32Array, grads };
    }
    const tg = g.input('targets', [B * T], 'i32');
    const loss = ops.crossEntropy(logits, tg);
    const params = [...s.params.values()];
    const gr = g.backward(loss, params);
    const outs = params.map((p) => ops.contiguous(gr.get(p)!));
    const exe = await g.compile({ outputs: [logits, ...outs] });
    await exe.run({ ids: x, targets: o.targets });
    for (const [i, p] of params.entries()) grads.set(p.name, (await exe.read(outs[i])) as Float32Array);
    return { logits: (await exe.read(logits)) as Float32Array, grads };
  } finally {
    g.destroy();
  }
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/**
 * OLMo 2's attention: q and k RMS-normalized over the whole projection (weights [4 HD] and [2 HD]), on x [B*T, D]
 * straight from the embedding. Its f64 reference, and the loss (sum of the outputs times fixed weights) for gradients.
 */
const FULL = Attention.gguf('olmo', D, SHAPE, false, 1e-6, true);
function fullNormRef(w: Record<string, ArrayLike<number>>, x: Arr): Arr {
  const P = (n: string, shape: number[]) => Arr.from(shape, w[n]);
  const lin = (a: Arr, l: Linear) => ref.matmul(a, ref.transpose(P(l.weight, [l.N, l.K])));
  const rope = (a: Arr, h: number) => ref.reshape(ref.rope(ref.reshape(a, [B, T, h * HD]), { base: SHAPE.ropeBase, heads: h, layout: 'norm' }), [B * T, h * HD]);
  const headsFirst = (a: Arr, h: number) => {
    const out = new Float64Array(B * 4 * T * HD);
    for (let b = 0; b < B; b++) for (let q = 0; q < 4; q++) for (let t = 0; t < T; t++) for (let d = 0; d < HD; d++) out[((b * 4 + q) * T + t) * HD + d] = a.data[(b * T + t) * h * HD + Math.floor(q / (4 / h)) * HD + d];
    return new Arr([B, 4, T, HD], out);
  };
  const q = rope(ref.rmsNorm(lin(x, FULL.q), P('olmo.attn_q_norm.weight', [4 * HD]), 1e-6), 4);
  const k = rope(ref.rmsNorm(lin(x, FULL.k), P('olmo.attn_k_norm.weight', [2 * HD]), 1e-6), 2);
  const a = ref.causalSelfAttention(headsFirst(q, 4), headsFirst(k, 2), headsFirst(lin(x, FULL.v), 2));
  return lin(ref.reshape(ref.permute(a, [0, 2, 1, 3]), [B * T, 4 * HD]), FULL.out);
}

export const CASES: GpuCase[] = [
  {
    name: "layers: Attention with OLMo 2's whole-projection q / k norms equals its f64 reference; the norms' gradients equal finite differences",
    async run(ctx) {
      const w = initWeights([FULL], 11);
      const r = rng(12);
      for (const [k, v] of Object.entries(w)) if (k.includes('norm')) for (let i = 0; i < v.length; i++) v[i] = 1 + 0.5 * (r() - 0.5);
      const x = Float32Array.from({ length: B * T * D }, () => 2 * r() - 1);
      const c = Float32Array.from({ length: B * T * D }, () => r() - 0.5); // loss = sum(out * c)
      const g = new Graph(ctx, 'olmo-attn');
      try {
        const xt = g.input('x', [B * T, D], 'f32');
        const ct = g.input('c', [B * T, D], 'f32');
        const s = new GraphScope(g, w);
        const out = FULL.forward(s, xt, B, T);
        const loss = ops.sum(ops.mul(out, ct));
        const names = ['olmo.attn_q_norm.weight', 'olmo.attn_k_norm.weight'];
        const params = names.map((n) => s.params.get(n)!);
        const gr = g.backward(loss, params);
        const outs = params.map((p) => ops.contiguous(gr.get(p)!));
        const exe = await g.compile({ outputs: [out, ...outs] });
        await exe.run({ x, c });
        const want = fullNormRef(w, Arr.from([B * T, D], x)).data;
        const d = maxDiff((await exe.read(out)) as Float32Array, want);
        const bound = 3 * 2 * 64 * 2 ** -24 * maxAbs(want);
        assert(d <= bound, `output differs from the reference by ${d} (bound ${bound})`);
        const lossRef = (ww: Record<string, ArrayLike<number>>) => ref.sum(ref.mul(fullNormRef(ww, Arr.from([B * T, D], x)), Arr.from([B * T, D], c))).data[0];
        let worst = 0;
        for (const [j, name] of names.entries()) {
          const gpu = (await exe.read(outs[j])) as Float32Array;
          const scale = maxAbs(gpu);
          for (let n = 0; n < 4; n++) {
            const i = Math.floor(r() * gpu.length);
            const [plus, minus] = [Float64Array.from(w[name]), Float64Array.from(w[name])];
            plus[i] += 1e-4;
            minus[i] -= 1e-4;
            const fd = (lossRef({ ...w, [name]: plus }) - lossRef({ ...w, [name]: minus })) / 2e-4;
            const err = Math.abs(gpu[i] - fd) / (scale + 1e-6);
            worst = Math.max(worst, err);
            assert(err <= 1e-4, `${name}[${i}]: GPU ${gpu[i]}, finite differences ${fd} (relative to max |grad| ${scale}: ${err})`);
          }
        }
        return `max |GPU - f64| ${d.toExponential(2)} (bound ${bound.toExponential(2)}); q / k norm gradients vs FD ${worst.toExponential(2)}`;
      } finally {
        g.destroy();
      }
    },
  },
  {
    name: 'layers: a model built from Embedding, RMSNorm, GQA Attention, LayerNorm, SwiGLU and Linear equals its f64 reference',
    async run(ctx) {
      const w = weights(1);
      const x = ids(2);
      const { logits } = await runGpu(ctx, w, x);
      const want = forwardRef(w, x).data;
      // f32 through five matmul stages of K <= 64 (and two norms, a softmax): 2 K u of the logits' scale per stage.
      const d = maxDiff(logits, want);
      const bound = 5 * 2 * 64 * 2 ** -24 * maxAbs(want);
      assert(d <= bound, `logits differ from the reference by ${d} (bound ${bound})`);
      return `max |GPU - f64| ${d.toExponential(2)} of max |logit| ${maxAbs(want).toFixed(2)} (bound ${bound.toExponential(2)})`;
    },
  },
  {
    name: 'layers: the layered model\'s gradients equal finite differences of its reference',
    async run(ctx) {
      const w = weights(3);
      const x = ids(4);
      const targets = ids(5);
      const { grads } = await runGpu(ctx, w, x, { targets });
      const lossRef = (ww: Record<string, ArrayLike<number>>) => ref.crossEntropy(forwardRef(ww, x), targets).data[0];
      const r = rng(6);
      let worst = 0;
      let n = 0;
      const names = ['embed.weight', 'norm1.weight', 'attn.q.weight', 'attn.k.weight', 'attn.k.bias', 'attn.q_norm.weight', 'attn.k_norm.weight', 'attn.v.weight', 'attn.o.weight', 'norm2.weight', 'norm2.bias', 'ffn.gate.weight', 'ffn.down.weight', 'head.bias'];
      for (const name of names) {
        const gpu = grads.get(name)!;
        const scale = maxAbs(gpu);
        assert(scale > 0, `${name}: the gradient is all zero`);
        for (let j = 0; j < 4; j++) {
          const i = Math.floor(r() * w[name].length);
          // Central differences of the f64 reference.
          const h = 1e-4 * Math.max(1, Math.abs(w[name][i]));
          const plus = Float64Array.from(w[name]);
          const minus = Float64Array.from(w[name]);
          plus[i] += h;
          minus[i] -= h;
          const fd = (lossRef({ ...w, [name]: plus }) - lossRef({ ...w, [name]: minus })) / (2 * h);
          // f32 backward: its error is a small multiple of u times the gradient's scale; FD's is O(h^2).
          const err = Math.abs(gpu[i] - fd) / (scale + 1e-6);
          worst = Math.max(worst, err);
          assert(err <= 1e-4, `${name}[${i}]: GPU ${gpu[i]}, finite differences ${fd} (relative to max |grad| ${scale}: ${err})`);
          n++;
        }
      }
      return `${n} gradient elements of ${names.length} weights: worst |GPU - FD| / max|grad| ${worst.toExponential(2)}`;
    },
  },
  {
    name: 'layers: prepare, train and convert any layered model; converted logits (fused kernels) equal fake-quant logits',
    async run(ctx) {
      const lines: string[] = [];
      const linears = linearInfos(LAYERS);
      for (const cfg of [{ bits: 4, group: 32, keepFloat: ['head.weight'] }, { bits: 3, group: 32, method: 'lsq' }, { bits: 3, group: 32, symmetric: false }, { bits: 2, group: 32, method: 'lsq', midrise: true }, { bits: 6, group: 32 }, { format: 'Q4_0' }, { format: 'Q8_0' }] as LinearQatConfig[]) {
        const plan = prepareLinears(linears, cfg);
        const w0 = weights(7);
        const lsq0 = initLsqScales(plan, linears, w0);
        const qparams = Object.fromEntries(Object.entries(lsq0).map(([k, v]) => [`${k}.scale`, v]));
        const quant = new Map([...plan].map(([k, q]) => [k, layerQuant(q)]));
        // A few QAT steps of next-token prediction on one fixed batch: the loss must fall.
        const g = new Graph(ctx, 'layers-qat');
        let trained: Record<string, Float32Array> = {};
        let lsq: Record<string, Float32Array> = {};
        const losses: number[] = [];
        try {
          const idsT = g.input('ids', [B, T], 'i32');
          const tg = g.input('targets', [B * T], 'i32');
          const s = new GraphScope(g, w0, { quant, qparams });
          const loss = ops.crossEntropy(forward(s, idsT), tg);
          const tr = await GraphTrainer.create(ctx, { graph: g, loss, params: [...s.params.values(), ...s.qparams.values()] }, { lr: 3e-3, weightDecay: 0 });
          try {
            const x = ids(8);
            const y = Int32Array.from(x, (v, i) => (i % T === T - 1 ? v : x[i + 1]));
            for (let step = 0; step < 6; step++) losses.push((await tr.step({ ids: x, targets: y }, 3e-3)).loss);
          } finally {
            tr.destroy();
          }
          for (const [k, p] of s.params) trained[k] = await g.readParam(p);
          for (const [k, p] of s.qparams) lsq[k.slice(0, -'.scale'.length)] = await g.readParam(p);
        } finally {
          g.destroy();
        }
        assert(losses[5] < losses[0], `${JSON.stringify(cfg)}: the QAT loss did not fall: ${losses.map((l) => l.toFixed(4)).join(', ')}`);
        const converted = await convertLinears(ctx, linears, trained, plan, lsq);
        const x = ids(9);
        const fq = await runGpu(ctx, trained, x, { quant, qparams: Object.fromEntries(Object.entries(lsq).map(([k, v]) => [`${k}.scale`, v])) });
        const cv = await runGpu(ctx, trained, x, { converted });
        const fl = await runGpu(ctx, trained, x);
        const d = maxDiff(cv.logits, fq.logits);
        // Both f32 with the same dequantized weights: only the order of the sums differs (per group, then scaled).
        const bound = 5 * 2 * 64 * 2 ** -24 * maxAbs(fq.logits);
        assert(d <= bound, `${JSON.stringify(cfg)}: converted logits differ from fake-quant by ${d} (bound ${bound})`);
        const toF32 = maxDiff(fq.logits, fl.logits);
        assert(toF32 > 10 * d, `${JSON.stringify(cfg)}: fake-quant logits are as close to f32 (${toF32}) as to the converted ones (${d}): the quantization is not in play`);
        lines.push(`${cfg.format ?? `W${cfg.bits}${cfg.method === 'lsq' ? ' LSQ' : ''}${cfg.symmetric === false ? ' asymmetric' : ''}${cfg.midrise ? ' midrise' : ''}`}: loss ${losses[0].toFixed(3)} -> ${losses[5].toFixed(3)}, |converted - fake-quant| ${d.toExponential(1)} (f32 ${toF32.toExponential(1)})`);
      }
      return lines.join('; ');
    },
  },
  {
    name: 'layers: bad input is named (missing or misshapen weight, missing learned scale, a group K cannot take)',
    async run(ctx) {
      const w = weights(1);
      /** The forward on a fresh graph with `values` and `o`. */
      const build = async (values: Record<string, Float32Array>, o: ScopeOptions = {}) => {
        const g = new Graph(ctx, 'bad');
        try {
          forward(new GraphScope(g, values, o), g.input('ids', [B, T], 'i32'));
        } finally {
          g.destroy();
        }
      };
      const { ['attn.k.bias']: _drop, ...noBias } = w;
      let m = await expectError('missing', () => build(noBias));
      assert(/weight 'attn\.k\.bias' is missing \(expected shape \[16\]\)/.test(m), m);
      m = await expectError('misshapen', () => build({ ...w, 'ffn.up.weight': new Float32Array(10) }));
      assert(/weight 'ffn\.up\.weight' has 10 values, shape \[64, 32\] needs 2048/.test(m), m);
      const quant = new Map([['attn.q.weight', layerQuant({ bits: 4, group: 32, learn: true })]]);
      m = await expectError('no scale', () => build(w, { quant }));
      assert(/learned quantizer parameter 'attn\.q\.weight\.scale' is missing/.test(m), m);
      m = await expectError('group', () => prepareLinears(linearInfos(LAYERS), { bits: 4, group: 48 }));
      assert(/group size 48 does not divide K=32 of 'attn\.q\.weight'/.test(m), m);
      m = await expectError('keepFloat', () => prepareLinears(linearInfos(LAYERS), { keepFloat: ['blk.*'] }));
      assert(/keepFloat pattern 'blk\.\*' matches no Linear layer/.test(m), m);
      m = await expectError('no linears', () => prepareLinears(linearInfos([M.embed, M.norm1]), {}));
      assert(/the model has no Linear layers/.test(m), m);
      m = await expectError('attention shape', () => new Attention(M.attn.q, M.attn.k, M.attn.v, M.attn.out, { ...SHAPE, kvHeads: 3 }));
      assert(/4 heads \/ 3 KV heads of 8 do not fit/.test(m), m);
      m = await expectError('qk norm', () => new Attention(M.attn.q, M.attn.k, M.attn.v, M.attn.out, SHAPE, { q: new RMSNorm('qn', HD), k: new RMSNorm('kn', 2 * HD) }));
      assert(/the q \/ k norm 'kn' has 16 weights, expected 8 \(the head dim\)/.test(m), m);
      m = await expectError('full qk norm', () => new Attention(M.attn.q, M.attn.k, M.attn.v, M.attn.out, SHAPE, { q: new RMSNorm('qn', 4 * HD), k: new RMSNorm('kn', HD), full: true }));
      assert(/the q \/ k norm 'kn' has 8 weights, expected 16 \(the whole projection: 2 heads of 8\)/.test(m), m);
    },
  },
];
