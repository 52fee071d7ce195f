// QAT of a language model against its equal-budget f32 baseline (nibble lm qat): from one f32 model, the f32 model
// itself and its fake-quant copy train for the same N steps on the same batches (one seeded sampler, batch k the
// same for both); validation loss (nats per byte, over a fixed set of validation windows) is measured for the f32
// model at the start and after N steps, for the PTQ model (the fake-quant copy before training), the QAT model
// (fake-quant, after training) and the converted model: the GGUF file with the quantized blocks, loaded by the
// inference engine and run on its fused kernels. The share of the PTQ gap recovered is
// 1 - (QAT - f32 after N) / (PTQ - f32 at start).
import { validationBatches, WindowSampler, type TextDataset } from '../data/text.js';
import type { GpuContext } from '../gpu/context.js';
import type { GgufValue } from '../io/gguf.js';
import type { LinearQuant } from '../nn/linear_quant.js';
import type { LlamaConfig } from '../nn/llama_config.js';
import { buildLlamaTrainGraph, IGNORE_INDEX, llamaLinears, splitExperts, readLlamaWeights, readLsqScales, type LlamaTrainGraph, type LlamaWeights } from '../nn/llama_train.js';
import { writeLlamaGguf } from '../nn/llama_weights.js';
import { parseSafetensors } from '../io/safetensors.js';
import { recipeDifference, train } from '../train/loop.js';
import type { AdaQatOptions } from '../train/adaqat.js';
import { adaptivePlan, LmAdaQat, type LmAdaQatResult } from './qat_bits.js';
import { convertLinearGguf, initLsqScales, prepareLinears, type LinearQatConfig } from '../train/qat_plan.js';
import { warmupCosine } from '../train/schedule.js';
import { LanguageModel } from './model.js';
import { validationLoss } from './pretrain.js';

export interface LmQatOptions extends LinearQatConfig {
  /** Distillation from the f32 model (KL on logits at `temperature`, mixed with the data loss by `weight`; false: the data loss alone). */
  distill?: {
    temperature?: number;
    weight?: number;
    /** 'start' (default): the f32 model QAT starts from; 'baseline': the f32 model after its N steps on the same batches (the equal-budget baseline, trained first; or `teacherWeights`). */
    teacher?: 'start' | 'baseline';
  } | false;
  /** AdaQAT: learn each quantized Linear's weight bit-width (src/lm/qat_bits.ts); `bits` is then where it starts. */
  adaqat?: AdaQatOptions;
  /** The trained baseline's weights (LmQatResult.f32Weights of an earlier run with the same options) for teacher 'baseline' without training it again. */
  teacherWeights?: LlamaWeights;
  steps: number;
  lr: number;
  batch: number;
  seq: number;
  seed: number;
  /** Gradient accumulation: micro-batches of `batch` windows per step (default 1); step s uses batches s*k .. s*k+k-1. */
  gradAccum?: number;
  warmupSteps?: number;
  /** The cosine's floor, as a fraction of lr (default 0.1). */
  minLrRatio?: number;
  weightDecay?: number;
  clipNorm?: number;
  valWindows: number;
  /**
   * LSQ: the learning rate of the learned scales, as a multiple of lr. Default: per layer, lsqScaleLr(bits, midrise) =
   * (3 / (2^bits - 1))^2 (1 at 2 bits, 0.18 at 3, 0.04 at 4; half that on the midrise grid): narrower scales learn
   * slower (docs/lm-qat.md).
   */
  lsqLrScale?: number;
  /** Skip the f32 baseline (f32_after and recovered are then NaN). */
  baseline?: boolean;
  onStep?: (phase: 'f32' | 'qat', step: number, total: number, loss: number, ms: number) => void;
  /** Metadata for the converted GGUF (tokenizer keys, general.name). */
  metadata?: Record<string, GgufValue>;
  /** A checkpoint every this many steps of each phase (with onCheckpoint): params, AdamW state, step, the recipe. */
  checkpointEvery?: number;
  onCheckpoint?: (bytes: Uint8Array, step: number, phase: 'f32' | 'qat') => void | string | Promise<void | string>;
  /**
   * A checkpoint of the same run (same options and start model) to continue from, exactly: a checkpoint of the f32
   * phase resumes it, then QAT runs; one of the QAT phase carries the f32 baseline's figures and resumes QAT.
   */
  resume?: Uint8Array;
}

export interface LmQatResult {
  f32_start: number;
  f32_after: number;
  /** PTQ: the f32 start model fake-quantized by the width's rule (torchao's, or the GGUF format's), the gap's reference. */
  ptq: number;
  /** The QAT model before its first step: ptq, unless LSQ's scales start elsewhere (lsqInit 'mse') or the grid is midrise. */
  ptq_start: number;
  qat: number;
  converted: number;
  recovered: number;
  ms_per_step_f32: number;
  ms_per_step_qat: number;
  /** The f32 baseline's weights after its N steps (when it ran). */
  f32Weights?: LlamaWeights;
  /** The converted model's GGUF and the QAT master weights it was made from. */
  gguf: Uint8Array;
  weights: LlamaWeights;
  plan: Map<string, LinearQuant>;
  /** With adaqat: the bit-widths it chose (ptq is then measured at them). */
  adaqat?: LmAdaQatResult;
  losses: { f32: number[]; qat: number[] };
}

/**
 * LSQ's default scale learning rate at a width, as a multiple of the weights' lr: (3 / (2^bits - 1))^2, 1 at 2 bits,
 * 0.18 at 3, 0.04 at 4. AdamW's step is about lr whatever the gradient, and a B-bit scale is max|w| / ((2^B - 1) / 2),
 * so 3 / (2^bits - 1) would move every width's scales by the same share of their size as at 2 bits; measured, a
 * slower rate did better still at 3 bits (docs/lm-qat.md), hence the square. On the midrise grid half that: at
 * 2 bits 0.5 recovered more of the gap than 1 on five of six seeds (90.5% against 89.8%, docs/lm-qat.md).
 */
export function lsqScaleLr(bits: number, midrise = false): number {
  return (3 / (2 ** bits - 1)) ** 2 * (midrise ? 0.5 : 1);
}

export function gapRecovered(r: { f32_start: number; f32_after: number; ptq: number; qat: number }): number {
  return 1 - (r.qat - r.f32_after) / (r.ptq - r.f32_start);
}

type Batches = { ids: Int32Array; targets: Int32Array }[];

/** What a phase's checkpoints carry besides the trainer's state, and what a resumed phase starts from. */
interface PhaseCheckpoints {
  recipe: string;
  /** Metadata of the phase's checkpoints beyond the recipe, phase and `before` (the QAT phase: the f32 figures). */
  extra?: Record<string, string>;
  /** The checkpoint to resume this phase from, and its `before` evaluation (not repeated on resumed weights). */
  resume?: { bytes: Uint8Array; before: number };
}

async function trainPhase(ctx: GpuContext, t: LlamaTrainGraph, phase: 'f32' | 'qat', sampler: WindowSampler, val: Batches, data: TextDataset, o: LmQatOptions, ck: PhaseCheckpoints, ada?: LmAdaQat, plan?: ReadonlyMap<string, LinearQuant>): Promise<{ before: number; after: number; losses: number[]; ms: number; weights: LlamaWeights }> {
  // LSQ's scale params and their learning rates (as multiples of lr): o.lsqLrScale, else the layer's width's rule.
  const scaleLr = new Map([...t.ops.qparams].map(([name, p]) => {
    const q = plan!.get(name)!;
    return [p, o.lsqLrScale ?? lsqScaleLr(q.bits, !!q.midrise)];
  }));
  const k = o.gradAccum ?? 1;
  const warm = Math.min(o.warmupSteps ?? 0, o.steps - 1);
  let before = NaN;
  const r = await train(ctx, t, {
    steps: o.steps,
    lr: warmupCosine({ lr: o.lr, warmupSteps: warm, totalSteps: Math.max(o.steps, warm + 1), minLr: o.lr * (o.minLrRatio ?? 0.1) }),
    batches: (s) => sampler.microBatches(s, k),
    accumulate: k,
    weightDecay: o.weightDecay ?? 0,
    clipNorm: o.clipNorm ?? 1,
    evalOut: t.ce,
    lrScale: (p) => scaleLr.get(p) ?? 1,
    onStep: (s) => o.onStep?.(phase, s.step, s.total, s.loss, s.ms),
    afterStep: async (step, tr, inputs) => void (await ada?.afterStep(step, tr, inputs)),
    resume: ck.resume?.bytes,
    checkResume: (meta) => {
      if (ada && meta.adaqat) ada.load(JSON.parse(meta.adaqat));
    },
    checkpointEvery: o.checkpointEvery,
    onCheckpoint: o.onCheckpoint ? (bytes, step) => o.onCheckpoint!(bytes, step, phase) : undefined,
    checkpointMeta: () => ({ recipe: ck.recipe, phase, before: JSON.stringify(before), ...ck.extra, ...(ada ? { adaqat: JSON.stringify(ada.state()) } : {}) }),
    before: async (tr) => (before = ck.resume ? ck.resume.before : await validationLoss(tr, val, data)),
    after: async (tr) => ({ loss: await validationLoss(tr, val, data), weights: await readLlamaWeights(t) }),
  });
  return { before: r.before, after: r.after.loss, losses: r.losses, ms: r.msPerStep, weights: r.after.weights };
}

/** Validation loss (nats per byte) of f32 weights under a QAT plan (fake-quant), on a forward-only graph. */
async function planValidationLoss(ctx: GpuContext, config: LlamaConfig, weights: LlamaWeights, plan: ReadonlyMap<string, LinearQuant>, val: Batches, data: TextDataset, B: number, T: number): Promise<number> {
  const t = buildLlamaTrainGraph(ctx, config, weights, { B, T, label: 'lm-qat-ptq', quant: plan, lsqScales: initLsqScales(plan, llamaLinears(config), splitExperts(config, weights)) });
  try {
    const exe = await t.graph.compile({ outputs: [t.ce] });
    return await validationLoss({ evaluate: async (inputs) => (await exe.run(inputs), (await exe.read(t.ce)) as Float32Array) }, val, data);
  } finally {
    t.graph.destroy();
  }
}

/** Validation loss (nats per byte) of a GGUF model on the inference engine over the same windows. */
export async function engineValidationLoss(ctx: GpuContext, gguf: Uint8Array, val: Batches, T: number, data: TextDataset): Promise<number> {
  const lm = await LanguageModel.load(ctx, new Blob([gguf as BlobPart]), { warmup: false, ctxLen: T });
  try {
    const V = lm.config.vocab;
    let nll = 0;
    let count = 0;
    for (const { ids, targets } of val) {
      for (let b = 0; b < ids.length / T; b++) {
        const tg = targets.subarray(b * T, (b + 1) * T);
        if (tg.every((y) => y === IGNORE_INDEX)) continue;
        const logits = await lm.logits(Array.from(ids.subarray(b * T, (b + 1) * T)));
        for (let j = 0; j < T; j++) {
          if (tg[j] === IGNORE_INDEX) continue;
          const row = logits.subarray(j * V, (j + 1) * V);
          let max = -Infinity;
          for (let v = 0; v < V; v++) max = Math.max(max, row[v]);
          let sum = 0;
          for (let v = 0; v < V; v++) sum += Math.exp(row[v] - max);
          nll += max + Math.log(sum) - row[tg[j]];
          count++;
        }
      }
    }
    return (nll / count) * data.tokensPerByte;
  } finally {
    lm.dispose();
  }
}

/** The converted model: each quantized Linear as GGUF blocks, the rest F32. */
export async function convertLlama(ctx: GpuContext, config: LlamaConfig, weights: LlamaWeights, plan: ReadonlyMap<string, LinearQuant>, lsqScales: Record<string, Float32Array>, metadata: Record<string, GgufValue> = {}): Promise<Uint8Array> {
  const quantized: Record<string, { type: 'Q4_0' | 'Q4_1' | 'Q8_0'; data: Uint8Array }> = {};
  const split = splitExperts(config, weights); // (a MoE layer's experts are Linears of their own)
  for (const l of llamaLinears(config)) {
    const q = plan.get(l.name);
    if (q) quantized[l.name] = await convertLinearGguf(ctx, split[l.name], l.N, l.K, q, l.name, lsqScales[l.name]);
  }
  return writeLlamaGguf(config, weights, metadata, quantized);
}

/** FNV-1a over the start model's weights (names and f32 bits, in name order): a checkpoint resumes only its own model. */
function fingerprint(w: LlamaWeights): string {
  let h = 0x811c9dc5;
  const mix = (b: number) => (h = Math.imul(h ^ b, 0x01000193) >>> 0);
  for (const name of Object.keys(w).sort()) {
    for (let i = 0; i < name.length; i++) mix(name.charCodeAt(i));
    const u = new Uint32Array(w[name].buffer, w[name].byteOffset, w[name].length);
    for (let i = 0; i < u.length; i++) mix(u[i]);
  }
  return h.toString(16).padStart(8, '0');
}

/** The options that decide a run's numbers, and the start model: what a checkpoint must match to resume. */
function recipeOf(o: LmQatOptions, weights: LlamaWeights): string {
  const { onStep: _s, metadata: _m, teacherWeights: _t, onCheckpoint: _c, resume: _r, checkpointEvery: _e, ...rest } = o;
  return JSON.stringify({ ...rest, model: fingerprint(weights) });
}

/** A checkpoint's phase and metadata, refused (naming the first option that differs) unless it is of this run. */
function resumeMeta(bytes: Uint8Array, recipe: string): { phase: 'f32' | 'qat'; meta: Record<string, string> } {
  let meta: Record<string, string>;
  try {
    meta = parseSafetensors(bytes, 'checkpoint').metadata;
  } catch (e) {
    throw new RangeError(`lm qat: resume: ${(e as Error).message}`);
  }
  if (meta.phase !== 'f32' && meta.phase !== 'qat') throw new RangeError(`lm qat: resume: not a checkpoint of nibble lm qat (metadata phase ${JSON.stringify(meta.phase)})`);
  const diff = recipeDifference(meta.recipe, recipe);
  if (diff) throw new RangeError(`lm qat: resume: the checkpoint is of another run (${diff})`);
  return { phase: meta.phase, meta };
}

/** Checks the options that do not depend on the model; each error names the option. */
function checkOptions(o: LmQatOptions, config: LlamaConfig): void {
  for (const k of ['steps', 'batch', 'seq', 'valWindows'] as const) if (!Number.isInteger(o[k]) || o[k] < 1) throw new RangeError(`lm qat: ${k} must be an integer >= 1, found ${o[k]}`);
  if (o.gradAccum !== undefined && !(Number.isInteger(o.gradAccum) && o.gradAccum >= 1)) throw new RangeError(`lm qat: gradAccum must be an integer >= 1, found ${o.gradAccum}`);
  if (!(o.lr > 0 && Number.isFinite(o.lr))) throw new RangeError(`lm qat: lr must be a positive number, found ${o.lr}`);
  if (o.seq > config.ctx) throw new RangeError(`lm qat: seq ${o.seq} exceeds the model's context ${config.ctx}`);
}

/** Runs the f32 baseline and the QAT copy on the same batches, converts and measures (see the header). */
export async function qatLlama(ctx: GpuContext, model: { config: LlamaConfig; weights: LlamaWeights }, data: TextDataset, o: LmQatOptions): Promise<LmQatResult> {
  const { config, weights } = model;
  checkOptions(o, config);
  const linears = llamaLinears(config);
  const prepared = prepareLinears(linears, o);
  const ada = o.adaqat ? new LmAdaQat(ctx, linears, prepared, o.adaqat) : undefined;
  const plan = o.adaqat ? adaptivePlan(prepared, o.adaqat) : prepared;
  const lsq0 = initLsqScales(plan, linears, splitExperts(config, weights));
  const B = o.batch;
  const T = o.seq;
  const val = validationBatches(data, B, T, o.valWindows, IGNORE_INDEX);
  const sampler = new WindowSampler(data, B, T, o.seed);
  const teacherKind = o.distill ? (o.distill.teacher ?? 'start') : null;
  if (teacherKind !== null && teacherKind !== 'start' && teacherKind !== 'baseline') throw new RangeError(`lm qat: distill teacher '${teacherKind}' must be 'start' or 'baseline'`);
  if (teacherKind === 'baseline' && o.baseline === false && !o.teacherWeights) throw new RangeError(`lm qat: distill teacher 'baseline' needs the f32 baseline run (baseline: false) or teacherWeights`);
  const recipe = recipeOf(o, weights);
  const resumed = o.resume ? resumeMeta(o.resume, recipe) : null;
  const num = (v: string | undefined) => (v === undefined || v === 'null' ? NaN : Number(JSON.parse(v)));
  let f32: { before: number; after: number; losses: number[]; ms: number; weights?: LlamaWeights } = { before: NaN, after: NaN, losses: [], ms: NaN };
  if (resumed?.phase === 'qat') {
    if (teacherKind === 'baseline' && !o.teacherWeights) throw new RangeError(`lm qat: resuming the QAT phase with distillation from the trained baseline needs the baseline's weights, which a checkpoint does not hold: resume from a checkpoint of the f32 phase, or distill from the start model`);
    const f = JSON.parse(resumed.meta.f32 ?? '{}') as { before?: number | null; after?: number | null; ms?: number | null };
    f32 = { before: f.before ?? NaN, after: f.after ?? NaN, losses: [], ms: f.ms ?? NaN };
  } else if (o.baseline !== false) {
    const t = buildLlamaTrainGraph(ctx, config, weights, { B, T, label: 'lm-qat-f32' });
    try {
      f32 = await trainPhase(ctx, t, 'f32', sampler, val, data, o, { recipe, ...(resumed ? { resume: { bytes: o.resume!, before: num(resumed.meta.before) } } : {}) });
    } finally {
      t.graph.destroy();
    }
  }
  const teacher = teacherKind === 'baseline' ? { config, weights: o.teacherWeights ?? f32.weights! } : model;
  const distill = o.distill ? { teacher, temperature: o.distill.temperature, weight: o.distill.weight } : undefined;
  const t = buildLlamaTrainGraph(ctx, config, weights, { B, T, label: 'lm-qat', quant: plan, lsqScales: lsq0, distill });
  let q: Awaited<ReturnType<typeof trainPhase>>;
  let trained: LlamaWeights;
  let lsq: Record<string, Float32Array>;
  try {
    ada?.attachLlama(t);
    const extra = { f32: JSON.stringify({ before: f32.before, after: f32.after, ms: f32.ms }) };
    q = await trainPhase(ctx, t, 'qat', sampler, val, data, o, { recipe, extra, ...(resumed?.phase === 'qat' ? { resume: { bytes: o.resume!, before: num(resumed.meta.before) } } : {}) }, ada, plan);
    trained = await readLlamaWeights(t);
    lsq = await readLsqScales(t);
  } finally {
    t.graph.destroy();
  }
  // AdaQAT: the model is converted, and PTQ measured, at the bit-widths it chose. PTQ is the (mid-tread) rule's:
  // LSQ from the squared-error scales, or the midrise grid, starts elsewhere (ptq_start), and the gap it recovers is
  // still measured from the rule's, so every method's row has the same reference.
  const final = ada ? ada.chosenPlan(plan) : plan;
  const ownStart = [...final.values()].some((x) => x.lsqInit === 'mse' || x.midrise);
  const rulePlan = new Map([...final].map(([n, { lsqInit: _i, midrise: _m, ...x }]) => [n, x]));
  const ptq = ada || ownStart ? await planValidationLoss(ctx, config, weights, rulePlan, val, data, B, T) : q.before;
  const gguf = await convertLlama(ctx, config, trained, final, lsq, o.metadata);
  const converted = await engineValidationLoss(ctx, gguf, val, T, data);
  const r = { f32_start: f32.before, f32_after: f32.after, ptq, qat: q.after };
  return { ...r, ptq_start: ada ? ptq : q.before, converted, recovered: gapRecovered(r), ms_per_step_f32: f32.ms, ms_per_step_qat: q.ms, f32Weights: f32.weights, gguf, weights: trained, plan: final, ...(ada ? { adaqat: ada.result() } : {}), losses: { f32: f32.losses, qat: q.losses } };
}
