// The fake-quantized form of a Linear layer (src/nn/layers.ts), for any model built from Linear layers: the weight
// [N, K] fake-quantized per group along K before the matmul, and optionally the layer's input. Three weight rules:
//   - the torchao symmetric rule (ops.fakeQuant: scale = max|w| / ((qmax - qmin) / 2), codes in [-2^(b-1), 2^(b-1) - 1]);
//   - LSQ (ops.fakeQuantLearnable): the same codes with a learned per-group scale (initialised to that rule's), or
//     with that scale frozen (method 'static': no scale gradient, the plain STE backward, fused into dW's matmul);
//     either of these two on the midrise grid (levels (q + 0.5) * scale, no zero level) with `midrise`;
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
  /** With learn: method 'static', the scale param is never trained (not among the trainable params): STE against
   *  the scales it starts from. */
  frozen?: boolean;
  /** LSQ: its scales start at each group's squared-error minimum (src/quant/mse_scale.ts), not the torchao rule's. */
  lsqInit?: 'mse';
  /** Asymmetric weights (torchao's asymmetric rule: a scale and an integer zero point per group; STE, 2..4 bits). */
  asymmetric?: boolean;
  /** The midrise grid: symmetric levels (q + 0.5) * scale, no zero level (ParetoQ's SEQ; 2..3 bits, STE or LSQ). */
  midrise?: boolean;
  /** Fake-quantize the layer's input per token (asymmetric, actBits: default 8). */
  act?: boolean;
  actBits?: number;
  /** AdaQAT: `bits` is the widest; the code range is read at run time from the constant `<weight>.qrange` (rangeName), which the host rewrites. */
  adaptive?: boolean;
  /** AdaQAT on the input's width too: its range from `<weight>.input.qrange` (actBits the widest). */
  actAdaptive?: boolean;
}

/**
 * How one Linear layer is fake-quantized, in full (src/nn/layers.ts Linear; null parts stay f32): the weight per
 * group along K (`format`: a GGUF block type's own rule, so the export is lossless; `learn`: LSQ, the learned
 * per-group scale `<weight>.scale`), and the input: per token (dynamic, asymmetric, torchao's 8da4w), LSQ+ (`learn`:
 * a learned per-tensor scale and zero point) or PACT (`learn: 'pact'`, a learned clip).
 */
export interface LayerQuant {
  weight: { bits: number; group: number; learn?: boolean; /** With learn: the scale is a constant of the quantizer (method 'static'): no gradient, the plain STE backward. */ frozen?: boolean; format?: 'Q4_0' | 'Q8_0'; /** Asymmetric codes (a zero point per group; STE). */ asymmetric?: boolean; /** Midrise levels (q + 0.5) * scale. */ midrise?: boolean; /** The code range from the constant `<weight>.qrange` (AdaQAT). */ adaptive?: boolean } | null;
  act: { bits: number; learn?: boolean | 'pact'; /** The code range from the constant `<prefix>.qrange` (AdaQAT). */ adaptive?: boolean } | null;
}

/** A plan entry (prepareLinears) as the Linear layer's LayerQuant: per-token inputs (int8 by default) with `act`. */
export function layerQuant(q: LinearQuant): LayerQuant {
  return { weight: { bits: q.bits, group: q.group, ...(q.learn ? { learn: true } : {}), ...(q.learn && q.frozen ? { frozen: true } : {}), ...(q.format ? { format: q.format } : {}), ...(q.asymmetric ? { asymmetric: true } : {}), ...(q.midrise ? { midrise: true } : {}), ...(q.adaptive ? { adaptive: true } : {}) }, act: q.act ? { bits: q.actBits ?? 8, ...(q.actAdaptive ? { adaptive: true } : {}) } : null };
}

/** The name of a weight's learned LSQ scale param. */
export const lsqScaleName = (weight: string) => `${weight}.scale`;

/** The name of a quantizer's run-time code range constant ([qmin, qmax], AdaQAT). */
export const rangeName = (prefix: string) => `${prefix}.qrange`;

/** The fake-quantized weight w [N, K] (scale: the LSQ scale param, with q.learn; range: the code range constant, with q.adaptive). */
export function fakeQuantWeight(w: Tensor, q: Pick<LinearQuant, 'bits' | 'group' | 'format' | 'learn' | 'frozen' | 'adaptive' | 'asymmetric' | 'midrise'>, scale?: Tensor, range?: Tensor): Tensor {
  if (q.format) return ops.fakeQuantGguf(w, q.format);
  const granularity = { kind: 'group' as const, group: q.group };
  if (q.asymmetric && (q.learn || q.adaptive)) throw new Error(`fakeQuantWeight: ${w.name}: asymmetric weights take the dynamic rule (STE), not LSQ or AdaQAT`);
  if (q.adaptive && (q.learn || !range)) throw new Error(`fakeQuantWeight: ${w.name}: an adaptive quantizer is the dynamic rule with its range constant '${rangeName(w.name)}'`);
  const midrise = q.midrise ? { midrise: true } : {};
  if (!q.learn) return ops.fakeQuant(w, { bits: q.bits, symmetric: !q.asymmetric, granularity, ...midrise }, q.adaptive ? range : undefined);
  if (!scale) throw new Error(`fakeQuantWeight: ${w.name}: LSQ needs its scale param '${lsqScaleName(w.name)}'`);
  const C = w.numel / q.group;
  const zeros = w.graph.constant(new Float32Array(C), [C], 'f32', `${w.name}.zero_point`);
  return ops.fakeQuantLearnable(w, scale, zeros, { bits: q.bits, symmetric: true, granularity, learnZeroPoint: false, ...midrise, ...(q.frozen ? { frozen: true } : {}) });
}
