// Multi-head latent attention (MLA): the attention of GGUF architecture `deepseek2` (DeepSeek-V2-Lite, Moonlight,
// GLM-4.7-Flash, DeepSeek-V2, V2.5, V3 and R1 with their expert groups, Kimi K2, ...), as llama.cpp runs it from the files its
// converter writes with the projections split for absorption (attention.key_length_mla / value_length_mla, attn_k_b /
// attn_v_b). H heads; per head `nope` + `rope` query dims, `v` output dims; keys and values compressed to kvLora:
//   q     = attn_q h, or attn_q_b rmsnorm(attn_q_a h, attn_q_a_norm) (qLora > 0)   [T, H (nope + rope)]  a head: q_nope | q_pe
//   ckv   = attn_kv_a_mqa h                                                        [T, kvLora + rope]    c | k_pe
//   c     = rmsnorm(c, attn_kv_a_norm); q_pe and k_pe rotated (NORM pairs, `rope` dims)
//   Q_h   = attn_k_b[h] q_nope_h | q_pe_h       [kvLora + rope]   (the key's up-projection absorbed into the query)
//   K = V = c | k_pe                            one KV head of kvLora + rope (MQA; V's rope columns unused; one cache)
//   o_h   = attn_v_b[h] (softmax(kqScale Q_h K^T) V)[:kvLora]                     [v]
//   out   = attn_output (o_0 | ... | o_{H-1})
// attn_k_b is [H, kvLora, nope] and attn_v_b [H, v, kvLora] (a matrix a head, as a stack of experts is one an
// expert). The config's heads are H, kvHeads 1, headDim kvLora + rope (the file's attention.key_length) and ropeDims
// `rope`. The score scale is mscale^2 / sqrt(nope + rope): with YaRN, mscale = (1 + 0.1 m ln f) times (1 + 0.1 ln f)
// where the file has no yarn_log_multiplier (m: that key / 0.1, Hugging Face's mscale_all_dim), and the rotation's
// magnitude 1 with the key, 1 + 0.1 ln f without it (llama.cpp's deepseek2 graph and llama_context).
// MiniCPM 3 (`minicpm3`, kvB) keeps the decompressing attn_kv_b [H (nope + v), kvLora] whole, as llama.cpp runs it:
//   k_h = (attn_kv_b c)_h[:nope] | k_pe,  v_h = (attn_kv_b c)_h[nope:],  Q_h = q_nope_h | q_pe_h   (H KV heads of nope + rope)
// with each v_h padded to nope + rope for the attention kernel (the padding's output columns dropped), score scale
// 1 / sqrt(nope + rope), NEOX pairs, LongRoPE's factors (phi3's rope_factors_long / _short).
import type { GgufValue } from '../io/gguf.js';
import { type Keys, ModelConfigError } from './gguf_keys.js';
import type { LlamaConfig } from './llama_config.js';

export interface MlaConfig {
  /** attention.q_lora_rank: q through attn_q_a and attn_q_b (0: attn_q directly, as the Lite models). */
  qLora: number;
  /** attention.kv_lora_rank: the compressed key / value width. */
  kvLora: number;
  /** Query and key dims a head without RoPE (key_length_mla - rope.dimension_count). */
  nope: number;
  /** Output dims a head (value_length_mla). */
  v: number;
  /** YaRN's rope.scaling.yarn_log_multiplier / 0.1 (Hugging Face's mscale_all_dim); absent or 0: none. */
  logMul?: number;
  /**
   * minicpm3: keys and values decompressed by one attn_kv_b [heads (nope + v), kvLora] (not absorbed): heads of nope +
   * rope over as many KV heads, k_pe shared by all, each head's values padded to that width and sliced back after.
   */
  kvB?: true;
}

/**
 * The MLA of a deepseek2 file (llama_config.ts has read heads, key_length, value_length, head_count_kv and the rope dims).
 * Refused by key: a legacy file (un-split attn_kv_b, no key_length_mla), attention temperature (Mistral Large 3), linear
 * rope scaling and rope.scaling.attn_factor, whose deepseek2 scales nibble does not follow.
 */
export function mlaFromGguf(metadata: Record<string, GgufValue>, k: Keys, a: string, o: { layers: number; heads: number; kvHeads: number; headDim: number; vDim: number; ropeDims: number; vocab: number; ropeScale: number }): MlaConfig {
  if (!(`${a}.attention.key_length_mla` in metadata)) throw new ModelConfigError(`model config: metadata '${a}.attention.key_length_mla' is missing: a legacy deepseek2 file (one attn_kv_b a layer, converted before llama.cpp's MLA) is not supported; convert the model again`);
  const keyMla = k.int(`${a}.attention.key_length_mla`, undefined, 1);
  const v = k.int(`${a}.attention.value_length_mla`, undefined, 1);
  const kvLora = k.int(`${a}.attention.kv_lora_rank`, undefined, 1);
  const nope = keyMla - o.ropeDims;
  if (nope < 1) throw new ModelConfigError(`model config: '${a}.attention.key_length_mla' ${keyMla} must exceed '${a}.rope.dimension_count' ${o.ropeDims}`);
  if (o.kvHeads !== 1) throw new ModelConfigError(`model config: '${a}.attention.head_count_kv' is ${o.kvHeads}; MLA runs as one KV head (1)`);
  if (o.headDim !== kvLora + o.ropeDims) throw new ModelConfigError(`model config: '${a}.attention.key_length' ${o.headDim} must be kv_lora_rank + rope dims (${kvLora} + ${o.ropeDims})`);
  if (o.vDim !== kvLora) throw new ModelConfigError(`model config: '${a}.attention.value_length' ${o.vDim} must be kv_lora_rank ${kvLora}`);
  const temp = k.float(`${a}.attention.temperature_scale`, 0, true);
  if (temp !== 0) throw new ModelConfigError(`model config: metadata '${a}.attention.temperature_scale' is ${temp}: deepseek2's attention temperature (Mistral Large 3) is not supported`);
  if (o.ropeScale !== 1) throw new ModelConfigError(`model config: linear rope scaling (factor ${1 / o.ropeScale}) of a deepseek2 model is not supported (YaRN is)`);
  const attnFactor = k.float(`${a}.rope.scaling.attn_factor`, 1);
  if (attnFactor !== 1) throw new ModelConfigError(`model config: metadata '${a}.rope.scaling.attn_factor' is ${attnFactor}: not supported for deepseek2 (its YaRN scales come from the factor and yarn_log_multiplier)`);
  // llama.cpp's deepseek2 loader: the Lite models (27 or 26 layers, or 48 with a vocabulary of 128256) have no q_lora_rank
  const lite = o.layers === 27 || o.layers === 26 || (o.layers === 48 && o.vocab === 128256);
  const qLora = lite ? 0 : k.int(`${a}.attention.q_lora_rank`, undefined, 0);
  const logMul = k.float(`${a}.rope.scaling.yarn_log_multiplier`, 0, true) / 0.1;
  return { qLora, kvLora, nope, v, ...(logMul ? { logMul } : {}) };
}

/**
 * MiniCPM 3's MLA (GGUF `minicpm3`): q_lora_rank and kv_lora_rank required, key_length nope + rope, value_length v
 * (at most key_length), a KV head a head. Refused by key: YaRN and linear rope scaling (its rope scales by LongRoPE's
 * factors alone).
 */
export function minicpm3MlaFromGguf(metadata: Record<string, GgufValue>, k: Keys, a: string, o: { heads: number; kvHeads: number; headDim: number; vDim: number; ropeDims: number }): MlaConfig {
  const qLora = k.int(`${a}.attention.q_lora_rank`);
  const kvLora = k.int(`${a}.attention.kv_lora_rank`);
  const nope = o.headDim - o.ropeDims;
  if (nope < 1) throw new ModelConfigError(`model config: '${a}.attention.key_length' ${o.headDim} must exceed '${a}.rope.dimension_count' ${o.ropeDims}`);
  if (o.vDim > o.headDim) throw new ModelConfigError(`model config: '${a}.attention.value_length' ${o.vDim} above '${a}.attention.key_length' ${o.headDim} is not supported`);
  if (o.kvHeads !== o.heads) throw new ModelConfigError(`model config: '${a}.attention.head_count_kv' ${o.kvHeads} differs from '${a}.attention.head_count' ${o.heads}: llama.cpp's minicpm3 makes a key a head`);
  const type = metadata[`${a}.rope.scaling.type`];
  if (type && type.value !== 'none') throw new ModelConfigError(`model config: metadata '${a}.rope.scaling.type' is '${String(type.value)}': minicpm3 with rope scaling other than LongRoPE's factors is not supported`);
  return { qLora, kvLora, nope, v: o.vDim, kvB: true };
}

/** The GGUF keys of an MLA config (the writer's): the ranks, both head sizes, and YaRN's log multiplier as stored (times 0.1). */
export function mlaKeys(a: string, m: MlaConfig, ropeDims: number, u32: (n: number) => GgufValue, f32: (n: number) => GgufValue): Record<string, GgufValue> {
  if (m.kvB) return { [`${a}.attention.q_lora_rank`]: u32(m.qLora), [`${a}.attention.kv_lora_rank`]: u32(m.kvLora), [`${a}.attention.value_length`]: u32(m.v) }; // (minicpm3's)
  return {
    [`${a}.attention.q_lora_rank`]: u32(m.qLora),
    [`${a}.attention.kv_lora_rank`]: u32(m.kvLora),
    [`${a}.attention.key_length_mla`]: u32(m.nope + ropeDims),
    [`${a}.attention.value_length_mla`]: u32(m.v),
    [`${a}.attention.value_length`]: u32(m.kvLora),
    ...(m.logMul ? { [`${a}.rope.scaling.yarn_log_multiplier`]: f32(0.1 * m.logMul) } : {}),
  };
}

/** The attention tensors of layer `p` (a 'blk.N.' prefix) of an MLA model, shapes outermost first. */
export function mlaTensorNames(c: LlamaConfig, p: string): { name: string; shape: number[] }[] {
  const m = c.mla!;
  const H = c.heads;
  const r = c.ropeDims;
  const q = m.qLora > 0 ? [{ name: `${p}attn_q_a_norm.weight`, shape: [m.qLora] }, { name: `${p}attn_q_a.weight`, shape: [m.qLora, c.dim] }, { name: `${p}attn_q_b.weight`, shape: [H * (m.nope + r), m.qLora] }] : [{ name: `${p}attn_q.weight`, shape: [H * (m.nope + r), c.dim] }];
  return [
    ...q,
    { name: `${p}attn_kv_a_norm.weight`, shape: [m.kvLora] },
    { name: `${p}attn_kv_a_mqa.weight`, shape: [m.kvLora + r, c.dim] },
    ...(m.kvB ? [{ name: `${p}attn_kv_b.weight`, shape: [H * (m.nope + m.v), m.kvLora] }] : [{ name: `${p}attn_k_b.weight`, shape: [H, m.kvLora, m.nope] }, { name: `${p}attn_v_b.weight`, shape: [H, m.v, m.kvLora] }]),
    { name: `${p}attn_output.weight`, shape: [c.dim, H * m.v] },
  ];
}

/** YaRN's factor f where the model has YaRN, else 1 (ln f = 0: no scaling). */
const yarnFactor = (c: LlamaConfig) => c.yarn?.factor ?? 1;

/** MLA's score scale, mscale^2 / sqrt(nope + rope) (see the header). */
export function mlaScoreScale(c: LlamaConfig): number {
  const m = c.mla!;
  const lnf = Math.log(yarnFactor(c));
  const mscale = (m.logMul ? 1 : 1 + 0.1 * lnf) * (1 + 0.1 * (m.logMul ?? 0) * lnf);
  return Math.fround((mscale * mscale) / Math.sqrt(m.nope + c.ropeDims));
}

/** deepseek2's absorbed MLA: the values are the keys' rows (c of c | k_pe), so one KV cache a layer serves both. */
export const mlaSharedKv = (c: LlamaConfig): boolean => !!c.mla && !c.mla.kvB;

/** Whether the model's rotation keeps magnitude 1 under YaRN (an MLA file with a yarn_log_multiplier). */
export const mlaUnitRope = (c: LlamaConfig): boolean => !!c.mla?.logMul;

/** The vocabulary size as llama.cpp's deepseek2 loader takes it for its model checks: vocab_size, else the token list's length (0: neither). */
export function mlaVocab(metadata: Record<string, GgufValue>, a: string): number {
  const v = metadata[`${a}.vocab_size`];
  if (v && typeof v.value === 'number') return v.value;
  const t = metadata['tokenizer.ggml.tokens'];
  return t?.type === 'array' ? t.value.length : 0;
}
