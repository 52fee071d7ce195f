// Memory stays flat (issue 18): the context accounts for every GPU buffer nibble creates (GpuContext.memory); loading
// and disposing a model 100 times, and generating 1,000 tokens, leave it where it was.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { LanguageModel } from '../../src/lm/model.js';
import { synthLlamaGguf } from '../../src/lm/synth.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(() => ctx?.destroy());

const bytes = new Uint8Array(synthLlamaGguf({ dim: 32, ffn: 64, layers: 1, heads: 2, kvHeads: 1, ctx: 1100, seed: 3, weightType: 'Q8_0' }));

it('100 load / generate / dispose cycles return the GPU memory held to where it was', async () => {
  const base = ctx.memory.bytes;
  let held = 0;
  for (let i = 0; i < 100; i++) {
    const lm = await LanguageModel.load(ctx, new Blob([bytes]), { ctxLen: 64, chunk: 8 });
    held = Math.max(held, ctx.memory.bytes - base);
    if (i % 10 === 0) for await (const _ of lm.generate('abc', { maxTokens: 2, seed: i })) void _;
    lm.dispose();
    expect(ctx.memory.bytes, `after cycle ${i}`).toBe(base);
  }
  expect(held).toBeGreaterThan(0);
});

it('1,000 generated tokens hold the same GPU memory after the first ten as at the end', async () => {
  const lm = await LanguageModel.load(ctx, new Blob([bytes]), { ctxLen: 1100, chunk: 16 });
  try {
    let n = 0;
    let afterTen = 0;
    for await (const _ of lm.generate([1, 70, 71], { maxTokens: 1000, temperature: 1, topK: 0, topP: 1, minP: 0, repeatPenalty: 1, seed: 1, ignoreEog: true })) {
      void _;
      if (++n === 10) afterTen = ctx.memory.bytes;
    }
    expect(lm.lastStats!.generatedTokens).toBe(1000);
    expect(ctx.memory.bytes).toBe(afterTen);
    expect(lm.gpuBytes).toBeLessThanOrEqual(ctx.memory.bytes);
  } finally {
    lm.dispose();
  }
});
