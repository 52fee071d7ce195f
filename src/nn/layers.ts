// nibble's layers: Linear, Embedding, RMSNorm, LayerNorm, SwiGLU and causal attention (GQA, RoPE), each a small
// definition (its weights' names and shapes) with a forward on the autograd graph. Weights are named as the files
// name them (GGUF: `blk.0.attn_q.weight`; the digits MLP: `w0`, `b0`), and their values live outside the layers, in a
// record by name: a GraphScope binds those names to graph tensors (params to train, or constants), so one
// definition trains, evaluates and, after convert, runs on the fused quantized kernels:
//   - f32: y = x W^T (+ b) on the f32 matmul;
//   - QAT: the Linear's weight (and optionally its input) fake-quantized as the scope's plan says (LayerQuant);
//   - converted: the weight's codes and scales as a q4 / q8 graph tensor, y on the dequant-fused matmul.
// The Llama (src/nn/llama_train.ts) and the digits MLP (src/nn/mlp.ts) are built from these; src/train's prepare /
// convert (qat_plan.ts) find a model's Linear layers through `linearsOf`.
import type { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import * as ops from '../ops/index.js';
import type { QuantizedTensor } from '../quant/scheme.js';
import { rng } from '../ref/random.js';
import { fakeQuantWeight, lsqScaleName, rangeName, type LayerQuant } from './linear_quant.js';
import { tuningFor } from '../kernels/tuning.js';

export class LayerError extends Error {}

/** A weight a layer reads: its name and shape. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** How a fresh model initialises it (initWeights). */
  init: 'uniform' | 'normal' | 'ones' | 'zeros';
}

export interface ScopeOptions {
  /** Error prefix (default 'model'). */
  label?: string;
  /** QAT: each Linear's fake-quant form, by weight name (absent: f32). */
  quant?: ReadonlyMap<string, LayerQuant>;
  /** Values of the learned quantizer params (LSQ `<weight>.scale`, LSQ+ / PACT activation params), by name. */
  qparams?: Record<string, Float32Array>;
  /** Converted Linears: their codes and scales (symmetric, 4 or 8 bits; or 4-bit with zero points), by weight name; they run on the fused kernels. */
  converted?: ReadonlyMap<string, QuantizedTensor>;
  /** A frozen copy (a distillation teacher): weights become constants named `<prefix><name>`. */
  frozen?: { prefix: string };
}

/** Binds weight names to tensors of one graph; each is made once, on first use, and checked against its shape. */
export class GraphScope {
  /** The trainable weights by name, in the order they were first used. */
  readonly params = new Map<string, Tensor>();
  /** The learned quantizer params by name. */
  readonly qparams = new Map<string, Tensor>();
  /** The run-time code ranges of adaptive quantizers ([qmin, qmax] constants, `<weight>.qrange`), by name: AdaQAT rewrites them. */
  readonly ranges = new Map<string, Tensor>();
  private readonly consts = new Map<string, Tensor>();

  constructor(
    readonly graph: Graph,
    private readonly values: Readonly<Record<string, Float32Array>>,
    readonly o: ScopeOptions = {},
  ) {}

  private get label(): string {
    return this.o.label ?? 'model';
  }

  /** The tensor of weight `name` of the given shape (a param, or a constant when frozen). */
  weight(name: string, shape: readonly number[]): Tensor {
    const t = this.params.get(name) ?? this.consts.get(name);
    if (t) {
      if (t.shape.join(',') !== shape.join(',')) throw new LayerError(`${this.label}: weight '${name}' is used as [${shape.join(', ')}] and as [${t.shape.join(', ')}]`);
      return t;
    }
    const v = this.values[name];
    const n = shape.reduce((a, b) => a * b, 1);
    if (!v) throw new LayerError(`${this.label}: weight '${name}' is missing (expected shape [${shape.join(', ')}])`);
    if (v.length !== n) throw new LayerError(`${this.label}: weight '${name}' has ${v.length} values, shape [${shape.join(', ')}] needs ${n}`);
    if (this.o.frozen) {
      const c = this.graph.constant(v, shape, 'f32', `${this.o.frozen.prefix}${name}`);
      this.consts.set(name, c);
      return c;
    }
    const p = this.graph.param(name, shape, v);
    this.params.set(name, p);
    return p;
  }

  /** A learned quantizer param of n values (made once, from ScopeOptions.qparams). */
  learned(name: string, n: number): Tensor {
    const t = this.qparams.get(name);
    if (t) return t;
    const v = this.o.qparams?.[name];
    if (!v || v.length !== n) throw new LayerError(`${this.label}: learned quantizer parameter '${name}' ${v ? `has ${v.length} values, expected ${n}` : 'is missing (prepare the model with learn: true)'}`);
    const p = this.graph.param(name, [n], v);
    this.qparams.set(name, p);
    return p;
  }

  /** The code range constant `name` of a quantizer of `bits` (made once, holding that range until the host rewrites it). */
  range(name: string, bits: number, symmetric: boolean): Tensor {
    let t = this.ranges.get(name);
    if (!t) this.ranges.set(name, (t = this.graph.constant(ops.rangeFor(bits, symmetric), [2], 'f32', name)));
    return t;
  }

  quant(weight: string): LayerQuant | undefined {
    return this.o.quant?.get(weight);
  }

  /** The converted weight [N, K] as a q4 / q8 graph tensor, or undefined when `weight` is not converted. */
  converted(weight: string, N: number, K: number): Tensor | undefined {
    const q = this.o.converted?.get(weight);
    if (!q) return undefined;
    const t = this.consts.get(weight);
    if (t) return t;
    const s = q.scheme;
    const asym = !s.symmetric && s.rule === 'minmax' && s.bits === 4 && q.zeros !== null;
    if ((!s.symmetric && !asym) || (s.bits !== 4 && s.bits !== 8) || q.N !== N || q.K !== K) throw new LayerError(`${this.label}: converted weight '${weight}' is ${s.bits}-bit ${s.symmetric ? 'symmetric' : s.rule} [${q.N}, ${q.K}]; the layer takes 4- or 8-bit symmetric or 4-bit minmax (zero point) [${N}, ${K}]`);
    const c = this.graph.quantParam(weight, N, K, { bits: s.bits, groupSize: s.group || K, mode: asym ? 'asymmetric' : 'symmetric' }, { codes: q.codes, scales: q.scales, ...(asym ? { zeros: q.zeros! } : {}) });
    this.consts.set(weight, c);
    return c;
  }
}

/** y = x W^T (+ b) (+ residual); W [N, K] as PyTorch and GGUF store it. */
export class Linear {
  constructor(
    readonly weight: string,
    readonly N: number,
    readonly K: number,
    readonly o: { bias?: string; /** Name prefix of learned activation-quantizer params (default `<weight>.input`). */ act?: string } = {},
  ) {}

  params(): ParamSpec[] {
    return [{ name: this.weight, shape: [this.N, this.K], init: 'uniform' }, ...(this.o.bias ? [{ name: this.o.bias, shape: [this.N], init: 'uniform' as const }] : [])];
  }

  forward(s: GraphScope, x: Tensor, o: { residual?: Tensor } = {}): Tensor {
    const qw = s.converted(this.weight, this.N, this.K);
    let y: Tensor;
    if (qw) y = ops.matmul(x, qw);
    else {
      const q = s.quant(this.weight);
      const xin = q?.act ? this.quantInput(s, x, q.act) : x;
      const w = s.weight(this.weight, [this.N, this.K]);
      const qw = q?.weight;
      const wq = qw
        ? fakeQuantWeight(w, qw, qw.learn && !qw.format ? s.learned(lsqScaleName(this.weight), (this.N * this.K) / qw.group) : undefined, qw.adaptive ? s.range(rangeName(this.weight), qw.bits, true) : undefined)
        : w;
      y = ops.matmul(xin, ops.transpose(wq));
    }
    if (this.o.bias) y = ops.add(y, s.weight(this.o.bias, [this.N]));
    return o.residual ? ops.add(o.residual, y) : y;
  }

  /** The input fake-quantized: per token (dynamic, asymmetric), LSQ+ (a learned per-tensor scale and zero point), or PACT. */
  private quantInput(s: GraphScope, x: Tensor, a: NonNullable<LayerQuant['act']>): Tensor {
    const p = this.o.act ?? `${this.weight}.input`;
    if (a.learn === 'pact') return ops.pact(x, s.learned(`${p}.alpha`, 1), { bits: a.bits });
    if (a.learn) return ops.fakeQuantLearnable(x, s.learned(`${p}.scale`, 1), s.learned(`${p}.zero_point`, 1), { bits: a.bits, symmetric: false, granularity: { kind: 'tensor' }, learnZeroPoint: true });
    return ops.fakeQuant(x, { bits: a.bits, symmetric: false, granularity: { kind: 'token' } }, a.adaptive ? s.range(rangeName(p), a.bits, false) : undefined);
  }
}

/** Rows of a [vocab, dim] table by i32 ids: [...ids.shape, dim]. */
export class Embedding {
  constructor(
    readonly weight: string,
    readonly vocab: number,
    readonly dim: number,
  ) {}
  params(): ParamSpec[] {
    return [{ name: this.weight, shape: [this.vocab, this.dim], init: 'normal' }];
  }
  forward(s: GraphScope, ids: Tensor): Tensor {
    return ops.embedding(s.weight(this.weight, [this.vocab, this.dim]), ids);
  }
}

export class RMSNorm {
  constructor(
    readonly weight: string,
    readonly dim: number,
    readonly eps = 1e-6,
  ) {}
  params(): ParamSpec[] {
    return [{ name: this.weight, shape: [this.dim], init: 'ones' }];
  }
  forward(s: GraphScope, x: Tensor): Tensor {
    return ops.rmsNorm(x, s.weight(this.weight, [this.dim]), this.eps);
  }
}

export class LayerNorm {
  constructor(
    readonly weight: string,
    /** Undefined: no bias (Cohere's LayerNorms): the kernel's beta is a constant of zeros, not a param. */
    readonly bias: string | undefined,
    readonly dim: number,
    readonly eps = 1e-5,
  ) {}
  params(): ParamSpec[] {
    return [{ name: this.weight, shape: [this.dim], init: 'ones' }, ...(this.bias ? [{ name: this.bias, shape: [this.dim], init: 'zeros' as const }] : [])];
  }
  forward(s: GraphScope, x: Tensor): Tensor {
    const beta = this.bias ? s.weight(this.bias, [this.dim]) : s.graph.constant(new Float32Array(this.dim), [this.dim], 'f32', `${this.weight}.zero_bias`);
    return ops.layerNorm(x, s.weight(this.weight, [this.dim]), beta, this.eps);
  }
}

/** The Llama feed-forward block: down(silu(gate(x)) * up(x)) (+ residual). */
export class SwiGLU {
  constructor(
    readonly gate: Linear,
    readonly up: Linear,
    readonly down: Linear,
  ) {}
  /** The GGUF block `prefix` (e.g. `blk.0`): ffn_gate / ffn_up [ffn, dim], ffn_down [dim, ffn]. */
  static gguf(prefix: string, dim: number, ffn: number, /** up's and down's biases (starcoder2's gateless MLP) */ bias = false, /** the gate's too (jais's SwiGLU) */ gateBias = false): SwiGLU {
    const lin = (t: string, N: number, K: number) => new Linear(`${prefix}.${t}.weight`, N, K, bias && (t !== 'ffn_gate' || gateBias) ? { bias: `${prefix}.${t}.bias` } : {});
    return new SwiGLU(lin('ffn_gate', ffn, dim), lin('ffn_up', ffn, dim), lin('ffn_down', dim, ffn));
  }
  layers(): Linear[] {
    return [this.gate, this.up, this.down];
  }
  forward(s: GraphScope, x: Tensor, o: { residual?: Tensor } = {}): Tensor {
    const g = this.gate.forward(s, x);
    const u = this.up.forward(s, x);
    return this.down.forward(s, ops.swiglu(g, u), o);
  }
}

export interface AttentionShape {
  heads: number;
  kvHeads: number;
  headDim: number;
  ropeBase: number;
  /** 'norm' (adjacent pairs, llama) or 'neox' (halves, qwen2). */
  ropeLayout: 'norm' | 'neox';
  /** RoPE's per-pair factors, position scale, mscale and rotated dims (ops.rope's options). Default none. */
  rope?: { freqFactors?: Float32Array; posScale?: number; mscale?: number; ropeDims?: number };
  /** gemma2: scores soft-capped after the scale, s -> cap tanh(s / cap). Default none. */
  softcap?: number;
  /** The score scale (granite's attention multiplier, the Gemmas' 27B's 1/sqrt(dim/heads)). Default 1 / sqrt(headDim). */
  scale?: number;
  /** mistral3: the query at position p times qScale(p) after RoPE (its attention temperature). Default none. */
  qScale?: (p: number) => number;
  /** ALiBi's max_bias (bloom, mpt, ...): each head's scores gain its slope times the key's distance. Default none. */
  alibi?: number;
}

/** Scores a training step's attention may hold as a [B, heads, T, T] tensor before flash attention is taken at any head dim. */
export const FLASH_SCORES_BYTES = 256 * 2 ** 20;

/**
 * Causal self-attention with grouped-query heads and RoPE over [B*T, dim] rows of B sequences of T tokens: q, k, v
 * and output projections (Linear), rotary embedding of q and k per head, and query head h reading KV head
 * h / (heads / kvHeads) as llama.cpp does.
 */
export class Attention {
  constructor(
    readonly q: Linear,
    readonly k: Linear,
    readonly v: Linear,
    readonly out: Linear,
    readonly shape: AttentionShape,
    /**
     * Qwen3's per-head RMSNorm of q and k (weights [headDim]) before RoPE; `full`: OLMo 2's, over all of q and of k
     * (weights [heads * headDim] and [kvHeads * headDim]).
     */
    readonly qkNorm?: { q: RMSNorm; k: RMSNorm; full?: boolean },
  ) {
    const { heads, kvHeads, headDim } = shape;
    if (!(heads % kvHeads === 0 && q.N === heads * headDim && k.N === kvHeads * headDim && v.N === kvHeads * headDim && out.K === heads * headDim)) {
      throw new LayerError(`attention: ${heads} heads / ${kvHeads} KV heads of ${headDim} do not fit q [${q.N}, ${q.K}], k [${k.N}, ${k.K}], v [${v.N}, ${v.K}], output [${out.N}, ${out.K}]`);
    }
    for (const [n, h] of qkNorm ? ([[qkNorm.q, heads], [qkNorm.k, kvHeads]] as const) : []) {
      const want = qkNorm!.full ? h * headDim : headDim;
      if (n.dim !== want) throw new LayerError(`attention: the q / k norm '${n.weight}' has ${n.dim} weights, expected ${want} (${qkNorm!.full ? `the whole projection: ${h} heads of ${headDim}` : 'the head dim'})`);
    }
  }
  /**
   * The GGUF block `prefix`: attn_q / attn_k / attn_v / attn_output (biases on q, k, v with qkvBias; with `qkNormEps`
   * the norms attn_q_norm / attn_k_norm, per head as qwen3's, or over the whole projection with `qkNormFull`, as olmo2's).
   */
  static gguf(prefix: string, dim: number, shape: AttentionShape, qkvBias = false, qkNormEps?: number, qkNormFull = false, /** attn_output's bias (starcoder2) */ outBias = false): Attention {
    const lin = (t: string, N: number, K: number, bias: boolean) => new Linear(`${prefix}.${t}.weight`, N, K, bias ? { bias: `${prefix}.${t}.bias` } : {});
    const { heads, kvHeads, headDim: hd } = shape;
    const norm = (t: string, h: number) => new RMSNorm(`${prefix}.${t}.weight`, qkNormFull ? h * hd : hd, qkNormEps!);
    const norms = qkNormEps === undefined ? undefined : { q: norm('attn_q_norm', heads), k: norm('attn_k_norm', kvHeads), ...(qkNormFull ? { full: true } : {}) };
    return new Attention(lin('attn_q', heads * hd, dim, qkvBias), lin('attn_k', kvHeads * hd, dim, qkvBias), lin('attn_v', kvHeads * hd, dim, qkvBias), lin('attn_output', dim, heads * hd, outBias), shape, norms);
  }
  layers(): Linear[] {
    return [this.q, this.k, this.v, this.out];
  }
  /** The q / k norms (qwen3), empty without. */
  norms(): RMSNorm[] {
    return this.qkNorm ? [this.qkNorm.q, this.qkNorm.k] : [];
  }

  /** RMSNorm of each head of x [rows, heads * headDim] (x seen as [rows * heads, headDim]). */
  static headNorm(s: GraphScope, norm: RMSNorm, x: Tensor, heads: number): Tensor {
    const hd = norm.dim;
    return ops.reshape(norm.forward(s, ops.reshape(x, [x.shape[0] * heads, hd])), [x.shape[0], heads * hd]);
  }

  /**
   * softmax(q k^T / sqrt(hd), causal) v for roped q [B*T, heads*hd] and k, v [B*T, kvHeads*hd]: [B*T, heads*hd].
   * ops.flashAttention up to the adapter's flashAttentionMaxHeadDim, and at any head dim it takes where the
   * composition's [B, heads, T, T] scores would exceed FLASH_SCORES_BYTES (one dispatch forward, two backward, no scores
   * in memory); else, or with `composed`, the composition: heads permuted (KV heads repeated), causalSelfAttention,
   * permuted back.
   */
  attend(q: Tensor, k: Tensor, v: Tensor, B: number, T: number, o: { composed?: boolean; sinks?: Tensor } = {}): Tensor {
    const { heads, kvHeads, headDim: hd, softcap, scale, alibi } = this.shape;
    const rows = (x: Tensor, h: number) => ops.reshape(x, [B, T, h * hd]);
    const scoresBytes = 4 * B * heads * T * T;
    // gpt-oss's sinks: the composition, whose softmax takes the sink column
    if (o.sinks) return ops.reshape(ops.causalAttentionRows(rows(q, heads), rows(k, kvHeads), rows(v, kvHeads), { heads, kvHeads, sinks: o.sinks, ...(scale !== undefined ? { scale } : {}), composed: true }), [B * T, heads * hd]);
    const flash = !o.composed && ops.flashAttentionFits(hd) && (hd <= tuningFor(q.graph.ctx).flashAttentionMaxHeadDim || scoresBytes > FLASH_SCORES_BYTES);
    const a = (flash ? ops.flashAttention : ops.causalAttentionRows)(rows(q, heads), rows(k, kvHeads), rows(v, kvHeads), { heads, kvHeads, ...(softcap ? { softcap } : {}), ...(scale !== undefined ? { scale } : {}), ...(alibi ? { alibi } : {}) });
    return ops.reshape(a, [B * T, heads * hd]);
  }

  /** RoPE of q [B*T, heads * headDim] and k [B*T, kvHeads * headDim] in one dispatch (ops.ropePair). */
  ropeQK(q: Tensor, k: Tensor, B: number, T: number): [Tensor, Tensor] {
    const { heads, kvHeads, headDim, ropeBase, ropeLayout, rope } = this.shape;
    let [rq, rk] = ops.ropePair(ops.reshape(q, [B, T, heads * headDim]), ops.reshape(k, [B, T, kvHeads * headDim]), { base: ropeBase, heads, kvHeads, layout: ropeLayout, ...rope });
    const qs = this.shape.qScale;
    if (qs) {
      const f = Float32Array.from({ length: T }, (_, p) => qs(p));
      // A constant [T, 1] broadcast over the batch and the row (skipped where every factor is 1: the first positions).
      if (f.some((v) => v !== 1)) rq = ops.mul(rq, q.graph.constant(f, [T, 1], 'f32', `${this.q.weight}.temperature`));
    }
    return [ops.reshape(rq, [B * T, heads * headDim]), ops.reshape(rk, [B * T, kvHeads * headDim])];
  }

  forward(s: GraphScope, x: Tensor, B: number, T: number, o: { residual?: Tensor } = {}): Tensor {
    let q0 = this.q.forward(s, x);
    let k0 = this.k.forward(s, x);
    if (this.qkNorm) {
      const full = !!this.qkNorm.full;
      q0 = Attention.headNorm(s, this.qkNorm.q, q0, full ? 1 : this.shape.heads);
      k0 = Attention.headNorm(s, this.qkNorm.k, k0, full ? 1 : this.shape.kvHeads);
    }
    const [q, k] = this.ropeQK(q0, k0, B, T);
    const v = this.v.forward(s, x);
    return this.out.forward(s, this.attend(q, k, v, B, T), o);
  }
}

export type Layer = Linear | Embedding | RMSNorm | LayerNorm;

/** The Linear layers among `layers` (composites expanded): what prepare quantizes, by weight name and [N, K]. */
export function linearsOf(layers: readonly (Layer | SwiGLU | Attention)[]): Linear[] {
  return layers.flatMap((l) => (l instanceof Linear ? [l] : l instanceof SwiGLU || l instanceof Attention ? l.layers() : []));
}

/** Every weight the layers read (a weight shared by two layers, e.g. a tied head, once). */
export function paramsOf(layers: readonly (Layer | SwiGLU | Attention)[]): ParamSpec[] {
  const seen = new Map<string, ParamSpec>();
  for (const l of layers.flatMap((x) => (x instanceof SwiGLU ? x.layers() : x instanceof Attention ? [...x.layers(), ...x.norms()] : [x]))) {
    for (const p of l.params()) {
      const had = seen.get(p.name);
      if (had && had.shape.join(',') !== p.shape.join(',')) throw new LayerError(`weight '${p.name}' is declared as [${had.shape.join(', ')}] and as [${p.shape.join(', ')}]`);
      if (!had) seen.set(p.name, p);
    }
  }
  return [...seen.values()];
}

/**
 * Fresh weights for the layers, seeded: Linear weights and biases U(-1/sqrt(K), 1/sqrt(K)) (PyTorch's rule),
 * embeddings normal with std 0.02 (GPT-2's), norm weights 1, norm biases 0.
 */
export function initWeights(layers: readonly (Layer | SwiGLU | Attention)[], seed: number): Record<string, Float32Array> {
  const r = rng(seed);
  const out: Record<string, Float32Array> = {};
  for (const p of paramsOf(layers)) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const fan = p.shape.length === 2 ? p.shape[1] : (linearsOf(layers).find((l) => l.o.bias === p.name)?.K ?? 1);
    const bound = 1 / Math.sqrt(fan);
    const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    out[p.name] = Float32Array.from({ length: n }, () => (p.init === 'uniform' ? (2 * r() - 1) * bound : p.init === 'normal' ? 0.02 * normal() : p.init === 'ones' ? 1 : 0));
  }
  return out;
}

/** The Linear layers as src/train/qat_plan.ts takes them (prepareLinears, convertLinears): weight name and [N, K]. */
export function linearInfos(layers: readonly (Layer | SwiGLU | Attention)[]): { name: string; N: number; K: number }[] {
  return linearsOf(layers).map((l) => ({ name: l.weight, N: l.N, K: l.K }));
}
