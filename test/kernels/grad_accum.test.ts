// Gradient accumulation (GraphTrainer's `accumulate`, src/train/optimizer.ts Accumulator) on Dawn in Node:
//   - the axpy kernel (shaders/basic/elementwise.wgsl OP_AXPY) and the accumulator's mean of k buffers against f64;
//   - on a tiny Llama (dim 16, 1 layer), steps of 2 micro-batches of B windows equal steps of one batch of 2B
//     (params, AdamW with weight decay and global-norm clipping, and the mean loss);
//   - accumulate 1 is the path without accumulation, bit for bit;
//   - a checkpoint taken mid-run with accumulation resumes bit for bit, on a trainer whose accumulators hold another
//     step's gradients (nothing carries over between steps, so a checkpoint needs nothing more);
//   - bad accumulate values and a wrong number of micro-batches are refused, naming the value.
//
// Bounds of the 2 x B == 2B case. The two runs differ only in summation order: the 2B batch sums each gradient over
// 2BT = 64 rows in one reduction, the accumulated run sums two halves of 32 rows and adds them (each scaled by 1/2,
// exactly). So each gradient is within about K u = 64 * 2^-24 = 3.8e-6 of the other, relative to the tensor's largest
// gradient: GRAD_BOUND 4e-6, checked on each step's global gradient norm and on what the first update consumed
// (AdamW's moments after it, read from a checkpoint: 0.1 x the clipped mean gradient and 0.001 x its square).
// The loss: a mean of 64 terms vs the mean of two means of 32, LOSS_BOUND 1e-6 relative. Params: PARAM_BOUND 1e-6 of
// the tensor's largest |value| (the gradients' difference through lr * m / sqrt(v), one rounding), plus what AdamW
// does to a gradient near zero: it divides each element by its own RMS, so where |g| is a few eps (1e-8) -- output
// rows of tokens no target names, whose gradient is a cancelling sum -- the update lr * g / (|g| + eps) moves by
// lr * d / eps for a difference d of ~1e-11 (1e-8 of the tensor's largest gradient), a share of lr: AMPLIFIED = 1e-2
// of the learning rates' sum (measured 3e-3 of lr on an output.weight element whose gradient is 2e-9). Any change of
// summation order (a matmul's tiling too) does that; later steps' gradients then differ by more than GRAD_BOUND too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { planAxpy } from '../../src/kernels/basic.js';
import { runDispatch } from '../../src/kernels/common.js';
import { buildLlamaTrainGraph, readLlamaWeights, type LlamaWeights } from '../../src/nn/llama_train.js';
import { initLlamaWeights, llamaConfig } from '../../src/nn/llama_weights.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { axpyRef } from '../../src/ref/basic.js';
import { randomF32, rng } from '../../src/ref/random.js';
import { compareBound } from '../../src/ref/tolerance.js';
import { GraphTrainer, TrainingError, type GraphInputs } from '../../src/train/graph_trainer.js';
import { Accumulator } from '../../src/train/optimizer.js';

let ctx: GpuContext;
const measured: string[] = [];
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(() => {
  if (measured.length) console.log(`grad accumulation:\n  ${measured.join('\n  ')}`);
  ctx?.destroy();
});

const config = llamaConfig({ dim: 16, layers: 1, heads: 2, kvHeads: 1, ffn: 16, ctx: 16 });
const W0 = initLlamaWeights(config, 7);
const B = 2;
const T = 16;
// clipNorm 0.5: below every step's gradient norm here (~0.7), so clipping acts on the mean gradient.
const OPTS = { lr: 1e-2, weightDecay: 0.1, clipNorm: 0.5 };
const GRAD_BOUND = 4e-6;
const PARAM_BOUND = 1e-6;
const AMPLIFIED = 1e-2;
const LOSS_BOUND = 1e-6;
const lrAt = (s: number) => 1e-2 * (1 - 0.2 * s);

/** `rows` random windows (ids and next-token targets over the byte vocabulary), seeded. */
function windows(rows: number, seed: number): GraphInputs {
  const r = rng(seed);
  const ids = Int32Array.from({ length: rows * T }, () => Math.floor(r() * config.vocab));
  const targets = Int32Array.from({ length: rows * T }, () => Math.floor(r() * config.vocab));
  return { ids, targets };
}

/** Rows [from, from + rows) of a batch. */
function rowsOf(x: GraphInputs, from: number, rows: number): GraphInputs {
  const s = (a: ArrayBufferView) => (a as Int32Array).slice(from * T, (from + rows) * T);
  return { ids: s(x.ids), targets: s(x.targets) };
}

/** Runs `steps` (each: the inputs of one step) on a fresh model from W0; the losses and the final weights. */
async function train(rows: number, accumulate: number | undefined, steps: (GraphInputs | GraphInputs[])[]): Promise<{ losses: number[]; norms: number[]; w: LlamaWeights; states: Record<string, Float32Array>[] }> {
  const t = buildLlamaTrainGraph(ctx, config, W0, { B: rows, T, label: `accum-${rows}x${accumulate ?? 'default'}` });
  const tr = await GraphTrainer.create(ctx, t, { ...OPTS, ...(accumulate === undefined ? {} : { accumulate }) });
  try {
    const losses: number[] = [];
    const states: Record<string, Float32Array>[] = [];
    const norms: number[] = [];
    for (const [s, x] of steps.entries()) {
      losses.push((await tr.step(x, lrAt(s))).loss);
      norms.push((await tr.lastGradNorm())!);
      const st = parseSafetensors(await tr.checkpoint()).tensors;
      states.push(Object.fromEntries(Object.entries(st).filter(([k]) => k.startsWith('optim.')).map(([k, v]) => [k, v.data as Float32Array])));
    }
    return { losses, norms, w: await readLlamaWeights(t), states };
  } finally {
    tr.destroy();
    t.graph.destroy();
  }
}

function sameBits(a: LlamaWeights, b: LlamaWeights): void {
  for (const k of Object.keys(a)) expect(Buffer.compare(Buffer.from(a[k].buffer, a[k].byteOffset, a[k].byteLength), Buffer.from(b[k].buffer, b[k].byteOffset, b[k].byteLength)), k).toBe(0);
}

describe('gradient accumulation', () => {
  it('axpy (y += alpha a, in place) and the accumulator (the mean of k runs) equal f64', async () => {
    const n = 1025;
    for (const alpha of [-1.75, 1 / 3]) {
      const a = randomF32(n, 1);
      const y = randomF32(n, 2);
      const A = ctx.createBuffer(a);
      const Y = ctx.createBuffer(y);
      await runDispatch(await planAxpy(ctx, A, Y, n, alpha));
      const ref = axpyRef(y, a, alpha);
      // Two roundings (product, sum; one if fused): |err| <= u (|y| + 2 |alpha a|).
      const f = Math.fround(alpha);
      const r = compareBound('axpy', await ctx.readF32(Y, n), ref, Float64Array.from(ref, (_, i) => Math.abs(y[i]) + 2 * Math.abs(f * a[i])), 1, 2 ** -24, 1);
      expect(r.ok, r.message).toBe(true);
      measured.push(`axpy alpha ${alpha.toFixed(3)}: ${r.message}`);
      A.destroy();
      Y.destroy();
    }
    // The accumulator over k = 3 runs: acc = g0/3, then += g1/3, += g2/3; each run's source rewritten in between.
    const k = 3;
    const gs = Array.from({ length: k }, (_, j) => randomF32(n, 10 + j));
    const G = ctx.createBuffer(4 * n);
    const acc = await Accumulator.create(ctx, [{ buffer: G, n }], k);
    const third = Math.fround(1 / 3);
    for (let j = 0; j < k; j++) {
      ctx.write(G, gs[j]);
      await ctx.submit(['accumulate'], (enc) => {
        const pass = enc.beginComputePass();
        acc.encode(pass, j === 0);
        pass.end();
      });
    }
    const mean = Float64Array.from({ length: n }, (_, i) => gs.reduce((s, g) => s + third * g[i], 0));
    const abs = Float64Array.from({ length: n }, (_, i) => gs.reduce((s, g) => s + Math.abs(third * g[i]), 0));
    const r = compareBound('mean of 3', await ctx.readF32(acc.buffers[0], n), mean, abs, 2 * k);
    expect(r.ok, r.message).toBe(true);
    measured.push(`accumulator k=3: ${r.message}`);
    acc.destroy();
    G.destroy();
  });

  it('steps of 2 micro-batches of B equal steps of one batch of 2B (params, AdamW + clipping, loss)', async () => {
    const big = [windows(2 * B, 1), windows(2 * B, 2), windows(2 * B, 3)];
    const one = await train(2 * B, 1, big);
    const acc = await train(B, 2, big.map((x) => [rowsOf(x, 0, B), rowsOf(x, B, B)]));
    /** max |a - b| / max |a| of a tensor. */
    const rel = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0) / a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    // The first step's gradients are taken at the same params: AdamW's moments then hold (1 - beta) * the clipped
    // mean gradient and (1 - beta2) * its square. Later steps' params differ (below), so their gradients do too.
    const moments = one.states.map((st, s) => Math.max(...Object.keys(st).map((k) => rel(st[k], acc.states[s][k]))));
    for (const k of Object.keys(one.states[0])) expect(rel(one.states[0][k], acc.states[0][k]), k).toBeLessThanOrEqual(GRAD_BOUND);
    const lrSum = [0, 1, 2].reduce((s, i) => s + lrAt(i), 0);
    let worst = 0;
    let worstName = '';
    let over = 0;
    let count = 0;
    for (const k of Object.keys(one.w)) {
      const scale = one.w[k].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (let i = 0; i < one.w[k].length; i++) {
        const d = Math.abs(one.w[k][i] - acc.w[k][i]);
        expect(d, `${k}[${i}]`).toBeLessThanOrEqual(PARAM_BOUND * scale + AMPLIFIED * lrSum);
        if (d > PARAM_BOUND * scale) over++;
        count++;
      }
      if (rel(one.w[k], acc.w[k]) >= worst) [worst, worstName] = [rel(one.w[k], acc.w[k]), k];
    }
    // The params moved (the comparison is not of two untrained models).
    expect(Math.max(...Object.keys(W0).map((k) => Math.max(...one.w[k].map((v, i) => Math.abs(v - W0[k][i])))))).toBeGreaterThan(1e-3);
    // The global norm of the mean gradient (before clipping; a factor 1/k missing would double it): the same on every step.
    const normRel = Math.max(...one.norms.map((n, s) => Math.abs(n - acc.norms[s]) / n));
    expect(normRel).toBeLessThanOrEqual(GRAD_BOUND);
    const lossRel = Math.max(...one.losses.map((l, s) => Math.abs(l - acc.losses[s]) / Math.abs(l)));
    expect(lossRel).toBeLessThanOrEqual(LOSS_BOUND);
    measured.push(`2 x B=${B} vs 2B=${2 * B} (T ${T}), 3 steps: grad norms ${one.norms.map((n) => n.toFixed(4)).join(', ')} (clip ${OPTS.clipNorm}), max rel diff ${normRel.toExponential(2)}; AdamW moments max rel diff after step 1 ${moments[0].toExponential(2)} (bound ${GRAD_BOUND}), steps 2, 3 ${moments.slice(1).map((m) => m.toExponential(2)).join(', ')}; loss ${lossRel.toExponential(2)} (bound ${LOSS_BOUND}); params max rel diff ${worst.toExponential(2)} (${worstName}), ${over} of ${count} elements past ${PARAM_BOUND} of their tensor's largest (AdamW on near-zero gradients)`);
  });

  it('accumulate 1 is the path without accumulation, bit for bit', async () => {
    const steps = [windows(B, 4), windows(B, 5), windows(B, 6)];
    const plain = await train(B, undefined, steps);
    const one = await train(B, 1, steps.map((x) => [x]));
    expect(one.losses).toEqual(plain.losses);
    sameBits(one.w, plain.w);
  });

  it('a checkpoint taken mid-run with accumulation resumes bit for bit', async () => {
    const k = 2;
    const steps = Array.from({ length: 4 }, (_, s) => Array.from({ length: k }, (_, j) => windows(B, 100 + s * k + j)));
    let ckpt: Uint8Array | null = null;
    const t = buildLlamaTrainGraph(ctx, config, W0, { B, T, label: 'accum-whole' });
    const tr = await GraphTrainer.create(ctx, t, { ...OPTS, accumulate: k });
    const whole: number[] = [];
    let wholeW: LlamaWeights;
    try {
      for (const [s, x] of steps.entries()) {
        whole.push((await tr.step(x, lrAt(s))).loss);
        if (s === 1) ckpt = await tr.checkpoint({ note: 'mid' });
      }
      wholeW = await readLlamaWeights(t);
    } finally {
      tr.destroy();
      t.graph.destroy();
    }
    // Nothing of the accumulators is saved: params, AdamW state and the step only.
    expect(Object.keys(parseSafetensors(ckpt!).tensors).filter((n) => !/^(param|optim)\./.test(n))).toEqual([]);
    // Resume on a trainer that took a step of other data first, so its accumulators hold stale gradients.
    const t2 = buildLlamaTrainGraph(ctx, config, W0, { B, T, label: 'accum-resumed' });
    const tr2 = await GraphTrainer.create(ctx, t2, { ...OPTS, accumulate: k });
    try {
      await tr2.step([windows(B, 999), windows(B, 998)], 5e-2);
      expect(tr2.restore(ckpt!).note).toBe('mid');
      expect(tr2.stepsTaken).toBe(2);
      const rest: number[] = [];
      for (let s = 2; s < steps.length; s++) rest.push((await tr2.step(steps[s], lrAt(s))).loss);
      expect(rest).toEqual(whole.slice(2));
      sameBits(await readLlamaWeights(t2), wholeW);
    } finally {
      tr2.destroy();
      t2.graph.destroy();
    }
  });

  it('refuses a bad accumulate and a wrong number of micro-batches, naming the value', async () => {
    const t = buildLlamaTrainGraph(ctx, config, W0, { B, T, label: 'accum-bad' });
    try {
      for (const bad of [0, 1.5, -2]) {
        const e = await GraphTrainer.create(ctx, t, { ...OPTS, accumulate: bad }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(TrainingError);
        expect((e as Error).message).toMatch(new RegExp(`accumulate ${String(bad).replace('.', '\\.')} must be an integer >= 1`));
      }
      const tr = await GraphTrainer.create(ctx, t, { ...OPTS, accumulate: 2 });
      try {
        const x = windows(B, 1);
        for (const [inputs, re] of [
          [[x, x, x], /step 1 was given 3 micro-batches, accumulate is 2/],
          [[x], /step 1 was given 1 micro-batch, accumulate is 2/],
          [x, /step 1 was given one batch, accumulate is 2 \(pass an array of 2 micro-batch inputs\)/],
        ] as [GraphInputs | GraphInputs[], RegExp][]) {
          const e = await tr.step(inputs, 1e-2).catch((y: unknown) => y);
          expect(e).toBeInstanceOf(TrainingError);
          expect((e as Error).message).toMatch(re);
        }
        expect(tr.stepsTaken).toBe(0);
        // A micro-batch of the wrong size is refused by the graph before the update: the params are untouched.
        const e = await tr.step([x, windows(B + 1, 2)], 1e-2).catch((y: unknown) => y);
        expect((e as Error).message).toMatch(/input .*ids.* needs 128 bytes, got 192/);
        sameBits(await readLlamaWeights(t), W0);
      } finally {
        tr.destroy();
      }
      const plain = await GraphTrainer.create(ctx, t, OPTS);
      try {
        const e = await plain.step([windows(B, 1), windows(B, 2)], 1e-2).catch((y: unknown) => y);
        expect((e as Error).message).toMatch(/step 1 was given 2 micro-batches, accumulate is 1/);
      } finally {
        plain.destroy();
      }
    } finally {
      t.graph.destroy();
    }
  });
});
