// Training steps of any model recorded on the autograd graph: a loss, its params, and the graph's inputs fed per
// step. The backward and AdamW (with optional global-norm clipping) run in one submit; 1-D params (norm weights,
// biases, learned quantizer scales) take no weight decay. It knows no particular model: the Llama pretraining and
// QAT runs (src/lm/pretrain.ts, src/lm/qat.ts) are two callers; an evaluation output can be read from the same
// graph without a backward (evaluate).
import type { GpuContext } from '../gpu/context.js';
import type { Executable } from '../graph/executor.js';
import type { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import * as ops from '../ops/index.js';
import { Optimizer } from './optimizer.js';

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
    private readonly exe: Executable,
    private readonly evalExe: Executable,
    private readonly evalOut: Tensor,
    private readonly opt: Optimizer,
  ) {}

  /** Compiles the training step (loss + gradients + AdamW) and an evaluation of `evalOut` (default: the loss). */
  static async create(ctx: GpuContext, t: TrainableGraph, o: { lr: number; weightDecay: number; clipNorm?: number; evalOut?: Tensor; /** Learning-rate multiplier per param (e.g. LSQ scales). */ lrScale?: (p: Tensor) => number }): Promise<GraphTrainer> {
    if (t.params.length === 0) throw new TrainingError('train: the model has no params to train');
    const grads = t.graph.backward(t.loss, t.params);
    const dense = t.params.map((p) => {
      const g = grads.get(p)!;
      return g.isContiguous() && g.offset === 0 ? g : ops.contiguous(g);
    });
    const evalOut = o.evalOut ?? t.loss;
    const exe = await t.graph.compile({ outputs: [t.loss, ...dense] });
    const evalExe = await t.graph.compile({ outputs: [evalOut] });
    const opt = await Optimizer.create(ctx, exe, t.params.map((p, i) => [p, dense[i], { ...(p.rank === 1 ? { weightDecay: 0 } : {}), ...(o.lrScale ? { lrScale: o.lrScale(p) } : {}) }] as [Tensor, Tensor, { weightDecay?: number; lrScale?: number }]), { kind: 'adamw', lr: o.lr, weightDecay: o.weightDecay }, o.clipNorm && o.clipNorm > 0 ? o.clipNorm : undefined);
    return new GraphTrainer(t, exe, evalExe, evalOut, opt);
  }

  /** One step at learning rate `lr`: the loss before the update and the wall time. A loss that is not finite stops training. */
  async step(inputs: GraphInputs, lr: number): Promise<{ loss: number; ms: number }> {
    const t0 = performance.now();
    this.opt.prepare(lr);
    await this.exe.run(inputs, { after: (pass) => this.opt.encode(pass) });
    this.opt.advance();
    const loss = (await this.exe.read(this.t.loss))[0];
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

  destroy(): void {
    this.opt.destroy();
  }
}

/** The median of step times from the third on (the first two include pipeline compiles). */
export function medianStepMs(times: readonly number[]): number {
  const s = times.slice(2).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : times.length ? times[times.length - 1] : NaN;
}
