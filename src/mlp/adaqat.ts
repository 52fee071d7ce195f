// AdaQAT (Gernigon, Filip, Sentieys, Coggiola, Bruno 2024, "AdaQAT: Adaptive Bit-Width Quantization-Aware
// Training", arXiv 2404.16876): the bit-widths are relaxed real numbers b, learned by gradient descent alongside the
// weights, while every quantizer uses ceil(b). The loss is not differentiable in b, so its gradient is a finite
// difference of the loss over one bit, on the step's batch and the current weights:
//   dL/db_j ~ L(ceil b) - L(ceil b with quantizer j at ceil(b_j) - 1)          (upward, L(c+1) - L(c), at minBits)
// plus lambda times the gradient of a hardware cost term. Here the bit-widths are per layer (weights, and the
// activations where the layer fake-quantizes them), and the cost is
//   weights only:     C = sum_i n_i * bw_i / sum_i n_i                    (average bits per weight: model size)
//   with activations: C = sum_i n_i * bw_i * ba_i / (8 * sum_i n_i)       (BitOPs of the Linear layers, / 8)
// where n_i is layer i's weight count (its MACs per row, for BitOPs). Update: b_j <- clamp(b_j - lr * (dL/db_j +
// lambda * dC/db_j), minBits - 1 (exclusive), maxBits). Each update runs 1 + (number of quantizers) forward passes
// of the step's batch on forward-only graphs whose weights are copied on the GPU from the training graph.
// AdaQAT drives the dynamic quantizers (scale from the data each step), so a new bit-width needs no new scale.
import type { GpuContext } from '../gpu/context.js';
import { buildMlp, type LayerQuant, type MlpGraph, type MlpWeights } from '../nn/mlp.js';
import type { Executable } from '../graph/executor.js';

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

interface Slot {
  layer: number;
  kind: 'weight' | 'act';
}

export class AdaQat {
  readonly lambda: number;
  readonly lr: number;
  readonly every: number;
  readonly minBits: number;
  readonly maxBits: number;
  /** Relaxed bit-widths per layer. */
  readonly weight: (number | null)[];
  readonly act: (number | null)[];
  updates = 0;
  private readonly slots: Slot[] = [];
  private readonly n: number[];
  private evals = new Map<string, { mg: MlpGraph; exe: Executable }>();

  constructor(
    private readonly base: (LayerQuant | null)[],
    sizes: number[],
    o: AdaQatOptions = {},
  ) {
    this.lambda = o.lambda ?? 0.1;
    this.lr = o.lr ?? 2;
    this.every = o.every ?? 1;
    this.minBits = o.minBits ?? 2;
    this.maxBits = o.maxBits ?? 8;
    const bad = (what: string, v: number, ok: boolean) => {
      if (!ok) throw new Error(`adaqat: ${what}=${v} ${what.endsWith('Bits') ? 'must be an integer in 2..8' : 'must be a finite number >= 0'}`);
    };
    bad('lambda', this.lambda, Number.isFinite(this.lambda) && this.lambda >= 0);
    bad('lr', this.lr, Number.isFinite(this.lr) && this.lr >= 0);
    if (!Number.isInteger(this.every) || this.every < 1) throw new Error(`adaqat: every=${this.every} must be a positive integer`);
    bad('minBits', this.minBits, Number.isInteger(this.minBits) && this.minBits >= 2 && this.minBits <= 8);
    bad('maxBits', this.maxBits, Number.isInteger(this.maxBits) && this.maxBits >= this.minBits && this.maxBits <= 8);
    if (o.init !== undefined && !(Number.isFinite(o.init) && o.init > this.minBits - 1 && o.init <= this.maxBits)) {
      throw new Error(`adaqat: init=${o.init} must be in (${this.minBits - 1}, ${this.maxBits}]`);
    }
    if (!base.some((q) => q?.weight || q?.act)) throw new Error('adaqat: the model has no quantized layer (prepare it with QAT quantizers first)');
    this.n = sizes.slice(1).map((out, i) => out * sizes[i]);
    this.weight = base.map((q) => (q?.weight ? this.clamp(o.init ?? q.weight.bits) : null));
    this.act = base.map((q) => (q?.act && o.act !== false ? this.clamp(o.init ?? q.act.bits) : null));
    this.weight.forEach((b, i) => b !== null && this.slots.push({ layer: i, kind: 'weight' }));
    this.act.forEach((b, i) => b !== null && this.slots.push({ layer: i, kind: 'act' }));
  }

  private clamp(b: number): number {
    return Math.min(this.maxBits, Math.max(this.minBits - 1 + 1e-3, b));
  }

  private bitsOf(s: Slot): number {
    return Math.ceil((s.kind === 'weight' ? this.weight : this.act)[s.layer]!);
  }

  /** The quantizers at ceil(b), optionally with one slot moved by `delta` bits. */
  quant(moved?: Slot, delta = 0): (LayerQuant | null)[] {
    return this.base.map((q, i) => {
      if (!q) return null;
      const w = this.weight[i];
      const a = this.act[i];
      const dw = moved?.layer === i && moved.kind === 'weight' ? delta : 0;
      const da = moved?.layer === i && moved.kind === 'act' ? delta : 0;
      return {
        weight: q.weight ? { ...q.weight, bits: w === null ? q.weight.bits : Math.ceil(w) + dw } : null,
        act: q.act ? { ...q.act, bits: a === null ? q.act.bits : Math.ceil(a) + da } : null,
      };
    });
  }

  /** The cost term C and its gradient per slot, at the ceil bit-widths. */
  cost(): { cost: number; grad: number[] } {
    const q = this.quant();
    const total = this.n.reduce((s, x) => s + x, 0);
    const withAct = this.act.some((a) => a !== null);
    const bw = q.map((l) => l?.weight?.bits ?? 32);
    const ba = q.map((l) => l?.act?.bits ?? 32);
    // Layers without a weight quantizer count at 32 bits; without activation quantization at 32 (f32) too.
    const cost = withAct ? this.n.reduce((s, n, i) => s + n * bw[i] * ba[i], 0) / (8 * total) : this.n.reduce((s, n, i) => s + n * bw[i], 0) / total;
    const grad = this.slots.map(({ layer, kind }) => {
      if (!withAct) return this.n[layer] / total;
      return (this.n[layer] * (kind === 'weight' ? ba[layer] : bw[layer])) / (8 * total);
    });
    return { cost, grad };
  }

  /** The probe graph (forward + loss, batch `batch`) for one set of quantizers, compiled once per bit configuration. */
  private async probe(ctx: GpuContext, weights: MlpWeights, quant: (LayerQuant | null)[], batch: number): Promise<{ mg: MlpGraph; exe: Executable }> {
    const key = JSON.stringify(quant);
    let e = this.evals.get(key);
    if (!e) {
      const mg = buildMlp(ctx, weights, { batch, quant, loss: true, label: 'adaqat-probe' });
      e = { mg, exe: await mg.graph.compile({ outputs: [mg.loss!] }) };
      this.evals.set(key, e);
    }
    return e;
  }

  /**
   * The loss of each quantizer set on the step's batch with the training graph's current weights: one submit copies
   * the weights (GPU to GPU) into every probe graph, then the probes run, then their losses are read.
   */
  private async losses(ctx: GpuContext, train: MlpGraph, weights: MlpWeights, quants: (LayerQuant | null)[][], batch: number, feeds: { x: Float32Array; labels: Int32Array }): Promise<number[]> {
    const probes: { mg: MlpGraph; exe: Executable }[] = [];
    for (const q of quants) probes.push(await this.probe(ctx, weights, q, batch));
    const src = [...train.w, ...train.b];
    await ctx.submit(['adaqat weight copy'], (enc) => {
      for (const { mg } of new Set(probes)) {
        [...mg.w, ...mg.b].forEach((dst, i) => enc.copyBufferToBuffer(train.graph.persistentBuffer(src[i].storage), 0, mg.graph.persistentBuffer(dst.storage), 0, dst.storage.bytes));
      }
    });
    for (const { exe } of probes) await exe.run(feeds);
    return Promise.all(probes.map(async ({ mg, exe }) => (await exe.read(mg.loss!))[0]));
  }

  /**
   * One bit-width update on the step's batch with the training graph's current weights. Returns true when some
   * ceil(b) changed (the caller rebuilds its training graph with `quant()`).
   */
  async update(ctx: GpuContext, train: MlpGraph, weights: MlpWeights, batch: number, feeds: { x: Float32Array; labels: Int32Array }): Promise<boolean> {
    const before = JSON.stringify(this.quant());
    const { grad } = this.cost();
    // Per slot, the finite difference over one bit: downward, or upward at minBits (none when min == max).
    const dirs = this.slots.map((s) => {
      const c = this.bitsOf(s);
      return c > this.minBits ? -1 : c < this.maxBits ? 1 : 0;
    });
    const probed = this.slots.map((s, j) => j).filter((j) => dirs[j] !== 0);
    const [L, ...Ls] = await this.losses(ctx, train, weights, [this.quant(), ...probed.map((j) => this.quant(this.slots[j], dirs[j]))], batch, feeds);
    const steps = this.slots.map((s, j) => {
      const k = probed.indexOf(j);
      const dL = k < 0 ? 0 : dirs[j] < 0 ? L - Ls[k] : Ls[k] - L;
      if (!Number.isFinite(dL)) throw new Error(`adaqat: the probe loss of layer ${s.layer}'s ${s.kind} quantizer is ${dL}`);
      return this.lr * (dL + this.lambda * grad[j]);
    });
    for (const [j, s] of this.slots.entries()) {
      const arr = s.kind === 'weight' ? this.weight : this.act;
      arr[s.layer] = this.clamp(arr[s.layer]! - steps[j]);
    }
    this.updates++;
    const changed = JSON.stringify(this.quant()) !== before;
    if (changed) this.dropProbes();
    return changed;
  }

  report(): AdaQatReport {
    const q = this.quant();
    return {
      weightBits: this.weight.map((b, i) => (b === null ? null : q[i]!.weight!.bits)),
      actBits: this.act.map((b, i) => (b === null ? null : q[i]!.act!.bits)),
      weightReal: [...this.weight],
      actReal: [...this.act],
      cost: this.cost().cost,
      updates: this.updates,
    };
  }

  /** Restores relaxed bit-widths saved by `state()` (checkpoints). */
  load(s: { weight: (number | null)[]; act: (number | null)[]; updates: number }): void {
    if (s.weight.length !== this.weight.length || s.act.length !== this.act.length) throw new Error('adaqat: the checkpoint has bit-widths for a different number of layers');
    s.weight.forEach((b, i) => (this.weight[i] = b));
    s.act.forEach((b, i) => (this.act[i] = b));
    this.updates = s.updates;
    this.dropProbes();
  }

  state(): { weight: (number | null)[]; act: (number | null)[]; updates: number } {
    return { weight: [...this.weight], act: [...this.act], updates: this.updates };
  }

  private dropProbes(): void {
    for (const e of this.evals.values()) e.mg.graph.destroy();
    this.evals.clear();
  }

  destroy(): void {
    this.dropProbes();
  }
}
