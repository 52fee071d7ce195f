// A lost GPU loses no training work (issue 18): a device destroyed in the middle of QAT training ends train() with a
// GpuError of kind 'device-lost'; training resumes on a new device from the last checkpoint it handed over and
// reaches the same losses, bit for bit, as an uninterrupted run. And 1,000 training steps hold flat GPU memory.
import { expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import { GpuError } from '../../src/gpu/context.js';
import { initMlp } from '../../src/nn/mlp.js';
import { prepare } from '../../src/mlp/qat.js';
import { train } from '../../src/mlp/trainer.js';
import { toyData } from '../cases/qat_helpers.js';

const data = toyData(96, 7);
const opts = { epochs: 3, batch: 16, lr: 0.01, seed: 9, checkpointEvery: 4 };

it('training interrupted by a lost device resumes on a new one from the last checkpoint with the same losses', async () => {
  const model = prepare(initMlp([32, 32, 4], 8), { bits: 4, group: 16 });
  const ref = await createNodeContext();
  const full = await train(ref, model, data, opts);
  ref.destroy();

  const ctx1 = await createNodeContext();
  let saved: { bytes: Uint8Array; step: number } | null = null;
  const err = await train(ctx1, model, data, {
    ...opts,
    onCheckpoint: (bytes, step) => void (saved = { bytes, step }),
    onStep: (s) => {
      if (s.step === 10) ctx1.device.destroy();
    },
  }).then(
    () => null,
    (e) => e,
  );
  expect(err).toBeInstanceOf(GpuError);
  expect((err as GpuError).kind).toBe('device-lost');
  expect(saved!.step).toBe(8);

  const ctx2 = await createNodeContext();
  try {
    const rest = await train(ctx2, model, data, { ...opts, resume: saved!.bytes });
    expect(rest.losses).toEqual(full.losses.slice(8));
    expect(rest.weights.w).toEqual(full.weights.w);
  } finally {
    ctx2.destroy();
  }
});

it('1,000 QAT training steps leave the GPU memory held where it was', async () => {
  const ctx = await createNodeContext();
  try {
    const model = prepare(initMlp([32, 16, 4], 3), { bits: 4, group: 16 });
    const base = ctx.memory.bytes;
    let atTen = 0;
    let peak = 0;
    const r = await train(ctx, model, toyData(96, 2), {
      epochs: 167,
      batch: 16,
      lr: 0.01,
      seed: 1,
      onStep: (s) => {
        if (s.step === 10) atTen = ctx.memory.bytes;
        if (s.step > 10) peak = Math.max(peak, ctx.memory.bytes);
      },
    });
    expect(r.steps).toBeGreaterThanOrEqual(1000);
    expect(peak).toBe(atTen);
    expect(ctx.memory.bytes - base, 'held after train() returned').toBeLessThanOrEqual(ctx.pool.bytesHeld);
  } finally {
    ctx.destroy();
  }
});
