// The configurations of the families beyond the Llama block, read from synthetic GGUF headers as llama.cpp reads them
// (src/nn/llama_config.ts): Gemma 1, the LayerNorm models (stablelm, starcoder2, phi2, Cohere's command-r / cohere2,
// gptneox, gpt2, starcoder, falcon), minicpm's scales, lfm2's short convolutions; each trait read, each required key or
// tensor named when missing, and what llama.cpp refuses refused. (The Llama-block families: llama_ref.test.ts.)
import { describe, expect, it } from 'vitest';
import { encodeGgufFile, gguf, parseGgufFile } from '../../src/io/gguf.js';
import { spmByteVocab, synthLlamaGguf } from '../../src/lm/synth.js';
import { llamaWeightsFromGguf, writeLlamaGguf } from '../../src/nn/llama_weights.js';
import { splitFusedTensors } from '../../src/nn/llama_layout.js';
import { attentionScale, embeddingScale, layerUsesRope, layerWindow, llamaConfigFromGguf, logitScale } from '../../src/nn/llama_config.js';
import { llamaLogitsRef } from '../../src/ref/llama.js';
import { estimateGpuBytes } from '../../src/lm/weights.js';
import { configFails as fails, synthHeader } from '../helpers/llama_config_checks.js';

describe('llama config: the families beyond the Llama block', () => {
  it('gemma (Gemma 1): GeGLU, scaled embeddings, NEOX rope, no post-norms; the head always the embedding (an output.weight refused, as llama.cpp does)', () => {
    const { file: f, tensors } = synthHeader({ arch: 'gemma', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 1, headDim: 32, seed: 1 });
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'gemma', ropeLayout: 'neox', ffnAct: 'gelu', embedScale: true, postNorms: false, qkNorm: false, tied: true, headDim: 32 });
    fails(f.metadata, [...tensors, { name: 'output.weight', type: 'F32' as never, shape: [259, 64] }], /'output\.weight' not used by a gemma model/);
  });

  it("stablelm: LayerNorm eps from layer_norm_epsilon, norm biases, q / k / v biases where present; the head never tied (StableLM 2 12B: llama_config_families_more.test.ts)", () => {
    const { file: f, tensors } = synthHeader({ arch: 'stablelm', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, ropeDims: 4, qkvBias: true, eps: 1e-5 });
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'stablelm', ropeLayout: 'neox', layerNorm: true, qkvBias: true, ropeDims: 4, eps: Math.fround(1e-5), tied: false });
    expect(tensors.filter((t) => t.name.endsWith('norm.bias')).map((t) => t.name)).toEqual(['blk.0.attn_norm.bias', 'blk.0.ffn_norm.bias', 'blk.1.attn_norm.bias', 'blk.1.ffn_norm.bias', 'output_norm.bias']);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'stablelm.attention.layer_norm_epsilon')), tensors, /metadata key 'stablelm\.attention\.layer_norm_epsilon' is missing/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'output.weight'), /'output\.weight' is missing \(a stablelm model's head is never tied/);
  });

  it('starcoder2: LayerNorms (eps from layer_norm_epsilon) with biases, biases on attn_output, ffn_up and ffn_down (required), q / k / v biases where present, no FFN gate, NEOX rope over whole heads, tied or not', () => {
    const { file: f, tensors } = synthHeader({ arch: 'starcoder2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, qkvBias: true, eps: 1e-5 });
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'starcoder2', ropeLayout: 'neox', layerNorm: true, linearBiases: true, ffnGateless: true, ffnAct: 'gelu', qkvBias: true, eps: Math.fround(1e-5), tied: false });
    expect(tensors.filter((t) => t.name.startsWith('blk.0.') && t.name.endsWith('.bias')).map((t) => t.name).sort()).toEqual(['attn_k', 'attn_norm', 'attn_output', 'attn_q', 'attn_v', 'ffn_down', 'ffn_norm', 'ffn_up'].map((n) => `blk.0.${n}.bias`));
    expect(tensors.some((t) => t.name.includes('ffn_gate'))).toBe(false);
    expect(llamaConfigFromGguf(f.metadata, tensors.filter((t) => !/attn_[qkv]\.bias/.test(t.name))).qkvBias).toBe(false);
    expect(llamaConfigFromGguf(f.metadata, tensors.filter((t) => t.name !== 'output.weight')).tied).toBe(true);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.ffn_down.bias'), /tensor 'blk\.1\.ffn_down\.bias' is missing \(expected shape \[64\]\)/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.0.attn_output.bias'), /tensor 'blk\.0\.attn_output\.bias' is missing/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'starcoder2.attention.layer_norm_epsilon')), tensors, /metadata key 'starcoder2\.attention\.layer_norm_epsilon' is missing/);
    fails({ ...f.metadata, 'starcoder2.rope.dimension_count': gguf.u32(8) }, tensors, /'starcoder2\.rope\.dimension_count' 8 below the head dim 16: starcoder2 rotates whole heads/);
    fails(f.metadata, [...tensors, { name: 'blk.0.ffn_gate.weight', type: 'F32' as never, shape: [128, 64] }], /'blk\.0\.ffn_gate\.weight' not used by a starcoder2 model/);
  });

  it('phi2: the parallel block (no ffn_norm), LayerNorms, biases on every Linear and the head, partial NEOX rope; q / k / v apart or fused in attn_qkv (weight and bias, split into views); the head never tied', () => {
    const { file: f, tensors } = synthHeader({ arch: 'phi2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 4, seed: 1, qkvBias: true, ropeDims: 8 });
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'phi2', ropeLayout: 'neox', layerNorm: true, linearBiases: true, ffnGateless: true, parallelBlock: true, outputBias: true, qkvBias: true, ropeDims: 8, tied: false });
    expect(c.fusedQkv).toBeUndefined();
    expect(tensors.some((t) => t.name.includes('ffn_norm'))).toBe(false);
    expect(tensors.find((t) => t.name === 'output.bias')!.shape).toEqual([259]);
    fails(f.metadata, [...tensors, { name: 'blk.0.ffn_norm.weight', type: 'F32' as never, shape: [64] }], /'blk\.0\.ffn_norm\.weight' not used by a phi2 model/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'output.bias'), /tensor 'output\.bias' is missing \(expected shape \[259\]\)/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'output.weight'), /'output\.weight' is missing \(a phi2 model's head is never tied/);
    const { file: fz, tensors: ft } = synthHeader({ arch: 'phi2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, qkvBias: true, ropeDims: 8, fusedQkv: true });
    expect(llamaConfigFromGguf(fz.metadata, ft)).toMatchObject({ fusedQkv: true, qkvBias: true });
    expect(ft.filter((t) => /^blk\.0\.attn_(qkv|output)/.test(t.name)).map((t) => `${t.name} [${t.shape.join(', ')}]`)).toEqual(['blk.0.attn_qkv.weight [128, 64]', 'blk.0.attn_qkv.bias [128]', 'blk.0.attn_output.weight [64, 64]', 'blk.0.attn_output.bias [64]']);
    // The fused file and the split one hold the same model: the reference gives the same logits.
    const same = parseGgufFile(synthLlamaGguf({ arch: 'phi2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, qkvBias: true, ropeDims: 8 }));
    expect(Array.from(llamaLogitsRef(fz, [1, 2, 3]))).toEqual(Array.from(llamaLogitsRef(same, [1, 2, 3])));
    fails(fz.metadata, ft.filter((t) => t.name !== 'blk.1.attn_qkv.bias'), /tensor 'blk\.1\.attn_qkv\.bias' is missing \(expected shape \[128\]\)/);
    fails(fz.metadata, [...ft, { name: 'blk.0.attn_q.weight', type: 'F32' as never, shape: [64, 64] }], /'blk\.0\.attn_q\.weight' not used by a phi2 model/);
  });

  it("command-r and cohere2: a parallel block with bias-free LayerNorms, NORM rope, logit_scale required and multiplying, always tied; cohere2's sliding layers (window required) and global ones without RoPE; per-head q / k norms refused below 64 layers (Command R+'s)", () => {
    const { file: f, tensors } = synthHeader({ arch: 'command-r', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, logitMul: 0.0625 });
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'command-r', ropeLayout: 'norm', layerNorm: true, normNoBias: true, parallelBlock: true, ffnAct: 'silu', tied: true, logitMul: 0.0625 });
    expect(logitScale(c)).toBe(0.0625);
    expect(tensors.filter((t) => t.name.endsWith('.bias') || t.name.includes('ffn_norm') || t.name === 'output.weight')).toEqual([]);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'command-r.logit_scale')), tensors, /metadata key 'command-r\.logit_scale' is missing/);
    fails(f.metadata, [...tensors, { name: 'output.weight', type: 'F32' as never, shape: [259, 64] }], /'output\.weight' not used by a command-r model/);
    fails(f.metadata, [...tensors, { name: 'blk.0.attn_q_norm.weight', type: 'F32' as never, shape: [16, 4] }], /'blk\.0\.attn_q_norm\.weight': command-r's per-head q \/ k LayerNorms are read by llama\.cpp only at 64 layers or more \(Command R\+\), this file has 2/);
    const { file: g, tensors: gt } = synthHeader({ arch: 'cohere2', dim: 64, ffn: 128, layers: 8, heads: 4, kvHeads: 2, seed: 1, logitMul: 0.25, slidingWindow: 4096 });
    const c2 = llamaConfigFromGguf(g.metadata, gt);
    expect(c2).toMatchObject({ arch: 'cohere2', tied: true, logitMul: 0.25, swa: { window: 4096, pattern: 4 }, noRopeStep: 4 });
    expect(Array.from({ length: 8 }, (_, l) => `${layerWindow(c2, l)}${layerUsesRope(c2, l) ? 'r' : ''}`)).toEqual(['4096r', '4096r', '4096r', '0', '4096r', '4096r', '4096r', '0']);
    fails(Object.fromEntries(Object.entries(g.metadata).filter(([k]) => k !== 'cohere2.attention.sliding_window')), gt, /metadata key 'cohere2\.attention\.sliding_window' is missing/);
  });

  it("minicpm: granite's graph, its embedding, residual and logit scales required; Llama 3 rope factors read", () => {
    const { file: f, tensors } = synthHeader({ arch: 'minicpm', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, multipliers: { embedding: 12, residual: 0.25, attention: 0, logit: 9 }, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 8 } });
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'minicpm', ropeLayout: 'norm', ropeFreqs: true, multipliers: { embedding: 12, residual: 0.25, attention: 0, logit: 9 } });
    expect([embeddingScale(c), logitScale(c)]).toEqual([12, Math.fround(1 / 9)]);
    for (const k of ['embedding_scale', 'residual_scale', 'logit_scale']) fails(Object.fromEntries(Object.entries(f.metadata).filter(([m]) => m !== `minicpm.${k}`)), tensors, new RegExp(`metadata key 'minicpm\\.${k}' is missing`));
  });

  it('gpt2, starcoder, falcon and gptneox: q / k / v fused in their files; gpt2 learns its positions (position_embd [ctx, dim]) and rotates nothing, gptneox reads use_parallel_residual; their heads', () => {
    const { file: f, tensors } = synthHeader({ arch: 'gpt2', dim: 64, ffn: 128, layers: 2, heads: 4, seed: 1, ctx: 48 });
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'gpt2', learnedPositions: true, fusedQkv: true, qkvBias: true, layerNorm: true, linearBiases: true, ffnGateless: true, noRopeStep: 1, tied: false });
    expect([0, 1].map((l) => layerUsesRope(c, l))).toEqual([false, false]);
    expect(tensors.find((t) => t.name === 'position_embd.weight')!.shape).toEqual([48, 64]);
    expect(llamaConfigFromGguf(f.metadata, tensors.filter((t) => t.name !== 'output.weight')).tied).toBe(true);
    fails(f.metadata, tensors.filter((t) => t.name !== 'position_embd.weight'), /tensor 'position_embd\.weight' is missing \(expected shape \[48, 64\]\)/);
    fails(f.metadata, tensors.map((t) => (t.name === 'position_embd.weight' ? { ...t, shape: [32, 64] } : t)), /'position_embd\.weight' has shape \[32, 64\], expected \[48, 64\]/);
    const { file: sc, tensors: st } = synthHeader({ arch: 'starcoder', dim: 64, ffn: 128, layers: 1, heads: 4, kvHeads: 1, seed: 1 });
    expect(llamaConfigFromGguf(sc.metadata, st)).toMatchObject({ arch: 'starcoder', kvHeads: 1, learnedPositions: true, fusedQkv: true, noRopeStep: 1 });
    expect(st.find((t) => t.name === 'blk.0.attn_qkv.weight')!.shape).toEqual([96, 64]); // q 64 + k 16 + v 16
    const { file: fa, tensors: ft } = synthHeader({ arch: 'falcon', dim: 64, ffn: 128, layers: 1, heads: 4, kvHeads: 1, seed: 1 });
    expect(llamaConfigFromGguf(fa.metadata, ft)).toMatchObject({ arch: 'falcon', parallelBlock: true, fusedQkv: true, qkvBias: false, layerNorm: true, ropeLayout: 'neox' });
    expect(llamaConfigFromGguf(fa.metadata, ft).linearBiases).toBeUndefined();
    fails(fa.metadata, [...ft, { name: 'blk.0.attn_norm_2.weight', type: 'F32' as never, shape: [64] }], /'blk\.0\.attn_norm_2\.weight': Falcon-40B's second attention norm is not supported/);
    fails({ ...fa.metadata, 'falcon.rope.dimension_count': gguf.u32(8) }, ft, /'falcon\.rope\.dimension_count' 8 below the head dim 16: falcon rotates whole heads/);
    const { file: n, tensors: nt } = synthHeader({ arch: 'gptneox', dim: 64, ffn: 128, layers: 2, heads: 4, seed: 1, ropeDims: 4 });
    expect(llamaConfigFromGguf(n.metadata, nt)).toMatchObject({ arch: 'gptneox', fusedQkv: true, qkvBias: true, parallelResidual: true, ropeDims: 4, ropeLayout: 'neox' });
    expect(llamaConfigFromGguf({ ...n.metadata, 'gptneox.use_parallel_residual': gguf.bool(false) }, nt).parallelResidual).toBeUndefined();
    fails(n.metadata, nt.filter((t) => t.name !== 'output.weight'), /'output\.weight' is missing \(a gptneox model's head is never tied/);
    fails(n.metadata, nt.filter((t) => t.name !== 'blk.0.attn_qkv.bias'), /tensor 'blk\.0\.attn_qkv\.bias' is missing/);
  });

  it('lfm2: head_count_kv one count a layer (0: a short convolution), shortconv.l_cache required, the final norm token_embd_norm; bad counts, kernel lengths, kernel types and sliding windows refused by key', () => {
    const { file: f, tensors } = synthHeader({ arch: 'lfm2', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, seed: 1, shortConv: { taps: 3, conv: [true, false, true] } });
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'lfm2', ropeLayout: 'neox', qkNorm: true, kvHeads: 2, shortConv: { taps: 3, conv: [true, false, true] } });
    expect(tensors.some((t) => t.name === 'token_embd_norm.weight') && !tensors.some((t) => t.name === 'output_norm.weight')).toBe(true);
    const kv = (v: number[]) => ({ ...f.metadata, 'lfm2.attention.head_count_kv': gguf.array('u32', v) });
    fails(kv([0, 2]), tensors, /'lfm2\.attention\.head_count_kv' has 2 entries, 'lfm2\.block_count' is 3/);
    fails(kv([0, 2, 1]), tensors, /'lfm2\.attention\.head_count_kv' gives attention layers 2 and 1 KV heads/);
    fails(kv([0, 2, 2]), tensors, /tensor 'blk\.2\.attn_q\.weight' is missing/); // the file's layer 2 is a convolution
    fails({ ...f.metadata, 'lfm2.shortconv.l_cache': gguf.u32(12) }, tensors, /'lfm2\.shortconv\.l_cache' is 12; nibble's short convolution takes 2\.\.8/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'lfm2.shortconv.l_cache')), tensors, /metadata key 'lfm2\.shortconv\.l_cache' is missing \(required\)/);
    fails({ ...f.metadata, 'lfm2.attention.sliding_window': gguf.u32(512) }, tensors, /'lfm2\.attention\.sliding_window' is 512: lfm2's sliding-window attention is not supported/);
    fails(f.metadata, tensors.map((t) => (t.name === 'blk.0.shortconv.conv.weight' ? { ...t, type: 'Q8_0' as never } : t)), /tensor 'blk\.0\.shortconv\.conv\.weight' is Q8_0, expected F32, F16 or BF16/);
    fails(f.metadata, tensors.map((t) => (t.name === 'blk.0.shortconv.conv.weight' ? { ...t, shape: [64, 4] } : t)), /tensor 'blk\.0\.shortconv\.conv\.weight' has shape \[64, 4\], expected \[64, 3\]/);
  });
});

describe('llama config: mixture-of-experts models (src/nn/llama_moe.ts)', () => {
  const experts = (e: number, u: number, f: number, sharedFfn?: number) => ({ experts: e, used: u, ffn: f, ...(sharedFfn ? { sharedFfn } : {}) });
  it("Mixtral (llama with expert_count), qwen3moe, olmoe, qwen2moe: the experts' keys and tensors [experts, ffn, dim], llama.cpp's renormalization per graph, qwen2moe's shared expert", () => {
    const { file: m, tensors: mt } = synthHeader({ dim: 64, ffn: 96, layers: 2, heads: 4, kvHeads: 2, seed: 1, moe: experts(8, 2, 96) });
    expect(llamaConfigFromGguf(m.metadata, mt)).toMatchObject({ arch: 'llama', ffn: 96, moe: { experts: 8, used: 2, ffn: 96, norm: true } });
    expect(mt.filter((t) => t.name.startsWith('blk.0.ffn_') && t.name !== 'blk.0.ffn_norm.weight').map((t) => `${t.name} [${t.shape}]`)).toEqual(['blk.0.ffn_gate_inp.weight [8,64]', 'blk.0.ffn_gate_exps.weight [8,96,64]', 'blk.0.ffn_down_exps.weight [8,64,96]', 'blk.0.ffn_up_exps.weight [8,96,64]']);
    const { file: q, tensors: qt } = synthHeader({ arch: 'qwen3moe', dim: 64, ffn: 256, layers: 2, heads: 4, kvHeads: 2, seed: 1, moe: experts(16, 4, 32) });
    expect(llamaConfigFromGguf(q.metadata, qt)).toMatchObject({ arch: 'qwen3moe', ropeLayout: 'neox', qkNorm: true, moe: { experts: 16, used: 4, ffn: 32, norm: true } });
    // llama.cpp's default width without expert_feed_forward_length: feed_forward_length / expert_used_count
    const noWidth = Object.fromEntries(Object.entries(q.metadata).filter(([k]) => k !== 'qwen3moe.expert_feed_forward_length'));
    fails(noWidth, qt, /tensor 'blk\.0\.ffn_gate_exps\.weight' has shape \[16, 32, 64\], expected \[16, 64, 64\]/);
    const { file: o, tensors: ot } = synthHeader({ arch: 'olmoe', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 4, seed: 1, moe: experts(8, 2, 64) });
    expect(llamaConfigFromGguf(o.metadata, ot)).toMatchObject({ arch: 'olmoe', qkNorm: true, qkNormFull: true, moe: { norm: false } });
    fails({ ...o.metadata, 'olmoe.attention.head_count_kv': gguf.u32(2) }, ot, /an olmoe model with 4 heads of 16 and 2 KV heads: llama\.cpp's olmoe needs head_count_kv = head_count/);
    fails(o.metadata, ot.filter((t) => t.name !== 'output.weight'), /'output\.weight' is missing \(an olmoe model's head is never tied/);
    const { file: w, tensors: wt } = synthHeader({ arch: 'qwen2moe', dim: 64, ffn: 80, layers: 2, heads: 4, kvHeads: 2, seed: 1, qkvBias: true, moe: experts(6, 2, 32, 48) });
    expect(llamaConfigFromGguf(w.metadata, wt)).toMatchObject({ arch: 'qwen2moe', qkvBias: true, moe: { experts: 6, used: 2, ffn: 32, norm: false, sharedFfn: 48 } });
    expect(wt.filter((t) => t.name.startsWith('blk.0.ffn_') && t.name.includes('shexp')).map((t) => `${t.name} [${t.shape}]`)).toEqual(['blk.0.ffn_gate_inp_shexp.weight [64]', 'blk.0.ffn_gate_shexp.weight [48,64]', 'blk.0.ffn_down_shexp.weight [64,48]', 'blk.0.ffn_up_shexp.weight [48,64]']);
    // without expert_shared_feed_forward_length the shared expert is feed_forward_length wide (llama.cpp's default)
    fails(Object.fromEntries(Object.entries(w.metadata).filter(([k]) => k !== 'qwen2moe.expert_shared_feed_forward_length')), wt, /tensor 'blk\.0\.ffn_gate_shexp\.weight' has shape \[48, 64\], expected \[80, 64\]/);
    fails(w.metadata, wt.filter((t) => t.name !== 'blk.1.ffn_up_shexp.weight'), /tensor 'blk\.1\.ffn_up_shexp\.weight' is missing/);
    // Granite: granitemoe, or granite with expert_count; a shared expert only where expert_shared_feed_forward_length > 0, ungated
    const mult = { embedding: 6, residual: 0.4, attention: 0.09, logit: 3 };
    const { file: g, tensors: gt } = synthHeader({ arch: 'granitemoe', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, seed: 1, multipliers: mult, moe: experts(8, 2, 64) });
    expect(llamaConfigFromGguf(g.metadata, gt)).toMatchObject({ arch: 'granitemoe', ropeLayout: 'norm', multipliers: { residual: Math.fround(0.4) }, moe: { experts: 8, used: 2, ffn: 64, norm: true } });
    expect(llamaConfigFromGguf(g.metadata, gt).moe!.sharedFfn).toBeUndefined();
    const { file: gs, tensors: gst } = synthHeader({ arch: 'granite', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, seed: 1, multipliers: mult, moe: experts(8, 2, 64, 96) });
    expect(llamaConfigFromGguf(gs.metadata, gst)).toMatchObject({ arch: 'granite', moe: { sharedFfn: 96, norm: true } });
    expect(gst.some((t) => t.name.includes('gate_inp_shexp'))).toBe(false);
    fails(Object.fromEntries(Object.entries(gs.metadata).filter(([k]) => k !== 'granite.expert_shared_feed_forward_length')), gst, /tensors 'blk\.0\.ffn_gate_shexp\.weight', 'blk\.0\.ffn_down_shexp\.weight'.* not used by a granite model/);
  });

  it('lfm2moe (LFM2-8B-A1B): lfm2\'s layers, leading dense layers, expert_gating_func read (sigmoid), a selection bias a MoE layer', () => {
    const { file: f, tensors } = synthHeader({ arch: 'lfm2moe', dim: 64, ffn: 96, layers: 3, heads: 4, kvHeads: 2, seed: 1, shortConv: { taps: 3, conv: [true, false, true] }, moe: { experts: 8, used: 2, ffn: 32, denseLead: 1 } });
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'lfm2moe', qkNorm: true, shortConv: { taps: 3, conv: [true, false, true] }, moe: { experts: 8, used: 2, ffn: 32, norm: true, denseLead: 1, gating: 'sigmoid', selectionBias: true } });
    expect(tensors.filter((t) => t.name.startsWith('blk.0.ffn_')).map((t) => t.name)).toEqual(['blk.0.ffn_norm.weight', 'blk.0.ffn_gate.weight', 'blk.0.ffn_up.weight', 'blk.0.ffn_down.weight']);
    expect(tensors.find((t) => t.name === 'blk.1.exp_probs_b.bias')?.shape).toEqual([8]);
    fails({ ...f.metadata, 'lfm2moe.expert_gating_func': gguf.u32(3) }, tensors, /'lfm2moe\.expert_gating_func' is 3; nibble runs 1 \(softmax\) and 2 \(sigmoid\)/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'lfm2moe.expert_gating_func')), tensors, /metadata key 'lfm2moe\.expert_gating_func' is missing \(required\)/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'lfm2moe.leading_dense_block_count')), tensors, /tensor 'blk\.0\.ffn_gate_inp\.weight' is missing/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.2.exp_probs_b.bias'), /tensor 'blk\.2\.exp_probs_b\.bias' is missing \(expected shape \[8\]\)/);
  });

  it('smallthinker (SmallThinker 4B / 21B): ReGLU experts routed from the layer input, expert_gating_func required; a sliding window of 4096 whatever the file says, the first layer of each pattern global and the first of each 4 without RoPE', () => {
    const { file: f, tensors } = synthHeader({ arch: 'smallthinker', dim: 64, ffn: 64, layers: 6, heads: 4, kvHeads: 2, seed: 1, slidingWindow: 100, moe: { experts: 8, used: 2, ffn: 32, gating: 'sigmoid' } });
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'smallthinker', ropeLayout: 'neox', ffnAct: 'relu', moe: { experts: 8, used: 2, ffn: 32, norm: true, gating: 'sigmoid', routerOnInput: true }, swa: { window: 4096, pattern: 4, denseFirst: true }, noRopeStep: 4, noRopeFirst: true });
    expect([0, 1, 2, 3, 4, 5].map((l) => [layerWindow(c, l), layerUsesRope(c, l)])).toEqual([[0, false], [4096, true], [4096, true], [4096, true], [0, false], [4096, true]]);
    // sliding_window_pattern 2: every other layer global, the NoPE step still 4 (llama.cpp's default, read from no key)
    const c2 = llamaConfigFromGguf({ ...f.metadata, 'smallthinker.attention.sliding_window_pattern': gguf.u32(2) }, tensors);
    expect([0, 1, 2, 3].map((l) => [layerWindow(c2, l), layerUsesRope(c2, l)])).toEqual([[0, false], [4096, true], [0, true], [4096, true]]);
    const dense = synthHeader({ arch: 'smallthinker', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, seed: 1, moe: { experts: 8, used: 2, ffn: 32 } });
    const cd = llamaConfigFromGguf(dense.file.metadata, dense.tensors);
    expect(cd.swa).toBeUndefined();
    expect([layerUsesRope(cd, 0), cd.moe!.gating]).toEqual([true, undefined]); // no window: every layer rotates; softmax
    fails({ ...f.metadata, 'smallthinker.expert_gating_func': gguf.u32(3) }, tensors, /'smallthinker\.expert_gating_func' is 3; nibble runs 1 \(softmax\) and 2 \(sigmoid\)/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'smallthinker.expert_gating_func')), tensors, /metadata key 'smallthinker\.expert_gating_func' is missing \(required\)/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'smallthinker.expert_feed_forward_length')), tensors, /metadata key 'smallthinker\.expert_feed_forward_length' is missing \(required\)/);
  });

  it('deepseek2 (multi-head latent attention): the ranks and both head sizes read, the Lite models\' q without LoRA, YaRN\'s log multiplier; a legacy file, attention temperature and linear scaling refused by key', () => {
    const o = { arch: 'deepseek2' as const, dim: 64, ffn: 128, layers: 3, heads: 4, seed: 1, mla: { qLora: 32, kvLora: 32, nope: 16, rope: 8, v: 16, logMul: 0.5 }, yarn: { factor: 4, origCtx: 16 }, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1 } };
    const { file: f, tensors } = synthHeader(o);
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'deepseek2', ropeLayout: 'norm', heads: 4, kvHeads: 1, headDim: 40, ropeDims: 8, mla: { qLora: 32, kvLora: 32, nope: 16, v: 16 }, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1, norm: false } });
    expect(c.mla!.logMul).toBeCloseTo(0.5, 6);
    expect(c.moe!.gating).toBeUndefined(); // (no expert_gating_func: softmax, as llama.cpp's deepseek2 loader takes it)
    expect(tensors.some((t) => t.name === 'blk.0.attn_q_a.weight') && tensors.some((t) => t.name === 'blk.0.attn_k_b.weight')).toBe(true);
    // the score scale mscale^2 / sqrt(nope + rope), mscale = 1 + 0.1 m ln(factor) with the log multiplier
    expect(attentionScale(c)).toBeCloseTo((1 + 0.05 * Math.log(4)) ** 2 / Math.sqrt(24), 6);
    // one KV cache a layer (the values are the keys' rows): 3 layers x 32 positions x 40 f32s; minicpm3's keeps two
    expect(estimateGpuBytes(c, tensors, 32, 8).kv).toBe(3 * 32 * 40 * 4);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => !k.endsWith('_mla'))), tensors, /metadata 'deepseek2\.attention\.key_length_mla' is missing: a legacy deepseek2 file/);
    fails({ ...f.metadata, 'deepseek2.attention.value_length': gguf.u32(40) }, tensors, /'deepseek2\.attention\.value_length' 40 must be kv_lora_rank 32/);
    fails({ ...f.metadata, 'deepseek2.attention.head_count_kv': gguf.u32(4) }, tensors, /'deepseek2\.attention\.head_count_kv' is 4; MLA runs as one KV head/);
    fails({ ...f.metadata, 'deepseek2.attention.temperature_scale': gguf.f32(0.1) }, tensors, /attention temperature \(Mistral Large 3\) is not supported/);
    fails({ ...f.metadata, 'deepseek2.rope.scaling.type': gguf.str('linear'), 'deepseek2.rope.scaling.factor': gguf.f32(2) }, tensors, /linear rope scaling \(factor 2\) of a deepseek2 model is not supported/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'deepseek2.attention.q_lora_rank')), tensors, /metadata key 'deepseek2\.attention\.q_lora_rank' is missing \(required\)/);
    fails({ ...f.metadata, 'deepseek2.leading_dense_block_count': gguf.u32(0) }, tensors, /tensor 'blk\.0\.ffn_gate_inp\.weight' is missing/);
    // the Lite models (27 layers): no q_lora_rank read, attn_q instead of the q LoRA
    const lite = synthHeader({ ...o, layers: 27, mla: { ...o.mla, qLora: 0 }, yarn: undefined });
    const cl = llamaConfigFromGguf(lite.file.metadata, lite.tensors);
    expect([cl.mla!.qLora, cl.layers]).toEqual([0, 27]);
    expect(lite.tensors.some((t) => t.name === 'blk.0.attn_q.weight')).toBe(true);
    // no experts: every layer must be a leading dense one
    const dense = synthHeader({ ...o, moe: undefined });
    expect(llamaConfigFromGguf(dense.file.metadata, dense.tensors).moe).toBeUndefined();
    fails({ ...dense.file.metadata, 'deepseek2.leading_dense_block_count': gguf.u32(1) }, dense.tensors, /'deepseek2\.leading_dense_block_count' is 1, below the 3 layers of a deepseek2 model without experts/);
  });

  it('minicpm3 (MiniCPM 3): its latent attention with attn_kv_b whole, a KV head a head, the graph\'s fixed scales, LongRoPE\'s factors; rope scaling, fewer KV heads and values wider than keys refused', () => {
    const o = { arch: 'minicpm3' as const, dim: 64, ffn: 128, layers: 4, heads: 4, seed: 1, mla: { qLora: 32, kvLora: 32, nope: 16, rope: 8, v: 16 }, longRope: { origCtx: 16, attnFactor: 1.1 } };
    const { file: f, tensors } = synthHeader(o);
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'minicpm3', ropeLayout: 'neox', heads: 4, kvHeads: 4, headDim: 24, ropeDims: 8, mla: { qLora: 32, kvLora: 32, nope: 16, v: 16, kvB: true }, multipliers: { embedding: 12, residual: 0.7, attention: 0, logit: 0.25 }, longRope: { origCtx: 16 }, ropeAttnFactor: 1.100000023841858 });
    expect(tensors.some((t) => t.name === 'blk.0.attn_kv_b.weight') && !tensors.some((t) => t.name === 'blk.0.attn_k_b.weight')).toBe(true);
    expect(attentionScale(c)).toBeCloseTo(1 / Math.sqrt(24), 6);
    expect(estimateGpuBytes(c, tensors, 32, 8).kv).toBe(2 * 4 * 32 * 4 * 24 * 4); // (keys and padded values: two caches of 4 heads of 24)
    expect([embeddingScale(c), logitScale(c)]).toEqual([12, 4]);
    fails({ ...f.metadata, 'minicpm3.attention.head_count_kv': gguf.u32(2) }, tensors, /'minicpm3\.attention\.head_count_kv' 2 differs from 'minicpm3\.attention\.head_count' 4/);
    fails({ ...f.metadata, 'minicpm3.attention.value_length': gguf.u32(32) }, tensors, /'minicpm3\.attention\.value_length' 32 above 'minicpm3\.attention\.key_length' 24 is not supported/);
    fails({ ...f.metadata, 'minicpm3.rope.scaling.type': gguf.str('yarn'), 'minicpm3.rope.scaling.factor': gguf.f32(4) }, tensors, /minicpm3 with rope scaling other than LongRoPE's factors is not supported/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'minicpm3.attention.q_lora_rank')), tensors, /metadata key 'minicpm3\.attention\.q_lora_rank' is missing \(required\)/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'rope_factors_short.weight'), /'rope_factors_short\.weight' is missing \(minicpm3's LongRoPE needs both/);
  });

  it('dots1 (dots.llm1): qwen3\'s attention, glm4moe\'s experts with the gating function and the shared count required, a selection bias where the file has one, the head never tied', () => {
    const { file: f, tensors } = synthHeader({ arch: 'dots1', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 4, seed: 1, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64, denseLead: 1, gating: 'sigmoid', selectionBias: true, norm: true, weightScale: 2.5 } });
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'dots1', ropeLayout: 'neox', qkNorm: true, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64, denseLead: 1, gating: 'sigmoid', selectionBias: true, norm: true, weightScale: 2.5 } });
    const plain = synthHeader({ arch: 'dots1', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 4, seed: 1, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 32 } });
    const cp = llamaConfigFromGguf(plain.file.metadata, plain.tensors);
    expect([cp.moe!.gating, cp.moe!.selectionBias, cp.moe!.norm, cp.moe!.denseLead]).toEqual([undefined, undefined, false, undefined]); // softmax, no bias
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'dots1.expert_gating_func')), tensors, /metadata key 'dots1\.expert_gating_func' is missing \(required\)/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'dots1.expert_shared_count')), tensors, /metadata key 'dots1\.expert_shared_count' is missing \(required\)/);
    fails({ ...f.metadata, 'dots1.expert_shared_count': gguf.u32(0) }, tensors, /'dots1\.expert_shared_count'/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'output.weight'), /tensor 'output\.weight' is missing \(a dots1 model's head is never tied/);
    // group-limited expert selection (DeepSeek V3's n_group / topk_group, which llama.cpp applies to any architecture's experts)
    expect(llamaConfigFromGguf({ ...f.metadata, 'dots1.expert_group_count': gguf.u32(1), 'dots1.expert_group_used_count': gguf.u32(1) }, tensors).moe!.experts).toBe(8);
    const grouped = (count: number, used?: number) => ({ ...f.metadata, 'dots1.expert_group_count': gguf.u32(count), ...(used !== undefined ? { 'dots1.expert_group_used_count': gguf.u32(used) } : {}) });
    expect(llamaConfigFromGguf(grouped(4, 2), tensors).moe!.groups).toEqual({ count: 4, used: 2 });
    fails(grouped(4), tensors, /metadata key 'dots1\.expert_group_used_count' is missing \(required\)/);
    fails(grouped(3, 1), tensors, /'dots1\.expert_group_count' 3 must divide 'dots1\.expert_count' 8 into groups of at least 2 experts/);
    fails(grouped(8, 2), tensors, /'dots1\.expert_group_count' 8 must divide 'dots1\.expert_count' 8 into groups of at least 2 experts/);
    fails(grouped(4, 4), tensors, /'dots1\.expert_group_used_count' is 4; it must be 1\.\.3/);
    fails(grouped(4, 0), tensors, /'dots1\.expert_group_used_count' must be an integer >= 1, found u32 0/);
    const three = synthHeader({ arch: 'dots1', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 4, seed: 1, moe: { experts: 8, used: 3, ffn: 32, sharedFfn: 32 } });
    fails({ ...three.file.metadata, 'dots1.expert_group_count': gguf.u32(4), 'dots1.expert_group_used_count': gguf.u32(1) }, three.tensors, /'dots1\.expert_group_used_count' 1 groups of 2 experts hold fewer than 'dots1\.expert_used_count' 3/);
    fails({ ...f.metadata, 'dots1.attention.head_count_kv': gguf.u32(2) }, tensors, /'dots1\.attention\.head_count_kv' 2 differs from 'dots1\.attention\.head_count' 4: llama\.cpp's dots1 sizes k and v by head_count/);
  });

  it('mellum (Mellum): qwen3moe\'s attention and experts, the sliding layers as one bool a layer (or a period), required with a window, rotating plainly', () => {
    const { file: f, tensors } = synthHeader({ arch: 'mellum', dim: 64, ffn: 64, layers: 4, heads: 4, kvHeads: 2, seed: 1, slidingWindow: 8, slidingLayers: [true, false, true, true], moe: { experts: 8, used: 2, ffn: 32 } });
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'mellum', ropeLayout: 'neox', qkNorm: true, moe: { experts: 8, used: 2, ffn: 32, norm: true }, swa: { window: 8, ropeScale: 1, plainRope: true, layers: [true, false, true, true] } });
    expect([0, 1, 2, 3].map((l) => layerWindow(c, l))).toEqual([8, 0, 8, 8]);
    const period = llamaConfigFromGguf({ ...f.metadata, 'mellum.attention.sliding_window_pattern': gguf.u32(2) }, tensors);
    expect([0, 1, 2, 3].map((l) => layerWindow(period, l))).toEqual([8, 0, 8, 0]); // a period: its last layer global
    fails({ ...f.metadata, 'mellum.attention.sliding_window_pattern': gguf.array('bool', [true, false]) }, tensors, /'mellum\.attention\.sliding_window_pattern' must be 4 bools \(one a layer\) or a period, found 2 entries/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'mellum.attention.sliding_window_pattern')), tensors, /metadata key 'mellum\.attention\.sliding_window_pattern' is missing \(required\)/);
    fails(Object.fromEntries(Object.entries(f.metadata).filter(([k]) => k !== 'mellum.expert_feed_forward_length')), tensors, /metadata key 'mellum\.expert_feed_forward_length' is missing \(required\)/);
    const plain = synthHeader({ arch: 'mellum', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, seed: 1, moe: { experts: 8, used: 2, ffn: 32 } });
    expect(llamaConfigFromGguf(plain.file.metadata, plain.tensors).swa).toBeUndefined();
  });

  it('ernie4_5-moe (ERNIE-4.5-21B-A3B): leading dense layers, the interleave step (only 1), shared experts, a selection bias where the file has one', () => {
    const { file: f, tensors } = synthHeader({ arch: 'ernie4_5-moe', dim: 64, ffn: 128, layers: 3, heads: 4, kvHeads: 2, seed: 1, moe: { experts: 8, used: 3, ffn: 32, sharedFfn: 64, denseLead: 1, selectionBias: true } });
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'ernie4_5-moe', ropeLayout: 'norm', moe: { experts: 8, used: 3, ffn: 32, norm: true, sharedFfn: 64, denseLead: 1, selectionBias: true } });
    expect(llamaConfigFromGguf(f.metadata, tensors).moe!.gating).toBeUndefined(); // the softmax
    expect(tensors.filter((t) => t.name.startsWith('blk.0.ffn_')).map((t) => t.name)).toEqual(['blk.0.ffn_norm.weight', 'blk.0.ffn_gate.weight', 'blk.0.ffn_up.weight', 'blk.0.ffn_down.weight']);
    expect(tensors.find((t) => t.name === 'blk.2.ffn_down_shexp.weight')?.shape).toEqual([64, 64]);
    const without = (k: string) => Object.fromEntries(Object.entries(f.metadata).filter(([key]) => key !== k));
    fails({ ...f.metadata, 'ernie4_5-moe.interleave_moe_layer_step': gguf.u32(2) }, tensors, /'ernie4_5-moe\.interleave_moe_layer_step' is 2; nibble \(like llama\.cpp's loader\) runs 1/);
    fails(without('ernie4_5-moe.interleave_moe_layer_step'), tensors, /metadata key 'ernie4_5-moe\.interleave_moe_layer_step' is missing \(required\)/);
    fails(without('ernie4_5-moe.leading_dense_block_count'), tensors, /metadata key 'ernie4_5-moe\.leading_dense_block_count' is missing \(required\)/);
    fails(without('ernie4_5-moe.expert_feed_forward_length'), tensors, /metadata key 'ernie4_5-moe\.expert_feed_forward_length' is missing \(required\)/);
    // the selection bias is optional (llama.cpp's loader): absent from every layer, the router chooses by probability
    expect(llamaConfigFromGguf(f.metadata, tensors.filter((t) => !t.name.endsWith('exp_probs_b.bias'))).moe!.selectionBias).toBeUndefined();
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.2.exp_probs_b.bias'), /tensor 'blk\.2\.exp_probs_b\.bias' is missing \(expected shape \[8\]\)/);
    fails(without('ernie4_5-moe.expert_shared_feed_forward_length'), tensors, /tensors 'blk\.1\.ffn_gate_shexp\.weight'.* not used by a ernie4_5-moe model/);
  });

  it('bailingmoe (Ling-lite): every layer sparse, a shared expert of expert_shared_count experts, the renormalization and scale read, whole heads only', () => {
    const { file: f, tensors } = synthHeader({ arch: 'bailingmoe', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64, norm: true, weightScale: 2.5 } });
    expect(f.metadata['bailingmoe.expert_shared_count'].value).toBe(2);
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'bailingmoe', ropeLayout: 'norm', tied: false, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64, norm: true, weightScale: 2.5 } });
    const without = (k: string) => Object.fromEntries(Object.entries(f.metadata).filter(([key]) => key !== k));
    const plain = llamaConfigFromGguf(without('bailingmoe.expert_weights_scale'), tensors).moe!;
    expect([plain.weightScale, llamaConfigFromGguf(without('bailingmoe.expert_weights_norm'), tensors).moe!.norm]).toEqual([undefined, false]); // llama.cpp's defaults: no scale, no renormalization
    fails(without('bailingmoe.expert_shared_count'), tensors, /metadata key 'bailingmoe\.expert_shared_count' is missing \(required\)/);
    fails(without('bailingmoe.expert_feed_forward_length'), tensors, /metadata key 'bailingmoe\.expert_feed_forward_length' is missing \(required\)/);
    fails({ ...f.metadata, 'bailingmoe.rope.dimension_count': gguf.u32(8) }, tensors, /'bailingmoe\.rope\.dimension_count' 8 differs from the head dim 16/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'output.weight'), /tensor 'output\.weight' is missing \(a bailingmoe model's head is never tied/);
  });

  it('hunyuan-dense / hunyuan-moe: qwen3\'s per-head q / k norms after RoPE; hunyuan-moe\'s experts of feed_forward_length (expert_feed_forward_length required, equal) and its shared expert required', () => {
    const { file: d, tensors: dt } = synthHeader({ arch: 'hunyuan-dense', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1 });
    expect(llamaConfigFromGguf(d.metadata, dt)).toMatchObject({ arch: 'hunyuan-dense', ropeLayout: 'neox', qkNorm: true, qkNormAfterRope: true });
    const { file: f, tensors } = synthHeader({ arch: 'hunyuan-moe', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, moe: { experts: 4, used: 2, ffn: 128, sharedFfn: 64 } });
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'hunyuan-moe', qkNormAfterRope: true, moe: { experts: 4, used: 2, ffn: 128, sharedFfn: 64, norm: true } });
    const without = (k: string) => Object.fromEntries(Object.entries(f.metadata).filter(([key]) => key !== k));
    fails(without('hunyuan-moe.expert_feed_forward_length'), tensors, /metadata key 'hunyuan-moe\.expert_feed_forward_length' is missing \(required\)/);
    fails({ ...f.metadata, 'hunyuan-moe.expert_feed_forward_length': gguf.u32(64) }, tensors, /'hunyuan-moe\.expert_feed_forward_length' 64 differs from 'hunyuan-moe\.feed_forward_length' 128/);
    fails(without('hunyuan-moe.expert_shared_feed_forward_length'), tensors, /metadata key 'hunyuan-moe\.expert_shared_feed_forward_length' is missing \(required\)/);
  });

  it('seed_oss (Seed-OSS-36B): a Llama (NEOX RoPE) whose file names its FFN norm post_attention_norm; a score scale refused by key', () => {
    const { file: f, tensors } = synthHeader({ arch: 'seed_oss', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, headDim: 32, seed: 1, qkvBias: true });
    expect(tensors.some((t) => t.name === 'blk.0.post_attention_norm.weight') && !tensors.some((t) => t.name === 'blk.0.ffn_norm.weight')).toBe(true);
    expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch: 'seed_oss', ropeLayout: 'neox', qkvBias: true, headDim: 32 });
    fails({ ...f.metadata, 'seed_oss.attention.scale': gguf.f32(0.5) }, tensors, /'seed_oss\.attention\.scale' is 0\.5: seed_oss's score scale other than 1\/sqrt\(head dim\) is not supported/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.post_attention_norm.weight'), /tensor 'blk\.1\.post_attention_norm\.weight' is missing/);
  });

  it('glm4moe (GLM-4.5): its multi-token-prediction layers counted out and not read, sigmoids with a required selection bias, the FFN norm named post_attention_norm, q / k norms where the file has them', () => {
    const { file: f, tensors } = synthHeader({ arch: 'glm4moe', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, qkvBias: true, qkNorm: true, ropeDims: 8, nextn: 1, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64, denseLead: 1, norm: true } });
    expect([f.metadata['glm4moe.block_count'].value, tensors.some((t) => t.name === 'blk.2.nextn.eh_proj.weight')]).toEqual([3, true]);
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'glm4moe', layers: 2, ropeLayout: 'neox', ropeDims: 8, qkvBias: true, qkNorm: true, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 64, denseLead: 1, norm: true, gating: 'sigmoid', selectionBias: true } });
    expect(splitFusedTensors(c, f.tensors).some((t) => t.name.startsWith('blk.2.'))).toBe(false); // the MTP layer is not read
    expect(llamaConfigFromGguf(f.metadata, tensors.filter((t) => !t.name.includes('attn_q_norm') && !t.name.includes('attn_k_norm'))).qkNorm).toBe(false);
    fails({ ...f.metadata, 'glm4moe.nextn_predict_layers': gguf.u32(3) }, tensors, /'glm4moe\.nextn_predict_layers' 3 must be below 'glm4moe\.block_count' 3/);
    fails({ ...f.metadata, 'glm4moe.nextn_predict_layers': gguf.u32(0) }, tensors, /tensors 'blk\.2\.nextn\.eh_proj\.weight'.* not used by a glm4moe model with 3 layers/);
    fails({ ...f.metadata, 'glm4moe.rope.dimension_sections': gguf.array('i32', [2, 1, 1, 0]) }, tensors, /'glm4moe\.rope\.dimension_sections': GLM-4\.5V's M-RoPE is not supported/);
    fails({ ...f.metadata, 'glm4moe.expert_gating_func': gguf.u32(3) }, tensors, /'glm4moe\.expert_gating_func' is 3; nibble runs 1 \(softmax\) and 2 \(sigmoid\)/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.exp_probs_b.bias'), /tensor 'blk\.1\.exp_probs_b\.bias' is missing/);
    const without = (k: string) => Object.fromEntries(Object.entries(f.metadata).filter(([key]) => key !== k));
    fails(without('glm4moe.expert_shared_count'), tensors, /metadata key 'glm4moe\.expert_shared_count' is missing \(required\)/);
  });

  it('gpt-oss: sinks, even layers sliding with the model\'s YaRN, biased experts of expert_feed_forward_length; the window, the experts\' width, the sinks and the head required', () => {
    const { file: f, tensors } = synthHeader({ arch: 'gpt-oss', dim: 64, ffn: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 32, seed: 1, qkvBias: true, yarn: { factor: 4, origCtx: 16 }, moe: { experts: 8, used: 2, ffn: 32 } });
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'gpt-oss', ropeLayout: 'neox', qkvBias: true, linearBiases: true, attnSinks: true, ffnAct: 'swiglu_oai', tied: false, swa: { window: 8, pattern: 2, ropeBase: 10000 }, yarn: { factor: 4, origCtx: 16 }, moe: { experts: 8, used: 2, ffn: 32, norm: true, biases: true } });
    expect([layerWindow(c, 0), layerWindow(c, 1)]).toEqual([8, 0]);
    expect(llamaConfigFromGguf({ ...f.metadata, 'gpt-oss.rope.freq_base_swa': gguf.f32(5e5), 'gpt-oss.attention.sliding_window_pattern': gguf.u32(3) }, tensors).swa).toMatchObject({ pattern: 3, ropeBase: 5e5 });
    const without = (k: string) => Object.fromEntries(Object.entries(f.metadata).filter(([key]) => key !== k));
    fails(without('gpt-oss.attention.sliding_window'), tensors, /metadata key 'gpt-oss\.attention\.sliding_window' is missing \(required\)/);
    fails(without('gpt-oss.expert_feed_forward_length'), tensors, /metadata key 'gpt-oss\.expert_feed_forward_length' is missing \(required\)/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.attn_sinks.weight'), /tensor 'blk\.1\.attn_sinks\.weight' is missing \(expected shape \[4\]\)/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.0.ffn_down_exps.bias'), /tensor 'blk\.0\.ffn_down_exps\.bias' is missing \(expected shape \[8, 64\]\)/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'output.weight'), /tensor 'output\.weight' is missing \(a gpt-oss model's head is never tied/);
  });

  it('granitehybrid (Granite 4.0 H): Mamba-2 layers where head_count_kv is 0, the ssm keys required, inner twice the width, optional multipliers, the conv bias required', () => {
    const { file: f, tensors } = synthHeader({ arch: 'granitehybrid', dim: 32, ffn: 64, layers: 3, heads: 4, kvHeads: 2, seed: 1, multipliers: { embedding: 2, residual: 0.5, attention: 0, logit: 2 }, ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [true, false, true] } });
    expect(f.metadata['granitehybrid.attention.head_count_kv']).toMatchObject({ type: 'array' });
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'granitehybrid', kvHeads: 2, ropeLayout: 'norm', ssm: { taps: 4, inner: 64, state: 8, heads: 4, groups: 2, layers: [true, false, true] }, multipliers: { embedding: 2, residual: 0.5, logit: 2 } });
    expect(tensors.find((t) => t.name === 'blk.0.ssm_norm.weight')?.shape).toEqual([2, 32]);
    expect(tensors.find((t) => t.name === 'blk.0.ssm_a')?.shape).toEqual([4, 1]);
    expect(tensors.some((t) => t.name.startsWith('blk.0.attn_q'))).toBe(false);
    const without = (k: string) => Object.fromEntries(Object.entries(f.metadata).filter(([key]) => key !== k));
    // llama.cpp's granitehybrid reads its multipliers as optional: a file without a logit scale divides by nothing
    expect(logitScale(llamaConfigFromGguf(without('granitehybrid.logit_scale'), tensors))).toBe(1);
    fails(without('granitehybrid.ssm.state_size'), tensors, /metadata key 'granitehybrid\.ssm\.state_size' is missing \(required\)/);
    fails({ ...f.metadata, 'granitehybrid.ssm.inner_size': gguf.u32(96) }, tensors, /'granitehybrid\.ssm\.inner_size' 96 must be twice 'granitehybrid\.embedding_length' 32/);
    fails({ ...f.metadata, 'granitehybrid.ssm.group_count': gguf.u32(3) }, tensors, /'granitehybrid\.ssm\.group_count' 3 must divide/);
    fails({ ...f.metadata, 'granitehybrid.ssm.conv_kernel': gguf.u32(9) }, tensors, /'granitehybrid\.ssm\.conv_kernel' is 9; nibble's Mamba-2 convolution takes 2\.\.8/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.2.ssm_conv1d.bias'), /tensor 'blk\.2\.ssm_conv1d\.bias' is missing \(expected shape \[96\]\)/);
    fails({ ...f.metadata, 'granitehybrid.attention.head_count_kv': gguf.array('u32', [0, 2]) }, tensors, /'granitehybrid\.attention\.head_count_kv' has 2 entries, 'granitehybrid\.block_count' is 3/);
  });

  it('falcon-h1: attention and a Mamba-2 mixer in every layer, its FFN norm named blk.N.ffn_norm, ssm_norm where the file has it', () => {
    const { file: f, tensors } = synthHeader({ arch: 'falcon-h1', dim: 32, ffn: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, seed: 1, ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [true, true], inner: 48 } });
    expect(tensors.some((t) => t.name === 'blk.1.ffn_norm') && !tensors.some((t) => t.name === 'blk.1.ffn_norm.weight')).toBe(true);
    expect(f.metadata['falcon-h1.attention.head_count_kv']).toEqual(gguf.u32(2));
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'falcon-h1', ropeLayout: 'neox', kvHeads: 2, headDim: 16, ssm: { inner: 48, state: 8, heads: 4, groups: 2, layers: [true, true], parallel: true } });
    expect(c.ssm!.noNorm).toBeUndefined();
    expect(llamaConfigFromGguf(f.metadata, tensors.filter((t) => !t.name.endsWith('.ssm_norm.weight'))).ssm!.noNorm).toBe(true);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.0.attn_q.weight'), /tensor 'blk\.0\.attn_q\.weight' is missing/);
    fails(f.metadata, tensors.map((t) => (t.name === 'blk.0.ffn_norm' ? { ...t, name: 'blk.0.ffn_norm.weight' } : t)), /tensor 'blk\.0\.ffn_norm' is missing/);
  });

  it('nemotron_h: each layer\'s mixer from the per-layer KV-head and FFN-width arrays, no RoPE, the LayerNorm epsilon llama.cpp requires', () => {
    const { file: f, tensors } = synthHeader({ arch: 'nemotron_h', dim: 32, ffn: 64, layers: 4, heads: 4, kvHeads: 2, headDim: 16, seed: 1, ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [] }, layerKinds: ['ssm', 'ffn', 'attention', 'ssm'] });
    expect(f.metadata['nemotron_h.feed_forward_length']).toMatchObject({ type: 'array' });
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'nemotron_h', kvHeads: 2, ffn: 64, ffnAct: 'relu2', ffnGateless: true, noRopeStep: 1, layerKinds: ['ssm', 'ffn', 'attention', 'ssm'], ssm: { layers: [true, false, false, true], inner: 64 } });
    expect([0, 1, 2, 3].map((l) => layerUsesRope(c, l))).toEqual([false, false, false, false]);
    expect(tensors.some((t) => t.name === 'blk.1.attn_q.weight') || tensors.some((t) => t.name === 'blk.2.ffn_up.weight')).toBe(false);
    const without = (k: string) => Object.fromEntries(Object.entries(f.metadata).filter(([key]) => key !== k));
    fails(without('nemotron_h.attention.layer_norm_epsilon'), tensors, /metadata key 'nemotron_h\.attention\.layer_norm_epsilon' is missing \(required\)/);
    fails({ ...f.metadata, 'nemotron_h.feed_forward_length': gguf.array('u32', [0, 64, 0, 32]) }, tensors, /'nemotron_h\.feed_forward_length' gives the MLP layers 64 and 32/);
    fails({ ...f.metadata, 'nemotron_h.feed_forward_length': gguf.array('u32', [0, 64]) }, tensors, /'nemotron_h\.feed_forward_length' has 2 entries, 'nemotron_h\.block_count' is 4/);
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.ffn_down.weight'), /tensor 'blk\.1\.ffn_down\.weight' is missing/);
  });

  it('mamba2: every layer a Mamba-2 mixer; its converter\'s head_count and feed_forward_length 0 read as no attention', () => {
    const { file: f, tensors } = synthHeader({ arch: 'mamba2', dim: 32, ffn: 0, layers: 2, heads: 1, seed: 1, ssm: { taps: 4, state: 8, heads: 4, groups: 2, layers: [] } });
    expect([f.metadata['mamba2.attention.head_count'], f.metadata['mamba2.feed_forward_length'], f.metadata['mamba2.attention.head_count_kv']]).toEqual([gguf.u32(0), gguf.u32(0), undefined]);
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'mamba2', heads: 1, ffn: 0, noRopeStep: 1, layerKinds: ['ssm', 'ssm'], ssm: { layers: [true, true], inner: 64, groups: 2 } });
    expect(tensors.filter((t) => t.name.startsWith('blk.0.')).map((t) => t.name.slice(6)).sort()).toEqual(['attn_norm.weight', 'ssm_a', 'ssm_conv1d.bias', 'ssm_conv1d.weight', 'ssm_d', 'ssm_dt.bias', 'ssm_in.weight', 'ssm_norm.weight', 'ssm_out.weight']);
    const without = (k: string) => Object.fromEntries(Object.entries(f.metadata).filter(([key]) => key !== k));
    fails(without('mamba2.ssm.group_count'), tensors, /metadata key 'mamba2\.ssm\.group_count' is missing \(required\)/);
  });

  it('qwen35 (Qwen3.5): Gated DeltaNet layers by full_attention_interval or attention.recurrent_layers, the ssm keys and M-RoPE sections required; attn_q\'s per-head q / gate halves split', () => {
    const dn = { taps: 4, state: 8, kHeads: 2, vHeads: 4, layers: [true, true, true, false] };
    const { file: f, tensors } = synthHeader({ arch: 'qwen35', dim: 32, ffn: 64, layers: 4, heads: 4, kvHeads: 2, headDim: 8, ropeDims: 4, seed: 1, deltaNet: dn });
    expect(f.metadata['qwen35.attention.recurrent_layers']).toBeUndefined(); // (the default rule: every fourth layer attends)
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'qwen35', ropeLayout: 'neox', qkNorm: true, ropeDims: 4, headDim: 8, deltaNet: dn });
    expect(tensors.filter((t) => t.name.startsWith('blk.0.')).map((t) => t.name.slice(6)).sort()).toEqual(['attn_gate.weight', 'attn_norm.weight', 'attn_qkv.weight', 'ffn_down.weight', 'ffn_gate.weight', 'ffn_up.weight', 'post_attention_norm.weight', 'ssm_a', 'ssm_alpha.weight', 'ssm_beta.weight', 'ssm_conv1d.weight', 'ssm_dt.bias', 'ssm_norm.weight', 'ssm_out.weight']);
    expect(tensors.find((t) => t.name === 'blk.3.attn_q.weight')?.shape).toEqual([2 * 4 * 8, 32]);
    // the file's attn_q rows alternate q and gate a head at a time: the definition's attn_q and attn_q_gate
    const parsed = parseGgufFile(synthLlamaGguf({ arch: 'qwen35', dim: 32, ffn: 64, layers: 4, heads: 4, kvHeads: 2, headDim: 8, ropeDims: 4, seed: 1, deltaNet: dn }));
    const whole = parsed.tensors.find((t) => t.name === 'blk.3.attn_q.weight')!.data;
    const parts = splitFusedTensors(c, parsed.tensors);
    const row = 32 * 4; // F32 bytes a row
    const [q, gate] = ['blk.3.attn_q.weight', 'blk.3.attn_q_gate.weight'].map((n) => parts.find((t) => t.name === n)!);
    expect([q.shape, gate.shape]).toEqual([[32, 32], [32, 32]]);
    for (let h = 0; h < 4; h++) {
      expect(q.data.subarray(h * 8 * row, (h + 1) * 8 * row)).toEqual(whole.subarray(2 * h * 8 * row, (2 * h + 1) * 8 * row));
      expect(gate.data.subarray(h * 8 * row, (h + 1) * 8 * row)).toEqual(whole.subarray((2 * h + 1) * 8 * row, (2 * h + 2) * 8 * row));
    }
    const m = (o: Record<string, unknown>) => ({ ...f.metadata, ...o }) as typeof f.metadata;
    const without = (k: string) => Object.fromEntries(Object.entries(f.metadata).filter(([key]) => key !== k));
    // full_attention_interval 2 makes layers 1 and 3 attention: the file's tensors are then the wrong ones
    fails(m({ 'qwen35.full_attention_interval': gguf.u32(2) }), tensors, /tensor 'blk\.1\.attn_q\.weight' is missing/);
    fails(m({ 'qwen35.attention.recurrent_layers': gguf.array('bool', [true, true, false]) }), tensors, /'qwen35\.attention\.recurrent_layers' must be 4 bools/);
    fails(without('qwen35.ssm.state_size'), tensors, /metadata key 'qwen35\.ssm\.state_size' is missing \(required\)/);
    fails(without('qwen35.rope.dimension_sections'), tensors, /metadata key 'qwen35\.rope\.dimension_sections' is missing \(required/);
    fails(m({ 'qwen35.ssm.inner_size': gguf.u32(40) }), tensors, /'qwen35\.ssm\.inner_size' 40 must be 'qwen35\.ssm\.state_size' 8 x 'qwen35\.ssm\.time_step_rank' 4/);
    fails(m({ 'qwen35.ssm.group_count': gguf.u32(3) }), tensors, /'qwen35\.ssm\.time_step_rank' 4 must be a multiple of 'qwen35\.ssm\.group_count' 3/);
    fails(m({ 'qwen35.ssm.state_size': gguf.u32(512), 'qwen35.ssm.inner_size': gguf.u32(2048) }), tensors, /'qwen35\.ssm\.state_size' is 512; nibble's Gated DeltaNet takes heads of at most 256/);
    // an explicit layer list (attention at 1 and 3) read as written
    const alt = synthHeader({ arch: 'qwen35', dim: 32, ffn: 64, layers: 4, heads: 4, kvHeads: 2, headDim: 8, ropeDims: 4, seed: 1, deltaNet: { ...dn, layers: [true, false, true, false] } });
    expect(alt.file.metadata['qwen35.attention.recurrent_layers']).toEqual(gguf.array('bool', [true, false, true, false]));
    expect(llamaConfigFromGguf(alt.file.metadata, alt.tensors).deltaNet?.layers).toEqual([true, false, true, false]);
  });

  it('internlm2 / xverse: a Llama (adjacent-pair RoPE, no biases) whose head is never tied', () => {
    for (const arch of ['internlm2', 'xverse'] as const) {
      const { file: f, tensors } = synthHeader({ arch, dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1 });
      expect(llamaConfigFromGguf(f.metadata, tensors)).toMatchObject({ arch, ropeLayout: 'norm', qkvBias: false, tied: false });
      fails(f.metadata, tensors.filter((t) => t.name !== 'output.weight'), new RegExp(`tensor 'output\\.weight' is missing \\(${arch === 'xverse' ? 'a' : 'an'} ${arch} model's head is never tied`));
      expect(() => synthHeader({ arch, dim: 64, ffn: 128, layers: 2, heads: 4, seed: 1, tied: true })).toThrow(/head is never tied to the embedding/);
    }
  });

  it('qwen2vl / qwen3vl / qwen3vlmoe (Qwen VL text decoders): the base graph, the M-RoPE sections required and kept, the file\'s own keys in errors and in what is written back', () => {
    const { file: f, tensors } = synthHeader({ arch: 'qwen3', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, mrope: { arch: 'qwen3vl', sections: [3, 3, 2, 0], deepstack: 3 } });
    expect(f.metadata['general.architecture'].value).toBe('qwen3vl');
    expect(f.metadata['qwen3vl.embedding_length'].value).toBe(64);
    expect(f.metadata['qwen3.embedding_length']).toBeUndefined();
    const c = llamaConfigFromGguf(f.metadata, tensors);
    expect(c).toMatchObject({ arch: 'qwen3', qkNorm: true, ropeLayout: 'neox', mrope: { arch: 'qwen3vl', sections: [3, 3, 2, 0], deepstack: 3 } });
    // written back under its own architecture, keys and sections (a QAT export of a Qwen3-VL stays a qwen3vl file)
    const back = parseGgufFile(writeLlamaGguf(c, llamaWeightsFromGguf(f).weights, spmByteVocab()));
    expect(back.metadata['general.architecture'].value).toBe('qwen3vl');
    expect(llamaConfigFromGguf(back.metadata, back.tensors.map((t) => ({ name: t.name, type: t.type as never, shape: [...t.shape] })))).toEqual(c);
    const without = (k: string) => Object.fromEntries(Object.entries(f.metadata).filter(([key]) => key !== k));
    fails(without('qwen3vl.rope.dimension_sections'), tensors, /metadata key 'qwen3vl\.rope\.dimension_sections' is missing \(required/);
    fails({ ...f.metadata, 'qwen3vl.rope.dimension_sections': gguf.array('i32', [3, 3, 2]) }, tensors, /'qwen3vl\.rope\.dimension_sections' must be 4 integers >= 0, found \[3, 3, 2\]/);
    fails(without('qwen3vl.block_count'), tensors, /metadata key 'qwen3vl\.block_count' is missing/); // the file's key, not qwen3's
    fails(f.metadata, tensors.filter((t) => t.name !== 'blk.1.attn_q_norm.weight'), /tensor 'blk\.1\.attn_q_norm\.weight' is missing/);
    const { file: m, tensors: mt } = synthHeader({ arch: 'qwen3moe', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, moe: { experts: 4, used: 2, ffn: 32 }, mrope: { arch: 'qwen3vlmoe', sections: [3, 3, 2, 0] } });
    expect(llamaConfigFromGguf(m.metadata, mt)).toMatchObject({ arch: 'qwen3moe', moe: { experts: 4, used: 2 }, mrope: { arch: 'qwen3vlmoe' } });
    const { file: q, tensors: qt } = synthHeader({ arch: 'qwen2', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, mrope: { arch: 'qwen2vl', sections: [2, 3, 3, 0] } });
    expect(llamaConfigFromGguf(q.metadata, qt)).toMatchObject({ arch: 'qwen2', qkvBias: true, mrope: { arch: 'qwen2vl', sections: [2, 3, 3, 0] } });
  });

  it('bad expert keys refused by key: counts missing or out of range, more used than there are, more experts than the router takes, experts in a graph without them', () => {
    const { file: q, tensors: qt } = synthHeader({ arch: 'qwen3moe', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1, moe: experts(8, 2, 32) });
    const without = (k: string) => Object.fromEntries(Object.entries(q.metadata).filter(([key]) => key !== k));
    fails(without('qwen3moe.expert_count'), qt, /metadata key 'qwen3moe\.expert_count' is missing \(required\)/);
    fails(without('qwen3moe.expert_used_count'), qt, /metadata key 'qwen3moe\.expert_used_count' is missing \(required\)/);
    fails({ ...q.metadata, 'qwen3moe.expert_used_count': gguf.u32(9) }, qt, /'qwen3moe\.expert_used_count' 9 exceeds 'qwen3moe\.expert_count' 8/);
    fails({ ...q.metadata, 'qwen3moe.expert_count': gguf.u32(0) }, qt, /'qwen3moe\.expert_count' must be an integer >= 1, found u32 0/);
    fails({ ...q.metadata, 'qwen3moe.expert_count': gguf.u32(1025) }, qt, /'qwen3moe\.expert_count' is 1025; nibble's router takes up to 1024 experts/);
    const { file: g, tensors: gt } = synthHeader({ arch: 'gemma', dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 1, seed: 1 });
    fails({ ...g.metadata, 'gemma.expert_count': gguf.u32(8), 'gemma.expert_used_count': gguf.u32(2) }, gt, /'gemma\.expert_count' is 8: gemma's mixture-of-experts layers are not supported/);
    const { file: l, tensors: lt } = synthHeader({ dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, seed: 1 });
    fails({ ...l.metadata, 'llama.expert_used_count': gguf.u32(2) }, lt, /'llama\.expert_used_count' is set without 'llama\.expert_count'/);
    fails({ ...l.metadata, 'llama.expert_count': gguf.u32(4), 'llama.expert_used_count': gguf.u32(2) }, lt, /tensor 'blk\.0\.ffn_gate_inp\.weight' is missing \(expected shape \[4, 64\]\)/);
  });

  it('the f64 reference equals the dense model where one expert takes every token (a Mixtral file of 1 expert against the same weights as a llama)', () => {
    const ids = [1, 72, 101, 108, 108, 111, 10];
    const moe = parseGgufFile(synthLlamaGguf({ dim: 32, ffn: 32, layers: 2, heads: 4, kvHeads: 2, seed: 3, moe: experts(1, 1, 32) }));
    const tensors = moe.tensors.filter((t) => !t.name.endsWith('ffn_gate_inp.weight')).map((t) => ({ name: t.name.replace('_exps', ''), type: t.type, shape: t.shape.length === 3 ? t.shape.slice(1) : t.shape, data: t.data }));
    const metadata = Object.fromEntries(Object.entries(moe.metadata).filter(([k]) => !k.startsWith('llama.expert_')));
    const dense = parseGgufFile(encodeGgufFile(tensors, metadata));
    const a = llamaLogitsRef(moe, ids);
    const b = llamaLogitsRef(dense, ids);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-12);
  });
});
