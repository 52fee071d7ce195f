// nibble lm qat's checkpoints (src/lm/qat.ts): a run cut at a checkpoint of either phase and resumed gives the
// figures and the file of the uninterrupted run, bit for bit (with AdaQAT's bit-widths too); a checkpoint of another
// run is refused naming the option that differs, and one of the QAT phase cannot resume distillation from the
// trained baseline (whose weights it does not hold).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textDataset } from '../../src/data/text.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { qatLlama, type LmQatOptions } from '../../src/lm/qat.js';
import { byteLevelVocab } from '../../src/nn/llama_weights.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { createNodeContext } from '../../runtime/node.js';
import { QAT_LM_CONFIG, qatLmWeights } from '../cases/lm_qat.cases.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(() => ctx?.destroy());

const data = textDataset('ROMEO:\nBut, soft! what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n\n'.repeat(12), Tokenizer.fromGguf(byteLevelVocab()));
const model = { config: QAT_LM_CONFIG, weights: qatLmWeights(11) };
const figures = ['f32_start', 'f32_after', 'ptq', 'qat', 'converted', 'ms_per_step_f32'] as const;

describe('lm qat checkpoints', () => {
  for (const [what, extra] of [
    ['W3 STE', { bits: 3 }],
    ['AdaQAT', { bits: 6, adaqat: { lambda: 2, every: 1 } }],
  ] as [string, Partial<LmQatOptions>][]) {
    it(`${what}: resuming from a checkpoint of either phase gives the uninterrupted run's figures and file`, async () => {
      const o: LmQatOptions = { ...extra, steps: 4, lr: 1e-3, batch: 2, seq: 32, seed: 5, valWindows: 4, metadata: byteLevelVocab() };
      const saved: { phase: string; step: number; bytes: Uint8Array }[] = [];
      const full = await qatLlama(ctx, model, data, { ...o, checkpointEvery: 2, onCheckpoint: (bytes, step, phase) => void saved.push({ phase, step, bytes }) });
      expect(saved.map((c) => `${c.phase}@${c.step}`)).toEqual(['f32@2', 'qat@2']);
      for (const c of saved) {
        const r = await qatLlama(ctx, model, data, { ...o, resume: c.bytes });
        for (const k of figures) if (k !== 'ms_per_step_f32' || c.phase === 'qat') expect(r[k], `${c.phase} checkpoint: ${k}`).toBe(full[k]);
        expect(r.losses.qat).toEqual(c.phase === 'qat' ? full.losses.qat.slice(2) : full.losses.qat);
        expect(Buffer.from(r.gguf).equals(Buffer.from(full.gguf)), `${c.phase} checkpoint: the GGUF differs`).toBe(true);
        if (full.adaqat) expect(JSON.stringify(r.adaqat)).toBe(JSON.stringify(full.adaqat));
      }
    });
  }

  it('refuses a checkpoint of another run, naming the option, and a QAT-phase one for distillation from the baseline', async () => {
    const o: LmQatOptions = { bits: 4, steps: 3, lr: 1e-3, batch: 2, seq: 32, seed: 5, valWindows: 2, metadata: byteLevelVocab() };
    let last: Uint8Array | null = null;
    await qatLlama(ctx, model, data, { ...o, checkpointEvery: 1, onCheckpoint: (b) => void (last = b) });
    await expect(qatLlama(ctx, model, data, { ...o, lr: 2e-3, resume: last! })).rejects.toThrow(/the checkpoint is of another run \('lr': 0\.001 there, 0\.002 here\)/);
    await expect(qatLlama(ctx, { ...model, weights: qatLmWeights(12) }, data, { ...o, resume: last! })).rejects.toThrow(/another run \('model'/);
    const d: LmQatOptions = { ...o, distill: { teacher: 'baseline' } };
    let lastD: Uint8Array | null = null;
    await qatLlama(ctx, model, data, { ...d, checkpointEvery: 1, onCheckpoint: (b) => void (lastD = b) });
    await expect(qatLlama(ctx, model, data, { ...d, resume: lastD! })).rejects.toThrow(/resuming the QAT phase with distillation from the trained baseline needs the baseline's weights/);
    await expect(qatLlama(ctx, model, data, { ...o, resume: new Uint8Array(8) })).rejects.toThrow(/lm qat: resume:/);
  });
});
