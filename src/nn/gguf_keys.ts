// Metadata keys of a GGUF file read with llama.cpp's defaults (src/nn/llama_config.ts): every error names the key.
import type { GgufValue } from '../io/gguf.js';

/** A model's hyperparameters or tensors are missing, malformed or not supported: the message names the key or tensor. */
export class ModelConfigError extends Error {}

export function isInt(v: GgufValue): boolean {
  return v.type === 'u8' || v.type === 'i8' || v.type === 'u16' || v.type === 'i16' || v.type === 'u32' || v.type === 'i32' || v.type === 'u64' || v.type === 'i64';
}

export function describe(v: GgufValue): string {
  return v.type === 'array' ? `an array of ${v.value.length} ${v.itemType}` : `${v.type} ${String(v.value)}`;
}

/** Reads metadata keys with llama.cpp's defaults; every error names the key. */
export class Keys {
  constructor(private readonly m: Record<string, GgufValue>) {}
  /** A positive integer (`min` and up); `def` when the key is absent (undefined: the key is required). */
  int(key: string, def?: number, min = 1): number {
    const v = this.m[key];
    if (v === undefined) {
      if (def === undefined) throw new ModelConfigError(`model config: metadata key '${key}' is missing (required)`);
      return def;
    }
    const n = isInt(v) ? Number(v.value) : NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new ModelConfigError(`model config: metadata '${key}' must be an integer >= ${min}, found ${describe(v)}`);
    return n;
  }
  /** A finite positive float (f32 or f64; integers accepted); `zero`: 0 allowed too. */
  float(key: string, def?: number, zero = false): number {
    const v = this.m[key];
    if (v === undefined) {
      if (def === undefined) throw new ModelConfigError(`model config: metadata key '${key}' is missing (required)`);
      return def;
    }
    const n = v.type === 'f32' || v.type === 'f64' || isInt(v) ? Number(v.value) : NaN;
    if (!(Number.isFinite(n) && (n > 0 || (zero && n === 0)))) throw new ModelConfigError(`model config: metadata '${key}' must be a finite number ${zero ? '>= 0' : '> 0'}, found ${describe(v)}`);
    return n;
  }
  /** A boolean; `def` when absent. */
  bool(key: string, def: boolean): boolean {
    const v = this.m[key];
    if (v === undefined) return def;
    if (v.type !== 'bool') throw new ModelConfigError(`model config: metadata '${key}' must be a bool, found ${describe(v)}`);
    return Boolean(v.value);
  }
}
