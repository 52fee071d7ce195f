// The `nibble kernel` entries of the fused matmuls (matmul_w4a16, matmul_w8a8): tensors from a safetensors file in,
// the kernel run on them, tensors out (src/kernels/runner.ts lists them).
import type { GpuContext } from '../gpu/context.js';
import { makeTensor, type Tensor } from '../io/safetensors.js';
import { describeScheme, GROUP_SIZES, RULES, checkShapeFor, type QuantizedTensor } from '../quant/scheme.js';
import { destroyQuantized, downloadQuantized, quantizeWeights, uploadQuantizedShards } from './quant.js';
import { matrixShape, quantizedFromTensors, schemeFromParams } from './quant_runnable.js';
import { GGUF_BLOCKS, ggufScheme, importGguf, type GgufBlockType } from '../quant/gguf.js';
import { KernelInputError, type ParamSpec, type ParamValue, type RunnableKernel, type TensorSpec } from './runnable.js';
import { type MatmulPath, matmulQ, matmulW8A8, matmulWeights } from './matmul.js';

// ---- `nibble kernel` entries (src/kernels/runner.ts): matmul_w4a16, matmul_w8a8 ----

const MATMUL_INPUTS: TensorSpec[] = [
  { name: 'x', dtypes: ['F32', 'F16'], shape: '[M, K]', doc: 'activations; F16 runs the f16 kernel (native or emulated, see f16), F32 the f32-activation one' },
  { name: 'w', dtypes: ['F32'], shape: '[N, K]', optional: true, doc: 'float weights, quantized on the GPU with the scheme parameters (or give codes + scales)' },
  { name: 'codes', dtypes: ['I8', 'U8'], shape: '[N, K]', optional: true, doc: "unpacked, as quantize writes them (I8: signed q of a symmetric scheme; U8: unsigned u)" },
  { name: 'scales', dtypes: ['F32', 'F16'], shape: '[N, K/group]', optional: true, doc: 'with codes' },
  { name: 'zeros', dtypes: ['F32', 'F16', 'I32'], shape: '[N, K/group]', optional: true, doc: 'with codes, asymmetric schemes only (I32: integer zero points)' },
  { name: 'blocks', dtypes: ['U8'], shape: '[bytes]', optional: true, doc: "or W as GGUF blocks, the tensor data as stored in the .gguf file (with gguf_type; N from its size, K from x's)" },
  { name: 'bias', dtypes: ['F32'], shape: '[N]', optional: true },
];

const matmulSchemeParams = (bits: number[]): ParamSpec[] => [
  { name: 'bits', type: 'int', choices: bits, default: bits[0], doc: bits.length > 1 ? 'code width (8: the W8A16 kernel)' : 'code width' },
  { name: 'group', type: 'int', choices: GROUP_SIZES, doc: 'group size along K; omitted: per channel (one group per row)' },
  { name: 'symmetric', type: 'bool', doc: 'omitted: true, unless rule is minmax or q4_1' },
  { name: 'rule', type: 'enum', choices: RULES, doc: 'scale rule when quantizing w (src/quant/scheme.ts); omitted: absmax if symmetric, else minmax' },
  { name: 'scale_dtype', type: 'enum', choices: ['f32', 'f16'], doc: 'scale storage when quantizing w (omitted: f16 for GGUF rules, else f32); with codes, must match scales' },
  { name: 'y_dtype', type: 'enum', choices: ['f32', 'f16'], default: 'f32', doc: 'type of y: f32, or f16 rounded to nearest even by the kernel (+-inf past 65504), written in the same pass' },
  { name: 'gguf_type', type: 'enum', choices: Object.keys(GGUF_BLOCKS), doc: 'block type of blocks (repacked exactly at load, as importGguf)' },
  { name: 'path', type: 'enum', choices: ['rows', 'split', 'splitcols', 'tiled'], doc: "kernel path (splitcols: the multi-column K-split GEMV; W8A8: per-channel weights only); omitted: the adapter's tuning table (GEMV for M <= 8, else GEMM)" },
];

/** The quantized weight of a matmul entry, on the CPU: from w (quantized by the GPU quantize kernel) or from codes + scales (+ zeros). */
async function runnerWeights(ctx: GpuContext, kernel: string, inputs: Record<string, Tensor>, params: Record<string, ParamValue>): Promise<QuantizedTensor> {
  const bad = (m: string) => new KernelInputError(`kernel '${kernel}': ${m}`);
  const { w, blocks } = inputs;
  const given = [w && 'w', inputs.codes && 'codes', blocks && 'blocks'].filter(Boolean);
  if (given.length > 1 || (blocks && (inputs.scales || inputs.zeros)) || (w && (inputs.scales || inputs.zeros))) throw bad(`give one of tensor 'w' (float weights), 'codes' + 'scales' (+ 'zeros') or 'blocks' (GGUF), not ${given.join(' and ') || "'scales' alone"}`);
  if (!w && !inputs.codes && !blocks) throw bad(`input tensor 'w' [N, K] (or 'codes' + 'scales', or GGUF 'blocks') is missing`);
  if (blocks) return ggufWeights(kernel, blocks, inputs.x, params);
  if (params.gguf_type !== undefined) throw bad(`parameter 'gguf_type' goes with tensor 'blocks'`);
  if (!w) return quantizedFromTensors(kernel, inputs, params);
  const [N, K] = matrixShape(kernel, 'w', w);
  const s = schemeFromParams(kernel, params);
  if (s.bits !== 4 && s.bits !== 8) throw bad(`${s.bits}-bit weights are not supported`);
  try {
    checkShapeFor(s, N, K, 'w');
  } catch (e) {
    throw bad((e as Error).message);
  }
  const W = ctx.createBuffer(w.data, undefined, 'w');
  try {
    const q = await quantizeWeights(ctx, W, N, K, s, 'w');
    try {
      return await downloadQuantized(ctx, q);
    } finally {
      destroyQuantized(q);
    }
  } finally {
    W.destroy();
  }
}

/** W from GGUF blocks: N from the byte count, K from x; importGguf's errors name 'blocks', its block, row and byte. */
function ggufWeights(kernel: string, blocks: Tensor, x: Tensor | undefined, params: Record<string, ParamValue>): QuantizedTensor {
  const bad = (m: string) => new KernelInputError(`kernel '${kernel}': ${m}`);
  const t = params.gguf_type as GgufBlockType | undefined;
  if (t === undefined) throw bad(`tensor 'blocks' needs parameter 'gguf_type' (${Object.keys(GGUF_BLOCKS).join(', ')})`);
  // bits has a default, so it cannot be told apart from a given one: it must agree with the block type.
  for (const p of ['group', 'symmetric', 'rule', 'scale_dtype']) if (params[p] !== undefined) throw bad(`parameter '${p}' does not go with GGUF blocks (the block type ${t} fixes the scheme)`);
  const tb = ggufScheme(t).bits;
  if (kernel === 'matmul_w4a16' && params.bits !== tb) throw bad(`parameter 'bits' = ${params.bits}, but ${t} blocks hold ${tb}-bit codes (give bits=${tb})`);
  if (!x) throw bad(`input tensor 'x' [M, K] is missing`);
  const K = x.shape[x.shape.length - 1];
  const { bytes, elements } = GGUF_BLOCKS[t];
  if (K % elements !== 0) throw bad(`tensor 'x' has K = ${K} (shape [${x.shape.join(', ')}]), but ${t} blocks need K a multiple of ${elements}`);
  const row = (K / elements) * bytes;
  const n = blocks.data.length;
  if (n === 0 || n % row !== 0) throw bad(`tensor 'blocks' holds ${n} bytes, not a whole number of ${t} rows of K = ${K} (${row} bytes each)`);
  try {
    return importGguf(t, blocks.data as Uint8Array, n / row, K, 'blocks');
  } catch (e) {
    throw bad((e as Error).message);
  }
}

/** x [M, K] (K from the weights) and bias [N] checked against W [N, K], naming the tensor. */
function runnerActivations(kernel: string, inputs: Record<string, Tensor>, N: number, K: number, wName: string): { M: number; xType: 'f16' | 'f32' } {
  const { x, bias } = inputs;
  const [M, Kx] = matrixShape(kernel, 'x', x, '[M, K]');
  if (Kx !== K) throw new KernelInputError(`kernel '${kernel}': tensor 'x' has shape [${M}, ${Kx}], but '${wName}' is [${N}, ${K}]: K differs (${Kx} vs ${K})`);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== N)) throw new KernelInputError(`kernel '${kernel}': tensor 'bias' has shape [${bias.shape.join(', ')}], expected [${N}] (N of '${wName}' [${N}, ${K}])`);
  return { M, xType: x.dtype === 'F16' ? 'f16' : 'f32' };
}

async function runMatmulEntry(ctx: GpuContext, kernel: 'matmul_w4a16' | 'matmul_w8a8', inputs: Record<string, Tensor>, params: Record<string, ParamValue>): Promise<Record<string, Tensor>> {
  const q = await runnerWeights(ctx, kernel, inputs, params);
  const { N, K, scheme: s } = q;
  const wName = inputs.w ? 'w' : inputs.blocks ? 'blocks' : 'codes';
  if (kernel === 'matmul_w8a8' && !s.symmetric) throw new KernelInputError(`kernel 'matmul_w8a8': weights must be symmetric int8 (got ${describeScheme(s)})`);
  const { M, xType } = runnerActivations(kernel, inputs, N, K, wName);
  const bufs: GPUBuffer[] = [];
  const up = (data: ArrayBufferView, label: string) => (bufs.push(ctx.createBuffer(data, undefined, label)), bufs[bufs.length - 1]);
  const gq = uploadQuantizedShards(ctx, q, wName); // shards along N where W exceeds a buffer limit
  try {
    const wb = matmulWeights(gq, wName);
    const x = up(inputs.x.data, 'x');
    const yF16 = params.y_dtype === 'f16';
    const y = ctx.createBuffer(yF16 ? 4 * Math.ceil((M * N) / 2) : 4 * M * N, undefined, 'y');
    bufs.push(y);
    const o = { M, xType, path: params.path as MatmulPath | undefined, yType: yF16 ? ('f16' as const) : ('f32' as const), ...(inputs.bias ? { bias: up(inputs.bias.data, 'bias') } : {}) };
    if (kernel === 'matmul_w8a8') await matmulW8A8(ctx, x, wb, y, o);
    else await matmulQ(ctx, x, wb, y, { ...o, f16: params.f16 as 'native' | 'emulated' | undefined });
    if (!yF16) return { y: makeTensor('F32', [M, N], await ctx.readF32(y, M * N), 'y') };
    const words = await ctx.readU32(y);
    return { y: makeTensor('F16', [M, N], new Uint16Array(words.buffer, words.byteOffset, M * N).slice(), 'y') };
  } finally {
    bufs.forEach((b) => b.destroy());
    gq.forEach(destroyQuantized);
  }
}

export const MATMUL_W4A16_RUNNABLE: RunnableKernel = {
  name: 'matmul_w4a16',
  summary: 'y = x · dequant(W)^T (+ bias) with the dequant-fused W4A16 kernel (bits=8: W8A16); W from float weights or codes + scales',
  inputs: MATMUL_INPUTS,
  outputs: [{ name: 'y', dtypes: ['F32', 'F16'], shape: '[M, N]' }],
  params: [
    ...matmulSchemeParams([4, 8]),
    { name: 'f16', type: 'enum', choices: ['native', 'emulated'], doc: "F16 x: shader-f16 math or unpack2x16float + f32 math; omitted: native where the adapter has shader-f16" },
  ],
  run: (ctx, inputs, params) => runMatmulEntry(ctx, 'matmul_w4a16', inputs, params),
};

export const MATMUL_W8A8_RUNNABLE: RunnableKernel = {
  name: 'matmul_w8a8',
  summary: 'y = x · dequant(W)^T (+ bias): x quantized to int8 per token on the GPU, int8 weights, i32 dot products, per-group rescale',
  inputs: MATMUL_INPUTS,
  outputs: [{ name: 'y', dtypes: ['F32', 'F16'], shape: '[M, N]' }],
  params: matmulSchemeParams([8]),
  run: (ctx, inputs, params) => runMatmulEntry(ctx, 'matmul_w8a8', inputs, params),
};

export const MATMUL_RUNNABLES: RunnableKernel[] = [MATMUL_W4A16_RUNNABLE, MATMUL_W8A8_RUNNABLE];
