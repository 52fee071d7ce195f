// QAT fine-tuning of a float MLP with progress for a UI (the demo's Train tab): prepare -> train (loss every step,
// test accuracy of the fake-quantized model at every checkpoint) -> convert -> the converted model on the fused
// kernels. Checkpoints (train()'s safetensors bytes) are kept so a run cut off by a lost device resumes from the
// last one on a new context.
import type { GpuContext } from '../gpu/context.js';
import { parseSafetensors } from '../io/safetensors.js';
import { checkpointWeightsOf, readCheckpoint } from './checkpoint.js';
import type { MlpWeights } from '../nn/mlp.js';
import { convert, floatBytes, modelBytes, prepare, QuantizedMlpRunner, type MlpModel, type QatConfig, type QuantizedMlp } from './qat.js';
import { accuracyOf, evaluate, train, type Dataset, type StepInfo } from './trainer.js';
import type { AdaQatOptions, AdaQatReport } from './adaqat.js';

export interface FinetuneOptions {
  bits: number;
  /** Group size along K (0 = per channel). */
  group: number;
  act: boolean;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  /** Checkpoint (and evaluate) every this many steps (default: once per epoch). */
  evalEvery?: number;
  /** Resume from these checkpoint bytes (from onCheckpoint of an earlier run with the same options and start). */
  resume?: Uint8Array;
  /** Learned quantizers (LSQ weight scales; LSQ+ activations, calibrated on 256 training rows). */
  learn?: boolean;
  /** AdaQAT: learn the per-layer bit-widths, starting from `bits` (see src/mlp/adaqat.ts). */
  adaqat?: AdaQatOptions;
}

export interface FinetuneCallbacks {
  onStep?: (s: StepInfo) => void;
  /** Test accuracy of the fake-quantized model after `step` steps. */
  onEval?: (step: number, accuracy: number) => void;
  onCheckpoint?: (bytes: Uint8Array, step: number) => void;
  /** AdaQAT's bit-widths after each update. */
  onBits?: (r: AdaQatReport, step: number) => void;
}

export interface FinetuneResult {
  floatAccuracy: number;
  ptqAccuracy: number;
  qatAccuracy: number;
  convertedAccuracy: number;
  floatBytes: number;
  convertedBytes: number;
  converted: QuantizedMlp;
  /** Which kernel ran the converted model. */
  variant: string;
  losses: number[];
  msPerStep: number;
  /** Per layer: the weight and activation bit-widths of the converted model (null: f32 / not quantized). */
  layerBits: { weight: number | null; act: number | null }[];
  adaqat?: AdaQatReport;
}

/** The master weights stored in a train() checkpoint (each checked for presence, dtype and shape). */
export function checkpointWeights(bytes: Uint8Array, sizes: number[]): MlpWeights {
  return checkpointWeightsOf(parseSafetensors(bytes, 'checkpoint').tensors, sizes);
}

/** The model a train() checkpoint holds: master weights, the quantizers at that step and any learned qparams. */
export function checkpointModel(bytes: Uint8Array, sizes: number[]): MlpModel {
  const ck = readCheckpoint(bytes, sizes);
  return { weights: ck.weights, quant: ck.quant, ...(ck.qparams ? { qparams: ck.qparams } : {}) };
}

export async function qatFinetune(ctx: GpuContext, start: MlpWeights, trainSet: Dataset, testSet: Dataset, o: FinetuneOptions, cb: FinetuneCallbacks = {}): Promise<FinetuneResult> {
  const cfg: QatConfig = { bits: o.bits, group: o.group, act: o.act, learn: o.learn };
  const floatAccuracy = (await evaluate(ctx, { weights: start, quant: [] }, testSet)).accuracy;
  const ptq = prepare(start, cfg, { x: trainSet.x, rows: Math.min(256, trainSet.count) });
  const startAccuracy = (await evaluate(ctx, ptq, testSet)).accuracy;
  if (!o.resume) cb.onEval?.(0, startAccuracy);
  const perEpoch = Math.floor(trainSet.count / o.batch);
  const every = o.evalEvery ?? perEpoch;
  // Evaluations run after train() hands over each checkpoint; they are queued so the order stays step order.
  let pending: Promise<void> = Promise.resolve();
  const r = await train(ctx, ptq, trainSet, {
    epochs: o.epochs,
    batch: o.batch,
    lr: o.lr,
    seed: o.seed,
    resume: o.resume,
    adaqat: o.adaqat,
    onBits: cb.onBits,
    onStep: cb.onStep,
    checkpointEvery: every,
    onCheckpoint: async (bytes, step) => {
      cb.onCheckpoint?.(bytes, step);
      pending = pending.then(async () => {
        const acc = (await evaluate(ctx, checkpointModel(bytes, start.sizes), testSet)).accuracy;
        cb.onEval?.(step, acc);
      });
      await pending;
    },
  });
  // PTQ at the bit-widths the run ends with (AdaQAT's choice), from the starting weights.
  const ptqAccuracy = o.adaqat ? (await evaluate(ctx, { ...ptq, quant: r.quant }, testSet)).accuracy : startAccuracy;
  const qatModel: MlpModel = { weights: r.weights, quant: r.quant, qparams: r.qparams };
  const qatAccuracy = (await evaluate(ctx, qatModel, testSet)).accuracy;
  const converted = await convert(ctx, qatModel);
  const runner = await QuantizedMlpRunner.create(ctx, converted, testSet.count);
  try {
    const convertedAccuracy = accuracyOf(await runner.run(testSet.x), testSet.y, testSet.count);
    return {
      floatAccuracy,
      ptqAccuracy,
      qatAccuracy,
      convertedAccuracy,
      floatBytes: floatBytes(start),
      convertedBytes: modelBytes(converted),
      converted,
      variant: runner.variant,
      losses: r.losses,
      msPerStep: r.msPerStep,
      layerBits: converted.layers.map((l) => ({ weight: l.bits, act: l.act?.bits ?? null })),
      adaqat: r.adaqat,
    };
  } finally {
    runner.destroy();
  }
}
