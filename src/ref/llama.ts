// The f64 CPU reference of a Llama-family forward pass (GGUF `llama`, `qwen2`, `qwen3`, `gemma`, `gemma2`, `gemma3`, `smollm3`,
// `phi3`, `stablelm`, `granite`, `olmo2`, `exaone`, `exaone4`, `ernie4_5`, `mistral3`, `glm4`, `arcee`, `lfm2`, `starcoder2`, `phi2`, `command-r`, `cohere2`, `minicpm`, `gptneox`, `gpt2`, `starcoder`, `falcon`, `qwen2moe`, `qwen3moe`, `olmoe`, `granitemoe`, `lfm2moe`, `ernie4_5-moe`, `bailingmoe`, `hunyuan-moe`, `glm4moe`, `internlm2`, `xverse`, `hunyuan-dense`, `seed_oss`, `nemotron`, `gpt-oss`, `granitehybrid`, `falcon-h1`, `nemotron_h`, `mamba2`, `qwen35`, `smallthinker`, `dots1`, `mellum`, and Mixtral's `llama`): the oracle of the GPU engine. It follows llama.cpp's graph
// (src/models/llama.cpp, qwen2.cpp, qwen3.cpp, gemma2-iswa.cpp, gemma3.cpp, smollm3.cpp, phi3.cpp, granite.cpp,
// olmo2.cpp, exaone4.cpp, ernie4-5.cpp) step by step, for every position of a prompt:
//   x = token_embd[id]  (times sqrt(dim) in f32: the Gemmas; times embedding_scale: granite; + position_embd[t]: gpt2)  (rows gathered,
//                                                                  dequantized exactly)
//   per layer:  h = rmsnorm(x) * attn_norm                       (olmo2, exaone4: h = x, no pre-norms; stablelm,
//                                                                  starcoder2: every norm LayerNorm with a bias)
//               q, k, v = Wq h (+ bq), Wk h (+ bk), Wv h (+ bv)     ([heads | kvHeads, headDim] each; phi3's
//                                                                  attn_qkv / ffn_up rows split: llama_layout.ts)
//               q, k = rmsnorm(q_h) * attn_q_norm, rmsnorm(k_h) * attn_k_norm   per head h (qwen3, gemma3, exaone4;
//                                                                  olmo2: over all of q and of k)
//               q, k = rope(q, pos), rope(k, pos)                  NORM (llama: pairs 2i, 2i+1) or NEOX (the others:
//                                                                  i, i + ropeDims/2); theta_i = pos * scale *
//                                                                  base^(-2i/ropeDims) / factors[i] (llama's rope_freqs,
//                                                                  phi3's LongRoPE pair: ropeFactorsTensor); cos, sin
//                                                                  times rope.scaling.attn_factor;
//                                                                  base and scale per layer (layerRope: gemma3);
//                                                                  none on smollm3's NoPE layers (layerUsesRope)
//               a = softmax(cap(q k^T * attentionScale), causal) v (1/sqrt(headDim) but at the Gemmas' 27B; query
//                                                                  head h reads kv head h / (heads/kvHeads); keys
//                                                                  within layerWindow on the Gemmas' sliding layers;
//                                                                  cap(s) = softcap tanh(s / softcap) on gemma2;
//                                                                  granite: attention.scale where set)
//               x = x + Wo a                     Gemmas, olmo2, exaone4: x = x + rmsnorm(Wo a) * post_attention_norm;
//                                                granite: x = x + (Wo a) * residual_scale (where set)
//               h = rmsnorm(x) * ffn_norm;  f = Wdown (act(Wgate h) * Wup h)   act silu, or gelu (tanh form: Gemmas);
//                                                                  olmo2, exaone4: h = x; gateless (arcee,
//                                                                  starcoder2): f = Wdown act(Wup h), act relu^2 or gelu;
//                                                                  starcoder2: + bo, + bup, + bdown; phi2: the same
//                                                                  with h = attn_norm's output (parallel block:
//                                                                  x + attn + f), logits + output.bias
//               x = x + f                        Gemmas, olmo2, exaone4: x = x + rmsnorm(f) * post_ffw_norm; granite: f * residual_scale
//   lfm2's short-convolution layers (head_count_kv 0), in place of attention:
//               B | C | X = Win h;  x = x + Wout (C * conv(B * X))  conv: per channel, sum_k w[c, k] (B X)[t - (L-1) + k]
//                                                                  (rows before position 0: zeros)
//   logits = Woutput (rmsnorm(x) * output_norm)                    (Woutput = token_embd when tied; soft-capped on
//                                                                  gemma2; times f32(1 / logit_scale) on granite)
// rmsnorm(x) = x / sqrt(mean(x^2) + eps). Weights are the file's values exactly (dequantized to f32); all arithmetic
// is f64.
//
// `cpuActivations` additionally rounds each weight matmul's input the way llama.cpp's CPU backend does before its
// dot products (ggml's vec_dot_type of the weight's type): F16 weights f16, BF16 weights bf16, Q4_0/Q5_0/Q8_0
// weights Q8_0 (blocks of 32: d = amax / 127 stored as f16, q = round(x / d)), and so MXFP4 / IQ4_NL weights,
// Q4_1/Q5_1 weights Q8_1 (the same codes), K-quants, IQ4_XS and the IQ1-IQ3 types Q8_K (blocks of 256: d = max / -127 in f32, where max
// is the value of largest magnitude); and it
// forms gelu as ggml's CPU build does, from a table over f16: gelu(f16(x)) rounded to f16 (x itself past +-10). With it
// the reference reproduces llama.cpp's numbers to f32 rounding, which separates "the graph is right" from "8-bit
// activations cost this much" in the tests.
import { ggufTensor, type GgufFile, type GgufTensor } from '../io/gguf.js';
import { IQUANT_BLOCKS } from '../quant/gguf_iquants.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, roundF16 } from '../quant/f16.js';
import { dequantizeGguf, type GgufBlockType } from '../quant/gguf.js';
import { attentionScale, attentionTemperature, embeddingScale, isConvLayer, layerChunk, nopeTemperature, normBiasName, outputNormName, POSITION_EMBD, layerRope, layerRopeScaling, logitScale, layerUsesRope, layerWindow, llamaConfigFromGguf, ropeFactors, ropeFactorsTensor, type LlamaConfig } from '../nn/llama_config.js';
import { splitFusedTensors } from '../nn/llama_layout.js';
import { alibiSlopeRef, layerNormRef, swigluOai } from './lm.js';
import { mamba2Ref } from './ssm.js';
import { deltaNetRef, sigmoidGateRef } from './delta_net.js';
import { deltaNetConvChannels } from '../nn/llama_delta_net.js';
import { ssmInProj } from '../nn/llama_ssm.js';
import { moeRouteRef } from './moe_route.js';
import { isMoeLayer, sharedExpertGated } from '../nn/llama_moe.js';
import { shortConvRows } from './ops.js';
import { roundHalfEven } from './quant.js';
import { mlaAttentionRef } from './mla.js';
import { rmsNormRows as rmsNorm, ropeRows as rope } from './llama_rows.js';

export interface LlamaRefOptions {
  /** Round matmul inputs as llama.cpp's CPU backend does (see above). Default false: exact f64 activations. */
  cpuActivations?: boolean;
  /**
   * The context length the model runs with (llama.cpp's n_ctx, the engine's ctxLen), which picks phi3's LongRoPE
   * factors (ropeFactorsTensor). Default: the engine's, min(context_length, 2048).
   */
  ctxLen?: number;
}

/** A tensor's values as f32 [numel] (F32, F16, BF16 or a GGUF block type). */
export function ggufTensorValues(t: GgufTensor): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const d = t.data;
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (t.type === 'F32') return Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true));
  if (t.type === 'F16') return Float32Array.from({ length: n }, (_, i) => f16BitsToF32(dv.getUint16(2 * i, true)));
  if (t.type === 'BF16') return Float32Array.from({ length: n }, (_, i) => bf16BitsToF32(dv.getUint16(2 * i, true)));
  const K = t.shape[t.shape.length - 1];
  return dequantizeGguf(t.type as GgufBlockType, d, n / K, K, t.name);
}

/** The f16 min m of each block of a Q4_1 (20-byte) or Q5_1 (24-byte) tensor: bytes 2..3 of the block. */
function blockMins(t: GgufTensor): Float32Array {
  const B = t.type === 'Q4_1' ? 20 : 24;
  return Float32Array.from({ length: t.data.length / B }, (_, i) => f16BitsToF32(t.data[i * B + 2] | (t.data[i * B + 3] << 8)));
}

interface Weights {
  c: LlamaConfig;
  get(name: string): Weight;
}

const cache = new WeakMap<GgufFile, Weights>();

/** The file's configuration and its tensors' values, each dequantized once per file. */
function weightsOf(file: GgufFile): Weights {
  let w = cache.get(file);
  if (w) return w;
  const c = llamaConfigFromGguf(file.metadata, file.tensors);
  const tensors = splitFusedTensors(c, file.tensors); // the definition's names: phi3's fused tensors' rows as views
  const values = new Map<string, Weight>();
  w = {
    c,
    get(name: string) {
      let v = values.get(name);
      if (!v) {
        const t = ggufTensor({ ...file, tensors }, name);
        v = { w: ggufTensorValues(t), type: t.type, mins: t.type === 'Q4_1' || t.type === 'Q5_1' ? blockMins(t) : undefined };
        values.set(name, v);
      }
      return v;
    },
  };
  cache.set(file, w);
  return w;
}

/** x rounded as llama.cpp's CPU backend rounds a matmul input for a weight of `type`. */
export function roundCpuActivations(x: ArrayLike<number>, type: GgufTensor['type']): Float64Array {
  return cpuRound(x, type).x;
}

/**
 * The rounded input, and for Q8_1 (Q4_1 / Q5_1 weights) each block's sErr = s - d' sum(q): Q8_1 also stores
 * s = f16(d sum(q)) (d in f32), which ggml's dot product multiplies by the weight block's min m where the rounded
 * input alone would give m d' sum(q) (d' = f16(d), the scale the codes are multiplied by).
 */
function cpuRound(x: ArrayLike<number>, type: GgufTensor['type']): { x: Float64Array; sErr: Float64Array | null } {
  const K = x.length;
  const out = Float64Array.from(x, (v) => Math.fround(v)); // llama.cpp's activations are f32
  if (type === 'F32') return { x: out, sErr: null };
  if (type === 'F16') return { x: out.map(roundF16), sErr: null };
  if (type === 'BF16') return { x: out.map((v) => bf16BitsToF32(f32ToBf16Bits(v))), sErr: null };
  const kq = type === 'Q4_K' || type === 'Q5_K' || type === 'Q6_K' || type === 'Q3_K' || type === 'Q2_K' || type === 'IQ4_XS' || type in IQUANT_BLOCKS;
  const B = kq ? 256 : 32;
  const sErr = type === 'Q4_1' || type === 'Q5_1' ? new Float64Array(K / B) : null;
  for (let b = 0; b < K; b += B) {
    let amax = 0;
    let max = 0;
    for (let i = b; i < b + B; i++) {
      if (Math.abs(out[i]) > amax) {
        amax = Math.abs(out[i]);
        max = out[i];
      }
    }
    if (amax === 0) continue;
    if (kq) {
      // Q8_K: iscale = -127 / max, q = nearest_int(iscale x) (at most 127), d = 1 / iscale, all in f32.
      const iscale = Math.fround(-127 / max);
      const d = Math.fround(1 / iscale);
      for (let i = b; i < b + B; i++) out[i] = Math.min(127, roundHalfEven(Math.fround(iscale * out[i]))) * d;
    } else {
      // Q8_0 / Q8_1: d = amax / 127, id = 127 / amax, q = round(x id), d kept as f16.
      const d = Math.fround(amax / 127);
      const id = Math.fround(127 / amax);
      const dh = roundF16(d);
      let sum = 0;
      for (let i = b; i < b + B; i++) {
        const q = roundHalfEven(Math.fround(out[i] * id));
        sum += q;
        out[i] = q * dh;
      }
      if (sErr) sErr[b / B] = roundF16(Math.fround(d * sum)) - dh * sum;
    }
  }
  return { x: out, sErr };
}

interface Weight {
  w: Float32Array;
  type: GgufTensor['type'];
  /** Q4_1 / Q5_1: each block's min m (f16), [N * K / 32]. */
  mins?: Float32Array;
}

/** y[T, N] = x[T, K] W^T for W [N, K] (+ bias), x optionally rounded as llama.cpp's CPU rounds it. */
function linear(x: Float64Array, T: number, K: number, W: Weight, N: number, opt: LlamaRefOptions, bias?: Float32Array): Float64Array {
  const y = new Float64Array(T * N);
  for (let t = 0; t < T; t++) {
    const row = x.subarray(t * K, (t + 1) * K);
    const r = opt.cpuActivations ? cpuRound(row, W.type) : { x: row, sErr: null };
    const xr = r.x;
    for (let n = 0; n < N; n++) {
      let s = 0;
      const o = n * K;
      for (let k = 0; k < K; k++) s += W.w[o + k] * xr[k];
      if (r.sErr && W.mins) for (let b = 0; b < K / 32; b++) s += W.mins[(o >> 5) + b] * r.sErr[b];
      y[t * N + n] = bias ? s + bias[n] : s;
    }
  }
  return y;
}

/** gelu, tanh form; `f16Table`: as ggml's CPU build, gelu(f16(x)) rounded to f16, and x or 0 past +-10. */
function gelu(x: number, f16Table: boolean): number {
  if (f16Table) {
    if (x <= -10) return 0;
    if (x >= 10) return x;
    x = roundF16(x);
  }
  const y = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  return f16Table ? roundF16(y) : y;
}

/** Causal grouped-query attention: q [T, heads, hd], k and v [T, kvHeads, hd] -> [T, heads * hd]; keys t-window+1..t when window > 0. */
function attention(q: Float64Array, k: Float64Array, v: Float64Array, T: number, c: LlamaConfig, window: number, sinks?: Float32Array, chunk = 0): Float64Array {
  const hd = c.headDim;
  const group = c.heads / c.kvHeads;
  const scale = attentionScale(c);
  const out = new Float64Array(T * c.heads * hd);
  const s = new Float64Array(T);
  for (let h = 0; h < c.heads; h++) {
    const kh = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const qo = (t * c.heads + h) * hd;
      let mx = -Infinity;
      const j0 = window > 0 ? Math.max(0, t + 1 - window) : chunk > 0 ? t - (t % chunk) : 0; // (llama4's chunks)
      for (let j = j0; j <= t; j++) {
        const ko = (j * c.kvHeads + kh) * hd;
        let d = 0;
        for (let i = 0; i < hd; i++) d += q[qo + i] * k[ko + i];
        s[j] = c.softcap ? c.softcap.attn * Math.tanh((d * scale) / c.softcap.attn) : d * scale;
        if (c.alibi) s[j] += alibiSlopeRef(c.heads, c.alibi, h) * (j - t); // ALiBi: llama.cpp's -slope |t - j|
        mx = Math.max(mx, s[j]);
      }
      if (sinks) mx = Math.max(mx, sinks[h]); // gpt-oss: the head's sink logit joins the softmax (a key of value zero)
      let sum = sinks ? Math.exp(sinks[h] - mx) : 0;
      for (let j = j0; j <= t; j++) sum += s[j] = Math.exp(s[j] - mx);
      for (let j = j0; j <= t; j++) {
        const p = s[j] / sum;
        const vo = (j * c.kvHeads + kh) * hd;
        for (let i = 0; i < hd; i++) out[qo + i] += p * v[vo + i];
      }
    }
  }
  return out;
}

/** The model's configuration (validated) as the reference reads it. */
export function llamaRefConfig(file: GgufFile): LlamaConfig {
  return weightsOf(file).c;
}

/** Next-token logits at every position of `ids`: [T, vocab] row-major, in f64. */
export function llamaLogitsRef(file: GgufFile, ids: readonly number[], opt: LlamaRefOptions = {}): Float64Array {
  const W = weightsOf(file);
  const c = W.c;
  const T = ids.length;
  const D = c.dim;
  if (T === 0) throw new Error('llamaLogitsRef: no token ids');
  if (T > c.ctx) throw new Error(`llamaLogitsRef: ${T} ids exceed the context length ${c.ctx}`);
  const embd = W.get('token_embd.weight');
  const x = new Float64Array(T * D);
  ids.forEach((id, t) => {
    if (!Number.isInteger(id) || id < 0 || id >= c.vocab) throw new Error(`llamaLogitsRef: id ${id} at position ${t} is not in 0..${c.vocab - 1}`);
    for (let i = 0; i < D; i++) x[t * D + i] = embd.w[id * D + i];
  });
  x.forEach((v, i) => (x[i] = v * embeddingScale(c)));
  // gpt2's learned positions: row t of position_embd added to position t's embedding (in f32, as llama.cpp's add; the
  // rows are the file's values)
  if (c.learnedPositions) {
    const pe = W.get(POSITION_EMBD).w;
    x.forEach((v, i) => (x[i] = opt.cpuActivations ? Math.fround(v + pe[i]) : v + pe[i]));
  }
  // bloom: the embeddings LayerNorm-ed before the first layer
  if (c.embedNorm) x.set(layerNormRef(x, W.get('token_embd_norm.weight').w, W.get('token_embd_norm.bias').w, T, D, c.eps).y);
  // The residual add, after a post-norm (the Gemmas) or granite's residual scale.
  const rs = c.multipliers?.residual || 1;
  const addOut = (o: Float64Array, post: string) => {
    const r = c.postNorms ? rmsNorm(o, T, D, W.get(post).w, c.eps) : o;
    for (let i = 0; i < T * D; i++) x[i] += r[i] * rs;
  };
  // A pre-norm or the final norm: RMSNorm, or LayerNorm with its bias (stablelm).
  const norm = (h: Float64Array, name: string) => {
    if (c.normNoWeight) return layerNormRef(h, new Float32Array(D).fill(1), new Float32Array(D), T, D, c.eps).y; // (OLMo 1's: no weight, no bias)
    const bias = normBiasName(c, name); // (Cohere's LayerNorms have none; phimoe's RMSNorms do)
    if (!c.layerNorm) {
      const y = rmsNorm(h, T, D, W.get(name).w, c.eps);
      const b = bias ? W.get(bias).w : undefined;
      if (b) y.forEach((v, i) => (y[i] = v + b[i % D]));
      return y;
    }
    return layerNormRef(h, W.get(name).w, bias ? W.get(bias).w : new Float32Array(D), T, D, c.eps).y;
  };
  const factorsName = ropeFactorsTensor(c, opt.ctxLen ?? Math.min(c.ctx, 2048));
  const rf = ropeFactors(c, factorsName ? W.get(factorsName).w : undefined); // the file's factors, YaRN's, the attention factor
  const qd = c.heads * c.headDim;
  const kvd = c.kvHeads * c.headDim;
  for (let l = 0; l < c.layers; l++) {
    const p = `blk.${l}.`;
    const lbias = (n: string) => (c.linearBiases || (c.attnOutBias && n === 'attn_output') ? W.get(`${p}${n}.bias`).w : undefined); // starcoder2's (pangu-embedded: attn_output's)
    const preNorm = (n: string) => (c.noPreNorms ? x.slice() : norm(x, `${p}${n}`));
    if (c.layerKinds) {
      // nemotron_h: the layer's one mixer (a Mamba-2 mixer, attention without RoPE, or relu(up)^2 through down)
      const hn = norm(x, `${p}attn_norm.weight`);
      const kind = c.layerKinds[l];
      if (kind === 'ssm') {
        addOut(ssmMixer(W, c, p, hn, T, opt), '');
      } else if (kind === 'attention') {
        const q = linear(hn, T, D, W.get(`${p}attn_q.weight`), qd, opt);
        const k = linear(hn, T, D, W.get(`${p}attn_k.weight`), kvd, opt);
        const v = linear(hn, T, D, W.get(`${p}attn_v.weight`), kvd, opt);
        addOut(linear(attention(q, k, v, T, c, 0), T, qd, W.get(`${p}attn_output.weight`), D, opt), '');
      } else {
        const u = linear(hn, T, D, W.get(`${p}ffn_up.weight`), c.ffn, opt).map((v) => Math.max(v, 0) * v);
        addOut(linear(u, T, c.ffn, W.get(`${p}ffn_down.weight`), D, opt), '');
      }
      continue;
    }
    const x0 = c.parallelResidual || c.moe?.routerOnInput ? x.slice() : x; // the layer's input (x is updated in place by addOut; smallthinker's router reads it)
    const h = preNorm('attn_norm.weight');
    // granitehybrid's and falcon-h1's Mamba-2 mixer
    const ssmOut = c.ssm?.layers[l] ? ssmMixer(W, c, p, h, T, opt) : undefined;
    if (ssmOut && !c.ssm!.parallel) {
      addOut(ssmOut, `${p}post_attention_norm.weight`);
    } else if (c.deltaNet?.layers[l]) {
      addOut(deltaNetMixer(W, c, p, h, T, opt), ''); // qwen35's Gated DeltaNet (src/ref/delta_net.ts)
    } else if (isConvLayer(c, l)) {
      // lfm2: y = C * conv(B * X) from in_proj's B | C | X, the rows before position 0 zeros
      const bcx = linear(h, T, D, W.get(`${p}shortconv.in_proj.weight`), 3 * D, opt);
      const { y } = shortConvRows(bcx, T, W.get(`${p}shortconv.conv.weight`).w, D, c.shortConv!.taps);
      addOut(linear(y, T, D, W.get(`${p}shortconv.out_proj.weight`), D, opt), `${p}post_attention_norm.weight`);
    } else if (c.mla) {
      // deepseek2's multi-head latent attention (src/ref/mla.ts), decompressed
      const io = { get: (n: string) => W.get(n).w, linear: (v: Float64Array, K: number, n: string, N: number) => linear(v, T, K, W.get(n), N, opt) };
      const a = mlaAttentionRef(c, p, h, T, io, { ...layerRope(c, l), ...layerRopeScaling(c, l, rf) }, attentionScale(c));
      addOut(linear(a, T, c.heads * c.mla.v, W.get(`${p}attn_output.weight`), D, opt), '');
    } else {
      const bias = (n: string) => (c.qkvBias ? W.get(`${p}${n}.bias`).w : undefined);
      // (OLMo's clamp_kqv: each projection clamped to [-c, c])
      const clamp = (t: Float64Array) => (c.clampKqv ? t.map((x) => Math.min(Math.max(x, -c.clampKqv!), c.clampKqv!)) : t);
      const q = clamp(linear(h, T, D, W.get(`${p}attn_q.weight`), qd, opt, bias('attn_q')));
      const k = clamp(linear(h, T, D, W.get(`${p}attn_k.weight`), kvd, opt, bias('attn_k')));
      const v = clamp(linear(h, T, D, W.get(`${p}attn_v.weight`), kvd, opt, bias('attn_v')));
      const qkNorms = () => {
        const [qh, kh] = c.qkNormFull ? [1, 1] : [c.heads, c.kvHeads]; // olmo2: over the whole projection
        q.set(rmsNorm(q, T * qh, qd / qh, W.get(`${p}attn_q_norm.weight`).w, c.eps));
        k.set(rmsNorm(k, T * kh, kvd / kh, W.get(`${p}attn_k_norm.weight`).w, c.eps));
      };
      if (c.qkNorm && !c.qkNormAfterRope) qkNorms();
      if (c.qkHeadLayerNorm) {
        // Command R+: a LayerNorm (no bias) of each head's slice, times that head's row of the [heads, hd] weight
        const hd = c.headDim;
        const headLn = (x: Float64Array, heads: number, w: Float32Array) => {
          const y = layerNormRef(x, new Float32Array(hd).fill(1), new Float32Array(hd), T * heads, hd, c.eps).y;
          x.set(y.map((v, i) => v * w[i % (heads * hd)]));
        };
        headLn(q, c.heads, W.get(`${p}attn_q_norm.weight`).w);
        headLn(k, c.kvHeads, W.get(`${p}attn_k_norm.weight`).w);
      }
      if (layerUsesRope(c, l)) {
        const lr = layerRopeScaling(c, l, rf); // a sliding-window layer: swaRopeScaling's (OLMo 3's: no factors, unscaled)
        rope(q, T, c.heads, c, lr.factors, lr.mscale, layerRope(c, l));
        rope(k, T, c.kvHeads, c, lr.factors, lr.mscale, layerRope(c, l));
      }
      if (c.qkNorm && c.qkNormAfterRope) qkNorms(); // hunyuan-dense
      if (c.qkL2Norm && layerUsesRope(c, l)) {
        // llama4: RMS per head without a weight, after RoPE
        q.set(rmsNorm(q, T * c.heads, c.headDim, new Float32Array(c.headDim).fill(1), c.eps));
        k.set(rmsNorm(k, T * c.kvHeads, c.headDim, new Float32Array(c.headDim).fill(1), c.eps));
      }
      // mistral3: the query at position t times its attention temperature (after RoPE, as llama.cpp does).
      if (c.attnTemperature) for (let t = 0; t < T; t++) q.subarray(t * qd, (t + 1) * qd).forEach((v, i, row) => (row[i] = v * attentionTemperature(c, t)));
      // llama4's NoPE layers: the query at t times its temperature
      if (c.nopeTemp && !layerUsesRope(c, l)) for (let t = 0; t < T; t++) q.subarray(t * qd, (t + 1) * qd).forEach((v, i, row) => (row[i] = v * nopeTemperature(c, t)));
      let a = attention(q, k, v, T, c, layerWindow(c, l), c.attnSinks ? W.get(`${p}attn_sinks.weight`).w : undefined, layerChunk(c, l));
      if (c.deltaNet) a = sigmoidGateRef(a, linear(h, T, D, W.get(`${p}attn_q_gate.weight`), qd, opt)).y; // qwen35: the gated output
      if (ssmOut) x.forEach((v, i) => (x[i] = v + ssmOut[i])); // falcon-h1: the mixer's output beside attention's
      addOut(linear(a, T, qd, W.get(`${p}attn_output.weight`), D, opt, lbias('attn_output')), `${p}post_attention_norm.weight`);
    }
    // phi2, Cohere: the FFN reads attention's input; gptneox's parallel residual: the layer's input through ffn_norm
    const h2 = c.parallelBlock ? h : c.parallelResidual ? norm(x0, `${p}ffn_norm.weight`) : preNorm('ffn_norm.weight');
    if (isMoeLayer(c, l)) {
      addOut(moeFfn(W, c, p, h2, T, opt, x0), `${p}post_ffw_norm.weight`); // (no MoE graph has post-norms)
      continue;
    }
    const u = linear(h2, T, D, W.get(`${p}ffn_up.weight`), c.ffn, opt, lbias('ffn_up'));
    const act = (v: number) => (c.ffnAct === 'relu2' ? Math.max(v, 0) * v : c.ffnAct === 'gelu' ? gelu(v, !!opt.cpuActivations) : v / (1 + Math.exp(-v)));
    // arcee, starcoder2: no gate, act(up) (arcee's relu(up)^2)
    const g = c.ffnGateless ? u.map(act) : linear(h2, T, D, W.get(`${p}ffn_gate.weight`), c.ffn, opt, lbias('ffn_gate')); // (jais's gate biased)
    if (!c.ffnGateless) for (let i = 0; i < g.length; i++) g[i] = act(g[i]) * u[i];
    addOut(linear(g, T, c.ffn, W.get(`${p}ffn_down.weight`), D, opt, lbias('ffn_down')), `${p}post_ffw_norm.weight`);
  }
  const hf = norm(x, outputNormName(c));
  const z = linear(hf, T, D, W.get(c.tied ? 'token_embd.weight' : 'output.weight'), c.vocab, opt, c.outputBias ? W.get('output.bias').w : undefined);
  z.forEach((v, i) => (z[i] = v * logitScale(c)));
  if (c.softcap) z.forEach((v, i) => (z[i] = c.softcap!.final * Math.tanh(v / c.softcap!.final)));
  return z;
}

/**
 * A mixture-of-experts FFN (src/nn/llama_moe.ts) of h [T, D]: each row's chosen experts' SwiGLUs times their router
 * weights, summed; qwen2moe's shared SwiGLU times sigmoid(ffn_gate_inp_shexp . h) added, Granite's as it is (the
 * caller applies granite's residual scale to the sum).
 */
function moeFfn(W: Weights, c: LlamaConfig, p: string, h: Float64Array, T: number, opt: LlamaRefOptions, x0: Float64Array): Float64Array {
  const m = c.moe!;
  const D = c.dim;
  // gpt-oss: the router's bias, each expert's row of its stacks' biases, and its clamped SwiGLU
  const eb = (t: string, e: number, n: number) => (m.biases ? W.get(`${p}${t}.bias`).w.subarray(e * n, (e + 1) * n) : undefined);
  // (smallthinker's router reads the layer's input x0)
  const route = moeRouteRef(linear(m.routerOnInput ? x0 : h, T, D, W.get(`${p}ffn_gate_inp.weight`), m.experts, opt, m.biases ? W.get(`${p}ffn_gate_inp.bias`).w : undefined), { rows: T, experts: m.experts, used: m.used, norm: m.norm, gating: m.gating ?? 'softmax', ...(m.weightScale ? { scale: m.weightScale } : {}), ...(m.groups ? { groups: m.groups } : {}) }, m.selectionBias ? W.get(`${p}exp_probs_b.bias`).w : undefined);
  // expert e's [N, K] slice of a stack (a Q4_1 / Q5_1 stack's block mins too)
  const expert = (t: string, e: number, N: number, K: number): Weight => {
    const w = W.get(`${p}${t}.weight`);
    return { w: w.w.subarray(e * N * K, (e + 1) * N * K), type: w.type, mins: w.mins?.subarray((e * N * K) / 32, ((e + 1) * N * K) / 32) };
  };
  const swiglu = (row: Float64Array, gate: Weight, up: Weight, down: Weight, F: number, e = -1) => {
    const g = linear(row, 1, D, gate, F, opt, e >= 0 ? eb('ffn_gate_exps', e, F) : undefined);
    const u = linear(row, 1, D, up, F, opt, e >= 0 ? eb('ffn_up_exps', e, F) : undefined);
    if (c.ffnAct === 'swiglu_oai') for (let i = 0; i < F; i++) g[i] = swigluOai(g[i], u[i]);
    else if (c.ffnAct === 'relu') for (let i = 0; i < F; i++) g[i] = Math.max(g[i], 0) * u[i]; // smallthinker's ReGLU
    else for (let i = 0; i < F; i++) g[i] = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
    return linear(g, 1, F, down, D, opt, e >= 0 ? eb('ffn_down_exps', e, D) : undefined);
  };
  const out = new Float64Array(T * D);
  for (let t = 0; t < T; t++) {
    const row = h.subarray(t * D, (t + 1) * D);
    const o = out.subarray(t * D, (t + 1) * D);
    for (let e = 0; e < m.experts; e++) {
      const r = route[t * m.experts + e];
      if (r === 0) continue; // not one of the row's experts
      // llama4: the expert reads the row times its weight, and is added as it is
      const input = m.weightBeforeFfn ? row.map((v) => v * r) : row;
      const y = swiglu(input, expert('ffn_gate_exps', e, m.ffn, D), expert('ffn_up_exps', e, m.ffn, D), expert('ffn_down_exps', e, D, m.ffn), m.ffn, e);
      y.forEach((v, i) => (o[i] += (m.weightBeforeFfn ? 1 : r) * v));
    }
    if (m.sharedFfn) {
      // qwen2moe's gate sigmoid(ffn_gate_inp_shexp . h); Granite's shared expert is ungated
      const gate = sharedExpertGated(c) ? 1 / (1 + Math.exp(-linear(row, 1, D, W.get(`${p}ffn_gate_inp_shexp.weight`), 1, opt)[0])) : 1;
      const y = swiglu(row, W.get(`${p}ffn_gate_shexp.weight`), W.get(`${p}ffn_up_shexp.weight`), W.get(`${p}ffn_down_shexp.weight`), m.sharedFfn);
      y.forEach((v, i) => (o[i] += gate * v));
    }
  }
  return out;
}

/** Layer p's Mamba-2 mixer (src/ref/ssm.ts) of its normed input h [T, dim], from position 0, through ssm_out: [T, dim]. */
function ssmMixer(W: Weights, c: LlamaConfig, p: string, h: Float64Array, T: number, opt: LlamaRefOptions): Float64Array {
  const s = c.ssm!;
  const w = (t: string) => W.get(`${p}${t}`).w;
  const zx = linear(h, T, c.dim, W.get(`${p}ssm_in.weight`), ssmInProj(s), opt);
  const y = mamba2Ref(zx, T, s, { conv: w('ssm_conv1d.weight'), convBias: w('ssm_conv1d.bias'), dtBias: w('ssm_dt.bias'), A: w('ssm_a'), D: w('ssm_d'), norm: s.noNorm ? null : w('ssm_norm.weight') }, c.eps);
  return linear(y, T, s.inner, W.get(`${p}ssm_out.weight`), c.dim, opt);
}

/** Layer p's Gated DeltaNet (src/ref/delta_net.ts) of its normed input h [T, dim], from position 0, through ssm_out: [T, dim]. */
function deltaNetMixer(W: Weights, c: LlamaConfig, p: string, h: Float64Array, T: number, opt: LlamaRefOptions): Float64Array {
  const d = c.deltaNet!;
  const w = (t: string) => W.get(`${p}${t}`).w;
  const lin = (t: string, n: number) => linear(h, T, c.dim, W.get(`${p}${t}.weight`), n, opt);
  const v = d.vHeads * d.state;
  const y = deltaNetRef(lin('attn_qkv', deltaNetConvChannels(d)), lin('attn_gate', v), lin('ssm_beta', d.vHeads), lin('ssm_alpha', d.vHeads), T, d, { conv: w('ssm_conv1d.weight'), dtBias: w('ssm_dt.bias'), A: w('ssm_a'), norm: w('ssm_norm.weight') }, c.eps);
  return linear(y, T, v, W.get(`${p}ssm_out.weight`), c.dim, opt);
}

/** Softmax of each row of logits [T, V]. */
export function softmaxRows(logits: ArrayLike<number>, T: number, V: number): Float64Array {
  const p = new Float64Array(T * V);
  for (let t = 0; t < T; t++) {
    let mx = -Infinity;
    for (let i = 0; i < V; i++) mx = Math.max(mx, logits[t * V + i]);
    let s = 0;
    for (let i = 0; i < V; i++) s += p[t * V + i] = Math.exp(logits[t * V + i] - mx);
    for (let i = 0; i < V; i++) p[t * V + i] /= s;
  }
  return p;
}
