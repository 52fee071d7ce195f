// Training the digits MLP, identical in Node and the browser, on the generic loop (src/train/loop.ts): seeded
// batches, one submit per step (forward, backward, clipping and the optimizer), the loss read back each step (NaN
// stops training and names the last good checkpoint), checkpoints (safetensors bytes in the MLP's format: weights,
// optimizer state, step, quantizers, AdaQAT state) that resume to the same next-step loss.
import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../graph/tensor.js';
import { checkpointBytes, CheckpointError, readCheckpoint } from './checkpoint.js';
import { buildMlp, readQParams, readWeights, type LayerQuant, type MlpWeights, type QParams } from '../nn/mlp.js';
import { rng } from '../ref/random.js';
import type { MlpModel } from './qat.js';
import { warmupCosine } from '../train/schedule.js';
import { AdaQat, type AdaQatOptions, type AdaQatReport } from './adaqat.js';
import { TrainingError, type GraphTrainer } from '../train/graph_trainer.js';
import { train as loop } from '../train/loop.js';

export interface Dataset {
  /** [count, features] f32, row-major. */
  x: Float32Array;
  /** [count] class ids. */
  y: ArrayLike<number>;
  count: number;
  features: number;
}

export interface StepInfo {
  step: number;
  total: number;
  epoch: number;
  loss: number;
  ms: number;
  lr: number;
}

export interface TrainOptions {
  epochs: number;
  batch: number;
  lr: number;
  weightDecay?: number;
  warmupSteps?: number;
  /** Global-norm gradient clipping. */
  clipNorm?: number;
  /** Seeds the batch order (the weights come in with the model). */
  seed: number;
  onStep?: (s: StepInfo) => void;
  /** Called with checkpoint bytes every `checkpointEvery` steps (and at the end); Node writes them atomically. */
  checkpointEvery?: number;
  onCheckpoint?: (bytes: Uint8Array, step: number) => void | Promise<void>;
  /** Resume from checkpoint bytes written by this loop. */
  resume?: Uint8Array;
  /** Stop after this many steps in total (an interrupted run, for tests). */
  stopAtStep?: number;
  /** AdaQAT: learn each quantized layer's bit-widths during training (see src/mlp/adaqat.ts). */
  adaqat?: AdaQatOptions;
  /** Called after each AdaQAT bit-width update with the bit-widths chosen so far. */
  onBits?: (r: AdaQatReport, step: number) => void;
}

export interface TrainResult {
  weights: MlpWeights;
  steps: number;
  losses: number[];
  /** Median wall time of a step (submit to loss read back), warm-up steps excluded (and AdaQAT's probes). */
  msPerStep: number;
  /** The quantizers the model ends with (the prepared ones, or the bit-widths AdaQAT chose). */
  quant: (LayerQuant | null)[];
  /** The learned quantizer parameters (models prepared with `learn`). */
  qparams?: QParams;
  adaqat?: AdaQatReport;
}

/** The one training error class (src/train/graph_trainer.ts), re-exported for the MLP's callers. */
export { TrainingError };

/** The order of the rows in `epoch`: a seeded Fisher-Yates shuffle. */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  const r = rng((seed * 7919 + epoch * 104729) >>> 0);
  const p = Uint32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * Trains `model` (f32, or QAT when its layers carry quantizers) with AdamW on `data`: a caller of the generic loop
 * (src/train/loop.ts), which runs the steps, the NaN stop and the checkpoints; here are the MLP's batches (a seeded
 * shuffle per epoch), its optimizer settings, its checkpoint format (src/mlp/checkpoint.ts) and AdaQAT's updates.
 */
export async function train(ctx: GpuContext, model: MlpModel, data: Dataset, o: TrainOptions): Promise<TrainResult> {
  const { sizes } = model.weights;
  if (data.features !== sizes[0]) throw new Error(`train: data has ${data.features} features, the model takes ${sizes[0]}`);
  const B = o.batch;
  if (!Number.isInteger(B) || B <= 0 || B > data.count) throw new Error(`train: batch ${B} must be in 1..${data.count}`);
  const perEpoch = Math.floor(data.count / B);
  const total = perEpoch * o.epochs;
  const ada = o.adaqat ? new AdaQat(ctx, model.quant, sizes, o.adaqat) : null;
  let weights = model.weights;
  let qparams = model.qparams;
  let restored: { opt: Record<string, Float32Array>; step: number } | null = null;
  if (o.resume) {
    const ck = readCheckpoint(o.resume, sizes);
    if (ck.step > total) throw new CheckpointError(`checkpoint: step ${ck.step} is past this run's ${total} steps`);
    weights = ck.weights;
    if (ck.qparams) qparams = ck.qparams;
    if (ada) {
      if (ck.adaqat === undefined) throw new CheckpointError('train: resume: the checkpoint has no AdaQAT state, but adaqat is on');
      ada.load(ck.adaqat as Parameters<AdaQat['load']>[0]);
    }
    restored = { opt: ck.opt, step: ck.step };
  }
  // One graph for the whole run: with AdaQAT its quantizers read their bit-widths from run-time ranges.
  const quant = ada ? ada.trainingQuant() : model.quant;
  const mg = buildMlp(ctx, weights, { batch: B, quant: quant.length ? quant : undefined, qparams, loss: true, label: quant.some(Boolean) ? 'qat-step' : 'f32-step' });
  try {
    ada?.attachMlp(mg);
    const learned = new Set(mg.qp.values());
    // Learned quantizer parameters take no weight decay, and (Adam's steps are ~lr whatever the gradient's size) a
    // learning rate relative to their size: scales move by ~lr of their initial mean per step, zero points by lr codes.
    const wd = o.weightDecay ?? 0.01;
    const paramOptions = (p: Tensor) => {
      if (!learned.has(p)) return { weightDecay: wd }; // biases too (the MLP's recipe)
      if (p.name.endsWith('zero_point')) return { weightDecay: 0, lrScale: 1 };
      const v = model.qparams![p.name]; // the initial values (also on resume: the same scale as an uninterrupted run)
      return { weightDecay: 0, lrScale: v.reduce((s, x) => s + Math.abs(x), 0) / v.length };
    };
    const currentQuant = () => (ada ? ada.quant() : model.quant);
    const xb = new Float32Array(B * data.features);
    const yb = new Int32Array(B);
    let order: Uint32Array = new Uint32Array(0);
    let orderEpoch = -1;
    const batches = (step: number) => {
      const epoch = Math.floor(step / perEpoch);
      if (epoch !== orderEpoch) {
        order = epochOrder(data.count, o.seed, epoch);
        orderEpoch = epoch;
      }
      const first = (step % perEpoch) * B;
      for (let i = 0; i < B; i++) {
        const r = order[first + i];
        xb.set(data.x.subarray(r * data.features, (r + 1) * data.features), i * data.features);
        yb[i] = data.y[r];
      }
      return { x: xb, labels: yb };
    };
    const r = await loop(ctx, { graph: mg.graph, loss: mg.loss!, params: [...mg.w, ...mg.b, ...mg.qp.values()] }, {
      steps: total,
      stopAt: o.stopAtStep,
      lr: warmupCosine({ lr: o.lr, warmupSteps: Math.min(o.warmupSteps ?? 0, total - 1), totalSteps: total, minLr: o.lr * 0.05 }),
      batches,
      weightDecay: wd,
      clipNorm: o.clipNorm,
      paramOptions,
      restore: restored ? (tr) => tr.loadOptimizer(restored!.opt, restored!.step) : undefined,
      onStep: (st) => o.onStep?.({ step: st.step, total, epoch: Math.floor((st.step - 1) / perEpoch), loss: st.loss, ms: st.ms, lr: st.lr }),
      afterStep: ada
        ? async (step, tr, inputs) => {
            if (await ada.afterStep(step, tr, inputs)) o.onBits?.(ada.report(), step);
          }
        : undefined,
      ...(o.onCheckpoint
        ? {
            checkpointEvery: o.checkpointEvery,
            checkpointAtEnd: true,
            onCheckpoint: async (bytes: Uint8Array, step: number) => void (await o.onCheckpoint!(bytes, step)),
            checkpointBytes: async (tr: GraphTrainer, step: number) => checkpointBytes(await readWeights(mg, sizes), await tr.optimizerState(), step, currentQuant(), ada?.state(), await readQParams(mg)),
          }
        : {}),
      after: async () => ({ weights: await readWeights(mg, sizes), qparams: mg.qp.size ? await readQParams(mg) : undefined }),
    });
    const steps = Math.min(total, o.stopAtStep ?? total);
    return { weights: r.after.weights, steps, losses: r.losses, msPerStep: r.msPerStep, quant: currentQuant(), qparams: r.after.qparams, adaqat: ada?.report() };
  } finally {
    mg.graph.destroy();
  }
}

/** Logits and accuracy of `model` (f32 or fake-quantized) on `data`, in one batch. */
export async function evaluate(ctx: GpuContext, model: MlpModel, data: Dataset): Promise<{ accuracy: number; logits: Float32Array }> {
  const mg = buildMlp(ctx, model.weights, { batch: data.count, quant: model.quant.length ? model.quant : undefined, qparams: model.qparams, label: 'eval' });
  try {
    const exe = await mg.graph.compile({ outputs: [mg.logits] });
    await exe.run({ x: data.x });
    const logits = (await exe.read(mg.logits)) as Float32Array;
    return { accuracy: accuracyOf(logits, data.y, data.count), logits };
  } finally {
    mg.graph.destroy();
  }
}

export function argmaxRows(logits: Float32Array, rows: number): Int32Array {
  const C = logits.length / rows;
  return Int32Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[r * C + c] > logits[r * C + best]) best = c;
    return best;
  });
}

export function accuracyOf(logits: Float32Array, y: ArrayLike<number>, rows: number): number {
  const p = argmaxRows(logits, rows);
  let ok = 0;
  for (let i = 0; i < rows; i++) if (p[i] === y[i]) ok++;
  return ok / rows;
}

/** Row-wise softmax of logits [rows, C] (f64 accumulation, max-subtracted): the class probabilities. */
export function softmaxRows(logits: Float32Array, rows: number): Float32Array {
  const C = logits.length / rows;
  if (!Number.isInteger(C) || C <= 0) throw new Error(`softmaxRows: ${logits.length} logits do not split into ${rows} rows`);
  const out = new Float32Array(logits.length);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, logits[r * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[r * C + c] - m);
    for (let c = 0; c < C; c++) out[r * C + c] = Math.exp(logits[r * C + c] - m) / s;
  }
  return out;
}
