// The flat optimizer (src/kernels/optim_flat.ts: grad_norm_flat.wgsl, adamw_flat.wgsl) against the multi-tensor
// kernels it replaces (grad_norm.wgsl, adamw_multi.wgsl: bit for bit) and against src/ref/optim.ts; arenas in the
// graph (Graph.flattenParams, compile's `flat`) and the Optimizer over them against buffers of their own.
import { createArena } from '../../src/gpu/arena.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import type { Tensor } from '../../src/graph/tensor.js';
import { gradNormPartials, planAdamWMulti, adamwMultiUniforms, planGradNorm, type AdamWTensor } from '../../src/kernels/optim.js';
import { adamwFlatTable, adamwFlatUniforms, gradNormFlatTable, planAdamWFlat, planGradNormFlat } from '../../src/kernels/optim_flat.js';
import * as op from '../../src/ops/index.js';
import { adamwRef, gradNormRef, type AdamWOptions } from '../../src/ref/optim.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareBound, compareExact, U_F32 } from '../../src/ref/tolerance.js';
import { Optimizer } from '../../src/train/optimizer.js';
import { assert, check, expectError, type GpuCase } from './types.js';

/** Bit for bit (compareExact), failing the case otherwise. */
const same = (what: string, got: ArrayLike<number>, want: ArrayLike<number>) => check(compareExact(what, got, want));

/**
 * 13 tensors of odd sizes as ranges of one params arena and one gradients arena (the gradients laid out in another
 * order, so the offsets differ) against the same tensors in buffers of their own: grad_norm_flat + FINALIZE against
 * grad_norm's SUMSQ + FINALIZE, and adamw_flat against adamw_multi, three clipped steps with per-tensor lr and weight
 * decay, bit for bit; the params also against adamwRef.
 */
const flatCase = (run?: number): GpuCase => ({
  name: `adamw_flat + grad_norm_flat: 13 tensors (1 .. 5000 elements) in arenas = adamw_multi + grad_norm on buffers of their own, bit for bit, 3 clipped steps${run ? `, runs of ${run}` : ''}`,
  async run(ctx) {
    const sizes = [1, 3, 777, 64, 5000, 130, 9, 2, 1025, 33, 7, 300, 4097];
    const o: Omit<AdamWOptions, 'lr' | 'weightDecay'> = { beta1: 0.8, beta2: 0.95, eps: 1e-6 };
    const total = sizes.reduce((a, n) => a + n, 0);
    const starts = sizes.map((_, k) => sizes.slice(0, k).reduce((a, n) => a + n, 0));
    const p0 = sizes.map((n, k) => randomF32(n, 160 + k));
    const pa = createArena(ctx, sizes.map((n, k) => ({ bytes: 4 * n, label: `p${k}`, init: p0[k] })), 'params');
    const order = sizes.map((_, k) => (k * 5) % sizes.length); // gradients in another order
    const ga = createArena(ctx, order.map((k) => ({ bytes: 4 * sizes[k], label: `g${k}` })), 'grads');
    const gr = sizes.map((_, k) => ga.ranges[order.indexOf(k)]);
    const P = p0.map((d) => ctx.createBuffer(d));
    const G = sizes.map((n) => ctx.createBuffer(4 * n));
    const mv0 = Float32Array.from([...randomF32(total, 170, -0.1, 0.1), ...randomF32(total, 171, 0, 0.01)]);
    const MVm = ctx.createBuffer(mv0);
    const MVf = ctx.createBuffer(mv0);
    const [partM, partF] = [0, 1].map(() => ctx.createBuffer(4 * gradNormPartials(ctx, sizes)));
    const [coefM, coefF] = [0, 1].map(() => ctx.createBuffer(8));
    const lr = (k: number) => 1e-3 * (k + 1);
    const wd = (k: number) => (k % 2 ? 0 : 0.1);
    const multi: AdamWTensor[] = sizes.map((n, k) => ({ param: P[k], grad: G[k], n, state: starts[k], lr: lr(k), weightDecay: wd(k) }));
    const flat = sizes.map((n, k) => ({ paramOffset: pa.ranges[k].offset / 4, gradOffset: gr[k].offset / 4, n, state: starts[k], lr: lr(k), weightDecay: wd(k) }));
    const segments = sizes.map((n, k) => ({ offset: gr[k].offset / 4, n }));
    const normTable = ctx.createBuffer(gradNormFlatTable(ctx, segments));
    const adamTable = ctx.buffer({ size: 32 * sizes.length, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: 'segs' });
    const cleanup = [...P, ...G, ...pa.buffers, ...ga.buffers, MVm, MVf, partM, partF, coefM, coefF, normTable, adamTable];
    try {
      const mPlanned = await planAdamWMulti(ctx, multi, { moments: MVm, clip_coef: coefM }, { ...o, step: 1, run });
      const count = gradNormPartials(ctx, sizes);
      const fPlanned = await planAdamWFlat(ctx, { params: pa.buffers[0], grads: ga.buffers[0], moments: MVf, table: adamTable, clip_coef: coefF }, flat, { ...o, step: 1, run });
      const mNorm = await planGradNorm(ctx, G.map((buffer, k) => ({ buffer, n: sizes[k] })), partM, coefM, 1);
      const fNorm = await planGradNormFlat(ctx, [{ buffer: ga.buffers[0], segments, table: normTable }], partF, coefF, 1);
      assert(fNorm.length === 2, `${fNorm.length} flat norm dispatches (one SUMSQ, one FINALIZE)`);
      const bm = [...mNorm, ...mPlanned.map((d) => d.dispatch)].map((d) => ({ b: d.kernel.bind(d.args), wg: d.workgroups }));
      const bf = [...fNorm, fPlanned.dispatch].map((d) => ({ b: d.kernel.bind(d.args), wg: d.workgroups }));
      const msgs: string[] = [];
      try {
        for (const step of [1, 2, 3]) {
          const g = sizes.map((n, k) => randomF32(n, 180 + 10 * step + k, -3, 3));
          g.forEach((x, k) => {
            ctx.write(G[k], x);
            ctx.write(gr[k].buffer, x, gr[k].offset);
          });
          const before = await Promise.all(P.map((b, k) => ctx.readF32(b, sizes[k])));
          const mv = await ctx.readF32(MVm, 2 * total);
          mPlanned.forEach((d, j) => bm[mNorm.length + j].b.update(adamwMultiUniforms(ctx, d.tensors, o, step, d)));
          ctx.write(adamTable, new Uint8Array(adamwFlatTable(ctx, flat, o, step, fPlanned.run)));
          bf[bf.length - 1].b.update(adamwFlatUniforms(ctx, flat, o, step, fPlanned));
          await ctx.submit(['adamw_flat vs adamw_multi'], (enc) => {
            const pass = enc.beginComputePass();
            for (const d of [...bm, ...bf]) d.b.encode(pass, d.wg);
            pass.end();
          });
          same(`step ${step} partials`, await ctx.readF32(partF), await ctx.readF32(partM));
          const coef = await ctx.readF32(coefF, 2);
          same(`step ${step} clip_coef`, coef, await ctx.readF32(coefM, 2));
          const r = gradNormRef(g, 1);
          assert(coef[1] < 1 && Math.abs(coef[1] - r.coef) <= 2 * r.count * U_F32 * r.coef, `step ${step}: clip coef ${coef[1]} vs ${r.coef}`);
          same(`step ${step} moments`, await ctx.readF32(MVf, 2 * total), await ctx.readF32(MVm, 2 * total));
          for (const [k, n] of sizes.entries()) {
            const got = new Float32Array(await ctx.read(pa.ranges[k].buffer, 4 * n, pa.ranges[k].offset));
            same(`step ${step} p${k}`, got, await ctx.readF32(P[k], n));
            const at = starts[k];
            const ref = adamwRef(before[k], g[k], mv.subarray(at, at + n), mv.subarray(total + at, total + at + n), { ...o, lr: lr(k), weightDecay: wd(k) }, step, coef[1]);
            const msg = check(compareBound(`step ${step} p${k}`, got, ref.p, ref.absP, 16));
            if (step === 3 && k % 4 === 0) msgs.push(msg);
          }
        }
      } finally {
        [...bm, ...bf].forEach((d) => d.b.dispose());
      }
      return `${bf.length} flat dispatches = ${bm.length} multi ones (${count} partials), bit for bit; ${msgs.join('; ')}`;
    } finally {
      cleanup.forEach((b) => b.destroy());
    }
  },
});

/** A model of odd-shaped params for the graph-level cases: loss = sum over params of sum(p * p * c). */
function model(ctx: GpuContext, label: string) {
  const shapes = [[1], [7], [33], [100], [5, 13], [64], [3, 3, 3]];
  const g = new Graph(ctx, label);
  const ps = shapes.map((sh, k) => g.param(`p${k}`, sh, randomF32(sh.reduce((a, b) => a * b, 1), 90 + k, -1, 1)));
  const loss = ps.map((p, k) => op.sum(op.mul(op.mul(p, p), g.constant(randomF32(p.numel, 95 + k, 0.5, 2), p.shape)))).reduce((a, b) => op.add(a, b));
  const grads = g.backward(loss, ps);
  return { g, ps, loss, dense: ps.map((p) => grads.get(p)!) };
}

/** Dispatches Optimizer.encode records. */
function countEncoded(opt: Optimizer): number {
  let n = 0;
  opt.encode({ dispatchWorkgroups: () => n++, setPipeline: () => {}, setBindGroup: () => {} } as unknown as GPUComputePassEncoder);
  return n;
}

/**
 * The Optimizer over params in arenas (Graph.flattenParams, 2 arenas under a small cap) and gradients in one (compile's
 * `flat`), with and without accumulation of 2 micro-batches, against buffers of their own: the same params and state
 * (the same checkpoint keys) bit for bit after three clipped steps, in 3 dispatches against the multi-tensor path's.
 */
const graphCase = (accumulate: number, cap?: number): GpuCase => ({
  name: `optimizer: params and gradients in arenas = buffers of their own, bit for bit (AdamW + clipping${accumulate > 1 ? `, ${accumulate} micro-batches` : ''}${cap ? `, params arenas of ${cap} bytes` : ''})`,
  async run(ctx) {
    const runs: { params: Float32Array[]; state: Record<string, Float32Array>; dispatches: number; arenas: number }[] = [];
    for (const flat of [false, true]) {
      const m = model(ctx, `arenas ${flat}`);
      let opt: Optimizer | null = null;
      try {
        if (flat) {
          const placed = m.g.flattenParams(m.ps, cap);
          assert(placed === m.ps.length, `${placed} params placed`);
          // Params in arenas read and write at their offsets.
          const v = await m.g.readParam(m.ps[4]);
          same('p4 read back from its arena', v, randomF32(65, 94, -1, 1));
          m.g.writeParam(m.ps[4], v);
        }
        const exe = await m.g.compile({ outputs: [m.loss, ...m.dense], flat: flat ? m.dense : [] });
        if (flat) assert(new Set(m.dense.map((t) => (exe.buffer(t) as { buffer: GPUBuffer }).buffer)).size === 1, 'the gradients share one buffer');
        opt = await Optimizer.create(ctx, exe, m.ps.map((p, k) => [p, m.dense[k], k % 2 ? { weightDecay: 0, lrScale: 2 } : {}] as [Tensor, Tensor, { weightDecay?: number; lrScale?: number }]), { kind: 'adamw', lr: 1e-2, weightDecay: 0.1 }, 0.5, accumulate);
        for (let step = 0; step < 3; step++) {
          opt.prepare(1e-2);
          for (let mb = 0; mb < accumulate; mb++) {
            const last = mb === accumulate - 1;
            await exe.run({}, { after: (pass) => (accumulate > 1 && opt!.encodeAccumulate(pass, mb === 0), last ? opt!.encode(pass) : undefined) });
          }
          opt.advance();
        }
        const arenas = new Set(m.ps.map((p) => (exe.buffer(p) as GPUBuffer & { buffer?: GPUBuffer }).buffer ?? exe.buffer(p))).size;
        runs.push({ params: await Promise.all(m.ps.map(async (p) => Float32Array.from(await exe.read(p)))), state: await opt.state(), dispatches: countEncoded(opt), arenas });
      } finally {
        opt?.destroy();
        m.g.destroy();
      }
    }
    const [own, flat] = runs;
    own.params.forEach((p, k) => same(`p${k}`, flat.params[k], p));
    const keys = Object.keys(own.state).sort();
    assert(keys.join() === Object.keys(flat.state).sort().join(), `state keys differ: ${keys.join()} vs ${Object.keys(flat.state).sort().join()}`);
    for (const key of keys) same(key, flat.state[key], own.state[key]);
    // Flat: SUMSQ + FINALIZE + one AdamW a bank (a bank per params arena).
    assert(flat.arenas === (cap ? 2 : 1), `${flat.arenas} params arenas under cap ${cap}`);
    assert(flat.dispatches === 2 + flat.arenas, `${flat.dispatches} flat optimizer dispatches for ${flat.arenas} params arena(s)`);
    return `${keys.length} state tensors equal; optimizer dispatches ${own.dispatches} -> ${flat.dispatches} (${flat.arenas} params arena(s))`;
  },
});

const errorsCase: GpuCase = {
  name: 'error: flat optimizer kernels and arenas refuse bad segments, hyperparameters and tensors',
  async run(ctx) {
    const msgs: string[] = [];
    const B = ctx.createBuffer(64);
    const T = ctx.buffer({ size: 64, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const m = model(ctx, 'errors');
    try {
      const t = { paramOffset: 0, gradOffset: 0, n: 4, state: 0, lr: 1e-3, weightDecay: 0 };
      msgs.push(await expectError('no tensors', () => planAdamWFlat(ctx, { params: B, grads: B, moments: B, table: T }, [], { step: 1 })));
      msgs.push(await expectError('n 0', () => planAdamWFlat(ctx, { params: B, grads: B, moments: B, table: T }, [{ ...t, n: 0 }], { step: 1 })));
      msgs.push(await expectError('negative lr', () => planAdamWFlat(ctx, { params: B, grads: B, moments: B, table: T }, [{ ...t, lr: -1 }], { step: 1 })));
      msgs.push(await expectError('beta1 1', () => planAdamWFlat(ctx, { params: B, grads: B, moments: B, table: T }, [t], { step: 1, beta1: 1 })));
      msgs.push(await expectError('max_norm 0', () => planGradNormFlat(ctx, [{ buffer: B, segments: [{ offset: 0, n: 4 }], table: T }], B, B, 0)));
      msgs.push(await expectError('arena over its cap', () => createArena(ctx, [{ bytes: 1024, label: 'big' }], 'tiny', 512)));
      msgs.push(await expectError('flat not an output', () => m.g.compile({ outputs: [m.loss], flat: [m.dense[0]] })));
      msgs.push(await expectError('flat a param', () => m.g.compile({ outputs: [m.loss, m.ps[0]], flat: [m.ps[0]] })));
      msgs.push(await expectError('flatten a non-param', () => m.g.flattenParams([m.loss])));
      assert(/segment 0/.test(msgs[1]) && /lr/.test(msgs[2]) && /'big' of 1024 bytes/.test(msgs[5]) && /not one of the outputs/.test(msgs[6]) && /not an f32 param/.test(msgs[8]), msgs.join(' | '));
      return msgs.join(' | ');
    } finally {
      B.destroy();
      T.destroy();
      m.g.destroy();
    }
  },
};

// 2048 bytes (offsets aligned to 256): p0 .. p5 in one arena, p6 in a second.
export const CASES: GpuCase[] = [flatCase(), flatCase(3), graphCase(1), graphCase(2), graphCase(1, 2048), errorsCase];
