// `nibble kernel` takes PyTorch's own int32 zero points: wherever a zero point is read (fake_quant's zero_point,
// the integer zeros of dequantize / matmul_w4a16), I32 gives the same outputs, bit for bit, as the same values in
// F32; float mins (q4_1) stay float. Runs the registry in-process (runKernel), as `nibble kernel` does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { makeTensor, type Tensor } from '../../src/io/safetensors.js';
import { runKernel } from '../../src/kernels/runner.js';
import { f32ToF16Bits } from '../../src/quant/f16.js';
import { randomF32 } from '../../src/ref/random.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(() => ctx?.destroy());

const bits = (t: Tensor) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
const same = (a: Record<string, Tensor>, b: Record<string, Tensor>) => {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    expect(a[k].dtype, k).toBe(b[k].dtype);
    expect(a[k].shape, k).toEqual(b[k].shape);
    expect(bits(a[k]), k).toEqual(bits(b[k]));
  }
};

describe('I32 zero points', () => {
  it('fake_quant per channel with grad_y, and per tensor: I32 zero_point = the same values in F32', async () => {
    const C = 3;
    const K = 40;
    const x = makeTensor('F32', [C, K], randomF32(C * K, 7, -3, 3));
    const dy = makeTensor('F32', [C, K], randomF32(C * K, 8, -1, 1));
    const scale = makeTensor('F32', [C], Float32Array.from([0.05, 0.11, 0.2]));
    const z = [0, 17, 255];
    const f = await runKernel(ctx, 'fake_quant', { x, scale, zero_point: makeTensor('F32', [C], Float32Array.from(z)), grad_y: dy }, { axis: '0' });
    const i = await runKernel(ctx, 'fake_quant', { x, scale, zero_point: makeTensor('I32', [C], Int32Array.from(z)), grad_y: dy }, { axis: '0' });
    expect(Object.keys(f).sort()).toEqual(['grad_scale', 'grad_x', 'grad_zero_point', 'y']);
    same(i, f);
    const t1 = { x, scale: makeTensor('F32', [1], Float32Array.from([0.07])) };
    same(
      await runKernel(ctx, 'fake_quant', { ...t1, zero_point: makeTensor('I32', [1], Int32Array.from([-3])) }, { bits: '4', qmin: '-8', qmax: '7' }),
      await runKernel(ctx, 'fake_quant', { ...t1, zero_point: makeTensor('F32', [1], Float32Array.from([-3])) }, { bits: '4', qmin: '-8', qmax: '7' }),
    );
  });

  it('fake_quant refuses an I32 zero point outside [qmin, qmax] by name, as an F32 one', async () => {
    const x = makeTensor('F32', [2, 8], randomF32(16, 3));
    const scale = makeTensor('F32', [2], Float32Array.from([0.1, 0.1]));
    await expect(runKernel(ctx, 'fake_quant', { x, scale, zero_point: makeTensor('I32', [2], Int32Array.from([0, 2 ** 31 - 1])) }, { axis: '0' })).rejects.toThrow(
      /kernel 'fake_quant': zero_point\[1\] = 2147483648 is outside \[qmin, qmax\] = \[0, 255\]/,
    );
  });

  it('dequantize and matmul_w4a16 (asymmetric minmax codes): I32 zeros = the same values in F32 (f32 and f16 scales)', async () => {
    const N = 4;
    const K = 64;
    const codes = makeTensor('U8', [N, K], Uint8Array.from(randomF32(N * K, 11, 0, 16), (v) => Math.min(15, Math.floor(v))));
    const zs = [3, 0, 15, 8, 7, 1, 12, 9];
    const x = makeTensor('F32', [2, K], randomF32(2 * K, 12, -1, 1));
    const p = { bits: '4', group: '32', symmetric: 'false' };
    for (const st of ['F32', 'F16'] as const) {
      const sv = randomF32(N * 2, 13, 0.01, 0.2);
      const scales = st === 'F32' ? makeTensor('F32', [N, 2], sv) : makeTensor('F16', [N, 2], Uint16Array.from(sv, f32ToF16Bits));
      const zf = st === 'F32' ? makeTensor('F32', [N, 2], Float32Array.from(zs)) : makeTensor('F16', [N, 2], Uint16Array.from(zs, f32ToF16Bits));
      const zi = makeTensor('I32', [N, 2], Int32Array.from(zs));
      same(await runKernel(ctx, 'dequantize', { codes, scales, zeros: zi }, p), await runKernel(ctx, 'dequantize', { codes, scales, zeros: zf }, p));
      same(await runKernel(ctx, 'matmul_w4a16', { x, codes, scales, zeros: zi }, p), await runKernel(ctx, 'matmul_w4a16', { x, codes, scales, zeros: zf }, p));
    }
  });

  it('I32 zeros are refused for q4_1 (float mins), naming the tensor', async () => {
    const N = 2;
    const K = 32;
    const codes = makeTensor('U8', [N, K], new Uint8Array(N * K));
    const scales = makeTensor('F16', [N, 1], Uint16Array.from([0x3c00, 0x3c00]));
    await expect(runKernel(ctx, 'dequantize', { codes, scales, zeros: makeTensor('I32', [N, 1], Int32Array.from([1, 2])) }, { bits: '4', group: '32', rule: 'q4_1' })).rejects.toThrow(
      /kernel 'dequantize': tensor 'zeros' is I32, scales are F16 \(I32 is taken for integer zero points, not the float mins of q4_1\)/,
    );
  });
});

