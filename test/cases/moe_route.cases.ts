// The mixture-of-experts router (shaders/lm/moe_route.wgsl, planMoeRoute) against the f64 reference
// (src/ref/moe_route.ts moeRouteRef): the same experts chosen in every row (the zeros agree exactly), and each chosen
// weight within the f32 rounding of a softmax over the row and a division by the chosen ones' sum. Shapes of the
// families run: Mixtral's 8 experts 2 a token, Qwen3-MoE's 128 / 8, OLMoE's 64 / 8 unnormalized, the kernel's
// largest 1024, a scale, Qwen2-MoE's sigmoid gate (1 / 1), DeepSeek V3's group-limited selection (256 experts in 8
// groups, the best 4 kept; the case checks that the groups changed some row's choice) and Kimi K2's 384; ties to the
// lower index; a row with a NaN logit gets no expert (zeros), as the reference does; bad shapes refused before any
// dispatch. The engine's arming of the expert
// dispatches (moe_dispatch: zero work for an expert no row chose) against moeDispatchRef, an armed pass that runs one
// expert's dispatch and skips another's, and moe_add (rows that did not choose the expert keep acc, even where the
// skipped expert's output holds NaN) against moeAddRef.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatches } from '../../src/kernels/common.js';
import { MOE_MAX_EXPERTS, moeDispatchTable, planMoeAdd, planMoeDispatch, planMoeRoute, type MoeDispatchEntry, type MoeRouteShape } from '../../src/kernels/moe_route.js';
import { moeAddRef, moeDispatchRef, moeRouteRef } from '../../src/ref/moe_route.js';
import { randomF32 } from '../../src/ref/random.js';
import { U_F32 } from '../../src/ref/tolerance.js';
import { assert, caseBuffers, expectError, type GpuCase } from './types.js';
import { Graph } from '../../src/graph/graph.js';
import * as op from '../../src/ops/index.js';
import { Arr, ref } from '../../src/ref/ops.js';
import { opCase } from './ops.cases.js';

function routeCase(what: string, s: MoeRouteShape, fill: (x: Float32Array) => void = () => {}, withBias = false): GpuCase {
  return {
    name: `moe_route ${s.rows} rows x ${s.experts} experts, ${s.used} used, ${s.gating}${s.norm ? ', normalized' : ''}${s.scale !== undefined ? `, scale ${s.scale}` : ''}${withBias ? ', selection bias' : ''}${s.groups ? `, the best ${s.groups.used} of ${s.groups.count} groups` : ''}: ${what}`,
    async run(ctx: GpuContext) {
      const n = s.rows * s.experts;
      const logits = randomF32(n, s.rows * 31 + s.experts, -4, 4);
      fill(logits);
      const b = caseBuffers(ctx);
      try {
        const L = b.buf(logits, 'logits');
        const Y = b.buf(4 * n, 'y');
        // a selection bias of the probabilities' size: it changes which experts are chosen, not their weights
        const bias = withBias ? randomF32(s.experts, 5, -0.3, 0.3) : undefined;
        await runDispatches(ctx, [await planMoeRoute(ctx, L, Y, s, bias ? b.buf(bias, 'bias') : undefined)]);
        const got = await ctx.readF32(Y, n);
        const want = moeRouteRef(logits, s, bias);
        // softmax: exp and a sum of `experts` terms, a division, the normalizing sum of `used` and a division
        const bound = 4 * (s.experts + s.used + 8) * U_F32 * Math.abs(s.scale ?? 1);
        let worst = 0;
        for (let i = 0; i < n; i++) {
          assert((got[i] === 0) === (want[i] === 0), `row ${Math.floor(i / s.experts)} expert ${i % s.experts}: ${got[i]}, reference ${want[i]} (a different expert chosen)`);
          const d = Math.abs(got[i] - want[i]);
          assert(d <= bound, `row ${Math.floor(i / s.experts)} expert ${i % s.experts}: ${got[i]}, reference ${want[i]} (|d| ${d.toExponential(2)} > ${bound.toExponential(2)})`);
          worst = Math.max(worst, d);
        }
        for (let r = 0; r < s.rows; r++) {
          const chosen = want.subarray(r * s.experts, (r + 1) * s.experts).filter((v) => v !== 0).length;
          assert(chosen === s.used || (chosen === 0 && logits.subarray(r * s.experts, (r + 1) * s.experts).some(Number.isNaN)), `row ${r}: ${chosen} experts chosen, ${s.used} expected`);
        }
        if (s.groups) {
          // the groups must matter: some row's free choice includes an expert of a group left out
          const free = moeRouteRef(logits, { ...s, groups: undefined }, bias);
          assert(free.some((v, i) => (v === 0) !== (want[i] === 0)), 'no row chose otherwise without the groups: the case does not test them');
        }
        return `max |err| ${worst.toExponential(2)} (bound ${bound.toExponential(2)})`;
      } finally {
        b.destroy();
      }
    },
  };
}

/** Router weights [rows, experts] with the given chosen (row, expert, weight) entries, zeros elsewhere. */
function weights(rows: number, experts: number, chosen: [number, number, number][]): Float32Array {
  const w = new Float32Array(rows * experts);
  for (const [r, e, v] of chosen) w[r * experts + e] = v;
  return w;
}

const dispatchCase: GpuCase = {
  name: 'moe_dispatch: the arguments of 7 expert dispatches over 3 rows and 4 experts (experts 1 and 3 chosen, 0 and 2 not)',
  async run(ctx: GpuContext) {
    const w = weights(3, 4, [[0, 1, 0.7], [0, 3, 0.3], [2, 1, 1], [1, 3, NaN]]);
    const entries: MoeDispatchEntry[] = [
      { workgroups: [5, 2, 1], expert: 0 },
      { workgroups: [5, 2], expert: 1 },
      { workgroups: [7], expert: 1 },
      { workgroups: [3, 1, 4], expert: 2 },
      { workgroups: [9, 9, 1], expert: 3 },
      { workgroups: [1], expert: 0 },
      { workgroups: [65535, 2, 1], expert: 3 },
    ];
    const b = caseBuffers(ctx);
    try {
      const W = b.buf(w, 'w');
      const table = ctx.createBuffer(moeDispatchTable(entries), undefined, 'table');
      const args = ctx.createBuffer(12 * entries.length, GPUBufferUsage.STORAGE | GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'args');
      try {
        await runDispatches(ctx, [await planMoeDispatch(ctx, W, table, args, { rows: 3, experts: 4, count: entries.length })]);
        const got = [...(await ctx.readU32(args, 3 * entries.length))];
        const want = [...moeDispatchRef(w, 3, 4, entries)];
        assert(JSON.stringify(got) === JSON.stringify(want), `args ${JSON.stringify(got)}, reference ${JSON.stringify(want)}`);
        assert(want[0] === 0 && want[3] === 5 && want[9] === 0 && want[12] === 9, `the reference: ${JSON.stringify(want)}`);
        return JSON.stringify(got);
      } finally {
        table.destroy();
        args.destroy();
      }
    } finally {
      b.destroy();
    }
  },
};

const armedCase: GpuCase = {
  name: 'moe_dispatch armed pass: expert 1\'s moe_add runs, expert 0\'s (no row chose it) does not write its output',
  async run(ctx: GpuContext) {
    const [rows, cols] = [5, 70];
    const w = weights(rows, 2, [[0, 1, 0.5], [3, 1, 2]]);
    const acc = randomF32(rows * cols, 3);
    const x = randomF32(rows * cols, 4);
    const b = caseBuffers(ctx);
    try {
      const W = b.buf(w, 'w');
      const A = b.buf(acc, 'acc');
      const X = b.buf(x, 'x');
      const sentinel = new Float32Array(rows * cols).fill(-7);
      const Y0 = b.buf(sentinel, 'y expert 0');
      const Y1 = b.buf(sentinel, 'y expert 1');
      const adds = [await planMoeAdd(ctx, A, X, W, Y0, { rows, cols, wCols: 2, col: 0 }), await planMoeAdd(ctx, A, X, W, Y1, { rows, cols, wCols: 2, col: 1 })];
      const entries = adds.map((d, e) => ({ workgroups: d.workgroups, expert: e }));
      const table = ctx.createBuffer(moeDispatchTable(entries), undefined, 'table');
      const args = ctx.createBuffer(12 * entries.length, GPUBufferUsage.STORAGE | GPUBufferUsage.INDIRECT, 'args');
      try {
        const arm = await planMoeDispatch(ctx, W, table, args, { rows, experts: 2, count: 2 });
        const bound = [arm, ...adds].map((d) => d.kernel.bind(d.args));
        try {
          await ctx.submit(['moe armed'], (enc) => {
            const pass = enc.beginComputePass({ label: 'moe armed' });
            bound[0].encode(pass, arm.workgroups);
            adds.forEach((d, i) => bound[i + 1].encode(pass, d.workgroups, { buffer: args, offset: 12 * i }));
            pass.end();
          });
        } finally {
          bound.forEach((x) => x.dispose());
        }
        const y0 = await ctx.readF32(Y0, rows * cols);
        const y1 = await ctx.readF32(Y1, rows * cols);
        assert(y0.every((v) => v === -7), 'expert 0 was chosen by no row, yet its dispatch wrote its output');
        const want = moeAddRef(acc, x, w, rows, cols, 2, 1);
        const d = Math.max(...want.map((v, i) => Math.abs(v - y1[i])));
        assert(d <= 4 * U_F32 * 8, `expert 1's moe_add: max |err| ${d}`);
        return `skipped dispatch left its output; the armed one within ${d.toExponential(2)}`;
      } finally {
        table.destroy();
        args.destroy();
      }
    } finally {
      b.destroy();
    }
  },
};

const addCase: GpuCase = {
  name: 'moe_add: rows with weight 0 keep acc even where the expert\'s output is NaN (a skipped expert\'s stale buffer); unit adds the output unweighted',
  async run(ctx: GpuContext) {
    const [rows, cols, wCols, col] = [6, 33, 5, 2];
    const w = weights(rows, wCols, [[0, 2, 0.25], [2, 2, 1], [5, 2, 0.125], [1, 0, 1]]);
    const acc = randomF32(rows * cols, 5, -3, 3);
    const x = randomF32(rows * cols, 6, -3, 3);
    x.fill(NaN, cols, 2 * cols); // row 1 did not choose expert 2
    const b = caseBuffers(ctx);
    try {
      let worst = 0;
      // unit (llama4's experts, weighted before their FFN): x added as it is where the weight is not 0
      for (const unit of [false, true]) {
        const Y = b.buf(4 * rows * cols, 'y');
        await runDispatches(ctx, [await planMoeAdd(ctx, b.buf(acc, 'acc'), b.buf(x, 'x'), b.buf(w, 'w'), Y, { rows, cols, wCols, col, unit })]);
        const got = await ctx.readF32(Y, rows * cols);
        const want = moeAddRef(acc, x, w, rows, cols, wCols, col, unit);
        for (let i = 0; i < got.length; i++) {
          const d = Math.abs(got[i] - want[i]);
          assert(d <= 2 * U_F32 * (Math.abs(want[i]) + 3), `unit ${unit}: y[${i}] = ${got[i]}, reference ${want[i]}`);
          worst = Math.max(worst, d);
        }
        if (unit) assert(Math.abs(got[2 * cols] - (acc[2 * cols] + x[2 * cols])) <= 1e-5 && Math.abs(got[0] - (acc[0] + x[0])) <= 1e-5, 'unit: rows 0 and 2 add x as it is');
      }
      return `max |err| ${worst.toExponential(2)}`;
    } finally {
      b.destroy();
    }
  },
};

/** Training's top-k mask (moe_route.wgsl MASK) against the reference's choice. */
const maskCase: GpuCase = {
  name: 'moe_topk_mask [9, 16], 4 used (training): the experts the router chooses, ties to the lower index',
  async run(ctx: GpuContext) {
    const logits = randomF32(9 * 16, 77, -3, 3);
    logits.fill(0.25, 16, 32); // row 1: all tied
    const g = new Graph(ctx, 'moe mask');
    try {
      const x = g.input('x', [9, 16], 'f32');
      const m = op.moeTopKMask(x, 4);
      const exe = await g.compile({ outputs: [m] });
      await exe.run({ x: logits });
      const got = await exe.read(m);
      const want = moeRouteRef(logits, { rows: 9, experts: 16, used: 4, norm: true, gating: 'softmax' }).map((v) => (v !== 0 ? 1 : 0));
      assert(got.every((v, i) => v === want[i]), `mask ${[...got]} vs reference ${[...want]}`);
      assert([...got.subarray(16, 32)].join() === '1,1,1,1,0,0,0,0,0,0,0,0,0,0,0,0', `tied row: ${[...got.subarray(16, 32)]}`);
      return 'equal';
    } finally {
      g.destroy();
    }
  },
};

/** The mask with DeepSeek V3's groups: 16 experts in 4 groups, the best 2 kept, 3 a row (scores given as they are). */
const groupMaskCase: GpuCase = {
  name: 'moe_topk_mask [12, 16], 3 used of the best 2 of 4 groups (training): the experts the grouped router chooses',
  async run(ctx: GpuContext) {
    const scores = randomF32(12 * 16, 78, 0, 1);
    const g = new Graph(ctx, 'moe group mask');
    try {
      const x = g.input('x', [12, 16], 'f32');
      const m = op.moeTopKMask(x, 3, { count: 4, used: 2 });
      const exe = await g.compile({ outputs: [m] });
      await exe.run({ x: scores });
      const got = await exe.read(m);
      // the reference ranks probabilities: a sigmoid keeps the scores' order but not their sums' (as a softmax would not)
      const logits = scores.map((p) => Math.log(p / (1 - p)));
      const want = moeRouteRef(logits, { rows: 12, experts: 16, used: 3, norm: true, gating: 'sigmoid', groups: { count: 4, used: 2 } }).map((v) => (v !== 0 ? 1 : 0));
      assert(got.every((v, i) => v === want[i]), `mask ${[...got]} vs reference ${[...want]}`);
      const free = moeRouteRef(logits, { rows: 12, experts: 16, used: 3, norm: true, gating: 'sigmoid' }).map((v) => (v !== 0 ? 1 : 0));
      assert(free.some((v, i) => v !== want[i]), 'the groups changed no row: the case does not test them');
      return 'equal';
    } finally {
      g.destroy();
    }
  },
};

export const CASES: GpuCase[] = [
  maskCase,
  groupMaskCase,
  // training's router from graph ops: forward vs the reference, the gradient vs central finite differences
  opCase({ name: 'moe_route [5, 8], 2 used, softmax, normalized (Mixtral, Qwen3-MoE)', inputs: [{ shape: [5, 8], lo: -2, hi: 2 }], gpu: ([x]) => op.moeRoute(x, { used: 2, norm: true, gating: 'softmax' }), ref: ([x]) => ref.moeRoute(x, { used: 2, norm: true, gating: 'softmax' }), K: 8 }),
  opCase({ name: 'moe_route [4, 6], 3 used, softmax, unnormalized, scale 0.4 (OLMoE; Granite\'s residual scale)', inputs: [{ shape: [4, 6], lo: -2, hi: 2 }], gpu: ([x]) => op.moeRoute(x, { used: 3, norm: false, gating: 'softmax', scale: 0.4 }), ref: ([x]) => ref.moeRoute(x, { used: 3, norm: false, gating: 'softmax', scale: 0.4 }), K: 6 }),
  opCase({ name: 'moe_route [5, 8], 2 used, sigmoid, normalized, a selection bias (LFM2-MoE; the bias takes no gradient)', inputs: [{ shape: [5, 8], lo: -2, hi: 2 }, { shape: [8], lo: -0.3, hi: 0.3 }], gpu: ([x, b]) => op.moeRoute(x, { used: 2, norm: true, gating: 'sigmoid', bias: b }), ref: ([x, b]) => Arr.from([5, 8], moeRouteRef(x.data, { rows: 5, experts: 8, used: 2, norm: true, gating: 'sigmoid' }, b.data)), K: 8 }),
  opCase({ name: 'moe_route [6, 16], 4 used of the best 2 of 4 groups, sigmoid, normalized, a selection bias, scale 2.5 (DeepSeek V3)', inputs: [{ shape: [6, 16], lo: -2, hi: 2 }, { shape: [16], lo: -0.3, hi: 0.3 }], gpu: ([x, b]) => op.moeRoute(x, { used: 4, norm: true, gating: 'sigmoid', scale: 2.5, bias: b, groups: { count: 4, used: 2 } }), ref: ([x, b]) => Arr.from([6, 16], moeRouteRef(x.data, { rows: 6, experts: 16, used: 4, norm: true, scale: 2.5, gating: 'sigmoid', groups: { count: 4, used: 2 } }, b.data)), K: 8 }),
  opCase({ name: 'moe_route [6, 1], sigmoid (Qwen2-MoE\'s shared-expert gate)', inputs: [{ shape: [6, 1], lo: -6, hi: 6 }], gpu: ([x]) => op.moeRoute(x, { used: 1, norm: false, gating: 'sigmoid' }), ref: ([x]) => ref.moeRoute(x, { used: 1, norm: false, gating: 'sigmoid' }), K: 4 }),
  dispatchCase,
  armedCase,
  addCase,
  routeCase('Mixtral\'s shape', { rows: 37, experts: 8, used: 2, norm: true, gating: 'softmax' }),
  routeCase('Qwen3-MoE\'s shape', { rows: 5, experts: 128, used: 8, norm: true, gating: 'softmax' }),
  routeCase('OLMoE\'s shape, unnormalized', { rows: 9, experts: 64, used: 8, norm: false, gating: 'softmax' }),
  routeCase('the kernel\'s most experts, scaled', { rows: 3, experts: MOE_MAX_EXPERTS, used: 6, norm: true, scale: 2.5, gating: 'softmax' }),
  routeCase('Qwen2-MoE\'s shared-expert gate', { rows: 70, experts: 1, used: 1, norm: false, gating: 'sigmoid' }),
  routeCase('LFM2-MoE\'s router', { rows: 11, experts: 32, used: 4, norm: true, gating: 'sigmoid' }, () => {}, true),
  routeCase('DeepSeek V3\'s router', { rows: 7, experts: 256, used: 8, norm: true, scale: 2.5, gating: 'sigmoid', groups: { count: 8, used: 4 } }, () => {}, true),
  routeCase('DeepSeek V2\'s (softmax, unnormalized)', { rows: 6, experts: 160, used: 6, norm: false, scale: 16, gating: 'softmax', groups: { count: 8, used: 3 } }),
  routeCase('groups of 2, one kept (the least the kernel takes)', { rows: 9, experts: 8, used: 2, norm: true, gating: 'softmax', groups: { count: 4, used: 1 } }),
  routeCase('Kimi K2\'s router', { rows: 4, experts: 384, used: 8, norm: true, scale: 2.827, gating: 'sigmoid' }, () => {}, true),
  routeCase('a softmax router with a selection bias', { rows: 6, experts: 8, used: 2, norm: false, gating: 'softmax' }, () => {}, true),
  routeCase('ties to the lower index, a NaN row gets none', { rows: 4, experts: 6, used: 3, norm: true, gating: 'softmax' }, (x) => {
    x.fill(0.5, 0, 6); // row 0: all equal: experts 0, 1, 2, a third each
    x.set([1, 2, 2, 0, 2, 1], 6); // row 1: 1, 2, 4 (a three-way tie)
    x[14] = NaN; // row 2: no expert
  }),
  {
    name: 'moe_route refuses bad shapes (experts, used, groups)',
    async run(ctx: GpuContext) {
      const b = caseBuffers(ctx);
      try {
        const L = b.buf(4 * 1024, 'logits');
        const msgs = [
          await expectError('experts', () => planMoeRoute(ctx, L, L, { rows: 1, experts: MOE_MAX_EXPERTS + 1, used: 2, norm: true, gating: 'softmax' })),
          await expectError('used', () => planMoeRoute(ctx, L, L, { rows: 1, experts: 8, used: 9, norm: true, gating: 'softmax' })),
          await expectError('used 0', () => planMoeRoute(ctx, L, L, { rows: 1, experts: 8, used: 0, norm: true, gating: 'softmax' })),
          await expectError('groups not dividing', () => planMoeRoute(ctx, L, L, { rows: 1, experts: 12, used: 2, norm: true, gating: 'softmax', groups: { count: 5, used: 2 } })),
          await expectError('groups of 1', () => planMoeRoute(ctx, L, L, { rows: 1, experts: 8, used: 2, norm: true, gating: 'softmax', groups: { count: 8, used: 2 } })),
          await expectError('all groups used', () => planMoeRoute(ctx, L, L, { rows: 1, experts: 8, used: 2, norm: true, gating: 'softmax', groups: { count: 4, used: 4 } })),
          await expectError('too few experts in the used groups', () => planMoeRoute(ctx, L, L, { rows: 1, experts: 8, used: 3, norm: true, gating: 'softmax', groups: { count: 4, used: 1 } })),
        ];
        assert(/experts: 1025 must be an integer in 1\.\.1024/.test(msgs[0]), msgs[0]);
        assert(/used: 9 must be an integer in 1\.\.8/.test(msgs[1]), msgs[1]);
        assert(/used: 0 must be/.test(msgs[2]), msgs[2]);
        assert(/groups: 5 must be an integer in 2\.\.64 dividing the 12 experts/.test(msgs[3]), msgs[3]);
        assert(/groups: 8 must .* groups of at least 2/.test(msgs[4]), msgs[4]);
        assert(/groups\.used: 4 must be an integer in 1\.\.3/.test(msgs[5]), msgs[5]);
        assert(/groups\.used: 1 must .* \(2 a group\) number at least the 3 used/.test(msgs[6]), msgs[6]);
        return msgs.join(' | ');
      } finally {
        b.destroy();
      }
    },
  },
];
