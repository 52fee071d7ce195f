// The main job (`npm start`, `nibble train`, the demo's Train tab): on the digits data, train an f32 MLP, quantize
// it post-training (PTQ), fine-tune with QAT, convert, and compare accuracy, size and step time.
import type { GpuContext } from '../gpu/context.js';
import { DIGITS_MAX_PIXEL, DIGITS_PIXELS, type DigitsSplit } from '../data/digits.js';
import { initMlp, type MlpWeights } from '../nn/mlp.js';
import { convert, floatBytes, modelBytes, prepare, QuantizedMlpRunner, type MlpModel, type QatConfig, type QuantizedMlp } from './qat.js';
import { accuracyOf, evaluate, train, type Dataset, type StepInfo } from './trainer.js';
import type { AdaQatOptions, AdaQatReport } from './adaqat.js';

export interface PipelineOptions {
  hidden: number[];
  epochs: number;
  qatEpochs: number;
  batch: number;
  lr: number;
  qatLr: number;
  seed: number;
  /** Weight schemes to compare (each gets PTQ, QAT and convert). */
  schemes: { bits: number; group: number }[];
  /** Per-token int8 activation fake-quant during QAT (torchao 8da4w-style). */
  act: boolean;
  keepFloat?: number[];
  /** GGUF export target: QAT fake-quantizes with that format's own scale rule (schemes must be its bits, group 32). */
  format?: 'Q4_0' | 'Q8_0';
  /** Learned quantizers (LSQ weight scales; with `act`, LSQ+ per-tensor activation scale / zero point). */
  learn?: boolean;
  /** With `act`: PACT activation quantizers (a learned clip per layer input). */
  pact?: boolean;
  /**
   * Also run AdaQAT (learned per-layer bit-widths, starting at `init` = 8 bits, group `group`) and report the
   * bit-widths it chose next to the fixed schemes.
   */
  adaqat?: AdaQatOptions & { group?: number };
}

export const DEFAULT_PIPELINE: PipelineOptions = {
  hidden: [128, 128],
  epochs: 8,
  qatEpochs: 4,
  batch: 64,
  lr: 3e-3,
  qatLr: 1e-3,
  seed: 0,
  schemes: [
    { bits: 4, group: 32 },
    { bits: 2, group: 32 },
  ],
  act: false,
};

export interface PipelineRow {
  model: string;
  accuracy: number;
  bytes: number;
  note?: string;
}

export interface PipelineResult {
  rows: PipelineRow[];
  /** Per scheme: share of the PTQ accuracy loss that QAT recovered. */
  recovered: { scheme: string; ptqLoss: number; qatLoss: number; recovered: number }[];
  f32MsPerStep: number;
  qatMsPerStep: number;
  /** The converted model of the first scheme (what `npm start` saves). */
  converted: QuantizedMlp;
  /** With `adaqat`: the bit-widths it chose per layer, and its converted model. */
  adaqat?: { report: AdaQatReport; converted: QuantizedMlp; scheme: string };
  float: MlpWeights;
  /** The QAT model of the first scheme (prepared, trained weights): what exportMlpGguf writes. */
  qatModel?: MlpModel;
}

export function toDataset(d: { images: Float32Array; labels: Uint8Array; count: number }): Dataset {
  return { x: d.images.map((v) => v / DIGITS_MAX_PIXEL), y: d.labels, count: d.count, features: DIGITS_PIXELS };
}

export interface PipelineCallbacks {
  log?: (line: string) => void;
  onStep?: (phase: string, s: StepInfo) => void;
}

export async function runDigitsPipeline(ctx: GpuContext, split: DigitsSplit, o: PipelineOptions = DEFAULT_PIPELINE, cb: PipelineCallbacks = {}): Promise<PipelineResult> {
  const log = cb.log ?? (() => {});
  const trainSet = toDataset(split.train);
  const testSet = toDataset(split.test);
  const sizes = [DIGITS_PIXELS, ...o.hidden, 10];
  const init = initMlp(sizes, o.seed);
  log(`f32 MLP ${sizes.join('-')}: ${o.epochs} epochs on ${trainSet.count} images, batch ${o.batch}, AdamW lr ${o.lr}`);
  const f32 = await train(ctx, { weights: init, quant: [] }, trainSet, { epochs: o.epochs, batch: o.batch, lr: o.lr, seed: o.seed, warmupSteps: 10, onStep: (s) => cb.onStep?.('f32', s) });
  const f32Model = { weights: f32.weights, quant: [] };
  const f32Acc = (await evaluate(ctx, f32Model, testSet)).accuracy;
  const rows: PipelineRow[] = [{ model: 'f32', accuracy: f32Acc, bytes: floatBytes(f32.weights) }];
  const recovered: PipelineResult['recovered'] = [];
  let qatMs = NaN;
  let first: QuantizedMlp | null = null;
  let firstModel: MlpModel | null = null;
  let ada: PipelineResult['adaqat'];
  const runs: { bits: number; group: number; adaqat?: AdaQatOptions }[] = [...o.schemes];
  if (o.adaqat) runs.push({ bits: o.adaqat.init ?? 8, group: o.adaqat.group ?? 32, adaqat: { init: 8, ...o.adaqat } });
  for (const s of runs) {
    const learn = !!o.learn && !s.adaqat;
    const pact = !!o.pact && !s.adaqat;
    const actName = pact ? ' + A8 PACT' : learn ? ' + A8 per tensor (LSQ+)' : ' + A8 per token';
    let name = s.adaqat ? `AdaQAT g${s.group}${o.act ? ' + A per token' : ''}` : `${o.format ?? `W${s.bits} g${s.group}`}${learn ? ' LSQ' : ''}${o.act ? actName : ''}`;
    const cfg: QatConfig = { bits: s.bits, group: s.group, act: o.act, keepFloat: o.keepFloat, learn, pact, ...(o.format && !s.adaqat ? { format: o.format } : {}) };
    const start = prepare(f32.weights, cfg, { x: trainSet.x, rows: Math.min(256, trainSet.count) });
    log(`${name}: QAT fine-tuning ${o.qatEpochs} epochs, lr ${o.qatLr}${s.adaqat ? `, bit-widths learned from ${s.adaqat.init} (lambda ${s.adaqat.lambda ?? 'default'})` : ''}`);
    const qat = await train(ctx, start, trainSet, { epochs: o.qatEpochs, batch: o.batch, lr: o.qatLr, seed: o.seed + 1, adaqat: s.adaqat, onStep: (st) => cb.onStep?.(`qat ${name}`, st) });
    if (Number.isNaN(qatMs) && !s.adaqat) qatMs = qat.msPerStep;
    if (qat.adaqat) name += ` (W ${qat.adaqat.weightBits.map((b) => b ?? 'f32').join('/')}${o.act ? `, A ${qat.adaqat.actBits.map((b) => b ?? 'f32').join('/')}` : ''})`;
    // PTQ at the same bit-widths (AdaQAT's chosen ones): the f32 weights quantized without training.
    const ptqModel = { weights: f32.weights, quant: qat.quant, qparams: start.qparams };
    const ptqAcc = (await evaluate(ctx, ptqModel, testSet)).accuracy;
    log(`${name}: PTQ accuracy ${(ptqAcc * 100).toFixed(2)}%`);
    const qatModel = { weights: qat.weights, quant: qat.quant, qparams: qat.qparams };
    const qatAcc = (await evaluate(ctx, qatModel, testSet)).accuracy;
    const conv = await convert(ctx, qatModel);
    const runner = await QuantizedMlpRunner.create(ctx, conv, testSet.count);
    const convAcc = accuracyOf(await runner.run(testSet.x), testSet.y, testSet.count);
    const variant = runner.variant;
    runner.destroy();
    // Weight-only models also served as W4A16 / W8A16 proper: f16 activations between the layers.
    let conv16: { accuracy: number; variant: string } | null = null;
    if (!QuantizedMlpRunner.f16Refusal(conv)) {
      const r16 = await QuantizedMlpRunner.create(ctx, conv, testSet.count, { activations: 'f16' });
      conv16 = { accuracy: accuracyOf(await r16.run(testSet.x), testSet.y, testSet.count), variant: r16.variant };
      r16.destroy();
    }
    if (qat.adaqat) ada = { report: qat.adaqat, converted: conv, scheme: name };
    else {
      first ??= conv;
      firstModel ??= qatModel;
    }
    const bytes = modelBytes(conv);
    rows.push({ model: `PTQ ${name}`, accuracy: ptqAcc, bytes });
    rows.push({ model: `QAT ${name} (fake-quant)`, accuracy: qatAcc, bytes });
    rows.push({ model: `converted ${name}`, accuracy: convAcc, bytes, note: variant });
    if (conv16) rows.push({ model: `converted ${name}, f16 activations`, accuracy: conv16.accuracy, bytes, note: conv16.variant });
    const ptqLoss = f32Acc - ptqAcc;
    const qatLoss = f32Acc - qatAcc;
    recovered.push({ scheme: name, ptqLoss, qatLoss, recovered: ptqLoss > 0 ? (ptqLoss - qatLoss) / ptqLoss : NaN });
  }
  return { rows, recovered, f32MsPerStep: f32.msPerStep, qatMsPerStep: qatMs, converted: first ?? ada!.converted, float: f32.weights, adaqat: ada, ...(firstModel ? { qatModel: firstModel } : {}) };
}

export function formatPipeline(r: PipelineResult, adapter: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const w = Math.max(...r.rows.map((x) => x.model.length));
  const lines = [
    `digits (1,797 8x8 images, fixed 80/20 split) on ${adapter}`,
    '',
    `${'model'.padEnd(w)}  accuracy  size (bytes)`,
    ...r.rows.map((x) => `${x.model.padEnd(w)}  ${pct(x.accuracy).padStart(8)}  ${String(x.bytes).padStart(12)}${x.note ? `  [${x.note}]` : ''}`),
    '',
    ...r.recovered.map((x) => `${x.scheme}: PTQ lost ${pct(x.ptqLoss)}, QAT ${pct(x.qatLoss)}: QAT recovered ${Number.isNaN(x.recovered) ? 'n/a (PTQ lost nothing)' : pct(x.recovered)} of the PTQ loss`),
    ...(r.adaqat
      ? [`AdaQAT chose per layer: weights ${r.adaqat.report.weightBits.map((b) => b ?? 'f32').join(' / ')} bits` + (r.adaqat.report.actBits.some((b) => b !== null) ? `, activations ${r.adaqat.report.actBits.map((b) => b ?? 'f32').join(' / ')} bits` : '') + ` (cost ${r.adaqat.report.cost.toFixed(2)}, ${r.adaqat.report.updates} updates)`]
      : []),
    `ms per training step: f32 ${r.f32MsPerStep.toFixed(2)}, QAT ${r.qatMsPerStep.toFixed(2)} -> QAT overhead ${((r.qatMsPerStep / r.f32MsPerStep - 1) * 100).toFixed(0)}% (torchao reports 34%)`,
  ];
  return lines.join('\n');
}
