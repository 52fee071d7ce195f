// The ALiBi architectures, as llama.cpp sets them up (src/models/{bloom,mpt,jais,refact,baichuan}.cpp): attention
// without RoPE whose scores gain a per-head linear bias in the key's distance (Press et al., "Train Short, Test Long",
// 2022), slope_h (j - p) for the key at j and the query at p, the slopes from max_alibi_bias (shaders/lm/attention_split.wgsl):
//   bloom    LayerNorm after the embedding (token_embd_norm), GPT-2's block: biased LayerNorms, q / k / v fused and
//            biased, a biased gateless GELU MLP; max_alibi_bias fixed at 8
//   mpt      MPT's block: LayerNorms, q / k / v fused, a gateless GELU MLP, each bias where the file has it; learned
//            positions where it has position_embd; .attention.max_alibi_bias (0: none), .attention.clamp_kqv (0: none)
//   jais     bloom's block with a SwiGLU whose three projections are biased, scores scaled by 1 / head dim (muP);
//            .attention.max_alibi_bias (0: none); its head never tied
//   refact   a Llama without RoPE (RMSNorm, SwiGLU), max_alibi_bias 8
//   baichuan a Llama (its head never tied) that llama.cpp sizes by its layer count: 32 layers (Baichuan-7B) rotate
//            with adjacent-pair RoPE; 40 (Baichuan-13B) use ALiBi of 8; any other count uses neither
// refact and baichuan take q / k / v apart or fused (attn_qkv), with biases where the file has them (llama_arch_more.ts).
import type { Keys } from './gguf_keys.js';
import { ModelConfigError } from './gguf_keys.js';
import type { LlamaArch, LlamaConfig } from './llama_config.js';

/** llama.cpp's max_alibi_bias where it fixes it (bloom, refact, baichuan at 40 layers). */
export const ALIBI_MAX_BIAS = 8;

/** baichuan's layer counts llama.cpp tells its models by: 32 rotate (7B), 40 use ALiBi (13B). */
export const BAICHUAN_LAYERS = { rope: 32, alibi: 40 } as const;

/** The ALiBi architectures. */
export const ALIBI_ARCHS: readonly LlamaArch[] = ['bloom', 'mpt', 'jais', 'refact', 'baichuan'];

/** The architectures whose max_alibi_bias the file gives (.attention.max_alibi_bias; absent or 0: no ALiBi). */
export const readsAlibiBias = (a: LlamaArch): boolean => a === 'mpt' || a === 'jais';

/** The max_alibi_bias llama.cpp fixes for an architecture (undefined where the file gives it). */
export function fixedAlibi(a: LlamaArch, layers: number): number | undefined {
  if (a === 'bloom' || a === 'refact') return ALIBI_MAX_BIAS;
  if (a === 'baichuan') return layers === BAICHUAN_LAYERS.alibi ? ALIBI_MAX_BIAS : 0;
  return undefined;
}

/** Whether an architecture applies no RoPE at all (baichuan but at 32 layers). */
export const alibiArchNoRope = (a: LlamaArch, layers: number): boolean => ALIBI_ARCHS.includes(a) && !(a === 'baichuan' && layers === BAICHUAN_LAYERS.rope);

/**
 * What an ALiBi architecture's file decides beyond its traits (llamaConfigFromGguf): max_alibi_bias; mpt's optional
 * biases and learned positions, and its clamp. `has` tells whether the file holds a tensor.
 */
export function alibiConfigFromGguf(a: LlamaArch, k: Keys, layers: number, has: (name: string) => boolean): Partial<LlamaConfig> {
  if (!ALIBI_ARCHS.includes(a)) return {};
  const alibi = readsAlibiBias(a) ? k.float(`${a}.attention.max_alibi_bias`, 0, true) : fixedAlibi(a, layers)!;
  const out: Partial<LlamaConfig> = { ...(alibi > 0 ? { alibi } : {}), ...(alibiArchNoRope(a, layers) ? { noRopeStep: 1 } : {}) };
  if (a === 'mpt') {
    for (const t of ['attn_q_norm.weight', 'ffn_act.scales']) if (has(`blk.0.${t}`)) throw new ModelConfigError(`model config: tensor 'blk.0.${t}': ${t.startsWith('attn') ? "MPT's q / k LayerNorms are" : "AWQ's activation scales are"} not supported`);
    const clamp = k.float(`${a}.attention.clamp_kqv`, 0, true);
    Object.assign(out, {
      ...(has('blk.0.attn_norm.bias') ? {} : { normNoBias: true }),
      ...(has('blk.0.attn_qkv.bias') ? { qkvBias: true } : {}),
      ...(has('blk.0.ffn_down.bias') ? { linearBiases: true } : {}),
      ...(has('position_embd.weight') ? { learnedPositions: true } : {}),
      ...(clamp > 0 ? { clampKqv: clamp } : {}),
    });
  }
  return out;
}

/** The same for llamaConfig (a synthetic or trained model): `alibi` mpt's and jais's max bias (default 8), `mpt` which of its optional parts it has. */
export function alibiConfig(a: LlamaArch, layers: number, o: { alibi?: number; mpt?: { biases?: boolean; positions?: boolean } }): Partial<LlamaConfig> {
  if (o.alibi !== undefined && !readsAlibiBias(a)) throw new ModelConfigError(`llama config: alibi (max_alibi_bias) is mpt's and jais's to choose (arch ${a})`);
  if (o.mpt && a !== 'mpt') throw new ModelConfigError(`llama config: mpt options are mpt's (arch ${a})`);
  if (!ALIBI_ARCHS.includes(a)) return {};
  const alibi = readsAlibiBias(a) ? (o.alibi ?? ALIBI_MAX_BIAS) : fixedAlibi(a, layers)!;
  if (!(Number.isFinite(alibi) && alibi >= 0)) throw new ModelConfigError(`llama config: alibi ${alibi} must be a finite number >= 0`);
  const m = o.mpt ?? {};
  return {
    ...(alibi > 0 ? { alibi } : {}),
    ...(alibiArchNoRope(a, layers) ? { noRopeStep: 1 } : {}),
    ...(a === 'mpt' ? { ...(m.biases ? { qkvBias: true, linearBiases: true } : { normNoBias: true }), ...(m.positions ? { learnedPositions: true } : {}) } : {}),
  };
}
