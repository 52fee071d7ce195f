// LanguageModel: a Llama-family GGUF file as a text generator. Loads the header, builds the config and tokenizer
// (both refuse bad files before any GPU work), uploads the weights (LlamaEngine), then tokenizes, prefills in chunks
// and decodes token by token, streaming text that never splits a UTF-8 character.
//
//   const lm = await LanguageModel.load(ctx, 'model.gguf');            // a path (Node), a File/Blob, or a URL
//   for await (const piece of lm.generate('Once upon', { maxTokens: 50, seed: 1 })) process.stdout.write(piece);
//   console.log(lm.lastStats);                                          // tok/s, time to first token, GPU bytes
import type { GpuContext } from '../gpu/context.js';
import { httpRangeSource, openGguf, type GgufReader, type GgufSource, type GgufValue } from '../io/gguf.js';
import { llamaConfigFromGguf, type LlamaConfig } from '../nn/llama_config.js';
import { gatherRows, splitFusedTensors } from '../nn/llama_layout.js';
import { Tokenizer } from '../tokenizer/index.js';
import { ChatTemplateError, renderChat, type ChatMessage } from './chat.js';
import { LlamaEngine, type EngineOptions, type StepOutput, type TopCandidates } from './engine.js';
import { TOP_K_MAX } from '../kernels/lm.js';
import { tuningFor } from '../kernels/tuning.js';
import { checkSampling, hasPenalty, Sampler, type SamplingOptions } from './sampling.js';
import { StopMatcher, Utf8Stream } from './text.js';

export interface GenerateOptions extends SamplingOptions {
  /** Tokens to generate at most (default 128). */
  maxTokens?: number;
  /** Strings that end the generation (not emitted). End-of-generation tokens always stop it. */
  stop?: readonly string[];
  signal?: AbortSignal;
  /** Add the file's BOS (default true for text prompts; a chat prompt's template writes its own). */
  addSpecial?: boolean;
  /** Token texts of special tokens in the prompt become those tokens (default: true for chat, false for text). */
  parseSpecial?: boolean;
  /** Never pick an end-of-generation token (llama.cpp's ignore_eos): generate exactly maxTokens (benchmarks). */
  ignoreEog?: boolean;
  /**
   * Reuse the KV cache for the longest common prefix of this prompt and the tokens the model last processed
   * (llama.cpp server's cache_prompt): a chat's next turn prefills only its new tokens. Default false: every
   * generation prefills from position 0, so the same call gives the same bits. The reused K / V were computed in
   * other step shapes, which moves logits by f32 rounding (as decode against prefill: within 1e-4).
   */
  cachePrompt?: boolean;
  /**
   * When the context is full, keep the BOS (if the prompt starts with it) and the newer half of the tokens, and go on
   * from them (llama.cpp's context shift; nibble prefills the kept tokens again). Default false: stop ('context').
   */
  contextShift?: boolean;
  /**
   * Sampling with top-k takes the GPU's top candidates (top-k + the penalised ids, src/kernels/lm.ts planTopK)
   * instead of reading the whole last row of logits back. Default: the adapter's tuning (gpuTopKMinVocab: on GPUs
   * from 8192 tokens, never on CPU adapters, where bench/top-k.ts measured the row faster). Greedy without a
   * penalty always picks on the GPU.
   */
  gpuTopK?: boolean;
}

/** The most candidates the GPU's top-k returns (top-k + penalised + masked ids); beyond, the row is read back. */
const MAX_GPU_TOP = TOP_K_MAX;

/** What a step gives back to pick a token from: the GPU's argmax, its top candidates, or the last row's logits. */
function pickOutput(s: Required<SamplingOptions>, vocab: number, masked: number, gpuTopK: boolean): StepOutput {
  if (s.temperature <= 0 && !hasPenalty(s) && masked === 0) return 'argmax';
  const nPen = (hasPenalty(s) ? s.repeatLastN : 0) + masked;
  const top = Math.min(vocab, s.topK + nPen);
  if (s.topK > 0 && s.repeatLastN >= 0 && top <= MAX_GPU_TOP && gpuTopK) return { top, nPen };
  return 'last';
}

export interface GenerationStats {
  promptTokens: number;
  generatedTokens: number;
  /** ms from the call to the first generated token (prefill and the first sample). */
  timeToFirstTokenMs: number;
  promptTokensPerSecond: number;
  decodeTokensPerSecond: number;
  stopReason: 'eog' | 'stop' | 'length' | 'context' | 'abort';
  ids: number[];
  gpuBytes: number;
  /** Dispatches in one decode step (one submit each step). */
  dispatchesPerToken: number;
  /** Prompt tokens whose K / V came from the cache (cachePrompt), not prefilled again. */
  cachedTokens: number;
}

export type ModelSource = string | Blob | GgufSource;

async function sourceOf(source: ModelSource): Promise<{ src: GgufSource; name: string }> {
  if (typeof source !== 'string') return { src: source, name: (source as { name?: string }).name ?? 'model' };
  if (/^https?:\/\//i.test(source)) return { src: await httpRangeSource(source), name: source };
  // A path: Node only (the browser passes a File or a URL).
  const fs = (await import(/* @vite-ignore */ ['node', 'fs'].join(':'))) as typeof import('node:fs');
  return { src: (await fs.openAsBlob(source)) as unknown as GgufSource, name: source };
}

export class LanguageModel {
  lastStats: GenerationStats | null = null;

  private constructor(
    private eng: LlamaEngine,
    readonly tokenizer: Tokenizer,
    readonly metadata: Record<string, GgufValue>,
    readonly source: string,
    private reader: GgufReader,
    private options: EngineOptions,
  ) {}

  get engine(): LlamaEngine {
    return this.eng;
  }

  /**
   * Uploads the model again on `ctx` (a new device after the old one was lost: a GpuError of kind 'device-lost'),
   * from the same source, keeping the tokenizer and config; the old engine's buffers are released.
   */
  async reload(ctx: GpuContext): Promise<void> {
    const { metadata, tensors } = this.reader.header;
    const engine = await LanguageModel.engineOn(ctx, this.reader, llamaConfigFromGguf(metadata, tensors), this.options);
    this.eng.dispose();
    this.eng = engine;
  }

  private static async engineOn(ctx: GpuContext, reader: GgufReader, config: LlamaConfig, o: EngineOptions): Promise<LlamaEngine> {
    // The definition's tensors: phi3's fused ones as views of their rows (llama_layout.ts).
    const tensors = splitFusedTensors(config, reader.header.tensors);
    const byName = new Map(tensors.map((t) => [t.name, t]));
    // qwen35's q / gate halves: the rows of each part gathered from the whole tensor, read once for both parts (the
    // engine loads a fused tensor's parts one after the other)
    let last: { from: object; whole: Awaited<ReturnType<GgufReader['read']>> } | null = null;
    const tensor = async (n: string) => {
      const t = byName.get(n);
      if (!t) return reader.tensor(n);
      if (!t.gather) return reader.read(t);
      if (last?.from !== t.gather.from) last = { from: t.gather.from, whole: await reader.read(t.gather.from as typeof t) };
      return { ...last.whole, name: t.name, shape: t.shape, ne: t.ne, data: gatherRows(last.whole.data, t.gather) };
    };
    const engine = await LlamaEngine.load(ctx, { tensors, tensor }, config, o);
    try {
      if (o.warmup !== false) await engine.warmup();
    } catch (e) {
      engine.dispose();
      throw e;
    }
    return engine;
  }

  get config(): LlamaConfig {
    return this.engine.config;
  }

  get chatTemplate(): string | null {
    const t = this.metadata['tokenizer.chat_template'];
    return t && t.type === 'string' ? String(t.value) : null;
  }

  /** Reads the header, checks config and tokenizer, then uploads the weights (progress per tensor). */
  static async load(ctx: GpuContext, source: ModelSource, o: EngineOptions = {}): Promise<LanguageModel> {
    const { src, name } = await sourceOf(source);
    const reader: GgufReader = await openGguf(src, name);
    const { metadata, tensors } = reader.header;
    const config = llamaConfigFromGguf(metadata, tensors);
    const tokenizer = Tokenizer.fromGguf(metadata);
    if (tokenizer.vocabSize !== config.vocab) throw new Error(`${name}: the tokenizer has ${tokenizer.vocabSize} tokens, token_embd.weight has ${config.vocab} rows`);
    const engine = await LanguageModel.engineOn(ctx, reader, config, o);
    return new LanguageModel(engine, tokenizer, metadata, name, reader, o);
  }

  tokenize(text: string, o?: { addSpecial?: boolean; parseSpecial?: boolean }): number[] {
    return this.tokenizer.encode(text, o);
  }

  detokenize(ids: readonly number[], o?: { removeSpecial?: boolean; unparseSpecial?: boolean }): string {
    return this.tokenizer.decode(ids, o);
  }

  private checkPrompt(ids: readonly number[]): void {
    if (ids.length === 0) throw new RangeError('the prompt has no tokens');
    if (ids.length >= this.engine.ctxLen) throw new RangeError(`the prompt has ${ids.length} tokens; the context holds ${this.engine.ctxLen} (at least one must be left to generate)`);
  }

  /** Logits [T, vocab] at every position of `ids`, by prefill steps of up to `chunk` tokens from position 0. */
  async logits(ids: readonly number[], o: { decode?: boolean } = {}): Promise<Float32Array> {
    if (ids.length === 0) throw new RangeError('no tokens');
    if (ids.length > this.engine.ctxLen) throw new RangeError(`${ids.length} tokens exceed the context of ${this.engine.ctxLen}`);
    const V = this.config.vocab;
    const out = new Float32Array(ids.length * V);
    const step = o.decode ? 1 : this.engine.chunk;
    for (let p = 0; p < ids.length; p += step) {
      const part = ids.slice(p, p + step);
      out.set((await this.engine.step(part, p, 'all')) as Float32Array, p * V);
    }
    return out;
  }

  /** Streams the continuation of `prompt` (text, or token ids as given) as text pieces. Stats in lastStats. */
  async *generate(prompt: string | readonly number[], o: GenerateOptions = {}): AsyncGenerator<string, GenerationStats> {
    const t0 = performance.now();
    const maxTokens = o.maxTokens ?? 128;
    if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new RangeError(`maxTokens ${maxTokens} must be a positive integer`);
    const sampling = checkSampling(o);
    const ids = typeof prompt === 'string' ? this.tokenize(prompt, { addSpecial: o.addSpecial ?? true, parseSpecial: o.parseSpecial ?? false }) : [...prompt];
    this.checkPrompt(ids);
    const sampler = new Sampler(sampling);
    const eng = this.engine;
    const stats: GenerationStats = { promptTokens: ids.length, generatedTokens: 0, timeToFirstTokenMs: 0, promptTokensPerSecond: 0, decodeTokensPerSecond: 0, stopReason: 'length', ids: [], gpuBytes: 0, dispatchesPerToken: 0, cachedTokens: 0 };
    this.lastStats = stats;
    // Greedy without a penalty picks on the GPU (4 bytes back); sampling with top-k takes the GPU's top candidates
    // (planTopK: top-k + the penalised ids, a few hundred bytes) where that pays (gpuTopK); else the last row's logits.
    const V = this.config.vocab;
    const tk = this.tokenizer;
    const eog = o.ignoreEog ? Array.from({ length: V }, (_, id) => id).filter((id) => tk.isEog(id)) : [];
    const want = pickOutput(sampling, V, eog.length, o.gpuTopK ?? V >= tuningFor(eng.ctx).gpuTopKMinVocab);
    let gathered: number[] = [];
    const gather = () => (gathered = typeof want === 'object' ? [...new Set([...sampler.penalisedIds(history, V), ...eog])] : []);
    const pick = (r: number | Float32Array | TopCandidates): number => {
      if (typeof r === 'number') return r;
      if (r instanceof Float32Array) {
        for (const id of eog) r[id] = -Infinity;
        return sampler.sample(r, history);
      }
      return sampler.sampleTop(r, { ids: gathered, logits: r.gathered }, r.bad, V, history, eog);
    };
    const utf8 = new Utf8Stream();
    const stops = new StopMatcher(o.stop ?? []);
    const history = [...ids];
    // Prefill: every chunk but the last gives nothing back we need; the last gives the first token's logits. With
    // cachePrompt it starts after the prefix the cache already holds (at least the last prompt token is run again:
    // its logits pick the first token).
    let next: number;
    let p = 0;
    if (o.cachePrompt) {
      const had = eng.cachedTokens;
      while (p < had.length && p < ids.length - 1 && had[p] === ids[p]) p++;
      // A sliding-window layer's ring cache may have overwritten what resuming there would read: start afresh.
      if (!eng.canResumeAt(p)) p = 0;
      stats.cachedTokens = p;
    }
    for (;;) {
      if (o.signal?.aborted) return this.finish(stats, 'abort', t0, 0);
      const part = ids.slice(p, p + eng.chunk);
      const last = p + part.length >= ids.length;
      const r = await eng.step(part, p, last ? want : 'argmax', last ? gather() : []);
      p += part.length;
      if (last) {
        next = typeof r === 'number' ? r : pick(r);
        break;
      }
    }
    const tPrefill = performance.now();
    stats.promptTokensPerSecond = (ids.length - stats.cachedTokens) / ((tPrefill - t0) / 1000);
    stats.timeToFirstTokenMs = tPrefill - t0;
    let tDecode0 = tPrefill;
    for (;;) {
      const end = (why: GenerationStats['stopReason']) => ({ why, tail: why === 'stop' ? '' : stops.push(utf8.flush()).emit + stops.flush() });
      let done: ReturnType<typeof end> | null = null;
      if (this.tokenizer.isEog(next)) done = end('eog');
      if (!done) {
        stats.ids.push(next);
        history.push(next);
        stats.generatedTokens++;
        const text = stops.push(utf8.push(this.tokenizer.tokenBytes(next)));
        if (text.emit) yield text.emit;
        if (text.stopped) done = end('stop');
        else if (stats.generatedTokens >= maxTokens) done = end('length');
        else if (p >= eng.ctxLen && !o.contextShift) done = end('context');
        else if (o.signal?.aborted) done = end('abort');
      }
      if (done) {
        if (done.tail) yield done.tail;
        return this.finish(stats, done.why, tDecode0, stats.generatedTokens - 1);
      }
      if (stats.generatedTokens === 1) tDecode0 = performance.now();
      if (p >= eng.ctxLen) {
        // Context shift: BOS (if the prompt began with it) and the newer half of the history, then `next` is the last.
        const first = tk.bos !== null && ids[0] === tk.bos ? [tk.bos] : [];
        const win = [...first, ...history.slice(-Math.max(1, Math.floor((eng.ctxLen - first.length) / 2)))];
        let r: number | Float32Array | TopCandidates = 0;
        for (p = 0; p < win.length; ) {
          const part = win.slice(p, p + eng.chunk);
          const last = p + part.length >= win.length;
          r = await eng.step(part, p, last ? want : 'argmax', last ? gather() : []);
          p += part.length;
        }
        next = typeof r === 'number' ? r : pick(r);
        continue;
      }
      const r = await eng.step([next], p, want, gather());
      p++;
      next = typeof r === 'number' ? r : pick(r);
      stats.dispatchesPerToken = eng.lastDispatches;
    }
  }

  private finish(stats: GenerationStats, why: GenerationStats['stopReason'], tDecode0: number, decoded: number): GenerationStats {
    stats.stopReason = why;
    const ms = performance.now() - tDecode0;
    stats.decodeTokensPerSecond = decoded > 0 && ms > 0 ? decoded / (ms / 1000) : 0;
    stats.gpuBytes = this.engine.gpuBytes;
    return stats;
  }

  /**
   * Chat: the file's template renders the messages, then generation continues the assistant's turn. `templateKwargs`
   * are more template variables (llama.cpp's chat_template_kwargs), e.g. { enable_thinking: false } for Qwen3.
   */
  chat(messages: readonly ChatMessage[], o: GenerateOptions & { templateKwargs?: Readonly<Record<string, unknown>> } = {}): AsyncGenerator<string, GenerationStats> {
    const tpl = this.chatTemplate;
    if (!tpl) throw new ChatTemplateError(`${this.source} has no tokenizer.chat_template: use generate() with a plain prompt`);
    const tk = this.tokenizer;
    const { templateKwargs, ...gen } = o;
    const text = renderChat(tpl, messages, { bosToken: tk.bos !== null ? tk.tokenText(tk.bos) : '', eosToken: tk.eos !== null ? tk.tokenText(tk.eos) : '', addGenerationPrompt: true, kwargs: templateKwargs });
    return this.generate(text, { ...gen, addSpecial: gen.addSpecial ?? false, parseSpecial: gen.parseSpecial ?? true });
  }

  get gpuBytes(): number {
    return this.engine.gpuBytes;
  }

  dispose(): void {
    this.engine.dispose();
  }
}
