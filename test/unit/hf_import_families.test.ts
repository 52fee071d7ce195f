// The Hugging Face import's per-family refusals and special cases that need no GPU (moved out of
// test/kernels/hf_import.test.ts, which checks every golden checkpoint against PyTorch, the GPU and llama.cpp): MoE
// checkpoints, Granite 4.0 (and 4.0 H), Hunyuan, InternLM2 and ERNIE 4.5 MoE.
import { describe, expect, it } from 'vitest';
import { parseGgufFile } from '../../src/io/gguf.js';
import { hfLlamaConfig, importHfLlama } from '../../src/nn/hf_llama.js';
import { byteLevelVocab, writeLlamaGguf } from '../../src/nn/llama_weights.js';
import { llamaLogitsRef } from '../../src/ref/llama.js';
import { maxDiff } from '../cases/lm_helpers.js';
import { golden } from '../helpers/hf_golden.js';

describe('Hugging Face import: family refusals', () => {
  it('MoE checkpoints: what GGUF\'s graphs cannot run refused by key, a missing expert named', () => {
    const q = golden('hf_qwen3_moe');
    const bad = (j: Record<string, unknown>, re: RegExp) => expect(() => hfLlamaConfig({ ...q.configJson, ...j })).toThrow(re);
    bad({ norm_topk_prob: false }, /norm_topk_prob false: llama\.cpp's qwen3moe runs it true/);
    bad({ mlp_only_layers: [1] }, /mlp_only_layers \[1\]: every layer must be sparse/);
    bad({ decoder_sparse_step: 2 }, /decoder_sparse_step 2: every layer must be sparse \(1\)/);
    bad({ num_experts_per_tok: 9 }, /num_experts_per_tok 9 exceeds the 8 experts/);
    expect(() => hfLlamaConfig({ ...golden('hf_olmoe').configJson, clip_qkv: 8 })).toThrow(/clip_qkv 8: llama\.cpp's olmoe clips nothing/);
    expect(() => hfLlamaConfig({ ...golden('hf_olmoe').configJson, norm_topk_prob: true })).toThrow(/norm_topk_prob true: llama\.cpp's olmoe runs it false/);
    const m = golden('hf_mixtral');
    const st = m.st();
    delete st.tensors['model.layers.1.block_sparse_moe.experts.3.w3.weight'];
    expect(() => importHfLlama(m.configJson, st)).toThrow(/tensor 'model\.layers\.1\.block_sparse_moe\.experts\.3\.w3\.weight' is missing \(expected shape \[32, 32\]\)/);
    const e = golden('hf_ernie4_5_moe');
    const badE = (j: Record<string, unknown>, re: RegExp) => expect(() => hfLlamaConfig({ ...e.configJson, ...j })).toThrow(re);
    badE({ moe_layer_interval: 2 }, /moe_layer_interval 2: every layer after the dense ones must be sparse/);
    badE({ moe_layer_end_index: 1 }, /moe_layer_end_index 1: the sparse layers must run to the last \(-1 or 2\)/);
    badE({ moe_k: 9 }, /moe_k 9 exceeds the 8 experts/);
    badE({ use_bias: true }, /use_bias is true: llama\.cpp's ernie4_5-moe has no output or MLP biases/);
    expect(hfLlamaConfig({ ...e.configJson, moe_num_shared_experts: 0, moe_layer_start_index: 0 }).moe).toEqual({ experts: 8, used: 3, ffn: 16, norm: true, selectionBias: true });
    const se = e.st();
    delete se.tensors['model.layers.2.mlp.moe_statics.e_score_correction_bias'];
    expect(() => importHfLlama(e.configJson, se)).toThrow(/tensor 'model\.layers\.2\.mlp\.moe_statics\.e_score_correction_bias' is missing \(expected shape \[1, 8\]\)/);
  });

  it('Granite 4.0: RoPE only with position_embedding_type "rope", the shared MLP named where missing; Granite 4.0 H\'s Mamba-2 layers as granitehybrid, what llama.cpp cannot run refused by key', () => {
    const g = golden('hf_granite4');
    const bad = (j: Record<string, unknown>, re: RegExp) => expect(() => hfLlamaConfig({ ...g.configJson, ...j })).toThrow(re);
    bad({ layer_types: ['mamba', 'conv'] }, /layer_types \["mamba","conv"\]: a GraniteMoeHybrid config lists its 2 layers \('attention' or 'mamba'\)/);
    bad({ layer_types: undefined }, /layer_types undefined: a GraniteMoeHybrid config lists its 2 layers/);
    const h = golden('hf_granite4_h');
    expect(hfLlamaConfig(h.configJson)).toMatchObject({ arch: 'granitehybrid', noRopeStep: 1, ssm: { taps: 4, inner: 64, state: 8, heads: 4, groups: 2, layers: [true, false, true] } });
    const badH = (j: Record<string, unknown>, re: RegExp) => expect(() => hfLlamaConfig({ ...h.configJson, ...j })).toThrow(re);
    badH({ mamba_expand: 3, mamba_d_head: 8, mamba_n_heads: 12 }, /mamba_expand 3: llama\.cpp's granitehybrid needs 2/);
    badH({ mamba_d_head: 8 }, /mamba_n_heads 4 x mamba_d_head 8 must be mamba_expand x hidden_size = 64/);
    badH({ mamba_n_groups: 3 }, /mamba_n_groups 3 must divide mamba_n_heads 4/);
    badH({ mamba_conv_bias: false }, /mamba_conv_bias false: llama\.cpp's granitehybrid needs the conv's bias/);
    badH({ mamba_proj_bias: true }, /mamba_proj_bias is true: llama\.cpp's granitehybrid has no in_proj \/ out_proj biases/);
    const sh = h.st();
    delete sh.tensors['model.layers.2.mamba.A_log'];
    expect(() => importHfLlama(h.configJson, sh)).toThrow(/tensor 'model\.layers\.2\.mamba\.A_log' is missing \(expected shape \[4\]\)/);
    bad({ position_embedding_type: 'alibi' }, /position_embedding_type "alibi": 'rope', 'nope' or null/);
    expect(hfLlamaConfig(g.configJson).noRopeStep).toBeUndefined();
    expect(hfLlamaConfig({ ...g.configJson, position_embedding_type: 'nope' }).noRopeStep).toBe(1);
    expect(hfLlamaConfig(golden('hf_granite4_moe').configJson)).toMatchObject({ arch: 'granitemoe', moe: { experts: 4, used: 2, ffn: 32, sharedFfn: 40 } });
    // llama.cpp 3.21.1's granitemoe rotates whatever rope.scaling.finetuned says (measured): a MoE Granite 4.0 without RoPE is refused
    expect(() => hfLlamaConfig({ ...golden('hf_granite4_moe').configJson, position_embedding_type: null })).toThrow(/position_embedding_type null with experts: llama\.cpp's granitemoe \(3\.21\.1, the judge\) applies RoPE regardless/);
    const st = g.st();
    delete st.tensors['model.layers.1.shared_mlp.input_linear.weight'];
    expect(() => importHfLlama(g.configJson, st)).toThrow(/tensor 'model\.layers\.1\.shared_mlp\.input_linear\.weight' is missing \(expected shape \[96, 32\]\)/);
  });

  it('Hunyuan: the dynamic NTK alpha folded into rope.freq_base; other rope scalings, use_qk_norm false and biases refused by key', () => {
    const h = golden('hf_hunyuan');
    expect(hfLlamaConfig(h.configJson).ropeBase).toBeCloseTo(10000 * 1000 ** (16 / 14), -2);
    const bad = (j: Record<string, unknown>, re: RegExp) => expect(() => hfLlamaConfig({ ...h.configJson, ...j })).toThrow(re);
    bad({ rope_scaling: { type: 'yarn', factor: 4 } }, /rope_scaling \{"type":"yarn","factor":4\}: only Hunyuan's dynamic NTK alpha/);
    bad({ rope_scaling: { type: 'dynamic', alpha: 1000, factor: 2 } }, /only Hunyuan's dynamic NTK alpha \(type dynamic, alpha > 0, factor 1\)/);
    bad({ use_qk_norm: false }, /use_qk_norm false: llama\.cpp's hunyuan-dense always normalizes q and k/);
    bad({ mlp_bias: true }, /mlp_bias is true: the import takes no Hunyuan biases/);
    expect(hfLlamaConfig({ ...h.configJson, rope_scaling: null }).ropeBase).toBe(10000);
  });

  it('InternLM2: biases and rope scalings other than none / dynamic refused by key; a missing wqkv named', () => {
    const g = golden('hf_internlm2');
    expect(() => hfLlamaConfig({ ...g.configJson, bias: true })).toThrow(/bias is true: llama\.cpp's internlm2 has no biases/);
    expect(() => hfLlamaConfig({ ...g.configJson, rope_scaling: { type: 'linear', factor: 2 } })).toThrow(/rope_scaling \{"type":"linear","factor":2\}: only none or dynamic/);
    expect(hfLlamaConfig({ ...g.configJson, rope_scaling: { type: 'dynamic', factor: 2 } }).ropeScale).toBeUndefined();
    const st = g.st();
    delete st.tensors['model.layers.1.attention.wqkv.weight'];
    expect(() => importHfLlama(g.configJson, st)).toThrow(/tensor 'model\.layers\.1\.attention\.wqkv\.weight' is missing \(expected shape \[64, 32\]\)/);
  });

  it("ERNIE 4.5 MoE's selection bias chooses experts in the golden model (zeroed, the logits move)", () => {
    const e = golden('hf_ernie4_5_moe');
    const { config, weights } = importHfLlama(e.configJson, e.st());
    const file = parseGgufFile(writeLlamaGguf(config, weights, byteLevelVocab()));
    const zeroed = Object.fromEntries(Object.entries(weights).map(([k, w]) => [k, k.endsWith('exp_probs_b.bias') ? new Float32Array(w.length) : w]));
    const moved = maxDiff(llamaLogitsRef(file, e.ids), llamaLogitsRef(parseGgufFile(writeLlamaGguf(config, zeroed, byteLevelVocab())), e.ids));
    expect(moved).toBeGreaterThan(1e-2);
  });
});
