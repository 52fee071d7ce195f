// The text decoders of Qwen's vision-language models (GGUF `qwen2vl`: Qwen2-VL and Qwen2.5-VL; `qwen3vl`: Qwen3-VL;
// `qwen3vlmoe`: Qwen3-VL-30B-A3B and larger), run on text. llama.cpp's graphs for them are qwen2's, qwen3's and
// qwen3moe's with M-RoPE (ggml_rope_multi, `<arch>.rope.dimension_sections`): each rotated pair takes its angle from
// one of the token's positions (time, height, width), chosen by section (interleaved in Qwen3-VL). A text token has
// the same position in every section (llama.cpp's batch broadcasts it; Qwen3-VL's deepstack inputs are zeros for text),
// so on text M-RoPE is the base graph's NEOX RoPE exactly: the file runs as its base architecture, and the vision
// tower (a separate mmproj file) is not read. The file's own architecture and sections are kept (LlamaConfig.mrope) so
// that what nibble writes back (a QAT export) is the same kind of file.
import { gguf, type GgufValue } from '../io/gguf.js';
import { ModelConfigError } from './gguf_keys.js';
import type { LlamaArch, LlamaConfig } from './llama_config.js';

/** The M-RoPE architectures and the architecture each one's text graph is. */
export const MROPE_BASE = { qwen2vl: 'qwen2', qwen3vl: 'qwen3', qwen3vlmoe: 'qwen3moe' } as const satisfies Record<string, LlamaArch>;
export type MropeArch = keyof typeof MROPE_BASE;

export const isMropeArch = (a: string): a is MropeArch => a in MROPE_BASE;

/**
 * A qwen2vl / qwen3vl / qwen3vlmoe file's configuration: `parse` (llamaConfigFromGguf) on the metadata with its keys
 * renamed to the base architecture's, and LlamaConfig.mrope; errors name the file's own keys.
 */
export function mropeConfigFromGguf(metadata: Record<string, GgufValue>, arch: MropeArch, parse: (m: Record<string, GgufValue>) => LlamaConfig): LlamaConfig {
  const base = MROPE_BASE[arch];
  const key = `${arch}.rope.dimension_sections`;
  const s = metadata[key];
  if (s === undefined) throw new ModelConfigError(`model config: metadata key '${key}' is missing (required: llama.cpp's ${arch} reads its M-RoPE sections)`);
  const num = (x: GgufValue) => (x.type !== 'array' && typeof x.value !== 'string' && typeof x.value !== 'boolean' ? Number(x.value) : NaN);
  const sections = s.type === 'array' ? s.value.map(num) : [num(s)];
  if (sections.length !== 4 || sections.some((v) => !Number.isSafeInteger(v) || v < 0)) throw new ModelConfigError(`model config: metadata '${key}' must be 4 integers >= 0, found ${s.type === 'array' ? `[${sections.join(', ')}]` : String(sections[0])}`);
  const ds = metadata[`${arch}.n_deepstack_layers`];
  const deepstack = ds !== undefined && (ds.type === 'u32' || ds.type === 'i32') ? Number(ds.value) : undefined;
  const renamed: Record<string, GgufValue> = {};
  for (const [k, v] of Object.entries(metadata)) renamed[k.startsWith(`${arch}.`) ? `${base}.${k.slice(arch.length + 1)}` : k] = v;
  renamed['general.architecture'] = gguf.str(base);
  let c: LlamaConfig;
  try {
    c = parse(renamed);
  } catch (e) {
    if (e instanceof ModelConfigError) throw new ModelConfigError(e.message.replaceAll(`'${base}.`, `'${arch}.`).replaceAll(`a ${base} model`, `a ${arch} model`));
    throw e;
  }
  if (c.ropeDims !== c.headDim) throw new ModelConfigError(`model config: '${arch}.rope.dimension_count' ${c.ropeDims} below the head dim ${c.headDim}: llama.cpp's ${arch} rotates whole heads`);
  return { ...c, mrope: { arch, sections, ...(deepstack !== undefined ? { deepstack } : {}) } };
}

/** `meta` (a base architecture's keys, llamaHparamMetadata) as an M-RoPE file's: its architecture, its keys renamed, its sections. */
export function mropeMetadata(c: LlamaConfig, meta: Record<string, GgufValue>): Record<string, GgufValue> {
  if (!c.mrope) return meta;
  const { arch, sections, deepstack } = c.mrope;
  const out: Record<string, GgufValue> = {};
  for (const [k, v] of Object.entries(meta)) out[k.startsWith(`${c.arch}.`) ? `${arch}.${k.slice(c.arch.length + 1)}` : k] = v;
  out['general.architecture'] = gguf.str(arch);
  out[`${arch}.rope.dimension_sections`] = gguf.array('i32', sections);
  if (deepstack !== undefined) out[`${arch}.n_deepstack_layers`] = gguf.u32(deepstack);
  return out;
}
