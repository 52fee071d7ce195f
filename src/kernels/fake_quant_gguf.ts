// GGUF fake-quant kernels (the graph op is src/ops/fake_quant_gguf.ts): the forward is the weight quantizer
// (shaders/quant/quantize.wgsl, rules q4_0 / q8_0) then the dequantizer (shaders/quant/dequantize.wgsl), so y is
// exactly what the GGUF blocks dequantize to; shaders/quant/fill_words.wgsl clears the quantizer's atomic outputs
// in the same pass; shaders/quant/fake_quant_gguf_nan.wgsl turns blocks with NaN/Inf weights into NaN (the quantizer
// skips them); shaders/quant/fake_quant_gguf_backward.wgsl is the straight-through clip mask.
// CPU reference: src/ref/fake_quant_gguf.ts.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type Bindable, type KernelDef } from '../gpu/kernel.js';
import { ggufScheme } from '../quant/gguf.js';
import { checkShape, grid1d, type Dispatch } from './common.js';
import { codeBytes, planDequantize, planQuantize, scaleBytes } from './quant.js';
import { tuningFor } from './tuning.js';

export type GgufFakeQuantType = 'Q4_0' | 'Q8_0';

export const FILL_WORDS: KernelDef = { name: 'fill_words', shader: 'quant/fill_words' };
export const FAKE_QUANT_GGUF_NAN: KernelDef = { name: 'fake_quant_gguf_nan', shader: 'quant/fake_quant_gguf_nan' };
export const FAKE_QUANT_GGUF_BACKWARD: KernelDef = { name: 'fake_quant_gguf_backward', shader: 'quant/fake_quant_gguf_backward' };

/** y[0..n) = value (u32 words). */
export async function planFillWords(ctx: GpuContext, y: GPUBuffer, n: number, value: number): Promise<Dispatch> {
  checkShape('fill_words', 'n', Number.isInteger(n) && n > 0, `${n} must be a positive integer`);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, FILL_WORDS, {}, { WG: wg });
  const g = grid1d(ctx, Math.ceil(n / wg));
  return { kernel, args: { bindings: { y }, params: { n, value: value >>> 0, row_pitch: g.gridX * wg }, expect: { y: 4 * n } }, workgroups: g.workgroups };
}

function checkGgufShape(kernel: string, type: string, N: number, K: number, tensor: string): void {
  checkShape(kernel, 'type', type === 'Q4_0' || type === 'Q8_0', `'${type}' is not Q4_0 or Q8_0`);
  checkShape(kernel, `tensor '${tensor}'`, Number.isInteger(N) && N > 0 && Number.isInteger(K) && K > 0 && K % 32 === 0, `shape [${N}, ${K}]: ${type} needs K a positive multiple of 32`);
}

/** The scratch buffers of the forward: codes and f16 scale pairs in nibble's layout, a 4-byte dummy, 2 status words. */
export interface GgufFakeQuantScratch {
  codes: GPUBuffer;
  scales: GPUBuffer;
  dummy: GPUBuffer;
  status: GPUBuffer;
}

export function ggufScratchBytes(type: GgufFakeQuantType, N: number, K: number): { codes: number; scales: number } {
  const s = ggufScheme(type);
  return { codes: codeBytes(s, N, K), scales: scaleBytes(s, N, K) };
}

/** y = NaN over every block of 32 whose w holds NaN/Inf (the quantizer leaves such a block zero). */
export async function planFakeQuantGgufNan(ctx: GpuContext, w: Bindable, y: Bindable, N: number, K: number, tensor = 'w'): Promise<Dispatch> {
  checkGgufShape('fake_quant_gguf_nan', 'Q4_0', N, K, tensor);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, FAKE_QUANT_GGUF_NAN, {}, { WG: wg });
  const blocks = (N * K) / 32;
  const g = grid1d(ctx, Math.ceil(blocks / wg));
  return { kernel, args: { bindings: { x: w, y }, params: { blocks, row_pitch: g.gridX * wg }, expect: { x: 4 * N * K, y: 4 * N * K } }, workgroups: g.workgroups };
}

/**
 * Forward of w [N, K] f32 into y [N, K] f32: clear the scratch, quantize with the GGUF rule, dequantize, then NaN
 * over blocks with NaN/Inf weights. Six dispatches for one pass (WebGPU orders the dispatches of a pass: each sees
 * the previous one's writes). The status words are cleared for the quantizer but not read (a graph cannot throw).
 */
export async function planFakeQuantGguf(ctx: GpuContext, w: Bindable, y: Bindable, scratch: GgufFakeQuantScratch, type: GgufFakeQuantType, N: number, K: number, tensor = 'w'): Promise<Dispatch[]> {
  checkGgufShape('fake_quant_gguf', type, N, K, tensor);
  const s = ggufScheme(type);
  const bytes = ggufScratchBytes(type, N, K);
  const q = await planQuantize(ctx, w, { codes: scratch.codes, scales: scratch.scales, zeros: scratch.dummy, status: scratch.status }, N, K, s, tensor);
  const dq = await planDequantize(ctx, { scheme: s, N, K, codes: scratch.codes, scales: scratch.scales, zeros: null }, y, 'f32', scratch.dummy);
  return [
    await planFillWords(ctx, scratch.codes, bytes.codes / 4, 0),
    await planFillWords(ctx, scratch.scales, bytes.scales / 4, 0),
    await planFillWords(ctx, scratch.status, 2, 0xffffffff),
    q,
    dq,
    await planFakeQuantGgufNan(ctx, w, y, N, K, tensor),
  ];
}

/** STE backward: grad_x = grad_y where ggml's unclamped code of x is inside the code range, else 0. */
export async function planFakeQuantGgufBackward(
  ctx: GpuContext, b: { x: Bindable; grad_y: Bindable; grad_x: Bindable }, type: GgufFakeQuantType, N: number, K: number, tensor = 'w',
): Promise<Dispatch> {
  checkGgufShape('fake_quant_gguf_backward', type, N, K, tensor);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, FAKE_QUANT_GGUF_BACKWARD, {}, { WG: wg });
  const blocks = (N * K) / 32;
  const g = grid1d(ctx, Math.ceil(blocks / wg));
  const n = 4 * N * K;
  return {
    kernel,
    args: { bindings: { ...b }, params: { blocks, q8: type === 'Q8_0' ? 1 : 0, row_pitch: g.gridX * wg, zero: 0 }, expect: { x: n, grad_y: n, grad_x: n } },
    workgroups: g.workgroups,
  };
}
