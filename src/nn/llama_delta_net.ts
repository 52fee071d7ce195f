// Qwen3.5's layers (GGUF `qwen35`: Qwen3.5 0.8B..27B dense, as llama.cpp's src/models/qwen35.cpp runs them; `qwen35moe`
// with experts; `qwen3next`, Qwen3-Next, with each key head repeated over its value heads (kRepeat), beta and alpha
// fused in ssm_ba (llama_layout.ts) and no M-RoPE sections): three of
// every four layers (full_attention_interval, default 4: layer l is linear unless (l + 1) % 4 == 0) are Gated DeltaNet
// linear attention, the fourth gated softmax attention; every layer has a SwiGLU FFN after its post_attention_norm (the definition's ffn_norm).
// A Gated DeltaNet layer of h [T, dim] (LlamaConfig.deltaNet: Hk key heads and Hv value heads, both D wide):
//   qkv   = attn_qkv h                 [T, 2 Hk D + Hv D]: q | k | v
//   z     = attn_gate h                [T, Hv D]
//   qkv   = silu(conv(qkv))            the causal depthwise convolution of ssm.conv_kernel taps over each channel
//                                      (ssm_conv1d.weight [channels, taps], tap taps-1 the current row; no bias)
//   q, k  = l2norm(q_h), l2norm(k_h)   per head: x / max(|x|, eps), eps the model's RMS epsilon (ggml_l2_norm)
//   beta  = sigmoid(ssm_beta h)        [T, Hv]
//   g     = softplus(ssm_alpha h + ssm_dt.bias) * ssm_a      [T, Hv] (ssm_a = -exp(A_log), as the converter writes it)
//   per value head j (key head j % Hk: llama.cpp's tiling, which Qwen3.5's converter lays the heads out for), a
//   state S [D, D] carried from row to row (and step to step: the engine's), as ggml_gated_delta_net:
//     S = S exp(g);  d = (v - S^T k) beta;  S = S + k d^T;  o = S^T q / sqrt(D)
//   y     = rmsnorm(o_j) * ssm_norm * silu(z_j)              per head, ssm_norm.weight [D] shared by the heads
//   out   = ssm_out y                  [T, dim]
// The attention layers: attn_q's rows are each head's query then its gate ([2 heads headDim, dim], the halves of each
// head interleaved: llama_layout.ts splits them into attn_q and attn_q_gate), per-head q / k RMSNorms, RoPE over
// rope.dimension_count dims (NEOX; its M-RoPE sections give a text token the same position in each), and the output
// times sigmoid(gate) before attn_output. Keys (llama.cpp's): <arch>.ssm.conv_kernel, .state_size (D),
// .group_count (Hk), .time_step_rank (Hv), .inner_size (Hv D), <arch>.full_attention_interval or
// <arch>.attention.recurrent_layers (one bool a layer), <arch>.rope.dimension_sections (required).
import { describe, ModelConfigError, type Keys } from './gguf_keys.js';
import { gguf, type GgufValue } from '../io/gguf.js';
import type { LlamaConfig } from './llama_config.js';

export type DeltaNetConfig = NonNullable<LlamaConfig['deltaNet']>;

/** The largest head the scan kernel takes (Qwen3.5's is 128): its per-column state loop. */
export const DELTA_NET_MAX_HEAD = 256;

/** llama.cpp's default full_attention_interval for qwen35. */
export const QWEN35_FULL_ATTENTION_INTERVAL = 4;

/** Whether layer l is Gated DeltaNet rather than attention. */
export const isDeltaNetLayer = (c: LlamaConfig, l: number): boolean => !!c.deltaNet?.layers[l];

/** The convolution's channels: q, k and v. */
export const deltaNetConvChannels = (d: Pick<DeltaNetConfig, 'kHeads' | 'vHeads' | 'state'>): number => (2 * d.kHeads + d.vHeads) * d.state;

/** A Gated DeltaNet tensor read as a vector of constants though the file stores it 2-D (ssm_conv1d [channels, taps]). */
export const isDeltaNetVector = (name: string): boolean => name.endsWith('.ssm_conv1d.weight');

/** Which layers are linear: full_attention_interval's rule, or attention.recurrent_layers where the file lists them. */
function recurrentFlags(metadata: Record<string, GgufValue>, k: Keys, a: string, layers: number): boolean[] {
  const key = `${a}.attention.recurrent_layers`;
  const v = metadata[key];
  if (v !== undefined) {
    if (v.type !== 'array' || v.value.length !== layers || v.value.some((x) => x.type !== 'bool')) throw new ModelConfigError(`model config: metadata '${key}' must be ${layers} bools ('${a}.block_count' less its nextn layers), found ${describe(v)}`);
    return v.value.map((x) => x.value === true);
  }
  const every = k.int(`${a}.full_attention_interval`, QWEN35_FULL_ATTENTION_INTERVAL);
  return Array.from({ length: layers }, (_, l) => (l + 1) % every !== 0);
}

/** The Gated DeltaNet configuration of a qwen35, qwen35moe or qwen3next file (keys as llama.cpp's loaders read them). */
export function deltaNetFromGguf(metadata: Record<string, GgufValue>, k: Keys, a: string, layers: number, nTensors: number): DeltaNetConfig {
  // (before a flag a layer is made: a header's block_count of 2^32 would not fit in memory)
  if (layers * 8 > nTensors) throw new ModelConfigError(`model config: '${a}.block_count' ${layers} needs at least ${layers * 8} tensors (8 per layer), the file has ${nTensors}`);
  const taps = k.int(`${a}.ssm.conv_kernel`);
  const state = k.int(`${a}.ssm.state_size`);
  const kHeads = k.int(`${a}.ssm.group_count`);
  const vHeads = k.int(`${a}.ssm.time_step_rank`);
  const inner = k.int(`${a}.ssm.inner_size`);
  if (taps < 2 || taps > 8) throw new ModelConfigError(`model config: metadata '${a}.ssm.conv_kernel' is ${taps}; nibble's convolution takes 2..8`);
  if (state > DELTA_NET_MAX_HEAD) throw new ModelConfigError(`model config: metadata '${a}.ssm.state_size' is ${state}; nibble's Gated DeltaNet takes heads of at most ${DELTA_NET_MAX_HEAD}`);
  // llama.cpp sizes the value heads by state_size and reshapes its state by inner_size / time_step_rank: equal
  if (inner !== state * vHeads) throw new ModelConfigError(`model config: metadata '${a}.ssm.inner_size' ${inner} must be '${a}.ssm.state_size' ${state} x '${a}.ssm.time_step_rank' ${vHeads} (llama.cpp's qwen35 value heads are state_size wide)`);
  if (vHeads % kHeads !== 0) throw new ModelConfigError(`model config: metadata '${a}.ssm.time_step_rank' ${vHeads} must be a multiple of '${a}.ssm.group_count' ${kHeads}`);
  // (qwen3next rotates plainly: no M-RoPE sections; it repeats each key head over its value heads)
  const next = a === 'qwen3next';
  if (!next && metadata[`${a}.rope.dimension_sections`] === undefined) throw new ModelConfigError(`model config: metadata key '${a}.rope.dimension_sections' is missing (required: llama.cpp's ${a} reads its M-RoPE sections)`);
  return { taps, state, kHeads, vHeads, layers: recurrentFlags(metadata, k, a, layers), ...(next ? { kRepeat: true as const } : {}) };
}

/** The keys deltaNetFromGguf reads (the writer's side), and the M-RoPE sections a text model's file carries. */
export function deltaNetKeys(a: string, d: DeltaNetConfig, ropeDims: number): Record<string, GgufValue> {
  const every = QWEN35_FULL_ATTENTION_INTERVAL;
  const byRule = d.layers.every((r, l) => r === ((l + 1) % every !== 0));
  const half = ropeDims / 2;
  const t = Math.ceil(half / 3);
  const h = Math.ceil((half - t) / 2);
  return {
    [`${a}.ssm.conv_kernel`]: gguf.u32(d.taps),
    [`${a}.ssm.state_size`]: gguf.u32(d.state),
    [`${a}.ssm.group_count`]: gguf.u32(d.kHeads),
    [`${a}.ssm.time_step_rank`]: gguf.u32(d.vHeads),
    [`${a}.ssm.inner_size`]: gguf.u32(d.state * d.vHeads),
    ...(byRule ? {} : { [`${a}.attention.recurrent_layers`]: gguf.array('bool', [...d.layers]) }),
    // Qwen3.5's interleaved sections split the rotated pairs about evenly over time, height and width ([11, 11, 10, 0]
    // for its 32 pairs); on text every section reads the same position (qwen3next has none)
    ...(d.kRepeat ? {} : { [`${a}.rope.dimension_sections`]: gguf.array('i32', [t, h, half - t - h, 0]) }),
  };
}

/** Layer `p`'s (a 'blk.N.' prefix) Gated DeltaNet tensors, shapes outermost first (GGUF's ne reversed). */
export function deltaNetTensorNames(c: LlamaConfig, p: string): { name: string; shape: number[] }[] {
  const d = c.deltaNet!;
  const v = d.vHeads * d.state;
  return [
    { name: `${p}attn_qkv.weight`, shape: [deltaNetConvChannels(d), c.dim] },
    { name: `${p}attn_gate.weight`, shape: [v, c.dim] },
    { name: `${p}ssm_conv1d.weight`, shape: [deltaNetConvChannels(d), d.taps] },
    { name: `${p}ssm_dt.bias`, shape: [d.vHeads] },
    { name: `${p}ssm_a`, shape: [d.vHeads] },
    { name: `${p}ssm_beta.weight`, shape: [d.vHeads, c.dim] },
    { name: `${p}ssm_alpha.weight`, shape: [d.vHeads, c.dim] },
    { name: `${p}ssm_norm.weight`, shape: [d.state] },
    { name: `${p}ssm_out.weight`, shape: [c.dim, v] },
  ];
}
