// The training loop of any model on the graph (train): a TrainableGraph (loss + params, src/train/graph_trainer.ts),
// the batches of each step, a learning-rate schedule, and the loop's services: gradient accumulation, periodic
// evaluation, checkpoints (with exact resume), progress (loss, step time, tokens/s), and a stop on a loss that is not
// finite naming the last good checkpoint. It knows no particular model: the Llama's pretraining and QAT
// (src/lm/pretrain.ts, src/lm/qat.ts) are two callers.
import { GraphTrainer, medianStepMs, TrainingError, type GraphInputs, type TrainableGraph } from './graph_trainer.js';
import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../graph/tensor.js';

/**
 * How a checkpoint's recipe (JSON) differs from this run's: "'key': <there> there, <here> here" for the first key
 * that differs, or null when they are the same. A checkpoint resumes only its own run (callers' checkResume).
 */
export function recipeDifference(there: string | undefined, here: string): string | null {
  if (there === here) return null;
  const was = JSON.parse(there ?? '{}') as Record<string, unknown>;
  const now = JSON.parse(here) as Record<string, unknown>;
  const key = Object.keys({ ...was, ...now }).find((k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]));
  return key === undefined ? 'the recipe text' : `'${key}': ${JSON.stringify(was[key])} there, ${JSON.stringify(now[key])} here`;
}

export interface TrainStep {
  step: number;
  total: number;
  loss: number;
  lr: number;
  ms: number;
  tokensPerSec: number;
}

export interface TrainOptions {
  /** Steps of the run (a resumed run continues to this many). */
  steps: number;
  /** The learning rate of step s (0-based): e.g. warmupCosine. */
  lr: (step: number) => number;
  /** The inputs of step s: one batch, or `accumulate` micro-batches. */
  batches: (step: number) => GraphInputs | GraphInputs[];
  /** Micro-batches per step (default 1). */
  accumulate?: number;
  weightDecay?: number;
  /** Global gradient-norm bound (0 or absent: none). */
  clipNorm?: number;
  /** Learning-rate multiplier per param (e.g. LSQ scales). */
  lrScale?: (p: Tensor) => number;
  /** Per-param AdamW settings over the defaults (GraphTrainer.create). */
  paramOptions?: (p: Tensor) => { weightDecay?: number; lrScale?: number };
  /** What evaluate reads (default: the loss). */
  evalOut?: Tensor;
  /** Tokens (or samples) a step consumes, for the tokens/s figure. */
  tokensPerStep?: number;
  /** Evaluate every this many steps (0 or absent: only where the caller asks), calling onEval and, before the last step, onCheckpoint. */
  evalEvery?: number;
  /** The evaluation, given the trainer (e.g. the mean loss over fixed validation batches). */
  evaluate?: (tr: GraphTrainer) => Promise<number>;
  /** A checkpoint of this run to continue from: restored before the first step (exact resume). */
  resume?: Uint8Array;
  /** Or the caller restores the trainer itself (its own checkpoint format: params, then tr.loadOptimizer). */
  restore?: (tr: GraphTrainer) => void | Promise<void>;
  /** Stop after this step (an interrupted run: the schedule stays that of `steps`). */
  stopAt?: number;
  /** Also a checkpoint every this many steps before the last, and (checkpointAtEnd) after the last step run, without evaluating. */
  checkpointEvery?: number;
  checkpointAtEnd?: boolean;
  /** The checkpoint's bytes (default: tr.checkpoint(checkpointMeta), the graph trainer's format). */
  checkpointBytes?: (tr: GraphTrainer, step: number) => Promise<Uint8Array>;
  /** Checks a restored checkpoint's metadata (e.g. the recipe); throw to refuse it. */
  checkResume?: (meta: Record<string, string>, step: number) => void;
  /** Metadata every checkpoint carries (e.g. the recipe); a function gives it at each checkpoint (state that moves). */
  checkpointMeta?: Record<string, string> | (() => Record<string, string>);
  onStep?: (s: TrainStep) => void;
  /** Runs after each step (after onStep) with the step's inputs while the trainer lives (e.g. AdaQAT's bit-width update). */
  afterStep?: (step: number, tr: GraphTrainer, inputs: GraphInputs | GraphInputs[]) => Promise<void>;
  onEval?: (step: number, value: number, tr: GraphTrainer) => void | Promise<void>;
  /** A checkpoint at each evaluation before the last step; `where` names it in a later stop (e.g. its file). */
  onCheckpoint?: (bytes: Uint8Array, step: number) => void | string | Promise<void | string>;
}

export interface TrainResult {
  /** The loss of every step run (not those before a resume). */
  losses: number[];
  evals: { step: number; value: number }[];
  /** Median step time (from the third step on). */
  msPerStep: number;
  tokensPerSec: number;
}

/**
 * Runs the loop on a trainer made for `t` (its executables are destroyed at the end; the graph stays the
 * caller's). `before` runs on the trainer before the first step (e.g. the start's evaluation), `after` after the
 * last (e.g. reading the trained weights), both while the trainer lives.
 */
export async function train<A = void, B = void>(ctx: GpuContext, t: TrainableGraph, o: TrainOptions & { before?: (tr: GraphTrainer) => Promise<A>; after?: (tr: GraphTrainer) => Promise<B> }): Promise<TrainResult & { before: A; after: B }> {
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new TrainingError(`train: steps ${o.steps} must be an integer >= 1`);
  const tr = await GraphTrainer.create(ctx, t, { lr: o.lr(0), weightDecay: o.weightDecay ?? 0, clipNorm: o.clipNorm, accumulate: o.accumulate, evalOut: o.evalOut, lrScale: o.lrScale, paramOptions: o.paramOptions });
  try {
    if (o.resume) {
      const meta = tr.restore(o.resume);
      o.checkResume?.(meta, tr.stepsTaken);
    }
    if (o.restore) await o.restore(tr);
    const resumed = !!(o.resume || o.restore);
    // A graph-trainer checkpoint must leave a step to run; a caller's restore (the MLP) may end exactly at the run's end.
    if (tr.stepsTaken > o.steps || (o.resume && tr.stepsTaken === o.steps)) throw new TrainingError(`train: the checkpoint is at step ${tr.stepsTaken}, the run has ${o.steps}`);
    const before = (await o.before?.(tr)) as A;
    const losses: number[] = [];
    const times: number[] = [];
    const evals: { step: number; value: number }[] = [];
    let lastGood: { step: number; where?: string } | null = resumed ? { step: tr.stepsTaken, where: 'the checkpoint this run resumed from' } : null;
    const save = async (step: number) => {
      const meta = typeof o.checkpointMeta === 'function' ? o.checkpointMeta() : o.checkpointMeta;
      const bytes = o.checkpointBytes ? await o.checkpointBytes(tr, step) : await tr.checkpoint(meta);
      const where = await o.onCheckpoint!(bytes, step);
      lastGood = { step, ...(where ? { where } : {}) };
    };
    const end = Math.min(o.steps, o.stopAt ?? o.steps);
    const named = () => (!lastGood ? 'no checkpoint was written before it' : lastGood.where ? `the last good checkpoint is ${lastGood.where}, at step ${lastGood.step}` : `the last good checkpoint is from step ${lastGood.step}`);
    const perStep = o.tokensPerStep ?? 0;
    for (let step = tr.stepsTaken; step < end; step++) {
      const lr = o.lr(step);
      let r: { loss: number; ms: number };
      const inputs = o.batches(step);
      try {
        r = await tr.step(inputs, lr);
      } catch (e) {
        if (!(e instanceof TrainingError) || !/the loss is/.test(e.message)) throw e;
        throw new TrainingError(`${e.message}; ${named()}`);
      }
      losses.push(r.loss);
      times.push(r.ms);
      o.onStep?.({ step: step + 1, total: o.steps, loss: r.loss, lr, ms: r.ms, tokensPerSec: (perStep * 1000) / r.ms });
      await o.afterStep?.(step + 1, tr, inputs);
      if (o.evaluate && o.evalEvery && o.evalEvery > 0 && (step + 1) % o.evalEvery === 0 && step + 1 < o.steps) {
        const v = await o.evaluate(tr);
        // A checkpoint is written only of weights whose evaluation is finite: what it names can be resumed from.
        if (!Number.isFinite(v)) throw new TrainingError(`train: the evaluation at step ${step + 1} is ${v} (lower the learning rate, or clip the gradient norm); ${named()}`);
        evals.push({ step: step + 1, value: v });
        await o.onEval?.(step + 1, v, tr);
        if (o.onCheckpoint) await save(step + 1);
      } else if (o.onCheckpoint && o.checkpointEvery && (step + 1) % o.checkpointEvery === 0 && step + 1 < o.steps) await save(step + 1);
    }
    if (o.onCheckpoint && o.checkpointAtEnd && lastGood?.step !== end) await save(end);
    const after = (await o.after?.(tr)) as B;
    const msPerStep = medianStepMs(times);
    return { losses, evals, msPerStep, tokensPerSec: (perStep * 1000) / msPerStep, before, after };
  } finally {
    tr.destroy();
  }
}
