// AdaQAT (Gernigon, Filip, Sentieys, Coggiola, Bruno 2024, "AdaQAT: Adaptive Bit-Width Quantization-Aware
// Training", arXiv 2404.16876) for any model: the bit-widths are relaxed real numbers b, learned by gradient descent
// alongside the weights, while every quantizer uses ceil(b). The loss is not differentiable in b, so its gradient is
// a finite difference of the loss over one bit, on the step's batch and the current weights:
//   dL/db_j ~ L(ceil b) - L(ceil b with quantizer j at ceil(b_j) - 1)          (upward, L(c+1) - L(c), at minBits)
// plus lambda times the gradient of a hardware cost term. The bit-widths are per layer (weights, and the
// activations where the layer fake-quantizes them), and the cost is
//   weights only:     C = sum_i n_i * bw_i / sum_i n_i                    (average bits per weight: model size)
//   with activations: C = sum_i n_i * bw_i * ba_i / (8 * sum_i n_i)       (BitOPs of the Linear layers, / 8)
// where n_i is layer i's weight count (its MACs per row, for BitOPs). Update: b_j <- clamp(b_j - lr * (dL/db_j +
// lambda * dC/db_j), minBits - 1 (exclusive), maxBits). Each update costs 1 + (number of quantizers) losses on the
// step's batch. GraphAdaQat computes them on the training graph itself: its adapted quantizers read their code range
// [qmin, qmax] at run time from one 8-byte constant each (the fake-quant kernels' RANGE variant; the layers make them
// for quantizers planned `adaptive`), so a probe rewrites a few of those and runs the trainer's forward-only
// executable on the step's batch: no graph is rebuilt and no weight is copied. The digits MLP and the Llama use it.
// AdaQAT drives the dynamic quantizers (scale from the data each step), so a new bit-width needs no new scale.
import type { GpuContext } from '../gpu/context.js';
import type { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import { rangeFor } from '../ops/fake_quant.js';
import type { GraphInputs, GraphTrainer } from './graph_trainer.js';

export interface AdaQatOptions {
  /** Starting real-valued bit-width of every adapted quantizer (default: the bits the layer was prepared with). */
  init?: number;
  /** Weight of the cost term (default 0.1). Larger: smaller models. */
  lambda?: number;
  /** Learning rate of the bit-widths, in bits per unit of gradient (default 2). */
  lr?: number;
  /** Update the bit-widths every this many steps (default 1). */
  every?: number;
  /** Range of ceil(b) (default 2..8). */
  minBits?: number;
  maxBits?: number;
  /** Also adapt the activation bit-widths of layers that fake-quantize their input (default true). */
  act?: boolean;
}

export interface AdaQatReport {
  /** The bit-widths chosen per layer: ceil(b) (null: the layer has no such quantizer). */
  weightBits: (number | null)[];
  actBits: (number | null)[];
  /** The relaxed real values behind them. */
  weightReal: (number | null)[];
  actReal: (number | null)[];
  /** The cost term C at the chosen bit-widths (see the file header). */
  cost: number;
  /** Bit-width updates made. */
  updates: number;
}

/** A layer as AdaQAT sees it: its weight count and the bits its quantizers were prepared with (null: none). */
export interface AdaptiveLayer {
  name: string;
  n: number;
  weightBits: number | null;
  actBits: number | null;
}

/** One quantizer: layer index and kind. */
export interface BitSlot {
  layer: number;
  kind: 'weight' | 'act';
}

/** The integer bit-widths of every layer (null: not quantized). */
export type LayerBits = { weight: number | null; act: number | null }[];

export class AdaQatError extends Error {}

/** The relaxed bit-widths, their cost and their update rule (see the file header); knows no model. */
export class AdaptiveBits {
  readonly lambda: number;
  readonly lr: number;
  readonly every: number;
  readonly minBits: number;
  readonly maxBits: number;
  /** Relaxed bit-widths per layer. */
  readonly weight: (number | null)[];
  readonly act: (number | null)[];
  updates = 0;
  protected readonly slots: BitSlot[] = [];

  constructor(
    readonly layers: readonly AdaptiveLayer[],
    o: AdaQatOptions = {},
  ) {
    this.lambda = o.lambda ?? 0.1;
    this.lr = o.lr ?? 2;
    this.every = o.every ?? 1;
    this.minBits = o.minBits ?? 2;
    this.maxBits = o.maxBits ?? 8;
    const bad = (what: string, v: number, ok: boolean) => {
      if (!ok) throw new AdaQatError(`adaqat: ${what}=${v} ${what.endsWith('Bits') ? 'must be an integer in 2..8' : 'must be a finite number >= 0'}`);
    };
    bad('lambda', this.lambda, Number.isFinite(this.lambda) && this.lambda >= 0);
    bad('lr', this.lr, Number.isFinite(this.lr) && this.lr >= 0);
    if (!Number.isInteger(this.every) || this.every < 1) throw new AdaQatError(`adaqat: every=${this.every} must be a positive integer`);
    bad('minBits', this.minBits, Number.isInteger(this.minBits) && this.minBits >= 2 && this.minBits <= 8);
    bad('maxBits', this.maxBits, Number.isInteger(this.maxBits) && this.maxBits >= this.minBits && this.maxBits <= 8);
    if (o.init !== undefined && !(Number.isFinite(o.init) && o.init > this.minBits - 1 && o.init <= this.maxBits)) {
      throw new AdaQatError(`adaqat: init=${o.init} must be in (${this.minBits - 1}, ${this.maxBits}]`);
    }
    if (!layers.some((l) => l.weightBits !== null || l.actBits !== null)) throw new AdaQatError('adaqat: the model has no quantized layer (prepare it with QAT quantizers first)');
    this.weight = layers.map((l) => (l.weightBits !== null ? this.clamp(o.init ?? l.weightBits) : null));
    this.act = layers.map((l) => (l.actBits !== null && o.act !== false ? this.clamp(o.init ?? l.actBits) : null));
    this.weight.forEach((b, i) => b !== null && this.slots.push({ layer: i, kind: 'weight' }));
    this.act.forEach((b, i) => b !== null && this.slots.push({ layer: i, kind: 'act' }));
  }

  private clamp(b: number): number {
    return Math.min(this.maxBits, Math.max(this.minBits - 1 + 1e-3, b));
  }

  /** The integer bit-widths at ceil(b), optionally with one slot moved by `delta` bits (unadapted quantizers keep their bits). */
  bits(moved?: BitSlot, delta = 0): LayerBits {
    return this.layers.map((l, i) => {
      const w = this.weight[i];
      const a = this.act[i];
      const dw = moved?.layer === i && moved.kind === 'weight' ? delta : 0;
      const da = moved?.layer === i && moved.kind === 'act' ? delta : 0;
      return {
        weight: l.weightBits === null ? null : w === null ? l.weightBits : Math.ceil(w) + dw,
        act: l.actBits === null ? null : a === null ? l.actBits : Math.ceil(a) + da,
      };
    });
  }

  /** The cost term C and its gradient per slot, at the ceil bit-widths. */
  cost(): { cost: number; grad: number[] } {
    const q = this.bits();
    const n = this.layers.map((l) => l.n);
    const total = n.reduce((s, x) => s + x, 0);
    const withAct = this.act.some((a) => a !== null);
    // Layers without a weight quantizer count at 32 bits; without activation quantization at 32 (f32) too.
    const bw = q.map((l) => l.weight ?? 32);
    const ba = q.map((l) => l.act ?? 32);
    const cost = withAct ? n.reduce((s, ni, i) => s + ni * bw[i] * ba[i], 0) / (8 * total) : n.reduce((s, ni, i) => s + ni * bw[i], 0) / total;
    const grad = this.slots.map(({ layer, kind }) => (withAct ? (n[layer] * (kind === 'weight' ? ba[layer] : bw[layer])) / (8 * total) : n[layer] / total));
    return { cost, grad };
  }

  /**
   * One bit-width update: `probe` gives the loss on the step's batch (current weights) of each bit configuration
   * asked for (the first is the current one). Returns true when some ceil(b) changed.
   */
  async step(probe: (configs: LayerBits[]) => Promise<number[]>): Promise<boolean> {
    const before = JSON.stringify(this.bits());
    const { grad } = this.cost();
    // Per slot, the finite difference over one bit: downward, or upward at minBits (none when min == max).
    const dirs = this.slots.map((s) => {
      const c = Math.ceil((s.kind === 'weight' ? this.weight : this.act)[s.layer]!);
      return c > this.minBits ? -1 : c < this.maxBits ? 1 : 0;
    });
    const probed = this.slots.map((_, j) => j).filter((j) => dirs[j] !== 0);
    const [L, ...Ls] = await probe([this.bits(), ...probed.map((j) => this.bits(this.slots[j], dirs[j]))]);
    const steps = this.slots.map((s, j) => {
      const k = probed.indexOf(j);
      const dL = k < 0 ? 0 : dirs[j] < 0 ? L - Ls[k] : Ls[k] - L;
      if (!Number.isFinite(dL)) throw new AdaQatError(`adaqat: the probe loss of ${this.layers[s.layer].name}'s ${s.kind} quantizer is ${dL}`);
      return this.lr * (dL + this.lambda * grad[j]);
    });
    for (const [j, s] of this.slots.entries()) {
      const arr = s.kind === 'weight' ? this.weight : this.act;
      arr[s.layer] = this.clamp(arr[s.layer]! - steps[j]);
    }
    this.updates++;
    return JSON.stringify(this.bits()) !== before;
  }

  report(): AdaQatReport {
    const q = this.bits();
    return {
      weightBits: this.weight.map((b, i) => (b === null ? null : q[i].weight)),
      actBits: this.act.map((b, i) => (b === null ? null : q[i].act)),
      weightReal: [...this.weight],
      actReal: [...this.act],
      cost: this.cost().cost,
      updates: this.updates,
    };
  }

  /** Restores relaxed bit-widths saved by `state()` (checkpoints). */
  load(s: { weight: (number | null)[]; act: (number | null)[]; updates: number }): void {
    if (s.weight.length !== this.weight.length || s.act.length !== this.act.length) throw new AdaQatError('adaqat: the checkpoint has bit-widths for a different number of layers');
    s.weight.forEach((b, i) => (this.weight[i] = b));
    s.act.forEach((b, i) => (this.act[i] = b));
    this.updates = s.updates;
  }

  state(): { weight: (number | null)[]; act: (number | null)[]; updates: number } {
    return { weight: [...this.weight], act: [...this.act], updates: this.updates };
  }
}

/** The run-time code-range constants of one layer's adapted quantizers (absent: not adapted). */
export interface LayerRanges {
  weight?: Tensor;
  act?: Tensor;
}

/**
 * AdaQAT on a training graph whose adapted quantizers read run-time ranges (see the file header). Weights are
 * quantized symmetrically, activations asymmetrically (per token), as the Linear layer does.
 */
export class GraphAdaQat extends AdaptiveBits {
  private graph: Graph | null = null;
  private ranges: LayerRanges[] = [];

  constructor(
    private readonly ctx: GpuContext,
    layers: readonly AdaptiveLayer[],
    o: AdaQatOptions = {},
  ) {
    super(layers, o);
  }

  /** Binds the graph whose range constants this drives (one entry per layer) and writes the current bit-widths. */
  attach(graph: Graph, ranges: readonly LayerRanges[]): void {
    if (ranges.length !== this.layers.length) throw new AdaQatError(`adaqat: ${ranges.length} layers of ranges for ${this.layers.length} layers`);
    for (const { layer, kind } of this.slots) {
      if (!ranges[layer][kind]) throw new AdaQatError(`adaqat: the graph has no code range for ${this.layers[layer].name}'s ${kind} quantizer (plan it adaptive)`);
    }
    this.graph = graph;
    this.ranges = [...ranges];
    this.writeBits(this.bits());
  }

  /** Writes a bit configuration into the range constants (the graph's next runs quantize at it). */
  writeBits(c: LayerBits): void {
    const g = this.graph;
    if (!g) throw new AdaQatError('adaqat: attach a graph first');
    for (const { layer, kind } of this.slots) {
      const r = g.persistentRange(this.ranges[layer][kind]!.storage);
      this.ctx.write(r.buffer, rangeFor(c[layer][kind]!, kind === 'weight'), r.offset);
    }
  }

  /**
   * A bit-width update every `every` steps (the train loop's afterStep), on the step's batch (the first
   * micro-batch): the trainer's evaluation output (a mean loss) at each configuration. Returns whether it ran.
   */
  async afterStep(step: number, tr: GraphTrainer, inputs: GraphInputs | readonly GraphInputs[]): Promise<boolean> {
    if (step % this.every !== 0) return false;
    const batch = Array.isArray(inputs) ? (inputs as readonly GraphInputs[])[0] : (inputs as GraphInputs);
    await this.step(async (configs) => {
      const losses: number[] = [];
      for (const c of configs) {
        this.writeBits(c);
        losses.push((await tr.evaluate(batch))[0]);
      }
      return losses;
    });
    this.writeBits(this.bits());
    return true;
  }

  /** Restores relaxed bit-widths (checkpoints) and, when attached, writes them into the graph. */
  override load(s: { weight: (number | null)[]; act: (number | null)[]; updates: number }): void {
    super.load(s);
    if (this.graph) this.writeBits(this.bits());
  }
}
