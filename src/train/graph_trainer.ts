// Training steps of any model recorded on the autograd graph: a loss, its params, and the graph's inputs fed per
// step. The backward and AdamW (with optional global-norm clipping) run in one submit; 1-D params (norm weights,
// biases, learned quantizer scales) take no weight decay. It knows no particular model: the Llama pretraining and
// QAT runs (src/lm/pretrain.ts, src/lm/qat.ts) are two callers; an evaluation output can be read from the same
// graph without a backward (evaluate).
// Gradient accumulation (create's `accumulate` k): a step takes k micro-batches, runs forward and backward k times
// (one submit each) and folds each run's gradients and loss into their means in that run's pass (one elementwise
// dispatch per param); clipping and AdamW run once, in the last run's pass, on the mean gradient: the update of one
// batch k times larger, up to float rounding. The accumulators are overwritten by each step's first micro-batch, so
// nothing carries over between steps and checkpoints hold what they hold without accumulation.
import type { GpuContext } from '../gpu/context.js';
import { median } from '../gpu/timing.js';
import type { Executable } from '../graph/executor.js';
import type { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import * as ops from '../ops/index.js';
import { encodeSafetensors, makeTensor, parseSafetensors, SafetensorsError, type Tensor as StTensor } from '../io/safetensors.js';
import { Accumulator, Optimizer } from './optimizer.js';
import { tuningFor } from '../kernels/tuning.js';

const FORMAT = 'nibble-graph-checkpoint';

export class TrainingError extends Error {}

export interface TrainableGraph {
  graph: Graph;
  /** The scalar loss the step minimises. */
  loss: Tensor;
  params: Tensor[];
}

export type GraphInputs = Record<string, ArrayBufferView>;

export class GraphTrainer {
  private steps = 0;

  private constructor(
    readonly t: TrainableGraph,
    private readonly ctx: GpuContext,
    private readonly exe: Executable,
    private readonly evalExe: Executable,
    private readonly evalOut: Tensor,
    private readonly opt: Optimizer,
    /** Micro-batches per step. */
    readonly accumulate: number,
    /** With accumulate > 1: the mean of the step's micro-batch losses. */
    private readonly lossAcc: Accumulator | null,
  ) {}

  /** The compiled training step (forward and backward; benchmarks profile it) and the optimizer encoded after it. */
  get stepExecutable(): Executable {
    return this.exe;
  }
  get optimizer(): Optimizer {
    return this.opt;
  }

  /**
   * Compiles the training step (loss + gradients + AdamW) and an evaluation of `evalOut` (default: the loss).
   * `accumulate` (default 1): micro-batches per step, whose mean gradient the update uses.
   */
  static async create(
    ctx: GpuContext,
    t: TrainableGraph,
    o: {
      lr: number;
      weightDecay: number;
      clipNorm?: number;
      evalOut?: Tensor;
      /** Learning-rate multiplier per param (e.g. LSQ scales). */
      lrScale?: (p: Tensor) => number;
      /** Per-param AdamW settings over the defaults (vectors: no weight decay; lrScale above). */
      paramOptions?: (p: Tensor) => { weightDecay?: number; lrScale?: number };
      accumulate?: number;
      /**
       * Params in one buffer and gradients in another (Graph.flattenParams, compile's `flat`), so that clipping
       * and AdamW take one dispatch each for every param (default: the adapter's tuning, optimizer.flat; false: a
       * buffer each, the multi-tensor kernels).
       */
      flat?: boolean;
    },
  ): Promise<GraphTrainer> {
    const k = o.accumulate ?? 1;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) throw new TrainingError(`train: accumulate ${JSON.stringify(k)} must be an integer >= 1 (micro-batches per step)`);
    if (t.params.length === 0) throw new TrainingError('train: the model has no params to train');
    if (k > 1 && t.loss.numel !== 1) throw new TrainingError(`train: the loss ${t.loss.describe()} must be a scalar to accumulate`);
    const grads = t.graph.backward(t.loss, t.params);
    const dense = t.params.map((p) => {
      const g = grads.get(p)!;
      return g.isContiguous() && g.offset === 0 ? g : ops.contiguous(g);
    });
    // Accumulation reads the loss's buffer from its start.
    const loss = k > 1 && !(t.loss.isContiguous() && t.loss.offset === 0) ? ops.contiguous(t.loss) : t.loss;
    const evalOut = o.evalOut ?? t.loss;
    const useFlat = o.flat ?? tuningFor(ctx).optimizer.flat;
    if (useFlat) t.graph.flattenParams(t.params.filter((p) => p.dtype === 'f32'));
    const flat = !useFlat ? [] : dense.filter((g) => g.node && g.storage.kind === 'temp' && g.dtype === 'f32' && g.isContiguous());
    const exe = await t.graph.compile({ outputs: loss === t.loss ? [t.loss, ...dense] : [t.loss, loss, ...dense], flat });
    const evalExe = await t.graph.compile({ outputs: [evalOut] });
    const opt = await Optimizer.create(ctx, exe, t.params.map((p, i) => [p, dense[i], { ...(p.rank === 1 ? { weightDecay: 0 } : {}), ...(o.lrScale ? { lrScale: o.lrScale(p) } : {}), ...o.paramOptions?.(p) }] as [Tensor, Tensor, { weightDecay?: number; lrScale?: number }]), { kind: 'adamw', lr: o.lr, weightDecay: o.weightDecay }, o.clipNorm && o.clipNorm > 0 ? o.clipNorm : undefined, k);
    let lossAcc: Accumulator | null = null;
    try {
      if (k > 1) lossAcc = await Accumulator.create(ctx, [{ buffer: exe.buffer(loss), n: 1, label: 'loss' }], k);
    } catch (e) {
      opt.destroy();
      throw e;
    }
    return new GraphTrainer(t, ctx, exe, evalExe, evalOut, opt, k, lossAcc);
  }

  /**
   * One step at learning rate `lr`: the loss before the update (with accumulation, the mean of the micro-batches'
   * losses) and the wall time. `inputs`: one batch, or an array of `accumulate` micro-batches. A loss that is not
   * finite stops training.
   */
  async step(inputs: GraphInputs | readonly GraphInputs[], lr: number): Promise<{ loss: number; ms: number }> {
    const micro = Array.isArray(inputs) ? (inputs as readonly GraphInputs[]) : [inputs as GraphInputs];
    if (micro.length !== this.accumulate) {
      throw new TrainingError(`train: step ${this.steps + 1} was given ${Array.isArray(inputs) ? `${micro.length} micro-batch${micro.length === 1 ? '' : 'es'}` : 'one batch'}, accumulate is ${this.accumulate} (pass an array of ${this.accumulate} micro-batch inputs)`);
    }
    const t0 = performance.now();
    this.opt.prepare(lr);
    let loss: number;
    if (!this.lossAcc) {
      await this.exe.run(micro[0], { after: (pass) => this.opt.encode(pass) });
      this.opt.advance();
      loss = (await this.exe.read(this.t.loss))[0];
    } else {
      const acc = this.lossAcc;
      const k = this.accumulate;
      for (let j = 0; j < k; j++) {
        await this.exe.run(micro[j], {
          after: (pass) => {
            this.opt.encodeAccumulate(pass, j === 0);
            acc.encode(pass, j === 0);
            if (j === k - 1) this.opt.encode(pass);
          },
        });
      }
      this.opt.advance();
      loss = (await this.ctx.readF32(acc.buffers[0], 1))[0];
    }
    const ms = performance.now() - t0;
    this.steps++;
    if (!Number.isFinite(loss)) throw new TrainingError(`train: the loss is ${loss} at step ${this.steps} (lower the learning rate, or clip the gradient norm)`);
    return { loss, ms };
  }

  /** The evaluation output for `inputs` (no backward, no update). */
  async evaluate(inputs: GraphInputs): Promise<Float32Array> {
    await this.evalExe.run(inputs);
    return (await this.evalExe.read(this.evalOut)) as Float32Array;
  }

  /** The global norm of the last step's gradient (with accumulation, of the mean gradient) before clipping; null without clipNorm. */
  lastGradNorm(): Promise<number | null> {
    return this.opt.lastGradNorm();
  }

  /** Steps taken (restored by `restore`). */
  get stepsTaken(): number {
    return this.steps;
  }

  /**
   * A checkpoint: safetensors with every param (`param.<name>`), the optimizer state (`optim.<param>.<state>`) and,
   * in the metadata, the step and `meta` (the caller's: a recipe, a seed). Resuming from it is exact: the same
   * params, state and step give the same next steps.
   */
  async checkpoint(meta: Record<string, string> = {}): Promise<Uint8Array> {
    const t: Record<string, StTensor> = {};
    for (const p of this.t.params) t[`param.${p.name}`] = makeTensor('F32', [...p.shape], await this.t.graph.readParam(p), p.name);
    for (const [k, v] of Object.entries(await this.opt.state())) t[`optim.${k}`] = makeTensor('F32', [v.length], v, k);
    return encodeSafetensors(t, { ...meta, format: FORMAT, step: String(this.steps) });
  }

  /** The optimizer's state (AdamW moments by param), for a caller's own checkpoint format. */
  optimizerState(): Promise<Record<string, Float32Array>> {
    return this.opt.state();
  }

  /** Restores optimizer state and the step count saved with optimizerState (the params are the caller's to restore). */
  loadOptimizer(state: Record<string, Float32Array>, step: number): void {
    if (!Number.isInteger(step) || step < 0) throw new TrainingError(`train: step ${step} is not an integer >= 0`);
    this.opt.load(state, step);
    this.steps = step;
  }

  /** Restores a checkpoint of this model; every param and state is checked (name, size) before anything is written. */
  restore(bytes: Uint8Array, source = 'checkpoint'): Record<string, string> {
    let st;
    try {
      st = parseSafetensors(bytes, source);
    } catch (e) {
      if (e instanceof SafetensorsError) throw new TrainingError(e.message);
      throw e;
    }
    if (st.metadata.format !== FORMAT) throw new TrainingError(`${source}: not a nibble graph checkpoint (metadata format ${JSON.stringify(st.metadata.format)})`);
    const step = Number(st.metadata.step);
    if (!Number.isInteger(step) || step < 0) throw new TrainingError(`${source}: metadata step ${JSON.stringify(st.metadata.step)} is not an integer >= 0`);
    const values = new Map<Tensor, Float32Array>();
    for (const p of this.t.params) {
      const x = st.tensors[`param.${p.name}`];
      if (!x) throw new TrainingError(`${source}: tensor 'param.${p.name}' is missing (expected shape [${p.shape.join(', ')}])`);
      if (x.dtype !== 'F32' || x.shape.join(',') !== p.shape.join(',')) throw new TrainingError(`${source}: tensor 'param.${p.name}' is ${x.dtype} [${x.shape.join(', ')}], expected F32 [${p.shape.join(', ')}]`);
      values.set(p, x.data as Float32Array);
    }
    const state: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(st.tensors)) if (k.startsWith('optim.')) state[k.slice(6)] = v.data as Float32Array;
    try {
      this.opt.load(state, step);
    } catch (e) {
      throw new TrainingError(`${source}: ${(e as Error).message}`);
    }
    for (const [p, v] of values) this.t.graph.writeParam(p, v);
    this.steps = step;
    return st.metadata;
  }

  destroy(): void {
    this.opt.destroy();
    this.lossAcc?.destroy();
  }
}

/** The median of step times from the third on (the first two include pipeline compiles). */
export function medianStepMs(times: readonly number[]): number {
  return times.length > 2 ? median(times.slice(2)) : times.length ? times[times.length - 1] : NaN;
}
