// The Llama-family model, defined once: the layer structure of llama.cpp's `llama`, `qwen2`, `qwen3`, `gemma`, `gemma2`,
// `gemma3`, `smollm3`, `phi3`, `stablelm`, `granite`, `olmo2`, `exaone`, `exaone4`, `ernie4_5`, `mistral3`, `glm4`, `arcee`, `lfm2`, `starcoder2`, `phi2`, `command-r`, `cohere2`, `minicpm`, `gptneox`, `gpt2`, `starcoder`, `falcon`, `qwen2moe`, `qwen3moe`, `olmoe`, `granitemoe`, `lfm2moe`, `ernie4_5-moe`, `bailingmoe`, `hunyuan-moe`, `glm4moe`, `internlm2`, `xverse`, `hunyuan-dense`, `seed_oss`, `nemotron`, `gpt-oss`, `granitehybrid`, `falcon-h1`, `nemotron_h`, `mamba2`, `qwen35`, `smallthinker`, `dots1`, `mellum`, `deepseek2`, `minicpm3` graphs, the ALiBi ones `bloom`, `mpt`, `jais`, `refact` and `baichuan` (llama_alibi.ts) (and `llama`'s mixture of experts, Mixtral; every GGUF_ARCHS value runs on one of them), written against an abstract set of operations. The inference engine (src/lm/engine.ts) implements the
// operations by recording GPU dispatches over the GGUF weights and the KV cache; a training backend implements the
// same operations on the autograd graph. Hyperparameters come from the file (src/nn/llama_config.ts); the weights are
// named as GGUF names them, so a backend binds `blk.3.attn_q.weight` to whatever holds that tensor.
import { expertWeight, isMoeLayer, sharedExpertGated } from './llama_moe.js';
import { isSsmLayer } from './llama_ssm.js';
import { isDeltaNetLayer } from './llama_delta_net.js';
import { embeddingScale, isConvLayer, layerUsesRope, logitScale, normBiasName, outputNormName, type LlamaConfig } from './llama_config.js';

export interface LlamaOps<T> {
  /** Token embeddings of the step's tokens, [T, dim]. */
  embed(): T;
  /** x times a constant (the Gemmas' and granite's embedding scale, granite's residual and logit scales). */
  scale(x: T, s: number): T;
  /** cap tanh(x / cap) (gemma2's final logits). */
  softcap(x: T, cap: number): T;
  /** a + b, same shape (a residual add after a post-norm). */
  add(a: T, b: T): T;
  /** RMSNorm of each row times weight (+ bias: phimoe's). */
  rmsNorm(x: T, weight: string, bias?: string): T;
  /** (x - mean) / sqrt(var + eps) * weight (+ bias) over each row (LlamaConfig.layerNorm; Cohere's without a bias; OLMo 1's, weight null, with neither). */
  layerNorm(x: T, weight: string | null, bias?: string): T;
  /** LayerNorm without a bias of each of `heads` slices of x's rows, slice h times row h of weight [heads, row / heads] (Command R+'s q / k norms). */
  headLayerNorm(x: T, weight: string, heads: number): T;
  /** x clamped to [-c, c] (OLMo's clamp_kqv). */
  clamp(x: T, c: number): T;
  /**
   * RMSNorm of each of `heads` equal slices of x's rows, times weight [row / heads] (qwen3's per-head q / k norms; 1:
   * the whole row, olmo2's); weight null: none (llama4's L2 norms).
   */
  headNorm(x: T, weight: string | null, heads: number): T;
  /** x [T, K] @ weight^T [K, N] (+ bias) (+ residual): weight is [N, K] as GGUF stores it. */
  linear(x: T, weight: string, o?: { bias?: string; residual?: T }): T;
  /**
   * Rotary embedding of layer `layer`'s q [T, heads * d] and k [T, kvHeads * d] at the step's positions (layerRope),
   * the first ropeDims of each head of d (the config's headDim; deepseek2's q_pe and k_pe: ropeDims).
   */
  ropeQK(layer: number, q: T, k: T): [T, T];
  /**
   * Causal attention of the step's queries over the layer's cached keys and values (which it extends by k, v), within
   * layerWindow; with attnSinks (gpt-oss) blk.N.attn_sinks.weight's logits join each head's softmax.
   */
  attention(layer: number, q: T, k: T, v: T): T;
  /**
   * lfm2's gated short convolution of layer `layer`: bcx [T, 3 dim] (in_proj's B | C | X) to C * conv(B * X) [T, dim],
   * the causal depthwise kernel blk.N.shortconv.conv [dim, taps] over the layer's previous positions (the engine's conv
   * state; a training sequence's own rows).
   */
  shortConv(layer: number, bcx: T): T;
  /**
   * The Mamba-2 mixer of layer `layer` (granitehybrid, falcon-h1, nemotron_h, mamba2) (src/nn/llama_ssm.ts): ssm_in's output zxBCdt [T, 2 inner + 2 G N
   * + H] to y [T, inner], the convolution and the state carried over the layer's previous positions (the engine's
   * conv and SSM states), gated by silu(z) and RMS-normalized per group, before ssm_out.
   */
  ssm(layer: number, zxbcdt: T): T;
  /**
   * qwen35's Gated DeltaNet of layer `layer` (src/nn/llama_delta_net.ts): attn_qkv's output qkv [T, (2 Hk + Hv) D],
   * attn_gate's z [T, Hv D], ssm_beta's and ssm_alpha's [T, Hv] to y [T, Hv D] (the convolution and the state carried
   * over the layer's previous positions: the engine's states), RMS-normalized per head and gated by silu(z).
   */
  deltaNet(layer: number, qkv: T, z: T, beta: T, alpha: T): T;
  /** x * sigmoid(gate), same shape (qwen35's gated attention output). */
  sigmoidGate(x: T, gate: T): T;
  /** act(gate) * up, act the config's ffnAct (silu: SwiGLU, gelu: GeGLU, swiglu_oai: gpt-oss's clamped SwiGLU, relu: ReGLU). */
  glu(gate: T, up: T): T;
  /** The config's ffnAct of x alone (a gateless FFN, ffnGateless: relu2 relu(x)^2, gelu, silu). */
  act(x: T): T;
  /**
   * A mixture-of-experts router (LlamaConfig.moe; src/nn/llama_moe.ts): router logits [T, E] to each row's expert
   * weights [T, E]: probabilities (softmax, or a sigmoid each), the `used` largest kept (the rest 0), renormalized to
   * sum 1 where `norm`; `bias` (lfm2moe): a vector [experts] added to the probabilities to choose, not to weigh;
   * `groups` (DeepSeek V3): chosen among the best groups' experts only (LlamaConfig.moe.groups).
   */
  route(logits: T, o: { used: number; norm: boolean; gating: 'softmax' | 'sigmoid'; scale?: number; bias?: string; groups?: { count: number; used: number } }): T;
  /**
   * acc + w[t, col] y[t] on each row t whose weight w[t, col] is not 0, acc[t] on the others: expert `col`'s output y
   * added by its router weight. A row that did not choose the expert adds nothing whatever y holds (the engine skips an
   * expert no row of the step chose: its y is then stale). `unit` (llama4, whose weight scaled the expert's input): y
   * added as it is on those rows.
   */
  expertAdd(acc: T, y: T, w: T, col: number, unit?: boolean): T;
  /** q [T, heads hd] times its position's NoPE temperature (llama4's NoPE layers: LlamaConfig.nopeTemp). */
  nopeTemperature(q: T): T;
  /** x times column col of w, row by row (llama4: an expert's input times its router weight; 0 on the rows that did not choose it). */
  rowScale(x: T, w: T, col: number): T;
  /** Columns [from, from + width) of each of `heads` equal slices of x's rows: [T, heads * width] (deepseek2's MLA). */
  headSlice(x: T, heads: number, from: number, width: number): T;
  /**
   * Each head's columns of a, then its columns of b: a [T, heads * da], b [T, bHeads * db] to [T, heads * (da + db)];
   * bHeads 1 (default heads): b's one head joins every head (minicpm3's shared k_pe).
   */
  concatHeads(a: T, b: T, heads: number, bHeads?: number): T;
  /**
   * A linear a head: x [T, heads * K] (head h's slice of K columns) times the stack weight [heads, N, K]'s matrix h
   * (`weight[h]`, as expertWeight names an expert's) transposed, to [T, heads * N] (deepseek2's attn_k_b / attn_v_b).
   */
  headLinear(x: T, weight: string, heads: number): T;
  /** The rows whose logits are wanted (all, or the last one for generation). */
  outputRows(x: T): T;
}

/** GGUF names of layer `l`'s tensors. */
export const blk = (l: number, t: string) => `blk.${l}.${t}`;

/** The forward pass: token embeddings to logits [rows, vocab]. */
export function llamaForward<T>(c: LlamaConfig, ops: LlamaOps<T>): T {
  let x = ops.embed();
  if (embeddingScale(c) !== 1) x = ops.scale(x, embeddingScale(c));
  if (c.embedNorm) x = ops.layerNorm(x, 'token_embd_norm.weight', 'token_embd_norm.bias'); // (bloom's)
  // out (+ x): the residual add, after a post-norm (the Gemmas) or granite's residual scale, else fused into the
  // output projection.
  const rs = c.multipliers?.residual;
  // starcoder2's attn_output, ffn_up and ffn_down carry biases.
  const bias = (l: number, weight: string) => (c.linearBiases || (c.attnOutBias && weight === 'attn_output.weight') ? { bias: blk(l, weight.replace(/\.weight$/, '.bias')) } : {}); // (pangu-embedded: attn_output's alone)
  const residual = (l: number, h: T, weight: string, post: string) =>
    c.postNorms ? ops.add(ops.rmsNorm(ops.linear(h, blk(l, weight), bias(l, weight)), blk(l, post)), x)
    : rs ? ops.add(ops.scale(ops.linear(h, blk(l, weight), bias(l, weight)), rs), x)
    : ops.linear(h, blk(l, weight), { ...bias(l, weight), residual: x });
  // A pre-norm or the final norm: RMSNorm, or LayerNorm with its bias (stablelm; Cohere's without one).
  const norm = (h: T, weight: string) => (c.normNoWeight ? ops.layerNorm(h, null) : c.layerNorm ? ops.layerNorm(h, weight, normBiasName(c, weight)) : ops.rmsNorm(h, weight, normBiasName(c, weight)));
  // olmo2 has no pre-norms: attention and the FFN read the residual stream itself.
  const preNorm = (weight: string) => (c.noPreNorms ? x : norm(x, weight));
  // Attention of layer l over its normed input h (before the output projection).
  const attention = (l: number, h: T): T => {
    const bias = (t: string) => (c.qkvBias ? { bias: blk(l, `${t}.bias`) } : {});
    // (OLMo's clamp_kqv: each projection clamped)
    const clamp = (t: T) => (c.clampKqv ? ops.clamp(t, c.clampKqv) : t);
    let q = clamp(ops.linear(h, blk(l, 'attn_q.weight'), bias('attn_q')));
    let k = clamp(ops.linear(h, blk(l, 'attn_k.weight'), bias('attn_k')));
    const qkNorms = () => {
      q = ops.headNorm(q, blk(l, 'attn_q_norm.weight'), c.qkNormFull ? 1 : c.heads);
      k = ops.headNorm(k, blk(l, 'attn_k_norm.weight'), c.qkNormFull ? 1 : c.kvHeads);
    };
    if (c.qkNorm && !c.qkNormAfterRope) qkNorms();
    if (c.qkHeadLayerNorm) [q, k] = [ops.headLayerNorm(q, blk(l, 'attn_q_norm.weight'), c.heads), ops.headLayerNorm(k, blk(l, 'attn_k_norm.weight'), c.kvHeads)]; // Command R+
    if (layerUsesRope(c, l)) [q, k] = ops.ropeQK(l, q, k); // smollm3's NoPE layers skip it
    else if (c.nopeTemp) q = ops.nopeTemperature(q); // (llama4's NoPE layers scale the query instead)
    if (c.qkNorm && c.qkNormAfterRope) qkNorms(); // hunyuan-dense: RoPE, then the norms
    if (c.qkL2Norm && layerUsesRope(c, l)) [q, k] = [ops.headNorm(q, null, c.heads), ops.headNorm(k, null, c.kvHeads)]; // llama4's, on the rotating layers
    const v = clamp(ops.linear(h, blk(l, 'attn_v.weight'), bias('attn_v')));
    const a = ops.attention(l, q, k, v);
    return c.deltaNet ? ops.sigmoidGate(a, ops.linear(h, blk(l, 'attn_q_gate.weight'))) : a; // qwen35: a gated output
  };
  // deepseek2's multi-head latent attention of layer l over h (src/nn/llama_mla.ts): the query's no-RoPE part absorbed
  // through attn_k_b into the compressed keys' space, one KV head c | k_pe (its values: the same rows, c read), each
  // head's output expanded through attn_v_b (before attn_output).
  const mlaAttention = (l: number, h: T): T => {
    const m = c.mla!;
    const H = c.heads;
    const q = m.qLora > 0 ? ops.linear(ops.rmsNorm(ops.linear(h, blk(l, 'attn_q_a.weight')), blk(l, 'attn_q_a_norm.weight')), blk(l, 'attn_q_b.weight')) : ops.linear(h, blk(l, 'attn_q.weight'));
    const ckv = ops.linear(h, blk(l, 'attn_kv_a_mqa.weight'));
    const kv0 = ops.rmsNorm(ops.headSlice(ckv, 1, 0, m.kvLora), blk(l, 'attn_kv_a_norm.weight'));
    const [qPe, kPe] = ops.ropeQK(l, ops.headSlice(q, H, m.nope, c.ropeDims), ops.headSlice(ckv, 1, m.kvLora, c.ropeDims));
    if (m.kvB) {
      // minicpm3: keys and values decompressed a head (each value padded to the key's width, its padding dropped after)
      const kv = ops.linear(kv0, blk(l, 'attn_kv_b.weight'));
      const d = m.nope + c.ropeDims;
      const kk = ops.concatHeads(ops.headSlice(kv, H, 0, m.nope), kPe, H, 1);
      const vv = m.v < d ? ops.concatHeads(ops.headSlice(kv, H, m.nope, m.v), ops.headSlice(kk, H, 0, d - m.v), H) : ops.headSlice(kv, H, m.nope, m.v);
      const a = ops.attention(l, ops.concatHeads(ops.headSlice(q, H, 0, m.nope), qPe, H), kk, vv);
      return m.v < d ? ops.headSlice(a, H, 0, m.v) : a;
    }
    const qAbs = ops.headLinear(ops.headSlice(q, H, 0, m.nope), blk(l, 'attn_k_b.weight'), H);
    const k = ops.concatHeads(kv0, kPe, 1);
    const a = ops.attention(l, ops.concatHeads(qAbs, qPe, H), k, k);
    return ops.headLinear(ops.headSlice(a, H, 0, m.kvLora), blk(l, 'attn_v_b.weight'), H);
  };
  // A mixture-of-experts FFN (LlamaConfig.moe) added to the stream x: each expert's SwiGLU, added by the rows' router
  // weights for it (expertAdd: nothing on the rows that did not choose it); qwen2moe's shared expert by its sigmoid
  // gate, Granite's as it is. Granite's residual scale multiplies the whole sum: the router's weights and the shared
  // expert's output. (The MoE graphs have no post-norms.) smallthinker's router reads the layer's input x0; llama4's
  // experts read their input times their weight and are added unweighted.
  const moeFfn = (l: number, f: T, x0: T): T => {
    const m = c.moe!;
    // gpt-oss: biases on the router and on each expert's projections (a row of the stack's bias an expert)
    const b = (weight: string) => (m.biases && weight.includes('_exps.weight') ? { bias: weight.replace('_exps.weight', '_exps.bias') } : {});
    const swiglu = (gate: string, up: string, down: string, o: { residual?: T } = {}, input: T = f) => ops.linear(ops.glu(ops.linear(input, gate, b(gate)), ops.linear(input, up, b(up))), down, { ...o, ...b(down) });
    const scale = (rs || 1) * (m.weightScale ?? 1); // (granite's residual scale; bailingmoe's routed weights' scale)
    const w = ops.route(ops.linear(m.routerOnInput ? x0 : f, blk(l, 'ffn_gate_inp.weight'), m.biases ? { bias: blk(l, 'ffn_gate_inp.bias') } : {}), { used: m.used, norm: m.norm, gating: m.gating ?? 'softmax', ...(scale !== 1 ? { scale } : {}), ...(m.selectionBias ? { bias: blk(l, 'exp_probs_b.bias') } : {}), ...(m.groups ? { groups: m.groups } : {}) });
    let out = x;
    for (let e = 0; e < m.experts; e++) {
      const ex = (t: string) => expertWeight(blk(l, `${t}.weight`), e);
      // llama4: the expert reads its input times its weight, and its output is added as it is
      const input = m.weightBeforeFfn ? ops.rowScale(f, w, e) : f;
      out = ops.expertAdd(out, swiglu(ex('ffn_gate_exps'), ex('ffn_up_exps'), ex('ffn_down_exps'), {}, input), w, e, m.weightBeforeFfn);
    }
    if (!m.sharedFfn) return out;
    const sh = (o: { residual?: T } = {}) => swiglu(blk(l, 'ffn_gate_shexp.weight'), blk(l, 'ffn_up_shexp.weight'), blk(l, 'ffn_down_shexp.weight'), o);
    if (sharedExpertGated(c)) return ops.expertAdd(out, sh(), ops.route(ops.linear(f, blk(l, 'ffn_gate_inp_shexp.weight')), { used: 1, norm: false, gating: 'sigmoid' }), 0);
    return rs ? ops.add(out, ops.scale(sh(), rs)) : sh({ residual: out });
  };
  for (let l = 0; l < c.layers; l++) {
    if (c.layerKinds) {
      // nemotron_h: the layer's one mixer of its normed input, added to the stream
      const h = ops.rmsNorm(x, blk(l, 'attn_norm.weight'));
      const kind = c.layerKinds[l];
      const y = kind === 'ssm' ? ops.ssm(l, ops.linear(h, blk(l, 'ssm_in.weight'))) : kind === 'attention' ? attention(l, h) : ops.act(ops.linear(h, blk(l, 'ffn_up.weight')));
      x = ops.linear(y, blk(l, kind === 'ssm' ? 'ssm_out.weight' : kind === 'attention' ? 'attn_output.weight' : 'ffn_down.weight'), { residual: x });
      continue;
    }
    const x0 = x; // the layer's input (gptneox's parallel residual normalizes it for the FFN too)
    const h = preNorm(blk(l, 'attn_norm.weight'));
    if (isSsmLayer(c, l) && !c.ssm!.parallel) {
      // granitehybrid's Mamba-2 layers in place of attention
      x = residual(l, ops.ssm(l, ops.linear(h, blk(l, 'ssm_in.weight'))), 'ssm_out.weight', 'post_attention_norm.weight');
    } else if (isDeltaNetLayer(c, l)) {
      // qwen35's Gated DeltaNet layers in place of attention
      const lin = (t: string) => ops.linear(h, blk(l, t));
      x = residual(l, ops.deltaNet(l, lin('attn_qkv.weight'), lin('attn_gate.weight'), lin('ssm_beta.weight'), lin('ssm_alpha.weight')), 'ssm_out.weight', 'post_attention_norm.weight');
    } else if (isConvLayer(c, l)) {
      // lfm2's short-convolution layers in place of attention
      x = residual(l, ops.shortConv(l, ops.linear(h, blk(l, 'shortconv.in_proj.weight'))), 'shortconv.out_proj.weight', 'post_attention_norm.weight');
    } else if (c.ssm?.parallel) {
      // falcon-h1: attention and the Mamba-2 mixer of the same h, both added to the stream
      const withSsm = ops.linear(ops.ssm(l, ops.linear(h, blk(l, 'ssm_in.weight'))), blk(l, 'ssm_out.weight'), { residual: x });
      x = ops.linear(attention(l, h), blk(l, 'attn_output.weight'), { residual: withSsm });
    } else {
      x = residual(l, c.mla ? mlaAttention(l, h) : attention(l, h), 'attn_output.weight', 'post_attention_norm.weight');
    }
    // phi2's and Cohere's parallel block: the FFN reads attn_norm's output too, and adds to the stream beside
    // attention; gptneox's parallel residual: the FFN reads the layer's input through ffn_norm
    const f = c.parallelBlock ? h : c.parallelResidual ? norm(x0, blk(l, 'ffn_norm.weight')) : preNorm(blk(l, 'ffn_norm.weight'));
    if (isMoeLayer(c, l)) {
      x = moeFfn(l, f, x0);
      continue;
    }
    const up = ops.linear(f, blk(l, 'ffn_up.weight'), bias(l, 'ffn_up.weight'));
    // arcee, starcoder2 and phi2 have no gate: act(up) (arcee's relu(up)^2, the others' gelu(up))
    const a = c.ffnGateless ? ops.act(up) : ops.glu(ops.linear(f, blk(l, 'ffn_gate.weight'), bias(l, 'ffn_gate.weight')), up); // (jais's gate biased)
    x = residual(l, a, 'ffn_down.weight', 'post_ffw_norm.weight');
  }
  const out = norm(ops.outputRows(x), outputNormName(c));
  let logits = ops.linear(out, c.tied ? 'token_embd.weight' : 'output.weight', c.outputBias ? { bias: 'output.bias' } : {});
  if (logitScale(c) !== 1) logits = ops.scale(logits, logitScale(c));
  return c.softcap ? ops.softcap(logits, c.softcap.final) : logits;
}
