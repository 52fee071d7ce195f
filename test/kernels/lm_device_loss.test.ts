// A lost GPU loses no work (issue 18): a device destroyed in the middle of a generation ends it with a GpuError of
// kind 'device-lost' (no hang); the model reloads on a new device from the same source, and the same seed then gives
// the same text as an uninterrupted run.
import { expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import { GpuError } from '../../src/gpu/context.js';
import { LanguageModel } from '../../src/lm/model.js';
import { synthLlamaGguf } from '../../src/lm/synth.js';

const bytes = new Uint8Array(synthLlamaGguf({ dim: 64, ffn: 128, layers: 2, heads: 4, kvHeads: 2, ctx: 128, seed: 8, weightType: 'Q4_0' }));
const opts = { maxTokens: 24, seed: 5, temperature: 0.9, ignoreEog: true };

it('generation on a lost device fails with device-lost, then reloads on a new device and gives the same text', async () => {
  const ctx1 = await createNodeContext();
  const lm = await LanguageModel.load(ctx1, new Blob([bytes]), { ctxLen: 64 });
  let want = '';
  for await (const p of lm.generate('To be', opts)) want += p;
  const wantIds = lm.lastStats!.ids;
  let got = 0;
  const err = await (async () => {
    try {
      for await (const _ of lm.generate('To be', opts)) {
        void _;
        if (++got === 5) ctx1.device.destroy();
      }
    } catch (e) {
      return e;
    }
    return null;
  })();
  expect(err).toBeInstanceOf(GpuError);
  expect((err as GpuError).kind).toBe('device-lost');
  const ctx2 = await createNodeContext();
  try {
    await lm.reload(ctx2);
    let again = '';
    for await (const p of lm.generate('To be', opts)) again += p;
    expect(lm.lastStats!.ids).toEqual(wantIds);
    expect(again).toBe(want);
    lm.dispose();
    expect(ctx2.memory.bytes).toBe(0);
  } finally {
    ctx2.destroy();
  }
});
