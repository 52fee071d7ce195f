// The executor: a compiled schedule of one graph. Built once (topological order, liveness-based buffer
// assignment from a pool, every kernel bound once with its uniforms written once); each run writes the fed
// inputs, encodes every dispatch into one compute pass of one command encoder, applies the param updates as
// buffer copies in the same encoder and submits once. Nothing is read back unless `read` is called.
import { GpuError, type GpuContext } from '../gpu/context.js';
import { createArena } from '../gpu/arena.js';
import { asRange, type Bindable, type BoundKernel, type BufferRange, type Workgroups } from '../gpu/kernel.js';
import { tuningFor } from '../kernels/tuning.js';
import { sizeClass } from '../gpu/pool.js';
import type { Graph } from './graph.js';
import { contiguous } from '../ops/elementwise.js';
import { fuseAdds, fuseEmbeddingNorms, fuseRopeBackward, fuseSteMasks } from './fuse.js';
import { groupFakeQuants } from './group_fq.js';
import { groupGemms } from './group.js';
import { f16ToF32, f32ToF16 } from '../ref/f16.js';
import { DTYPE_BYTES, fmtShape, type Node, type Storage, type Tensor } from './tensor.js';

export interface CompileOptions {
  /** Tensors that `read` may fetch after a run (kept alive to the end of the schedule). */
  outputs?: Tensor[];
  /** [param, new value]: copied into the param at the end of every run, in the same submit. */
  updates?: [Tensor, Tensor][];
  /**
   * Outputs (dense f32 temporaries, e.g. every gradient of a train step) placed one after another in one buffer,
   * an arena (src/gpu/arena.ts), instead of pooled buffers: a kernel then reads them all through one binding
   * (the flat optimizer, src/train/optimizer.ts). Each must also be in `outputs`.
   */
  flat?: Tensor[];
  /** Record GPU time per run with timestamp queries where the adapter has them (see lastGpuMs). */
  timing?: boolean;
  label?: string;
}

export interface RunOptions {
  /** Benchmark baseline only: one submit per dispatch instead of one per run. */
  submitEach?: boolean;
  /**
   * Extra work encoded after the graph's dispatches, in the same pass and the same submit (an optimizer step
   * over the gradients, say). Runs before the `updates` copies.
   */
  after?: (pass: GPUComputePassEncoder) => void;
}

export interface ExecutableStats {
  /** Nodes that dispatch (views excluded). */
  kernels: number;
  dispatchesPerRun: number;
  submitsPerRun: number;
  /** Temporaries created for this schedule (after reuse) and how many storages they hold. */
  allocations: number;
  storages: number;
  tempBytes: number;
  /** What the temporaries would take with no reuse. */
  tempBytesWithoutReuse: number;
  /** Params, inputs and constants of the graph. */
  persistentBytes: number;
  /** Uniform buffers (one per bound dispatch, written once). */
  uniformBytes: number;
}

interface Step {
  node: Node;
  bound: { b: BoundKernel; wg: Workgroups }[];
}

export class Executable {
  private steps: Step[] = [];
  private temps: GPUBuffer[] = [];
  private bufs = new Map<Storage, Bindable>();
  private copies: { src: Required<BufferRange>; dst: Required<BufferRange>; bytes: number }[] = [];
  private readable = new Set<Storage>();
  private feedsNeeded = new Map<string, Tensor>();
  private fed = new Set<string>();
  private destroyed = false;
  private timer: { qs: GPUQuerySet; resolve: GPUBuffer; readback: GPUBuffer } | null = null;
  readonly label: string;
  stats!: ExecutableStats;
  runs = 0;
  /**
   * CPU time of the last run (ms): recording its dispatches into the pass (encode), and the rest of the
   * synchronous submit path (error scopes, finish, queue.submit: on a CPU adapter the driver may work here);
   * its GPU time from timestamps (null without).
   */
  lastEncodeMs = 0;
  lastSubmitMs = 0;
  lastGpuMs: number | null = null;

  private constructor(
    readonly graph: Graph,
    readonly ctx: GpuContext,
    label: string,
  ) {
    this.label = label;
  }

  static async build(g: Graph, opts: CompileOptions): Promise<Executable> {
    const exe = new Executable(g, g.ctx, opts.label ?? g.label);
    await exe.compile(opts);
    return exe;
  }

  private async compile(opts: CompileOptions): Promise<void> {
    const g = this.graph;
    const outputs = opts.outputs ?? [];
    const updates = (opts.updates ?? []).map(([p, v]): [Tensor, Tensor] => {
      for (const t of [p, v]) {
        t.check();
        if (t.graph !== g) throw new Error(`compile '${this.label}': update tensor ${t.describe()} belongs to graph '${t.graph.label}'`);
      }
      if (p.storage.kind !== 'param' || p.node) throw new Error(`compile '${this.label}': update target ${p.describe()} is not a param`);
      if (fmtShape(p.shape) !== fmtShape(v.shape) || p.dtype !== v.dtype) {
        throw new Error(`compile '${this.label}': update of ${p.describe()} with ${v.describe()}: shape or dtype differs`);
      }
      const val = v.isContiguous() ? v : contiguous(v);
      if (val.storage === p.storage) throw new Error(`compile '${this.label}': update of ${p.describe()} with itself`);
      return [p, val];
    });
    for (const t of outputs) {
      t.check();
      if (t.graph !== g) throw new Error(`compile '${this.label}': output ${t.describe()} belongs to graph '${t.graph.label}'`);
    }
    for (const t of opts.flat ?? []) {
      if (!outputs.includes(t)) throw new Error(`compile '${this.label}': flat ${t.describe()} is not one of the outputs`);
      if (t.storage.kind !== 'temp' || !t.node || t.dtype !== 'f32' || !t.isContiguous()) throw new Error(`compile '${this.label}': flat ${t.describe()} must be a dense f32 tensor a node computes`);
    }
    // Nodes the roots need, in creation order (which is topological: a node's inputs exist before it).
    const need = new Set<Node>();
    const stack: Tensor[] = [...outputs, ...updates.map(([, v]) => v)];
    while (stack.length) {
      const t = stack.pop()!;
      if (t.storage.kind === 'input') this.feedsNeeded.set(t.storage.label, t);
      if (!t.node || need.has(t.node)) continue;
      need.add(t.node);
      stack.push(...t.node.inputs);
    }
    const roots = new Set([...outputs, ...updates.map(([, v]) => v)].map((t) => t.storage));
    const scheduled = [...need].sort((a, b) => a.id - b.id).filter((n) => n.plan);
    const group = g.options.group ?? tuningFor(this.ctx).matmulF32.group;
    const fused = g.options.fuse === false ? scheduled : fuseSteMasks(fuseAdds(fuseRopeBackward(fuseEmbeddingNorms(scheduled), roots, this.ctx), roots), roots, this.ctx);
    const quantized = g.options.fuse !== false && tuningFor(this.ctx).fakeQuant.multi ? groupFakeQuants(fused, this.ctx) : fused;
    const order = g.options.fuse !== false && group ? groupGemms(quantized, roots, this.ctx, group === 'sum' ? 'sum' : undefined) : quantized;
    // Liveness: the last step reading each temporary storage; roots live to the end.
    const def = new Map<Storage, number>();
    const last = new Map<Storage, number>();
    order.forEach((n, s) => {
      for (const o of n.outputs) {
        def.set(o.storage, s);
        last.set(o.storage, s);
      }
      for (const i of n.inputs) if (i.storage.kind === 'temp') last.set(i.storage, s);
    });
    for (const t of [...outputs, ...updates.map(([, v]) => v)]) {
      last.set(t.storage, Infinity);
      this.readable.add(t.storage);
    }
    const releaseAt = new Map<number, Storage[]>();
    for (const [st, s] of last) if (s !== Infinity) releaseAt.set(s, [...(releaseAt.get(s) ?? []), st]);
    // Buffer assignment: smallest free pooled buffer that fits, else a new one of the storage's size class.
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const free: GPUBuffer[] = [];
    let withoutReuse = 0;
    // A dispatch may not write one range of a buffer and read another (WebGPU tracks usage per buffer): a flat
    // output that a scheduled node reads keeps a pooled buffer of its own.
    const read = new Set(order.flatMap((n) => n.inputs.map((t) => t.storage)));
    const flat = [...new Set((opts.flat ?? []).map((t) => t.storage))].filter((st) => !read.has(st));
    if (flat.length) {
      const arena = createArena(this.ctx, flat.map((st) => ({ bytes: st.bytes, label: st.label })), `${this.label}.flat`);
      this.temps.push(...arena.buffers);
      flat.forEach((st, i) => this.bufs.set(st, arena.ranges[i]));
    }
    for (let s = 0; s < order.length; s++) {
      for (const o of order[s].outputs) {
        withoutReuse += sizeClass(o.storage.bytes);
        if (this.bufs.has(o.storage)) continue; // in the flat arena
        let best = -1;
        for (let k = 0; k < free.length; k++) {
          if (free[k].size >= o.storage.bytes && (best < 0 || free[k].size < free[best].size)) best = k;
        }
        let buf: GPUBuffer;
        if (best >= 0) buf = free.splice(best, 1)[0];
        else {
          const size = sizeClass(o.storage.bytes);
          if (size > this.ctx.limits.maxBufferSize) {
            throw new GpuError(`compile '${this.label}': ${o.describe()} needs ${o.storage.bytes} bytes, over the adapter's maxBufferSize (${this.ctx.limits.maxBufferSize})`, 'out-of-memory');
          }
          buf = this.ctx.buffer({ size, usage, label: `${this.label}.t${this.temps.length}` });
          this.temps.push(buf);
        }
        this.bufs.set(o.storage, buf);
      }
      for (const st of releaseAt.get(s) ?? []) free.push(this.bufs.get(st) as GPUBuffer); // pooled: flat outputs live to the end
    }
    const buf = (t: Tensor): Bindable => {
      if (t.storage.kind !== 'temp') return g.persistentBuffer(t.storage);
      const b = this.bufs.get(t.storage);
      if (!b) throw new Error(`compile '${this.label}': ${t.describe()} has no buffer (internal scheduling error)`);
      return b;
    };
    let dispatches = 0;
    let uniformBytes = 0;
    const rowReduce = g.options.rowReduce ?? tuningFor(this.ctx).rowReduce;
    const elementwiseRun = g.options.elementwiseRun ?? tuningFor(this.ctx).elementwiseRun;
    for (const node of order) {
      const planned = await node.plan!({ ctx: this.ctx, buf, rowReduce, elementwiseRun });
      const bound = planned.map((d) => ({ b: d.kernel.bind(d.args), wg: d.workgroups }));
      for (const d of planned) {
        const p = d.kernel.reflection.bindings.find((x) => x.kind === 'uniform');
        if (p) uniformBytes += Math.max(16, Math.ceil(p.fixedSize / 16) * 16);
      }
      dispatches += bound.length;
      this.steps.push({ node, bound });
    }
    for (const [p, v] of updates) this.copies.push({ src: asRange(buf(v)), dst: g.persistentRange(p.storage), bytes: p.storage.bytes });
    for (const t of this.feedsNeeded.values()) g.persistentBuffer(t.storage);
    if (opts.timing && this.ctx.caps.timestampQuery) {
      const d = this.ctx.device;
      this.timer = {
        qs: d.createQuerySet({ type: 'timestamp', count: 2, label: `${this.label}.timestamps` }),
        resolve: d.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
        readback: d.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
      };
    }
    this.stats = {
      kernels: order.length,
      dispatchesPerRun: dispatches,
      submitsPerRun: 1,
      allocations: this.temps.length,
      storages: def.size,
      tempBytes: this.temps.reduce((a, b) => a + b.size, 0),
      tempBytesWithoutReuse: withoutReuse,
      persistentBytes: g.persistentBytes,
      uniformBytes,
    };
  }

  /** Bytes this executable holds (temporaries + uniforms) plus the graph's persistent buffers. */
  get bytesHeld(): number {
    return this.stats.tempBytes + this.stats.uniformBytes + this.graph.persistentBytes;
  }

  private usable(what: string): void {
    if (this.destroyed) throw new GpuError(`${what} '${this.label}': the executable was destroyed`, 'validation');
    this.graph.checkAlive();
    try {
      this.ctx.check();
    } catch (e) {
      throw new GpuError(`${what} '${this.label}': cannot use the graph: ${(e as Error).message}`, (e as GpuError).kind ?? 'device-lost');
    }
  }

  /** Writes fed inputs, encodes every dispatch and submits once. Inputs keep their last fed value. */
  async run(feeds: Readonly<Record<string, ArrayBufferView | readonly number[]>> = {}, opts: RunOptions = {}): Promise<void> {
    this.usable('run');
    for (const [name, data] of Object.entries(feeds)) {
      const t = this.graph.inputs.get(name);
      if (!t) throw new Error(`run '${this.label}': no input named '${name}' (inputs: ${[...this.graph.inputs.keys()].join(', ') || 'none'})`);
      const view: ArrayBufferView = ArrayBuffer.isView(data) ? data : t.dtype === 'f16' ? Uint16Array.from(data as number[], f32ToF16) : t.dtype === 'i32' ? Int32Array.from(data as number[]) : t.dtype === 'u32' ? Uint32Array.from(data as number[]) : Float32Array.from(data as number[]);
      const need = Math.ceil(t.numel * DTYPE_BYTES[t.dtype]);
      if (view.byteLength !== need) {
        throw new Error(`run '${this.label}': input ${t.describe()} needs ${need} bytes, got ${view.byteLength}`);
      }
      // writeBuffer wants whole words: an odd f16 tail is padded.
      const padded = need % 4 ? new Uint8Array(t.storage.bytes) : null;
      padded?.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      const r = this.graph.persistentRange(t.storage);
      this.ctx.write(r.buffer, padded ?? view, r.offset);
      this.fed.add(name);
    }
    for (const name of this.feedsNeeded.keys()) {
      if (!this.fed.has(name)) throw new Error(`run '${this.label}': input '${name}' ${fmtShape(this.feedsNeeded.get(name)!.shape)} was never fed`);
    }
    if (opts.submitEach) return this.runSubmitEach();
    const timer = this.timer;
    const t0 = performance.now();
    let tEnc = 0;
    const done = this.ctx.submit([this.label], (enc) => {
      const e0 = performance.now();
      const pass = enc.beginComputePass({ label: this.label, timestampWrites: timer ? { querySet: timer.qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } : undefined });
      for (const st of this.steps) for (const { b, wg } of st.bound) b.encode(pass, wg);
      opts.after?.(pass);
      pass.end();
      for (const c of this.copies) enc.copyBufferToBuffer(c.src.buffer, c.src.offset, c.dst.buffer, c.dst.offset, c.bytes);
      if (timer) {
        enc.resolveQuerySet(timer.qs, 0, 2, timer.resolve, 0);
        enc.copyBufferToBuffer(timer.resolve, 0, timer.readback, 0, 16);
      }
      tEnc = performance.now() - e0;
    });
    this.lastEncodeMs = tEnc;
    this.lastSubmitMs = performance.now() - t0 - tEnc;
    await done;
    this.runs++;
    if (timer) {
      await timer.readback.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(timer.readback.getMappedRange().slice(0));
      timer.readback.unmap();
      this.lastGpuMs = Number(t[1] - t[0]) / 1e6;
    }
  }

  /** The baseline the benchmark compares against: the same bound dispatches, one pass and one submit each. */
  private async runSubmitEach(): Promise<void> {
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    for (const st of this.steps) {
      for (const { b, wg } of st.bound) {
        pending.push(
          this.ctx.submit([b.kernel.name], (enc) => {
            const pass = enc.beginComputePass({ label: b.kernel.name });
            b.encode(pass, wg);
            pass.end();
          }),
        );
      }
    }
    if (this.copies.length) pending.push(this.ctx.submit([`${this.label}.updates`], (enc) => this.copies.forEach((c) => enc.copyBufferToBuffer(c.src.buffer, c.src.offset, c.dst.buffer, c.dst.offset, c.bytes))));
    this.lastEncodeMs = performance.now() - t0;
    await Promise.all(pending);
    this.runs++;
  }

  /**
   * Times every dispatch on its own (one pass and one submit each, in schedule order so the data is that of a
   * real step): GPU time from timestamps where the adapter has them, else wall time to queue completion.
   * For benchmarks; a profiled run also advances the state like a run (param updates included).
   */
  async profile(): Promise<{ op: string; kernel: string; ms: number; method: 'timestamp-query' | 'queue-completion' }[]> {
    this.usable('profile');
    const out: { op: string; kernel: string; ms: number; method: 'timestamp-query' | 'queue-completion' }[] = [];
    const timer = this.timer;
    for (const st of this.steps) {
      for (const { b, wg } of st.bound) {
        const t0 = performance.now();
        await this.ctx.submit([b.kernel.name], (enc) => {
          const pass = enc.beginComputePass({ label: b.kernel.name, timestampWrites: timer ? { querySet: timer.qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } : undefined });
          b.encode(pass, wg);
          pass.end();
          if (timer) {
            enc.resolveQuerySet(timer.qs, 0, 2, timer.resolve, 0);
            enc.copyBufferToBuffer(timer.resolve, 0, timer.readback, 0, 16);
          }
        });
        if (timer) {
          await timer.readback.mapAsync(GPUMapMode.READ);
          const t = new BigUint64Array(timer.readback.getMappedRange().slice(0));
          timer.readback.unmap();
          out.push({ op: st.node.op, kernel: b.kernel.name, ms: Number(t[1] - t[0]) / 1e6, method: 'timestamp-query' });
        } else {
          await this.ctx.idle();
          out.push({ op: st.node.op, kernel: b.kernel.name, ms: performance.now() - t0, method: 'queue-completion' });
        }
      }
    }
    if (this.copies.length) await this.ctx.submit([`${this.label}.updates`], (enc) => this.copies.forEach((c) => enc.copyBufferToBuffer(c.src.buffer, c.src.offset, c.dst.buffer, c.dst.offset, c.bytes)));
    return out;
  }

  /**
   * The GPU buffer behind a tensor named in `outputs` (or a param / input / constant), for work encoded with
   * `after`: a range of an arena for `flat` outputs and flattened params (Graph.flattenParams).
   */
  buffer(t: Tensor): Bindable {
    this.usable('buffer');
    t.check();
    if (t.graph !== this.graph) throw new Error(`buffer '${this.label}': ${t.describe()} belongs to graph '${t.graph.label}'`);
    if (t.storage.kind !== 'temp') return this.graph.persistentBuffer(t.storage);
    if (!this.readable.has(t.storage)) throw new Error(`buffer '${this.label}': ${t.describe()} was not listed in compile({ outputs }); its buffer is reused`);
    return this.bufs.get(t.storage)!;
  }

  /** Reads a tensor named in `outputs` (or a param / input / constant) after a run. */
  async read(t: Tensor): Promise<Float32Array | Int32Array | Uint32Array> {
    this.usable('read');
    t.check();
    if (t.graph !== this.graph) throw new Error(`read '${this.label}': ${t.describe()} belongs to graph '${t.graph.label}'`);
    if (t.storage.kind === 'temp' && !this.readable.has(t.storage)) {
      throw new Error(`read '${this.label}': ${t.describe()} was not listed in compile({ outputs }); its buffer is reused`);
    }
    if (t.dtype === 'q4' || t.dtype === 'q8') throw new Error(`read '${this.label}': ${t.describe()}: reading packed ${t.dtype} codes is not supported`);
    const b = asRange(t.storage.kind === 'temp' ? this.bufs.get(t.storage)! : this.graph.persistentBuffer(t.storage));
    const raw = await this.ctx.read(b.buffer, t.storage.bytes, b.offset);
    // f16 comes back widened to f32 (exactly).
    const all = t.dtype === 'i32' ? new Int32Array(raw) : t.dtype === 'u32' ? new Uint32Array(raw) : t.dtype === 'f16' ? Float32Array.from(new Uint16Array(raw), f16ToF32) : new Float32Array(raw);
    if (t.isContiguous()) return all.subarray(0, t.numel);
    const out = new (all.constructor as Float32ArrayConstructor)(t.numel) as Float32Array | Int32Array | Uint32Array;
    for (let i = 0; i < t.numel; i++) {
      let rem = i;
      let at = t.offset;
      for (let d = t.rank - 1; d >= 0; d--) {
        at += (rem % t.shape[d]) * t.strides[d];
        rem = Math.floor(rem / t.shape[d]);
      }
      out[i] = all[at];
    }
    return out;
  }

  /** Dispatches per node, in schedule order (for reports). */
  schedule(): { op: string; dispatches: number; kernels: string[] }[] {
    return this.steps.map((s) => ({ op: s.node.op, dispatches: s.bound.length, kernels: s.bound.map((b) => b.b.kernel.name) }));
  }

  destroy(): void {
    if (this.destroyed) return;
    for (const s of this.steps) for (const { b } of s.bound) b.dispose();
    for (const b of this.temps) b.destroy();
    this.timer?.qs.destroy();
    this.timer?.resolve.destroy();
    this.timer?.readback.destroy();
    this.steps = [];
    this.temps = [];
    this.bufs.clear();
    this.destroyed = true;
    this.graph.forget(this);
  }
}
