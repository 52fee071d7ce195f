// The training loop, identical in Node and the browser: seeded batches, one submit per step (forward, backward,
// clipping and the optimizer), the loss read back each step (NaN stops training and names the step), checkpoints
// (safetensors bytes: weights + optimizer state + step) that resume to the same next-step loss.
import type { GpuContext } from '../gpu/context.js';
import { checkpointBytes, CheckpointError, readCheckpoint } from './checkpoint.js';
import { buildMlp, cloneWeights, readQParams, readWeights, type LayerQuant, type MlpWeights, type QParams } from '../nn/mlp.js';
import { rng } from '../ref/random.js';
import * as ops from '../ops/index.js';
import { Optimizer } from '../train/optimizer.js';
import type { MlpModel } from './qat.js';
import { warmupCosine } from '../train/schedule.js';
import { AdaQat, type AdaQatOptions, type AdaQatReport } from './adaqat.js';
import { TrainingError } from '../train/graph_trainer.js';

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

/** Trains `model` (f32, or QAT when its layers carry quantizers) with AdamW on `data`. */
export async function train(ctx: GpuContext, model: MlpModel, data: Dataset, o: TrainOptions): Promise<TrainResult> {
  const { sizes } = model.weights;
  if (data.features !== sizes[0]) throw new Error(`train: data has ${data.features} features, the model takes ${sizes[0]}`);
  const B = o.batch;
  if (!Number.isInteger(B) || B <= 0 || B > data.count) throw new Error(`train: batch ${B} must be in 1..${data.count}`);
  const perEpoch = Math.floor(data.count / B);
  const total = perEpoch * o.epochs;
  let weights = cloneWeights(model.weights);
  let startStep = 0;
  let optState: Record<string, Float32Array> | null = null;
  if (o.adaqat && model.quant.some((q) => q?.weight?.learn || q?.act?.learn)) throw new Error('train: AdaQAT drives the dynamic quantizers; it cannot be combined with learned (LSQ) quantizers');
  if (o.adaqat && model.quant.some((q) => q?.weight?.format)) throw new Error('train: AdaQAT chooses the bit-widths; a GGUF format (QatConfig.format) fixes them, so the two cannot be combined');
  const ada = o.adaqat ? new AdaQat(model.quant, sizes, o.adaqat) : null;
  let qparams = model.qparams;
  if (o.resume) {
    const ck = readCheckpoint(o.resume, sizes);
    if (ck.step > total) throw new CheckpointError(`checkpoint: step ${ck.step} is past this run's ${total} steps`);
    startStep = ck.step;
    weights = ck.weights;
    optState = ck.opt;
    if (ck.qparams) qparams = ck.qparams;
    if (ada) {
      if (ck.adaqat === undefined) throw new CheckpointError('train: resume: the checkpoint has no AdaQAT state, but adaqat is on');
      ada.load(ck.adaqat as Parameters<AdaQat['load']>[0]);
    }
  }
  let quant = ada ? ada.quant() : model.quant;
  // The step's graph: forward, backward, dense gradients; the optimizer runs in the same submit. Rebuilt (weights
  // and optimizer state carried over) when AdaQAT changes a bit-width.
  const build = async (w: MlpWeights) => {
    const mg = buildMlp(ctx, w, { batch: B, quant: quant.length ? quant : undefined, qparams, loss: true, label: quant.some(Boolean) ? 'qat-step' : 'f32-step' });
    const params = [...mg.w, ...mg.b, ...mg.qp.values()];
    const learned = new Set(mg.qp.values());
    const grads = mg.graph.backward(mg.loss!, params);
    // The optimizer kernels read dense gradients: materialise any that come out as views (w's grad through transpose).
    const dense = params.map((p) => {
      const g = grads.get(p)!;
      return g.isContiguous() && g.offset === 0 ? g : ops.contiguous(g);
    });
    const exe = await mg.graph.compile({ outputs: [mg.loss!, ...dense] });
    // Learned quantizer parameters take no weight decay, and (Adam's steps are ~lr whatever the gradient's size) a
    // learning rate relative to their size: scales move by ~lr of their initial mean per step, zero points by lr codes.
    const lrScale = (name: string) => {
      if (name.endsWith('zero_point')) return 1;
      const v = model.qparams![name]; // the initial values (also on resume: the same scale as an uninterrupted run)
      return v.reduce((s, x) => s + Math.abs(x), 0) / v.length;
    };
    const opt = await Optimizer.create(ctx, exe, params.map((p, i) => (learned.has(p) ? [p, dense[i], { weightDecay: 0, lrScale: lrScale(p.name) }] : [p, dense[i]])), { kind: 'adamw', lr: o.lr, weightDecay: o.weightDecay ?? 0.01 }, o.clipNorm);
    return { mg, exe, opt };
  };
  let { mg, exe, opt } = await build(weights);
  if (optState) opt.load(optState, startStep);
  const schedule = warmupCosine({ lr: o.lr, warmupSteps: Math.min(o.warmupSteps ?? 0, total - 1), totalSteps: total, minLr: o.lr * 0.05 });
  const xb = new Float32Array(B * data.features);
  const yb = new Int32Array(B);
  const losses: number[] = [];
  const times: number[] = [];
  let lastGood = startStep;
  const save = async (step: number) => {
    if (!o.onCheckpoint) return;
    await o.onCheckpoint(checkpointBytes(await readWeights(mg, sizes), await opt.state(), step, quant, ada?.state(), await readQParams(mg)), step);
    lastGood = step;
  };
  try {
    const end = Math.min(total, o.stopAtStep ?? total);
    let order: Uint32Array = new Uint32Array(0);
    let orderEpoch = -1;
    for (let step = startStep; step < end; step++) {
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
      const lr = schedule(step);
      const t0 = performance.now();
      opt.prepare(lr);
      await exe.run({ x: xb, labels: yb }, { after: (pass) => opt.encode(pass) });
      opt.advance();
      const loss = (await exe.read(mg.loss!))[0];
      const ms = performance.now() - t0;
      if (!Number.isFinite(loss)) {
        throw new TrainingError(`training stopped at step ${step + 1} of ${total}: the loss is ${loss}` + (o.onCheckpoint ? `; the last good checkpoint is from step ${lastGood}` : '') + ' (lower the learning rate, or set clipNorm)');
      }
      losses.push(loss);
      if (step - startStep >= 2) times.push(ms);
      o.onStep?.({ step: step + 1, total, epoch, loss, ms, lr });
      if (ada && (step + 1) % ada.every === 0) {
        if (await ada.update(ctx, mg, weights, B, { x: xb, labels: yb })) {
          const w = await readWeights(mg, sizes);
          const st = await opt.state();
          opt.destroy();
          mg.graph.destroy();
          quant = ada.quant();
          ({ mg, exe, opt } = await build(w));
          opt.load(st, step + 1);
        }
        o.onBits?.(ada.report(), step + 1);
      }
      if (o.checkpointEvery && (step + 1) % o.checkpointEvery === 0) await save(step + 1);
    }
    if (o.onCheckpoint && end % (o.checkpointEvery ?? Infinity) !== 0) await save(end);
    const sorted = times.sort((a, b) => a - b);
    const qp = mg.qp.size ? await readQParams(mg) : undefined;
    return { weights: await readWeights(mg, sizes), steps: end, losses, msPerStep: sorted.length ? sorted[sorted.length >> 1] : NaN, quant, qparams: qp, adaqat: ada?.report() };
  } finally {
    opt.destroy();
    mg.graph.destroy();
    ada?.destroy();
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
