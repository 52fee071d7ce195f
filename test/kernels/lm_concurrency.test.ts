// Two models on one device at once (issue 18): generations interleaved on the same GpuContext give the same ids as
// each alone, and disposing one leaves the other's buffers alone (it still gives the same ids afterwards).
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

const a = new Uint8Array(synthLlamaGguf({ dim: 64, ffn: 128, layers: 1, heads: 4, kvHeads: 2, ctx: 64, seed: 1, weightType: 'Q8_0' }));
const b = new Uint8Array(synthLlamaGguf({ arch: 'qwen2', dim: 64, ffn: 128, layers: 2, heads: 4, ctx: 64, seed: 2, weightType: 'Q4_0', tied: true }));

async function ids(lm: LanguageModel, prompt: string, seed: number): Promise<number[]> {
  for await (const _ of lm.generate(prompt, { maxTokens: 12, seed, temperature: 0.8, ignoreEog: true })) void _;
  return lm.lastStats!.ids;
}

it('two models generating at the same time give what each gives alone; dispose of one spares the other', async () => {
  const A = await LanguageModel.load(ctx, new Blob([a]));
  const B = await LanguageModel.load(ctx, new Blob([b]));
  const aloneA = await ids(A, 'Hello', 3);
  const aloneB = await ids(B, 'World', 4);
  const [togetherA, togetherB] = await Promise.all([ids(A, 'Hello', 3), ids(B, 'World', 4)]);
  expect(togetherA).toEqual(aloneA);
  expect(togetherB).toEqual(aloneB);
  A.dispose();
  expect(await ids(B, 'World', 4)).toEqual(aloneB);
  B.dispose();
});
