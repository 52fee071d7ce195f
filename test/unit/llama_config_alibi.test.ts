// The GGUF configurations of the ALiBi architectures (src/nn/llama_alibi.ts): bloom, mpt, jais, refact and baichuan:
// what each reads from its file (max_alibi_bias, mpt's optional parts, fused q / k / v), what llama.cpp fixes by
// architecture or layer count, and what is refused by key or tensor.
import { describe, expect, it } from 'vitest';
import { gguf } from '../../src/io/gguf.js';
import { llamaConfigFromGguf } from '../../src/nn/llama_config.js';
import { llamaConfig } from '../../src/nn/llama_weights.js';
import { configFails as fails, synthHeader } from '../helpers/llama_config_checks.js';

const BASE = { dim: 64, ffn: 96, layers: 2, heads: 4, seed: 1 };
const noKey = (m: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== key)) as typeof m;

describe('llama config: the ALiBi architectures', () => {
  it('bloom: ALiBi of 8 (llama.cpp fixes it), no RoPE, the embedding LayerNorm, biased LayerNorms, q / k / v fused and biased, a biased GELU MLP; tied where the file has no head', () => {
    const { metadata: m, tensors } = synthHeader({ arch: 'bloom', ...BASE, tied: true });
    expect(m['bloom.attention.max_alibi_bias']).toBeUndefined();
    expect(llamaConfigFromGguf(m, tensors)).toMatchObject({ arch: 'bloom', alibi: 8, noRopeStep: 1, embedNorm: true, layerNorm: true, fusedQkv: true, qkvBias: true, linearBiases: true, ffnGateless: true, ffnAct: 'gelu', tied: true });
    for (const t of ['token_embd_norm.bias', 'blk.0.attn_qkv.bias', 'blk.1.ffn_up.bias']) fails(m, tensors.filter((x) => x.name !== t), new RegExp(`tensor '${t.replace(/\./g, '\\.')}' is missing`));
  });

  it('mpt: max_alibi_bias and clamp_kqv from the file (absent: none), each bias and the learned positions where the file has them; its q / k norms and AWQ scales refused by name', () => {
    const plain = synthHeader({ arch: 'mpt', ...BASE, tied: true, clampKqv: 2 });
    expect(plain.metadata['mpt.attention.max_alibi_bias']).toEqual(gguf.f32(8));
    const c = llamaConfigFromGguf(plain.metadata, plain.tensors);
    expect(c).toMatchObject({ arch: 'mpt', alibi: 8, noRopeStep: 1, layerNorm: true, normNoBias: true, fusedQkv: true, qkvBias: false, clampKqv: 2, ffnAct: 'gelu' });
    expect(c.linearBiases ?? c.learnedPositions).toBeUndefined();
    expect(llamaConfigFromGguf(noKey(plain.metadata, 'mpt.attention.max_alibi_bias') as never, plain.tensors).alibi).toBeUndefined();
    fails({ ...plain.metadata, 'mpt.attention.max_alibi_bias': gguf.f32(-1) }, plain.tensors, /metadata 'mpt\.attention\.max_alibi_bias' must be a finite number >= 0, found/);
    const full = synthHeader({ arch: 'mpt', ...BASE, mpt: { biases: true, positions: true }, alibi: 4 });
    expect(llamaConfigFromGguf(full.metadata, full.tensors)).toMatchObject({ alibi: 4, qkvBias: true, linearBiases: true, learnedPositions: true, tied: false });
    expect(llamaConfigFromGguf(full.metadata, full.tensors).normNoBias).toBeUndefined();
    const extra = (name: string, shape: number[]) => [...plain.tensors, { name, type: 'F32' as never, shape }];
    fails(plain.metadata, extra('blk.0.attn_q_norm.weight', [64]), /tensor 'blk\.0\.attn_q_norm\.weight': MPT's q \/ k LayerNorms are not supported/);
    fails(plain.metadata, extra('blk.0.ffn_act.scales', [96]), /tensor 'blk\.0\.ffn_act\.scales': AWQ's activation scales are not supported/);
  });

  it('jais: max_alibi_bias from the file, SwiGLU biased in all three projections, the head never tied', () => {
    const { metadata: m, tensors } = synthHeader({ arch: 'jais', ...BASE, kvHeads: 2, alibi: 2 });
    expect(llamaConfigFromGguf(m, tensors)).toMatchObject({ arch: 'jais', alibi: 2, noRopeStep: 1, layerNorm: true, fusedQkv: true, qkvBias: true, linearBiases: true, ffnAct: 'silu', tied: false });
    expect(tensors.some((t) => t.name === 'blk.0.ffn_gate.bias')).toBe(true);
    fails(m, tensors.filter((t) => t.name !== 'output.weight'), /tensor 'output\.weight' is missing \(a jais model's head is never tied/);
    expect(() => llamaConfig({ arch: 'jais', ...BASE, ctx: 16, tied: true })).toThrow(/llama config: a jais model's head is never tied/);
  });

  it('refact: ALiBi of 8 without RoPE, q / k / v apart or fused (with their biases) as the file has them', () => {
    const apart = synthHeader({ arch: 'refact', ...BASE, kvHeads: 1, tied: true });
    expect(llamaConfigFromGguf(apart.metadata, apart.tensors)).toMatchObject({ arch: 'refact', alibi: 8, noRopeStep: 1, qkvBias: false, tied: true, ffnAct: 'silu' });
    const fused = synthHeader({ arch: 'refact', ...BASE, fusedQkv: true, qkvBias: true });
    expect(llamaConfigFromGguf(fused.metadata, fused.tensors)).toMatchObject({ fusedQkv: true, qkvBias: true });
    // (llama.cpp loads attn_output.bias and ffn biases for refact and never adds them: nibble refuses them)
    fails(apart.metadata, [...apart.tensors, { name: 'blk.0.attn_output.bias', type: 'F32' as never, shape: [64] }], /tensor 'blk\.0\.attn_output\.bias' not used by a refact model/);
  });

  it('baichuan: by its layer count as llama.cpp tells its models: 32 rotate (adjacent pairs), 40 use ALiBi of 8, any other neither; the head never tied', () => {
    const at = (layers: number) => {
      const h = synthHeader({ arch: 'baichuan', dim: 16, ffn: 16, layers, heads: 2, seed: 1 });
      return llamaConfigFromGguf(h.metadata, h.tensors);
    };
    expect(at(32)).toMatchObject({ ropeLayout: 'norm' });
    expect(at(32).alibi ?? at(32).noRopeStep).toBeUndefined();
    expect(at(40)).toMatchObject({ alibi: 8, noRopeStep: 1 });
    expect(at(2)).toMatchObject({ noRopeStep: 1 });
    expect(at(2).alibi).toBeUndefined();
    expect(() => llamaConfig({ arch: 'baichuan', ...BASE, ctx: 16, tied: true })).toThrow(/baichuan model's head is never tied/);
    expect(() => llamaConfig({ arch: 'baichuan', ...BASE, ctx: 16, alibi: 4 })).toThrow(/alibi \(max_alibi_bias\) is mpt's and jais's to choose \(arch baichuan\)/);
  });
});
