// LanguageModel (src/lm/model.ts) end to end against the f64 reference (src/ref/llama.ts), in Node and in Chromium:
// small seeded models (dim 64, 1-2 layers, ctx 64) loaded from a Blob, as the browser loads a File.
//
// Bounds (the derivation is in test/kernels/lm_llamacpp.test.ts):
//   - probabilities at every position: max |p_nibble - p_f64| <= NIBBLE_BOUND = 5e-4 (nibble computes in f32: each
//     dot product of length K is within K u sum|w x|; through the layers about 1e-3 in logits, half that in
//     probabilities; a wrong rope pair, mask or scale gives 1e-2 and more);
//   - decode through the KV cache equals the prefill to DECODE_BOUND = 1e-4 in logits (the same sums, other orders);
//   - greedy: each generated id is the reference's argmax at its position, except where the reference's top two
//     logits are within 2 LOGIT_BOUND (= 2e-3) of each other.
import type { GpuContext } from '../../src/gpu/context.js';
import { parseGgufFile } from '../../src/io/gguf.js';
import type { GenerateOptions, GenerationStats, LanguageModel } from '../../src/lm/model.js';
import { spmByteVocab, synthLlamaGguf, type SynthOptions } from '../../src/lm/synth.js';
import { llamaLogitsRef, softmaxRows } from '../../src/ref/llama.js';
import { loadBytes, maxDiff, rowTop2, tracking } from './lm_helpers.js';
import { assert, type GpuCase } from './types.js';

const NIBBLE_BOUND = 5e-4;
const DECODE_BOUND = 1e-4;
const LOGIT_BOUND = 1e-3;
const BASE: SynthOptions = { dim: 64, ffn: 128, layers: 2, heads: 4, ctx: 64 };
const MODEL_A: SynthOptions = { ...BASE, arch: 'llama', kvHeads: 2, weightType: 'Q8_0', embedType: 'F16', seed: 7 };
const MODEL_B: SynthOptions = { ...BASE, arch: 'qwen2', layers: 1, tied: true, weightType: 'F16', seed: 8 };
/** Qwen3: per-head q / k norms, and a head dim (32) other than dim / heads (16): q is [128, 64]. */
const MODEL_C: SynthOptions = { ...BASE, arch: 'qwen3', kvHeads: 2, headDim: 32, tied: true, weightType: 'Q4_0', seed: 9 };
/** gemma3, both layers sliding (window 6): with steps of 8 each layer's cache is a ring of 6 + 8 - 1 = 13 rows. */
const MODEL_G: SynthOptions = { ...BASE, arch: 'gemma3', kvHeads: 2, headDim: 16, slidingWindow: 6, weightType: 'Q8_0', seed: 10 };
/** lfm2: a short convolution then attention; its conv state cannot be rewound. */
const MODEL_L: SynthOptions = { ...BASE, arch: 'lfm2', kvHeads: 2, weightType: 'Q8_0', seed: 11, shortConv: { taps: 3, conv: [true, false] } };
/** gpt2: learned positions (rows added as the steps of 8 gather their tokens), fused q / k / v, no RoPE. */
const MODEL_P: SynthOptions = { ...BASE, arch: 'gpt2', weightType: 'Q8_0', types: { 'position_embd.weight': 'F16' }, seed: 12 };
/** command-r: the parallel block, LayerNorms without a bias, logits times logit_scale, tied. */
const MODEL_R: SynthOptions = { ...BASE, arch: 'command-r', kvHeads: 2, weightType: 'Q4_0', logitMul: 0.5, embedStd: 0.5, seed: 13 };
/** qwen3moe: 16 experts, 4 a token, Q4_0 (the routers F32): steps of 8 arm the experts their rows chose, a decode step its token's 4. */
const MODEL_M: SynthOptions = { ...BASE, arch: 'qwen3moe', kvHeads: 2, weightType: 'Q4_0', seed: 14, moe: { experts: 16, used: 4, ffn: 32 } };
/** deepseek2: multi-head latent attention (a q LoRA, per-head absorbed projections of Q4_0 blocks), a dense first layer, 8 experts. */
const MODEL_D: SynthOptions = { ...BASE, arch: 'deepseek2', weightType: 'Q4_0', seed: 15, mla: { qLora: 32, kvLora: 32, nope: 32, rope: 8, v: 16 }, moe: { experts: 8, used: 2, ffn: 32, sharedFfn: 32, denseLead: 1 } };
/** minicpm3: latent attention decompressed by attn_kv_b, values narrower than the keys (padded for the kernel), tied, Q8_0. */
const MODEL_3: SynthOptions = { ...BASE, arch: 'minicpm3', weightType: 'Q8_0', tied: true, seed: 16, mla: { qLora: 32, kvLora: 32, nope: 16, rope: 16, v: 16 } };
/** llama4: 4 layers (the last without RoPE), weightless q / k norms, every second layer 8 experts weighted before their FFN, Q8_0; olmo: weightless LayerNorms and clamped q / k / v. */
const MODEL_4: SynthOptions = { ...BASE, arch: 'llama4', layers: 4, weightType: 'Q8_0', seed: 17, moe: { experts: 8, used: 1, ffn: 32, step: 2 } };
const MODEL_O: SynthOptions = { ...BASE, arch: 'olmo', weightType: 'Q4_0', seed: 18, clampKqv: 1.5 };
/** bloom: ALiBi (no RoPE), the embeddings LayerNorm-ed, biases everywhere, Q4_0. */
const MODEL_AL: SynthOptions = { ...BASE, arch: 'bloom', weightType: 'Q4_0', seed: 19 };
/** BOS, then the bytes of the text (byte token = 3 + byte). */
const IDS = [1, ...[...'To be, or not to be:\n'].map((ch) => 3 + ch.charCodeAt(0))];
/** Seeded sampling with every cut-off off: the draws see the whole distribution. */
const WIDE: GenerateOptions = { temperature: 1, topK: 0, topP: 1, minP: 0, repeatPenalty: 1 };

const files = new Map<SynthOptions, Uint8Array>();
function bytesOf(o: SynthOptions): Uint8Array {
  let b = files.get(o);
  if (!b) files.set(o, (b = synthLlamaGguf(o)));
  return b;
}

async function withModel<R>(ctx: GpuContext, o: SynthOptions, fn: (lm: LanguageModel) => Promise<R>, chunk = 8): Promise<R> {
  const lm = await loadBytes(ctx, bytesOf(o), { ctxLen: 64, chunk });
  try {
    return await fn(lm);
  } finally {
    lm.dispose();
  }
}

/** Runs a generation to its end: the pieces, and the stats it returns. */
async function collect(gen: AsyncGenerator<string, GenerationStats>, onPiece?: (i: number) => void): Promise<{ pieces: string[]; stats: GenerationStats }> {
  const pieces: string[] = [];
  for (;;) {
    const r = await gen.next();
    if (r.done) return { pieces, stats: r.value };
    pieces.push(r.value);
    onPiece?.(pieces.length);
  }
}

function logitsCase(what: string, o: SynthOptions): GpuCase {
  return {
    name: `lm model ${what}: probabilities at every position vs the f64 reference, decode == prefill (chunks of 8)`,
    run: (ctx) =>
      withModel(ctx, o, async (lm) => {
        const V = lm.config.vocab;
        const T = IDS.length;
        const pre = await lm.logits(IDS);
        const dec = await lm.logits(IDS, { decode: true });
        const vsRef = maxDiff(softmaxRows(pre, T, V), softmaxRows(llamaLogitsRef(parseGgufFile(bytesOf(o)), IDS), T, V));
        const decDiff = maxDiff(dec, pre);
        assert(vsRef <= NIBBLE_BOUND, `max |p - p_f64| over ${T} positions = ${vsRef}, bound ${NIBBLE_BOUND}`);
        assert(decDiff <= DECODE_BOUND, `decode vs prefill: max |z| difference ${decDiff}, bound ${DECODE_BOUND}`);
        return `${T} positions: max |p - p_f64| ${vsRef.toExponential(2)} (bound ${NIBBLE_BOUND}), decode vs prefill ${decDiff.toExponential(2)} (bound ${DECODE_BOUND})`;
      }),
  };
}

/** Whether a character of the decoded text is made of bytes from two or more tokens. */
function charsAcrossTokens(pieces: Uint8Array[]): number {
  const bytes: number[] = [];
  const boundary = new Set<number>();
  for (const p of pieces) {
    bytes.push(...p);
    boundary.add(bytes.length);
  }
  const strict = new TextDecoder('utf-8', { fatal: true });
  let n = 0;
  for (let o = 0; o < bytes.length; ) {
    const len = bytes[o] >= 0xf0 ? 4 : bytes[o] >= 0xe0 ? 3 : bytes[o] >= 0xc0 ? 2 : 1;
    let ok = len > 1 && o + len <= bytes.length;
    if (ok) {
      try {
        ok = [...strict.decode(Uint8Array.from(bytes.slice(o, o + len)))].length === 1;
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      o++;
      continue;
    }
    for (let k = o + 1; k < o + len; k++) if (boundary.has(k)) n++;
    o += len;
  }
  return n;
}

const MULTI_BYTE = ['é', 'ü', 'ñ', 'ß', '€', '日', '本', '語', '中', '文', '한', '😀', '🎉', 'ça', 'naïve', '東京'];
const MODEL_UTF8: SynthOptions = { ...BASE, layers: 1, weightType: 'Q8_0', seed: 9, vocab: spmByteVocab(MULTI_BYTE.map((text, i) => ({ text, score: -i }))) };
const UTF8_SEED = 3;

export const CASES: GpuCase[] = [
  logitsCase('llama Q8_0 GQA (F16 embedding, 2 layers)', MODEL_A),
  logitsCase('qwen2 F16 tied (1 layer)', MODEL_B),
  logitsCase('qwen3 Q4_0 GQA tied, head dim 32 at dim 64 (2 layers)', MODEL_C),
  logitsCase('gpt2 Q8_0, learned positions (F16 table), fused q / k / v (2 layers)', MODEL_P),
  logitsCase('command-r Q4_0 GQA tied, parallel block, bias-free LayerNorms (2 layers)', MODEL_R),
  logitsCase('qwen3moe Q4_0, 16 experts of 32, 4 a token (2 layers)', MODEL_M),
  logitsCase('deepseek2 Q4_0, multi-head latent attention, a dense layer then 8 experts (2 layers)', MODEL_D),
  logitsCase('llama4 Q8_0, NoPE fourth layer, weightless q / k norms, experts weighted before their FFN (4 layers)', MODEL_4),
  logitsCase('olmo Q4_0, weightless LayerNorms, q / k / v clamped (2 layers)', MODEL_O),
  logitsCase('bloom Q4_0, ALiBi attention, the embeddings LayerNorm-ed (2 layers)', MODEL_AL),
  logitsCase('minicpm3 Q8_0 tied, latent attention with attn_kv_b, values padded (2 layers)', MODEL_3),
  {
    name: 'lm model greedy generation: deterministic, each token the f64 reference\'s argmax',
    run: (ctx) =>
      withModel(ctx, MODEL_A, async (lm) => {
        const greedy: GenerateOptions = { temperature: 0, repeatPenalty: 1, maxTokens: 12 };
        const a = (await collect(lm.generate(IDS, greedy))).stats;
        const b = (await collect(lm.generate(IDS, greedy))).stats;
        assert(a.stopReason === 'length' && a.ids.length === 12, `greedy run: ${a.ids.length} ids, stop ${a.stopReason}`);
        assert(a.ids.join() === b.ids.join(), `two greedy runs differ: [${a.ids}] vs [${b.ids}]`);
        const all = [...IDS, ...a.ids];
        const ref = llamaLogitsRef(parseGgufFile(bytesOf(MODEL_A)), all);
        let near = 0;
        a.ids.forEach((id, i) => {
          const { best, gap } = rowTop2(ref, IDS.length - 1 + i, lm.config.vocab);
          if (gap < 2 * LOGIT_BOUND) near++;
          else assert(id === best, `step ${i}: generated ${id}, the reference's argmax is ${best} (top-2 gap ${gap})`);
        });
        return `12 greedy ids [${a.ids}] = the reference's argmax (${near} steps within the tie bound)`;
      }),
  },
  {
    name: 'lm model cachePrompt: a next turn prefills only its new tokens, and greedy stays the f64 reference\'s argmax',
    run: (ctx) =>
      withModel(ctx, MODEL_A, async (lm) => {
        const greedy: GenerateOptions = { temperature: 0, repeatPenalty: 1, maxTokens: 5, ignoreEog: true, cachePrompt: true };
        const first = (await collect(lm.generate(IDS, greedy))).stats;
        assert(first.cachedTokens === 0, `the first call reused ${first.cachedTokens} tokens of an empty cache`);
        // The cache now holds the prompt and every generated token but the last (never fed back).
        const held = [...IDS, ...first.ids.slice(0, -1)];
        assert(lm.engine.cachedTokens.join() === held.join(), `cache [${lm.engine.cachedTokens}] vs [${held}]`);
        const turn2 = [...IDS, ...first.ids, ...[...' And?'].map((ch) => 3 + ch.charCodeAt(0))];
        const second = (await collect(lm.generate(turn2, { ...greedy, maxTokens: 8 }))).stats;
        assert(second.cachedTokens === held.length, `turn 2 reused ${second.cachedTokens} tokens, expected ${held.length}`);
        // A prompt that leaves the cached path (another token at position 3) reuses only the 3 before it.
        const fork = [...IDS.slice(0, 3), 3 + 90, ...IDS.slice(4)];
        const third = (await collect(lm.generate(fork, { ...greedy, maxTokens: 1 }))).stats;
        assert(third.cachedTokens === 3, `a prompt differing at position 3 reused ${third.cachedTokens} tokens`);
        // logits() from position 0 rewrites the cache; an identical prompt then reuses all of it but its last token.
        await lm.logits(turn2.slice(0, 10));
        const again = (await collect(lm.generate(turn2.slice(0, 10), { ...greedy, maxTokens: 1 }))).stats;
        assert(again.cachedTokens === 9, `after logits(10 tokens) the same prompt reused ${again.cachedTokens}`);
        // Turn 2's greedy ids against the f64 reference (the reused K / V were computed in other step shapes).
        const ref = llamaLogitsRef(parseGgufFile(bytesOf(MODEL_A)), [...turn2, ...second.ids]);
        let near = 0;
        second.ids.forEach((id, i) => {
          const { best, gap } = rowTop2(ref, turn2.length - 1 + i, lm.config.vocab);
          if (gap < 2 * LOGIT_BOUND) near++;
          else assert(id === best, `turn 2 step ${i}: generated ${id}, the reference's argmax is ${best} (top-2 gap ${gap})`);
        });
        return `turn 2 reused ${second.cachedTokens} of ${turn2.length} prompt tokens; its 8 greedy ids = the reference's argmax (${near} within the tie bound)`;
      }),
  },
  {
    name: 'lm model cachePrompt over lfm2\'s conv state: reuse where the state stands, a fresh prefill elsewhere, the same greedy ids as without the cache',
    run: (ctx) =>
      withModel(ctx, MODEL_L, async (lm) => {
        const greedy: GenerateOptions = { temperature: 0, repeatPenalty: 1, maxTokens: 5, ignoreEog: true, cachePrompt: true };
        const first = (await collect(lm.generate(IDS, greedy))).stats;
        const held = [...IDS, ...first.ids.slice(0, -1)]; // the conv state follows the last of these
        const turn2 = [...held, first.ids[first.ids.length - 1], 3 + 63];
        const second = (await collect(lm.generate(turn2, greedy))).stats;
        assert(second.cachedTokens === held.length, `turn 2 reused ${second.cachedTokens} tokens, expected ${held.length}`);
        const fresh = (await collect(lm.generate(turn2, { ...greedy, cachePrompt: false }))).stats;
        assert(second.ids.join() === fresh.ids.join(), `turn 2 over the kept conv state gave [${second.ids}], a fresh prefill [${fresh.ids}]`);
        // A prompt leaving the path at position 5: the KV cache could resume there, the conv state cannot (it follows
        // the last position run): a prefill from 0, the same ids as without the cache.
        const fork = [...turn2.slice(0, 5), 3 + 90, 3 + 91];
        const r = (await collect(lm.generate(fork, { ...greedy, maxTokens: 4 }))).stats;
        assert(r.cachedTokens === 0, `a fork at position 5 reused ${r.cachedTokens} tokens (the conv state stands elsewhere)`);
        const f = (await collect(lm.generate(fork, { ...greedy, cachePrompt: false, maxTokens: 4 }))).stats;
        assert(r.ids.join() === f.ids.join(), `fork: [${r.ids}] with the cache, [${f.ids}] without`);
        let err = '';
        try {
          await lm.engine.step([5], 3, 'argmax');
        } catch (e) {
          err = (e as Error).message;
        }
        assert(/a step at position 3: the short-convolution layers' state follows position \d+ \(it cannot be rewound\)/.test(err), `a step back to position 3: '${err}'`);
        return `turn 2 reused ${second.cachedTokens} of ${turn2.length} tokens; a fork refilled from 0; greedy ids equal without the cache; a rewind refused: ${err}`;
      }),
  },
  {
    name: 'lm model cachePrompt over gemma3\'s ring caches: reuse within the ring\'s slack, a fresh prefill past it, the same greedy ids as without the cache',
    run: (ctx) =>
      withModel(ctx, MODEL_G, async (lm) => {
        const greedy: GenerateOptions = { temperature: 0, repeatPenalty: 1, maxTokens: 6, ignoreEog: true, cachePrompt: true };
        const first = (await collect(lm.generate(IDS, greedy))).stats;
        const held = [...IDS, ...first.ids.slice(0, -1)]; // 27 positions written: every ring (13 rows) has wrapped
        const turn2 = [...held, first.ids[first.ids.length - 1], 3 + 63];
        const second = (await collect(lm.generate(turn2, greedy))).stats;
        assert(second.cachedTokens === held.length, `turn 2 reused ${second.cachedTokens} tokens, expected ${held.length}`);
        const fresh = (await collect(lm.generate(turn2, { ...greedy, cachePrompt: false }))).stats;
        assert(second.ids.join() === fresh.ids.join(), `turn 2 over the reused ring cache gave [${second.ids}], a fresh prefill [${fresh.ids}]`);
        // Going back 5 positions (within the slack 13 - 6 + 1 = 8) reuses the cache; going back 20 cannot (the rows
        // its window reads were overwritten) and prefills from 0: the same ids either way.
        for (const back of [5, 20]) {
          await collect(lm.generate(turn2, { ...greedy, cachePrompt: false, maxTokens: 1 })); // the cache holds turn2 again
          const prompt = [...turn2.slice(0, turn2.length - back), 3 + 70, 3 + 71];
          const r = (await collect(lm.generate(prompt, { ...greedy, maxTokens: 4 }))).stats;
          const want = back === 5 ? turn2.length - back : 0;
          assert(r.cachedTokens === want, `back ${back}: reused ${r.cachedTokens}, expected ${want}`);
          const f = (await collect(lm.generate(prompt, { ...greedy, cachePrompt: false, maxTokens: 4 }))).stats;
          assert(r.ids.join() === f.ids.join(), `back ${back}: [${r.ids}] with the cache, [${f.ids}] without`);
        }
        // A step that would read overwritten rows is refused by the engine, naming the positions.
        let err = '';
        try {
          await lm.engine.step([5], 3, 'argmax');
        } catch (e) {
          err = (e as Error).message;
        }
        assert(/a step at position 3 needs keys a sliding-window layer's ring cache has overwritten/.test(err), `a step back to position 3: '${err}'`);
        return `turn 2 reused ${second.cachedTokens} of ${turn2.length} tokens over 13-row rings; back 5 reused, back 20 refilled; greedy ids equal without the cache`;
      }),
  },
  {
    name: 'lm model seeded sampling: same seed same ids, different seeds differ',
    run: (ctx) =>
      withModel(ctx, MODEL_A, async (lm) => {
        const run = async (seed: number) => (await collect(lm.generate(IDS, { ...WIDE, seed, maxTokens: 16 }))).stats.ids;
        const [a, b, c] = [await run(13), await run(13), await run(14)];
        assert(a.length === 16, `seed 13 gave ${a.length} ids`);
        assert(a.join() === b.join(), `seed 13 twice: [${a}] vs [${b}]`);
        assert(a.join() !== c.join(), `seeds 13 and 14 gave the same ids [${a}]`);
        return `seed 13 [${a}], seed 14 [${c}]`;
      }),
  },
  {
    name: 'lm model sampling from the GPU top-k gives the ids the whole row gives (penalties, frequency / presence, top-p, min-p, ignore-EOG, greedy)',
    run: (ctx) =>
      withModel(ctx, MODEL_A, async (lm) => {
        const out: string[] = [];
        for (const o of [
          { seed: 3 },
          { seed: 4, temperature: 1.4, topK: 8, topP: 0.9, minP: 0.02, repeatPenalty: 1.3, repeatLastN: 12 },
          { seed: 5, temperature: 0, repeatPenalty: 1.5, repeatLastN: 6, ignoreEog: true },
          { seed: 6, temperature: 0.9, topK: 3, repeatPenalty: 0.8, repeatLastN: 4, ignoreEog: true },
          { seed: 7, temperature: 0, repeatPenalty: 1, presencePenalty: 1.5, frequencyPenalty: 0.25, repeatLastN: 8 },
        ] as GenerateOptions[]) {
          const run = async (gpuTopK: boolean) => (await collect(lm.generate(IDS, { ...o, maxTokens: 20, gpuTopK }))).stats.ids;
          const [row, top] = [await run(false), await run(true)];
          assert(row.length > 0 && row.join() === top.join(), `${JSON.stringify(o)}: whole row [${row}] vs GPU top-k [${top}]`);
          out.push(`${row.length} ids`);
        }
        return out.join(', ') + ' identical both ways';
      }),
  },
  {
    name: 'lm model stop strings and maxTokens are honoured',
    run: (ctx) =>
      withModel(ctx, MODEL_B, async (lm) => {
        const five = await collect(lm.generate(IDS, { ...WIDE, seed: 21, maxTokens: 5 }));
        assert(five.stats.stopReason === 'length' && five.stats.generatedTokens === 5 && five.stats.ids.length === 5, `maxTokens 5: ${five.stats.generatedTokens} tokens, stop ${five.stats.stopReason}`);
        const full = await collect(lm.generate(IDS, { ...WIDE, seed: 21, maxTokens: 24 }));
        const text = [...full.pieces.join('')];
        assert(text.length >= 10, `24 tokens gave ${text.length} characters`);
        const stop = text.slice(6, 8).join('');
        const want = text.join('').slice(0, text.join('').indexOf(stop));
        const cut = await collect(lm.generate(IDS, { ...WIDE, seed: 21, maxTokens: 24, stop: [stop, '\u0000never'] }));
        assert(cut.stats.stopReason === 'stop', `with stop ${JSON.stringify(stop)}: stop reason ${cut.stats.stopReason}`);
        assert(cut.pieces.join('') === want, `with stop ${JSON.stringify(stop)}: text ${JSON.stringify(cut.pieces.join(''))}, expected ${JSON.stringify(want)}`);
        assert(full.stats.ids.join().startsWith(cut.stats.ids.join()), 'the stopped run\'s ids are not a prefix of the full run\'s');
        return `stop ${JSON.stringify(stop)} after ${cut.stats.generatedTokens} of 24 tokens; maxTokens 5 gave 5`;
      }),
  },
  {
    name: 'lm model AbortSignal mid-generation: stopReason abort, then dispose frees every buffer',
    run: (ctx) =>
      tracking(ctx, async (tr) => {
        const lm = await loadBytes(ctx, bytesOf(MODEL_A), { ctxLen: 64, chunk: 8 });
        let stats: GenerationStats;
        let full: number[];
        try {
          full = (await collect(lm.generate(IDS, { ...WIDE, seed: 5, maxTokens: 30 }))).stats.ids;
          const ac = new AbortController();
          stats = (await collect(lm.generate(IDS, { ...WIDE, seed: 5, maxTokens: 30, signal: ac.signal }), (n) => n === 3 && ac.abort())).stats;
          const pre = new AbortController();
          pre.abort();
          const none = await collect(lm.generate(IDS, { ...WIDE, seed: 5, signal: pre.signal }));
          assert(none.pieces.length === 0 && none.stats.stopReason === 'abort' && none.stats.generatedTokens === 0, `an aborted signal: ${none.pieces.length} pieces, stop ${none.stats.stopReason}`);
        } finally {
          lm.dispose();
        }
        assert(stats.stopReason === 'abort', `stop reason ${stats.stopReason}, expected abort`);
        assert(stats.generatedTokens >= 3 && stats.generatedTokens < 30, `${stats.generatedTokens} tokens before the abort took effect`);
        assert(full.join().startsWith(stats.ids.join()), 'the aborted run\'s ids are not a prefix of the same seed\'s full run');
        assert(tr.liveBytes === 0, `after dispose, ${tr.liveBytes} bytes of GPU buffers are still alive (${tr.created} created)`);
        return `aborted after ${stats.generatedTokens} tokens; ${tr.created} buffers created, none left alive`;
      }),
  },
  {
    name: 'lm model streaming never splits a UTF-8 character (multi-byte pieces and byte tokens)',
    run: (ctx) =>
      withModel(ctx, MODEL_UTF8, async (lm) => {
        const { pieces, stats } = await collect(lm.generate([1], { ...WIDE, temperature: 1.5, seed: UTF8_SEED, maxTokens: 60 }));
        const whole = lm.detokenize([1, ...stats.ids]);
        assert(pieces.join('') === whole, `the pieces join to ${JSON.stringify(pieces.join(''))}, detokenize gives ${JSON.stringify(whole)}`);
        pieces.forEach((p, i) => {
          assert(p.length > 0, `piece ${i} is empty`);
          assert(!/[\uD800-\uDBFF]$/.test(p) && !/^[\uDC00-\uDFFF]/.test(p), `piece ${i} ${JSON.stringify(p)} splits a surrogate pair`);
        });
        const across = charsAcrossTokens(stats.ids.map((id) => lm.tokenizer.tokenBytes(id)));
        const multi = [...whole].filter((ch) => ch !== '\uFFFD' && ch.codePointAt(0)! > 0x7f).length;
        // The seed is chosen so that both kinds occur: characters from multi-byte pieces, and characters whose
        // bytes come from two or more byte tokens (the case a per-token decode would turn into U+FFFD).
        assert(multi > 0 && across > 0, `seed ${UTF8_SEED}: ${multi} multi-byte characters, ${across} across tokens: the test would not test anything`);
        return `${stats.ids.length} tokens, ${pieces.length} pieces; ${multi} multi-byte characters, ${across} token boundaries inside a character`;
      }),
  },
];
