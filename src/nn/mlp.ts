// A multi-layer perceptron (Linear -> SiLU (or ReLU) -> ... -> Linear) on the graph executor, in f32 or with QAT fake-quant
// layers. Weights are PyTorch-shaped: w[i] is [out, in] (N, K), so quantization groups run along K, as in the
// W4A16 layout (src/quant/layout.ts).
import type { GpuContext } from '../gpu/context.js';
import { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import * as ops from '../ops/index.js';
import { rng } from '../ref/random.js';

export interface MlpWeights {
  sizes: number[];
  /** w[i]: [sizes[i+1], sizes[i]] row-major. */
  w: Float32Array[];
  b: Float32Array[];
}

/** How one Linear layer is fake-quantized during QAT (null: kept in f32). */
export interface LayerQuant {
  /**
   * `format`: fake-quantize with that GGUF block type's own rule (ops.fakeQuantGguf; bits 4/8, group 32) so a GGUF
   * export is lossless. `learn`: LSQ, a learned per-group scale (the graph param `w{i}.scale`) instead of the dynamic absmax one.
   */
  weight: { bits: number; group: number; learn?: boolean; format?: 'Q4_0' | 'Q8_0' } | null;
  /**
   * Dynamic per-token activation fake-quant (torchao 8da4w: int8, asymmetric) on the layer's input; `learn`: LSQ+,
   * a learned per-tensor scale and zero point (params `a{i}.scale`, `a{i}.zero_point`), asymmetric; `learn: 'pact'`:
   * PACT, a learned clip `a{i}.alpha` (codes [0, 2^bits - 1] over [0, alpha]).
   */
  act: { bits: number; learn?: boolean | 'pact' } | null;
}

/** Learned quantizer parameters by name (`w{i}.scale`, `a{i}.scale`, `a{i}.zero_point`). */
export type QParams = Record<string, Float32Array>;

/** PyTorch's Linear initialisation: U(-1/sqrt(in), 1/sqrt(in)) for weights and biases; seeded. */
export function initMlp(sizes: number[], seed: number): MlpWeights {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s <= 0)) throw new Error(`initMlp: sizes [${sizes.join(', ')}] must be >= 2 positive integers`);
  const r = rng(seed);
  const w: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const bound = 1 / Math.sqrt(sizes[i]);
    w.push(Float32Array.from({ length: sizes[i] * sizes[i + 1] }, () => (2 * r() - 1) * bound));
    b.push(Float32Array.from({ length: sizes[i + 1] }, () => (2 * r() - 1) * bound));
  }
  return { sizes: [...sizes], w, b };
}

export function cloneWeights(m: MlpWeights): MlpWeights {
  return { sizes: [...m.sizes], w: m.w.map((x) => x.slice()), b: m.b.map((x) => x.slice()) };
}

export interface MlpGraph {
  graph: Graph;
  x: Tensor;
  logits: Tensor;
  /** With labels: the mean cross-entropy and its targets input. */
  labels?: Tensor;
  loss?: Tensor;
  /** Each layer's input (x, then the hidden activations), before any activation fake-quant. */
  inputs: Tensor[];
  w: Tensor[];
  b: Tensor[];
  /** The learned quantizer parameters (trained with the weights; no weight decay), by name. */
  qp: Map<string, Tensor>;
}

/**
 * Records the MLP on a new graph for `batch` rows: inputs 'x' [batch, in] (and 'labels' [batch] i32 with `loss`).
 * `quant[i]` fake-quantizes layer i (weights per group along K, symmetric; activations per token, asymmetric).
 */
export function buildMlp(
  ctx: GpuContext,
  m: MlpWeights,
  o: { batch: number; quant?: (LayerQuant | null)[]; loss?: boolean; label?: string; /** Hidden activation (default SiLU). */ activation?: 'silu' | 'relu'; /** Values of the learned quantizer parameters. */ qparams?: QParams },
): MlpGraph {
  const L = m.sizes.length - 1;
  if (o.quant && o.quant.length !== L) throw new Error(`buildMlp: ${o.quant.length} layer quant configs for ${L} layers`);
  const g = new Graph(ctx, o.label ?? 'mlp');
  const x = g.input('x', [o.batch, m.sizes[0]]);
  const w = m.w.map((d, i) => g.param(`w${i}`, [m.sizes[i + 1], m.sizes[i]], d));
  const b = m.b.map((d, i) => g.param(`b${i}`, [m.sizes[i + 1]], d));
  let h = x;
  const inputs: Tensor[] = [];
  const qp = new Map<string, Tensor>();
  const learned = (name: string, n: number) => {
    const v = o.qparams?.[name];
    if (!v || v.length !== n) throw new Error(`buildMlp: learned quantizer parameter '${name}' ${v ? `has ${v.length} values, expected ${n}` : 'is missing (prepare the model with learn: true)'}`);
    const t = g.param(name, [n], v);
    qp.set(name, t);
    return t;
  };
  for (let i = 0; i < L; i++) {
    inputs.push(h);
    const q = o.quant?.[i] ?? null;
    let hin = h;
    if (q?.act?.learn === 'pact') hin = ops.pact(h, learned(`a${i}.alpha`, 1), { bits: q.act.bits });
    else if (q?.act?.learn) {
      const a = { bits: q.act.bits, symmetric: false, granularity: { kind: 'tensor' as const }, learnZeroPoint: true };
      hin = ops.fakeQuantLearnable(h, learned(`a${i}.scale`, 1), learned(`a${i}.zero_point`, 1), a);
    } else if (q?.act) hin = ops.fakeQuant(h, { bits: q.act.bits, symmetric: false, granularity: { kind: 'token' } });
    let wq = w[i];
    if (q?.weight?.format) wq = ops.fakeQuantGguf(w[i], q.weight.format);
    else if (q?.weight?.learn) {
      const C = (m.sizes[i + 1] * m.sizes[i]) / q.weight.group;
      const zeros = g.constant(new Float32Array(C), [C], 'f32', `w${i}.zero_point`);
      wq = ops.fakeQuantLearnable(w[i], learned(`w${i}.scale`, C), zeros, { bits: q.weight.bits, symmetric: true, granularity: { kind: 'group', group: q.weight.group }, learnZeroPoint: false });
    } else if (q?.weight) wq = ops.fakeQuant(w[i], { bits: q.weight.bits, symmetric: true, granularity: { kind: 'group', group: q.weight.group } });
    const z = ops.linear(hin, ops.transpose(wq), b[i]);
    h = i + 1 < L ? (o.activation === 'relu' ? ops.relu(z) : ops.silu(z)) : z;
  }
  const out: MlpGraph = { graph: g, x, logits: h, inputs, w, b, qp };
  if (o.loss) {
    out.labels = g.input('labels', [o.batch], 'i32');
    out.loss = ops.crossEntropy(h, out.labels);
  }
  return out;
}

/** Reads the learned quantizer parameters of a built MLP back to the CPU. */
export async function readQParams(mg: MlpGraph): Promise<QParams> {
  const out: QParams = {};
  for (const [k, t] of mg.qp) out[k] = await mg.graph.readParam(t);
  return out;
}

/** Reads the current weights of a built MLP back to the CPU. */
export async function readWeights(mg: MlpGraph, sizes: number[]): Promise<MlpWeights> {
  return {
    sizes: [...sizes],
    w: await Promise.all(mg.w.map((t) => mg.graph.readParam(t))),
    b: await Promise.all(mg.b.map((t) => mg.graph.readParam(t))),
  };
}
