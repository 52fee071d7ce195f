// QAT fine-tuning of a float MLP with progress for a UI (the demo's Train tab): prepare -> train (loss every step,
// test accuracy of the fake-quantized model at every checkpoint) -> convert -> the converted model on the fused
// kernels. Checkpoints (train()'s safetensors bytes) are kept so a run cut off by a lost device resumes from the
// last one on a new context.
import type { GpuContext } from '../gpu/context.js';
import { parseSafetensors } from '../io/safetensors.js';
import type { MlpWeights } from '../nn/mlp.js';
import { convert, floatBytes, modelBytes, prepare, QuantizedMlpRunner, type QatConfig, type QuantizedMlp } from './qat.js';
import { accuracyOf, evaluate, train, type Dataset, type StepInfo } from './trainer.js';

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
}

export interface FinetuneCallbacks {
  onStep?: (s: StepInfo) => void;
  /** Test accuracy of the fake-quantized model after `step` steps. */
  onEval?: (step: number, accuracy: number) => void;
  onCheckpoint?: (bytes: Uint8Array, step: number) => void;
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
}

/** The master weights stored in a train() checkpoint. */
export function checkpointWeights(bytes: Uint8Array, sizes: number[]): MlpWeights {
  const ck = parseSafetensors(bytes, 'checkpoint');
  const get = (name: string) => {
    const t = ck.tensors[name];
    if (!t) throw new Error(`checkpoint: tensor '${name}' is missing`);
    return t.data as Float32Array;
  };
  return { sizes: [...sizes], w: sizes.slice(1).map((_, i) => get(`w${i}`)), b: sizes.slice(1).map((_, i) => get(`b${i}`)) };
}

export async function qatFinetune(ctx: GpuContext, start: MlpWeights, trainSet: Dataset, testSet: Dataset, o: FinetuneOptions, cb: FinetuneCallbacks = {}): Promise<FinetuneResult> {
  const cfg: QatConfig = { bits: o.bits, group: o.group, act: o.act };
  const floatAccuracy = (await evaluate(ctx, { weights: start, quant: [] }, testSet)).accuracy;
  const ptq = prepare(start, cfg);
  const ptqAccuracy = (await evaluate(ctx, ptq, testSet)).accuracy;
  if (!o.resume) cb.onEval?.(0, ptqAccuracy);
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
    onStep: cb.onStep,
    checkpointEvery: every,
    onCheckpoint: async (bytes, step) => {
      cb.onCheckpoint?.(bytes, step);
      pending = pending.then(async () => {
        const acc = (await evaluate(ctx, prepare(checkpointWeights(bytes, start.sizes), cfg), testSet)).accuracy;
        cb.onEval?.(step, acc);
      });
      await pending;
    },
  });
  const qatModel = prepare(r.weights, cfg);
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
    };
  } finally {
    runner.destroy();
  }
}
