// Optimizers over a compiled training graph: the WGSL kernels of src/kernels/optim.ts (AdamW, SGD with momentum,
// global-norm clipping) encoded after the graph's backward pass in the same submit (Executable.run's `after`).
// State (exp_avg / exp_avg_sq or momentum) lives on the GPU; f32 master weights are updated in place. AdamW runs
// multi-tensor (adamw_multi.wgsl: up to five params a dispatch, the moments of all in one flat buffer: every first
// moment, then every second moment); where the params share buffers (Graph.flattenParams) and so do the gradients
// (compile's `flat`), flat (optim_flat.ts: clipping's partial sums one dispatch a gradients buffer, AdamW one a
// params buffer, the same bits); SGD one dispatch a param.
// Gradient accumulation over k micro-batches: each run's gradients are folded into one buffer per param by an
// elementwise kernel in that run's own pass (the first writes g/k, the others add g/k: the mean, so the update is
// that of one batch k times larger), and clipping and the update read that buffer after the last micro-batch.
import type { GpuContext } from '../gpu/context.js';
import { asRange, type Bindable, type BoundKernel, type BufferRange, type Workgroups } from '../gpu/kernel.js';
import type { Executable } from '../graph/executor.js';
import type { Tensor } from '../graph/tensor.js';
import { planAxpy, planScale } from '../kernels/basic.js';
import { adamwFlatTable, adamwFlatUniforms, gradNormFlatTable, planAdamWFlat, planGradNormFlat, type AdamWFlatLayout, type AdamWFlatTensor, type GradArena } from '../kernels/optim_flat.js';
import { adamwMultiUniforms, gradNormPartials, planAdamWMulti, planGradNorm, planSgd, type AdamWTensor } from '../kernels/optim.js';
import { ADAMW_DEFAULTS, type AdamWOptions, type SgdOptions } from '../ref/optim.js';

export type OptimizerConfig = ({ kind: 'adamw' } & AdamWOptions) | ({ kind: 'sgd' } & SgdOptions);

interface Slot {
  param: Tensor;
  n: number;
  state: GPUBuffer[];
  bound: BoundKernel;
  workgroups: Workgroups;
  rowPitch: number;
  /** Overrides the config's weight decay for this param (e.g. 0 for learned quantizer scales). */
  weightDecay?: number;
  /** Multiplies the learning rate for this param. */
  lrScale?: number;
}

/**
 * The mean of k runs' values of dense f32 buffers (gradients, a loss): `encode(pass, first)` after each run's
 * dispatches writes acc = src / k (first) or acc += src / k. Nothing carries over between steps: the first
 * micro-batch of a step overwrites the accumulator.
 */
export class Accumulator {
  private constructor(
    /** The accumulators, one per source, in order. */
    readonly buffers: GPUBuffer[],
    private readonly first: { b: BoundKernel; wg: Workgroups }[],
    private readonly rest: { b: BoundKernel; wg: Workgroups }[],
  ) {}

  static async create(ctx: GpuContext, srcs: { buffer: Bindable; n: number; label?: string }[], k: number): Promise<Accumulator> {
    if (!Number.isInteger(k) || k < 2) throw new Error(`accumulator: k ${k} must be an integer >= 2`);
    const buffers: GPUBuffer[] = [];
    const first: { b: BoundKernel; wg: Workgroups }[] = [];
    const rest: { b: BoundKernel; wg: Workgroups }[] = [];
    const acc = new Accumulator(buffers, first, rest);
    try {
      for (const s of srcs) {
        const y = ctx.createBuffer(4 * s.n, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, `${s.label ?? 'grad'}.acc`);
        buffers.push(y);
        const d0 = await planScale(ctx, s.buffer, y, s.n, 1 / k);
        first.push({ b: d0.kernel.bind(d0.args), wg: d0.workgroups });
        const d1 = await planAxpy(ctx, s.buffer, y, s.n, 1 / k);
        rest.push({ b: d1.kernel.bind(d1.args), wg: d1.workgroups });
      }
    } catch (e) {
      acc.destroy();
      throw e;
    }
    return acc;
  }

  /** Folds this run's values in: the first micro-batch of a step overwrites, the others add. */
  encode(pass: GPUComputePassEncoder, first: boolean): void {
    for (const c of first ? this.first : this.rest) c.b.encode(pass, c.wg);
  }

  destroy(): void {
    [...this.first, ...this.rest].forEach((c) => c.b.dispose());
    this.buffers.forEach((b) => b.destroy());
  }
}

/**
 * The AdamW state: the params' moments in one flat buffer per bank (first moments [0, total), second moments
 * [total, 2 total); a bank holds whole params, up to the largest buffer a binding takes), and the multi-tensor
 * dispatches over each bank.
 */
interface AdamBank {
  moments: GPUBuffer;
  /** Elements of the bank's params (the second moments' offset). */
  total: number;
  /** Its params, in order: the tensor (lr filled in each step) and lr scale. */
  entries: { param: Tensor; t: AdamWTensor; lrScale: number }[];
  groups: { bound: BoundKernel; workgroups: Workgroups; first: number; count: number; layout: { rowPitch: number; run: number; total: number } }[];
  /** Params and gradients in arenas: one adamw_flat dispatch over the bank, its segment table rewritten each step
   *  from the entries (lr) and where each entry's param and gradient start in their arenas (elements). */
  flat?: { bound: BoundKernel; workgroups: Workgroups; table: GPUBuffer; offsets: { paramOffset: number; gradOffset: number }[]; layout: AdamWFlatLayout };
}

/** A flat bank's tensors as adamw_flat's segment table takes them: each entry at its arenas' offsets. */
function flatTensors(bank: AdamBank): AdamWFlatTensor[] {
  return bank.entries.map((e, k) => ({ ...bank.flat!.offsets[k], n: e.t.n, state: e.t.state, lr: e.t.lr, weightDecay: e.t.weightDecay }));
}

/** Pairs grouped by the buffers behind them (pairs of one group share a params arena and a gradients arena). */
function byBuffers<T>(items: readonly T[], key: (t: T) => readonly GPUBuffer[]): T[][] {
  const groups: T[][] = [];
  const keys: (readonly GPUBuffer[])[] = [];
  for (const it of items) {
    const k = key(it);
    const at = keys.findIndex((x) => x.every((b, i) => b === k[i]));
    if (at >= 0) groups[at].push(it);
    else {
      keys.push(k);
      groups.push([it]);
    }
  }
  return groups;
}

export class Optimizer {
  /** Optimizer steps taken (AdamW's bias corrections and SGD's first step use it). */
  step = 0;
  private slots: Slot[] = [];
  private banks: AdamBank[] = [];
  private clip: { bound: { b: BoundKernel; wg: Workgroups }[]; coef: GPUBuffer; partials: GPUBuffer; tables: GPUBuffer[] } | null = null;
  /** With accumulation (k > 1): the gradients' means, which clipping and the updates read. */
  private acc: Accumulator | null = null;

  private constructor(
    private readonly ctx: GpuContext,
    readonly config: OptimizerConfig,
  ) {}

  /**
   * Plans and binds the update of every (param, grad) pair; `clipNorm` adds global-norm clipping first. A pair's
   * third element overrides the weight decay and scales the learning rate for that param. `accumulate` k > 1: the
   * update uses the mean gradient of k runs (encodeAccumulate after each, encode after the last).
   */
  static async create(
    ctx: GpuContext,
    exe: Executable,
    pairs: ([Tensor, Tensor] | [Tensor, Tensor, { weightDecay?: number; lrScale?: number }])[],
    config: OptimizerConfig,
    clipNorm?: number,
    accumulate = 1,
    /** AdamW's moments a flat buffer holds at most (default: the largest binding the device takes); tests lower it. */
    bankElements?: number,
  ): Promise<Optimizer> {
    // Every update, clipping and accumulation reads a gradient from its buffer's start (or its arena range's).
    for (const [param, grad] of pairs) {
      if (!grad.isContiguous() || grad.offset !== 0 || grad.numel !== param.numel) {
        throw new Error(`optimizer: gradient ${grad.describe()} of param ${param.describe()} must be a dense tensor of the param's size (use ops.contiguous)`);
      }
    }
    const o = new Optimizer(ctx, config);
    const gradRanges = pairs.map(([, g]) => asRange(exe.buffer(g)));
    /** Gradients in arenas (Executable `flat`): the distinct buffers behind them, fewer than the gradients. */
    const gradArenas = [...new Set(gradRanges.map((r) => r.buffer))];
    const arenas = gradArenas.length < pairs.length;
    if (accumulate !== 1) {
      // In arenas: one accumulator a buffer (one dispatch folds every gradient it holds in), the same layout.
      const srcs = arenas ? gradArenas.map((b, k) => ({ buffer: b, n: b.size / 4, label: `grads.${k}` })) : pairs.map(([p, g]) => ({ buffer: exe.buffer(g), n: g.numel, label: `${p.name}.grad` }));
      o.acc = await Accumulator.create(ctx, srcs, accumulate);
    }
    /** The gradient each update reads: the executable's, or its accumulated mean (at the same offset of the arena's). */
    const gradBuffer = (i: number): Bindable => {
      if (!o.acc) return exe.buffer(pairs[i][1]);
      if (!arenas) return o.acc.buffers[i];
      const r = gradRanges[i];
      return { buffer: o.acc.buffers[gradArenas.indexOf(r.buffer)], offset: r.offset, size: r.size };
    };
    // Params in arenas (Graph.flattenParams) and gradients too: AdamW a dispatch per (params, gradients) buffer pair.
    const items = pairs.map(([param, , per], i) => ({ param, per, i, pr: asRange(exe.buffer(param)), gr: asRange(gradBuffer(i)) }));
    const flat = byBuffers(items, (it) => [it.pr.buffer, it.gr.buffer]);
    const useFlat = config.kind === 'adamw' && flat.length < pairs.length;
    let coef: GPUBuffer | undefined;
    if (clipNorm !== undefined) {
      coef = ctx.createBuffer(8, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, 'clip_coef');
      const grads = pairs.map(([, g], i) => ({ buffer: gradBuffer(i), n: g.numel }));
      const partials = ctx.createBuffer(4 * gradNormPartials(ctx, grads.map((g) => g.n)), GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, 'grad_norm.partials');
      const tables: GPUBuffer[] = [];
      let ds;
      if (arenas) {
        // One SUMSQ dispatch an arena (grad_norm_flat.wgsl), each gradient a segment of it.
        const ga: GradArena[] = byBuffers(items, (it) => [it.gr.buffer]).map((its) => {
          const segments = its.map((it) => ({ offset: it.gr.offset / 4, n: it.param.numel }));
          const table = ctx.createBuffer(gradNormFlatTable(ctx, segments), GPUBufferUsage.STORAGE, 'grad_norm.segments');
          tables.push(table);
          return { buffer: its[0].gr.buffer, segments, table };
        });
        ds = await planGradNormFlat(ctx, ga, partials, coef, clipNorm);
      } else ds = await planGradNorm(ctx, grads, partials, coef, clipNorm);
      o.clip = { bound: ds.map((d) => ({ b: d.kernel.bind(d.args), wg: d.workgroups })), coef, partials, tables };
    }
    if (config.kind === 'adamw' && pairs.length) {
      const cap = bankElements ?? Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize) / 8; // both moments in one binding
      // Params in one arena (Graph.flattenParams) and gradients in another: a bank per (params, gradients) pair
      // of buffers, one adamw_flat dispatch each; else banks in order, adamw_multi dispatches of a few tensors.
      const entries: (AdamBank['entries'][number] & { pr: Required<BufferRange>; gr: Required<BufferRange> })[][] = [];
      for (const list of useFlat ? flat : [items]) {
        entries.push([]);
        let at = 0;
        for (const { param, per, i, pr, gr } of list) {
          if (at > 0 && at + param.numel > cap) {
            entries.push([]);
            at = 0;
          }
          const t: AdamWTensor = { param: exe.buffer(param), grad: gradBuffer(i), n: param.numel, state: at, lr: config.lr, weightDecay: per?.weightDecay ?? config.weightDecay ?? ADAMW_DEFAULTS.weightDecay };
          entries[entries.length - 1].push({ param, t, lrScale: per?.lrScale ?? 1, pr, gr });
          at += param.numel;
        }
      }
      for (const [k, es] of entries.entries()) {
        const total = es.reduce((a, e) => a + e.t.n, 0);
        const moments = ctx.buffer({ size: 8 * total, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: `adamw.moments${entries.length > 1 ? `.${k}` : ''}` });
        const bank: AdamBank = { moments, total, entries: es.map(({ param, t, lrScale }) => ({ param, t, lrScale })), groups: [] };
        o.banks.push(bank);
        if (useFlat) {
          const offsets = es.map((e) => ({ paramOffset: e.pr.offset / 4, gradOffset: e.gr.offset / 4 }));
          const table = ctx.buffer({ size: 32 * es.length, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: 'adamw.segments' });
          const ts = es.map((e, k) => ({ ...offsets[k], n: e.t.n, state: e.t.state, lr: e.t.lr, weightDecay: e.t.weightDecay }));
          const d = await planAdamWFlat(ctx, { params: es[0].pr.buffer, grads: es[0].gr.buffer, moments, table, clip_coef: coef }, ts, { ...config, step: 1 });
          bank.flat = { bound: d.dispatch.kernel.bind(d.dispatch.args), workgroups: d.dispatch.workgroups, table, offsets, layout: d };
          continue;
        }
        const planned = await planAdamWMulti(ctx, es.map((e) => e.t), { moments, clip_coef: coef }, { ...config, step: 1 });
        let first = 0;
        for (const d of planned) {
          bank.groups.push({ bound: d.dispatch.kernel.bind(d.dispatch.args), workgroups: d.dispatch.workgroups, first, count: d.tensors.length, layout: d });
          first += d.tensors.length;
        }
      }
    }
    for (const [i, [param, , per]] of pairs.entries()) {
      const n = param.numel;
      const zeros = () => ctx.createBuffer(new Float32Array(n));
      const b = { param: exe.buffer(param), grad: gradBuffer(i), clip_coef: coef };
      if (config.kind === 'sgd') {
        const state = (config.momentum ?? 0) > 0 ? [zeros()] : [];
        const d = await planSgd(ctx, { ...b, momentum_buf: state[0] }, n, { ...config, first: true });
        o.slots.push({ param, n, state, bound: d.kernel.bind(d.args), workgroups: d.workgroups, rowPitch: d.args.params!.row_pitch as number, weightDecay: per?.weightDecay, lrScale: per?.lrScale });
      }
    }
    return o;
  }

  /** Writes this step's uniforms (learning rate `lr`); call before the run that encodes it. */
  prepare(lrBase: number): void {
    const step = this.step + 1;
    for (const bank of this.config.kind === 'adamw' ? this.banks : []) {
      for (const e of bank.entries) e.t.lr = lrBase * e.lrScale;
      if (bank.flat) {
        const f = bank.flat;
        const ts = flatTensors(bank);
        this.ctx.write(f.table, new Uint8Array(adamwFlatTable(this.ctx, ts, this.config as AdamWOptions, step, f.layout.run)));
        f.bound.update(adamwFlatUniforms(this.ctx, ts, this.config as AdamWOptions, step, f.layout));
      }
      for (const g of bank.groups) g.bound.update(adamwMultiUniforms(this.ctx, bank.entries.slice(g.first, g.first + g.count).map((e) => e.t), this.config as AdamWOptions, step, g.layout));
    }
    for (const s of this.slots) {
      const lr = lrBase * (s.lrScale ?? 1);
      if (this.config.kind === 'sgd') {
        const c = { ...this.config, weightDecay: s.weightDecay ?? this.config.weightDecay };
        s.bound.update({ n: s.n, row_pitch: s.rowPitch, first: step === 1 ? 1 : 0, nesterov: c.nesterov ? 1 : 0, lr, momentum: c.momentum ?? 0, dampening: c.dampening ?? 0, weight_decay: c.weightDecay ?? 0 });
      }
    }
  }

  /** With accumulation: folds this run's gradients into their mean (first: the step's first micro-batch). */
  encodeAccumulate(pass: GPUComputePassEncoder, first: boolean): void {
    if (!this.acc) throw new Error('optimizer: encodeAccumulate without accumulation (create with accumulate > 1)');
    this.acc.encode(pass, first);
  }

  /** Encodes clipping and the updates (for Executable.run's `after`; with accumulation, after the last encodeAccumulate). */
  encode(pass: GPUComputePassEncoder): void {
    for (const c of this.clip?.bound ?? []) c.b.encode(pass, c.wg);
    for (const bank of this.banks) {
      if (bank.flat) bank.flat.bound.encode(pass, bank.flat.workgroups);
      for (const g of bank.groups) g.bound.encode(pass, g.workgroups);
    }
    for (const s of this.slots) s.bound.encode(pass, s.workgroups);
  }

  /** Marks the step done (after the run that encoded it completed). */
  advance(): void {
    this.step++;
  }

  /** The optimizer state, by param name, for checkpoints. */
  async state(): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    for (const bank of this.banks) {
      const mv = await this.ctx.readF32(bank.moments);
      for (const e of bank.entries) {
        out[`${e.param.name}.exp_avg`] = mv.slice(e.t.state, e.t.state + e.t.n);
        out[`${e.param.name}.exp_avg_sq`] = mv.slice(bank.total + e.t.state, bank.total + e.t.state + e.t.n);
      }
    }
    for (const s of this.slots) {
      for (const [i, b] of s.state.entries()) out[`${s.param.name}.${this.stateNames()[i]}`] = await this.ctx.readF32(b, s.n);
    }
    return out;
  }

  stateNames(): string[] {
    return this.config.kind === 'adamw' ? ['exp_avg', 'exp_avg_sq'] : ['momentum_buf'];
  }

  /** Restores state written by `state()` and the step count. */
  load(state: Record<string, Float32Array>, step: number): void {
    // Every key checked before any is written: a bad checkpoint leaves the state as it was.
    for (const e of this.banks.flatMap((b) => b.entries)) {
      for (const name of this.stateNames()) {
        const key = `${e.param.name}.${name}`;
        const v = state[key];
        if (!v || v.length !== e.t.n) throw new Error(`optimizer state '${key}' is missing or has ${v?.length ?? 0} values (expected ${e.t.n})`);
      }
    }
    for (const bank of this.banks) {
      for (const e of bank.entries) {
        this.ctx.write(bank.moments, state[`${e.param.name}.exp_avg`], 4 * e.t.state);
        this.ctx.write(bank.moments, state[`${e.param.name}.exp_avg_sq`], 4 * (bank.total + e.t.state));
      }
    }
    for (const s of this.slots) {
      for (const [i, b] of s.state.entries()) {
        const key = `${s.param.name}.${this.stateNames()[i]}`;
        const v = state[key];
        if (!v || v.length !== s.n) throw new Error(`optimizer state '${key}' is missing or has ${v?.length ?? 0} values (expected ${s.n})`);
        this.ctx.write(b, v);
      }
    }
    this.step = step;
  }

  /** The global gradient norm of the last step (only with clipping), read from the GPU. */
  async lastGradNorm(): Promise<number | null> {
    return this.clip ? (await this.ctx.readF32(this.clip.coef, 2))[0] : null;
  }

  destroy(): void {
    for (const bank of this.banks) {
      bank.groups.forEach((g) => g.bound.dispose());
      bank.flat?.bound.dispose();
      bank.flat?.table.destroy();
      bank.moments.destroy();
    }
    for (const s of this.slots) {
      s.bound.dispose();
      s.state.forEach((b) => b.destroy());
    }
    this.clip?.bound.forEach((c) => c.b.dispose());
    this.clip?.coef.destroy();
    this.clip?.partials.destroy();
    this.clip?.tables.forEach((b) => b.destroy());
    this.acc?.destroy();
  }
}
