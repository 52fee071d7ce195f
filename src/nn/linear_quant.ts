// The fake-quantized form of a Linear layer on the graph, for any model built from Linear layers (the Llama's
// training backend, src/nn/llama_train.ts): the weight [N, K] fake-quantized per group along K before the matmul,
// and optionally the layer's input per token (int8, torchao's 8da4w). Three weight rules:
//   - the torchao symmetric rule (ops.fakeQuant: scale = max|w| / ((qmax - qmin) / 2), codes in [-2^(b-1), 2^(b-1) - 1]);
//   - LSQ (ops.fakeQuantLearnable): the same codes with a learned per-group scale (initialised to that rule's);
//   - a GGUF block type's own rule (ops.fakeQuantGguf, Q4_0 / Q8_0), so the GGUF export holds the trained weights exactly.
import type { Tensor } from '../graph/tensor.js';
import * as ops from '../ops/index.js';

/** How one Linear layer is fake-quantized (src/train/qat_plan.ts prepareLinears makes these). */
export interface LinearQuant {
  bits: number;
  /** Group size along K. */
  group: number;
  /** A GGUF block type's rule (bits 4 / 8, group 32) instead of the torchao rule. */
  format?: 'Q4_0' | 'Q8_0';
  /** LSQ: a learned per-group scale, the param `<weight>.scale` [N * K / group]. */
  learn?: boolean;
  /** Fake-quantize the layer's input per token (int8 asymmetric). */
  act?: boolean;
}

/** The name of a weight's learned LSQ scale param. */
export const lsqScaleName = (weight: string) => `${weight}.scale`;

/** The fake-quantized weight w [N, K] (scale: the LSQ scale param, with q.learn). */
export function fakeQuantWeight(w: Tensor, q: LinearQuant, scale?: Tensor): Tensor {
  if (q.format) return ops.fakeQuantGguf(w, q.format);
  const granularity = { kind: 'group' as const, group: q.group };
  if (!q.learn) return ops.fakeQuant(w, { bits: q.bits, symmetric: true, granularity });
  if (!scale) throw new Error(`fakeQuantWeight: ${w.name}: LSQ needs its scale param '${lsqScaleName(w.name)}'`);
  const C = w.numel / q.group;
  const zeros = w.graph.constant(new Float32Array(C), [C], 'f32', `${w.name}.zero_point`);
  return ops.fakeQuantLearnable(w, scale, zeros, { bits: q.bits, symmetric: true, granularity, learnZeroPoint: false });
}

/** The layer input, fake-quantized per token to int8 when q.act. */
export function fakeQuantInput(x: Tensor, q: LinearQuant): Tensor {
  return q.act ? ops.fakeQuant(x, { bits: 8, symmetric: false, granularity: { kind: 'token' } }) : x;
}
