// config.json values and checkpoint tensors read for the Hugging Face imports (src/nn/hf_llama.ts, hf_moe.ts, hf_lfm2.ts):
// every error names the key or the tensor.
import { numel, toF32, type Safetensors } from '../io/safetensors.js';
import { ModelConfigError } from './llama_config.js';

/**
 * The checkpoint's tensor `hf` as f32, checked for presence, shape (its stored shape as `view` reads it: LFM2's
 * squeezed conv kernels, GPT-2's transposed Conv1D) and dtype (F32, F16, BF16); errors name the tensor.
 */
export function hfTensorF32(st: Safetensors, source: string, hf: string, want: readonly number[], view: (shape: number[]) => readonly number[] = (s) => s): Float32Array {
  const t = st.tensors[hf];
  if (!t) throw new ModelConfigError(`${source}: tensor '${hf}' is missing (expected shape [${want.join(', ')}])`);
  const shape = view(t.shape);
  if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) throw new ModelConfigError(`${source}: tensor '${hf}' has shape [${t.shape.join(', ')}], expected [${want.join(', ')}]`);
  if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') throw new ModelConfigError(`${source}: tensor '${hf}' is ${t.dtype}; the import reads F32, F16 and BF16`);
  const w = toF32(t);
  if (w.length !== numel(want)) throw new ModelConfigError(`${source}: tensor '${hf}' holds ${w.length} values, expected ${numel(want)}`);
  return w;
}

/** A positive integer at key k (dflt when absent). */
export function positiveInt(j: Record<string, unknown>, source: string, k: string, dflt?: number): number {
  const v = j[k] ?? dflt;
  if (!Number.isInteger(v) || (v as number) < 1) throw new ModelConfigError(`${source}: '${k}' must be a positive integer, found ${JSON.stringify(j[k])}`);
  return v as number;
}

/** A finite positive number at key k (dflt when absent). */
export function positiveNumber(j: Record<string, unknown>, source: string, k: string, dflt: number): number {
  const v = j[k] ?? dflt;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ModelConfigError(`${source}: '${k}' must be a positive number, found ${JSON.stringify(j[k])}`);
  return v;
}

/** layer_types of a model whose every p-th layer is full_attention and the others sliding_attention. */
export const periodLayerTypes = (layers: number, p: number): string[] => Array.from({ length: layers }, (_, l) => (l % p < p - 1 ? 'sliding_attention' : 'full_attention'));

/**
 * hidden_size / num_attention_heads (which must divide), and the dims of each head RoPE turns, int(partial_rotary_factor
 * (default dflt) x head dim), which must be even and at least 2 (StableLM's and Phi's configs).
 */
export function headDimsPartialRotary(j: Record<string, unknown>, source: string, dim: number, heads: number, dflt: number): { headDim: number; ropeDims: number } {
  if (dim % heads !== 0) throw new ModelConfigError(`${source}: 'hidden_size' ${dim} is not a multiple of 'num_attention_heads' ${heads}`);
  const headDim = dim / heads;
  const f = j.partial_rotary_factor ?? dflt;
  const ropeDims = typeof f === 'number' ? Math.floor(f * headDim) : NaN;
  if (!(typeof f === 'number' && f > 0 && f <= 1 && ropeDims >= 2 && ropeDims % 2 === 0)) throw new ModelConfigError(`${source}: partial_rotary_factor ${JSON.stringify(f)} must be in (0, 1] and rotate an even number of head dims (found ${ropeDims})`);
  return { headDim, ropeDims };
}

/**
 * transformers 5 writes a model's RoPE as one `rope_parameters` object (rope_theta, rope_type, the scaling's keys and
 * partial_rotary_factor) instead of rope_theta, rope_scaling and a top-level partial_rotary_factor: read back into
 * those. (The Gemmas' per-layer-type form is refused where they are read.)
 */
export function ropeParametersAsV4(j: Record<string, unknown>, source: string): Record<string, unknown> {
  const rp = j.rope_parameters;
  if (rp === undefined || rp === null) return j;
  if (typeof rp !== 'object' || Array.isArray(rp)) throw new ModelConfigError(`${source}: rope_parameters ${JSON.stringify(rp)} is not an object`);
  if (j.rope_theta !== undefined || (j.rope_scaling !== undefined && j.rope_scaling !== null)) throw new ModelConfigError(`${source}: both rope_parameters and rope_theta / rope_scaling are given`);
  const { rope_theta, partial_rotary_factor, ...rest } = rp as Record<string, unknown>;
  if (partial_rotary_factor !== undefined && j.partial_rotary_factor !== undefined) throw new ModelConfigError(`${source}: partial_rotary_factor is given both in rope_parameters and at the top level`);
  const kind = rest.rope_type ?? rest.type;
  return { ...j, ...(rope_theta !== undefined ? { rope_theta } : {}), ...(partial_rotary_factor !== undefined ? { partial_rotary_factor } : {}), rope_scaling: kind === undefined || kind === 'default' ? null : rest };
}
