// Mamba-2 layers (LlamaConfig.ssm), as llama.cpp's build_mamba2_layer runs them in IBM's Granite 4.0 H hybrids
// (`granitehybrid`: the layers whose attention.head_count_kv is 0 are Mamba-2 mixers, the others attention, each
// followed by granite's FFN) and TII's Falcon-H1 (`falcon-h1`: every layer runs attention and a Mamba-2 mixer side by
// side on the same normed input, x + attn(h) + mamba(h), then its FFN; `parallel`) and NVIDIA's Nemotron-H
// (`nemotron_h`: each layer is one of a Mamba-2 mixer, attention without RoPE or a squared-ReLU MLP, after its
// attn_norm, added to the stream: LlamaConfig.layerKinds), and plain Mamba-2 models (`mamba2`: every layer that
// mixer alone, as a nemotron_h of Mamba-2 layers only). A Mamba-2 mixer of h [T, dim]:
//   zxBCdt = ssm_in h                  [T, 2 inner + 2 G N + H]: z | xBC | dt (inner = H P: H heads of P channels;
//                                      G groups of B and C, each N wide: ssm.state_size)
//   xBC    = silu(conv(xBC) + b)       the causal depthwise convolution of ssm.conv_kernel taps over each of xBC's
//                                      inner + 2 G N channels (ssm_conv1d.weight [channels, taps], tap taps-1 the
//                                      current row; ssm_conv1d.bias, required: llama.cpp 3.21.1 aborts on a file
//                                      without one), over the layer's last rows
//   x | B | C = xBC                    x [T, H, P], B and C [T, G, N]; head h reads group h / (H / G)
//   dt'    = softplus(dt + dt_bias)    per head (ggml's softplus: dt itself past 20); dA = exp(dt' A[h]) (ssm_a: A,
//                                      negative, as the converter writes -exp(A_log))
//   s[h, p, n] = s dA + B[n] x[h, p] dt'  the state, carried from row to row (and step to step: the engine's)
//   y[h, p] = sum_n s[h, p, n] C[n] + x[h, p] D[h]   (ssm_d)
//   y      = rmsnorm_g(silu(z) * y) * ssm_norm      RMS-normalized per group of inner / G channels (ssm_norm.weight
//                                      [G, inner / G]), the model's epsilon; silu(z) * y alone where a Falcon-H1
//                                      file has no ssm_norm (`noNorm`)
//   out    = ssm_out y                 [T, dim]
// Keys (llama.cpp's): <arch>.ssm.conv_kernel, .inner_size, .state_size, .time_step_rank (H), .group_count (G); inner
// must be 2 dim in granitehybrid (llama.cpp asserts it there).
import { describe, ModelConfigError, type Keys } from './gguf_keys.js';
import type { GgufValue } from '../io/gguf.js';
import type { LlamaConfig } from './llama_config.js';

export type SsmConfig = NonNullable<LlamaConfig['ssm']>;

/** The largest convolution the engine's kernel keeps in registers (Mamba-2's is 4). */
export const SSM_MAX_TAPS = 8;

/** Whether layer l is a Mamba-2 mixer rather than attention. */
export const isSsmLayer = (c: LlamaConfig, l: number): boolean => !!c.ssm?.layers[l];

/** Channels of the convolution: x, B and C. */
export const ssmConvChannels = (s: SsmConfig): number => s.inner + 2 * s.groups * s.state;

/** Columns of ssm_in's output: z, xBC and dt. */
export const ssmInProj = (s: SsmConfig): number => 2 * s.inner + 2 * s.groups * s.state + s.heads;

/** A Mamba-2 tensor read as a vector of constants though the file stores it 2-D (ssm_a, ssm_d [H, 1], ssm_norm [G, inner / G], ssm_conv1d [channels, taps]). */
export const isSsmVector = (name: string): boolean => /\.(ssm_a|ssm_d|ssm_norm\.weight|ssm_conv1d\.weight)$/.test(name);

/** The SSM configuration of a file (keys as llama.cpp's granitehybrid reads them); `layers`: which layers are Mamba-2. */
export function ssmFromGguf(k: Keys, a: string, dim: number, layers: boolean[], o: { parallel?: boolean; noNorm?: boolean } = {}): SsmConfig {
  const taps = k.int(`${a}.ssm.conv_kernel`);
  const inner = k.int(`${a}.ssm.inner_size`);
  const state = k.int(`${a}.ssm.state_size`);
  const heads = k.int(`${a}.ssm.time_step_rank`);
  const groups = k.int(`${a}.ssm.group_count`);
  if (taps < 2 || taps > SSM_MAX_TAPS) throw new ModelConfigError(`model config: metadata '${a}.ssm.conv_kernel' is ${taps}; nibble's Mamba-2 convolution takes 2..${SSM_MAX_TAPS}`);
  if (a === 'granitehybrid' && inner !== 2 * dim) throw new ModelConfigError(`model config: metadata '${a}.ssm.inner_size' ${inner} must be twice '${a}.embedding_length' ${dim} (llama.cpp's ${a} asserts it)`);
  if (inner % heads !== 0) throw new ModelConfigError(`model config: metadata '${a}.ssm.inner_size' ${inner} is not a multiple of '${a}.ssm.time_step_rank' ${heads}`);
  if (heads % groups !== 0 || inner % groups !== 0) throw new ModelConfigError(`model config: metadata '${a}.ssm.group_count' ${groups} must divide '${a}.ssm.time_step_rank' ${heads} and '${a}.ssm.inner_size' ${inner}`);
  return { taps, inner, state, heads, groups, layers, ...(o.parallel ? { parallel: true as const } : {}), ...(o.noNorm ? { noNorm: true as const } : {}) };
}

/** Layer `p`'s (a 'blk.N.' prefix) Mamba-2 tensors, shapes outermost first (GGUF's ne reversed). */
export function ssmTensorNames(c: LlamaConfig, p: string): { name: string; shape: number[] }[] {
  const s = c.ssm!;
  const ch = ssmConvChannels(s);
  return [
    { name: `${p}ssm_in.weight`, shape: [ssmInProj(s), c.dim] },
    { name: `${p}ssm_conv1d.weight`, shape: [ch, s.taps] },
    { name: `${p}ssm_conv1d.bias`, shape: [ch] },
    { name: `${p}ssm_dt.bias`, shape: [s.heads] },
    { name: `${p}ssm_a`, shape: [s.heads, 1] },
    { name: `${p}ssm_d`, shape: [s.heads, 1] },
    ...(s.noNorm ? [] : [{ name: `${p}ssm_norm.weight`, shape: [s.groups, s.inner / s.groups] }]),
    { name: `${p}ssm_out.weight`, shape: [c.dim, s.inner] },
  ];
}

/**
 * nemotron_h's layer kinds, as llama.cpp's loader reads them from the per-layer `attention.head_count_kv` and
 * `feed_forward_length` arrays: a Mamba-2 mixer where both are 0, attention where only the FFN's is, an MLP
 * otherwise. The attention layers share one KV head count and the MLPs one width (nibble needs one each).
 */
export function nemotronHKinds(metadata: Record<string, GgufValue>, k: Keys, a: string, layers: number, heads: number, nTensors: number): { kinds: LayerKind[]; kvHeads: number; ffn: number } {
  // (before a kind a layer is made: a header's block_count of 2^32 would not fit in memory)
  if (layers * 3 > nTensors) throw new ModelConfigError(`model config: '${a}.block_count' ${layers} needs at least ${layers * 3} tensors (3 per layer), the file has ${nTensors}`);
  const perLayer = (key: string, dflt?: number): number[] => {
    const v = metadata[key];
    if (v?.type !== 'array') return Array.from({ length: layers }, () => k.int(key, dflt, 0));
    if (v.value.length !== layers) throw new ModelConfigError(`model config: metadata '${key}' has ${v.value.length} entries, '${a}.block_count' is ${layers}`);
    return v.value.map((x, i) => {
      const n = x.type !== 'array' && typeof x.value !== 'string' && typeof x.value !== 'boolean' ? Number(x.value) : NaN;
      if (!(Number.isSafeInteger(n) && n >= 0)) throw new ModelConfigError(`model config: metadata '${key}'[${i}] must be an integer >= 0, found ${describe(x)}`);
      return n;
    });
  };
  const kv = perLayer(`${a}.attention.head_count_kv`, heads);
  const ff = perLayer(`${a}.feed_forward_length`);
  const kinds: LayerKind[] = kv.map((n, l) => (n === 0 && ff[l] === 0 ? 'ssm' : ff[l] === 0 ? 'attention' : 'ffn'));
  const one = (vals: number[], what: string, key: string): number => {
    const set = [...new Set(vals)];
    if (set.length > 1) throw new ModelConfigError(`model config: metadata '${key}' gives the ${what} layers ${set.join(' and ')} (nibble needs one)`);
    return set[0] ?? 0;
  };
  return { kinds, kvHeads: one(kv.filter((_, l) => kinds[l] === 'attention'), 'attention', `${a}.attention.head_count_kv`) || heads, ffn: one(ff.filter((n) => n > 0), 'MLP', `${a}.feed_forward_length`) };
}

/** A nemotron_h layer's mixer. */
export type LayerKind = 'attention' | 'ssm' | 'ffn';

/**
 * mamba2's layers: every one a Mamba-2 mixer (its converter writes head_count and feed_forward_length 0, unused; the
 * config keeps one notional head of MAMBA2_HEAD_DIM, which no layer runs).
 */
export function mamba2Kinds(k: Keys, a: string, layers: number, nTensors: number): { kinds: LayerKind[]; kvHeads: number; ffn: number } {
  if (layers * 3 > nTensors) throw new ModelConfigError(`model config: '${a}.block_count' ${layers} needs at least ${layers * 3} tensors (3 per layer), the file has ${nTensors}`);
  k.int(`${a}.attention.head_count`, 0, 0);
  return { kinds: Array.from({ length: layers }, () => 'ssm' as const), kvHeads: 1, ffn: 0 };
}

/** The head dim of mamba2's notional attention (no layer attends; the smallest RoPE table). */
export const MAMBA2_HEAD_DIM = 2;
