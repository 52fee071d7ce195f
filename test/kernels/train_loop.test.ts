// The generic training loop (src/train/loop.ts train) on a small model of nibble's layers: evaluations and
// checkpoints at their steps, exact resume from a checkpoint, tokens/s, and a loss that stops being finite naming
// the last good checkpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import * as ops from '../../src/ops/index.js';
import { GraphScope, initWeights, Linear } from '../../src/nn/layers.js';
import { rng } from '../../src/ref/random.js';
import { TrainingError } from '../../src/train/graph_trainer.js';
import { train, type TrainOptions } from '../../src/train/loop.js';
import { createNodeContext } from '../../runtime/node.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(() => ctx?.destroy());

const N = 8;
const LAYERS = [new Linear('w0', 16, 8, { bias: 'b0' }), new Linear('w1', 4, 16)];

function model() {
  const g = new Graph(ctx, 'loop');
  const s = new GraphScope(g, initWeights(LAYERS, 1));
  const x = g.input('x', [N, 8]);
  const y = g.input('y', [N], 'i32');
  const loss = ops.crossEntropy(LAYERS[1].forward(s, ops.relu(LAYERS[0].forward(s, x))), y);
  return { graph: g, loss, params: [...s.params.values()], s };
}

function batch(step: number) {
  const r = rng(100 + step);
  return { x: Float32Array.from({ length: N * 8 }, () => 2 * r() - 1), y: Int32Array.from({ length: N }, () => Math.floor(r() * 4)) };
}

async function run(o: Partial<TrainOptions> & { steps: number }) {
  const t = model();
  try {
    const r = await train(ctx, t, { lr: () => 1e-2, batches: batch, tokensPerStep: N, evaluate: async (tr) => (await tr.evaluate(batch(-1)))[0], ...o, after: async () => Promise.all(t.params.map((p) => t.graph.readParam(p))) });
    return r;
  } finally {
    t.graph.destroy();
  }
}

describe('train (the generic loop)', () => {
  it('evaluates and checkpoints every evalEvery steps, resumes bit for bit, reports tokens/s', async () => {
    const ckpts: { step: number; bytes: Uint8Array }[] = [];
    const evals: number[] = [];
    const full = await run({ steps: 6, evalEvery: 2, onEval: (s) => void evals.push(s), onCheckpoint: (bytes, step) => void ckpts.push({ step, bytes }) });
    expect(evals).toEqual([2, 4]);
    expect(ckpts.map((c) => c.step)).toEqual([2, 4]);
    expect(full.losses.length).toBe(6);
    expect(full.losses[5]).toBeLessThan(full.losses[0]);
    expect(full.tokensPerSec).toBeGreaterThan(0);
    const resumed = await run({ steps: 6, resume: ckpts[0].bytes });
    expect(resumed.losses).toEqual(full.losses.slice(2));
    expect(resumed.after).toEqual(full.after);
    await expect(run({ steps: 2, resume: ckpts[1].bytes })).rejects.toThrow(/the checkpoint is at step 4, the run has 2/);
    await expect(run({ steps: 6, resume: ckpts[0].bytes, checkResume: () => { throw new TrainingError('not this recipe'); } })).rejects.toThrow(/not this recipe/);
    await expect(run({ steps: 0 })).rejects.toThrow(/steps 0 must be an integer >= 1/);
  });

  it('a loss that is not finite stops training, naming the last good checkpoint', async () => {
    // Steps 0..4 at a sane rate; from step 5 the rate sends the weights to the float limit and the loss overflows.
    const lr = (s: number) => (s < 5 ? 1e-2 : 1e38);
    let err: unknown;
    try {
      await run({ steps: 12, lr, evalEvery: 2, onCheckpoint: (_b, step) => `ckpt-${step}.safetensors` });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrainingError);
    // The evaluation at step 6 (after the first step at the huge rate) or the loss of a later step is not finite;
    // the checkpoint of step 4 is the last one written.
    expect((err as Error).message).toMatch(/(the loss is|the evaluation at step 6 is) (NaN|-?Infinity).*; the last good checkpoint is ckpt-4\.safetensors, at step 4$/);
    await expect(run({ steps: 12, lr })).rejects.toThrow(/the loss is .*; no checkpoint was written before it/);
  });
});
