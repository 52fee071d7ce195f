// A language model on an adapter with a phone's binding limit: the device is requested with
// maxStorageBufferBindingSize = 128 MiB (WebGPU's default, which many phones report as their maximum), and the
// model's output weight (tied token embedding, vocab 131072 x dim 1024, Q8_0: 136 MiB in the file and in
// nibble's layout of 8-bit codes and f16 scales) exceeds it. Block weights are split into shards along N; the logits of
// every position must still match the f64 reference (NIBBLE_BOUND, as in lm_llamacpp.test.ts). Float weights split
// the same way (whole rows per buffer; F16 / BF16 at 2 bytes a parameter): an F16 head of 129 MiB runs in two shards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { encodeGgufFile, parseGgufFile, type GgufTensorIn } from '../../src/io/gguf.js';
import { LanguageModel } from '../../src/lm/model.js';
import { spmByteVocab, synthLlamaGguf, LOGIT_STD } from '../../src/lm/synth.js';
import { f32ToF16Bits } from '../../src/quant/f16.js';
import { llamaLogitsRef, softmaxRows } from '../../src/ref/llama.js';

const MiB = 1 << 20;
const LIMIT = 128 * MiB;
const NIBBLE_BOUND = 5e-4;
let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeContext({ limits: { maxStorageBufferBindingSize: LIMIT } });
});
afterAll(() => ctx?.destroy());

/** A vocabulary of `n` tokens: the byte-level SPM one, then pieces t0, t1, ... */
const vocabOf = (n: number) => spmByteVocab(Array.from({ length: n - 259 }, (_, i) => ({ text: `t${i}`, score: -i })));

/**
 * A 1-layer llama (dim 1024) whose tied token embedding [vocab, 1024] is `embd`: the other tensors come from
 * synthLlamaGguf on the byte vocabulary (fast), the large one is written here.
 */
function withEmbedding(vocab: number, embd: GgufTensorIn): Uint8Array {
  const base = parseGgufFile(synthLlamaGguf({ dim: 1024, ffn: 256, layers: 1, heads: 8, ctx: 64, tied: true, weightType: 'Q8_0', seed: 3 }));
  const tensors: GgufTensorIn[] = base.tensors.map((t) => (t.name === 'token_embd.weight' ? embd : { name: t.name, type: t.type, shape: t.shape, data: t.data }));
  return encodeGgufFile(tensors, { ...base.metadata, ...vocabOf(vocab) });
}

/** Random Q8_0 blocks (int8 codes uniform on [-127, 127], standard deviation 73.3) scaled to `std`, +-20% a block. */
function randomQ8_0(N: number, K: number, std: number, seed: number): Uint8Array {
  const out = new Uint8Array((N * K * 34) / 32);
  let s = seed >>> 0 || 1;
  const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), s >>> 0); // xorshift32
  for (let o = 0; o < out.length; o += 34) {
    const h = f32ToF16Bits(((0.8 + 0.4 * (next() / 2 ** 32)) * std) / 73.3);
    out[o] = h & 255;
    out[o + 1] = h >> 8;
    for (let j = 0; j < 32; j += 4) {
      const r = next();
      for (let b = 0; b < 4; b++) out[o + 2 + j + b] = ((((r >>> (8 * b)) & 255) % 255) - 127) & 255;
    }
  }
  return out;
}

describe('language model on a 128 MiB binding limit', () => {
  it('the device has the limit asked for', () => {
    expect(ctx.limits.maxStorageBufferBindingSize).toBe(LIMIT);
  });

  it('a Q8_0 output weight of 136 MiB runs in shards: the logits of decode steps match the f64 reference, the GPU argmax its argmax', async () => {
    const V = 131072;
    const bytes = withEmbedding(V, { name: 'token_embd.weight', type: 'Q8_0', shape: [V, 1024], data: randomQ8_0(V, 1024, LOGIT_STD / 32, 5) });
    const lm = await LanguageModel.load(ctx, new Blob([bytes as BlobPart]), { ctxLen: 16, chunk: 4 });
    try {
      const out = lm.engine['res'].weights.get('token_embd.weight')!;
      expect(out.kind).toBe('quant');
      const shards = out.kind === 'quant' ? out.shards.length : 0;
      expect(shards).toBeGreaterThan(1);
      // Decode steps (one token each, as generation runs) through the sharded head, at every position.
      const ids = [1, 3 + 72, 131071];
      const ours = await lm.logits(ids, { decode: true });
      const ref = llamaLogitsRef(parseGgufFile(bytes), ids);
      let dz = 0;
      for (let i = 0; i < ref.length; i++) dz = Math.max(dz, Math.abs(ours[i] - ref[i]));
      const p = softmaxRows(ours, ids.length, V);
      const q = softmaxRows(ref, ids.length, V);
      let dp = 0;
      for (let i = 0; i < p.length; i++) dp = Math.max(dp, Math.abs(p[i] - q[i]));
      console.log(`128 MiB limit: output weight ${(out.bytes / MiB).toFixed(1)} MiB in ${shards} shards; ${ids.length} positions x ${V}: max |z - z_f64| ${dz.toExponential(2)}, max |p - p_f64| ${dp.toExponential(2)} (bound ${NIBBLE_BOUND})`);
      expect(dp).toBeLessThanOrEqual(NIBBLE_BOUND);
      // Greedy on the GPU (argmax over the 131072 logits): the reference's argmax after BOS.
      for await (const _ of lm.generate([1], { temperature: 0, repeatPenalty: 1, maxTokens: 1 })) void _;
      let best = 0;
      for (let v = 1; v < V; v++) if (ref[v] > ref[best]) best = v;
      expect(lm.lastStats!.ids[0]).toBe(best);
    } finally {
      lm.dispose();
    }
  });

  it('an F16 output weight of 129 MiB (at 16 bits) runs in shards of whole rows: the logits match the f64 reference', async () => {
    const V = 66048; // 66048 x 1024 at 2 bytes = 129 MiB: two shards (65535 rows + 513)
    const a = Math.sqrt(3) * (LOGIT_STD / 32); // uniform on [-a, a]: standard deviation LOGIT_STD / 32
    const h = new Uint16Array(V * 1024);
    let s = 7;
    for (let i = 0; i < h.length; i++) h[i] = f32ToF16Bits(a * (2 * ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 1));
    const bytes = withEmbedding(V, { name: 'token_embd.weight', type: 'F16', shape: [V, 1024], data: new Uint8Array(h.buffer) });
    const lm = await LanguageModel.load(ctx, new Blob([bytes as BlobPart]), { ctxLen: 16, chunk: 4 });
    try {
      const out = lm.engine['res'].weights.get('token_embd.weight')!;
      expect(out.kind).toBe('float');
      const shards = out.kind === 'float' ? out.shards.map((x) => x.n) : [];
      expect(shards).toEqual([65535, 513]);
      expect(out.bytes).toBe(2 * V * 1024); // 2 bytes a parameter
      const ids = [1, 3 + 72, V - 1];
      const ours = await lm.logits(ids, { decode: true });
      const pre = await lm.logits(ids);
      const ref = llamaLogitsRef(parseGgufFile(bytes), ids);
      const p = softmaxRows(ours, ids.length, V);
      const q = softmaxRows(ref, ids.length, V);
      let dp = 0;
      for (let i = 0; i < p.length; i++) dp = Math.max(dp, Math.abs(p[i] - q[i]));
      let dz = 0;
      for (let i = 0; i < pre.length; i++) dz = Math.max(dz, Math.abs(pre[i] - ours[i]));
      console.log(`128 MiB limit: F16 output weight ${(out.bytes / MiB).toFixed(1)} MiB in shards of ${shards.join(' + ')} rows; ${ids.length} positions x ${V}: max |p - p_f64| ${dp.toExponential(2)} (bound ${NIBBLE_BOUND}), prefill vs decode max |dz| ${dz.toExponential(2)}`);
      expect(dp).toBeLessThanOrEqual(NIBBLE_BOUND);
      expect(dz).toBeLessThanOrEqual(1e-4);
    } finally {
      lm.dispose();
    }
  });
});
