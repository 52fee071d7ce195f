// Generation past the context (GenerateOptions.contextShift): when the KV cache is full, the BOS and the newer half
// of the tokens are kept and generation goes on from them. Greedy generation with shifts must give the tokens that a
// fresh prefill of each context gives (the arg-max of the last row of LanguageModel.logits on the tokens in context);
// without contextShift generation stops at the context ('context').
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import type { GpuContext } from '../../src/gpu/context.js';
import type { LanguageModel } from '../../src/lm/model.js';
import { synthLlamaGguf } from '../../src/lm/synth.js';
import { loadBytes } from '../cases/lm_helpers.js';

let ctx: GpuContext;
let lm: LanguageModel;
const CTX = 16;
beforeAll(async () => {
  ctx = await createNodeContext();
  const bytes = synthLlamaGguf({ dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 64, seed: 5 });
  lm = await loadBytes(ctx, bytes, { ctxLen: CTX, chunk: 8, kvType: 'f32', warmup: false });
});
afterAll(() => {
  lm?.dispose();
  ctx?.destroy();
});

async function run(prompt: number[], o: { maxTokens: number; contextShift?: boolean }) {
  const it = lm.generate(prompt, { ...o, temperature: 0, repeatPenalty: 1, ignoreEog: true });
  for (;;) {
    const r = await it.next();
    if (r.done) return r.value;
  }
}

/** BOS, then the bytes of 'To be' (byte b is token 3 + b in the byte-level vocabulary). */
const PROMPT = [1, ...[...'To be'].map((ch) => 3 + ch.charCodeAt(0))];

const argmaxLast = (logits: Float32Array, V: number) => {
  const row = logits.subarray(logits.length - V);
  let best = 0;
  for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
  return best;
};

describe('context shift', () => {
  it('greedy generation past the context equals fresh prefills of each kept context', async () => {
    const prompt = PROMPT;
    const N = 40;
    const s = await run(prompt, { maxTokens: N, contextShift: true });
    expect(s.generatedTokens).toBe(N);
    expect(s.stopReason).toBe('length');
    // Following the generated tokens, the context each one was picked from (the same shift rule); a fresh prefill of
    // that context must make it the arg-max, up to a near-tie (decode and prefill sum in different orders: ~1e-6).
    const V = lm.config.vocab;
    const ids = [...prompt];
    const bos = lm.tokenizer.bos;
    const history = [...ids];
    let inCtx = [...ids];
    let shifts = 0;
    for (let k = 0; k < N; k++) {
      const row = (await lm.logits(inCtx)).subarray((inCtx.length - 1) * V, inCtx.length * V);
      const best = argmaxLast(row, V);
      expect(row[s.ids[k]], `token ${k}: ${s.ids[k]} picked, ${best} is the arg-max`).toBeGreaterThanOrEqual(row[best] - 1e-4);
      history.push(s.ids[k]);
      if (inCtx.length >= CTX) {
        const first = bos !== null && ids[0] === bos ? [bos] : [];
        inCtx = [...first, ...history.slice(-Math.floor((CTX - first.length) / 2))];
        shifts++;
      } else inCtx.push(s.ids[k]);
    }
    expect(shifts).toBeGreaterThanOrEqual(3);
  });

  it('without contextShift generation stops when the context is full', async () => {
    const s = await run(PROMPT, { maxTokens: 40 });
    expect(s.stopReason).toBe('context');
    expect(s.promptTokens + s.generatedTokens).toBe(CTX + 1);
  });
});
