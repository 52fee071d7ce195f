// The graph: eager-looking op calls record nodes; compile() turns them into a schedule that runs with one submit.
//
//   const g = new Graph(ctx, 'mlp');
//   const x = g.input('x', [128, 64]), y = g.input('y', [128], 'i32'), lr = g.input('lr', []);
//   const w1 = g.param('w1', [64, 256], init1), b1 = g.param('b1', [256], zeros);  // f32 data
//   const logits = linear(relu(linear(x, w1, b1)), w2, b2);            // ops from src/ops (lazy, shape-checked)
//   const loss = crossEntropy(logits, y, { ignoreIndex: -100 });
//   const grads = g.backward(loss);                                     // Map<param, grad tensor>, built once, cached
//   const step = await g.compile({ outputs: [loss], updates: [[w1, sub(w1, mul(grads.get(w1)!, lr))]] });
//   for (...) await step.run({ x: xb, y: yb, lr: [0.1] });              // one command encoder, one submit
//   const l = (await step.read(loss))[0];                               // reads only when asked
//   g.destroy();                                                        // frees every buffer; handles then throw
//
// Shapes and dtypes are checked when an op is called (the error names the op, its inputs and their shapes); the
// executor (executor.ts) orders nodes, assigns pooled buffers by liveness and binds every kernel once.
// One graph may compile several executables (a train step, an eval forward) that share its params and inputs.
// New ops (fake-quant, optimizers) record nodes with g.addNode(op, inputs, outputs, attrs, plan, noGrad) and,
// if differentiable, add a rule to GRADS in src/ops/grads.ts.
import { GpuError, type GpuContext } from '../gpu/context.js';
import { createArena } from '../gpu/arena.js';
import type { Bindable, BufferRange } from '../gpu/kernel.js';
import { backwardGraph } from './autograd.js';
import { Executable, type CompileOptions } from './executor.js';
import { contiguousStrides, DTYPE_BYTES, fmtShape, numelOf, Storage, Tensor, type DType, type Node, type PlanFn, type QuantScheme, type QuantWeight, type StorageKind } from './tensor.js';

export interface GraphOptions {
  rowReduce?: 'invocation' | 'workgroup';
  /** Elements per invocation of the strided elementwise kernel (default: the adapter's tuning, elementwiseRun). */
  elementwiseRun?: number;
  /** Compile-time fusion of an f32 matmul and the add of its product (src/graph/fuse.ts); default true. false also
   *  turns grouping off. */
  fuse?: boolean;
  /** Products that share an operand as one dispatch (src/graph/group.ts; with fuse on); default: the adapter's
   *  tuning (matmulF32.group: GPUs true, SwiftShader 'sum'). 'sum': only the summed input gradients. */
  group?: boolean | 'sum';
}

export interface OutputSpec {
  shape: readonly number[];
  dtype?: DType;
  name?: string;
}

function checkShapeArg(what: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(`${what}: shape ${JSON.stringify(shape)} must be a list of positive integers`);
  }
  if (shape.length > 8) throw new Error(`${what}: rank ${shape.length} exceeds the executor's maximum of 8`);
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs = new Map<string, Tensor>();
  readonly params: Tensor[] = [];
  private nextId = 0;
  private destroyed = false;
  private persistent = new Map<Storage, Required<BufferRange>>();
  /** The buffers behind `persistent` (an arena's once). */
  private owned = new Set<GPUBuffer>();
  private executables = new Set<Executable>();
  private gradCache = new Map<string, Map<Tensor, Tensor>>();
  private names = new Set<string>();

  constructor(
    readonly ctx: GpuContext,
    readonly label = 'graph',
    /** Overrides of the adapter's tuning for this graph's kernels (tests run both shapes on one adapter). */
    readonly options: GraphOptions = {},
  ) {}

  checkAlive(t?: Tensor): void {
    if (this.destroyed) {
      throw new GpuError(`graph '${this.label}' was destroyed${t ? `: tensor ${t.describe()} can no longer be used` : ''}`, 'validation');
    }
  }

  private storage(kind: StorageKind, bytes: number, label: string, init: ArrayBufferView | null = null): Storage {
    return new Storage(this.nextId++, kind, Math.max(4, Math.ceil(bytes / 4) * 4), label, init);
  }

  private leaf(kind: StorageKind, name: string, shape: readonly number[], dtype: DType, init: ArrayBufferView | null, quant: QuantWeight | null = null, bytesOverride?: number): Tensor {
    this.checkAlive();
    checkShapeArg(`${kind} '${name}'`, shape);
    if (kind !== 'const') {
      if (this.names.has(name)) throw new Error(`graph '${this.label}': the name '${name}' is already used by an input or param`);
      this.names.add(name);
    }
    const bytes = bytesOverride ?? Math.ceil(numelOf(shape) * DTYPE_BYTES[dtype]);
    if (init && init.byteLength !== bytes) {
      throw new Error(`${kind} '${name}' ${fmtShape(shape)} ${dtype}: data holds ${init.byteLength} bytes, the shape needs ${bytes}`);
    }
    const s = this.storage(kind, bytes, name, init);
    return new Tensor(this, s, shape, contiguousStrides(shape), 0, dtype, null, name, quant);
  }

  /** A tensor fed at each run: `run({ [name]: data })`. */
  input(name: string, shape: readonly number[], dtype: DType = 'f32', opts: { requiresGrad?: boolean } = {}): Tensor {
    const t = this.leaf('input', name, shape, dtype, null);
    t.requiresGrad = !!opts.requiresGrad;
    this.inputs.set(name, t);
    return t;
  }

  /** A trainable tensor that lives on the GPU across runs (updated by compile's `updates`). */
  param(name: string, shape: readonly number[], data: ArrayBufferView, dtype: DType = 'f32'): Tensor {
    const t = this.leaf('param', name, shape, dtype, data);
    t.requiresGrad = dtype === 'f32';
    this.params.push(t);
    return t;
  }

  /**
   * A quantized weight [N, K] (y = x W^T) in the layout of src/quant/layout.ts: packed codes (rows padded to
   * whole u32 words), scales [N, ceil(K/G)] f32 and, unless symmetric, zeros of the same shape. Inference only:
   * QAT trains f32 master weights through fake-quant and converts afterwards.
   */
  quantParam(name: string, N: number, K: number, scheme: QuantScheme, data: { codes: Uint32Array; scales: Float32Array; zeros?: Float32Array | Uint32Array }): Tensor {
    const groups = Math.ceil(K / scheme.groupSize);
    const scales = this.constant(data.scales, [N, groups], 'f32', `${name}.scales`);
    const zeros = data.zeros ? this.constant(data.zeros, [N, groups], data.zeros instanceof Uint32Array ? 'u32' : 'f32', `${name}.zeros`) : null;
    if (scheme.mode !== 'symmetric' && !zeros) throw new Error(`quantParam '${name}': ${scheme.mode} needs zeros`);
    const perWord = Math.floor(32 / scheme.bits);
    const bytes = 4 * N * Math.ceil(K / perWord);
    return this.leaf('param', name, [N, K], scheme.bits === 4 ? 'q4' : 'q8', data.codes, { scheme, scales, zeros }, bytes);
  }

  /** Uploaded once, never written. */
  constant(data: ArrayBufferView, shape: readonly number[], dtype: DType = 'f32', name = 'const'): Tensor {
    return this.leaf('const', name, shape, dtype, data);
  }

  /** Records a node with fresh output tensors (used by src/ops). */
  addNode(op: string, inputs: Tensor[], outputs: OutputSpec[], attrs: Record<string, unknown>, plan: PlanFn, noGrad?: number[]): Node {
    this.checkAlive();
    const node: Node = { id: this.nextId++, op, inputs, outputs: [], attrs, plan, noGrad };
    for (const [i, o] of outputs.entries()) {
      const dtype = o.dtype ?? 'f32';
      const name = o.name ?? `${op}#${node.id}${outputs.length > 1 ? `.${i}` : ''}`;
      const s = this.storage('temp', numelOf(o.shape) * DTYPE_BYTES[dtype], name);
      node.outputs.push(new Tensor(this, s, o.shape, contiguousStrides(o.shape), 0, dtype, node, name));
    }
    this.nodes.push(node);
    return node;
  }

  /** Records a view: same storage, new shape/strides/offset, no dispatch. */
  addView(op: string, x: Tensor, shape: readonly number[], strides: readonly number[], offset: number, attrs: Record<string, unknown>): Tensor {
    this.checkAlive(x);
    const node: Node = { id: this.nextId++, op, inputs: [x], outputs: [], attrs, plan: null };
    const t = new Tensor(this, x.storage, shape, strides, offset, x.dtype, node, `${op}#${node.id}`, x.quant);
    node.outputs.push(t);
    this.nodes.push(node);
    return t;
  }

  /**
   * Gradients of the scalar `loss` with respect to `wrt` (default: every param), as graph tensors. The backward
   * graph is built once per (loss, wrt) and cached; gradients of tensors used twice accumulate.
   */
  backward(loss: Tensor, wrt?: Tensor[]): Map<Tensor, Tensor> {
    loss.check();
    const targets = wrt ?? this.params.filter((p) => p.requiresGrad);
    const key = `${loss.storage.id}:${loss.node?.id}|${targets.map((t) => `${t.storage.id}:${t.node?.id ?? -1}`).join(',')}`;
    let g = this.gradCache.get(key);
    if (!g) {
      g = backwardGraph(this, loss, targets);
      this.gradCache.set(key, g);
    }
    return g;
  }

  /** Orders, allocates and binds the nodes the outputs and updates need (see executor.ts). */
  async compile(opts: CompileOptions): Promise<Executable> {
    this.checkAlive();
    const exe = await Executable.build(this, opts);
    this.executables.add(exe);
    return exe;
  }

  /** The persistent buffer of a param, input or constant (created on first use), or its range of a params arena. */
  persistentBuffer(s: Storage): Bindable {
    const r = this.persistentRange(s);
    return r.offset === 0 && r.size === r.buffer.size ? r.buffer : r;
  }

  /** persistentBuffer as an explicit range (for writes and reads at its offset). */
  persistentRange(s: Storage): Required<BufferRange> {
    this.checkAlive();
    let r = this.persistent.get(s);
    if (!r) {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const b = s.init ? this.ctx.createBuffer(s.init, usage, s.label) : this.ctx.createBuffer(s.bytes, usage, s.label);
      this.owned.add(b);
      r = { buffer: b, offset: 0, size: b.size };
      this.persistent.set(s, r);
    }
    return r;
  }

  /**
   * Places these params (f32, not yet given a buffer) one after another in one buffer, an arena (src/gpu/arena.ts),
   * so that an optimizer updates them all in one dispatch (src/train/optimizer.ts); kernels bind each as a range.
   * Call before anything reads or compiles them; params that already have a buffer keep it. `cap`: bytes an arena
   * buffer holds at most (default: the largest storage binding; tests lower it). Returns how many it placed.
   */
  flattenParams(params: readonly Tensor[], cap?: number): number {
    this.checkAlive();
    const todo: Storage[] = [];
    for (const p of params) {
      p.check();
      if (p.graph !== this) throw new Error(`flattenParams: ${p.describe()} belongs to graph '${p.graph.label}'`);
      if (p.storage.kind !== 'param' || p.dtype !== 'f32') throw new Error(`flattenParams: ${p.describe()} is not an f32 param`);
      if (!this.persistent.has(p.storage) && !todo.includes(p.storage)) todo.push(p.storage);
    }
    if (todo.length < 2) return 0;
    const a = createArena(this.ctx, todo.map((s) => ({ bytes: s.bytes, label: s.label, init: s.init })), `${this.label}.params`, cap);
    a.buffers.forEach((b) => this.owned.add(b));
    todo.forEach((s, i) => this.persistent.set(s, a.ranges[i]));
    return todo.length;
  }

  /** Bytes held by params, inputs and constants (executables report their own temporaries). */
  get persistentBytes(): number {
    let n = 0;
    for (const b of this.owned) n += b.size;
    return n;
  }

  /** Overwrites a param's values (e.g. loading a checkpoint). */
  writeParam(p: Tensor, data: ArrayBufferView): void {
    p.check();
    if (p.storage.kind !== 'param') throw new Error(`writeParam: ${p.describe()} is not a param`);
    if (data.byteLength !== p.storage.bytes) throw new Error(`writeParam: ${p.describe()} needs ${p.storage.bytes} bytes, got ${data.byteLength}`);
    const r = this.persistentRange(p.storage);
    this.ctx.write(r.buffer, data, r.offset);
  }

  /** Reads a param's current values. */
  async readParam(p: Tensor): Promise<Float32Array> {
    p.check();
    if (p.storage.kind !== 'param') throw new Error(`readParam: ${p.describe()} is not a param`);
    const r = this.persistentRange(p.storage);
    return new Float32Array(await this.ctx.read(r.buffer, p.storage.bytes, r.offset));
  }

  forget(exe: Executable): void {
    this.executables.delete(exe);
  }

  /** Frees every buffer of the graph and its executables; any later use of its tensors throws. */
  destroy(): void {
    if (this.destroyed) return;
    for (const e of [...this.executables]) e.destroy();
    for (const b of this.owned) b.destroy();
    this.owned.clear();
    this.persistent.clear();
    this.gradCache.clear();
    this.destroyed = true;
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }
}
