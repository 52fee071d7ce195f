// The training backend of the Llama definition (src/nn/llama.ts): the same llamaForward, its operations recorded on
// the autograd graph for a batch of B sequences of T tokens. Params carry their GGUF names (token_embd.weight,
// blk.0.attn_q.weight [N, K], ...), so weights move between training, GGUF files and the inference engine by name.
//
// Layout: activations are [B*T, width] rows (the engine's [T, width] with the batch folded in). RoPE rotates each
// head of a [B, T, heads*hd] view in place of a permute (ops.rope with `heads`), NORM pairs for llama, NEOX halves
// for qwen2. Attention runs causalSelfAttention on [B, heads, T, hd]; with GQA each KV head is repeated for the
// heads/kvHeads query heads that read it (query head h reads KV head h / (heads/kvHeads), as llama.cpp).
import type { GpuContext } from '../gpu/context.js';
import { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import * as ops from '../ops/index.js';
import { llamaForward, type LlamaOps } from './llama.js';
import { llamaTensorNames, ModelConfigError, type LlamaConfig } from './llama_config.js';

/** A model's f32 weights by GGUF tensor name (shape as llamaTensorNames lists it). */
export type LlamaWeights = Record<string, Float32Array>;

/** Target value of positions that take no part in the loss (padding). */
export const IGNORE_INDEX = -100;

/** What the training graph cannot do; refused before any tensor is made. */
function checkTrainable(c: LlamaConfig): void {
  if (c.ropeFreqs) throw new ModelConfigError(`llama training: rope_freqs.weight (Llama-3 rope scaling) is not supported in training`);
  if (c.ropeDims !== c.headDim) throw new ModelConfigError(`llama training: rope.dimension_count ${c.ropeDims} must equal the head dim ${c.headDim}`);
}

export class GraphLlamaOps implements LlamaOps<Tensor> {
  readonly params = new Map<string, Tensor>();

  /** ids: i32 [B, T]. Weights become params (f32, named as in GGUF); every tensor the config lists must be given. */
  constructor(
    readonly graph: Graph,
    readonly config: LlamaConfig,
    readonly ids: Tensor,
    weights: LlamaWeights,
  ) {
    checkTrainable(config);
    if (ids.rank !== 2 || ids.dtype !== 'i32') throw new Error(`llama training: ids must be i32 [B, T], got ${ids.describe()}`);
    if (ids.shape[1] > config.ctx) throw new ModelConfigError(`llama training: T = ${ids.shape[1]} exceeds the model's context ${config.ctx}`);
    for (const { name, shape } of llamaTensorNames(config)) {
      const w = weights[name];
      const n = shape.reduce((a, b) => a * b, 1);
      if (!w) throw new ModelConfigError(`llama training: weight '${name}' is missing (expected shape [${shape.join(', ')}])`);
      if (w.length !== n) throw new ModelConfigError(`llama training: weight '${name}' has ${w.length} values, shape [${shape.join(', ')}] needs ${n}`);
      this.params.set(name, graph.param(name, shape, w));
    }
  }

  get B(): number {
    return this.ids.shape[0];
  }
  get T(): number {
    return this.ids.shape[1];
  }

  private p(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new Error(`llama training: no param '${name}'`);
    return t;
  }

  embed(): Tensor {
    return ops.reshape(ops.embedding(this.p('token_embd.weight'), this.ids), [this.B * this.T, this.config.dim]);
  }

  rmsNorm(x: Tensor, weight: string): Tensor {
    return ops.rmsNorm(x, this.p(weight), this.config.eps);
  }

  linear(x: Tensor, weight: string, o: { bias?: string; residual?: Tensor } = {}): Tensor {
    let y = ops.matmul(x, ops.transpose(this.p(weight)));
    if (o.bias) y = ops.add(y, this.p(o.bias));
    if (o.residual) y = ops.add(o.residual, y);
    return y;
  }

  rope(x: Tensor, heads: number): Tensor {
    const c = this.config;
    const y = ops.rope(ops.reshape(x, [this.B, this.T, heads * c.headDim]), { base: c.ropeBase, heads, layout: c.ropeLayout });
    return ops.reshape(y, [this.B * this.T, heads * c.headDim]);
  }

  /** [B*T, h*hd] -> [B, heads, T, hd], repeating each of h KV heads heads/h times. */
  private headsFirst(x: Tensor, h: number): Tensor {
    const { B, T } = this;
    const { heads, headDim: hd } = this.config;
    let y = ops.reshape(x, [B, T, h, hd]);
    if (h !== heads) y = ops.reshape(ops.expandCopy(ops.reshape(y, [B, T, h, 1, hd]), [B, T, h, heads / h, hd]), [B, T, heads, hd]);
    return ops.contiguous(ops.permute(y, [0, 2, 1, 3]));
  }

  attention(_layer: number, q: Tensor, k: Tensor, v: Tensor): Tensor {
    const { B, T } = this;
    const { heads, kvHeads, headDim: hd } = this.config;
    const a = ops.causalSelfAttention(this.headsFirst(q, heads), this.headsFirst(k, kvHeads), this.headsFirst(v, kvHeads));
    return ops.reshape(ops.permute(a, [0, 2, 1, 3]), [B * T, heads * hd]);
  }

  swiglu(gate: Tensor, up: Tensor): Tensor {
    return ops.mul(ops.silu(gate), up);
  }

  outputRows(x: Tensor): Tensor {
    return x;
  }
}

export interface LlamaTrainGraph {
  graph: Graph;
  ops: GraphLlamaOps;
  /** Inputs 'ids' and 'targets', i32 [B, T]; a target of IGNORE_INDEX takes no part. */
  ids: Tensor;
  targets: Tensor;
  logits: Tensor;
  /** Mean cross-entropy (nats per token) over the targets that are not ignored. */
  loss: Tensor;
  /** The trainable params in llamaTensorNames order. */
  params: Tensor[];
}

/** The forward, logits [B*T, vocab] and next-token loss of a batch, on a new graph. */
export function buildLlamaTrainGraph(ctx: GpuContext, config: LlamaConfig, weights: LlamaWeights, o: { B: number; T: number; label?: string }): LlamaTrainGraph {
  const graph = new Graph(ctx, o.label ?? 'llama-train');
  try {
    const ids = graph.input('ids', [o.B, o.T], 'i32');
    const targets = graph.input('targets', [o.B, o.T], 'i32');
    const lo = new GraphLlamaOps(graph, config, ids, weights);
    const logits = llamaForward(config, lo);
    const loss = ops.crossEntropy(logits, ops.reshape(targets, [o.B * o.T]), { ignoreIndex: IGNORE_INDEX });
    return { graph, ops: lo, ids, targets, logits, loss, params: llamaTensorNames(config).map((t) => lo.params.get(t.name)!) };
  } catch (e) {
    graph.destroy();
    throw e;
  }
}

/** Reads every param back as LlamaWeights. */
export async function readLlamaWeights(t: LlamaTrainGraph): Promise<LlamaWeights> {
  const out: LlamaWeights = {};
  for (const p of t.params) out[p.name] = await t.graph.readParam(p);
  return out;
}
