// The training backend of the Llama definition (src/nn/llama.ts): the same llamaForward, its operations recorded on
// the autograd graph for a batch of B sequences of T tokens. Params carry their GGUF names (token_embd.weight,
// blk.0.attn_q.weight [N, K], ...), so weights move between training, GGUF files and the inference engine by name.
//
// Layout: activations are [B*T, width] rows (the engine's [T, width] with the batch folded in). RoPE rotates each
// head of a [B, T, heads*hd] view in place of a permute (ops.rope with `heads`), NORM pairs for llama, NEOX halves
// for qwen2, qwen3 and gemma3 (whose q and k are RMS-normalized per head first; gemma3's layers rotate with their own
// base, and it trains at T within its sliding window, where the window masks nothing). Attention runs causalSelfAttention on [B, heads, T, hd]; with GQA each KV head is repeated for the
// heads/kvHeads query heads that read it (query head h reads KV head h / (heads/kvHeads), as llama.cpp).
import type { GpuContext } from '../gpu/context.js';
import { Graph } from '../graph/graph.js';
import type { Tensor } from '../graph/tensor.js';
import * as ops from '../ops/index.js';
import { llamaForward, type LlamaOps } from './llama.js';
import { attentionScale, attentionTemperature, isConvLayer, isRopeFactors, isShortConvKernel, normBiasName, POSITION_EMBD, outputNormName, layerRope, layerRopeScaling, layerWindow, llamaTensorNames, ModelConfigError, ropeFactors, ropeFactorsTensor, type LlamaConfig } from './llama_config.js';
import { layerQuant, lsqScaleName, type LinearQuant } from './linear_quant.js';
import { Attention, Embedding, GraphScope, LayerNorm, Linear, RMSNorm, SwiGLU } from './layers.js';
import { expertWeight, isExpertBias, isMoeLayer, isSelectionBias, isSharedExpertGate, splitExperts, stackExperts } from './llama_moe.js';

export { splitExperts, stackExperts };

/** A model's f32 weights by GGUF tensor name (shape as llamaTensorNames lists it). */
export type LlamaWeights = Record<string, Float32Array>;

/**
 * gpt-oss's clamped SwiGLU of graph ops: min(g, 7) = g - relu(g - 7), clamp(u, -7, 7) = u + relu(-u - 7) - relu(u - 7),
 * then x sigmoid(1.702 x) (u' + 1) (the engine's swiglu.wgsl OAI; its gradient is the ops', 0 past the limits).
 */
function swigluOai(g: Tensor, u: Tensor): Tensor {
  const x = ops.sub(g, ops.relu(ops.affine(g, 1, -7)));
  const uc = ops.sub(ops.add(u, ops.relu(ops.affine(u, -1, -7))), ops.relu(ops.affine(u, 1, -7)));
  return ops.mul(ops.mul(x, ops.sigmoid(ops.scale(x, 1.702))), ops.affine(uc, 1, 1));
}

/** Target value of positions that take no part in the loss (padding). */
export const IGNORE_INDEX = -100;

/** What the training graph cannot do; refused before any tensor is made. */
const refuseMla = (): never => {
  throw new ModelConfigError(`llama training: multi-head latent attention is not trained here`);
};

function checkTrainable(c: LlamaConfig, T: number): void {
  // the recurrent mixers have no backward rules here
  if (c.ssm) throw new ModelConfigError(`llama training: a ${c.arch} model (Mamba-2 layers) is not trainable here: nibble runs it for inference only`);
  if (c.deltaNet) throw new ModelConfigError(`llama training: a ${c.arch} model (Gated DeltaNet layers) is not trainable here: nibble runs it for inference only`);
  if (c.normNoWeight || c.clampKqv) throw new ModelConfigError(`llama training: ${/^[aeiou]/.test(c.arch) ? 'an' : 'a'} ${c.arch} model (norms without weights, clamped q / k / v) is not trainable here: nibble runs it for inference only`);
  if (c.qkHeadLayerNorm) throw new ModelConfigError(`llama training: a ${c.arch} model with per-head q / k LayerNorms (Command R+'s) is not trainable here: nibble runs it for inference only`);
  if (c.rmsNormBias) throw new ModelConfigError(`llama training: a ${c.arch} model (RMSNorms with biases) is not trainable here: nibble runs it for inference only`);
  if (c.moe?.weightBeforeFfn || c.qkL2Norm) throw new ModelConfigError(`llama training: a ${c.arch} model (experts weighted before their FFN, weightless q / k norms) is not trainable here: nibble runs it for inference only`);
  if (c.mla) throw new ModelConfigError(`llama training: a ${c.arch} model (multi-head latent attention) is not trainable here: nibble runs it for inference only`);
  // Training's attention is causal over the whole sequence: a sliding window changes nothing while T fits in it.
  if (c.swa && T > c.swa.window) throw new ModelConfigError(`llama training: T = ${T} exceeds the model's sliding window of ${c.swa.window} positions (training attends causally over the whole sequence: use T <= ${c.swa.window})`);
}

/**
 * The trainable weights of a config: llamaTensorNames without the rope factors, a stack of experts [E, N, K] as its E
 * experts' weights [N, K] (expertWeight names: each its own param and Linear; readLlamaWeights stacks them back).
 */
export function llamaParamNames(c: LlamaConfig): { name: string; shape: number[] }[] {
  return llamaTensorNames(c)
    .filter((t) => !isRopeFactors(t.name) && !isSelectionBias(t.name))
    .flatMap((t) => (t.shape.length === 3 || isExpertBias(t.name) ? Array.from({ length: t.shape[0] }, (_, e) => ({ name: expertWeight(t.name, e), shape: t.shape.slice(1) })) : [t]));
}

/**
 * The Linear layers of a config: each weight's GGUF name (an expert's: expertWeight's) and shape [N, K] (the output
 * head too, unless tied). A MoE router (ffn_gate_inp) is a Linear of the definition but not listed: it stays f32, as
 * llama.cpp's quantizer leaves it.
 */
export function llamaLinears(c: LlamaConfig): { name: string; N: number; K: number }[] {
  return llamaParamNames(c)
    .filter((t) => t.shape.length === 2 && t.name !== 'token_embd.weight' && t.name !== POSITION_EMBD && !isShortConvKernel(t.name) && !t.name.endsWith('.ffn_gate_inp.weight'))
    .map((t) => ({ name: t.name, N: t.shape[0], K: t.shape[1] }));
}

export interface GraphLlamaOptions {
  /** QAT: the fake-quant form of each Linear by weight name (src/train/qat_plan.ts prepareLinears). */
  quant?: ReadonlyMap<string, LinearQuant>;
  /** LSQ's learned scales by weight name (for the layers whose quant has learn); they become params `<name>.scale`. */
  lsqScales?: Record<string, Float32Array>;
  /** A frozen copy (a distillation teacher): weights become constants named `<prefix><name>`, no params. */
  frozen?: { prefix: string };
}

/** A MoE layer's Linears: its router [experts, dim], each expert's gate / up [ffn, dim] and down [dim, ffn], the shared expert's. */
function moeLinears(c: LlamaConfig, l: number): Linear[] {
  const m = c.moe!;
  const p = `blk.${l}.`;
  const glu = (name: (t: string) => string, F: number, bias?: (t: string) => string) => {
    const lin = (t: string, N: number, K: number) => new Linear(name(t), N, K, bias ? { bias: bias(t) } : {});
    return [lin('ffn_gate', F, c.dim), lin('ffn_up', F, c.dim), lin('ffn_down', c.dim, F)];
  };
  // gpt-oss: the router's and every expert's projections have biases (a row of the stack's bias an expert)
  const experts = Array.from({ length: m.experts }, (_, e) => glu((t) => expertWeight(`${p}${t}_exps.weight`, e), m.ffn, m.biases ? (t) => expertWeight(`${p}${t}_exps.bias`, e) : undefined)).flat();
  return [new Linear(`${p}ffn_gate_inp.weight`, m.experts, c.dim, m.biases ? { bias: `${p}ffn_gate_inp.bias` } : {}), ...experts, ...(m.sharedFfn ? glu((t) => `${p}${t}_shexp.weight`, m.sharedFfn) : [])];
}

/** The layers of a config by weight name (the Linear, norm and embedding tables llamaForward's operations name). */
export interface LlamaLayers {
  embed: Embedding;
  /** By weight name: RMSNorm, or LayerNorm (stablelm; its bias `<name>.bias`). */
  norms: Map<string, RMSNorm | LayerNorm>;
  linears: Map<string, Linear>;
  /** Attention per layer (rope and attend; its Linears are in `linears`); undefined on lfm2's short-convolution layers. */
  attention: (Attention | undefined)[];
}

/**
 * The layers of c. `tensorFactors`: the values of the rope factors the model runs with (ropeFactorsTensor: Llama 3's
 * rope_freqs, phi3's LongRoPE set), which its global layers' RoPE divides theta by (with YaRN's: ropeFactors), as the
 * engine's table does.
 */
export function llamaLayers(c: LlamaConfig, tensorFactors?: Float32Array): LlamaLayers {
  const rf = ropeFactors(c, tensorFactors); // the file's factors, YaRN's, the attention factor
  const shape = (l: number) => {
    const r = layerRope(c, l);
    const lr = layerRopeScaling(c, l, rf); // a sliding-window layer: swaRopeScaling's (OLMo 3's: no factors, unscaled)
    const rope = { posScale: r.scale, mscale: lr.mscale, ropeDims: c.ropeDims, ...(lr.factors ? { freqFactors: lr.factors } : {}) };
    return { heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, ropeBase: r.base, ropeLayout: c.ropeLayout, rope, scale: attentionScale(c), ...(c.softcap ? { softcap: c.softcap.attn } : {}), ...(c.attnTemperature ? { qScale: (p: number) => attentionTemperature(c, p) } : {}), ...(c.alibi ? { alibi: c.alibi } : {}) };
  };
  const attention = Array.from({ length: c.layers }, (_, l) => (isConvLayer(c, l) || c.ssm?.layers[l] ? undefined : Attention.gguf(`blk.${l}`, c.dim, shape(l), c.qkvBias, c.qkNorm ? c.eps : undefined, !!c.qkNormFull, !!c.linearBiases || !!c.attnOutBias)));
  // lfm2's short-convolution layers: in_proj [3 dim, dim] and out_proj [dim, dim] (their kernel is a plain weight).
  const conv = Array.from({ length: c.layers }, (_, l) => (isConvLayer(c, l) ? [new Linear(`blk.${l}.shortconv.in_proj.weight`, 3 * c.dim, c.dim), new Linear(`blk.${l}.shortconv.out_proj.weight`, c.dim, c.dim)] : [])).flat();
  const ffn = Array.from({ length: c.layers }, (_, l) => (isMoeLayer(c, l) ? moeLinears(c, l) : SwiGLU.gguf(`blk.${l}`, c.dim, c.ffn, !!c.linearBiases, !!c.linearBiases && !c.ffnGateless)));
  const head = new Linear(c.tied ? 'token_embd.weight' : 'output.weight', c.vocab, c.dim, c.outputBias ? { bias: 'output.bias' } : {}); // phi2's head has a bias
  const ffnLinears = (f: SwiGLU | Linear[]) => (Array.isArray(f) ? f : c.ffnGateless ? [f.up, f.down] : f.layers()); // arcee and starcoder2 have no gate
  const linears = new Map([...attention.flatMap((a) => a?.layers() ?? []), ...conv, ...ffn.flatMap(ffnLinears), head].map((l) => [l.weight, l]));
  const layerNorms = (l: number) => [...(c.noPreNorms ? [] : c.parallelBlock ? ['attn_norm'] : ['attn_norm', 'ffn_norm']), ...(c.postNorms ? ['post_attention_norm', 'post_ffw_norm'] : [])].map((n) => `blk.${l}.${n}.weight`);
  const norm = (n: string): RMSNorm | LayerNorm => (c.layerNorm ? new LayerNorm(n, normBiasName(c, n), c.dim, c.eps) : new RMSNorm(n, c.dim, c.eps));
  const norms = new Map<string, RMSNorm | LayerNorm>([outputNormName(c), ...Array.from({ length: c.layers }, (_, l) => layerNorms(l)).flat()].map((n) => [n, norm(n)]));
  for (const n of attention.flatMap((a) => a?.norms() ?? [])) norms.set(n.weight, n);
  if (c.embedNorm) norms.set('token_embd_norm.weight', new LayerNorm('token_embd_norm.weight', 'token_embd_norm.bias', c.dim, c.eps)); // (bloom's)
  return { embed: new Embedding('token_embd.weight', c.vocab, c.dim), norms, linears, attention };
}

export class GraphLlamaOps implements LlamaOps<Tensor> {
  /** The layers the operations run (src/nn/layers.ts), and the scope that binds their weights to this graph. */
  readonly layers: LlamaLayers;
  readonly scope: GraphScope;

  /** ids: i32 [B, T]. Weights become params (f32, named as in GGUF); every tensor the config lists must be given. */
  constructor(
    readonly graph: Graph,
    readonly config: LlamaConfig,
    readonly ids: Tensor,
    weights: LlamaWeights,
    readonly o: GraphLlamaOptions = {},
  ) {
    if (ids.rank !== 2 || ids.dtype !== 'i32') throw new Error(`llama training: ids must be i32 [B, T], got ${ids.describe()}`);
    checkTrainable(config, ids.shape[1]);
    if (ids.shape[1] > config.ctx) throw new ModelConfigError(`llama training: T = ${ids.shape[1]} exceeds the model's context ${config.ctx}`);
    weights = splitExperts(config, weights); // a MoE layer's experts: each its own param
    for (const { name, shape } of [...llamaParamNames(config), ...llamaTensorNames(config).filter((t) => isRopeFactors(t.name) || isSelectionBias(t.name))]) {
      const w = weights[name];
      const n = shape.reduce((a, b) => a * b, 1);
      if (!w) throw new ModelConfigError(`llama training: weight '${name}' is missing (expected shape [${shape.join(', ')}])`);
      if (w.length !== n) throw new ModelConfigError(`llama training: weight '${name}' has ${w.length} values, shape [${shape.join(', ')}] needs ${n}`);
    }
    // Rope factors are the model's constants, not params: RoPE's table takes them (the set the context picks, as
    // llama.cpp picks it for a context of T), and readLlamaWeights hands them back unchanged.
    const factors = ropeFactorsTensor(config, ids.shape[1]);
    // (lfm2moe's selection biases too: constants of the model, balanced outside training in LFM2)
    for (const { name } of llamaTensorNames(config)) if (isRopeFactors(name) || isSelectionBias(name)) this.constants[name] = weights[name];
    this.layers = llamaLayers(config, factors ? weights[factors] : undefined);
    const quant = new Map([...(o.quant ?? [])].map(([name, q]) => [name, layerQuant(q)]));
    const qparams: Record<string, Float32Array> = {};
    for (const [name, q] of o.quant ?? []) {
      const l = this.layers.linears.get(name);
      if (!l || name === 'token_embd.weight') throw new ModelConfigError(`llama training: quantized layer '${name}' is not a Linear weight of this model`);
      if (!q.learn) continue;
      const s = o.lsqScales?.[name];
      const C = (l.N * l.K) / q.group;
      if (!s || s.length !== C) throw new ModelConfigError(`llama training: LSQ scale of '${name}' ${s ? `has ${s.length} values, expected ${C}` : 'is missing'}`);
      qparams[lsqScaleName(name)] = s;
    }
    this.scope = new GraphScope(graph, weights, { label: 'llama training', quant, qparams, ...(o.frozen ? { frozen: o.frozen } : {}) });
    // Params in llamaTensorNames order, then the LSQ scales in plan order (the optimizer's order).
    for (const { name, shape } of llamaParamNames(config)) this.scope.weight(name, shape);
    for (const [name, q] of o.quant ?? []) if (q.learn) this.scope.learned(lsqScaleName(name), qparams[lsqScaleName(name)].length);
  }

  /** The model's rope factor tensors (not trained), by GGUF name. */
  readonly constants: LlamaWeights = {};

  /** The trainable weights by GGUF name (empty when frozen). */
  get params(): Map<string, Tensor> {
    return this.scope.params;
  }

  /** The learned quantizer params (LSQ scales, params `<weight>.scale`) by weight name. */
  get qparams(): Map<string, Tensor> {
    return new Map([...this.scope.qparams].map(([n, t]) => [n.slice(0, -'.scale'.length), t]));
  }

  /** The run-time code ranges of adaptive (AdaQAT) weight quantizers (constants `<weight>.qrange`) by weight name. */
  get ranges(): Map<string, Tensor> {
    return new Map([...this.scope.ranges].map(([n, t]) => [n.slice(0, -'.qrange'.length), t]));
  }

  get B(): number {
    return this.ids.shape[0];
  }
  get T(): number {
    return this.ids.shape[1];
  }

  private get(map: 'norms' | 'linears', name: string): RMSNorm | Linear {
    const l = this.layers[map].get(name);
    if (!l) throw new Error(`llama training: no layer '${name}'`);
    return l;
  }

  /** Token embeddings (+ gpt2's learned position rows 0..T-1 of each sequence). */
  embed(): Tensor {
    const { B, T, config: c } = this;
    const x = ops.reshape(this.layers.embed.forward(this.scope, this.ids), [B * T, c.dim]);
    if (!c.learnedPositions) return x;
    const pos = this.graph.constant(Int32Array.from({ length: B * T }, (_, i) => i % T), [B * T], 'i32', 'positions');
    return ops.add(x, ops.embedding(this.scope.weight(POSITION_EMBD, [c.ctx, c.dim]), pos));
  }

  rmsNorm(x: Tensor, weight: string, bias?: string): Tensor {
    if (bias) throw new ModelConfigError(`llama training: biased RMSNorms (phimoe's) are not trained here`);
    return (this.get('norms', weight) as RMSNorm).forward(this.scope, x);
  }

  /** stablelm's LayerNorm: the layer named by its weight holds its bias. */
  layerNorm(x: Tensor, weight: string): Tensor {
    return (this.get('norms', weight) as LayerNorm).forward(this.scope, x);
  }

  /** RMSNorm per head: x [B*T, heads*hd] seen as [B*T*heads, hd] rows (qwen3's q / k norms). */
  headNorm(x: Tensor, weight: string | null, heads: number): Tensor {
    if (weight === null) throw new ModelConfigError(`llama training: weightless q / k norms (llama4's) are not trained here`);
    return Attention.headNorm(this.scope, this.get('norms', weight) as RMSNorm, x, heads);
  }

  /** The Linear named by its weight; its bias (qkvBias) is part of the layer, as o.bias names it. */
  linear(x: Tensor, weight: string, o: { bias?: string; residual?: Tensor } = {}): Tensor {
    // qwen2moe's shared-expert gate: a vector [dim], x's dot product with it [rows, 1]
    if (isSharedExpertGate(weight)) return ops.matmul(x, ops.reshape(this.scope.weight(weight, [this.config.dim]), [this.config.dim, 1]));
    return (this.get('linears', weight) as Linear).forward(this.scope, x, { residual: o.residual });
  }

  scale(x: Tensor, s: number): Tensor {
    return ops.scale(x, s);
  }

  softcap(x: Tensor, cap: number): Tensor {
    return ops.softcap(x, cap);
  }

  add(a: Tensor, b: Tensor): Tensor {
    return ops.add(a, b);
  }

  private attn(layer: number): Attention {
    const a = this.layers.attention[layer];
    if (!a) throw new Error(`llama training: layer ${layer} has no attention`);
    return a;
  }

  ropeQK(layer: number, q: Tensor, k: Tensor): [Tensor, Tensor] {
    return this.attn(layer).ropeQK(q, k, this.B, this.T);
  }

  attention(layer: number, q: Tensor, k: Tensor, v: Tensor): Tensor {
    // gpt-oss: the head's sink logits, a param [heads] joining each row's softmax (the composition's)
    const sinks = this.config.attnSinks ? this.scope.weight(`blk.${layer}.attn_sinks.weight`, [this.config.heads]) : undefined;
    return this.attn(layer).attend(q, k, v, this.B, this.T, sinks ? { sinks } : {});
  }

  /** The Mamba-2 mixer: inference only (checkTrainable refuses the model first). */
  ssm(layer: number): Tensor {
    throw new ModelConfigError(`llama training: layer ${layer} is a Mamba-2 mixer, which training does not run`);
  }

  /** qwen35's Gated DeltaNet: inference only (checkTrainable refuses the model first). */
  deltaNet(layer: number): Tensor {
    throw new ModelConfigError(`llama training: layer ${layer} is Gated DeltaNet, which training does not run`);
  }

  /** qwen35's gated attention output: inference only (checkTrainable refuses the model first). */
  sigmoidGate(): Tensor {
    throw new ModelConfigError(`llama training: qwen35's gated attention output is not trained here`);
  }

  /** MLA's ops (deepseek2, minicpm3): inference only (checkTrainable refuses such a model first). */
  headSlice(): Tensor {
    return refuseMla();
  }

  concatHeads(): Tensor {
    return refuseMla();
  }

  headLinear(): Tensor {
    return refuseMla();
  }

  /** lfm2's short convolution over each sequence of the batch (its rows before the first are zeros, as at position 0). */
  shortConv(layer: number, bcx: Tensor): Tensor {
    const c = this.config;
    return ops.shortConv(bcx, this.scope.weight(`blk.${layer}.shortconv.conv.weight`, [c.dim, c.shortConv!.taps]), this.T);
  }

  /** SwiGLU as one fused op; GeGLU (gemma3) as mul(gelu(gate), up), ReGLU (smallthinker's experts) as mul(relu(gate), up). */
  glu(gate: Tensor, up: Tensor): Tensor {
    const act = this.config.ffnAct;
    if (act === 'relu2') throw new Error(`llama training: relu2 is gateless (act)`);
    if (act === 'swiglu_oai') return swigluOai(gate, up);
    if (act === 'relu') return ops.mul(ops.relu(gate), up);
    return act === 'gelu' ? ops.mul(ops.gelu(gate), up) : ops.swiglu(gate, up);
  }

  /** A gateless FFN's activation: relu(x)^2 as mul(relu(x), x) (arcee), gelu (starcoder2), silu. */
  act(x: Tensor): Tensor {
    const act = this.config.ffnAct;
    return act === 'relu2' ? ops.mul(ops.relu(x), x) : act === 'gelu' ? ops.gelu(x) : ops.silu(x);
  }

  /** The router's weights from graph ops (src/ops/moe.ts): the engine's choice of experts, the gradient through the softmax. */
  route(logits: Tensor, o: { used: number; norm: boolean; gating: 'softmax' | 'sigmoid'; scale?: number; bias?: string; groups?: { count: number; used: number } }): Tensor {
    const { bias, ...rest } = o;
    const E = logits.shape[1];
    return ops.moeRoute(logits, { ...rest, ...(bias ? { bias: this.graph.constant(this.constants[bias], [E], 'f32', `${this.o.frozen?.prefix ?? ''}${bias}`) } : {}) });
  }

  /** acc + y times column col of w: every expert runs on every row (a row that did not choose it has weight 0). */
  expertAdd(acc: Tensor, y: Tensor, w: Tensor, col: number, unit = false): Tensor {
    if (unit) throw new ModelConfigError(`llama training: experts weighted before their FFN (llama4's) are not trained here`);
    return ops.add(acc, this.rowScale(y, w, col));
  }

  headLayerNorm(): Tensor {
    throw new ModelConfigError(`llama training: Command R+'s per-head q / k LayerNorms are not trained here`);
  }

  clamp(): Tensor {
    throw new ModelConfigError(`llama training: clamped q / k / v (OLMo's) are not trained here`);
  }

  nopeTemperature(): Tensor {
    throw new ModelConfigError(`llama training: llama4's NoPE temperature is not trained here`);
  }

  rowScale(x: Tensor, w: Tensor, col: number): Tensor {
    return ops.mul(x, ops.slice(w, 1, col, col + 1));
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
  /** The training loss: the data loss, or with distillation the mix of it and the distillation loss. */
  loss: Tensor;
  /** Mean cross-entropy (nats per token) over the targets that are not ignored (the validation figure). */
  ce: Tensor;
  /** The trainable params: the weights in llamaParamNames order, then the LSQ scales (not method 'static''s). */
  params: Tensor[];
}

/** Knowledge distillation from a frozen teacher of the same vocabulary (LLM-QAT: the f32 model teaches its QAT copy). */
export interface DistillOptions {
  teacher: { config: LlamaConfig; weights: LlamaWeights };
  /** Softmax temperature of both logits (default 1); the loss is scaled by T^2 as Hinton et al. */
  temperature?: number;
  /** loss = weight * KD + (1 - weight) * CE (default 1: distillation alone). */
  weight?: number;
}

/**
 * The distillation loss of student logits s against teacher logits t, [rows, V]: the cross-entropy of the student's
 * softened distribution against the teacher's, T^2 * mean_rows(-sum_v softmax(t/T) log softmax(s/T)); it differs
 * from KL(teacher || student) by the teacher's entropy, a constant, so the gradients are KL's.
 */
export function distillLoss(s: Tensor, t: Tensor, temperature: number): Tensor {
  const rows = s.shape[0];
  const pt = ops.softmax(ops.scale(t, 1 / temperature));
  const ls = ops.logSoftmax(ops.scale(s, 1 / temperature));
  return ops.scale(ops.sum(ops.mul(pt, ls)), (-temperature * temperature) / rows);
}

/** The forward, logits [B*T, vocab] and next-token loss of a batch, on a new graph (QAT with o.quant; distillation with o.distill). */
export function buildLlamaTrainGraph(ctx: GpuContext, config: LlamaConfig, weights: LlamaWeights, o: { B: number; T: number; label?: string; quant?: ReadonlyMap<string, LinearQuant>; lsqScales?: Record<string, Float32Array>; distill?: DistillOptions }): LlamaTrainGraph {
  const d = o.distill;
  if (d) {
    if (d.teacher.config.vocab !== config.vocab) throw new ModelConfigError(`distillation: the teacher's vocabulary has ${d.teacher.config.vocab} tokens, the student's ${config.vocab}`);
    const T = d.temperature ?? 1;
    if (!(T > 0 && Number.isFinite(T))) throw new ModelConfigError(`distillation: temperature ${T} must be a positive number`);
    const w = d.weight ?? 1;
    if (!(w >= 0 && w <= 1)) throw new ModelConfigError(`distillation: weight ${w} must be in [0, 1]`);
  }
  const graph = new Graph(ctx, o.label ?? 'llama-train');
  try {
    const ids = graph.input('ids', [o.B, o.T], 'i32');
    const targets = graph.input('targets', [o.B, o.T], 'i32');
    const lo = new GraphLlamaOps(graph, config, ids, weights, { quant: o.quant, lsqScales: o.lsqScales });
    const logits = llamaForward(config, lo);
    const ce = ops.crossEntropy(logits, ops.reshape(targets, [o.B * o.T]), { ignoreIndex: IGNORE_INDEX });
    let loss = ce;
    if (d) {
      const teacher = llamaForward(d.teacher.config, new GraphLlamaOps(graph, d.teacher.config, ids, d.teacher.weights, { frozen: { prefix: 'teacher.' } }));
      const kd = distillLoss(logits, teacher, d.temperature ?? 1);
      const w = d.weight ?? 1;
      loss = w === 1 ? kd : ops.add(ops.scale(kd, w), ops.scale(ce, 1 - w));
    }
    // Method 'static': the scale params stay where they start (no gradient, no optimizer state, not in the norm).
    const params = [...llamaParamNames(config).map((t) => lo.params.get(t.name)!), ...[...lo.qparams].filter(([name]) => !o.quant?.get(name)?.frozen).map(([, p]) => p)];
    return { graph, ops: lo, ids, targets, logits, loss, ce, params };
  } catch (e) {
    graph.destroy();
    throw e;
  }
}

/** Reads every param back as LlamaWeights, with the model's rope factors (constants) as they came. */
export async function readLlamaWeights(t: LlamaTrainGraph): Promise<LlamaWeights> {
  const out: LlamaWeights = { ...t.ops.constants };
  for (const [name, p] of t.ops.params) out[name] = await t.graph.readParam(p);
  return stackExperts(t.ops.config, out); // a MoE layer's experts as the GGUF stacks them
}

/** Reads the learned LSQ scales back, by weight name. */
export async function readLsqScales(t: LlamaTrainGraph): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, p] of t.ops.qparams) out[name] = await t.graph.readParam(p);
  return out;
}
