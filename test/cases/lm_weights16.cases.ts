// F16 and BF16 weights stay at 16 bits on the GPU (src/lm/weights.ts): a model written with F16 (llama, GQA, untied:
// its output head F16 on the GPU, its token table F16 on the CPU, rows decoded per token) and one with BF16 (qwen2,
// biases, tied: the BF16 token table is also the output head, a Linear product over the vocabulary) against the same
// models with every 16-bit tensor widened to F32 in the file, in Node and in Chromium.
//   - Logits: the weights are the same values in both files (widening F16 / BF16 to f32 is exact), the matmul the same
//     kernel in the same fma order, so the logits come out identical; the bound asserted is the sum-order bound
//     DECODE_BOUND = 1e-4 in logits (lm_model.cases.ts), which any other summation order of the same f32 products
//     stays within. Both also against the f64 reference (NIBBLE_BOUND in probabilities), by prefill and decode.
//   - Memory: loading (steps not recorded) holds exactly 2 bytes a parameter less for every matrix the GPU holds
//     (ctx.memory, which counts every buffer), and each such matrix takes 4 ceil(N K / 2) bytes: 2 a parameter.
import type { GpuContext } from '../../src/gpu/context.js';
import { encodeGgufFile, parseGgufFile, type GgufTensorIn } from '../../src/io/gguf.js';
import { floatValues } from '../../src/lm/weights.js';
import { synthLlamaGguf, type SynthOptions } from '../../src/lm/synth.js';
import { llamaLogitsRef, softmaxRows } from '../../src/ref/llama.js';
import { loadBytes, maxDiff } from './lm_helpers.js';
import { assert, type GpuCase } from './types.js';

const NIBBLE_BOUND = 5e-4;
const DECODE_BOUND = 1e-4;
const BASE: SynthOptions = { dim: 64, ffn: 128, layers: 2, heads: 4, ctx: 64 };
const MODELS: { what: string; o: SynthOptions }[] = [
  { what: 'llama F16 GQA untied (F16 head on the GPU, F16 token table)', o: { ...BASE, arch: 'llama', kvHeads: 2, weightType: 'F16', seed: 11 } },
  { what: 'qwen2 BF16 tied (the BF16 token table is the head)', o: { ...BASE, arch: 'qwen2', layers: 1, tied: true, weightType: 'BF16', seed: 12 } },
];
const IDS = [1, ...[...'Now is the winter of our'].map((ch) => 3 + ch.charCodeAt(0))];

/** The same model with every F16 / BF16 tensor widened to F32 (exact). */
function widened(bytes: Uint8Array): Uint8Array {
  const f = parseGgufFile(bytes);
  const tensors: GgufTensorIn[] = f.tensors.map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    return t.type === 'F16' || t.type === 'BF16' ? { name: t.name, type: 'F32', shape: t.shape, data: floatValues(t, n) } : { name: t.name, type: t.type, shape: t.shape, data: t.data };
  });
  return encodeGgufFile(tensors, f.metadata);
}

/** Loads `bytes` (no steps recorded), runs fn, disposes; returns fn's result and the bytes the load added to ctx.memory. */
async function measured<R>(ctx: GpuContext, bytes: Uint8Array, fn: (lm: Awaited<ReturnType<typeof loadBytes>>) => Promise<R>): Promise<{ r: R; held: number; matrices: { name: string; params: number; bytes: number }[] }> {
  const before = ctx.memory.bytes;
  const lm = await loadBytes(ctx, bytes, { ctxLen: 64, chunk: 8, warmup: false });
  const held = ctx.memory.bytes - before;
  try {
    const weights = lm.engine['res'].weights;
    const matrices = [...weights.values()].map((w) => ({ name: w.name, params: w.N * w.K, bytes: w.bytes }));
    return { r: await fn(lm), held, matrices };
  } finally {
    lm.dispose();
  }
}

function weights16Case(what: string, o: SynthOptions): GpuCase {
  return {
    name: `lm model 16-bit weights ${what}: same logits as the model widened to F32, half the matrix bytes on the GPU`,
    async run(ctx) {
      const b16 = synthLlamaGguf(o);
      const b32 = widened(b16);
      const V = parseGgufFile(b16).tensors.find((t) => t.name === 'token_embd.weight')!.shape[0];
      const T = IDS.length;
      const both = async (lm: Awaited<ReturnType<typeof loadBytes>>) => ({ pre: await lm.logits(IDS), dec: await lm.logits(IDS, { decode: true }) });
      const m32 = await measured(ctx, b32, both);
      const m16 = await measured(ctx, b16, both);
      // Logits: 16-bit weights vs the same values held in f32.
      const dPre = maxDiff(m16.r.pre, m32.r.pre);
      const dDec = maxDiff(m16.r.dec, m32.r.dec);
      assert(dPre <= DECODE_BOUND && dDec <= DECODE_BOUND, `16-bit vs f32 weights: max |z| difference prefill ${dPre}, decode ${dDec}, bound ${DECODE_BOUND}`);
      const ref = softmaxRows(llamaLogitsRef(parseGgufFile(b16), IDS), T, V);
      const vsRef = Math.max(maxDiff(softmaxRows(m16.r.pre, T, V), ref), maxDiff(softmaxRows(m16.r.dec, T, V), ref));
      assert(vsRef <= NIBBLE_BOUND, `max |p - p_f64| over ${T} positions (prefill and decode) = ${vsRef}, bound ${NIBBLE_BOUND}`);
      // Memory: every matrix on the GPU at 2 bytes a parameter (a word holds two), and exactly that much less held.
      const params = m16.matrices.reduce((s, m) => s + m.params, 0);
      const bytes16 = m16.matrices.reduce((s, m) => s + m.bytes, 0);
      const bytes32 = m32.matrices.reduce((s, m) => s + m.bytes, 0);
      for (const m of m16.matrices) assert(m.bytes === 4 * Math.ceil(m.params / 2), `${m.name}: ${m.bytes} bytes for ${m.params} parameters, expected ${4 * Math.ceil(m.params / 2)}`);
      assert(bytes32 === 4 * params, `the f32 model's matrices take ${bytes32} bytes for ${params} parameters`);
      assert(m32.held - m16.held === bytes32 - bytes16, `loading held ${m32.held} bytes (f32) and ${m16.held} (16-bit): a difference of ${m32.held - m16.held}, the matrices' ${bytes32 - bytes16}`);
      return `${m16.matrices.length} matrices, ${params} parameters: ${bytes16} bytes on the GPU (${(bytes16 / params).toFixed(3)} B/param) vs ${bytes32} as f32; load held ${m16.held} vs ${m32.held} bytes; logits vs f32 weights: max |dz| prefill ${dPre.toExponential(2)}, decode ${dDec.toExponential(2)} (bound ${DECODE_BOUND}); vs f64 max |dp| ${vsRef.toExponential(2)} (bound ${NIBBLE_BOUND})`;
    },
  };
}

export const CASES: GpuCase[] = MODELS.map((m) => weights16Case(m.what, m.o));
