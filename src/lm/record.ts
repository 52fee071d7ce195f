// Records the Llama definition (src/nn/llama.ts) as GPU dispatches for one step shape (T tokens, all logits or the
// last row's): every operation becomes planned dispatches over f32 activation buffers, which are then assigned by
// liveness (a buffer is reused once its value's last reader has run) and bound once. The step replays the bound
// list in one compute pass and one submit; positions and token rows come from buffers written before each run.
import type { GpuContext } from '../gpu/context.js';
import type { Dispatch } from '../kernels/common.js';
import { planMatmulF32, planMatmulQ } from '../kernels/matmul.js';
import { moeDispatchTable, planMoeAdd, planMoeDispatch, planMoeRoute, type MoeDispatchEntry, type MoeGating } from '../kernels/moe_route.js';
import { parseExpertWeight } from '../nn/llama_moe.js';
import { planSsmConv, planSsmGateNorm, planSsmScan } from '../kernels/ssm.js';
import { planDeltaNet, planDeltaNetConv, planDeltaNetNorm } from '../kernels/delta_net.js';
import { deltaNetConvChannels } from '../nn/llama_delta_net.js';
import { planAttentionMerge, planAttentionSplit, planKvStore, planNormRows, planRopeAt, planShortConv, planSwiglu, type KvType } from '../kernels/lm.js';
import { planCopyRow, planEwAdd, planEwRowScale, planEwStrided, planEwUnary } from './record_plans.js';
import { attentionScale, layerCacheRows, layerChunk, layerWindow, type LlamaConfig } from '../nn/llama_config.js';
import type { LlamaOps } from '../nn/llama.js';
import type { LmWeight } from './weights.js';

/** An activation [rows, cols] f32. */
export interface Val {
  id: number;
  rows: number;
  cols: number;
}

export interface Op {
  label: string;
  ins: Val[];
  outs: Val[];
  plan: (buf: (v: Val) => GPUBuffer) => Promise<Dispatch[]>;
  /** An expert's op: its dispatches run indirectly, armed by the layer's moe_dispatch (no work where no row chose the expert). */
  gate?: { arm: MoeArm; expert: number };
  /** Planned after the other ops (its dispatches still run in its place): a layer's moe_dispatch, which needs the workgroups of the expert dispatches it arms. */
  late?: boolean;
}

/**
 * A mixture-of-experts layer's arming (moe_dispatch): the expert dispatches it controls, added as they are planned
 * (each one's index is its entry), and the buffers its late plan makes: the table and the indirect arguments.
 */
export interface MoeArm {
  entries: MoeDispatchEntry[];
  args?: GPUBuffer;
}

/** What a step reads and writes outside its temporaries. */
export interface StepResources {
  x: GPUBuffer; // [T, dim] token embeddings, written before each run
  pos: GPUBuffer; // i32 [T] positions
  ropeTable: GPUBuffer;
  /** The sliding-window layers' table (gemma3: their own base, unscaled; gemma2: the same as the others'). */
  ropeTableSwa?: GPUBuffer;
  /** mistral3: q's table (the global one times each position's attention temperature). */
  ropeTableQ?: GPUBuffer;
  kCache: GPUBuffer[];
  vCache: GPUBuffer[];
  /** lfm2: each short-convolution layer's conv state [taps - 1, dim] (the last rows' B * X; undefined on attention layers). */
  convState?: (GPUBuffer | undefined)[];
  /** The Mamba-2 models (granitehybrid, falcon-h1, nemotron_h, mamba2): each mixer layer's conv state [taps - 1, channels] and scan state [inner, N]. */
  ssmState?: ({ conv: GPUBuffer; scan: GPUBuffer } | undefined)[];
  /** qwen35: each Gated DeltaNet layer's conv state [taps - 1, channels] and recurrent state [vHeads, d, d]. */
  deltaNetState?: ({ conv: GPUBuffer; scan: GPUBuffer } | undefined)[];
  kvType: KvType;
  weights: Map<string, LmWeight>;
  vectors: Map<string, GPUBuffer>;
  /** dim f32 zeros (a LayerNorm's beta where the model has none). */
  zeros: GPUBuffer;
  /** llama4 (qkL2Norm), olmo (normNoWeight): max(dim, headDim) f32 ones, the weight of their weightless norms. */
  ones?: GPUBuffer;
  /** llama4 (nopeTemp): a rope table whose angle is 0 and magnitude the NoPE layers' temperature at each position. */
  ropeTableTemp?: GPUBuffer;
  /** Run every expert of a mixture-of-experts layer every step, chosen or not (a benchmark's baseline). Default false. */
  denseExperts?: boolean;
}

export interface StepShape {
  T: number;
  allLogits: boolean;
  ctxLen: number;
  /** The engine's largest step (a sliding-window layer's ring cache holds window + chunk - 1 rows). */
  chunk: number;
}

/** How many key splits attention uses: many for decode (one query: fill the GPU), few for a prefill chunk. */
export function attentionSplitKeys(T: number, ctxLen: number): { nSplit: number; splitKeys: number } {
  const nSplit = Math.max(1, Math.min(Math.ceil(ctxLen / 32), T === 1 ? 128 : 16));
  return { nSplit: Math.ceil(ctxLen / Math.ceil(ctxLen / nSplit)), splitKeys: Math.ceil(ctxLen / nSplit) };
}

/** The recording backend of the Llama definition. */
export class StepRecorder implements LlamaOps<Val> {
  readonly ops: Op[] = [];
  private next = 0;
  readonly input: Val;
  /** Buffers the ops' plans made (the arming tables and arguments): the step owns them. */
  readonly made: GPUBuffer[] = [];
  /** The arming of the mixture-of-experts layer being recorded (its router's). */
  private arm?: MoeArm;

  constructor(
    private ctx: GpuContext,
    private c: LlamaConfig,
    private r: StepResources,
    private s: StepShape,
  ) {
    this.input = this.val(s.T, c.dim);
  }

  val(rows: number, cols: number): Val {
    return { id: this.next++, rows, cols };
  }

  private vector(name: string): GPUBuffer {
    const b = this.r.vectors.get(name);
    if (!b) throw new Error(`model tensor '${name}' was not loaded`);
    return b;
  }

  private weight(name: string): LmWeight {
    const w = this.r.weights.get(name);
    if (!w) throw new Error(`model tensor '${name}' was not loaded`);
    return w;
  }

  embed(): Val {
    return this.input;
  }

  scale(x: Val, s: number): Val {
    const y = this.val(x.rows, x.cols);
    this.ops.push({ label: `scale ${s}`, ins: [x], outs: [y], plan: async (b) => [await planEwUnary(this.ctx, 'AFFINE', b(x), b(y), x.rows * x.cols, s)] });
    return y;
  }

  /** Command R+'s q / k norms: the LayerNorm kernel over each head's slice (ones, zeros), then a broadcast multiply by the [heads, hd] weight. */
  headLayerNorm(x: Val, weight: string, heads: number): Val {
    if (!this.r.ones) throw new Error('internal: a per-head LayerNorm without the engine\'s ones');
    const [rows, cols] = [x.rows * heads, x.cols / heads];
    const n = this.val(x.rows, x.cols);
    const stats = this.val(rows, 2);
    const [ones, zeros] = [this.r.ones, this.r.zeros];
    this.ops.push({ label: `layer_norm heads ${weight}`, ins: [x], outs: [n, stats], plan: async (b) => [await planNormRows(this.ctx, b(x), ones, b(n), { rows, cols, eps: this.c.eps, stats: b(stats), beta: zeros })] });
    const w = this.vector(weight);
    const y = this.val(x.rows, x.cols);
    this.ops.push({ label: `scale ${weight}`, ins: [n], outs: [y], plan: async (b) => [await planEwAdd(this.ctx, b(n), w, b(y), x.rows, x.cols, true, 'MUL')] });
    return y;
  }

  clamp(x: Val, c: number): Val {
    const y = this.val(x.rows, x.cols);
    this.ops.push({ label: `clamp ${c}`, ins: [x], outs: [y], plan: async (b) => [await planEwUnary(this.ctx, 'CLAMP', b(x), b(y), x.rows * x.cols, c)] });
    return y;
  }

  softcap(x: Val, cap: number): Val {
    const y = this.val(x.rows, x.cols);
    this.ops.push({ label: `softcap ${cap}`, ins: [x], outs: [y], plan: async (b) => [await planEwUnary(this.ctx, 'SOFTCAP', b(x), b(y), x.rows * x.cols, 1 / cap, cap)] });
    return y;
  }

  add(a: Val, c: Val): Val {
    if (a.rows !== c.rows || a.cols !== c.cols) throw new Error(`add: [${a.rows}, ${a.cols}] + [${c.rows}, ${c.cols}]`);
    const y = this.val(a.rows, a.cols);
    this.ops.push({ label: 'add', ins: [a, c], outs: [y], plan: async (b) => [await planEwAdd(this.ctx, b(a), b(c), b(y), a.rows, a.cols, false)] });
    return y;
  }

  rmsNorm(x: Val, weight: string, bias?: string): Val {
    const y = this.headNorm(x, weight, 1);
    if (!bias) return y;
    const b = this.vector(bias);
    const out = this.val(x.rows, x.cols);
    this.ops.push({ label: `bias ${bias}`, ins: [y], outs: [out], plan: async (p) => [await planEwAdd(this.ctx, p(y), b, p(out), x.rows, x.cols, true)] });
    return out;
  }

  /** LayerNorm; without a bias (Cohere's) the kernel's beta is the engine's zeros, without a weight (OLMo 1's) gamma its ones. */
  layerNorm(x: Val, weight: string | null, bias?: string): Val {
    const y = this.val(x.rows, x.cols);
    const stats = this.val(x.rows, 2); // (mean, rstd) per row: written by the kernel, read by no one here
    if (weight === null && !this.r.ones) throw new Error('internal: a weightless norm without the engine\'s ones');
    const [gamma, beta] = [weight === null ? this.r.ones! : this.vector(weight), bias ? this.vector(bias) : this.r.zeros];
    this.ops.push({ label: `layer_norm ${weight}`, ins: [x], outs: [y, stats], plan: async (b) => [await planNormRows(this.ctx, b(x), gamma, b(y), { rows: x.rows, cols: x.cols, eps: this.c.eps, stats: b(stats), beta })] });
    return y;
  }

  /** RMSNorm over each of `heads` equal slices of a row (1: the whole row): the kernel on [rows * heads, cols / heads]. */
  headNorm(x: Val, weight: string | null, heads: number): Val {
    const y = this.val(x.rows, x.cols);
    const stats = this.val(x.rows * heads, 2); // (mean, rstd) per row: written by the kernel, read by no one here
    if (weight === null && !this.r.ones) throw new Error('internal: a weightless norm without the engine\'s ones');
    const gamma = weight === null ? this.r.ones! : this.vector(weight);
    const rows = x.rows * heads;
    const cols = x.cols / heads;
    this.ops.push({ label: `rms_norm ${weight ?? '(no weight)'}`, ins: [x], outs: [y, stats], plan: async (b) => [await planNormRows(this.ctx, b(x), gamma, b(y), { rows, cols, eps: this.c.eps, stats: b(stats) })] });
    return y;
  }

  linear(x: Val, name: string, o: { bias?: string; residual?: Val } = {}): Val {
    const w = this.weight(name);
    if (w.K !== x.cols) throw new Error(`linear '${name}': x has ${x.cols} columns, the weight [${w.N}, ${w.K}] takes ${w.K}`);
    const y = this.val(x.rows, w.N);
    const bias = o.bias ? this.vector(o.bias) : undefined;
    const M = x.rows;
    const ins = o.residual ? [x, o.residual] : [x];
    // An expert's weight: its matmul runs only when a row chose the expert (the layer's arming).
    const ex = parseExpertWeight(name);
    // (gpt-oss's expert biases: in a quantized matmul's epilogue; after a float one, an ungated add whose rows of an
    // expert no row chose moe_add never reads)
    const gate = ex && this.arm && !o.residual ? { arm: this.arm, expert: ex.expert } : undefined;
    if (w.kind === 'quant') {
      this.ops.push({ label: `matmul ${name}`, ins, outs: [y], gate, plan: (b) => planMatmulQ(this.ctx, b(x), w.w, b(y), { M, xType: 'f32', bias, residual: o.residual ? b(o.residual) : undefined }) });
      return y;
    }
    // Float weights (f32, or F16 / BF16 read at 16 bits): the f32 matmul, one dispatch per shard writing its columns
    // of the product, then bias and residual as broadcast adds.
    const prod = bias || o.residual ? this.val(M, w.N) : y;
    const { N, K, bType } = w;
    this.ops.push({ label: `matmul_f32 ${name}`, ins: [x], outs: [prod], gate, plan: (b) => Promise.all(w.shards.map((s) => planMatmulF32(this.ctx, b(x), s.buf, b(prod), { M, N: s.n, K, transB: true, bType, ldc: N, c0: s.n0 }))) });
    let cur = prod;
    if (bias) {
      const nb = o.residual ? this.val(M, w.N) : y;
      const src = cur;
      this.ops.push({ label: `bias ${o.bias}`, ins: [src], outs: [nb], plan: async (b) => [await planEwAdd(this.ctx, b(src), bias, b(nb), M, w.N, true)] });
      cur = nb;
    }
    if (o.residual) {
      const res = o.residual;
      const src = cur;
      this.ops.push({ label: `residual ${name}`, ins: [src, res], outs: [y], plan: async (b) => [await planEwAdd(this.ctx, b(src), b(res), b(y), M, w.N, false)] });
    }
    return y;
  }

  ropeQK(layer: number, q: Val, k: Val): [Val, Val] {
    const c = this.c;
    const table = layerWindow(c, layer) > 0 ? this.r.ropeTableSwa! : this.r.ropeTable;
    // (MLA's q_pe and k_pe: heads of ropeDims, k_pe one head)
    for (const [x, heads, tbl] of [[q, c.mla ? q.cols / c.ropeDims : c.heads, this.r.ropeTableQ ?? table], [k, c.mla ? k.cols / c.ropeDims : c.kvHeads, table]] as const) {
      this.ops.push({
        label: 'rope',
        ins: [x],
        outs: [],
        plan: async (b) => [await planRopeAt(this.ctx, b(x), this.r.pos, tbl, { T: x.rows, heads, headDim: x.cols / heads, ropeDims: c.ropeDims, layout: c.ropeLayout, ctxMax: this.s.ctxLen })],
      });
    }
    return [q, k];
  }

  /** llama4's NoPE layers: each query row times its position's temperature (the rope kernel on the temperature table). */
  nopeTemperature(q: Val): Val {
    const c = this.c;
    const tbl = this.r.ropeTableTemp;
    if (!tbl) throw new Error('internal: a NoPE temperature without its table');
    this.ops.push({ label: 'nope temperature', ins: [q], outs: [], plan: async (b) => [await planRopeAt(this.ctx, b(q), this.r.pos, tbl, { T: q.rows, heads: c.heads, headDim: c.headDim, ropeDims: c.headDim, layout: 'norm', ctxMax: this.s.ctxLen })] });
    return q;
  }

  attention(layer: number, q: Val, k: Val, v: Val): Val {
    const c = this.c;
    const { T, ctxLen } = { T: q.rows, ctxLen: this.s.ctxLen };
    const { nSplit, splitKeys } = attentionSplitKeys(T, ctxLen);
    const part = this.val(T, c.heads * nSplit * (c.headDim + 2));
    const out = this.val(T, c.heads * c.headDim);
    const kc = this.r.kCache[layer];
    const vc = this.r.vCache[layer];
    // deepseek2's absorbed MLA: the values are the keys' rows (one cache, stored once: the engine's vCache is kCache)
    const shared = k === v;
    if (shared !== (kc === vc)) throw new Error(`internal: layer ${layer}'s values ${shared ? 'are' : 'are not'} its keys, its caches ${kc === vc ? 'one' : 'two'}`);
    const rowElems = c.kvHeads * c.headDim;
    const kvType = this.r.kvType;
    const { ring } = layerCacheRows(c, layer, ctxLen, this.s.chunk);
    const shape = { T, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, ctxMax: ctxLen, splitKeys, scale: attentionScale(c), kvType, window: layerWindow(c, layer), chunk: layerChunk(c, layer), softcap: c.softcap?.attn ?? 0, ring, alibi: c.alibi ?? 0 };
    this.ops.push({
      label: `attention ${layer}`,
      ins: [q, k, v],
      outs: [part],
      plan: async (b) => [
        await planKvStore(this.ctx, b(k), kc, this.r.pos, { T, rowElems, ctxMax: ctxLen, kvType, ring }),
        ...(shared ? [] : [await planKvStore(this.ctx, b(v), vc, this.r.pos, { T, rowElems, ctxMax: ctxLen, kvType, ring })]),
        await planAttentionSplit(this.ctx, b(q), kc, vc, this.r.pos, b(part), shape),
      ],
    });
    const sinks = c.attnSinks ? this.vector(`blk.${layer}.attn_sinks.weight`) : undefined; // gpt-oss's
    this.ops.push({ label: `attention_merge ${layer}`, ins: [part], outs: [out], plan: async (b) => [await planAttentionMerge(this.ctx, b(part), b(out), shape, sinks)] });
    return out;
  }

  /** Columns [from, from + width) of each head's slice of x's rows (a strided copy). */
  headSlice(x: Val, heads: number, from: number, width: number): Val {
    const y = this.val(x.rows, heads * width);
    const d = x.cols / heads;
    this.ops.push({ label: `head_slice ${from}+${width}`, ins: [x], outs: [y], plan: async (b) => [await planEwStrided(this.ctx, 'COPY', b(x), null, b(y), [x.rows, heads, width], [heads * d, d, 1], from)] });
    return y;
  }

  /** Each head's columns of a, then of b (the ew kernel's CONCAT along the head's last axis; b's one head read by every head: stride 0). */
  concatHeads(a: Val, c: Val, heads: number, bHeads = heads): Val {
    const [da, db] = [a.cols / heads, c.cols / bHeads];
    const y = this.val(a.rows, heads * (da + db));
    this.ops.push({ label: 'concat_heads', ins: [a, c], outs: [y], plan: async (b) => [await planEwStrided(this.ctx, 'CONCAT', b(a), b(c), b(y), [a.rows, heads, da + db], [heads * da, da, 1], 0, { sb: [bHeads * db, bHeads === 1 ? 0 : db, 1], split: da })] });
    return y;
  }

  /**
   * y_h = x_h W[h]^T for each head: head h's columns of x copied into a scratch [T, K], then its matmul writing y's
   * columns [h N, (h + 1) N) (the quantized kernels' yBlock, the f32 one's ldc / c0).
   */
  headLinear(x: Val, name: string, heads: number): Val {
    const ws = Array.from({ length: heads }, (_, h) => this.weight(`${name}[${h}]`));
    const { N, K } = ws[0];
    if (x.cols !== heads * K) throw new Error(`head linear '${name}': x has ${x.cols} columns, ${heads} heads of the weight [${N}, ${K}] take ${heads * K}`);
    const y = this.val(x.rows, heads * N);
    const xh = this.val(x.rows, K); // one head's slice at a time
    const M = x.rows;
    this.ops.push({
      label: `head_linear ${name}`,
      ins: [x],
      outs: [y, xh],
      plan: async (b) => {
        const ds: Dispatch[] = [];
        for (let h = 0; h < heads; h++) {
          const w = ws[h];
          ds.push(await planEwStrided(this.ctx, 'COPY', b(x), null, b(xh), [M, K], [heads * K, 1], h * K));
          if (w.kind === 'quant') ds.push(...(await planMatmulQ(this.ctx, b(xh), w.w, b(y), { M, xType: 'f32', yBlock: { ldy: heads * N, col0: h * N } })));
          else for (const sh of w.shards) ds.push(await planMatmulF32(this.ctx, b(xh), sh.buf, b(y), { M, N: sh.n, K, transB: true, bType: w.bType, ldc: heads * N, c0: h * N + sh.n0 }));
        }
        return ds;
      },
    });
    return y;
  }

  /** A Mamba-2 mixer (granitehybrid, falcon-h1, nemotron_h, mamba2): the convolution and the scan through the layer's states, then the gated group norm. */
  ssm(layer: number, zxbcdt: Val): Val {
    const c = this.c;
    const m = c.ssm!;
    const st = this.r.ssmState?.[layer];
    if (!st) throw new Error(`internal: layer ${layer} has no SSM state`);
    const T = zxbcdt.rows;
    const shape = { T, inner: m.inner, heads: m.heads, state: m.state, groups: m.groups, taps: m.taps };
    const xbc = this.val(T, m.inner + 2 * m.groups * m.state);
    const y = this.val(T, m.inner);
    const out = this.val(T, m.inner);
    const v = (t: string) => this.vector(`blk.${layer}.${t}`);
    this.ops.push({ label: `ssm_conv ${layer}`, ins: [zxbcdt], outs: [xbc], plan: async (b) => [await planSsmConv(this.ctx, b(zxbcdt), v('ssm_conv1d.weight'), v('ssm_conv1d.bias'), st.conv, this.r.pos, b(xbc), shape)] });
    this.ops.push({ label: `ssm_scan ${layer}`, ins: [xbc, zxbcdt], outs: [y], plan: async (b) => [await planSsmScan(this.ctx, b(xbc), b(zxbcdt), v('ssm_dt.bias'), v('ssm_a'), v('ssm_d'), st.scan, this.r.pos, b(y), shape)] });
    this.ops.push({ label: `ssm_gate_norm ${layer}`, ins: [zxbcdt, y], outs: [out], plan: async (b) => [await planSsmGateNorm(this.ctx, b(zxbcdt), b(y), m.noNorm ? null : v('ssm_norm.weight'), b(out), { ...shape, eps: c.eps })] });
    return out;
  }

  /** qwen35's Gated DeltaNet: the convolution and the recurrence through the layer's states, then the per-head norm and gate. */
  deltaNet(layer: number, qkv: Val, z: Val, beta: Val, alpha: Val): Val {
    const c = this.c;
    const d = c.deltaNet!;
    const st = this.r.deltaNetState?.[layer];
    if (!st) throw new Error(`internal: layer ${layer} has no Gated DeltaNet state`);
    const T = qkv.rows;
    const shape = { T, kHeads: d.kHeads, vHeads: d.vHeads, d: d.state, taps: d.taps, ...(d.kRepeat ? { kRepeat: true } : {}) };
    const conv = this.val(T, deltaNetConvChannels(d));
    const y = this.val(T, d.vHeads * d.state);
    const out = this.val(T, d.vHeads * d.state);
    const v = (t: string) => this.vector(`blk.${layer}.${t}`);
    this.ops.push({ label: `delta_net_conv ${layer}`, ins: [qkv], outs: [conv], plan: async (b) => [await planDeltaNetConv(this.ctx, b(qkv), v('ssm_conv1d.weight'), st.conv, this.r.pos, b(conv), shape)] });
    this.ops.push({ label: `delta_net ${layer}`, ins: [conv, beta, alpha], outs: [y], plan: async (b) => [await planDeltaNet(this.ctx, b(conv), b(beta), b(alpha), v('ssm_dt.bias'), v('ssm_a'), st.scan, this.r.pos, b(y), { ...shape, eps: c.eps })] });
    this.ops.push({ label: `delta_net_norm ${layer}`, ins: [z, y], outs: [out], plan: async (b) => [await planDeltaNetNorm(this.ctx, b(z), b(y), v('ssm_norm.weight'), b(out), { T, vHeads: d.vHeads, d: d.state, eps: c.eps })] });
    return out;
  }

  sigmoidGate(x: Val, gate: Val): Val {
    const y = this.val(x.rows, x.cols);
    this.ops.push({ label: 'sigmoid_gate', ins: [x, gate], outs: [y], plan: async (b) => [await planSwiglu(this.ctx, b(gate), b(x), b(y), x.rows * x.cols, 'sigmoid')] });
    return y;
  }

  shortConv(layer: number, bcx: Val): Val {
    const dim = bcx.cols / 3;
    const y = this.val(bcx.rows, dim);
    const w = this.vector(`blk.${layer}.shortconv.conv.weight`);
    const state = this.r.convState?.[layer];
    if (!state) throw new Error(`internal: layer ${layer} has no conv state`);
    const taps = this.c.shortConv!.taps;
    this.ops.push({ label: `short_conv ${layer}`, ins: [bcx], outs: [y], plan: async (b) => [await planShortConv(this.ctx, b(bcx), w, state, this.r.pos, b(y), { T: bcx.rows, dim, taps })] });
    return y;
  }

  glu(gate: Val, up: Val): Val {
    const y = this.val(gate.rows, gate.cols);
    const act = this.c.ffnAct;
    if (act === 'relu2') throw new Error(`glu: relu2 is gateless (act)`);
    // (an expert's SwiGLU is not armed: a few elements a row, it costs less than an indirect dispatch on SwiftShader;
    // an expert no row chose makes it read stale values, which moe_add never adds)
    this.ops.push({ label: act === 'gelu' ? 'geglu' : act === 'swiglu_oai' ? 'swiglu_oai' : act === 'relu' ? 'reglu' : 'swiglu', ins: [gate, up], outs: [y], plan: async (b) => [await planSwiglu(this.ctx, b(gate), b(up), b(y), gate.rows * gate.cols, act)] });
    return y;
  }

  /** relu2: the ReGLU kernel with gate = up = x (relu(x) * x); gelu, silu: ew.wgsl's unary kernels. */
  act(x: Val): Val {
    const y = this.val(x.rows, x.cols);
    const act = this.c.ffnAct;
    const n = x.rows * x.cols;
    this.ops.push({ label: act === 'relu2' ? 'relu^2' : act, ins: [x], outs: [y], plan: async (b) => [act === 'relu2' ? await planSwiglu(this.ctx, b(x), b(x), b(y), n, 'relu') : await planEwUnary(this.ctx, act === 'gelu' ? 'GELU' : 'SILU', b(x), b(y), n, 0)] });
    return y;
  }

  /**
   * The router's weights; an experts' router (more than one column) also starts its layer's arming: a late-planned
   * moe_dispatch right after it, which arms the expert matmuls recorded next (linear tags them) from these
   * weights. `bias`: the selection bias vector (lfm2moe).
   */
  route(logits: Val, o: { used: number; norm: boolean; gating: MoeGating; scale?: number; bias?: string; groups?: { count: number; used: number } }): Val {
    const y = this.val(logits.rows, logits.cols);
    const { bias, ...rest } = o;
    const s = { rows: logits.rows, experts: logits.cols, ...rest };
    const selBias = bias ? this.vector(bias) : undefined;
    this.ops.push({ label: `moe_route ${o.gating}`, ins: [logits], outs: [y], plan: async (b) => [await planMoeRoute(this.ctx, b(logits), b(y), s, selBias)] });
    // (qwen2moe's shared-expert gate is a router of one column: nothing to arm)
    if (logits.cols === 1 || this.r.denseExperts) return y;
    const arm: MoeArm = { entries: [] };
    this.arm = arm;
    this.ops.push({
      label: 'moe_dispatch',
      ins: [y],
      outs: [],
      late: true,
      plan: async (b) => {
        const table = this.ctx.createBuffer(moeDispatchTable(arm.entries), undefined, 'moe dispatch table');
        arm.args = this.ctx.createBuffer(12 * arm.entries.length, GPUBufferUsage.STORAGE | GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_SRC, 'moe dispatch args');
        this.made.push(table, arm.args);
        return [await planMoeDispatch(this.ctx, b(y), table, arm.args, { rows: s.rows, experts: s.experts, count: arm.entries.length })];
      },
    });
    return y;
  }

  expertAdd(acc: Val, x: Val, w: Val, col: number, unit = false): Val {
    if (acc.rows !== x.rows || acc.cols !== x.cols || w.rows !== x.rows || !(col >= 0 && col < w.cols)) throw new Error(`expertAdd: acc [${acc.rows}, ${acc.cols}] + x [${x.rows}, ${x.cols}] by column ${col} of w [${w.rows}, ${w.cols}]`);
    const y = this.val(x.rows, x.cols);
    const s = { rows: x.rows, cols: x.cols, wCols: w.cols, col, unit };
    this.ops.push({ label: `moe_add ${col}`, ins: [acc, x, w], outs: [y], plan: async (b) => [await planMoeAdd(this.ctx, b(acc), b(x), b(w), b(y), s)] });
    return y;
  }

  /** x times column col of w a row (the ew kernel's MUL, w read through a stride of 0 along the columns). */
  rowScale(x: Val, w: Val, col: number): Val {
    if (w.rows !== x.rows || !(col >= 0 && col < w.cols)) throw new Error(`rowScale: x [${x.rows}, ${x.cols}] by column ${col} of w [${w.rows}, ${w.cols}]`);
    const y = this.val(x.rows, x.cols);
    this.ops.push({ label: `row_scale ${col}`, ins: [x, w], outs: [y], plan: async (b) => [await planEwRowScale(this.ctx, b(x), b(w), b(y), x.rows, x.cols, w.cols, col)] });
    return y;
  }

  outputRows(x: Val): Val {
    if (this.s.allLogits || x.rows === 1) return x;
    const y = this.val(1, x.cols);
    this.ops.push({ label: 'last row', ins: [x], outs: [y], plan: async (b) => [await planCopyRow(this.ctx, b(x), b(y), x.rows - 1, x.cols)] });
    return y;
  }
}
