// The dynamic fake-quant forward fused (fake_quant_qparams.wgsl's APPLY: the invocation that finds a scale quantizes
// its elements, one dispatch) against the qparams dispatch then fake_quant.wgsl's (two), same inputs: y, the scales,
// the zero points and the STE gradient, bit for bit, for every rule the op takes (symmetric groups as QAT's weights,
// asymmetric, the midrise grid, per token as 8da4w's activations, per tensor, a run-time code range as AdaQAT's), and
// a forced fusion where the qparams reduce by workgroup refused by name.
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import * as op from '../../src/ops/index.js';
import type { FakeQuantOptions } from '../../src/ops/fake_quant.js';
import { randomF32 } from '../../src/ref/random.js';
import { planFakeQuantDynamic } from '../../src/kernels/fake_quant.js';
import { setTuningOverride, tuningOverride } from '../../src/kernels/tuning.js';
import { assert, expectError, type GpuCase } from './types.js';

interface FusedCase {
  name: string;
  shape: number[];
  o: FakeQuantOptions;
  /** A run-time [qmin, qmax] (the kernels' RANGE variant), narrower than o.bits. */
  range?: [number, number];
}

function fusedCase(c: FusedCase): GpuCase {
  const name = `fake_quant forward fused vs two dispatches: ${c.name}`;
  return {
    name,
    async run(ctx: GpuContext) {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const x = randomF32(n, 21, -2, 2);
      // Exact zeros and values on the grid's half steps, where rounding ties decide.
      for (let i = 0; i < n; i += 7) x[i] = 0;
      for (let i = 3; i < n; i += 11) x[i] = (i % 5) * 0.25 - 0.5;
      const dy = randomF32(n, 22, -1, 1);
      const before = tuningOverride();
      const runs: { values: ArrayLike<number>[]; kernels: string[] }[] = [];
      try {
        for (const fuse of [true, false]) {
          setTuningOverride({ ...before, fakeQuant: { fuse } });
          const g = new Graph(ctx, `${name} ${fuse}`);
          try {
            const xt = g.input('x', c.shape, 'f32', { requiresGrad: true });
            const range = c.range ? g.constant(Float32Array.from(c.range), [2]) : undefined;
            const y = op.fakeQuant(xt, c.o, range);
            const [, scale, zp] = y.node!.outputs;
            const gx = g.backward(op.sum(op.mul(y, g.constant(dy, c.shape))), [xt]).get(xt)!;
            const exe = await g.compile({ outputs: [y, scale, zp, gx] });
            const kernels = exe.schedule().flatMap((s) => s.kernels);
            const fused = kernels.some((k) => k.includes('_apply'));
            assert(fused === fuse, `fuse ${fuse}: kernels ${kernels.join(', ')}`);
            await exe.run({ x });
            runs.push({ values: await Promise.all([y, scale, zp, gx].map((t) => exe.read(t))), kernels });
          } finally {
            g.destroy();
          }
        }
      } finally {
        setTuningOverride(before);
      }
      let count = 0;
      ['y', 'scale', 'zero_point', 'grad x'].forEach((what, j) => {
        const [a, b] = [runs[0].values[j], runs[1].values[j]];
        for (let i = 0; i < b.length; i++) assert(Number.isFinite(a[i]) && Object.is(a[i] + 0, b[i] + 0), `${what}[${i}]: fused ${a[i]}, two dispatches ${b[i]}`);
        count += b.length;
      });
      return `${count} values bit for bit; fused ${runs[0].kernels.length} dispatches, else ${runs[1].kernels.length}`;
    },
  };
}

const FUSED: FusedCase[] = [
  { name: 'W4 g32 symmetric [6, 64] (QAT weights)', shape: [6, 64], o: { bits: 4, symmetric: true, granularity: { kind: 'group', group: 32 } } },
  { name: 'W3 g16 asymmetric [5, 48]', shape: [5, 48], o: { bits: 3, symmetric: false, granularity: { kind: 'group', group: 16 } } },
  { name: 'W2 g32 midrise [4, 96]', shape: [4, 96], o: { bits: 2, symmetric: true, midrise: true, granularity: { kind: 'group', group: 32 } } },
  { name: 'int8 per token asymmetric [7, 40] (8da4w activations)', shape: [7, 40], o: { bits: 8, symmetric: false, granularity: { kind: 'token' } } },
  { name: 'W8 per tensor symmetric [3, 20]', shape: [3, 20], o: { bits: 8, symmetric: true, granularity: { kind: 'tensor' } } },
  { name: 'W8 g32 with a run-time 3-bit range [4, 64] (AdaQAT)', shape: [4, 64], o: { bits: 8, symmetric: true, granularity: { kind: 'group', group: 32 } }, range: [-4, 3] },
];

/** A forced fusion with the workgroup reduction: refused, naming the variant. */
const FUSED_ERRORS: GpuCase = {
  name: 'fake_quant fused forward refuses the workgroup reduction, naming the variant',
  async run(ctx: GpuContext) {
    const buf = (n: number) => ctx.createBuffer(4 * n, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'fq-err');
    const [x, scale, zp, y] = [64, 2, 2, 64].map(buf);
    try {
      const msg = await expectError('fuse with the workgroup reduction', () =>
        planFakeQuantDynamic(ctx, { x, scale, zero_point: zp, y }, { shape: [2, 32], granularity: { kind: 'group', group: 32 }, bits: 4, qmin: -8, qmax: 7, mode: 'symmetric', variant: { fuse: true, reduce: 'workgroup' } }),
      );
      assert(msg.includes('variant') && msg.includes('serial'), `the error names the variant: ${msg}`);
      return msg;
    } finally {
      for (const b of [x, scale, zp, y]) b.destroy();
    }
  },
};

export const CASES: GpuCase[] = [FUSED_ERRORS, ...FUSED.map(fusedCase)];
