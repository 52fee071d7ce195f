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
