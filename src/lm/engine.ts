// The inference engine of a Llama-family GGUF model: its weights on the GPU in their blocks, a KV cache per layer,
// and one recorded step per shape (T tokens; all logits, the last row's, or its argmax) that runs as one compute
// pass and one submit. Only the token rows (decoded on the CPU from the embedding's blocks), the positions and the
// step's result travel: the sampled id (4 bytes) when the GPU picks greedily, the top candidates of the last row
// when sampling with top-k (planTopK: a few hundred bytes whatever the vocabulary), else the last row's logits.
import type { GpuContext } from '../gpu/context.js';
import type { BoundKernel, Workgroups } from '../gpu/kernel.js';
import { formatBytes } from '../io/gguf.js';
import { kvCacheBytes, planArgmaxRows, planTopK, ropeTable, topKGroups, topKPartWords, topKWords, type KvType } from '../kernels/lm.js';
import { llamaForward } from '../nn/llama.js';
import { attentionTemperature, isConvLayer, isHeadNormMatrix, nopeTemperature, isRopeFactors, isShortConvKernel, layerCacheRows, POSITION_EMBD, swaRopeScaling, layerWindow, ModelConfigError, ropeFactors, ropeFactorsTensor, type LlamaConfig } from '../nn/llama_config.js';
import { StepRecorder, type StepResources } from './record.js';
import { assignBuffers, planOps, type IndirectArgs } from './record_schedule.js';
import { checkWeightFits, checkWeightType, destroyWeight, EmbeddingRows, estimateGpuBytes, floatValues, uploadExperts, uploadVector, uploadWeight, type LmWeight, type TensorSource } from './weights.js';
import { expertWeight, isExpertBias, isSharedExpertGate } from '../nn/llama_moe.js';
import { isSsmVector } from '../nn/llama_ssm.js';
import { mlaSharedKv } from '../nn/llama_mla.js';
import { deltaNetConvChannels } from '../nn/llama_delta_net.js';

/** { top, nPen }: the last row's `top` largest logits and the logits at up to nPen given ids (planTopK), for sampling. */
export type StepOutput = 'all' | 'last' | 'argmax' | { top: number; nPen: number };

/** What a 'topk' step gives back: the first NaN / +Inf (index vocab: none), the m best (sorted) and the gathered logits. */
export interface TopCandidates {
  bad: { index: number; value: number };
  ids: number[];
  logits: number[];
  gathered: number[];
}

const outKey = (out: StepOutput) => (typeof out === 'string' ? out : `top${out.top}:${out.nPen}`);

/** Prefill step shapes kept recorded at once (decode shapes are always kept). */
export const MAX_PREFILL_SHAPES = 4;

function freeStep(st: Step): void {
  st.bound.forEach(({ b }) => b.dispose());
  st.temps.forEach((b) => b.destroy());
}

interface Step {
  T: number;
  out: StepOutput;
  /** indirect: an expert's dispatch, its workgroups read from its layer's arming (src/lm/record_schedule.ts planOps). */
  bound: { b: BoundKernel; wg: Workgroups; label: string; indirect?: IndirectArgs }[];
  temps: GPUBuffer[];
  result: GPUBuffer;
  resultBytes: number;
  staging: GPUBuffer;
  /** 'topk': the ids whose logits are gathered, [count, ids...] (u32), written before each run. */
  pen?: GPUBuffer;
}

export interface EngineOptions {
  /** Context length of the KV cache (default: the model's, at most 2048). */
  ctxLen?: number;
  /** The KV cache's element type: f16 (pairs in u32 words; half the memory and bandwidth) or f32. Default: f16 where
   *  the adapter has shader-f16 (a GPU), else f32. */
  kvType?: KvType;
  /** Tokens per prefill step (default 64). */
  chunk?: number;
  /** Refuse to load when the estimate exceeds this many bytes (default: no budget; WebGPU does not report memory). */
  memoryBudget?: number;
  onProgress?: (p: { loaded: number; total: number; tensor: string }) => void;
  /** LanguageModel.load: record and compile the decode and prefill steps before returning (default true). */
  warmup?: boolean;
  /** Mixture-of-experts models: run every expert every step, chosen or not (bench/generate-node.ts's baseline; default false). */
  denseExperts?: boolean;
}

export class LlamaEngine {
  private steps = new Map<string, Step>();
  private disposed = false;
  /** Dispatches and submits of the last step run. */
  lastDispatches = 0;
  /** Of those, the mixture-of-experts dispatches armed by the router (they do work only where a token chose their expert). */
  lastArmedDispatches = 0;

  private constructor(
    readonly ctx: GpuContext,
    readonly config: LlamaConfig,
    readonly ctxLen: number,
    readonly chunk: number,
    private res: StepResources & { xBytes: number },
    readonly embedding: EmbeddingRows,
    readonly weightBytes: number,
    /** gpt2's learned position embeddings (position_embd.weight), on the CPU as the token embedding is. */
    readonly positions?: EmbeddingRows,
  ) {}

  /** The step's input rows: the tokens' embeddings, plus gpt2's position rows pos0.. (an f32 add, as llama.cpp's). */
  private stepEmbeddings(ids: readonly number[], pos0: number): Float32Array {
    const x = this.embedding.rows(ids);
    if (!this.positions) return x;
    const p = this.positions.rows(Array.from({ length: ids.length }, (_, i) => pos0 + i));
    for (let i = 0; i < x.length; i++) x[i] += p[i];
    return x;
  }

  /** Uploads every tensor the config names (checked before any upload: types, then the size estimate). */
  static async load(ctx: GpuContext, src: TensorSource, c: LlamaConfig, o: EngineOptions = {}): Promise<LlamaEngine> {
    const ctxLen = o.ctxLen ?? Math.min(c.ctx, 2048);
    if (!Number.isInteger(ctxLen) || ctxLen < 1 || ctxLen > c.ctx) throw new ModelConfigError(`context length ${ctxLen} must be an integer in [1, ${c.ctx}] (the model's context_length)`);
    const chunk = Math.min(o.chunk ?? 64, ctxLen);
    const kvType: KvType = o.kvType ?? (ctx.caps.shaderF16 ? 'f16' : 'f32');
    const infos = src.tensors as readonly { name: string; type: string; shape: number[] }[];
    for (const t of infos) {
      if (t.shape.length < 2) continue;
      checkWeightType(t.name, t.type);
      // An untied embedding stays on the CPU; every other 2D weight is uploaded whole or in shards (a stack of
      // experts [E, N, K] as E weights).
      if (t.name !== 'token_embd.weight' || c.tied) checkWeightFits(ctx, t.name, t.type, t.shape[t.shape.length - 2], t.shape[t.shape.length - 1]);
    }
    const est = estimateGpuBytes(c, infos, ctxLen, chunk, kvType);
    if (o.memoryBudget !== undefined && est.total > o.memoryBudget) {
      throw new ModelConfigError(`the model needs about ${formatBytes(est.total)} of GPU memory (weights ${formatBytes(est.weights)}, KV cache ${formatBytes(est.kv)} for ${ctxLen} tokens, scratch ${formatBytes(est.scratch)}); the budget is ${formatBytes(o.memoryBudget)}`);
    }
    const maxBuf = Math.min(ctx.limits.maxBufferSize, ctx.limits.maxStorageBufferBindingSize);
    const kvBytes = kvCacheBytes(ctxLen, c.kvHeads * c.headDim, kvType); // a global layer's (a sliding one's ring is smaller)
    if (kvBytes > maxBuf) throw new ModelConfigError(`a layer's KV cache of ${ctxLen} tokens takes ${formatBytes(kvBytes)}, over the adapter's binding limit of ${formatBytes(maxBuf)}: use a shorter context`);
    const owned: GPUBuffer[] = [];
    const weights = new Map<string, LmWeight>();
    const vectors = new Map<string, GPUBuffer>();
    try {
      const names = infos.map((t) => t.name);
      let loaded = 0;
      const progress = (tensor: string) => o.onProgress?.({ loaded: ++loaded, total: names.length, tensor });
      let embedding: EmbeddingRows | null = null;
      let positions: EmbeddingRows | undefined; // gpt2's learned position rows, added on the CPU as the token rows are gathered
      let freqs: Float32Array | undefined;
      const factorsName = ropeFactorsTensor(c, ctxLen);
      for (const t of infos) {
        if (t.name === 'token_embd.weight') {
          const e = await src.tensor(t.name);
          embedding = new EmbeddingRows(t.name, e.type, e.data, c.vocab, c.dim);
          if (c.tied) weights.set(t.name, await uploadWeight(ctx, { tensors: [], tensor: async () => e }, t.name, c.vocab, c.dim));
        } else if (t.name === POSITION_EMBD) {
          const e = await src.tensor(t.name);
          positions = new EmbeddingRows(t.name, e.type, e.data, c.ctx, c.dim);
        } else if (t.name === factorsName) {
          freqs = floatValues(await src.tensor(t.name), c.ropeDims / 2);
        } else if (isRopeFactors(t.name)) {
          // phi3's other LongRoPE set: unused at this context length
        } else if (t.shape.length === 3) {
          for (const [name, w] of await uploadExperts(ctx, src, t.name, t.shape)) weights.set(name, w);
        } else if (isExpertBias(t.name)) {
          // gpt-oss's experts' biases [E, n]: a vector an expert (its row), as the expert's matmul binds it
          const [E, n] = t.shape;
          const rows = floatValues(await src.tensor(t.name), E * n);
          for (let e = 0; e < E; e++) {
            const b = ctx.createBuffer(rows.subarray(e * n, (e + 1) * n), undefined, expertWeight(t.name, e));
            owned.push(b);
            vectors.set(expertWeight(t.name, e), b);
          }
        } else if (isSharedExpertGate(t.name)) {
          weights.set(t.name, await uploadWeight(ctx, src, t.name, 1, c.dim)); // qwen2moe's gate vector as a Linear [1, dim]
        } else if (t.shape.length === 2 && !isShortConvKernel(t.name) && !isSsmVector(t.name) && !isHeadNormMatrix(t.name)) {
          weights.set(t.name, await uploadWeight(ctx, src, t.name, t.shape[0], t.shape[1]));
        } else {
          const b = await uploadVector(ctx, src, t.name, t.shape.reduce((a, d) => a * d, 1)); // lfm2's conv kernels [dim, taps] too
          owned.push(b);
          vectors.set(t.name, b);
        }
        progress(t.name);
      }
      if (!embedding) throw new ModelConfigError(`tensor 'token_embd.weight' is missing`);
      const mk = (bytes: number, label: string) => {
        const b = ctx.createBuffer(bytes, undefined, label);
        owned.push(b);
        return b;
      };
      const layerKv = (l: number) => Math.max(16, kvCacheBytes(layerCacheRows(c, l, ctxLen, chunk).rows, c.kvHeads * c.headDim, kvType)); // (a conv layer's: unused)
      const kCache = Array.from({ length: c.layers }, (_, l) => mk(layerKv(l), `k cache ${l}`));
      // (deepseek2's absorbed MLA reads its values from the keys' rows: one cache a layer, as llama.cpp keeps it)
      const vCache = mlaSharedKv(c) ? kCache : Array.from({ length: c.layers }, (_, l) => mk(layerKv(l), `v cache ${l}`));
      // the Mamba-2 mixers' layers: a conv state and a scan state each (zeroed at creation; a step at position 0 ignores them)
      const sm = c.ssm;
      const ssmState = sm ? Array.from({ length: c.layers }, (_, l) => (sm.layers[l] ? { conv: mk(4 * (sm.taps - 1) * (sm.inner + 2 * sm.groups * sm.state), `ssm conv state ${l}`), scan: mk(4 * sm.inner * sm.state, `ssm state ${l}`) } : undefined)) : undefined;
      // qwen35's Gated DeltaNet layers: a conv state and a recurrent state each
      const dn = c.deltaNet;
      const deltaNetState = dn ? Array.from({ length: c.layers }, (_, l) => (dn.layers[l] ? { conv: mk(4 * (dn.taps - 1) * deltaNetConvChannels(dn), `delta net conv state ${l}`), scan: mk(4 * dn.vHeads * dn.state * dn.state, `delta net state ${l}`) } : undefined)) : undefined;
      const convState = c.shortConv ? Array.from({ length: c.layers }, (_, l) => (isConvLayer(c, l) ? mk(4 * (c.shortConv!.taps - 1) * c.dim, `conv state ${l}`) : undefined)) : undefined;
      const table = mk(4 * ctxLen * c.ropeDims, 'rope table');
      const rf = ropeFactors(c, freqs); // the file's factors, YaRN's, and the attention factor
      ctx.write(table, ropeTable(ctxLen, c.ropeDims, c.ropeBase, rf.factors, c.ropeScale ?? 1, rf.mscale));
      // The sliding-window layers' table: gemma3's own (base 10000, unscaled); OLMo 3's without YaRN or factors
      // (swaRopeScaling); gemma2's and EXAONE 4.0 32B's the same as the others'.
      let tableSwa: GPUBuffer | undefined;
      const sw = swaRopeScaling(c, rf);
      if (c.swa && c.swa.ropeBase === c.ropeBase && c.swa.ropeScale === (c.ropeScale ?? 1) && sw === rf) tableSwa = table;
      else if (c.swa) {
        tableSwa = mk(4 * ctxLen * c.ropeDims, 'rope table (sliding-window layers)');
        ctx.write(tableSwa, ropeTable(ctxLen, c.ropeDims, c.swa.ropeBase, sw.factors, c.swa.ropeScale, sw.mscale));
      }
      // mistral3's query temperature: q's table is the global one with position p's cos and sin times its factor
      // (RoPE is linear, so this is the rotation followed by the scaling, as llama.cpp does; whole heads rotate).
      let tableQ: GPUBuffer | undefined;
      if (c.attnTemperature) {
        if (c.swa || c.ropeDims !== c.headDim) throw new ModelConfigError(`model config: the attention temperature needs whole-head RoPE on every layer (no sliding-window layers)`);
        tableQ = mk(4 * ctxLen * c.ropeDims, 'rope table (queries, with their temperature)');
        ctx.write(tableQ, ropeTable(ctxLen, c.ropeDims, c.ropeBase, rf.factors, c.ropeScale ?? 1, rf.mscale, (p) => attentionTemperature(c, p)));
      }
      const xBytes = 4 * chunk * c.dim;
      const zeros = mk(4 * c.dim, 'lm zeros'); // created zeroed (WebGPU's guarantee)
      const nOnes = Math.max(c.dim, c.headDim);
      const ones = c.qkL2Norm || c.normNoWeight || c.qkHeadLayerNorm ? mk(4 * nOnes, 'lm ones') : undefined; // (llama4's weightless q / k norms, OLMo 1's norms)
      if (ones) ctx.write(ones, new Float32Array(nOnes).fill(1));
      // llama4's NoPE layers: the query at p times its temperature, as a rotation table of angle 0 (cos = the factor,
      // sin = 0) over whole heads
      let tableTemp: GPUBuffer | undefined;
      if (c.nopeTemp) {
        if (c.ropeDims !== c.headDim) throw new ModelConfigError(`model config: the NoPE layers' temperature needs whole-head RoPE dims`);
        tableTemp = mk(4 * ctxLen * c.headDim, 'rope table (NoPE temperature)');
        const t = new Float32Array(ctxLen * c.headDim);
        for (let p = 0; p < ctxLen; p++) for (let i = 0; i < c.headDim / 2; i++) t[p * c.headDim + 2 * i] = nopeTemperature(c, p);
        ctx.write(tableTemp, t);
      }
      const res = { zeros, ...(ones ? { ones } : {}), ...(tableTemp ? { ropeTableTemp: tableTemp } : {}), x: mk(xBytes, 'lm x'), pos: mk(4 * chunk, 'lm positions'), ropeTable: table, ...(tableSwa ? { ropeTableSwa: tableSwa } : {}), ...(tableQ ? { ropeTableQ: tableQ } : {}), kCache, vCache, ...(convState ? { convState } : {}), ...(ssmState ? { ssmState } : {}), ...(deltaNetState ? { deltaNetState } : {}), kvType, weights, vectors, xBytes, ...(o.denseExperts ? { denseExperts: true } : {}) };
      const wBytes = [...weights.values()].reduce((s, w) => s + w.bytes, 0) + [...vectors.values()].reduce((s, b) => s + b.size, 0);
      const eng = new LlamaEngine(ctx, c, ctxLen, chunk, res, embedding, wBytes, positions);
      eng.owned = owned;
      return eng;
    } catch (e) {
      for (const w of weights.values()) destroyWeight(w);
      owned.forEach((b) => b.destroy());
      throw e;
    }
  }

  private owned: GPUBuffer[] = [];
  /** The tokens whose K and V sit in the cache at positions 0.. (what a step wrote and read back without error). */
  private cached: number[] = [];
  /** One past the highest position written since the last step from position 0 (what a ring cache may have overwritten). */
  private written = 0;
  /** lfm2 and the Mamba-2 models: one past the last position the conv (and scan) states have seen (the next step must start there, or at 0). */
  private convAt = 0;

  /**
   * Whether a step may start at pos0 with the keys and values of positions before it as the cache holds them: always,
   * but where a sliding-window layer keeps a ring (layerCacheRows) and a later position already overwrote a row that
   * pos0's window still reads (going back more than the ring's slack: ring - window + 1 positions).
   */
  canResumeAt(pos0: number): boolean {
    if (pos0 === 0) return true;
    // lfm2's conv state and the Mamba-2 states hold the rows before convAt only: they cannot go back, nor skip ahead.
    if ((this.config.shortConv || this.config.ssm || this.config.deltaNet) && pos0 !== this.convAt) return false;
    if (pos0 >= this.written) return true;
    for (let l = 0; l < this.config.layers; l++) {
      const { ring } = layerCacheRows(this.config, l, this.ctxLen, this.chunk);
      if (ring > 0 && this.written - pos0 > ring - layerWindow(this.config, l) + 1) return false;
    }
    return true;
  }

  /** The tokens at the cache's positions 0..n-1, in order: a new prompt that starts with them need not prefill them again. */
  get cachedTokens(): readonly number[] {
    return this.cached;
  }

  /** GPU bytes held: weights, KV cache, rope table and every recorded step's buffers. */
  get gpuBytes(): number {
    let n = [...this.res.weights.values()].reduce((s, w) => s + w.bytes, 0);
    n += this.owned.reduce((s, b) => s + b.size, 0);
    for (const st of this.steps.values()) n += st.temps.reduce((s, b) => s + b.size, 0) + st.result.size;
    return n;
  }

  private async record(T: number, out: StepOutput): Promise<Step> {
    const c = this.config;
    const rec = new StepRecorder(this.ctx, c, this.res, { T, allLogits: out === 'all', ctxLen: this.ctxLen, chunk: this.chunk });
    const logits = llamaForward(c, rec);
    const fixed = new Map([[rec.input.id, this.res.x]]);
    const { buf, temps } = assignBuffers(this.ctx, rec.ops, fixed, [logits]);
    try {
      const ds = await planOps(rec, buf).finally(() => temps.push(...rec.made)); // (the armings' buffers: freed with the step)
      let result = buf(logits);
      let resultBytes = 4 * logits.rows * logits.cols;
      let pen: GPUBuffer | undefined;
      if (out === 'argmax') {
        result = this.ctx.createBuffer(4, undefined, 'lm argmax');
        temps.push(result);
        ds.push({ d: await planArgmaxRows(this.ctx, buf(logits), result, { rows: 1, cols: c.vocab }), label: 'argmax' });
        resultBytes = 4;
      } else if (typeof out === 'object') {
        const words = topKWords(out.top, out.nPen);
        result = this.ctx.createBuffer(4 * words, undefined, 'lm top-k');
        pen = this.ctx.createBuffer(4 * (1 + out.nPen), undefined, 'lm top-k ids');
        temps.push(result, pen);
        const groups = topKGroups(this.ctx, c.vocab);
        const part = groups > 1 ? this.ctx.createBuffer(4 * topKPartWords(groups, out.top), undefined, 'lm top-k lists') : undefined;
        if (part) temps.push(part);
        for (const d of await planTopK(this.ctx, buf(logits), pen, result, { cols: c.vocab, row: logits.rows - 1, m: out.top, nPen: out.nPen }, part)) ds.push({ d, label: 'top-k' });
        resultBytes = 4 * words;
      }
      const staging = this.ctx.buffer({ size: Math.ceil(resultBytes / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'lm readback' });
      temps.push(staging);
      const bound = ds.map(({ d, label, indirect }) => ({ b: d.kernel.bind(d.args), wg: d.workgroups, label, ...(indirect ? { indirect: indirect() } : {}) }));
      return { T, out, bound, temps, result, resultBytes, staging, ...(pen ? { pen } : {}) };
    } catch (e) {
      temps.forEach((b) => b.destroy());
      throw e;
    }
  }

  /**
   * The recorded step of a shape. Decode shapes (T = 1) stay; prefill shapes are kept for the last
   * MAX_PREFILL_SHAPES lengths used and freed after, so prompts of many lengths do not make memory grow.
   */
  private async stepFor(T: number, out: StepOutput): Promise<Step> {
    const key = `${T}:${outKey(out)}`;
    let st = this.steps.get(key);
    if (st) {
      this.steps.delete(key); // re-insert: most recently used last
      this.steps.set(key, st);
      return st;
    }
    st = await this.record(T, out);
    this.steps.set(key, st);
    const prefill = [...this.steps.entries()].filter(([, x]) => x.T > 1);
    for (const [k, old] of prefill.slice(0, Math.max(0, prefill.length - MAX_PREFILL_SHAPES))) {
      this.steps.delete(k);
      freeStep(old);
    }
    return st;
  }

  /** Records (and compiles the kernels of) the shapes generation uses first, so the first token pays no compile. */
  async warmup(): Promise<void> {
    await this.stepFor(1, 'argmax');
    await this.stepFor(1, 'last');
    await this.stepFor(this.chunk, 'argmax');
  }

  /**
   * Runs the model on `ids` at positions pos0.. (their K and V join the cache): 'all' gives logits [T, vocab],
   * 'last' the last row's [vocab], 'argmax' its greedy id, { top, nPen } its `top` best logits and those at `gather`
   * (at most nPen ids below the vocabulary). T is at most `chunk`.
   */
  async step(ids: readonly number[], pos0: number, out: 'all' | 'last'): Promise<Float32Array>;
  async step(ids: readonly number[], pos0: number, out: 'argmax'): Promise<number>;
  async step(ids: readonly number[], pos0: number, out: { top: number; nPen: number }, gather: readonly number[]): Promise<TopCandidates>;
  async step(ids: readonly number[], pos0: number, out: StepOutput, gather?: readonly number[]): Promise<Float32Array | number | TopCandidates>;
  async step(ids: readonly number[], pos0: number, out: StepOutput, gather: readonly number[] = []): Promise<Float32Array | number | TopCandidates> {
    if (this.disposed) throw new Error('the language model was disposed');
    const T = ids.length;
    if (T < 1 || T > this.chunk) throw new RangeError(`a step takes 1..${this.chunk} tokens, got ${T}`);
    if (pos0 < 0 || pos0 + T > this.ctxLen) throw new RangeError(`positions ${pos0}..${pos0 + T - 1} exceed the context of ${this.ctxLen} tokens`);
    if (typeof out === 'object') {
      if (gather.length > out.nPen) throw new RangeError(`top-k step: ${gather.length} ids to gather, the step takes ${out.nPen}`);
      const badId = gather.find((id) => !(Number.isInteger(id) && id >= 0 && id < this.config.vocab));
      if (badId !== undefined) throw new RangeError(`top-k step: id ${badId} is not below the vocabulary size ${this.config.vocab}`);
    }
    if (!this.canResumeAt(pos0)) {
      if ((this.config.shortConv || this.config.ssm || this.config.deltaNet) && pos0 !== this.convAt) throw new RangeError(`a step at position ${pos0}: the ${this.config.ssm ? 'Mamba-2' : this.config.deltaNet ? 'Gated DeltaNet' : 'short-convolution'} layers' state follows position ${this.convAt - 1} (it cannot be rewound): continue at ${this.convAt} or start again from position 0`);
      throw new RangeError(`a step at position ${pos0} needs keys a sliding-window layer's ring cache has overwritten (positions up to ${this.written - 1} were written): start again from position 0`);
    }
    const st = await this.stepFor(T, out);
    // Positions pos0.. are about to be overwritten: they (and what follows) count again only once this step succeeds.
    if (this.cached.length > pos0) this.cached.length = pos0;
    // The step's K and V rows are written once it is submitted, whatever it reads back.
    this.written = pos0 === 0 ? T : Math.max(this.written, pos0 + T);
    this.convAt = pos0 + T;
    if (st.pen) this.ctx.write(st.pen, Uint32Array.from([gather.length, ...gather]));
    this.ctx.write(this.res.x, this.stepEmbeddings(ids, pos0));
    this.ctx.write(this.res.pos, Int32Array.from({ length: T }, (_, i) => pos0 + i));
    const s = st;
    await this.ctx.submit(['lm step'], (enc) => {
      const pass = enc.beginComputePass({ label: `lm step T=${T}` });
      for (const { b, wg, indirect } of s.bound) b.encode(pass, wg, indirect);
      pass.end();
      enc.copyBufferToBuffer(s.result, 0, s.staging, 0, Math.ceil(s.resultBytes / 4) * 4);
    });
    this.lastDispatches = s.bound.length;
    this.lastArmedDispatches = s.bound.filter((x) => x.indirect).length;
    await s.staging.mapAsync(GPUMapMode.READ);
    let result: Float32Array | number | TopCandidates;
    try {
      const data = s.staging.getMappedRange().slice(0, s.resultBytes);
      if (out === 'argmax') {
        const id = new Uint32Array(data)[0];
        if (id >= this.config.vocab) throw new Error(`the logits of position ${pos0 + T - 1} are all NaN`);
        result = id;
      } else if (typeof out === 'object') {
        const w = new Uint32Array(data);
        const f = new Float32Array(data);
        const V = this.config.vocab;
        const m = out.top;
        let n = w.subarray(2, 2 + m).indexOf(V);
        if (n < 0) n = m;
        result = { bad: { index: w[0], value: f[1] }, ids: [...w.subarray(2, 2 + n)], logits: [...f.subarray(2 + m, 2 + m + n)], gathered: [...f.subarray(2 + 2 * m, 2 + 2 * m + gather.length)] };
      } else result = new Float32Array(data);
    } finally {
      s.staging.unmap();
    }
    if (this.cached.length === pos0) this.cached.push(...ids);
    return result;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cached = [];
    for (const st of this.steps.values()) freeStep(st);
    this.steps.clear();
    for (const w of this.res.weights.values()) destroyWeight(w);
    this.owned.forEach((b) => b.destroy());
  }
}
