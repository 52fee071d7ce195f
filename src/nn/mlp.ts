// A multi-layer perceptron (Linear -> SiLU (or ReLU) -> ... -> Linear) on the graph executor, in f32 or with QAT
// fake-quant layers, built from nibble's Linear layer (src/nn/layers.ts). Weights are PyTorch-shaped: w[i] is
// [out, in] (N, K), so quantization groups run along K, as in the W4A16 layout (src/quant/layout.ts).
import type { GpuContext } from '../gpu/context.js';
import { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import * as ops from '../ops/index.js';
import { rng } from '../ref/random.js';
import { GraphScope, Linear } from './layers.js';
import type { LayerQuant } from './linear_quant.js';

export interface MlpWeights {
  sizes: number[];
  /** w[i]: [sizes[i+1], sizes[i]] row-major. */
  w: Float32Array[];
  b: Float32Array[];
}

export type { LayerQuant } from './linear_quant.js';

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
  /** The run-time code ranges of adaptive (AdaQAT) quantizers (`w{i}.qrange`, `a{i}.qrange`), by name. */
  ranges: Map<string, Tensor>;
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
  const layers = mlpLayers(m.sizes);
  const values: Record<string, Float32Array> = {};
  m.w.forEach((w, i) => (values[`w${i}`] = w));
  m.b.forEach((b, i) => (values[`b${i}`] = b));
  const quant = new Map<string, LayerQuant>();
  o.quant?.forEach((q, i) => q && quant.set(`w${i}`, q));
  const s = new GraphScope(g, values, { label: 'buildMlp', quant, qparams: o.qparams });
  const w = layers.map((l) => s.weight(l.weight, [l.N, l.K]));
  const b = layers.map((l) => s.weight(l.o.bias!, [l.N]));
  let h = x;
  const inputs: Tensor[] = [];
  for (const [i, l] of layers.entries()) {
    inputs.push(h);
    const z = l.forward(s, h);
    h = i + 1 < L ? (o.activation === 'relu' ? ops.relu(z) : ops.silu(z)) : z;
  }
  const out: MlpGraph = { graph: g, x, logits: h, inputs, w, b, qp: s.qparams, ranges: s.ranges };
  if (o.loss) {
    out.labels = g.input('labels', [o.batch], 'i32');
    out.loss = ops.crossEntropy(h, out.labels);
  }
  return out;
}

/** The MLP's Linear layers: weight `w{i}` [sizes[i+1], sizes[i]], bias `b{i}`, activation-quantizer params `a{i}.*`. */
export function mlpLayers(sizes: readonly number[]): Linear[] {
  return sizes.slice(1).map((n, i) => new Linear(`w${i}`, n, sizes[i], { bias: `b${i}`, act: `a${i}` }));
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
