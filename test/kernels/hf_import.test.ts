// Import of a Hugging Face Llama checkpoint (src/nn/hf_llama.ts) against PyTorch's logits for it
// (test/golden/hf_llama/, written once by test/golden/gen_hf_llama.py with Hugging Face's Llama forward in float64):
//   - the f64 reference on the imported weights: |dz| <= 1e-6 (the same math on the same f32 weights; a missing
//     q/k row permutation or a wrong repeat_kv gives O(1));
//   - the training graph's forward (f32 on the GPU): |dz| <= 1e-4 (|z| < 5, K <= 48: f32 sums, 2 layers);
//   - missing and misshapen tensors and bad configs are refused, naming the tensor or key and the shape expected.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { gguf, parseGgufFile } from '../../src/io/gguf.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { hfLlamaConfig, importHfLlama } from '../../src/nn/hf_llama.js';
import { buildLlamaTrainGraph } from '../../src/nn/llama_train.js';
import { writeLlamaGguf } from '../../src/nn/llama_weights.js';
import { llamaLogitsRef } from '../../src/ref/llama.js';
import { maxDiff } from '../cases/lm_helpers.js';

const dir = join(__dirname, '../golden/hf_llama');
const configJson = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
const st = () => parseSafetensors(readFileSync(join(dir, 'model.safetensors')), 'model.safetensors');
const golden = JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as { ids: number[]; logits: number[] };

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(() => ctx?.destroy());

describe('Hugging Face Llama import', () => {
  it("reproduces PyTorch's logits: the f64 reference to 1e-6, the training forward on the GPU to 1e-4", async () => {
    const { config, weights } = importHfLlama(configJson, st());
    expect([config.vocab, config.dim, config.layers, config.heads, config.kvHeads, config.ffn, config.ctx, config.tied]).toEqual([64, 32, 2, 4, 2, 48, 32, false]);
    const tokens = gguf.array('string', Array.from({ length: config.vocab }, (_, i) => `t${i}`));
    const file = parseGgufFile(writeLlamaGguf(config, weights, { 'tokenizer.ggml.tokens': tokens }));
    const ref = llamaLogitsRef(file, golden.ids);
    const dRef = maxDiff(ref, golden.logits);
    const T = golden.ids.length;
    const t = buildLlamaTrainGraph(ctx, config, weights, { B: 1, T });
    let dGpu: number;
    try {
      const exe = await t.graph.compile({ outputs: [t.logits] });
      await exe.run({ ids: Int32Array.from(golden.ids), targets: new Int32Array(T) });
      dGpu = maxDiff(await exe.read(t.logits), golden.logits);
    } finally {
      t.graph.destroy();
    }
    console.log(`HF import vs PyTorch logits: f64 reference ${dRef.toExponential(2)}, GPU training forward ${dGpu.toExponential(2)} (max |z| ${Math.max(...golden.logits.map(Math.abs)).toFixed(2)})`);
    expect(dRef).toBeLessThanOrEqual(1e-6);
    expect(dGpu).toBeLessThanOrEqual(1e-4);
  });

  it('refuses missing and misshapen tensors and bad configs, naming them', () => {
    const a = st();
    delete a.tensors['model.layers.1.mlp.up_proj.weight'];
    expect(() => importHfLlama(configJson, a)).toThrow(/tensor 'model\.layers\.1\.mlp\.up_proj\.weight' is missing \(expected shape \[48, 32\]\)/);
    const b = st();
    b.tensors['model.layers.0.self_attn.k_proj.weight'] = { ...b.tensors['model.layers.0.self_attn.k_proj.weight'], shape: [32, 16] };
    expect(() => importHfLlama(configJson, b)).toThrow(/tensor 'model\.layers\.0\.self_attn\.k_proj\.weight' has shape \[32, 16\], expected \[16, 32\]/);
    expect(() => hfLlamaConfig({ ...configJson, model_type: 'gpt2' })).toThrow(/model_type 'gpt2' is not 'llama'/);
    expect(() => hfLlamaConfig({ ...configJson, hidden_size: undefined })).toThrow(/'hidden_size' must be a positive integer, found undefined/);
    expect(() => hfLlamaConfig({ ...configJson, rope_scaling: { type: 'linear', factor: 2 } })).toThrow(/rope_scaling .* is not supported/);
  });
});
