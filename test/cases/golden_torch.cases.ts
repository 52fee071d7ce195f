// Our GPU fake-quant against PyTorch's own numbers (test/golden/fake_quant_torch.json, written by
// test/golden/gen_torch_fake_quant.py with PyTorch 1.13): the independent oracle, beside the CPU reference the other
// fake-quant cases use. For every case: y bit-identical to PyTorch's; for the learnable ones also grad_x
// bit-identical, and grad_scale / grad_zero_point within DESIGN.md's reduction bound: both sides sum the same
// per-element f32 terms over the K elements of a scale in different orders, so |ours - torch| <= c*K*u*sum|terms|
// with c = 2 (each side within K*u*sum|terms| of the exact sum; the terms' magnitudes from src/ref/fake_quant.ts).
//
// PyTorch's per-tensor learnable backward (_fake_quantize_learnable_per_tensor_affine) is the one place where its
// forward and backward disagree: the backward takes the zero point as trunc(clamp(z + 0.5, qmin, qmax))
// (ATen's _get_zero_point_from_tensor with is_forward = false) where the forward (and the per-channel op, which our
// kernel follows) uses round_half_even(clamp(...)). The two agree for integer z >= 0 and differ for negative z
// (one higher) or z = k + 0.5 with k even. Where they differ, this case reproduces ATen exactly instead of loosening
// anything: the backward is run with ATen's backward zero point (an integer, which our rounding leaves unchanged)
// while y comes from the forward with the given zero point. The detail line says how many cases took that path.
// Runs in Node (Dawn) and Chromium: the JSON is imported statically (vite bundles it).
import data from '../golden/fake_quant_torch.json' with { type: 'json' };
import { fakeQuantRun, type FakeQuantRunParams, type FakeQuantRunResult } from '../../src/kernels/fake_quant.js';
import { fakeQuantBackwardRef, fakeQuantLayout, type FakeQuantGranularity } from '../../src/ref/fake_quant.js';
import { compareBound } from '../../src/ref/tolerance.js';
import { assert, type GpuCase } from './types.js';

type Kind = 'per_tensor' | 'per_channel' | 'per_group' | 'learnable_per_channel' | 'learnable_per_tensor';

interface TorchCase {
  kind: Kind;
  bits: number;
  symmetric: boolean;
  qmin: number;
  qmax: number;
  shape: number[];
  axis?: number;
  group?: number;
  x: number[];
  scale: number[];
  zero_point: number[];
  y: number[];
  grad_y?: number[];
  grad_x?: number[];
  grad_scale?: number[];
  grad_zero_point?: number[];
}

const GOLDEN = data as { generator: string; torch: string; cases: TorchCase[] };

const bitsOf = (v: ArrayLike<number>) => new Uint32Array(Float32Array.from(v).buffer);

/** Bit-for-bit equality of f32 values (so -0 and +0 differ), naming the first element that differs. */
function identical(what: string, got: Float32Array, torch: number[]): void {
  assert(got.length === torch.length, `${what}: ${got.length} elements, PyTorch has ${torch.length}`);
  const a = bitsOf(got);
  const b = bitsOf(torch);
  for (let i = 0; i < a.length; i++) {
    assert(a[i] === b[i], `${what}: element ${i} = ${got[i]} (0x${a[i].toString(16)}), PyTorch ${torch[i]} (0x${b[i].toString(16)})`);
  }
}

/** ATen's per-tensor learnable backward zero point: trunc(clamp(z + 0.5, qmin, qmax)) in f32. */
function atenBackwardZeroPoint(z: number, qmin: number, qmax: number): number {
  return Math.trunc(Math.min(qmax, Math.max(qmin, Math.fround(Math.fround(z) + 0.5))));
}

/** Our (and the forward's) zero point: round half to even, then clamp. */
function forwardZeroPoint(z: number, qmin: number, qmax: number): number {
  const f = Math.fround(z);
  let r = Math.round(f);
  if (r - f === 0.5 && r % 2 !== 0) r -= 1;
  return Math.min(qmax, Math.max(qmin, r));
}

function granularityOf(c: TorchCase): FakeQuantGranularity {
  if (c.kind === 'per_group') return { kind: 'group', group: c.group! };
  if (c.kind === 'per_channel' || c.kind === 'learnable_per_channel') return { kind: 'channel', axis: c.axis! };
  return { kind: 'tensor' };
}

function paramsOf(c: TorchCase): FakeQuantRunParams {
  const g = granularityOf(c);
  return { bits: c.bits, qmin: c.qmin, qmax: c.qmax, ...(g.kind === 'group' ? { group: g.group } : g.kind === 'channel' ? { axis: g.axis } : {}) };
}

/** The shape of scale / zero_point as fakeQuantRun takes them (per group: [N, K / group], as torchao's view). */
function scaleShape(c: TorchCase): number[] {
  if (c.kind === 'per_group') return [c.shape[0], c.shape[1] / c.group!];
  return [c.scale.length];
}

async function runTorchCase(ctx: Parameters<GpuCase['run']>[0], c: TorchCase): Promise<{ quirk: boolean; worst: number }> {
  const label = `${c.kind} ${c.bits}-bit ${c.symmetric ? 'sym' : 'asym'}`;
  const shape = c.shape;
  const sShape = scaleShape(c);
  const x = { data: Float32Array.from(c.x), shape };
  const scale = { data: Float32Array.from(c.scale), shape: sShape };
  const zero = { data: Float32Array.from(c.zero_point), shape: sShape };
  const learnable = c.kind.startsWith('learnable');
  const grad_y = learnable ? { data: Float32Array.from(c.grad_y!), shape } : undefined;
  const r = await fakeQuantRun(ctx, { x, scale, zero_point: zero, grad_y }, paramsOf(c));
  identical(`${label}: y`, r.y.data, c.y);
  if (!learnable) return { quirk: false, worst: 0 };

  // ATen's per-tensor backward zero point (see the header); per channel, backward and forward agree.
  let back: FakeQuantRunResult = r;
  let bwdZero = zero.data;
  let quirk = false;
  if (c.kind === 'learnable_per_tensor') {
    const zb = atenBackwardZeroPoint(c.zero_point[0], c.qmin, c.qmax);
    if (zb !== forwardZeroPoint(c.zero_point[0], c.qmin, c.qmax)) {
      quirk = true;
      bwdZero = Float32Array.of(zb);
      back = await fakeQuantRun(ctx, { x, scale, zero_point: { data: bwdZero, shape: sShape }, grad_y }, paramsOf(c));
    }
  }
  identical(`${label}: grad_x`, back.grad_x!.data, c.grad_x!);
  const L = fakeQuantLayout(shape, granularityOf(c));
  const ref = fakeQuantBackwardRef(x.data, grad_y!.data, scale.data, bwdZero, L, c.qmin, c.qmax);
  const K = ref.perScale;
  let worst = 0;
  for (const [what, got, torch, abs] of [
    ['grad_scale', back.grad_scale!.data, c.grad_scale!, ref.absScale],
    ['grad_zero_point', back.grad_zero_point!.data, c.grad_zero_point!, ref.absZeroPoint],
  ] as const) {
    const cmp = compareBound(`${label}: ${what} vs PyTorch`, got, torch, abs, K);
    assert(cmp.ok, cmp.message);
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - torch[i]) / (2 * K * 2 ** -24 * abs[i] + Number.MIN_VALUE));
  }
  return { quirk, worst };
}

const KINDS: Kind[] = ['per_tensor', 'per_channel', 'per_group', 'learnable_per_channel', 'learnable_per_tensor'];

export const CASES: GpuCase[] = [
  ...KINDS.map(
    (kind): GpuCase => ({
      name: `golden (PyTorch ${GOLDEN.torch}): fake-quant ${kind.replace(/_/g, ' ')}, bits 2/3/4/8 sym and asym`,
      async run(ctx) {
        const cases = GOLDEN.cases.filter((c) => c.kind === kind);
        assert(cases.length >= 6, `${kind}: ${cases.length} golden cases, expected 6 (test/golden/fake_quant_torch.json)`);
        let quirks = 0;
        let worst = 0;
        for (const c of cases) {
          const r = await runTorchCase(ctx, c);
          if (r.quirk) quirks++;
          worst = Math.max(worst, r.worst);
        }
        const learn = kind.startsWith('learnable') ? `; grad_x identical, grads worst ${(worst * 100).toFixed(1)}% of bound` : '';
        const q = kind === 'learnable_per_tensor' ? `; ${quirks} case(s) with ATen's backward zero point differing from the forward's` : '';
        return `${cases.length} cases: y bit-identical${learn}${q}`;
      },
    }),
  ),
  {
    name: "golden (PyTorch): ATen's per-tensor backward zero point rule, as this file applies it",
    async run() {
      // trunc(clamp(z + 0.5)) vs round_half_even(clamp(z)): equal for integer z >= 0, one higher for negative z.
      const rows: [number, number, number][] = [[0, 0, 0], [3, 3, 3], [-3, -2, -3], [-1, 0, -1], [2.5, 3, 2], [1.5, 2, 2], [-8.2, -7, -8]];
      for (const [z, aten, fwd] of rows) {
        assert(atenBackwardZeroPoint(z, -8, 7) === aten, `aten backward zero point of ${z}: ${atenBackwardZeroPoint(z, -8, 7)}, expected ${aten}`);
        assert(forwardZeroPoint(z, -8, 7) === fwd, `forward zero point of ${z}: ${forwardZeroPoint(z, -8, 7)}, expected ${fwd}`);
      }
      return `${rows.length} zero points`;
    },
  },
];
