// Import of a Hugging Face Llama, a Qwen2, a Qwen3, a Gemma 3, a SmolLM3, a Llama with Llama 3's rope_scaling, a
// Phi-3, a Gemma 2, a Granite and an OLMo 2 checkpoint (src/nn/hf_llama.ts) against PyTorch's logits for each
// (test/golden/hf_llama/, hf_qwen2/, hf_qwen3/, hf_gemma3/, hf_smollm3/, hf_llama3/, hf_phi3/, hf_gemma2/, hf_granite/
// hf_olmo2/, hf_qwen3_yarn/ (a Qwen3 with YaRN), hf_exaone4/, hf_ernie4_5/, hf_olmo3/, hf_ministral3/, hf_glm4/, hf_arcee/ and hf_exaone4_32b/, written once by
// test/golden/gen_hf_llama.py with Hugging Face's forward in float64; hf_lfm2/, hf_gemma/, hf_stablelm/, hf_exaone/,
// hf_starcoder2/, hf_phi2/, hf_cohere/ and hf_cohere2/ by gen_hf_lfm2.py, gen_hf_gemma.py, gen_hf_stablelm.py,
// gen_hf_exaone.py, gen_hf_starcoder2.py, gen_hf_phi2.py and gen_hf_cohere.py; hf_minicpm/ and hf_gpt2/ by
// gen_hf_minicpm.py and gen_hf_gpt2.py):
//   - the f64 reference on the imported weights: |dz| <= 1e-6 (the same math on the same f32 weights; Gemma's norm
//     weights + 1 rounded to f32 as GGUF stores them, measured 6.9e-7, the others 1e-13; a missing
//     q/k row permutation (Llama), one too many (Qwen2, Qwen3), a dropped bias, a dropped or swapped q/k norm
//     (Qwen3) or a wrong repeat_kv gives O(1));
//   - llama.cpp (node-llama-cpp) on the GGUF written from the import: its next-token probabilities those of PyTorch's
//     logits to 1e-4 (llama.cpp's f32 CPU path on F32 weights, f32 sums over K <= 64 with |z| < 30: measured
//     3e-8 / 1.6e-6 / 1.4e-6), plus, for the GELU models, E: what llama.cpp's CPU gelu (a table over f16) moves them by
//     in the reference (cpuActivations; StarCoder2's 3.4e-4);
//   - the training graph's forward (f32 on the GPU): |dz| <= 1e-4 (|z| < 30, K <= 64: f32 sums, 2 layers; measured
//     1.8e-6 / 7.4e-6 / 1.0e-5); for Gemma 3, whose 14 ids pass its window of 4 (training attends over the whole
//     sequence), the inference engine's logits instead (measured 2.2e-6);
//   - missing and misshapen tensors and bad configs are refused, naming the tensor or key and the shape expected.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeLlamaCpp, llamaCppLogits } from '../../runtime/llamacpp.js';
import { createNodeContext } from '../../runtime/node.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { gguf, parseGgufFile } from '../../src/io/gguf.js';
import { LanguageModel } from '../../src/lm/model.js';
import { hfLlamaConfig, importHfLlama } from '../../src/nn/hf_llama.js';
import { buildLlamaTrainGraph } from '../../src/nn/llama_train.js';
import { byteLevelVocab, writeLlamaGguf } from '../../src/nn/llama_weights.js';
import { PHI3_ENDOFTEXT, spmByteVocab } from '../../src/lm/synth.js';
import { llamaLogitsRef, softmaxRows } from '../../src/ref/llama.js';
import { maxDiff } from '../cases/lm_helpers.js';
import { golden } from '../helpers/hf_golden.js';

const { configJson, st } = golden('hf_llama');

let ctx: GpuContext;
const tmp = mkdtempSync(join(tmpdir(), 'nibble-hfimport-'));
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(async () => {
  ctx?.destroy();
  await disposeLlamaCpp();
  rmSync(tmp, { recursive: true, force: true });
});

describe('Hugging Face Llama import', () => {
  it.each([
    ['hf_llama', 'llama', [260, 32, 2, 4, 2, 8, 48, 32, false, false, false]],
    ['hf_qwen2', 'qwen2', [260, 32, 2, 4, 2, 8, 48, 32, true, true, false]],
    ['hf_qwen3', 'qwen3', [260, 32, 2, 4, 2, 16, 48, 32, true, false, true]], // head_dim 16: q_proj [64, 32]
    ['hf_gemma3', 'gemma3', [260, 32, 6, 4, 2, 16, 48, 32, true, false, true]], // window 4 over 14 ids: the GPU check is the engine's
    ['hf_smollm3', 'smollm3', [260, 32, 4, 4, 2, 8, 48, 32, true, false, false]], // layer 3 without RoPE
    ['hf_llama3', 'llama', [260, 32, 2, 4, 2, 8, 48, 64, false, false, false]], // Llama 3's rope_scaling: rope_freqs.weight
    ['hf_phi3', 'phi3', [260, 32, 2, 4, 2, 8, 48, 32, false, false, false]], // fused projections, LongRoPE's long factors
    ['hf_gemma2', 'gemma2', [260, 32, 4, 4, 2, 16, 48, 32, true, false, false]], // soft-caps 5 / 8, window 4: the GPU check is the engine's
    ['hf_granite', 'granite', [260, 32, 2, 4, 2, 8, 48, 32, true, false, false]], // multipliers 4 / 0.5 / 0.2 / 2.5
    ['hf_olmo2', 'olmo2', [260, 32, 2, 4, 2, 8, 48, 32, false, false, true]], // post-norms only, q / k norms over the projection
    ['hf_qwen3_yarn', 'qwen3', [260, 32, 2, 4, 2, 16, 48, 32, true, false, true]], // YaRN, factor 4 over an original context of 8
    ['hf_exaone4', 'exaone4', [260, 32, 2, 4, 2, 8, 48, 32, true, false, true]], // post-norms only, per-head q / k norms, tied
    ['hf_ernie4_5', 'ernie4_5', [260, 32, 2, 4, 2, 8, 48, 32, true, false, false]], // adjacent-pair RoPE: rows not permuted
    ['hf_ministral3', 'mistral3', [260, 32, 2, 4, 2, 16, 48, 16, false, false, false]], // head_dim 16 over 32 / 4, YaRN magnitude 1, q temperature
    ['hf_glm4', 'glm4', [260, 32, 2, 4, 2, 8, 48, 32, false, true, false]], // q / k / v biases, half of each head rotated in pairs, four norms, gate_up_proj
    ['hf_arcee', 'arcee', [260, 32, 2, 4, 2, 8, 48, 32, false, false, false]], // no gate_proj: down(relu(up)^2)
    ['hf_exaone4_32b', 'exaone4', [260, 8, 64, 2, 1, 4, 8, 32, true, false, true]], // 64 layers: 48 sliding (window 4) with RoPE, 16 full without
    ['hf_olmo3', 'olmo2', [260, 32, 4, 4, 2, 8, 48, 32, false, false, true]], // OLMo 3: 3 layers sliding (window 4, plain RoPE), 1 full with YaRN
    ['hf_gemma', 'gemma', [260, 32, 2, 4, 1, 16, 48, 32, true, false, false]], // Gemma 1: (1 + w) norms, scaled and tied embeddings, one KV head (gen_hf_gemma.py)
    ['hf_stablelm', 'stablelm', [260, 32, 2, 4, 2, 8, 48, 32, false, true, false]], // LayerNorm with biases, half of each head rotated, q / k / v biases (gen_hf_stablelm.py)
    ['hf_exaone', 'exaone', [260, 32, 2, 4, 2, 8, 48, 64, false, false, false]], // EXAONE 3.5: GPT-2-style names, Llama 3 rope scaling, rows not permuted (gen_hf_exaone.py)
    ['hf_starcoder2', 'starcoder2', [260, 32, 2, 4, 2, 8, 48, 32, true, true, false]], // LayerNorms, biases on every Linear, gateless GELU MLP (c_fc / c_proj), tied by default (gen_hf_starcoder2.py)
    ['hf_phi2', 'phi2', [260, 32, 2, 4, 2, 8, 48, 32, false, true, false]], // parallel block, biases everywhere and on lm_head, half of each head rotated (gen_hf_phi2.py)
    ['hf_cohere', 'command-r', [260, 32, 2, 4, 2, 8, 48, 32, true, false, false]], // parallel block, bias-free LayerNorms, interleaved RoPE (rows not permuted), logit_scale, tied (gen_hf_cohere.py)
    ['hf_cohere2', 'cohere2', [260, 32, 4, 4, 2, 8, 48, 32, true, false, false]], // 3 layers sliding (window 4) with RoPE, 1 full without: the GPU check is the engine's
    ['hf_minicpm', 'minicpm', [260, 32, 2, 4, 2, 8, 48, 32, true, false, false]], // a Llama with scale_emb 12, scale_depth 1.4 / sqrt(2), logits / (32 / 8), tied (gen_hf_minicpm.py)
    ['hf_gpt2', 'gpt2', [260, 32, 2, 4, 4, 8, 48, 32, true, true, false]], // Conv1D weights transposed, c_attn as the fused attn_qkv, wpe, tied (gen_hf_gpt2.py)
    ['hf_lfm2', 'lfm2', [260, 32, 4, 4, 2, 8, 64, 32, true, false, true]], // LFM2: short convolutions at 0 and 2 (test/golden/gen_hf_lfm2.py); MLP 80 -> 64 as Lfm2MLP sizes it
    ['hf_internlm2', 'internlm2', [260, 32, 2, 4, 2, 8, 48, 32, false, false, false]], // InternLM2: wqkv split by KV group, q / k rows permuted, w1 / w3 / w2, never tied (gen_hf_internlm2.py)
    ['hf_hunyuan', 'hunyuan-dense', [260, 32, 2, 4, 2, 16, 48, 32, true, false, true]], // Hunyuan dense: head_dim 16 at 32 / 4, query_layernorm / key_layernorm after RoPE, dynamic NTK alpha folded into the base (gen_hf_hunyuan.py)
    // mixtures of experts (test/golden/gen_hf_moe.py): each expert's projections stacked into GGUF's [experts, ffn, dim]
    ['hf_mixtral', 'llama', [260, 32, 2, 4, 2, 8, 32, 32, false, false, false]], // 4 experts, 2 a token, w1 / w3 / w2, rows permuted
    ['hf_qwen3_moe', 'qwen3moe', [260, 32, 2, 4, 2, 16, 96, 32, true, false, true]], // 8 experts of 24, 3 a token, norm_topk_prob
    ['hf_olmoe', 'olmoe', [260, 32, 2, 4, 4, 8, 32, 32, false, false, true]], // 8 experts, 2 a token, unnormalized, q / k norms over the projection
    ['hf_qwen2_moe', 'qwen2moe', [260, 32, 2, 4, 2, 8, 96, 32, false, true, false]], // 6 experts of 16, a shared expert of 48 behind its sigmoid gate
    ['hf_granitemoe', 'granitemoe', [260, 32, 2, 4, 2, 8, 32, 32, true, false, false]], // GraniteMoeShared: fused input_linear halves, an ungated shared MLP, the multipliers
    ['hf_granite4', 'granite', [260, 32, 2, 4, 2, 8, 48, 32, true, false, false]], // Granite 4.0 (granitemoehybrid, every layer attention): its shared_mlp the dense FFN
    ['hf_granite4_nope', 'granite', [260, 32, 2, 4, 2, 8, 48, 32, true, false, false]], // the same without RoPE (position_embedding_type null: rope.scaling.finetuned false)
    ['hf_granite4_moe', 'granitemoe', [260, 32, 2, 4, 2, 8, 32, 32, true, false, false]], // Granite 4.0 with experts: granitemoeshared's layout
    ['hf_granite4_h', 'granitehybrid', [260, 32, 3, 4, 2, 8, 48, 32, true, false, false]], // Granite 4.0 H: Mamba-2 layers 0 and 2 (2 groups), no RoPE: the GPU check is the engine's (gen_hf_granite4h.py)
    ['hf_granite4_h_moe', 'granitehybrid', [260, 32, 3, 4, 2, 8, 32, 32, true, false, false]], // the same with 4 experts and RoPE, one group
    ['hf_ernie4_5_moe', 'ernie4_5-moe', [260, 32, 3, 4, 2, 8, 48, 32, true, false, false]], // a dense first layer, then 8 experts of 16 (3 a token) chosen with a selection bias, shared experts of 32
  ] as const)("%s: reproduces PyTorch's logits: the f64 reference to 1e-6, the training forward (gemma3: the engine) on the GPU to 1e-4, llama.cpp's probabilities to 1e-4", async (name, arch, shape) => {
    const g = golden(name);
    const { config, weights } = importHfLlama(g.configJson, g.st());
    expect([config.arch, config.vocab, config.dim, config.layers, config.heads, config.kvHeads, config.headDim, config.ffn, config.ctx, config.tied, config.qkvBias, config.qkNorm]).toEqual([arch, ...shape]);
    // 260 tokens, as the checkpoints' vocab_size: llama.cpp loads it (its phi3 wants an <|endoftext|> token).
    const bytes = writeLlamaGguf(config, weights, config.arch === 'phi3' ? spmByteVocab([PHI3_ENDOFTEXT]) : byteLevelVocab());
    const ref = llamaLogitsRef(parseGgufFile(bytes), g.ids);
    const dRef = maxDiff(ref, g.logits);
    const T = g.ids.length;
    const path = join(tmp, `${name}.gguf`);
    writeFileSync(path, bytes);
    let dGpu: number;
    const engine = (config.swa && T > config.swa.window) || !!config.ssm;
    if (engine) {
      // Training attends over the whole sequence, so past the window the GPU check is the inference engine; and it
      // does not run Mamba-2 layers.
      const lm = await LanguageModel.load(ctx, path, { ctxLen: 32, chunk: 16, kvType: 'f32' });
      try {
        dGpu = maxDiff(await lm.logits(g.ids), g.logits);
      } finally {
        lm.dispose();
      }
    } else {
      const t = buildLlamaTrainGraph(ctx, config, weights, { B: 1, T });
      try {
        const exe = await t.graph.compile({ outputs: [t.logits] });
        await exe.run({ ids: Int32Array.from(g.ids), targets: new Int32Array(T) });
        dGpu = maxDiff(await exe.read(t.logits), g.logits);
      } finally {
        t.graph.destroy();
      }
    }
    const cpp = (await llamaCppLogits(path, g.ids)).flatMap((row) => Array.from(row)); // probabilities
    const dCpp = maxDiff(cpp, softmaxRows(g.logits, T, config.vocab));
    // llama.cpp's CPU gelu reads a table over f16 (the reference's cpuActivations): what that moves the probabilities
    // by, E (0 without gelu; F32 weights round no matmul input), adds to the bound.
    const E = config.ffnAct === 'gelu' ? maxDiff(softmaxRows(ref, T, config.vocab), softmaxRows(llamaLogitsRef(parseGgufFile(bytes), g.ids, { cpuActivations: true }), T, config.vocab)) : 0;
    console.log(`HF ${name} import vs PyTorch: logits, f64 reference ${dRef.toExponential(2)}, GPU ${engine ? 'engine' : 'training forward'} ${dGpu.toExponential(2)} (max |z| ${Math.max(...g.logits.map(Math.abs)).toFixed(2)}); llama.cpp's probabilities ${dCpp.toExponential(2)}${E ? ` (f16 gelu table E ${E.toExponential(2)})` : ''}`);
    expect(dRef).toBeLessThanOrEqual(1e-6);
    expect(dGpu).toBeLessThanOrEqual(1e-4);
    expect(dCpp).toBeLessThanOrEqual(1e-4 + E);
  });

  it('refuses missing and misshapen tensors and bad configs, naming them', () => {
    const a = st();
    delete a.tensors['model.layers.1.mlp.up_proj.weight'];
    expect(() => importHfLlama(configJson, a)).toThrow(/tensor 'model\.layers\.1\.mlp\.up_proj\.weight' is missing \(expected shape \[48, 32\]\)/);
    const b = st();
    b.tensors['model.layers.0.self_attn.k_proj.weight'] = { ...b.tensors['model.layers.0.self_attn.k_proj.weight'], shape: [32, 16] };
    expect(() => importHfLlama(configJson, b)).toThrow(/tensor 'model\.layers\.0\.self_attn\.k_proj\.weight' has shape \[32, 16\], expected \[16, 32\]/);
    expect(() => hfLlamaConfig({ ...configJson, model_type: 'gpt_neox' })).toThrow(/model_type 'gpt_neox' is not one nibble imports \(llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text, smollm3, phi3, stablelm, granite, olmo2, olmo3, exaone, exaone4, ernie4_5, ministral3, glm4, arcee, lfm2, starcoder2, phi, cohere, cohere2, minicpm, gpt2, hunyuan_v1_dense, internlm2, mixtral, qwen3_moe, olmoe, qwen2_moe, granitemoe, granitemoeshared, ernie4_5_moe, granitemoehybrid\)/);
    expect(() => hfLlamaConfig({ ...configJson, model_type: 'mistral', sliding_window: 4096 })).toThrow(/sliding_window 4096: Mistral's windowed attention is not supported/);
    expect(hfLlamaConfig({ ...configJson, model_type: 'mistral', sliding_window: null }).arch).toBe('llama');
    expect(() => hfLlamaConfig({ ...configJson, model_type: 'qwen2', use_sliding_window: true })).toThrow(/use_sliding_window is true/);
    expect(() => hfLlamaConfig({ ...configJson, attention_bias: true })).toThrow(/attention_bias is true: the import takes no q \/ k \/ v \/ o biases for Llama/);
    const q = golden('hf_qwen2');
    const c = q.st();
    delete c.tensors['model.layers.1.self_attn.k_proj.bias'];
    expect(() => importHfLlama(q.configJson, c)).toThrow(/tensor 'model\.layers\.1\.self_attn\.k_proj\.bias' is missing \(expected shape \[16\]\)/);
    expect(() => hfLlamaConfig({ ...configJson, hidden_size: undefined })).toThrow(/'hidden_size' must be a positive integer, found undefined/);
    expect(hfLlamaConfig({ ...configJson, rope_scaling: { type: 'linear', factor: 2 } }).ropeScale).toBe(0.5);
    expect(() => hfLlamaConfig({ ...configJson, rope_scaling: { rope_type: 'dynamic', factor: 4 } })).toThrow(/rope_scaling .*dynamic.*: not imported for llama \(llama3, linear or yarn is\)/);
    // YaRN as the converter writes it; what llama.cpp would run otherwise is refused by key.
    expect(hfLlamaConfig({ ...configJson, rope_scaling: { rope_type: 'yarn', factor: 4 } }).yarn).toEqual({ factor: 4, origCtx: 32 });
    expect(() => hfLlamaConfig({ ...configJson, rope_scaling: { rope_type: 'yarn', factor: 4, beta_fast: 16 } })).toThrow(/'beta_fast' 16: llama\.cpp's YaRN runs beta_fast 32/);
    expect(() => hfLlamaConfig({ ...configJson, rope_scaling: { rope_type: 'yarn', factor: 4, attention_factor: 1.2 } })).toThrow(/'attention_factor' 1\.2: llama\.cpp scales cos and sin by 1 \+ 0\.1 ln\(factor\) = 1\.138/);
    expect(hfLlamaConfig({ ...configJson, rope_scaling: { rope_type: 'yarn', factor: 4, attention_factor: 1 + 0.1 * Math.log(4) } }).yarn).toEqual({ factor: 4, origCtx: 32 }); // OLMo 3's spelled-out default
    expect(() => hfLlamaConfig({ ...configJson, head_dim: 16 })).toThrow(/head_dim 16 differs from hidden_size \/ num_attention_heads = 8 \(not supported\)/);
  });

  it('Granite: the four multipliers read (1 where absent, as transformers defaults them), rows permuted as a Llama\'s; biases and bad multipliers refused by key', () => {
    const g = golden('hf_granite');
    expect(hfLlamaConfig(g.configJson)).toMatchObject({ arch: 'granite', ropeLayout: 'norm', tied: true, multipliers: { embedding: 4, residual: 0.5, attention: Math.fround(0.2), logit: 2.5 } });
    const { embedding_multiplier: _e, residual_multiplier: _r, attention_multiplier: _a, logits_scaling: _l, ...plain } = g.configJson;
    expect(hfLlamaConfig(plain).multipliers).toEqual({ embedding: 1, residual: 1, attention: 1, logit: 1 });
    expect(() => hfLlamaConfig({ ...g.configJson, mlp_bias: true })).toThrow(/mlp_bias is true: a Granite with MLP biases/);
    expect(() => hfLlamaConfig({ ...g.configJson, attention_bias: true })).toThrow(/attention_bias is true: the import takes no q \/ k \/ v \/ o biases for Granite/);
    expect(() => hfLlamaConfig({ ...g.configJson, residual_multiplier: 0 })).toThrow(/'residual_multiplier' must be a positive number, found 0/);
    expect(hfLlamaConfig({ ...g.configJson, rope_scaling: { type: 'linear', factor: 2 } }).ropeScale).toBe(0.5);
  });

  it('OLMo 2: post-norms under their HF names, stored as they are (no + 1), no pre-norms, whole-projection q / k norms; tied, biases and sliding windows refused by key', () => {
    const g = golden('hf_olmo2');
    expect(hfLlamaConfig(g.configJson)).toMatchObject({ arch: 'olmo2', ropeLayout: 'neox', qkNormFull: true, noPreNorms: true, postNorms: true, tied: false });
    const { weights } = importHfLlama(g.configJson, g.st());
    const hf = g.st().tensors;
    const f32 = (n: string) => new Float32Array(hf[n].data.buffer.slice(hf[n].data.byteOffset, hf[n].data.byteOffset + hf[n].data.byteLength));
    expect(weights['blk.1.post_ffw_norm.weight']).toEqual(f32('model.layers.1.post_feedforward_layernorm.weight'));
    expect(weights['blk.0.attn_k_norm.weight']).toEqual(f32('model.layers.0.self_attn.k_norm.weight')); // [kv_heads * head_dim] = [16]
    expect(weights['blk.0.attn_q.weight']).toEqual(f32('model.layers.0.self_attn.q_proj.weight')); // NEOX: rows as HF has them
    expect(Object.keys(weights).some((n) => /attn_norm|ffn_norm/.test(n))).toBe(false);
    expect(() => hfLlamaConfig({ ...g.configJson, tie_word_embeddings: true })).toThrow(/tie_word_embeddings is true: llama\.cpp's olmo2 needs its own output weight/);
    expect(() => hfLlamaConfig({ ...g.configJson, attention_bias: true })).toThrow(/attention_bias is true: the import takes no q \/ k \/ v \/ o biases for OLMo 2/);
    expect(() => hfLlamaConfig({ ...g.configJson, sliding_window: 4096 })).toThrow(/sliding_window 4096: Olmo2ForCausalLM attends over the whole context \(an OLMo 3 is model_type olmo3\)/);
    const st = g.st();
    delete st.tensors['model.layers.1.self_attn.q_norm.weight'];
    expect(() => importHfLlama(g.configJson, st)).toThrow(/tensor 'model\.layers\.1\.self_attn\.q_norm\.weight' is missing \(expected shape \[32\]\)/);
  });

  it('EXAONE 4: per-head q / k norms, post-norms under their HF names, no pre-norms; the 32B\'s 64 layers in llama.cpp\'s fixed layout', () => {
    // OLMo 3: layer_types must be a period (GGUF's sliding_window_pattern); transformers' default is every fourth layer full.
    const o3 = golden('hf_olmo3').configJson;
    expect(hfLlamaConfig(o3).swa).toEqual({ window: 4, pattern: 4, ropeBase: 500000, ropeScale: 1, plainRope: true });
    expect(hfLlamaConfig({ ...o3, layer_types: ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention'] }).swa?.pattern).toBe(2);
    const { layer_types: _lt, sliding_window: _sw, ...o3Defaults } = o3;
    expect(hfLlamaConfig({ ...o3Defaults, num_hidden_layers: 8 }).swa).toMatchObject({ window: 4096, pattern: 4 });
    expect(() => hfLlamaConfig({ ...o3, layer_types: ['sliding_attention', 'full_attention', 'full_attention', 'sliding_attention'] })).toThrow(/layer_types .*: GGUF's olmo2 holds a period \(every p-th layer full_attention, p >= 2\), which these are not/);
    expect(() => hfLlamaConfig({ ...o3, rope_scaling: { ...o3.rope_scaling, attention_factor: 1.5 } })).toThrow(/'attention_factor' 1\.5/);
    // Ministral 3 (transformers 5's rope_parameters): YaRN's magnitude from mscale_all_dim (mscale must be 1, as llama.cpp
    // takes it), llama_4_scaling_beta the query temperature over the original context.
    const m3 = golden('hf_ministral3').configJson;
    expect(hfLlamaConfig(m3)).toMatchObject({ arch: 'mistral3', ropeBase: 1e6, headDim: 16, yarn: { factor: 4, origCtx: 4, logMul: 1 }, attnTemperature: { scale: Math.fround(0.3), length: 4 } });
    const rp = m3.rope_parameters;
    expect(() => hfLlamaConfig({ ...m3, rope_parameters: { ...rp, mscale: 2 } })).toThrow(/'mscale' 2: llama\.cpp's mistral3 takes mscale 1/);
    expect(() => hfLlamaConfig({ ...m3, rope_parameters: { ...rp, attention_factor: 1 } })).toThrow(/'attention_factor' is not imported for Ministral 3/);
    expect(() => hfLlamaConfig({ ...m3, rope_theta: 10000 })).toThrow(/both rope_parameters and rope_theta \/ rope_scaling are given/);
    expect(() => hfLlamaConfig({ ...configJson, rope_scaling: { rope_type: 'yarn', factor: 4, mscale_all_dim: 1 } })).toThrow(/'mscale_all_dim' is not imported/);
    // A Llama in transformers 5's form reads as in 4's; the Gemmas' per-layer-type form is refused.
    const { rope_theta: theta, ...v5 } = configJson;
    expect(hfLlamaConfig({ ...v5, rope_parameters: { rope_type: 'default', rope_theta: theta } })).toEqual(hfLlamaConfig(configJson));
    const { partial_rotary_factor: prf, ...g4v4 } = golden('hf_glm4').configJson;
    expect(hfLlamaConfig({ ...g4v4, rope_theta: undefined, rope_parameters: { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: prf } }).ropeDims).toBe(4); // GLM-4 in transformers 5's form
    expect(() => hfLlamaConfig({ ...golden('hf_glm4').configJson, rope_theta: undefined, rope_parameters: { rope_theta: 10000, partial_rotary_factor: 0.5 } })).toThrow(/partial_rotary_factor is given both in rope_parameters and at the top level/);
    expect(() => hfLlamaConfig({ ...golden('hf_gemma3').configJson, rope_parameters: {} })).toThrow(/rope_parameters \(transformers 5's form\) is not read for Gemma 3/);
    // GLM-4: its biases imported (attention_bias), the rotated dims head_dim * partial_rotary_factor, even.
    const g4 = golden('hf_glm4').configJson;
    expect(hfLlamaConfig(g4)).toMatchObject({ arch: 'glm4', ropeDims: 4, qkvBias: true, postNorms: true, ropeLayout: 'norm' });
    expect(hfLlamaConfig({ ...g4, attention_bias: false }).qkvBias).toBe(false);
    expect(() => hfLlamaConfig({ ...g4, partial_rotary_factor: 0.375 })).toThrow(/partial_rotary_factor 0\.375 must be in \(0, 1\] and rotate an even number of head dims \(found 3\)/);
    const ex = golden('hf_exaone').configJson;
    expect(() => hfLlamaConfig({ ...ex, activation_function: 'gelu' })).toThrow(/activation_function "gelu": GGUF's exaone runs silu/);
    expect(() => hfLlamaConfig({ ...ex, num_hidden_layers: 2 })).toThrow(/both 'num_layers' and 'num_hidden_layers' are given/);
    const sl = golden('hf_stablelm').configJson;
    expect(() => hfLlamaConfig({ ...sl, qk_layernorm: true })).toThrow(/qk_layernorm is true: StableLM 2 12B's per-head q \/ k LayerNorms are not supported/);
    expect(() => hfLlamaConfig({ ...sl, use_parallel_residual: true })).toThrow(/use_parallel_residual is true: StableLM 2 12B's parallel residual/);
    expect(() => hfLlamaConfig({ ...sl, partial_rotary_factor: 0.1 })).toThrow(/partial_rotary_factor 0\.1 must be in \(0, 1\] and rotate an even number of head dims \(found 0\)/);
    expect(hfLlamaConfig({ ...sl, partial_rotary_factor: undefined }).ropeDims).toBe(2); // transformers' default 0.25 of 8
    const sc = golden('hf_starcoder2').configJson;
    expect(() => hfLlamaConfig({ ...sc, use_bias: false })).toThrow(/use_bias is false: llama\.cpp's starcoder2 requires the biases/);
    expect(() => hfLlamaConfig({ ...sc, hidden_act: 'gelu' })).toThrow(/hidden_act "gelu": GGUF's starcoder2 runs gelu_pytorch_tanh/);
    expect(() => hfLlamaConfig({ ...sc, rope_scaling: { rope_type: 'linear', factor: 2 } })).toThrow(/StarCoder2's import takes no rope scaling/);
    expect(hfLlamaConfig({ ...sc, tie_word_embeddings: false }).tied).toBe(false);
    const ph = golden('hf_phi2').configJson;
    expect(() => hfLlamaConfig({ ...ph, qk_layernorm: true })).toThrow(/qk_layernorm is true: llama\.cpp's phi2 has no q \/ k LayerNorms/);
    expect(() => hfLlamaConfig({ ...ph, hidden_act: 'gelu' })).toThrow(/hidden_act "gelu": GGUF's phi2 runs GELU's tanh form/);
    expect(() => hfLlamaConfig({ ...ph, tie_word_embeddings: true })).toThrow(/tie_word_embeddings is true: llama\.cpp's phi2 needs its own output weight and bias/);
    expect(() => hfLlamaConfig({ ...ph, partial_rotary_factor: 0.1 })).toThrow(/partial_rotary_factor 0\.1 must be in \(0, 1\]/);
    expect(hfLlamaConfig({ ...ph, partial_rotary_factor: undefined }).ropeDims).toBe(4); // transformers' default 0.5 of 8
    const co = golden('hf_cohere').configJson;
    expect(hfLlamaConfig(co)).toMatchObject({ arch: 'command-r', logitMul: 0.25, tied: true, ropeLayout: 'norm', parallelBlock: true, normNoBias: true });
    expect(() => hfLlamaConfig({ ...co, use_qk_norm: true })).toThrow(/use_qk_norm is true: Command R\+'s per-head q \/ k LayerNorms are not supported/);
    expect(() => hfLlamaConfig({ ...co, tie_word_embeddings: false })).toThrow(/tie_word_embeddings is false: llama\.cpp's command-r always ties/);
    expect(() => hfLlamaConfig({ ...co, attention_bias: true })).toThrow(/attention_bias is true: llama\.cpp's command-r has no attention biases/);
    const c2 = golden('hf_cohere2').configJson;
    expect(() => hfLlamaConfig({ ...c2, sliding_window_pattern: 2 })).toThrow(/sliding_window_pattern 2: llama\.cpp's cohere2 fixes it at 4/);
    expect(() => hfLlamaConfig({ ...c2, layer_types: ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention'] })).toThrow(/layer_types: llama\.cpp's cohere2 makes every fourth layer full_attention/);
    const g2 = golden('hf_gpt2').configJson;
    expect(() => hfLlamaConfig({ ...g2, scale_attn_by_inverse_layer_idx: true })).toThrow(/scale_attn_by_inverse_layer_idx is true/);
    expect(() => hfLlamaConfig({ ...g2, activation_function: 'relu' })).toThrow(/activation_function "relu": GGUF's gpt2 runs GELU's tanh form/);
    expect(hfLlamaConfig({ ...g2, n_inner: null }).ffn).toBe(128); // 4 n_embd
    const mc = golden('hf_minicpm').configJson;
    expect(hfLlamaConfig(mc).multipliers).toEqual({ embedding: 12, residual: Math.fround(1.4 / Math.sqrt(2)), attention: 0, logit: 4 });
    expect(hfLlamaConfig({ ...mc, tie_word_embeddings: undefined }).tied).toBe(true); // MiniCPM's default
    const gm = golden('hf_gemma').configJson;
    expect(() => hfLlamaConfig({ ...gm, tie_word_embeddings: false })).toThrow(/tie_word_embeddings is false: llama\.cpp's gemma always ties/);
    expect(() => hfLlamaConfig({ ...gm, hidden_activation: 'gelu' })).toThrow(/hidden_activation "gelu": GGUF's gemma runs gelu_pytorch_tanh/);
    expect(() => hfLlamaConfig({ ...gm, rope_scaling: { rope_type: 'linear', factor: 2 } })).toThrow(/Gemma has none \(only null\)/);
    const lf = golden('hf_lfm2').configJson;
    expect(() => hfLlamaConfig({ ...lf, conv_bias: true })).toThrow(/conv_bias is true: llama\.cpp's lfm2 has no convolution or projection biases/);
    expect(() => hfLlamaConfig({ ...lf, layer_types: ['conv', 'sliding_attention', 'conv', 'full_attention'] })).toThrow(/layer_types .* must be 4 of 'full_attention' \/ 'conv'/);
    expect(() => hfLlamaConfig({ ...lf, conv_L_cache: 12 })).toThrow(/conv_L_cache 12: the short convolution takes 2\.\.8/);
    expect(() => hfLlamaConfig({ ...lf, num_experts: 32 })).toThrow(/num_experts 32: LFM2's mixture-of-experts models/);
    // Lfm2Config's other spellings: full_attn_idxs for layer_types, block_ff_dim for intermediate_size, tie_embedding.
    const alt = hfLlamaConfig({ ...lf, layer_types: undefined, full_attn_idxs: [1, 3], intermediate_size: undefined, block_ff_dim: 80, tie_word_embeddings: undefined, tie_embedding: true });
    expect([alt.shortConv, alt.ffn, alt.tied]).toEqual([{ taps: 3, conv: [true, false, true, false] }, 64, true]);
    expect(hfLlamaConfig({ ...lf, block_ffn_dim_multiplier: null }).ffn).toBe(53); // no multiplier: int(2 * 80 / 3), not rounded
    expect(hfLlamaConfig({ ...lf, block_auto_adjust_ff_dim: false }).ffn).toBe(80);
    const ac = golden('hf_arcee').configJson;
    expect(() => hfLlamaConfig({ ...ac, hidden_act: 'silu' })).toThrow(/hidden_act "silu": GGUF's arcee runs relu2/);
    expect(() => hfLlamaConfig({ ...ac, mlp_bias: true })).toThrow(/mlp_bias is true: llama\.cpp's arcee has no MLP biases/);
    const g = golden('hf_exaone4');
    expect(hfLlamaConfig(g.configJson)).toMatchObject({ arch: 'exaone4', ropeLayout: 'neox', qkNorm: true, noPreNorms: true, postNorms: true, tied: true });
    expect(hfLlamaConfig(g.configJson).qkNormFull).toBeUndefined();
    const { weights } = importHfLlama(g.configJson, g.st());
    expect(weights['blk.1.attn_q_norm.weight'].length).toBe(8); // [head_dim]
    // EXAONE 4.0 32B (64 layers): llama.cpp's fixed layout, window 4096 unless sliding_window says; below 64 layers a
    // sliding_window (which transformers would apply, dropping RoPE on the full layers) is refused.
    expect(hfLlamaConfig({ ...g.configJson, num_hidden_layers: 64 })).toMatchObject({ swa: { window: 4096, pattern: 4 }, noRopeStep: 4 });
    const e32 = golden('hf_exaone4_32b').configJson;
    expect(() => hfLlamaConfig({ ...e32, sliding_window_pattern: 2 })).toThrow(/sliding_window_pattern 2: llama\.cpp's exaone4 fixes it at 4/);
    expect(() => hfLlamaConfig({ ...e32, layer_types: e32.layer_types.map(() => 'sliding_attention') })).toThrow(/layer_types: llama\.cpp's exaone4 at 64 layers makes every fourth layer full_attention/);
    expect(hfLlamaConfig({ ...e32, sliding_window_pattern: 'LLLG' }).swa?.window).toBe(4);
    expect(() => hfLlamaConfig({ ...g.configJson, sliding_window: 4096 })).toThrow(/sliding_window 4096: llama\.cpp slides exaone4's layers only at 64 layers \(EXAONE 4\.0 32B\); this model has 2/);
    expect(() => hfLlamaConfig({ ...g.configJson, layer_types: ['sliding_attention', 'full_attention'] })).toThrow(/EXAONE 4's windowed attention is not supported/);
  });

  it("ERNIE 4.5: q_proj / k_proj rows kept as they are (its RoPE already rotates adjacent pairs); use_bias refused by key", () => {
    const g = golden('hf_ernie4_5');
    const { config, weights } = importHfLlama(g.configJson, g.st());
    expect(config).toMatchObject({ arch: 'ernie4_5', ropeLayout: 'norm', qkvBias: false });
    const hf = g.st().tensors['model.layers.1.self_attn.q_proj.weight'];
    expect(weights['blk.1.attn_q.weight']).toEqual(new Float32Array(hf.data.buffer.slice(hf.data.byteOffset, hf.data.byteOffset + hf.data.byteLength)));
    expect(() => hfLlamaConfig({ ...g.configJson, use_bias: true })).toThrow(/use_bias is true: llama\.cpp's ernie4_5 has no output or MLP biases/);
  });

  it('Gemma 3: norms + 1, its norm names, linear rope scaling; refuses what llama.cpp\'s gemma3 fixes otherwise, naming the key', () => {
    const g = golden('hf_gemma3');
    const c = hfLlamaConfig(g.configJson);
    expect(c).toMatchObject({ arch: 'gemma3', ropeBase: 1e6, ropeScale: 0.5, swa: { window: 4, pattern: 6, ropeBase: 10000 }, tied: true, postNorms: true, ffnAct: 'gelu' });
    const { weights } = importHfLlama(g.configJson, g.st());
    const hf = g.st().tensors;
    const f32 = (n: string) => new Float32Array(hf[n].data.buffer.slice(hf[n].data.byteOffset, hf[n].data.byteOffset + hf[n].data.byteLength));
    expect(weights['blk.2.post_attention_norm.weight']).toEqual(f32('model.layers.2.post_attention_layernorm.weight').map((v) => v + 1));
    expect(weights['blk.2.ffn_norm.weight']).toEqual(f32('model.layers.2.pre_feedforward_layernorm.weight').map((v) => v + 1));
    expect(weights['blk.0.attn_q_norm.weight']).toEqual(f32('model.layers.0.self_attn.q_norm.weight').map((v) => v + 1));
    expect(hfLlamaConfig({ ...g.configJson, rope_scaling: null }).ropeScale).toBeUndefined();
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ model_type: 'gemma3' }, /model_type 'gemma3' is Gemma 3's multimodal model: import its text model \(model_type gemma3_text/],
      [{ rope_local_base_freq: 20000 }, /rope_local_base_freq 20000: llama\.cpp's gemma3 fixes the sliding layers' rope base at 10000/],
      [{ sliding_window_pattern: 4 }, /sliding_window_pattern 4: llama\.cpp's gemma3 fixes it at 6/],
      [{ layer_types: Array(6).fill('full_attention') }, /layer_types .*every sixth layer full_attention/],
      [{ query_pre_attn_scalar: 32 }, /query_pre_attn_scalar 32: llama\.cpp's gemma3 scales scores by 0\.25 \(1 \/ sqrt\(head_dim\)\)/],
      [{ final_logit_softcapping: 30 }, /final_logit_softcapping 30: llama\.cpp's gemma3 applies no soft-capping/],
      [{ hidden_activation: 'gelu' }, /hidden_activation "gelu": GGUF's gemma3 runs gelu_pytorch_tanh/],
      [{ rope_scaling: { rope_type: 'yarn', factor: 4 } }, /rope_scaling .*yarn.*: only linear scaling with a positive factor is imported/],
      [{ sliding_window: 0 }, /'sliding_window' must be a positive integer, found 0/],
    ];
    for (const [edit, re] of bad) expect(() => hfLlamaConfig({ ...g.configJson, ...edit }), JSON.stringify(edit)).toThrow(re);
    const layerTypes = ['sliding_attention', 'sliding_attention', 'sliding_attention', 'sliding_attention', 'sliding_attention', 'full_attention'];
    expect(hfLlamaConfig({ ...g.configJson, layer_types: layerTypes }).arch).toBe('gemma3');
    const a = g.st();
    delete a.tensors['model.layers.5.post_feedforward_layernorm.weight'];
    expect(() => importHfLlama(g.configJson, a)).toThrow(/tensor 'model\.layers\.5\.post_feedforward_layernorm\.weight' is missing \(expected shape \[32\]\)/);
  });

  it('Gemma 2: norms + 1, the even layers sliding, soft-caps read; refuses what llama.cpp\'s gemma2 fixes otherwise, naming the key', () => {
    const g = golden('hf_gemma2');
    expect(hfLlamaConfig(g.configJson)).toMatchObject({ arch: 'gemma2', qkNorm: false, postNorms: true, tied: true, softcap: { attn: 5, final: 8 }, swa: { window: 4, pattern: 2, ropeBase: 10000, ropeScale: 1 } });
    const { weights } = importHfLlama(g.configJson, g.st());
    const hf = g.st().tensors;
    const f32 = (n: string) => new Float32Array(hf[n].data.buffer.slice(hf[n].data.byteOffset, hf[n].data.byteOffset + hf[n].data.byteLength));
    expect(weights['blk.1.post_ffw_norm.weight']).toEqual(f32('model.layers.1.post_feedforward_layernorm.weight').map((v) => v + 1));
    expect(hfLlamaConfig({ ...g.configJson, attn_logit_softcapping: undefined, final_logit_softcapping: undefined }).softcap).toEqual({ attn: 50, final: 30 });
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ attn_logit_softcapping: null }, /attn_logit_softcapping is null: llama\.cpp's gemma2 always soft-caps/],
      [{ tie_word_embeddings: false }, /tie_word_embeddings is false: llama\.cpp's gemma2 always ties/],
      [{ query_pre_attn_scalar: 32 }, /query_pre_attn_scalar 32: llama\.cpp's gemma2 scales scores by 0\.25 \(1 \/ sqrt\(head_dim\)\)/],
      [{ layer_types: ['full_attention', 'sliding_attention', 'full_attention', 'sliding_attention'] }, /layer_types .*the even layers sliding_attention/],
      [{ rope_scaling: { rope_type: 'linear', factor: 2 } }, /rope_scaling .*: Gemma 2 has none/],
      [{ hidden_activation: 'gelu' }, /hidden_activation "gelu": GGUF's gemma2 runs gelu_pytorch_tanh/],
    ];
    for (const [edit, re] of bad) expect(() => hfLlamaConfig({ ...g.configJson, ...edit }), JSON.stringify(edit)).toThrow(re);
    expect(hfLlamaConfig({ ...g.configJson, layer_types: ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention'] }).arch).toBe('gemma2');
  });

  it('Llama 3 rope_scaling: rope_freqs.weight as llama.cpp\'s converter computes it; bad factors refused by key', () => {
    const g = golden('hf_llama3');
    const { config, weights } = importHfLlama(g.configJson, g.st());
    expect(config).toMatchObject({ arch: 'llama', ropeFreqs: true });
    // head dim 8, base 10000, original context 8: wavelengths 6.3 (between 8 / 4 and 8 / 1: smoothed), 63, 628, 6283 (divided by 8).
    expect(Array.from(weights['rope_freqs.weight']).map((v) => +v.toFixed(4))).toEqual([4.8853, 8, 8, 8]);
    const rs = g.configJson.rope_scaling;
    expect(() => hfLlamaConfig({ ...g.configJson, rope_scaling: { ...rs, low_freq_factor: 4 } })).toThrow(/'high_freq_factor' must exceed 'low_freq_factor'/);
    expect(() => hfLlamaConfig({ ...g.configJson, rope_scaling: { ...rs, factor: -8 } })).toThrow(/rope_scaling .*: 'factor' must be a positive number/);
    expect(() => hfLlamaConfig({ ...golden('hf_qwen3').configJson, rope_scaling: rs })).toThrow(/rope_scaling .*: not imported for qwen3 \(yarn is\)/);
  });

  it('Phi-3: qkv_proj and gate_up_proj split into the definition\'s rows; LongRoPE\'s factors, original context and attention factor; refusals name the key', () => {
    const g = golden('hf_phi3');
    const { config, weights } = importHfLlama(g.configJson, g.st());
    expect(config).toMatchObject({ arch: 'phi3', ropeLayout: 'neox', ropeDims: 8, longRope: { origCtx: 8 }, ropeAttnFactor: Math.fround(Math.sqrt(1 + Math.log(4) / Math.log(8))) });
    const hf = g.st().tensors;
    const f32 = (n: string) => new Float32Array(hf[n].data.buffer.slice(hf[n].data.byteOffset, hf[n].data.byteOffset + hf[n].data.byteLength));
    const qkv = f32('model.layers.1.self_attn.qkv_proj.weight');
    expect(weights['blk.1.attn_k.weight']).toEqual(qkv.slice(32 * 32, 48 * 32)); // rows 32..47: k after q's 32
    expect(weights['blk.1.ffn_up.weight']).toEqual(f32('model.layers.1.mlp.gate_up_proj.weight').slice(48 * 32)); // up after gate's 48 rows
    expect(Array.from(weights['rope_factors_long.weight'])).toEqual([1, 1.5, 4, 12]);
    expect(hfLlamaConfig({ ...g.configJson, rope_scaling: null }).longRope).toBeUndefined();
    expect(hfLlamaConfig({ ...g.configJson, partial_rotary_factor: 0.5, rope_scaling: null }).ropeDims).toBe(4);
    const rs = g.configJson.rope_scaling;
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ rope_scaling: { ...rs, long_factor: [1, 2, 3] } }, /'long_factor' must be 4 positive numbers \(rotated dims \/ 2\)/],
      [{ rope_scaling: { ...rs, type: 'yarn' } }, /not imported for phi3 \(longrope is\)/],
      [{ rope_scaling: { ...rs, attention_factor: 2 } }, /attention_factor 2 differs from the 1\.29.* that llama\.cpp's converter writes/],
      [{ original_max_position_embeddings: undefined }, /'original_max_position_embeddings' must be a positive integer \(LongRoPE\)/],
      [{ partial_rotary_factor: 0.375, rope_scaling: null }, /partial_rotary_factor 0\.375 must be in \(0, 1\] and rotate an even number of head dims \(found 3\)/],
      [{ partial_rotary_factor: 1.5, rope_scaling: null }, /partial_rotary_factor 1\.5 must be in \(0, 1\]/],
      [{ attention_bias: true }, /attention_bias is true: the import takes no q \/ k \/ v \/ o biases for Phi-3/],
    ];
    for (const [edit, re] of bad) expect(() => hfLlamaConfig({ ...g.configJson, ...edit }), JSON.stringify(edit)).toThrow(re);
    const a = g.st();
    a.tensors['model.layers.0.mlp.gate_up_proj.weight'] = { ...a.tensors['model.layers.0.mlp.gate_up_proj.weight'], shape: [48, 32] };
    expect(() => importHfLlama(g.configJson, a)).toThrow(/tensor 'model\.layers\.0\.mlp\.gate_up_proj\.weight' has shape \[48, 32\], expected \[96, 32\]/);
  });

  it('SmolLM3: no_rope_layers must be llama.cpp\'s fixed pattern; biases and windowed attention refused', () => {
    const g = golden('hf_smollm3');
    expect(hfLlamaConfig(g.configJson)).toMatchObject({ arch: 'smollm3', noRopeStep: 4, ropeLayout: 'norm', tied: true });
    expect(hfLlamaConfig({ ...g.configJson, no_rope_layers: undefined }).arch).toBe('smollm3');
    expect(() => hfLlamaConfig({ ...g.configJson, no_rope_layers: [1, 0, 1, 0] })).toThrow(/no_rope_layers \[1,0,1,0\]: llama\.cpp's smollm3 skips RoPE on every fourth layer exactly \(\[1,1,1,0\]\)/);
    expect(() => hfLlamaConfig({ ...g.configJson, attention_bias: true })).toThrow(/attention_bias is true: the import takes no q \/ k \/ v \/ o biases for SmolLM3/);
    expect(() => hfLlamaConfig({ ...g.configJson, use_sliding_window: true })).toThrow(/use_sliding_window is true: SmolLM3's windowed attention/);
  });

  it('Qwen3: refuses attention_bias, windowed attention, a bad head_dim and a missing q/k norm, naming them', () => {
    const q = golden('hf_qwen3');
    expect(() => hfLlamaConfig({ ...q.configJson, attention_bias: true })).toThrow(/attention_bias is true: the import takes no q \/ k \/ v \/ o biases for Qwen3/);
    expect(hfLlamaConfig({ ...q.configJson, attention_bias: false }).qkvBias).toBe(false);
    expect(() => hfLlamaConfig({ ...q.configJson, use_sliding_window: true })).toThrow(/use_sliding_window is true: Qwen3's windowed attention/);
    expect(() => hfLlamaConfig({ ...q.configJson, layer_types: ['full_attention', 'sliding_attention'] })).toThrow(/layer_types .*: Qwen3's windowed attention is not supported \(only 'full_attention'\)/);
    expect(hfLlamaConfig({ ...q.configJson, layer_types: ['full_attention', 'full_attention'] }).arch).toBe('qwen3');
    for (const bad of [15, 0, -16, 16.5, '16']) expect(() => hfLlamaConfig({ ...q.configJson, head_dim: bad }), String(bad)).toThrow(/'head_dim' must be a positive even integer \(RoPE pairs\), found /);
    expect(hfLlamaConfig({ ...q.configJson, head_dim: undefined }).headDim).toBe(8); // hidden_size / num_attention_heads, as transformers defaults it
    expect(hfLlamaConfig({ ...q.configJson, head_dim: null }).headDim).toBe(8);
    expect(() => hfLlamaConfig({ ...q.configJson, head_dim: undefined, hidden_size: 30 })).toThrow(/'hidden_size' 30 is not a multiple of 'num_attention_heads' 4/);
    const a = q.st();
    delete a.tensors['model.layers.1.self_attn.k_norm.weight'];
    expect(() => importHfLlama(q.configJson, a)).toThrow(/tensor 'model\.layers\.1\.self_attn\.k_norm\.weight' is missing \(expected shape \[16\]\)/);
    const b = q.st(); // a q_proj of hidden_size rows (head_dim taken as hidden_size / num_attention_heads) is not a Qwen3's of head_dim 16
    b.tensors['model.layers.0.self_attn.q_proj.weight'] = { ...b.tensors['model.layers.0.self_attn.q_proj.weight'], shape: [32, 32] };
    expect(() => importHfLlama(q.configJson, b)).toThrow(/tensor 'model\.layers\.0\.self_attn\.q_proj\.weight' has shape \[32, 32\], expected \[64, 32\]/);
  });
});
