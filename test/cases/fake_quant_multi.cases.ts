// The fake-quant forward of two or three weights in one dispatch (planFakeQuantMulti, fake_quant_multi.wgsl) against
// one dispatch a tensor (planFakeQuant with given scales, planFakeQuantDynamic with a rule), y and the dynamic
// scales and zero points bit for bit, and against src/ref (the forward exact given the scales; the symmetric and
// asymmetric rules exact, LSQ's initial step within its f32 sum's bound). Weights of several sizes (group counts not
// multiples of the workgroup), groups of 32, 16 and 8, 2 to 8 bits, the midrise grid, zero points off zero; bad
// groups refused by name.
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import * as op from '../../src/ops/index.js';
import { runDispatch, type Dispatch } from '../../src/kernels/common.js';
import { planFakeQuant, planFakeQuantDynamic } from '../../src/kernels/fake_quant.js';
import { fakeQuantMultiMax, planFakeQuantMulti, type FakeQuantMultiSpec } from '../../src/kernels/fake_quant_multi.js';
import { fakeQuantForwardRef, fakeQuantLayout, qparamsRef, qRange, type QParamsMode } from '../../src/ref/fake_quant.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareExact } from '../../src/ref/tolerance.js';
import { assert, caseBuffers, check, expectError, type GpuCase } from './types.js';

interface MultiCase {
  /** Each tensor's [N, K]. */
  shapes: [number, number][];
  group: number;
  bits: number;
  rule?: QParamsMode;
  midrise?: boolean;
  /** Given zero points off zero (asymmetric codes). */
  zeroPoints?: boolean;
}

const describe = (c: MultiCase) => `${c.rule ? `dynamic ${c.rule}${c.midrise ? ' midrise' : ''}` : c.midrise ? 'given scales, midrise' : c.zeroPoints ? 'given scales and zero points' : 'given scales'} ${c.bits}-bit g${c.group} ${c.shapes.map(([n, k]) => `${n}x${k}`).join(' + ')}`;

function multiCase(c: MultiCase): GpuCase {
  return {
    name: `fake_quant_multi ${describe(c)}`,
    needs: (ctx) => (fakeQuantMultiMax(ctx) >= c.shapes.length ? null : `the device binds ${ctx.limits.maxStorageBuffersPerShaderStage} storage buffers a stage (${4 * c.shapes.length} needed)`),
    async run(ctx: GpuContext) {
      const { qmin, qmax } = qRange(c.bits, !(c.rule === 'asymmetric' || c.zeroPoints));
      const { buf, destroy } = caseBuffers(ctx);
      try {
        const host = c.shapes.map(([N, K], i) => {
          const x = randomF32(N * K, 70 + i, -2, 2);
          for (let j = 0; j < x.length; j += 9) x[j] = 0; // exact zeros and half steps, where rounding ties decide
          for (let j = 4; j < x.length; j += 13) x[j] = (j % 5) * 0.25 - 0.5;
          const channels = (N * K) / c.group;
          const scale = Float32Array.from({ length: channels }, (_, g) => 0.05 + ((g * 37) % 11) * 0.03);
          const zp = Float32Array.from({ length: channels }, (_, g) => (c.zeroPoints ? qmin + ((g * 5) % (qmax - qmin + 1)) : 0));
          return { x, scale, zp, channels, N, K };
        });
        // Two sets of outputs: the group's, and one dispatch a tensor's; given scales are inputs to both.
        const sets = [0, 1].map((k) =>
          host.map((h, i) => ({
            x: buf(h.x, `x${i}`),
            scale: buf(c.rule ? 4 * h.channels : h.scale, `scale${i}.${k}`),
            zero_point: buf(c.rule ? 4 * h.channels : h.zp, `zp${i}.${k}`),
            y: buf(4 * h.x.length, `y${i}.${k}`),
            channels: h.channels,
          })),
        );
        const spec: FakeQuantMultiSpec = { inner: c.group, bits: c.bits, qmin, qmax, midrise: c.midrise, rule: c.rule };
        const d = await planFakeQuantMulti(ctx, sets[0], spec);
        assert(d.kernel.name.startsWith('fake_quant_multi'), `kernel ${d.kernel.name}`);
        await runDispatch(d);
        for (const [i, { channels: _, ...t }] of sets[1].entries()) {
          const fq = { shape: [host[i].N, host[i].K], granularity: { kind: 'group' as const, group: c.group }, bits: c.bits, qmin, qmax, midrise: c.midrise };
          const ds: Dispatch[] = c.rule ? await planFakeQuantDynamic(ctx, t, { ...fq, mode: c.rule }) : [await planFakeQuant(ctx, t, fq)];
          for (const one of ds) await runDispatch(one);
        }
        const msgs: string[] = [];
        for (const [i, h] of host.entries()) {
          const [got, one] = await Promise.all(sets.map(async (s) => ({ y: await ctx.readF32(s[i].y), scale: await ctx.readF32(s[i].scale), zp: await ctx.readF32(s[i].zero_point) })));
          msgs.push(check(compareExact(`tensor ${i} y vs its own dispatch`, got.y, one.y)));
          if (c.rule) {
            msgs.push(check(compareExact(`tensor ${i} scales vs its own dispatch`, got.scale, one.scale)));
            msgs.push(check(compareExact(`tensor ${i} zero points vs its own dispatch`, got.zp, one.zp)));
          }
          const L = fakeQuantLayout([h.N, h.K], { kind: 'group', group: c.group });
          if (c.rule && c.rule !== 'lsq') {
            const r = qparamsRef(h.x, L, qmin, qmax, c.rule);
            msgs.push(check(compareExact(`tensor ${i} scales vs src/ref`, got.scale, r.scale)));
            msgs.push(check(compareExact(`tensor ${i} zero points vs src/ref`, got.zp, r.zeroPoint)));
          } else if (c.rule === 'lsq') {
            const r = qparamsRef(h.x, L, qmin, qmax, 'lsq');
            // 2 mean|x| / sqrt(qmax) over `group` f32 additions and three roundings.
            const worst = Math.max(...Array.from(got.scale, (s, g) => Math.abs(s - r.lsqExact[g]) / (r.lsqExact[g] * (c.group + 3) * 2 ** -24)));
            assert(worst <= 1, `tensor ${i} LSQ scales: ${worst.toFixed(2)} of the f32 bound from the f64 value`);
          }
          const ref = fakeQuantForwardRef(h.x, c.rule ? got.scale : h.scale, c.rule ? got.zp : h.zp, L, qmin, qmax, !!c.midrise);
          msgs.push(check(compareExact(`tensor ${i} y vs src/ref`, got.y, ref.y)));
        }
        return msgs.join('; ');
      } finally {
        destroy();
      }
    },
  };
}

const TABLE: MultiCase[] = [
  // A Llama layer's q, k, v at dim 64, 4 heads / 2 KV heads (QAT's W4 g32 STE), and its o, gate, up at FFN 192.
  { shapes: [[64, 64], [32, 64], [32, 64]], group: 32, bits: 4, rule: 'symmetric' },
  { shapes: [[64, 64], [192, 64], [192, 64]], group: 32, bits: 3, rule: 'symmetric' },
  { shapes: [[5, 24], [7, 16]], group: 8, bits: 8, rule: 'asymmetric' },
  { shapes: [[9, 32], [3, 32], [10, 32]], group: 16, bits: 2, rule: 'lsq' },
  { shapes: [[64, 64], [192, 64]], group: 32, bits: 2, rule: 'symmetric', midrise: true },
  // Given scales: LSQ's learned, static, the midrise grid (W2), asymmetric zero points.
  { shapes: [[64, 64], [32, 64], [32, 64]], group: 32, bits: 4 },
  { shapes: [[192, 64], [64, 192]], group: 32, bits: 2, midrise: true },
  { shapes: [[13, 16], [6, 16], [1, 16]], group: 16, bits: 3, zeroPoints: true },
  { shapes: [[2, 8], [130, 8]], group: 8, bits: 5 },
];

export const CASES: GpuCase[] = [
  ...TABLE.map(multiCase),
  {
    name: 'fake_quant_multi refuses one or four tensors, a long group, a bad range, midrise on an unsigned range, no channels',
    needs: (ctx) => (fakeQuantMultiMax(ctx) >= 2 ? null : 'the device binds too few storage buffers a stage'),
    async run(ctx) {
      const X = ctx.createBuffer(4096, undefined, 'x');
      try {
        const t = (channels = 4) => ({ x: X, scale: X, zero_point: X, y: X, channels });
        const s: FakeQuantMultiSpec = { inner: 32, bits: 4, qmin: -8, qmax: 7 };
        const msgs = [
          await expectError('one', () => planFakeQuantMulti(ctx, [t()], s)),
          await expectError('four', () => planFakeQuantMulti(ctx, [t(), t(), t(), t()], s)),
          await expectError('inner', () => planFakeQuantMulti(ctx, [t(), t()], { ...s, inner: 512 })),
          await expectError('range', () => planFakeQuantMulti(ctx, [t(), t()], { ...s, qmax: 9 })),
          await expectError('midrise unsigned', () => planFakeQuantMulti(ctx, [t(), t()], { ...s, qmin: 0, qmax: 15, midrise: true })),
          await expectError('channels', () => planFakeQuantMulti(ctx, [t(), t(0)], s)),
        ];
        const want = [/tensors: 1 tensors/, /tensors: 4 tensors/, /inner=512 must be an integer in 1\.\.256/, /qmax/, /midrise: a midrise grid needs a signed code range, got \[0, 15\]/, /tensors\[1\]\.channels: channels=0/];
        msgs.forEach((m, i) => assert(want[i].test(m), `unexpected message: ${m}`));
        return msgs.join('; ');
      } finally {
        X.destroy();
      }
    },
  },
];

// The executor's grouping (src/graph/group_fq.ts): a QAT-like graph (five weights fake-quantized by one rule, two by
// learned scales, one per token: not grouped) compiled with fusion and without, the same inputs: every output and
// gradient bit for bit, and the fused schedule's fake-quant dispatches counted.
CASES.push({
  name: 'fake_quant_multi in a graph: weights of one quantizer grouped, outputs and gradients bit for bit',
  needs: (ctx) => (fakeQuantMultiMax(ctx) >= 2 ? null : 'the device binds too few storage buffers a stage'),
  async run(ctx: GpuContext) {
    const shapes = [[16, 32], [8, 32], [8, 32], [24, 32], [16, 64], [12, 32], [4, 32]];
    const results: Float32Array[][] = [];
    const kernels: string[][] = [];
    for (const fuse of [true, false]) {
      const g = new Graph(ctx, `fq multi ${fuse}`, { fuse });
      try {
        const x = g.input('x', [5, 32], 'f32', { requiresGrad: true });
        const ws = shapes.map((s, i) => g.input(`w${i}`, s, 'f32', { requiresGrad: true }));
        const sym = { bits: 4, symmetric: true, granularity: { kind: 'group' as const, group: 16 } };
        const C = (i: number) => (shapes[i][0] * shapes[i][1]) / 16;
        const scales = [5, 6].map((i) => g.input(`s${i}`, [C(i)], 'f32', { requiresGrad: true }));
        const lsq = (i: number, k: number) => op.fakeQuantLearnable(ws[i], scales[k], g.constant(new Float32Array(C(i)), [C(i)]), { bits: 3, symmetric: true, granularity: { kind: 'group', group: 16 }, learnZeroPoint: false });
        const q = [0, 1, 2, 3, 4].map((i) => op.fakeQuant(ws[i], sym));
        const xq = op.fakeQuant(x, { bits: 8, symmetric: false, granularity: { kind: 'token' } });
        // Products of x with the weights of K = 32 (w4 is K = 64: its quantized values summed instead).
        const prods = [q[0], q[1], q[2], q[3], lsq(5, 0), lsq(6, 1)].map((w) => op.matmul(xq, op.transpose(w)));
        const y = op.add(op.sum(op.concat(prods, 1)), op.sum(op.mul(q[4], q[4])));
        const ins = [x, ...ws, ...scales];
        const grads = g.backward(y, ins);
        const outs = [y, ...ins.map((t) => grads.get(t)!)];
        const exe = await g.compile({ outputs: outs });
        kernels.push(exe.schedule().flatMap((s) => s.kernels));
        const feeds: Record<string, Float32Array> = { x: randomF32(160, 80, -2, 2) };
        shapes.forEach((s, i) => (feeds[`w${i}`] = randomF32(s[0] * s[1], 81 + i, -1, 1)));
        [5, 6].forEach((i) => (feeds[`s${i}`] = Float32Array.from({ length: C(i) }, (_, j) => 0.1 + (j % 7) * 0.02)));
        await exe.run(feeds);
        results.push(await Promise.all(outs.map(async (t) => Float32Array.from(await exe.read(t)))));
      } finally {
        g.destroy();
      }
    }
    const [fused, plain] = results;
    fused.forEach((v, k) => v.forEach((a, i) => assert(Object.is(a, plain[k][i]), `output ${k} element ${i}: grouped ${a}, not ${plain[k][i]}`)));
    const count = (ks: string[], re: RegExp) => ks.filter((k) => re.test(k)).length;
    // Five weights of one rule: groups of 3 + 2 (of 2 + 2 + one alone where a dispatch takes two); the two learned:
    // one group; per token: alone. Three groups either way.
    assert(count(kernels[0], /^fake_quant_multi/) === 3, `grouped schedule: ${kernels[0].join(', ')}`);
    assert(count(kernels[1], /^fake_quant_multi/) === 0, `ungrouped schedule: ${kernels[1].join(', ')}`);
    return `${fused.length} outputs bit for bit; fake-quant dispatches ${count(kernels[1], /^fake_quant/)} -> ${count(kernels[0], /^fake_quant(?!_bwd|_backward)/)} forward+backward kinds: ${[...new Set(kernels[0].filter((k) => k.startsWith('fake_quant')))].join(', ')}`;
  },
});
