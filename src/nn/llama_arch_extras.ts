// What each architecture sets beyond the shared hyperparameters, as llama.cpp sets it up (llama_config.ts re-exports
// it): the sliding-window layouts (the Gemmas, OLMo 3, EXAONE 4.0 32B, Command R7B, gpt-oss), soft-caps, NoPE steps,
// the always-tied heads and the multipliers; llama4's checks and limit, qwen's halved FFN width.
import type { GgufValue } from '../io/gguf.js';
import type { LlamaArch, LlamaConfig } from './llama_config.js';
import { describe, ModelConfigError, type Keys } from './gguf_keys.js';

/** smollm3's NoPE step, fixed by llama.cpp (no GGUF key): layers 3, 7, 11, ... apply no RoPE. */
export const SMOLLM3_NO_ROPE_STEP = 4;

/** llama4: every fourth layer applies no RoPE (llama.cpp's n_no_rope_layer_step, fixed), as its global layers. */
export const LLAMA4_NO_ROPE_STEP = 4;

/** gemma2: every other layer slides (the even ones), a window of 4096 and soft-caps of 50 / 30 unless the file says. */
export const GEMMA2_DEFAULTS = { pattern: 2, window: 4096, attnSoftcap: 50, finalSoftcap: 30 } as const;

/** EXAONE 4.0 32B: the layer count at which llama.cpp's exaone4 slides, its pattern and default window. */
export const EXAONE4_SWA_LAYERS = 64;
export const EXAONE4_SWA_PATTERN = 4;
export const EXAONE4_SWA_WINDOW = 4096;

/** cohere2: llama.cpp's sliding-window pattern (fixed, no key read): layers l % 4 < 3 slide. */
export const COHERE2_SWA_PATTERN = 4;

/** OLMo 3 (olmo2 with attention.sliding_window): llama.cpp's default sliding_window_pattern, every fourth layer global. */
export const OLMO3_SWA_PATTERN = 4;

/** gpt-oss: llama.cpp's default sliding_window_pattern, the even layers sliding. */
export const GPT_OSS_SWA_PATTERN = 2;
/**
 * smallthinker with a sliding window (attention.sliding_window > 0, whatever its value): llama.cpp slides 4096
 * positions, the first layer of every `pattern` (sliding_window_pattern, default 4) global; and its NoPE step stays at
 * its default of 4, the first layer of every 4 rotating nothing (the global ones, at the default pattern).
 */
export const SMALLTHINKER_SWA = { window: 4096, pattern: 4, noRopeStep: 4 } as const;

/**
 * mellum's sliding layers (JetBrains' Mellum, where attention.sliding_window > 0): sliding_window_pattern as one bool a
 * layer, true where the layer slides (as its converter writes it), or a period whose last layer is global; required,
 * as llama.cpp's loader reads it.
 */
export function mellumSwaLayers(metadata: Record<string, GgufValue>, k: Keys, a: string, layers: number): boolean[] {
  const key = `${a}.attention.sliding_window_pattern`;
  const v = metadata[key];
  if (v?.type !== 'array') {
    const p = k.int(key, undefined, 1);
    return Array.from({ length: layers }, (_, l) => l % p < p - 1);
  }
  const bad = v.value.findIndex((x) => x.type !== 'bool');
  if (v.value.length !== layers || bad >= 0) throw new ModelConfigError(`model config: metadata '${key}' must be ${layers} bools (one a layer) or a period, found ${v.value.length} entries${bad >= 0 ? `, [${bad}] ${describe(v.value[bad])}` : ''}`);
  return v.value.map((x) => x.value === true);
}

/** gemma3 sliding-window layers: every layer but each `pattern`-th (llama.cpp's set_swa_pattern). */
export const GEMMA3_SWA_PATTERN = 6;
/** The rope base of gemma3's sliding-window layers (fixed by llama.cpp, not read from the file). */
export const GEMMA3_SWA_ROPE_BASE = 10000;

/**
 * What an architecture sets beyond the shared hyperparameters, as llama.cpp sets it up (the one place the GGUF
 * reader, llamaConfig and the synthetic files take it from): the Gemmas' sliding windows (gemma3: every sixth layer
 * global, the others with rope base 10000 unscaled; gemma2: every other layer, the file's rope; OLMo 3: 3 of 4 layers
 * rotating plainly; EXAONE 4.0 32B at 64 layers: 3 of 4, the global ones without RoPE), gemma2's soft-caps and
 * always-tied head, smollm3's NoPE step. `window`, `pattern` and `softcap` are the values resolved by the caller.
 */
export function archExtras(a: LlamaArch, o: { window: number; pattern?: number; swaLayers?: readonly boolean[]; layers?: number; ropeBase: number; swaRopeBase?: number; ropeScale: number; softcap?: { attn: number; final: number }; multipliers?: LlamaConfig['multipliers']; rope?: boolean; logitMul?: number }): Pick<LlamaConfig, 'swa' | 'softcap' | 'noRopeStep' | 'noRopeFirst' | 'multipliers' | 'logitMul'> & { tied?: true } {
  if (a === 'gemma3') return { swa: { window: o.window, pattern: GEMMA3_SWA_PATTERN, ropeBase: GEMMA3_SWA_ROPE_BASE, ropeScale: 1 } };
  const logit = o.logitMul !== undefined && o.logitMul !== 1 ? { logitMul: o.logitMul } : {};
  if (a === 'gpt2' || a === 'starcoder') return { noRopeStep: 1 }; // learned positions, no RoPE
  if (a === 'nemotron_h' || a === 'mamba2') return { noRopeStep: 1 }; // llama.cpp's rope type NONE: its attention layers rotate nothing
  // Cohere's head is always the embedding (llama.cpp's command-r and cohere2 refuse an output.weight).
  if (a === 'command-r') return { tied: true, ...logit };
  // cohere2 (Command R7B): 3 of every 4 layers slide and rotate, the fourth is global without RoPE (EXAONE 4.0 32B's layout).
  if (a === 'cohere2') return { swa: { window: o.window, pattern: COHERE2_SWA_PATTERN, ropeBase: o.ropeBase, ropeScale: o.ropeScale }, noRopeStep: COHERE2_SWA_PATTERN, tied: true, ...logit };
  if (a === 'gemma2') {
    const G = GEMMA2_DEFAULTS;
    return { swa: { window: o.window, pattern: G.pattern, ropeBase: o.ropeBase, ropeScale: o.ropeScale }, softcap: o.softcap ?? { attn: G.attnSoftcap, final: G.finalSoftcap }, tied: true };
  }
  if (a === 'gemma') return { tied: true }; // llama.cpp's gemma always reads the head from the embedding
  // gpt-oss: every other layer slides (the even ones; sliding_window_pattern, default 2), with the model's rope
  // scaling (YaRN) and its base unless rope.freq_base_swa says otherwise.
  if (a === 'gpt-oss') return { swa: { window: o.window, pattern: o.pattern ?? GPT_OSS_SWA_PATTERN, ropeBase: o.swaRopeBase ?? o.ropeBase, ropeScale: o.ropeScale } };
  if (a === 'smollm3') return { noRopeStep: SMOLLM3_NO_ROPE_STEP };
  if (a === 'llama4') return { noRopeStep: LLAMA4_NO_ROPE_STEP };
  // mellum: its sliding layers (swaLayers) rotate plainly, at the model's base without its scaling or YaRN
  if (a === 'mellum' && o.window > 0) return { swa: { window: o.window, pattern: 0, ropeBase: o.ropeBase, ropeScale: 1, plainRope: true, layers: [...(o.swaLayers ?? [])] } };
  if (a === 'smallthinker' && o.window > 0) return { swa: { window: SMALLTHINKER_SWA.window, pattern: o.pattern ?? SMALLTHINKER_SWA.pattern, ropeBase: o.swaRopeBase ?? o.ropeBase, ropeScale: o.ropeScale, denseFirst: true }, noRopeStep: SMALLTHINKER_SWA.noRopeStep, noRopeFirst: true };
  // exaone4 at 64 layers (EXAONE 4.0 32B), as llama.cpp sets it up by that count: 3 of every 4 layers slide (window
  // 4096 unless the file says), and the global ones apply no RoPE.
  if (a === 'exaone4' && o.layers === EXAONE4_SWA_LAYERS) return { swa: { window: o.window, pattern: EXAONE4_SWA_PATTERN, ropeBase: o.ropeBase, ropeScale: o.ropeScale }, noRopeStep: EXAONE4_SWA_PATTERN };
  // olmo2 with a sliding window (OLMo 3): 3 of every 4 layers slide (sliding_window_pattern), rotating plainly.
  if (a === 'olmo2' && o.window > 0) return { swa: { window: o.window, pattern: o.pattern ?? OLMO3_SWA_PATTERN, ropeBase: o.ropeBase, ropeScale: 1, plainRope: true } };
  if (a === 'granite' || a === 'granitemoe' || a === 'granitehybrid' || a === 'minicpm' || a === 'minicpm3') {
    if (!o.multipliers) throw new ModelConfigError(`llama config: a ${a} model needs its multipliers (logit_scale at least)`);
    return { multipliers: o.multipliers, ...(o.rope === false ? { noRopeStep: 1 } : {}) };
  }
  return {};
}

/** command-r: from this many layers on llama.cpp's graph reads per-head q / k LayerNorms (Command R+ has 64); below, a file with them is refused. */
export const COMMAND_R_PLUS_LAYERS = 64;

/** llama4's attention as llama.cpp fixes it: chunks of 8192 positions on 3 of every 4 layers (attention.sliding_window_pattern), the NoPE layers' temperature 0.1 with a floor of 8192 and an offset of 1. */
export const LLAMA4_ATTENTION = { chunk: 8192, pattern: 4, tempScale: 0.1, tempFloor: 8192, tempOffset: 1 } as const;

/** llama4's chunked layers (every `pattern`-th layer not) and NoPE temperature, as llama.cpp's chunked setup fixes them. */
export function llama4Attention(pattern: number = LLAMA4_ATTENTION.pattern): Pick<LlamaConfig, 'attnChunk' | 'nopeTemp'> {
  const L = LLAMA4_ATTENTION;
  return { attnChunk: { size: L.chunk, pattern }, nopeTemp: { scale: L.tempScale, floor: L.tempFloor, offset: L.tempOffset } };
}

/** llama4's attention.sliding_window_pattern (a period, default 4; llama.cpp's list form is refused). */
export function llama4Pattern(metadata: Record<string, GgufValue>, k: Keys, a: LlamaArch): number {
  const key = `${a}.attention.sliding_window_pattern`;
  if (metadata[key]?.type === 'array') throw new ModelConfigError(`model config: metadata '${key}' is an array: llama4's chunked layers by a list are not supported (a period is)`);
  return k.int(key, LLAMA4_ATTENTION.pattern, 2);
}

/**
 * llama4's keys llama.cpp reads and nibble refuses: attention.sliding_window 0 (llama.cpp's graph then asserts on its
 * attention temperature), rope.freq_base_swa other than rope.freq_base, and a rotation narrower than the head.
 */
export function llama4Checks(metadata: Record<string, GgufValue>, k: Keys, a: LlamaArch, o: { ropeBase: number; ropeDims: number; headDim: number }): void {
  if (`${a}.attention.sliding_window` in metadata && k.int(`${a}.attention.sliding_window`, 0, 0) === 0) throw new ModelConfigError(`model config: metadata '${a}.attention.sliding_window' is 0: llama.cpp's llama4 without chunked attention is not supported`);
  const swaBase = k.float(`${a}.rope.freq_base_swa`, o.ropeBase);
  if (swaBase !== o.ropeBase) throw new ModelConfigError(`model config: metadata '${a}.rope.freq_base_swa' ${swaBase} differs from '${a}.rope.freq_base' ${o.ropeBase}: not supported for llama4`);
  if (o.ropeDims !== o.headDim) throw new ModelConfigError(`model config: '${a}.rope.dimension_count' ${o.ropeDims} differs from the head dim ${o.headDim} (llama.cpp's llama4 rotates whole heads)`);
}

/** qwen's FFN width: half its feed_forward_length (even: llama.cpp's tensors are n_ff / 2 wide). */
export function qwenHalfFfn(k: Keys, a: LlamaArch): number {
  const f = k.int(`${a}.feed_forward_length`);
  if (f % 2 !== 0) throw new ModelConfigError(`model config: metadata '${a}.feed_forward_length' ${f} must be even (llama.cpp's qwen sizes its FFN by half of it)`);
  return f / 2;
}
