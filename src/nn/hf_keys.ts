// config.json values read for the Hugging Face imports (src/nn/hf_llama.ts, hf_lfm2.ts): every error names the key.
import { ModelConfigError } from './llama_config.js';

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
