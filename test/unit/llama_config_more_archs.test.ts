// The GGUF configurations of codeshell, jais2, maincoder, pangu-embedded and deepseek (src/nn/llama_arch_more.ts,
// llama_traits.ts, llama_moe.ts): what each reads and fixes, and what is refused by key or tensor.
import { describe, expect, it } from 'vitest';
import { gguf } from '../../src/io/gguf.js';
import { llamaConfigFromGguf } from '../../src/nn/llama_config.js';
import { isMoeLayer } from '../../src/nn/llama_moe.js';
import { configFails as fails, synthHeader } from '../helpers/llama_config_checks.js';

const BASE = { dim: 64, ffn: 96, layers: 2, heads: 4, seed: 1 };
const without = (m: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== key)) as never;

describe('llama config: codeshell, jais2, maincoder, pangu-embedded, deepseek', () => {
  it('codeshell: starcoder2\'s block with q / k / v fused or apart (biased where the file says), NEOX; its head never tied', () => {
    const { metadata: m, tensors } = synthHeader({ arch: 'codeshell', ...BASE, kvHeads: 2, fusedQkv: true, qkvBias: true });
    expect(llamaConfigFromGguf(m, tensors)).toMatchObject({ arch: 'codeshell', ropeLayout: 'neox', layerNorm: true, linearBiases: true, ffnGateless: true, ffnAct: 'gelu', fusedQkv: true, qkvBias: true, tied: false });
    fails(m, tensors.filter((t) => t.name !== 'output.weight'), /tensor 'output\.weight' is missing \(a codeshell model's head is never tied/);
  });

  it('jais2: biased LayerNorms, q / k / v and every Linear biased, relu(x)^2 without a gate, NEOX; grouped-query attention refused (llama.cpp sizes the biases by embedding_length)', () => {
    const { metadata: m, tensors } = synthHeader({ arch: 'jais2', ...BASE, tied: true });
    expect(llamaConfigFromGguf(m, tensors)).toMatchObject({ arch: 'jais2', ropeLayout: 'neox', layerNorm: true, qkvBias: true, linearBiases: true, ffnGateless: true, ffnAct: 'relu2', tied: true });
    fails({ ...m, 'jais2.attention.head_count_kv': gguf.u32(2) }, tensors, /a jais2 model with 4 heads of 16 and 2 KV heads: llama\.cpp's jais2 sizes its q \/ k \/ v biases by embedding_length 64/);
  });

  it('maincoder: per-head q / k norms after RoPE (adjacent pairs); pangu-embedded: a bias on attn_output alone, NEOX', () => {
    const mc = synthHeader({ arch: 'maincoder', ...BASE, kvHeads: 2 });
    expect(llamaConfigFromGguf(mc.metadata, mc.tensors)).toMatchObject({ arch: 'maincoder', ropeLayout: 'norm', qkNorm: true, qkNormAfterRope: true });
    const pg = synthHeader({ arch: 'pangu-embedded', ...BASE, qkvBias: true });
    const c = llamaConfigFromGguf(pg.metadata, pg.tensors);
    expect(c).toMatchObject({ arch: 'pangu-embedded', ropeLayout: 'neox', attnOutBias: true, qkvBias: true });
    expect(c.linearBiases).toBeUndefined();
    expect(pg.tensors.some((t) => t.name === 'blk.0.attn_output.bias') && !pg.tensors.some((t) => t.name === 'blk.0.ffn_up.bias')).toBe(true);
    fails(pg.metadata, pg.tensors.filter((t) => t.name !== 'blk.1.attn_output.bias'), /tensor 'blk\.1\.attn_output\.bias' is missing/);
  });

  it('deepseek (DeepSeek-MoE): experts of expert_feed_forward_length, never renormalized, a shared expert of expert_shared_count experts, dense leading layers, a weight scale where given; its keys required', () => {
    const moe = { experts: 8, used: 2, ffn: 32, sharedFfn: 64, denseLead: 1, weightScale: 1.5 };
    const { metadata: m, tensors } = synthHeader({ arch: 'deepseek', ...BASE, layers: 3, moe });
    expect(m['deepseek.expert_weights_norm']).toBeUndefined();
    const c = llamaConfigFromGguf(m, tensors);
    expect(c).toMatchObject({ arch: 'deepseek', ropeLayout: 'norm', moe: { ...moe, norm: false } });
    expect([0, 1, 2].map((l) => isMoeLayer(c, l))).toEqual([false, true, true]);
    expect(llamaConfigFromGguf({ ...m, 'deepseek.expert_weights_norm': gguf.bool(true) }, tensors).moe!.norm).toBe(false); // (its graph passes false)
    fails(without(m, 'deepseek.expert_feed_forward_length'), tensors, /metadata key 'deepseek\.expert_feed_forward_length' is missing \(required\)/);
    fails(without(m, 'deepseek.expert_shared_count'), tensors, /metadata key 'deepseek\.expert_shared_count' is missing \(required\)/);
    fails(without(m, 'deepseek.expert_count'), tensors, /metadata key 'deepseek\.expert_count' is missing \(required\)/);
  });

  it('dbrx: bias-free LayerNorms, q / k / v fused, clamp_kqv required (0: none), NEOX, renormalized experts of feed_forward_length, its FFN norm attn_output_norm in the file; its head never tied', () => {
    const { metadata: m, tensors } = synthHeader({ arch: 'dbrx', ...BASE, kvHeads: 2, clampKqv: 8, moe: { experts: 4, used: 2, ffn: 96 } });
    expect(tensors.some((t) => t.name === 'blk.0.attn_output_norm.weight') && !tensors.some((t) => t.name === 'blk.0.ffn_norm.weight')).toBe(true);
    expect(llamaConfigFromGguf(m, tensors)).toMatchObject({ arch: 'dbrx', ropeLayout: 'neox', layerNorm: true, normNoBias: true, fusedQkv: true, clampKqv: 8, moe: { experts: 4, used: 2, ffn: 96, norm: true }, tied: false });
    expect(llamaConfigFromGguf({ ...m, 'dbrx.attention.clamp_kqv': gguf.f32(0) }, tensors).clampKqv).toBeUndefined();
    fails(without(m, 'dbrx.attention.clamp_kqv'), tensors, /metadata key 'dbrx\.attention\.clamp_kqv' is missing \(required\)/);
    fails(m, tensors.filter((t) => t.name !== 'output.weight'), /tensor 'output\.weight' is missing \(a dbrx model's head is never tied/);
  });
});
