// The `nibble kernel` entries of the quantization kernels (quantize, dequantize, quantize_act, dequantize_gguf) and
// the tensor-file helpers the matmul entries share (src/kernels/runner.ts lists them).
import { makeTensor, toF32, type Tensor } from '../io/safetensors.js';
import { toF16Array } from '../quant/f16.js';
import { GGUF_BLOCKS, importGguf, type GgufBlockType } from '../quant/gguf.js';
import { packCodes, unpackCodes } from '../quant/layout.js';
import { checkShapeFor, describeScheme, GROUP_SIZES, groupsPerRow, makeScheme, RULES, zeroKind, type QuantizedTensor, type QuantScheme, type ScaleRule } from '../quant/scheme.js';
import { KernelInputError, type ParamSpec, type ParamValue, type RunnableKernel } from './runnable.js';
import { actWordsPerRow, dequantize, destroyQuantized, downloadQuantized, quantizeAct, quantizeWeights, unpackActCodes, uploadQuantized } from './quant.js';

// ---- `nibble kernel` entries (src/kernels/runner.ts) ----

export function matrixShape(kernel: string, name: string, t: Tensor, dims = '[N, K]'): [number, number] {
  if (t.shape.length !== 2 || t.shape[0] < 1 || t.shape[1] < 1) throw new KernelInputError(`kernel '${kernel}': tensor '${name}' has shape [${t.shape.join(', ')}], expected ${dims} (2-D, non-empty)`);
  return [t.shape[0], t.shape[1]];
}

export function schemeFromParams(kernel: string, p: Record<string, ParamValue>, scaleType?: 'f16' | 'f32'): QuantScheme {
  try {
    return makeScheme({
      bits: p.bits as number,
      group: (p.group as number | undefined) ?? 0,
      symmetric: p.symmetric as boolean | undefined,
      rule: p.rule as ScaleRule | undefined,
      scaleType: (p.scale_dtype as 'f16' | 'f32' | undefined) ?? scaleType,
    });
  } catch (e) {
    throw new KernelInputError(`kernel '${kernel}': ${(e as Error).message}`);
  }
}

const scaleTensor = (v: Float32Array, t: 'f16' | 'f32', shape: number[], name: string): Tensor =>
  t === 'f16' ? makeTensor('F16', shape, toF16Array(v), name) : makeTensor('F32', shape, v, name);

const SCHEME_PARAMS: ParamSpec[] = [
  { name: 'bits', type: 'int', choices: [2, 3, 4, 8], default: 4, doc: 'code width' },
  { name: 'group', type: 'int', choices: GROUP_SIZES, doc: 'group size along K; omitted: per channel (one group per row)' },
  { name: 'symmetric', type: 'bool', doc: 'omitted: true, unless rule is minmax or q4_1' },
  { name: 'rule', type: 'enum', choices: RULES, doc: 'scale rule (src/quant/scheme.ts); omitted: absmax if symmetric, else minmax' },
];

export const QUANTIZE_RUNNABLE: RunnableKernel = {
  name: 'quantize',
  summary: 'group-quantize a weight on the GPU (codes, stored scales/zeros, and w dequantized with the stored scales)',
  inputs: [{ name: 'w', dtypes: ['F32'], shape: '[N, K]' }],
  outputs: [
    { name: 'codes', dtypes: ['I8', 'U8'], shape: '[N, K]', doc: 'unpacked; I8 signed q when symmetric, U8 unsigned u (with zeros) when asymmetric' },
    { name: 'scales', dtypes: ['F32', 'F16'], shape: '[N, K/group]', doc: 'as stored (F16 for f16 scales)' },
    { name: 'zeros', dtypes: ['F32', 'F16'], shape: '[N, K/group]', optional: true, doc: 'asymmetric only: integer zero point z, or the float min m of q4_1' },
    { name: 'w_dq', dtypes: ['F32'], shape: '[N, K]', doc: '(q)*s, (u - z)*s or u*s + m with the stored scale' },
  ],
  params: [...SCHEME_PARAMS, { name: 'scale_dtype', type: 'enum', choices: ['f32', 'f16'], doc: 'scale storage; omitted: f16 for q4_0/q8_0/q4_1, else f32' }],
  async run(ctx, inputs, params) {
    const w = inputs.w;
    const [N, K] = matrixShape('quantize', 'w', w);
    const s = schemeFromParams('quantize', params);
    checkShapeFor(s, N, K, 'w');
    const W = ctx.createBuffer(w.data, undefined, 'w');
    try {
      const q = await quantizeWeights(ctx, W, N, K, s, 'w');
      try {
        const cpu = await downloadQuantized(ctx, q);
        const u = unpackCodes(cpu.codes, N, K, s.bits);
        const half = 2 ** (s.bits - 1);
        const Y = await dequantize(ctx, q, 'f32');
        const wdq = await ctx.readF32(Y, N * K);
        Y.destroy();
        const ng = groupsPerRow(s, K);
        return {
          codes: s.symmetric ? makeTensor('I8', [N, K], Int8Array.from(u, (v) => v - half), 'codes') : makeTensor('U8', [N, K], u, 'codes'),
          scales: scaleTensor(cpu.scales, s.scaleType, [N, ng], 'scales'),
          ...(cpu.zeros ? { zeros: scaleTensor(cpu.zeros, s.scaleType, [N, ng], 'zeros') } : {}),
          w_dq: makeTensor('F32', [N, K], wdq, 'w_dq'),
        };
      } finally {
        destroyQuantized(q);
      }
    } finally {
      W.destroy();
    }
  },
};

/**
 * A quantized weight from the runner's unpacked tensors: `codes` [N, K] (I8: signed q of a symmetric scheme; U8:
 * unsigned stored codes u, as `quantize` writes them), `scales` (F32 or F16, which fixes the scale type) and `zeros`
 * [N, K/group] for asymmetric schemes; the scheme from the parameters bits, group, symmetric, rule (and
 * scale_dtype, which must match the scales tensor). Codes are packed with packCodes (src/quant/layout.ts).
 * Every shape, dtype and range problem is a KernelInputError naming the tensor (and element).
 */
export function quantizedFromTensors(kernel: string, inputs: Record<string, Tensor | undefined>, params: Record<string, ParamValue>): QuantizedTensor {
  const { codes, scales, zeros } = inputs;
  const bad = (m: string) => new KernelInputError(`kernel '${kernel}': ${m}`);
  if (!codes) throw bad(`input tensor 'codes' is missing`);
  if (!scales) throw bad(`input tensor 'scales' (with 'codes') is missing`);
  const [N, K] = matrixShape(kernel, 'codes', codes);
  const st = scales.dtype === 'F16' ? 'f16' : 'f32';
  if (params.scale_dtype !== undefined && params.scale_dtype !== st) throw bad(`scale_dtype=${params.scale_dtype} but tensor 'scales' is ${scales.dtype}`);
  const s = schemeFromParams(kernel, params, st);
  try {
    checkShapeFor(s, N, K, 'codes');
  } catch (e) {
    throw bad((e as Error).message);
  }
  const ng = groupsPerRow(s, K);
  if (scales.shape.length !== 2 || scales.shape[0] !== N || scales.shape[1] !== ng) throw bad(`tensor 'scales' has shape [${scales.shape.join(', ')}], ${describeScheme(s)} of [${N}, ${K}] needs [${N}, ${ng}]`);
  if (s.symmetric && zeros) throw bad(`tensor 'zeros' was given for a symmetric scheme`);
  if (!s.symmetric) {
    if (!zeros) throw bad(`input tensor 'zeros' [${N}, ${ng}] is missing (asymmetric scheme)`);
    // Integer zero points may also come as I32 (PyTorch's dtype for them); q4_1's float mins may not.
    const intZeros = zeros.dtype === 'I32' && zeroKind(s) === 'int';
    if (zeros.dtype !== scales.dtype && !intZeros) throw bad(`tensor 'zeros' is ${zeros.dtype}, scales are ${scales.dtype}${zeros.dtype === 'I32' ? ` (I32 is taken for integer zero points, not the float mins of ${s.rule})` : ''}`);
    if (zeros.shape.length !== 2 || zeros.shape[0] !== N || zeros.shape[1] !== ng) throw bad(`tensor 'zeros' has shape [${zeros.shape.join(', ')}], expected [${N}, ${ng}]`);
  }
  if (codes.dtype === 'I8' && !s.symmetric) throw bad(`tensor 'codes' is I8 (signed), an asymmetric scheme takes U8 codes`);
  const half = 2 ** (s.bits - 1);
  const umax = 2 ** s.bits - 1;
  const u = new Uint8Array(N * K);
  for (let i = 0; i < N * K; i++) {
    const v = codes.data[i] + (codes.dtype === 'I8' ? half : 0);
    if (v < 0 || v > umax) throw bad(`tensor 'codes': element [${Math.floor(i / K)}, ${i % K}] = ${codes.data[i]} is outside the ${s.bits}-bit ${codes.dtype === 'I8' ? 'signed' : 'unsigned'} range`);
    u[i] = v;
  }
  const values = (t: Tensor, name: string) => {
    const v = toF32(t);
    const i = v.findIndex((x) => !Number.isFinite(x));
    if (i >= 0) throw bad(`tensor '${name}': element [${Math.floor(i / ng)}, ${i % ng}] is ${v[i]}`);
    return v;
  };
  return { scheme: s, N, K, codes: packCodes(u, N, K, s.bits), scales: values(scales, 'scales'), zeros: zeros ? values(zeros, 'zeros') : null };
}

export const DEQUANTIZE_RUNNABLE: RunnableKernel = {
  name: 'dequantize',
  summary: "dequantize codes + scales (+ zeros) on the GPU (takes quantize's outputs and parameters)",
  inputs: [
    { name: 'codes', dtypes: ['I8', 'U8'], shape: '[N, K]', doc: 'I8: signed q of a symmetric scheme; U8: unsigned stored codes u' },
    { name: 'scales', dtypes: ['F32', 'F16'], shape: '[N, K/group]' },
    { name: 'zeros', dtypes: ['F32', 'F16', 'I32'], shape: '[N, K/group]', optional: true, doc: 'asymmetric schemes only; same dtype as scales, or I32 integer zero points' },
  ],
  outputs: [{ name: 'w_dq', dtypes: ['F32', 'F16'], shape: '[N, K]' }],
  params: [
    ...SCHEME_PARAMS,
    { name: 'scale_dtype', type: 'enum', choices: ['f32', 'f16'], doc: "accepted so quantize's parameters can be reused; must match the scales tensor" },
    { name: 'out_dtype', type: 'enum', choices: ['f32', 'f16'], default: 'f32', doc: 'output type (f16: rounded to nearest even)' },
  ],
  async run(ctx, inputs, params) {
    const q = uploadQuantized(ctx, quantizedFromTensors('dequantize', inputs, params));
    const { N, K } = q;
    try {
      const f16 = params.out_dtype === 'f16';
      const Y = await dequantize(ctx, q, f16 ? 'f16' : 'f32');
      const bytes = await ctx.read(Y, (f16 ? 2 : 4) * N * K);
      Y.destroy();
      return { w_dq: f16 ? makeTensor('F16', [N, K], new Uint16Array(bytes), 'w_dq') : makeTensor('F32', [N, K], new Float32Array(bytes), 'w_dq') };
    } finally {
      destroyQuantized(q);
    }
  },
};

export const QUANTIZE_ACT_RUNNABLE: RunnableKernel = {
  name: 'quantize_act',
  summary: 'dynamic per-token int8 quantization of activations on the GPU (scale from each row)',
  inputs: [{ name: 'x', dtypes: ['F32'], shape: '[M, K]' }],
  outputs: [
    { name: 'codes', dtypes: ['I8', 'U8'], shape: '[M, K]', doc: 'I8 when symmetric, U8 when asymmetric' },
    { name: 'scales', dtypes: ['F32'], shape: '[M, 1]' },
    { name: 'zeros', dtypes: ['F32'], shape: '[M, 1]', doc: 'integer zero points (0 when symmetric)' },
    { name: 'x_dq', dtypes: ['F32'], shape: '[M, K]', doc: '(q - z) * s' },
  ],
  params: [{ name: 'symmetric', type: 'bool', default: true, doc: 'symmetric: s = max|x|/127, int8; asymmetric: s = (max - min)/255 over a range holding 0, uint8 with zero point' }],
  async run(ctx, inputs, params) {
    const x = inputs.x;
    const [M, K] = matrixShape('quantize_act', 'x', x, '[M, K]');
    const sym = params.symmetric as boolean;
    const X = ctx.createBuffer(x.data, undefined, 'x');
    try {
      const q = await quantizeAct(ctx, X, M, K, sym, { dq: true, tensor: 'x' });
      try {
        return {
          codes: makeTensor(sym ? 'I8' : 'U8', [M, K], unpackActCodes(await ctx.readU32(q.codes, M * actWordsPerRow(K)), M, K, sym), 'codes'),
          scales: makeTensor('F32', [M, 1], await ctx.readF32(q.scales, M), 'scales'),
          zeros: makeTensor('F32', [M, 1], await ctx.readF32(q.zeros, M), 'zeros'),
          x_dq: makeTensor('F32', [M, K], await ctx.readF32(q.x_dq!, M * K), 'x_dq'),
        };
      } finally {
        [q.codes, q.scales, q.zeros, q.x_dq!].forEach((b) => b.destroy());
      }
    } finally {
      X.destroy();
    }
  },
};

export const DEQUANTIZE_GGUF_RUNNABLE: RunnableKernel = {
  name: 'dequantize_gguf',
  summary: 'import GGUF Q4_0/Q4_1/Q8_0/Q5_0/Q5_1/Q4_K/Q5_K/Q6_K blocks (repacked to nibble layout at load) and dequantize them on the GPU',
  inputs: [{ name: 'blocks', dtypes: ['U8'], shape: '[bytes]', doc: 'the tensor data as stored in the .gguf file' }],
  outputs: [{ name: 'w_dq', dtypes: ['F32'], shape: '[N, K]' }],
  params: [
    { name: 'type', type: 'enum', choices: Object.keys(GGUF_BLOCKS), doc: 'block type (required)' },
    { name: 'n', type: 'int', doc: 'rows N (required)' },
    { name: 'k', type: 'int', doc: 'elements per row K, a multiple of 32 (K-quants: of 256) (required)' },
  ],
  async run(ctx, inputs, params) {
    for (const p of ['type', 'n', 'k']) if (params[p] === undefined) throw new KernelInputError(`kernel 'dequantize_gguf': parameter '${p}' is required`);
    const N = params.n as number;
    const K = params.k as number;
    if (N < 1) throw new KernelInputError(`kernel 'dequantize_gguf': parameter 'n' = ${N} must be positive`);
    const q = uploadQuantized(ctx, importGguf(params.type as GgufBlockType, inputs.blocks.data as Uint8Array, N, K, 'blocks'), 'blocks');
    try {
      const Y = await dequantize(ctx, q, 'f32');
      const y = await ctx.readF32(Y, N * K);
      Y.destroy();
      return { w_dq: makeTensor('F32', [N, K], y, 'w_dq') };
    } finally {
      destroyQuantized(q);
    }
  },
};

export const QUANT_RUNNABLES: RunnableKernel[] = [QUANTIZE_RUNNABLE, DEQUANTIZE_RUNNABLE, QUANTIZE_ACT_RUNNABLE, DEQUANTIZE_GGUF_RUNNABLE];
