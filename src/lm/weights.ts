// A language model's tensors on the GPU, as the GGUF file stores them: block-quantized weights stay in their blocks
// (importGguf repacks them exactly into the layouts the fused matmuls read: 4-bit Q4_0/Q4_1/Q4_K/Q3_K/Q2_K, 8-bit codes
// for Q8_0/Q5_0/Q5_1/Q5_K/Q6_K); F16 and BF16 matrices keep the file's bytes, 2 a parameter (two values per u32 word),
// which the f32 matmul widens as it reads them (bType 'f16' / 'bf16'); F32 matrices are f32 buffers; vectors (norms,
// biases, rope frequencies) f32 buffers. The token embedding stays on the CPU in its blocks: a step gathers and decodes only
// the rows of its tokens (dequantizeGgufRows), so the table is never dequantized whole; a tied model also uploads it
// as the LM head. Sizes are estimated from the header before anything is uploaded.
import { deltaNetConvChannels } from '../nn/llama_delta_net.js';
import type { GpuContext } from '../gpu/context.js';
import { formatBytes, type GgufTensor, type GgufTensorInfo, type GgufTensorType } from '../io/gguf.js';
import { matmulWeights, type MatmulBType, type QuantWeights } from '../kernels/matmul.js';
import { destroyQuantized, uploadQuantizedShards, type GpuQuantized } from '../kernels/quant.js';
import { bf16BitsToF32, f16BitsToF32 } from '../quant/f16.js';
import { dequantizeGgufRows, ggufBytes, GGUF_BLOCKS, ggufScheme, importGguf, type GgufBlockType } from '../quant/gguf.js';
import { layerCacheRows, ModelConfigError, POSITION_EMBD, type LlamaConfig } from '../nn/llama_config.js';
import { expertWeight } from '../nn/llama_moe.js';
import { mlaSharedKv } from '../nn/llama_mla.js';

export const FLOAT_TYPES = ['F32', 'F16', 'BF16'] as const;
export const BLOCK_TYPES = Object.keys(GGUF_BLOCKS) as GgufBlockType[];
/** Every tensor type a language model's weights may have here. */
export const LM_WEIGHT_TYPES: readonly string[] = [...FLOAT_TYPES, ...BLOCK_TYPES];

export type LmWeight =
  | { kind: 'quant'; name: string; N: number; K: number; type: GgufBlockType; w: QuantWeights; shards: GpuQuantized[]; bytes: number }
  | { kind: 'float'; name: string; N: number; K: number; type: GgufTensorType; bType: MatmulBType; shards: FloatShard[]; bytes: number };

/** Rows [n0, n0 + n) of a float weight in one buffer (one shard unless the weight exceeds the binding limit). */
export interface FloatShard {
  n0: number;
  n: number;
  buf: GPUBuffer;
}

/** How the f32 matmul reads a float weight of `type`: F16 and BF16 stay 16-bit. */
const B_TYPES: Record<string, MatmulBType> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };

/** Where the weights come from: a whole parsed file or a lazy reader (openGguf). */
export interface TensorSource {
  tensors: readonly GgufTensorInfo[] | readonly GgufTensor[];
  tensor(name: string): Promise<GgufTensor>;
}

/** Decodes F32 / F16 / BF16 bytes to f32. */
export function floatValues(t: { name: string; type: string; data: Uint8Array }, count: number): Float32Array {
  const { data } = t;
  const bytes = t.type === 'F32' ? 4 : 2;
  if (data.length !== count * bytes) throw new ModelConfigError(`tensor '${t.name}' (${t.type}): ${data.length} bytes, its shape needs ${count * bytes}`);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = t.type === 'F32' ? dv.getFloat32(4 * i, true) : t.type === 'F16' ? f16BitsToF32(dv.getUint16(2 * i, true)) : bf16BitsToF32(dv.getUint16(2 * i, true));
  }
  return out;
}

function isBlock(type: string): type is GgufBlockType {
  return (BLOCK_TYPES as string[]).includes(type);
}

/** Bytes a weight [N, K] of `type` takes on the GPU in nibble's layout (codes, scales, zeros: upper bound). */
export function gpuWeightBytes(type: string, N: number, K: number): number {
  if (type === 'F16' || type === 'BF16') return 4 * Math.ceil((N * K) / 2);
  if (!isBlock(type)) return 4 * N * K;
  // (the type's codes and groups as the import lays them out: ggufScheme)
  const { bits, group } = ggufScheme(type);
  return N * (Math.ceil((K * bits) / 32) * 4 + Math.ceil(K / group) * 8);
}

/** Checks a weight's type before any upload; the error names the tensor and the types that run. */
export function checkWeightType(name: string, type: string): void {
  if (!LM_WEIGHT_TYPES.includes(type)) {
    throw new ModelConfigError(`tensor '${name}' has type ${type}, which nibble's matmuls do not run (supported: ${LM_WEIGHT_TYPES.join(', ')})`);
  }
}

/** The largest buffer one weight shard may take: the binding limit (and the buffer limit). */
const shardLimit = (ctx: GpuContext) => Math.min(ctx.limits.maxBufferSize, ctx.limits.maxStorageBufferBindingSize);

/** Rows per shard of a float weight [N, K]: all of them where it fits one buffer, else as many as fit. */
export function floatShardRows(ctx: GpuContext, type: string, N: number, K: number): number {
  const limit = shardLimit(ctx);
  if (gpuWeightBytes(type, N, K) <= limit) return N;
  const rowBytes = (type === 'F32' ? 4 : 2) * K;
  return Math.floor((limit - 4) / rowBytes); // - 4: a 16-bit shard of an odd count is padded to a whole word
}

/**
 * A float weight (f32, or 16-bit for F16 / BF16) over the binding limit is split into shards of whole rows along N;
 * refused (before any upload) only where one row exceeds the limit. Block weights split in uploadQuantizedShards.
 */
export function checkWeightFits(ctx: GpuContext, name: string, type: string, N: number, K: number): void {
  if (isBlock(type)) return;
  if (floatShardRows(ctx, type, N, K) < 1) {
    throw new ModelConfigError(`tensor '${name}' (${type} [${N}, ${K}]): one row takes ${formatBytes((type === 'F32' ? 4 : 2) * K)}, over the adapter's binding limit of ${formatBytes(shardLimit(ctx))}`);
  }
}

/** Uploads a weight [N, K] in its GGUF form. */
export async function uploadWeight(ctx: GpuContext, src: TensorSource, name: string, N: number, K: number): Promise<LmWeight> {
  const t = await src.tensor(name);
  checkWeightType(name, t.type);
  if (isBlock(t.type)) {
    const expect = ggufBytes(t.type, N, K);
    if (t.data.length !== expect) throw new ModelConfigError(`tensor '${name}' (${t.type} [${N}, ${K}]): ${t.data.length} bytes at file offset ${t.fileOffset}, expected ${expect}`);
    let q;
    try {
      q = importGguf(t.type, t.data, N, K, name);
    } catch (e) {
      // importGguf names the byte within the tensor; say where the tensor starts in the file too.
      throw new ModelConfigError(`${(e as Error).message} (the tensor's data starts at file offset ${t.fileOffset})`);
    }
    const shards = uploadQuantizedShards(ctx, q, name);
    const bytes = shards.reduce((s, g) => s + g.codes.size + g.scales.size + (g.zeros?.size ?? 0) + (g.supers?.size ?? 0), 0);
    return { kind: 'quant', name, N, K, type: t.type, w: shards.length === 1 ? matmulWeights(shards[0], name) : matmulWeights(shards, name), shards, bytes };
  }
  checkWeightFits(ctx, name, t.type, N, K);
  const bType = B_TYPES[t.type];
  // F32 decoded (checked) to f32; F16 / BF16 the file's 16-bit values as they are: two per u32 word, low half first
  // (GGUF is little-endian).
  const values = bType === 'f32' ? floatValues(t, N * K) : t.data;
  if (bType !== 'f32' && t.data.length !== 2 * N * K) throw new ModelConfigError(`tensor '${name}' (${t.type} [${N}, ${K}]): ${t.data.length} bytes, its shape needs ${2 * N * K}`);
  const rows = floatShardRows(ctx, t.type, N, K);
  const shards: FloatShard[] = [];
  try {
    for (let n0 = 0; n0 < N; n0 += rows) {
      const n = Math.min(rows, N - n0);
      const e = bType === 'f32' ? 1 : 2; // elements of `values` per weight: f32 values, or bytes
      shards.push({ n0, n, buf: ctx.createBuffer(values.subarray(e * n0 * K, e * (n0 + n) * K), undefined, rows < N ? `${name} [${n0}, ${n0 + n})` : name) });
    }
  } catch (e) {
    shards.forEach((s) => s.buf.destroy());
    throw e;
  }
  return { kind: 'float', name, N, K, type: t.type, bType, shards, bytes: shards.reduce((a, s) => a + s.buf.size, 0) };
}

/**
 * A stack of experts [E, N, K] (a MoE layer's ffn_{gate,up,down}_exps) as E weights [N, K], each named
 * expertWeight(name, e): expert e's rows are the tensor's e-th slice of bytes in any type (GGUF blocks never cross a row).
 */
export async function uploadExperts(ctx: GpuContext, src: TensorSource, name: string, shape: readonly number[]): Promise<[string, LmWeight][]> {
  const t = await src.tensor(name);
  const [E, N, K] = shape;
  const bytes = t.data.length / E;
  if (!Number.isInteger(bytes)) throw new ModelConfigError(`tensor '${name}' (${t.type} [${shape.join(', ')}]): ${t.data.length} bytes at file offset ${t.fileOffset} do not split into ${E} experts`);
  const out: [string, LmWeight][] = [];
  for (let e = 0; e < E; e++) {
    const part = { ...t, name: expertWeight(name, e), shape: [N, K], data: t.data.subarray(e * bytes, (e + 1) * bytes), fileOffset: t.fileOffset + e * bytes };
    out.push([part.name, await uploadWeight(ctx, { tensors: [], tensor: async () => part }, part.name, N, K)]);
  }
  return out;
}

/** A vector tensor (norm weights, biases) as an f32 buffer. */
export async function uploadVector(ctx: GpuContext, src: TensorSource, name: string, n: number): Promise<GPUBuffer> {
  const t = await src.tensor(name);
  if (!(FLOAT_TYPES as readonly string[]).includes(t.type)) throw new ModelConfigError(`tensor '${name}' has type ${t.type}; a vector must be F32, F16 or BF16`);
  return ctx.createBuffer(floatValues(t, n), undefined, name);
}

export function destroyWeight(w: LmWeight): void {
  if (w.kind === 'quant') w.shards.forEach(destroyQuantized);
  else w.shards.forEach((s) => s.buf.destroy());
}

/** The token embedding on the CPU, in the file's encoding: rows decoded on demand. */
export class EmbeddingRows {
  constructor(
    readonly name: string,
    readonly type: GgufTensorType,
    readonly data: Uint8Array,
    readonly vocab: number,
    readonly dim: number,
  ) {
    checkWeightType(name, type);
  }

  /** f32 [ids.length, dim]; an id outside the vocabulary is an error naming it. */
  rows(ids: readonly number[], out?: Float32Array): Float32Array {
    for (const [i, id] of ids.entries()) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocab) throw new RangeError(`token id ${id} at position ${i} is outside the vocabulary [0, ${this.vocab})`);
    }
    const o = out ?? new Float32Array(ids.length * this.dim);
    if (isBlock(this.type)) {
      o.set(dequantizeGgufRows(this.type, this.data, this.vocab, this.dim, ids, this.name));
      return o;
    }
    const eb = this.type === 'F32' ? 4 : 2;
    const rowBytes = eb * this.dim;
    ids.forEach((id, i) => o.set(floatValues({ name: this.name, type: this.type, data: this.data.subarray(id * rowBytes, (id + 1) * rowBytes) }, this.dim), i * this.dim));
    return o;
  }
}

/** What loading will hold on the GPU, from the header alone (weights in nibble's layouts, KV cache, scratch). */
export function estimateGpuBytes(c: LlamaConfig, infos: readonly { name: string; type: string; shape: number[] }[], ctxLen: number, chunk: number, kvType: 'f32' | 'f16' = 'f32'): { weights: number; kv: number; scratch: number; total: number } {
  let weights = 0;
  for (const t of infos) {
    if ((t.name === 'token_embd.weight' && !c.tied) || t.name === POSITION_EMBD) continue; // stays on the CPU
    const [N, K] = t.shape.length === 2 ? t.shape : [1, t.shape[0] ?? 1];
    weights += t.shape.length === 3 ? t.shape[0] * gpuWeightBytes(t.type, t.shape[1], t.shape[2]) : t.shape.length === 2 ? gpuWeightBytes(t.type, N, K) : 4 * N * K;
  }
  let rows = 0;
  for (let l = 0; l < c.layers; l++) rows += layerCacheRows(c, l, ctxLen, chunk).rows;
  // (the Mamba-2 layers keep their conv and scan states in place of KV rows)
  const sm = c.ssm;
  const ssmStates = sm ? sm.layers.filter(Boolean).length * 4 * ((sm.taps - 1) * (sm.inner + 2 * sm.groups * sm.state) + sm.inner * sm.state) : 0;
  // (and qwen35's Gated DeltaNet layers a conv state and a [vHeads, d, d] state each)
  const dn = c.deltaNet;
  const dnStates = dn ? dn.layers.filter(Boolean).length * 4 * ((dn.taps - 1) * deltaNetConvChannels(dn) + dn.vHeads * dn.state * dn.state) : 0;
  const kv = (mlaSharedKv(c) ? 1 : 2) * rows * c.kvHeads * c.headDim * (kvType === 'f16' ? 2 : 4) + ssmStates + dnStates; // (absorbed MLA: one cache)
  const act = chunk * (3 * c.dim + 2 * c.heads * c.headDim + 2 * c.kvHeads * c.headDim + 3 * c.ffn + (sm ? 5 * sm.inner + 4 * sm.groups * sm.state + sm.heads : 0) + (dn ? 2 * deltaNetConvChannels(dn) + 3 * dn.vHeads * dn.state + 2 * dn.vHeads : 0)) * 4;
  const scratch = act + chunk * c.vocab * 4 + chunk * c.heads * Math.ceil(ctxLen / 32) * (c.headDim + 2) * 4;
  return { weights, kv, scratch, total: weights + kv + scratch };
}

