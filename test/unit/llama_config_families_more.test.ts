// The GGUF configurations of Ling 2.0, Llama 4, Phi-3.5-MoE, ChatGLM, MiniMax-M2 and Qwen3-Next (src/nn/llama_config.ts,
// llama_moe.ts, llama_delta_net.ts): what each reads, how its file lays its tensors out, and what it refuses by key.
import { describe, expect, it } from 'vitest';
import { gguf, parseGgufFile } from '../../src/io/gguf.js';
import { synthLlamaGguf } from '../../src/lm/synth.js';
import { splitFusedTensors } from '../../src/nn/llama_layout.js';
import { isMoeLayer } from '../../src/nn/llama_moe.js';
import { llamaConfigFromGguf } from '../../src/nn/llama_config.js';
import { configFails as fails, synthHeader } from '../helpers/llama_config_checks.js';

describe('llama config: Ling 2.0, Llama 4, Phi-3.5-MoE, ChatGLM, MiniMax-M2, Qwen3-Next', () => {
  it('bailingmoe2 (Ling 2.0): q / k / v fused, per-head q / k norms, NEOX, dots1\'s experts with the shared width read, its multi-token-prediction layers dropped, the head never tied', () => {
    const o = { arch: 'bailingmoe2' as const, dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, seed: 1, ropeDims: 8, nextn: 1, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, gating: 'sigmoid' as const, selectionBias: true as const, norm: true, weightScale: 2.5, groups: { count: 4, used: 2 } } };
    const { file: f, tensors } = synthHeader(o);
    expect(f.metadata['bailingmoe2.block_count']).toEqual(gguf.u32(4));
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'bailingmoe2', layers: 3, ropeLayout: 'neox', ropeDims: 8, qkNorm: true, fusedQkv: true, tied: false, moe: o.moe });
    expect(tensors.some((t) => t.name === 'blk.0.attn_qkv.weight') && !tensors.some((t) => t.name === 'blk.0.attn_q.weight')).toBe(true);
    // a shared expert of expert_shared_feed_forward_length x expert_shared_count where the key is above 0 (llama.cpp's n_ff_shexp)
    expect(() => llamaConfigFromGguf({ ...f.metadata, 'bailingmoe2.expert_shared_feed_forward_length': gguf.u32(16) }, tensors)).toThrow(/tensor 'blk\.1\.ffn_gate_shexp\.weight' has shape \[32, 64\], expected \[16, 64\]/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'bailingmoe2.expert_gating_func')), tensors, /metadata key 'bailingmoe2\.expert_gating_func' is missing \(required\)/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'bailingmoe2.expert_shared_count')), tensors, /metadata key 'bailingmoe2\.expert_shared_count' is missing \(required\)/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'output.weight'), /tensor 'output\.weight' is missing \(a bailingmoe2 model's head is never tied/);
    fails({ ...f.metadata, 'bailingmoe2.nextn_predict_layers': gguf.u32(4) }, tensors, /'bailingmoe2\.nextn_predict_layers' 4 must be below 'bailingmoe2\.block_count' 4/);
  });

  it('llama4 (Llama 4): interleaved MoE layers, experts weighted before their FFN by sigmoids, an ungated shared expert, NoPE every fourth layer, weightless q / k norms but with 128 experts; its chunked-attention keys refused where they change anything', () => {
    const o = { arch: 'llama4' as const, dim: 64, ffn: 128, layers: 4, heads: 4, kvHeads: 2, seed: 1, moe: { experts: 16, used: 1, ffn: 32, step: 2 } };
    const { file: f, tensors } = synthHeader(o);
    expect(f.metadata['llama4.interleave_moe_layer_step']).toEqual(gguf.u32(2));
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'llama4', ropeLayout: 'norm', noRopeStep: 4, qkL2Norm: true, moe: { experts: 16, used: 1, ffn: 32, step: 2, norm: false, gating: 'sigmoid', sharedFfn: 32, weightBeforeFfn: true } });
    expect([0, 1, 2, 3].map((l) => isMoeLayer(c, l))).toEqual([false, true, false, true]);
    expect(tensors.some((t) => t.name === 'blk.0.ffn_gate.weight') && tensors.some((t) => t.name === 'blk.1.ffn_gate_exps.weight') && !tensors.some((t) => t.name === 'blk.1.ffn_gate_inp_shexp.weight')).toBe(true);
    const big = synthHeader({ ...o, moe: { experts: 128, used: 1, ffn: 16 } });
    expect(llamaConfigFromGguf(big.file.metadata, big.tensors).qkL2Norm).toBeUndefined(); // (Maverick's count: llama.cpp's 17B-128E type)
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'llama4.interleave_moe_layer_step')), tensors, /metadata key 'llama4\.interleave_moe_layer_step' is missing \(required\)/);
    fails({ ...f.metadata, 'llama4.attention.sliding_window': gguf.u32(0) }, tensors, /'llama4\.attention\.sliding_window' is 0: llama\.cpp's llama4 without chunked attention is not supported/);
    expect(llamaConfigFromGguf({ ...f.metadata, 'llama4.attention.sliding_window': gguf.u32(8192) }, tensors).arch).toBe('llama4');
    fails({ ...f.metadata, 'llama4.rope.freq_base_swa': gguf.f32(5e5) }, tensors, /'llama4\.rope\.freq_base_swa' 500000 differs from 'llama4\.rope\.freq_base' 10000/);
    fails({ ...f.metadata, 'llama4.rope.dimension_count': gguf.u32(8) }, tensors, /'llama4\.rope\.dimension_count' 8 differs from the head dim 16/);
  });

  it('phimoe (Phi-3.5-MoE): phi3\'s attention with q / k / v apart, RMSNorms with biases, attn_output\'s and the head\'s biases, experts renormalized; the head never tied', () => {
    const { file: f, tensors } = synthHeader({ arch: 'phimoe', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, seed: 1, qkvBias: true, moe: { experts: 8, used: 2, ffn: 64 } });
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'phimoe', ropeLayout: 'neox', rmsNormBias: true, outputBias: true, linearBiases: true, qkvBias: true, moe: { experts: 8, used: 2, ffn: 64, norm: true } });
    const names = tensors.map((t) => t.name);
    for (const n of ['blk.0.attn_norm.bias', 'blk.0.ffn_norm.bias', 'output_norm.bias', 'output.bias', 'blk.0.attn_output.bias', 'blk.0.attn_q.bias']) expect(names, n).toContain(n);
    expect(names.some((n) => n.includes('ffn_up.bias') || n.includes('_exps.bias'))).toBe(false);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.ffn_norm.bias'), /tensor 'blk\.1\.ffn_norm\.bias' is missing/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'output.weight'), /tensor 'output\.weight' is missing \(a phimoe model's head is never tied/);
  });

  it('chatglm (GLM-4-9B, ChatGLM3): q / k / v fused with their biases where the file has them, gate and up fused in ffn_up, adjacent-pair RoPE over part of the head, no post-norms', () => {
    const { file: f, tensors } = synthHeader({ arch: 'chatglm', dim: 64, ffn: 96, layers: 2, heads: 4, kvHeads: 2, seed: 1, qkvBias: true, ropeDims: 8 });
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'chatglm', ropeLayout: 'norm', ropeDims: 8, fusedQkv: true, qkvBias: true, postNorms: false });
    expect(tensors.filter((t) => t.name.startsWith('blk.0.')).map((t) => `${t.name.slice(6)} [${t.shape}]`).sort()).toEqual(['attn_norm.weight [64]', 'attn_output.weight [64,64]', 'attn_qkv.bias [128]', 'attn_qkv.weight [128,64]', 'ffn_down.weight [64,96]', 'ffn_norm.weight [64]', 'ffn_up.weight [192,64]']);
    const plain = synthHeader({ arch: 'chatglm', dim: 64, ffn: 96, layers: 2, heads: 4, kvHeads: 2, seed: 1, ropeDims: 8 });
    expect(llamaConfigFromGguf(plain.file.metadata, plain.tensors).qkvBias).toBe(false);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.ffn_up.weight'), /tensor 'blk\.1\.ffn_up\.weight' is missing/);
  });

  it('minimax-m2 (MiniMax-M2): q / k norms over the whole projection, NEOX over part of the head, experts by the gating function with a selection bias, renormalized; the head never tied', () => {
    const { file: f, tensors } = synthHeader({ arch: 'minimax-m2', dim: 64, ffn: 32, layers: 2, heads: 4, kvHeads: 2, seed: 1, ropeDims: 8, moe: { experts: 8, used: 2, ffn: 32, gating: 'sigmoid' } });
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'minimax-m2', ropeLayout: 'neox', qkNorm: true, qkNormFull: true, moe: { experts: 8, used: 2, ffn: 32, norm: true, selectionBias: true, gating: 'sigmoid' } });
    expect(tensors.find((t) => t.name === 'blk.0.attn_k_norm.weight')?.shape).toEqual([32]); // (2 KV heads of 16)
    fails({ ...f.metadata, 'minimax-m2.expert_feed_forward_length': gguf.u32(16) }, tensors, /'minimax-m2\.expert_feed_forward_length' 16 differs from 'minimax-m2\.feed_forward_length' 32/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'minimax-m2.expert_gating_func')), tensors, /metadata key 'minimax-m2\.expert_gating_func' is missing \(required\)/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.exp_probs_b.bias'), /tensor 'blk\.1\.exp_probs_b\.bias' is missing/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'output.weight'), /tensor 'output\.weight' is missing \(a minimax-m2 model's head is never tied/);
  });

  it('qwen3next (Qwen3-Next): qwen35moe\'s layers without M-RoPE sections, each key head repeated over its value heads, beta and alpha fused in ssm_ba a key head at a time; a legacy ssm_in refused', () => {
    const dn = { taps: 4, state: 8, kHeads: 2, vHeads: 6, layers: [true, true, true, false] };
    const o = { arch: 'qwen3next' as const, dim: 32, ffn: 64, layers: 4, heads: 4, kvHeads: 2, headDim: 8, ropeDims: 4, seed: 1, deltaNet: dn, moe: { experts: 4, used: 2, ffn: 16 } };
    const { file: f, tensors } = synthHeader(o);
    expect(f.metadata['qwen3next.rope.dimension_sections']).toBeUndefined();
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'qwen3next', ropeLayout: 'neox', qkNorm: true, deltaNet: { ...dn, kRepeat: true }, moe: { experts: 4, used: 2, ffn: 16, norm: true, sharedFfn: 64 } });
    expect(tensors.some((t) => t.name === 'blk.0.ssm_beta.weight')).toBe(false);
    // ssm_ba's rows: key head 0's 3 beta rows, its 3 alpha rows, then key head 1's: the definition's ssm_beta and ssm_alpha
    const parsed = parseGgufFile(synthLlamaGguf(o));
    const whole = parsed.tensors.find((t) => t.name === 'blk.0.ssm_ba.weight')!;
    expect(whole.shape).toEqual([12, 32]);
    const parts = splitFusedTensors(c, parsed.tensors);
    const row = 32 * 4;
    const [beta, alpha] = ['blk.0.ssm_beta.weight', 'blk.0.ssm_alpha.weight'].map((n) => parts.find((t) => t.name === n)!);
    for (let g = 0; g < 2; g++) {
      expect(beta.data.subarray(3 * g * row, 3 * (g + 1) * row)).toEqual(whole.data.subarray(6 * g * row, (6 * g + 3) * row));
      expect(alpha.data.subarray(3 * g * row, 3 * (g + 1) * row)).toEqual(whole.data.subarray((6 * g + 3) * row, 6 * (g + 1) * row));
    }
    // a shared expert of expert_shared_feed_forward_length where that key is above 0
    expect(() => llamaConfigFromGguf({ ...f.metadata, 'qwen3next.expert_shared_feed_forward_length': gguf.u32(32) }, tensors)).toThrow(/tensor 'blk\.0\.ffn_gate_shexp\.weight' has shape \[64, 32\], expected \[32, 32\]/);
    const legacy = tensors.map((t) => (t.name === 'blk.1.attn_qkv.weight' ? { ...t, name: 'blk.1.ssm_in.weight' } : t));
    fails(f.metadata, legacy, /tensor 'blk\.1\.ssm_in\.weight': a legacy qwen3next file \(q \/ k \/ v \/ z fused in ssm_in\) is not supported; convert the model again/);
  });

  it('orion (Orion-14B) and qwen (Qwen 1): LayerNorms with biases in a SwiGLU block; q / k / v fused with biases and an FFN half of feed_forward_length; both heads never tied', () => {
    const o = synthHeader({ arch: 'orion', dim: 64, ffn: 96, layers: 2, heads: 4, kvHeads: 2, seed: 1 });
    expect(llamaConfigFromGguf(o.file.metadata, o.tensors)).toMatchObject({ arch: 'orion', layerNorm: true, ropeLayout: 'neox', ffnAct: 'silu', qkvBias: false });
    expect(o.tensors.some((t) => t.name === 'blk.0.attn_norm.bias') && o.tensors.some((t) => t.name === 'blk.0.ffn_gate.weight')).toBe(true);
    const q = synthHeader({ arch: 'qwen', dim: 64, ffn: 96, layers: 2, heads: 4, seed: 1 });
    expect(q.file.metadata['qwen.feed_forward_length']).toEqual(gguf.u32(192));
    expect(llamaConfigFromGguf(q.file.metadata, q.tensors)).toMatchObject({ arch: 'qwen', ffn: 96, fusedQkv: true, qkvBias: true, ropeLayout: 'neox' });
    expect(q.tensors.find((t) => t.name === 'blk.0.ffn_up.weight')?.shape).toEqual([96, 64]);
    fails({ ...q.file.metadata, 'qwen.feed_forward_length': gguf.u32(191) }, q.tensors, /'qwen\.feed_forward_length' 191 must be even/);
    fails({ ...q.file.metadata, 'qwen.attention.head_count_kv': gguf.u32(2) }, q.tensors, /a qwen model with 4 heads of 16 and 2 KV heads: llama\.cpp's qwen sizes attn_qkv/);
    for (const [a, h] of [['orion', o], ['qwen', q]] as const) fails(h.file.metadata, h.tensors.filter((t) => t.name !== 'output.weight'), new RegExp(`tensor 'output\\.weight' is missing \\(an? ${a} model's head is never tied`));
  });

  it('olmo (OLMo 1): LayerNorms without weight or bias (no norm tensors), adjacent-pair RoPE, clamp_kqv read, the head tied where the file has none', () => {
    const { file: f, tensors } = synthHeader({ arch: 'olmo', dim: 64, ffn: 96, layers: 2, heads: 4, seed: 1, tied: true, clampKqv: 8 });
    expect(f.metadata['olmo.attention.clamp_kqv']).toEqual(gguf.f32(8));
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'olmo', layerNorm: true, normNoWeight: true, clampKqv: 8, ropeLayout: 'norm', tied: true });
    expect(tensors.some((t) => t.name.includes('norm'))).toBe(false);
    expect(llamaConfigFromGguf({ ...f.metadata, 'olmo.attention.clamp_kqv': gguf.f32(0) }, tensors).clampKqv).toBeUndefined();
    fails(f.metadata, [...tensors, { ...tensors.find((t) => t.name === 'blk.0.attn_q.weight')!, name: 'blk.0.attn_norm.weight', shape: [64] }], /blk\.0\.attn_norm\.weight/);
  });

  it('command-r at 64 layers (Command R+): per-head q / k LayerNorms [heads, headDim] required, as llama.cpp reads them from that many layers on', () => {
    const { file: f, tensors } = synthHeader({ arch: 'command-r', dim: 32, ffn: 32, layers: 64, heads: 4, kvHeads: 2, seed: 1, logitMul: 0.5 });
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'command-r', qkHeadLayerNorm: true, layerNorm: true });
    expect([tensors.find((t) => t.name === 'blk.63.attn_q_norm.weight')?.shape, tensors.find((t) => t.name === 'blk.63.attn_k_norm.weight')?.shape]).toEqual([[4, 8], [2, 8]]);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.5.attn_k_norm.weight'), /tensor 'blk\.5\.attn_k_norm\.weight' is missing/);
  });

  it('stablelm as StableLM 2 12B: per-head q / k LayerNorms where the file has them (then in every layer), the parallel block where it has no ffn_norm', () => {
    const { file: f, tensors } = synthHeader({ arch: 'stablelm', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1 });
    const big = synthHeader({ arch: 'stablelm', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, stablelm12b: true });
    expect(llamaConfigFromGguf(big.file.metadata, big.tensors)).toMatchObject({ qkHeadLayerNorm: true, parallelBlock: true });
    expect(big.tensors.find((t) => t.name === 'blk.1.attn_k_norm.weight')?.shape).toEqual([2, 16]);
    fails(big.file.metadata, big.tensors.filter((t) => t.name !== 'blk.1.attn_q_norm.weight'), /tensor 'blk\.1\.attn_q_norm\.weight' is missing/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.ffn_norm.weight'), /blk\.1\.ffn_norm\.weight/);
  });
});
