// Shared by the QAT / LSQ / AdaQAT / GGUF cases. The small separable problem the QAT / LSQ / AdaQAT / GGUF cases train on: 4 classes, each a noisy prototype in
// 32 dims (prototypes seeded by `protoSeed`, noise by `seed`).
import { randomF32, rng } from '../../src/ref/random.js';
import type { Dataset } from '../../src/mlp/trainer.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { QuantizedMlpRunner, type QuantizedMlp } from '../../src/mlp/qat.js';
import { assert } from './types.js';

export function toyData(count: number, seed: number, protoSeed = 99): Dataset {
  const r = rng(seed);
  const protos = randomF32(4 * 32, protoSeed, -1, 1);
  const x = new Float32Array(count * 32);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % 4;
    for (let k = 0; k < 32; k++) x[i * 32 + k] = protos[y[i] * 32 + k] + 0.6 * (r() - 0.5);
  }
  return { x, y, count, features: 32 };
}

/**
 * Runs a converted model on `data` and checks its logits against the fake-quantized model's (`fq`): both compute
 * the same dequantized weights and activation codes in f32, so they differ only by f32 summation order. Asserted
 * per row: max |converted - fq| <= 1e-5 * max |fq| of the row (a few dozen f32 ulps of the row's scale; a flipped
 * activation code would move a logit by a whole quantization step, far beyond it). Returns the worst ratio.
 */
export async function convertedMatchesFakeQuant(ctx: GpuContext, conv: QuantizedMlp, fq: Float32Array, data: Dataset, variant: RegExp): Promise<number> {
  const runner = await QuantizedMlpRunner.create(ctx, conv, data.count);
  let got: Float32Array;
  try {
    got = await runner.run(data.x);
  } finally {
    runner.destroy();
  }
  assert(variant.test(runner.variant), `converted model ran on '${runner.variant}'`);
  const C = got.length / data.count;
  let worst = 0;
  for (let r = 0; r < data.count; r++) {
    let scale = 0;
    let diff = 0;
    for (let c = r * C; c < (r + 1) * C; c++) {
      scale = Math.max(scale, Math.abs(fq[c]));
      diff = Math.max(diff, Math.abs(got[c] - fq[c]));
    }
    assert(diff <= 1e-5 * scale, `converted vs fake-quant logits, row ${r}: max |diff| ${diff} > 1e-5 * max |logit| ${scale}`);
    worst = Math.max(worst, diff / scale);
  }
  return worst;
}
