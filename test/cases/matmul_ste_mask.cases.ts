// The fake-quant STE backward as the epilogue of the weight-gradient matmul (matmul_f32_rows.wgsl's STE_MASK,
// common/matmul_ste_mask.wgsl; fuseSteMasks in src/graph/fuse.ts):
//   - the kernel: dW = dY^T X stored through the clip mask of W, bit for bit against the product's own dispatch then
//     fake_quant_backward.wgsl's, and against src/ref (f64 product, the reference mask: zeros exactly where it clips),
//     for every rule the STE backward takes (symmetric, asymmetric, midrise, AdaQAT's run-time range), with weights on
//     the grid's half steps and at each group's max (the clipped code of the symmetric rule);
//   - the executor: a Linear's QAT weight gradient in one dispatch (`matmul_ste`), the same bits as with the
//     epilogue off (tuning fakeQuant.maskEpilogue), with clipped elements where the rule clips;
//   - static scales (LSQ's quantizer frozen, QAT's method 'static'): the plain STE backward, fused the same way, with
//     LSQ's own weight gradient's values and no gradient for the scales;
//   - the same on the tiled kernel (GPUs' shape: the mask in its store loop);
//   - bad plans (another kernel shape, a batch, an addend) refused by name.
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import * as op from '../../src/ops/index.js';
import type { FakeQuantOptions } from '../../src/ops/fake_quant.js';
import { runDispatch } from '../../src/kernels/common.js';
import { planMatmulF32 } from '../../src/kernels/matmul.js';
import { planFakeQuantBackward } from '../../src/kernels/fake_quant.js';
import { setTuningOverride, tuningOverride } from '../../src/kernels/tuning.js';
import { fakeQuantBackwardRef, fakeQuantLayout, qparamsRef, qRange } from '../../src/ref/fake_quant.js';
import { matmulRef } from '../../src/ref/matmul.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareBound, compareExact } from '../../src/ref/tolerance.js';
import { assert, caseBuffers, check, expectError, type GpuCase } from './types.js';

interface MaskCase {
  name: string;
  /** dW [N, K] = dY^T X with dY [T, N], X [T, K]. */
  T: number;
  N: number;
  K: number;
  o: FakeQuantOptions;
  /** A run-time [qmin, qmax] (the RANGE variant), narrower than o.bits. */
  range?: [number, number];
  rows?: 4 | 8 | 16;
  cols?: 4 | 8 | 12 | 16;
  /** Scales times this (the rule's own never clip on the midrise grid, rarely asymmetric: the mask's other side). */
  shrink?: number;
  /** Bind the zero points (all 0) for a symmetric rule too (MASK_ZERO; the executor binds them for asymmetric only). */
  zeros?: boolean;
  /** The kernel shape (default 'rows'; 'tiled': GPUs', the mask in its store loop). */
  variant?: 'rows' | 'tiled';
}

/** A weight with zeros, values on the grid's half steps of a scale near 0.25 and, per group, the max at the end. */
function weight(N: number, K: number, seed: number): Float32Array {
  const w = randomF32(N * K, seed, -2, 2);
  for (let i = 0; i < w.length; i += 7) w[i] = 0;
  for (let i = 3; i < w.length; i += 11) w[i] = (i % 9) * 0.125 - 0.5;
  return w;
}

function kernelCase(c: MaskCase): GpuCase {
  return {
    name: `matmul_f32 STE mask epilogue vs product then fake_quant_backward: ${c.name}${c.variant === 'tiled' ? ', tiled' : ''}`,
    async run(ctx: GpuContext) {
      const { T, N, K } = c;
      const { buf, destroy } = caseBuffers(ctx);
      try {
        const dyHost = randomF32(T * N, 31, -1, 1);
        const xHost = randomF32(T * K, 32, -1, 1);
        const w = weight(N, K, 33);
        const L = fakeQuantLayout([N, K], c.o.granularity as never);
        const { qmin, qmax } = c.range ? { qmin: c.range[0], qmax: c.range[1] } : qRange(c.o.bits, c.o.symmetric);
        const qp = qparamsRef(w, L, qmin, qmax, c.o.symmetric ? 'symmetric' : 'asymmetric');
        if (c.shrink) qp.scale.forEach((v, i) => (qp.scale[i] = v * c.shrink!));
        const [dY, X, W, S, Z] = [dyHost, xHost, w, qp.scale, qp.zeroPoint].map((h, i) => buf(h, ['dy', 'x', 'w', 'scale', 'zero_point'][i]));
        const qrange = c.range ? buf(Float32Array.from(c.range), 'qrange') : undefined;
        const shape = { M: N, N: K, K: T, transA: true, variant: c.variant ?? ('rows' as const), ...(c.rows ? { rows: c.rows } : {}), ...(c.cols ? { cols: c.cols } : {}) };
        const bits = qRange(c.o.bits, c.o.symmetric);
        const fused = buf(4 * N * K, 'fused');
        const steMask = { x: W, scale: S, ...(!c.o.symmetric || c.zeros ? { zeroPoint: Z } : {}), ...(qrange ? { qrange } : {}), inner: L.inner, channels: L.channels, qmin: bits.qmin, qmax: bits.qmax, midrise: !!c.o.midrise };
        await runDispatch(await planMatmulF32(ctx, dY, X, fused, { ...shape, steMask }));
        const product = buf(4 * N * K, 'product');
        const twice = buf(4 * N * K, 'two dispatches');
        await runDispatch(await planMatmulF32(ctx, dY, X, product, shape));
        await runDispatch(await planFakeQuantBackward(ctx, { x: W, grad_y: product, scale: S, zero_point: Z, grad_x: twice, qrange }, { shape: [N, K], granularity: c.o.granularity as never, bits: c.o.bits, qmin: bits.qmin, qmax: bits.qmax, ...(c.o.midrise ? { midrise: true } : {}) }));
        const got = await ctx.readF32(fused, N * K);
        const prod = await ctx.readF32(product, N * K);
        const msgs = [check(compareExact('epilogue vs two dispatches', got, await ctx.readF32(twice, N * K)))];
        // The reference mask (gradient of ones) and product: clipped elements are zeros with the product's sign.
        const mask = fakeQuantBackwardRef(w, new Float32Array(N * K).fill(1), qp.scale, qp.zeroPoint, L, qmin, qmax, 1, !!c.o.midrise).gradX;
        const ref = matmulRef(dyHost, xHost, { M: N, N: K, K: T, transA: true });
        let clipped = 0;
        for (let i = 0; i < N * K; i++) {
          if (mask[i] === 0) {
            clipped++;
            assert(got[i] === 0 && Object.is(got[i], prod[i] * 0), `element ${i}: clipped code, got ${got[i]} (product ${prod[i]})`);
          }
        }
        const kept = ref.c.map((v, i) => (mask[i] === 0 ? 0 : v));
        const keptAbs = ref.absSum.map((v, i) => (mask[i] === 0 ? 0 : v));
        msgs.push(check(compareBound('vs f64 product under the reference mask', got, kept, keptAbs, T)));
        assert(clipped > 0, 'no element clipped: the case tests nothing of the mask');
        return `${clipped} of ${N * K} clipped; ${msgs.join('; ')}`;
      } finally {
        destroy();
      }
    },
  };
}


const KERNEL: MaskCase[] = [
  { name: 'W4 g32 symmetric, dW [12, 64] over 24 tokens (QAT weights)', T: 24, N: 12, K: 64, o: { bits: 4, symmetric: true, granularity: { kind: 'group', group: 32 } } },
  { name: 'W4 g32 symmetric, 8 rows x 16 columns a block, dW [20, 96], zero points bound', T: 16, N: 20, K: 96, o: { bits: 4, symmetric: true, granularity: { kind: 'group', group: 32 } }, rows: 8, cols: 16, zeros: true },
  { name: 'W3 g16 asymmetric, dW [9, 48] (K a multiple of 4, N not)', T: 10, N: 9, K: 48, o: { bits: 3, symmetric: false, granularity: { kind: 'group', group: 16 } }, shrink: 0.8 },
  { name: 'W2 g32 midrise, dW [8, 64]', T: 12, N: 8, K: 64, o: { bits: 2, symmetric: true, midrise: true, granularity: { kind: 'group', group: 32 } }, shrink: 0.7 },
  { name: 'W8 g32 with a run-time 3-bit range, dW [6, 64] (AdaQAT)', T: 8, N: 6, K: 64, o: { bits: 8, symmetric: true, granularity: { kind: 'group', group: 32 } }, range: [-4, 3] },
  { name: 'W4 per tensor symmetric, dW [5, 30] (no vec4 stores)', T: 7, N: 5, K: 30, o: { bits: 4, symmetric: true, granularity: { kind: 'tensor' } }, cols: 4 },
];

interface GraphCase {
  name: string;
  /** The products' kernel shape (default 'rows'). */
  shape?: 'rows' | 'tiled';
  o: FakeQuantOptions;
  range?: [number, number];
}

/** A Linear's QAT weight (y = x fq(W)^T): dW from the executor with the epilogue on and off, bit for bit. */
function graphCase(c: GraphCase): GpuCase {
  const name = `executor fuses the QAT weight's STE backward into its gradient matmul: ${c.name}${c.shape === 'tiled' ? ', tiled' : ''}`;
  return {
    name,
    async run(ctx: GpuContext) {
      const [T, N, K] = [16, 12, 64];
      const xHost = randomF32(T * K, 41, -1, 1);
      const dy = randomF32(T * N, 42, -1, 1);
      const w = weight(N, K, 43);
      const before = tuningOverride();
      const runs: { dw: Float32Array; ops: string[] }[] = [];
      try {
        for (const maskEpilogue of [true, false]) {
          setTuningOverride({ ...before, matmulF32: { ...before?.matmulF32, shape: c.shape ?? 'rows' }, fakeQuant: { ...before?.fakeQuant, maskEpilogue } });
          const g = new Graph(ctx, `${name} ${maskEpilogue}`);
          try {
            const x = g.input('x', [T, K], 'f32');
            const wt = g.param('w', [N, K], w);
            const range = c.range ? g.constant(Float32Array.from(c.range), [2]) : undefined;
            const y = op.matmul(x, op.transpose(op.fakeQuant(wt, c.o, range)));
            const dw = g.backward(op.sum(op.mul(y, g.constant(dy, [T, N]))), [wt]).get(wt)!;
            const exe = await g.compile({ outputs: [dw] });
            const ops = exe.schedule().map((s) => s.op);
            assert(ops.includes('matmul_ste') === maskEpilogue && ops.includes('fake_quant_bwd') === !maskEpilogue, `epilogue ${maskEpilogue}: ops ${ops.join(', ')}`);
            await exe.run({ x: xHost });
            runs.push({ dw: Float32Array.from(await exe.read(dw)), ops });
          } finally {
            g.destroy();
          }
        }
      } finally {
        setTuningOverride(before);
      }
      check(compareExact('dW fused vs not', runs[0].dw, runs[1].dw));
      // The symmetric rule clips each group's positive max (max|w| / 7.5 puts it at code 8); the midrise grid's rule
      // puts +-max|w| on its outer levels and never clips (the kernel cases shrink its scales to clip).
      const clipped = runs[0].dw.filter((v) => v === 0).length;
      assert(c.o.midrise || clipped > 0, 'no weight clipped: the case tests nothing of the mask');
      return `dW [${N}, ${K}] bit for bit, ${clipped} clipped; ${runs[0].ops.length} nodes fused, ${runs[1].ops.length} not`;
    },
  };
}

const GRAPH: GraphCase[] = [
  { name: 'W4 g32 symmetric', o: { bits: 4, symmetric: true, granularity: { kind: 'group', group: 32 } } },
  { name: 'W2 g32 midrise', o: { bits: 2, symmetric: true, midrise: true, granularity: { kind: 'group', group: 32 } } },
  { name: 'W8 g32 with a run-time 3-bit range (AdaQAT)', o: { bits: 8, symmetric: true, granularity: { kind: 'group', group: 32 } }, range: [-4, 3] },
  { name: 'W4 g32 symmetric', o: { bits: 4, symmetric: true, granularity: { kind: 'group', group: 32 } }, shape: 'tiled' },
];

/**
 * A Linear's weight with static scales (ops.fakeQuantLearnable with `frozen`, QAT's method 'static'): its gradient is
 * the plain STE backward, fused into the weight-gradient product, with the values of LSQ's weight gradient (the same
 * quantizer with the scales learning), and the scales get none (a zero constant). Scales at 0.6x the rule's, so both
 * ends of the code range clip.
 */
function staticCase(c: { name: string; bits: number; midrise?: boolean }): GpuCase {
  const name = `executor: static scales (frozen LSQ) take the plain STE backward, fused into dW's product: ${c.name}`;
  return {
    name,
    async run(ctx: GpuContext) {
      const [T, N, K, group] = [16, 12, 64, 32];
      const xHost = randomF32(T * K, 51, -1, 1);
      const dy = randomF32(T * N, 52, -1, 1);
      const w = weight(N, K, 53);
      const layout = fakeQuantLayout([N, K], { kind: 'group', group });
      const { qmin, qmax } = qRange(c.bits, true);
      const scales = qparamsRef(w, layout, qmin, qmax, 'symmetric').scale.map((v) => 0.6 * v);
      const before = tuningOverride();
      const runs: { dw: Float32Array; ds: Float32Array; ops: string[] }[] = [];
      try {
        setTuningOverride({ ...before, matmulF32: { ...before?.matmulF32, shape: 'rows' }, fakeQuant: { ...before?.fakeQuant, maskEpilogue: true } });
        for (const frozen of [true, false]) {
          const g = new Graph(ctx, `${name} ${frozen}`);
          try {
            const x = g.input('x', [T, K], 'f32');
            const wt = g.param('w', [N, K], w);
            const s = g.param('w.scale', [scales.length], scales);
            const zeros = g.constant(new Float32Array(scales.length), [scales.length]);
            const wq = op.fakeQuantLearnable(wt, s, zeros, { bits: c.bits, symmetric: true, granularity: { kind: 'group', group }, learnZeroPoint: false, ...(c.midrise ? { midrise: true } : {}), ...(frozen ? { frozen: true } : {}) });
            const y = op.matmul(x, op.transpose(wq));
            const grads = g.backward(op.sum(op.mul(y, g.constant(dy, [T, N]))), [wt, s]);
            const exe = await g.compile({ outputs: [grads.get(wt)!, grads.get(s)!] });
            const ops = exe.schedule().map((n) => n.op);
            await exe.run({ x: xHost });
            runs.push({ dw: Float32Array.from(await exe.read(grads.get(wt)!)), ds: Float32Array.from(await exe.read(grads.get(s)!)), ops });
          } finally {
            g.destroy();
          }
        }
      } finally {
        setTuningOverride(before);
      }
      const [st, lsq] = runs;
      assert(st.ops.includes('matmul_ste') && !st.ops.includes('fake_quant_lsq_bwd') && !st.ops.includes('fake_quant_bwd'), `static: ops ${st.ops.join(', ')}`);
      assert(lsq.ops.includes('fake_quant_lsq_bwd'), `LSQ: ops ${lsq.ops.join(', ')}`);
      const differ = st.dw.findIndex((v, i) => v !== lsq.dw[i]); // +0 and -0 alike: a clipped element is a zero either way
      assert(differ < 0, `dW[${differ}]: static ${st.dw[differ]}, LSQ ${lsq.dw[differ]}`);
      assert(st.ds.every((v) => v === 0), 'the static scales got a gradient');
      assert(lsq.ds.some((v) => v !== 0), 'LSQ\'s scales got no gradient: the comparison tests nothing');
      const clipped = st.dw.filter((v) => v === 0).length;
      assert(clipped > 0, 'no weight clipped: the case tests nothing of the mask');
      return `dW [${N}, ${K}] = LSQ's weight gradient, ${clipped} clipped; static ${st.ops.length} nodes, LSQ ${lsq.ops.length}`;
    },
  };
}

/** Plans the epilogue cannot run: refused, naming steMask and why. */
const ERRORS: GpuCase = {
  name: 'matmul_f32 STE mask epilogue refuses other kernel shapes, batches and addends by name',
  async run(ctx: GpuContext) {
    const buf = (n: number) => ctx.createBuffer(4 * n, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'ste-err');
    const bufs = [8 * 4, 8 * 32, 4 * 32 * 2, 4 * 32, 4, 4].map(buf);
    const [a, b, c, x, s, z] = bufs;
    const steMask = { x, scale: s, zeroPoint: z, inner: 32, channels: 4, qmin: -8, qmax: 7 };
    const base = { M: 4, N: 32, K: 8, transA: true, steMask };
    try {
      const msgs = [
        await expectError('block4', () => planMatmulF32(ctx, a, b, c, { ...base, variant: 'block4' })),
        await expectError('batch 2', () => planMatmulF32(ctx, a, b, c, { ...base, variant: 'rows', batch: 2, strideA: 0, strideB: 0 })),
        await expectError('addend', () => planMatmulF32(ctx, a, b, c, { ...base, variant: 'rows', addend: c })),
        await expectError('bad range', () => planMatmulF32(ctx, a, b, c, { ...base, variant: 'rows', steMask: { ...steMask, qmin: 7, qmax: -8 } })),
      ];
      for (const m of msgs) assert(m.includes('steMask'), `the error names steMask: ${m}`);
      assert(msgs[0].includes("'block4'") && msgs[1].includes('batch 2') && msgs[2].includes('addend'), `the errors say why: ${msgs.join(' | ')}`);
      return msgs.join(' | ');
    } finally {
      bufs.forEach((b) => b.destroy());
    }
  },
};

const STATIC = [
  { name: 'W4 g32', bits: 4 },
  { name: 'W3 g32', bits: 3 },
  { name: 'W2 g32 midrise', bits: 2, midrise: true },
];

// The tiled shape: every rule, at the cases' shapes (its blocks are the workgroup's, so no rows / cols of its own).
const TILED = KERNEL.filter((c) => !c.rows && !c.cols).map((c) => ({ ...c, variant: 'tiled' as const }));

export const CASES: GpuCase[] = [ERRORS, ...KERNEL.map(kernelCase), ...TILED.map(kernelCase), ...GRAPH.map(graphCase), ...STATIC.map(staticCase)];
