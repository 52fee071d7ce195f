// Optimizer kernels against src/ref/optim.ts: SGD (plain, momentum + dampening + weight decay, Nesterov), AdamW over
// several steps (each step checked from the GPU's own previous state), global-norm clipping over several tensors,
// clipping fused into AdamW, and bad hyperparameters refused.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatch, runDispatches } from '../../src/kernels/common.js';
import { adamwMultiGroup, adamwMultiUniforms, clipGradNorm, GRAD_NORM_MAX_TENSORS, gradNormPartials, planAdamW, planAdamWMulti, planGradNorm, planSgd, type AdamWTensor } from '../../src/kernels/optim.js';
import { adamwRef, gradNormRef, sgdRef, type AdamWOptions, type SgdOptions } from '../../src/ref/optim.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareBound, U_F32 } from '../../src/ref/tolerance.js';
import { assert, check, expectError, type GpuCase } from './types.js';
import { Graph } from '../../src/graph/graph.js';
import type { Tensor } from '../../src/graph/tensor.js';
import * as op from '../../src/ops/index.js';
import { Optimizer } from '../../src/train/optimizer.js';


function sgdCase(name: string, o: SgdOptions): GpuCase {
  return {
    name: `sgd ${name}: 3 steps`,
    async run(ctx) {
      const n = 1000;
      const P = ctx.createBuffer(randomF32(n, 1));
      const G = ctx.createBuffer(4 * n);
      const B = ctx.createBuffer(4 * n);
      const msgs: string[] = [];
      for (let step = 0; step < 3; step++) {
        const g = randomF32(n, 10 + step);
        ctx.write(G, g);
        const p0 = await ctx.readF32(P, n);
        const b0 = await ctx.readF32(B, n);
        await runDispatch(await planSgd(ctx, { param: P, grad: G, momentum_buf: o.momentum ? B : undefined }, n, { ...o, first: step === 0 }));
        const ref = sgdRef(p0, g, b0, o, step === 0);
        msgs.push(check(compareBound(`step ${step + 1} param`, await ctx.readF32(P, n), ref.p, ref.absP, 8)));
        if (o.momentum) check(compareBound(`step ${step + 1} momentum_buf`, await ctx.readF32(B, n), ref.buf, ref.absBuf, 8));
      }
      [P, G, B].forEach((b) => b.destroy());
      return msgs[2];
    },
  };
}

async function adamwSteps(ctx: GpuContext, o: AdamWOptions, steps: number[], init: 'zeros' | 'random', withClip: boolean): Promise<string> {
  const n = 1000;
  const P = ctx.createBuffer(randomF32(n, 2));
  const G = ctx.createBuffer(4 * n);
  const M = ctx.createBuffer(init === 'zeros' ? new Float32Array(n) : randomF32(n, 3, -0.1, 0.1));
  const V = ctx.createBuffer(init === 'zeros' ? new Float32Array(n) : randomF32(n, 4, 0, 0.01));
  const partials = ctx.createBuffer(4 * gradNormPartials(ctx, [n]));
  const coef = ctx.createBuffer(8);
  const msgs: string[] = [];
  for (const step of steps) {
    const g = randomF32(n, 20 + step, -3, 3);
    ctx.write(G, g);
    const [p0, m0, v0] = await Promise.all([ctx.readF32(P, n), ctx.readF32(M, n), ctx.readF32(V, n)]);
    const ds = withClip ? await planGradNorm(ctx, [{ buffer: G, n }], partials, coef, 1) : [];
    ds.push(await planAdamW(ctx, { param: P, grad: G, exp_avg: M, exp_avg_sq: V, clip_coef: withClip ? coef : undefined }, n, { ...o, step }));
    await runDispatches(ctx, ds);
    let c = 1;
    if (withClip) {
      const [norm, gc] = await ctx.readF32(coef, 2);
      const r = gradNormRef([g], 1);
      check(compareBound('norm', [norm], [r.norm], [r.norm], r.count));
      assert(gc < 1 && Math.abs(gc - r.coef) <= 2 * r.count * U_F32 * r.coef, `clip coef ${gc} vs ${r.coef}`);
      c = gc;
    }
    const ref = adamwRef(p0, g, m0, v0, o, step, c);
    check(compareBound(`step ${step} exp_avg`, await ctx.readF32(M, n), ref.m, ref.absM, 4));
    check(compareBound(`step ${step} exp_avg_sq`, await ctx.readF32(V, n), ref.v, ref.absV, 6));
    msgs.push(check(compareBound(`step ${step} param`, await ctx.readF32(P, n), ref.p, ref.absP, 16)));
  }
  [P, G, M, V, partials, coef].forEach((b) => b.destroy());
  return msgs.join('; ');
}

/**
 * Multi-tensor AdamW (adamw_multi.wgsl) over tensors of odd sizes with their own lr and weight decay, the moments in
 * flat buffers at their offsets, clipped by the global norm of all: each tensor against adamwRef, three steps (the
 * uniforms rewritten per step as Optimizer.prepare does), more tensors than one dispatch takes.
 */
const adamwMultiCase = (run?: number): GpuCase => ({
  name: `adamw_multi: 12 tensors (1 .. 5000 elements) with their own lr and weight decay, clipped, 3 steps${run ? `, runs of ${run}` : ''}`,
  async run(ctx) {
    // 12 tensors: two full dispatches of five (every slot, the fifth the scalar one) and one of two under 12 storage buffers.
    const sizes = [1, 3, 777, 64, 5000, 130, 9, 2, 1025, 33, 7, 300];
    const o: Omit<AdamWOptions, 'lr' | 'weightDecay'> = { beta1: 0.8, beta2: 0.95, eps: 1e-6 };
    const total = sizes.reduce((a, n) => a + n, 0);
    const starts = sizes.map((_, k) => sizes.slice(0, k).reduce((a, n) => a + n, 0));
    const P = sizes.map((n, k) => ctx.createBuffer(randomF32(n, 60 + k)));
    const G = sizes.map((n) => ctx.createBuffer(4 * n));
    // One buffer: the first moments, then the second moments `total` elements further on.
    const MV = ctx.createBuffer(Float32Array.from([...randomF32(total, 70, -0.1, 0.1), ...randomF32(total, 71, 0, 0.01)]));
    const readMoments = async () => {
      const mv = await ctx.readF32(MV, 2 * total);
      return [mv.subarray(0, total), mv.subarray(total)];
    };
    const partials = ctx.createBuffer(4 * gradNormPartials(ctx, sizes));
    const coef = ctx.createBuffer(8);
    const ts: AdamWTensor[] = sizes.map((n, k) => ({ param: P[k], grad: G[k], n, state: starts[k], lr: 1e-3 * (k + 1), weightDecay: k % 2 ? 0 : 0.1 }));
    const planned = await planAdamWMulti(ctx, ts, { moments: MV, clip_coef: coef }, { ...o, step: 1, run });
    assert(planned.length === Math.ceil(sizes.length / adamwMultiGroup(ctx)), `${planned.length} dispatches for ${sizes.length} tensors, ${adamwMultiGroup(ctx)} a dispatch`);
    const bound = planned.map((d) => d.dispatch.kernel.bind(d.dispatch.args));
    const msgs: string[] = [];
    try {
      for (const step of [1, 2, 3]) {
        const g = sizes.map((n, k) => randomF32(n, 80 + 10 * step + k, -3, 3));
        g.forEach((x, k) => ctx.write(G[k], x));
        const p0 = await Promise.all(P.map((b, k) => ctx.readF32(b, sizes[k])));
        const [m0, v0] = await readMoments();
        planned.forEach((d, j) => bound[j].update(adamwMultiUniforms(ctx, d.tensors, o, step, d)));
        const norm = (await planGradNorm(ctx, G.map((buffer, k) => ({ buffer, n: sizes[k] })), partials, coef, 1)).map((d) => ({ b: d.kernel.bind(d.args), wg: d.workgroups }));
        await ctx.submit(['adamw_multi'], (enc) => {
          const pass = enc.beginComputePass();
          norm.forEach((d) => d.b.encode(pass, d.wg));
          planned.forEach((d, j) => bound[j].encode(pass, d.dispatch.workgroups));
          pass.end();
        });
        norm.forEach((d) => d.b.dispose());
        const [, c] = await ctx.readF32(coef, 2);
        const r = gradNormRef(g, 1);
        assert(c < 1 && Math.abs(c - r.coef) <= 2 * r.count * U_F32 * r.coef, `step ${step}: clip coef ${c} vs ${r.coef}`);
        const [m1, v1] = await readMoments();
        for (const [k, n] of sizes.entries()) {
          const at = starts[k];
          const ref = adamwRef(p0[k], g[k], m0.subarray(at, at + n), v0.subarray(at, at + n), { ...o, lr: ts[k].lr, weightDecay: ts[k].weightDecay }, step, c);
          check(compareBound(`step ${step} tensor ${k} exp_avg`, m1.subarray(at, at + n), ref.m, ref.absM, 4));
          check(compareBound(`step ${step} tensor ${k} exp_avg_sq`, v1.subarray(at, at + n), ref.v, ref.absV, 6));
          const msg = check(compareBound(`step ${step} tensor ${k} param`, await ctx.readF32(P[k], n), ref.p, ref.absP, 16));
          if (step === 3) msgs.push(msg);
        }
      }
    } finally {
      bound.forEach((b) => b.dispose());
      [...P, ...G, MV, partials, coef].forEach((b) => b.destroy());
    }
    return `${planned.length} dispatches; ${msgs.join('; ')}`;
  },
});

/**
 * The Optimizer's AdamW with its moments split over several flat buffers (banks: what a model larger than one binding
 * gets) against one bank: the same params bit for bit after three clipped steps, the same state under the same keys,
 * and a bank layout's checkpoint loads into the other.
 */
const banksCase: GpuCase = {
  name: 'optimizer: AdamW moments over several banks = one bank, bit for bit, and their checkpoints interchange',
  async run(ctx) {
    const shapes = [[1], [7], [33], [100], [5, 13], [64]];
    const runs: { params: Float32Array[]; state: Record<string, Float32Array>; opt: Optimizer; g: Graph }[] = [];
    try {
      for (const bankElements of [undefined, 40]) {
        const g = new Graph(ctx, `banks ${bankElements ?? 'one'}`);
        const ps = shapes.map((sh, k) => g.param(`p${k}`, sh, randomF32(sh.reduce((a, b) => a * b, 1), 90 + k, -1, 1)));
        const loss = ps.map((p, k) => op.sum(op.mul(op.mul(p, p), g.constant(randomF32(p.numel, 95 + k, 0.5, 2), p.shape)))).reduce((a, b) => op.add(a, b));
        const grads = g.backward(loss, ps);
        const dense = ps.map((p) => grads.get(p)!);
        const exe = await g.compile({ outputs: [loss, ...dense] });
        const opt = await Optimizer.create(ctx, exe, ps.map((p, k) => [p, dense[k], k % 2 ? { weightDecay: 0, lrScale: 2 } : {}] as [Tensor, Tensor, { weightDecay?: number; lrScale?: number }]), { kind: 'adamw', lr: 1e-2, weightDecay: 0.1 }, 0.5, 1, bankElements);
        // The banked run really splits: five banks for these sizes under 40 elements a bank.
        const banks = (opt as unknown as { banks: unknown[] }).banks.length;
        assert(banks === (bankElements ? 5 : 1), `${banks} banks with bankElements ${bankElements}`);
        runs.push({ params: [], state: {}, opt, g });
        for (let step = 0; step < 3; step++) {
          opt.prepare(1e-2);
          await exe.run({}, { after: (pass) => opt.encode(pass) });
          opt.advance();
        }
        runs[runs.length - 1].params = await Promise.all(ps.map(async (p) => Float32Array.from(await exe.read(p))));
        runs[runs.length - 1].state = await opt.state();
      }
      const [one, banked] = runs;
      one.params.forEach((p, k) => p.forEach((x, i) => assert(Object.is(x, banked.params[k][i]), `p${k}[${i}]: one bank ${x}, banks ${banked.params[k][i]}`)));
      const keys = Object.keys(one.state).sort();
      assert(keys.join() === Object.keys(banked.state).sort().join(), `state keys differ: ${keys.join()} vs ${Object.keys(banked.state).sort().join()}`);
      for (const key of keys) one.state[key].forEach((x, i) => assert(Object.is(x, banked.state[key][i]), `${key}[${i}]: ${x} vs ${banked.state[key][i]}`));
      // A checkpoint of the banked layout into the one-bank optimizer (and a bad one refused, the state kept).
      one.opt.load(banked.state, 3);
      const back = await one.opt.state();
      for (const key of keys) back[key].forEach((x, i) => assert(Object.is(x, banked.state[key][i]), `after load ${key}[${i}]`));
      const bad = { ...banked.state, 'p3.exp_avg': new Float32Array(99) };
      const msg = await expectError('short state', () => one.opt.load(bad, 3));
      assert(/optimizer state 'p3.exp_avg' is missing or has 99 values \(expected 100\)/.test(msg), msg);
      return `${keys.length} state tensors equal; ${msg}`;
    } finally {
      for (const r of runs) {
        r.opt.destroy();
        r.g.destroy();
      }
    }
  },
};

const normCase: GpuCase = {
  name: 'grad_norm: global norm and clipping over 23 tensors (1 .. 40000 elements, up to 11 in a dispatch)',
  async run(ctx) {
    // 23 tensors: two full dispatches of 11 (every slot of the kernel's three vec4s) and one of 1 under 12 storage buffers.
    const sizes = [1, 777, 5000, 3, 64, 65, 2049, 12, 300, 40000, 9, 130, 1, 4097, 31, 64, 2, 513, 8, 1000, 77, 5, 256];
    const data = sizes.map((n, k) => randomF32(n, 40 + k));
    const bufs = data.map((d) => ctx.createBuffer(d));
    const grads = bufs.map((buffer, k) => ({ buffer, n: sizes[k] }));
    const ref = gradNormRef(data, 1);
    const scratch = [ctx.createBuffer(4 * gradNormPartials(ctx, sizes)), ctx.createBuffer(8)];
    const planned = await planGradNorm(ctx, grads, scratch[0], scratch[1], 1);
    scratch.forEach((b) => b.destroy());
    const per = Math.min(GRAD_NORM_MAX_TENSORS, ctx.limits.maxStorageBuffersPerShaderStage - 1);
    assert(planned.length === Math.ceil(sizes.length / per) + 1, `${planned.length} dispatches for ${sizes.length} tensors at ${per} a dispatch (and the finalize)`);
    // Large max_norm: coefficient 1, gradients untouched bit for bit.
    const norm1 = await clipGradNorm(ctx, grads, 1e6);
    check(compareBound('norm', [norm1], [ref.norm], [ref.norm], ref.count));
    for (let k = 0; k < sizes.length; k++) {
      const got = await ctx.readF32(bufs[k], sizes[k]);
      assert(got.every((v, i) => v === data[k][i]), `tensor ${k} changed although the norm is under max_norm`);
    }
    // max_norm 1: clipped.
    const norm2 = await clipGradNorm(ctx, grads, 1);
    check(compareBound('norm', [norm2], [ref.norm], [ref.norm], ref.count));
    let sq = 0;
    const msgs: string[] = [];
    for (let k = 0; k < sizes.length; k++) {
      const got = await ctx.readF32(bufs[k], sizes[k]);
      const want = Float64Array.from(data[k], (v) => v * ref.coef);
      msgs.push(check(compareBound(`tensor ${k}`, got, want, Float64Array.from(want, Math.abs), ref.count + 4)));
      got.forEach((v) => (sq += v * v));
    }
    assert(Math.abs(Math.sqrt(sq) - 1) < 1e-4, `clipped norm ${Math.sqrt(sq)} != 1`);
    bufs.forEach((b) => b.destroy());
    return `norm ${ref.norm.toFixed(4)}; ${msgs.join('; ')}`;
  },
};

const errorsCase: GpuCase = {
  name: 'error: optimizers refuse missing buffers and bad hyperparameters',
  async run(ctx) {
    const P = ctx.createBuffer(16);
    const Q = ctx.createBuffer(32);
    const msgs = [
      await expectError('momentum buf', () => planSgd(ctx, { param: P, grad: P }, 4, { lr: 0.1, momentum: 0.9, first: true })),
      await expectError('nesterov', () => planSgd(ctx, { param: P, grad: P, momentum_buf: P }, 4, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true, first: true })),
      await expectError('lr', () => planSgd(ctx, { param: P, grad: P }, 4, { lr: NaN, first: true })),
      await expectError('step 0', () => planAdamW(ctx, { param: P, grad: P, exp_avg: P, exp_avg_sq: P }, 4, { lr: 1e-3, step: 0 })),
      await expectError('beta', () => planAdamW(ctx, { param: P, grad: P, exp_avg: P, exp_avg_sq: P }, 4, { lr: 1e-3, beta2: 1, step: 1 })),
      await expectError('small', async () => runDispatch(await planAdamW(ctx, { param: P, grad: Q, exp_avg: Q, exp_avg_sq: Q }, 5, { lr: 1e-3, step: 1 }))),
      await expectError('max_norm', () => planGradNorm(ctx, [{ buffer: P, n: 4 }], P, P, 0)),
    ];
    const want = [
      /sgd: momentum_buf: momentum=0.9 needs a momentum_buf binding/,
      /Nesterov momentum requires a momentum and zero dampening/,
      /sgd: lr: lr=NaN must be finite/,
      /adamw: step=0 must be an integer >= 1/,
      /adamw: beta2: beta2=1 must be in \[0, 1\)/,
      /binding 'param' .* is too small: 16 bytes bound, this dispatch needs at least 20/,
      /grad_norm: max_norm: max_norm=0 must be finite and > 0/,
    ];
    msgs.forEach((m, i) => assert(want[i].test(m), `message ${i} '${m}' does not match ${want[i]}`));
    P.destroy();
    Q.destroy();
    return msgs.join(' | ');
  },
};

export const CASES: GpuCase[] = [
  // The adapter's runs, one element an invocation (GPUs' tuning) and runs of 3.
  banksCase,
  adamwMultiCase(),
  adamwMultiCase(1),
  adamwMultiCase(3),
  sgdCase('plain + weight decay', { lr: 0.1, weightDecay: 0.01 }),
  sgdCase('momentum 0.9 + dampening 0.1 + weight decay', { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3 }),
  sgdCase('Nesterov momentum', { lr: 0.05, momentum: 0.9, nesterov: true }),
  { name: 'adamw steps 1..3 from zero state', run: (ctx) => adamwSteps(ctx, { lr: 1e-3, weightDecay: 0.01 }, [1, 2, 3], 'zeros', false) },
  { name: 'adamw steps 1000, 1001 from random state (betas 0.8, 0.99)', run: (ctx) => adamwSteps(ctx, { lr: 3e-4, beta1: 0.8, beta2: 0.99, weightDecay: 0.1, eps: 1e-6 }, [1000, 1001], 'random', false) },
  { name: 'adamw with global-norm clipping fused (clip_coef binding)', run: (ctx) => adamwSteps(ctx, { lr: 1e-3 }, [1, 2], 'zeros', true) },
  normCase,
  errorsCase,
];
