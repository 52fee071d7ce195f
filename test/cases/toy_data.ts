// The small separable problem the QAT / LSQ / AdaQAT / GGUF cases train on: 4 classes, each a noisy prototype in
// 32 dims (prototypes seeded by `protoSeed`, noise by `seed`).
import { randomF32, rng } from '../../src/ref/random.js';
import type { Dataset } from '../../src/train/trainer.js';

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
