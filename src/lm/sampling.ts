// Token sampling on the CPU, following llama.cpp's default sampler chain (common/sampling.cpp with default
// parameters): penalties -> top-k -> top-p -> min-p -> temperature -> a draw from the softmax. Each step keeps
// llama.cpp's rule (src/llama-sampling.cpp), including where the arithmetic is f32 (Math.fround below), so a
// cut-off that llama.cpp makes on the edge is made here too:
// - penalties: every distinct token among the last repeatLastN of `recent` has its logit divided by the repeat
//   penalty when positive, multiplied by it when <= 0 (once per token, however often it occurred), then lowered by
//   count * frequencyPenalty + presencePenalty (count: its occurrences in that window; OpenAI's and llama.cpp's
//   frequency and presence penalties, both 0 by default);
// - top-k: the k largest logits (ties at the edge: the lower ids, as a stable order gives);
// - top-p: softmax of what is left (temperature 1), sorted by probability; keep the shortest head whose cumulative
//   probability reaches p, the token that crosses p included (min_keep is 0 in llama.cpp's defaults);
// - min-p: keep tokens whose probability is at least minP times the largest one, i.e. logit >= max + ln(minP);
// - temperature divides the surviving logits, and the draw picks the first token whose running sum of exp(logit -
//   max) reaches u times the total (u uniform in [0, 1)), in order of decreasing logit.
// - temperature <= 0 (greedy): the argmax of the penalised logits, ties to the lowest id (what llama.cpp's chain
//   leaves when its temperature step keeps only the max).
// Random numbers: xoshiro128** (Blackman and Vigna) with its 128-bit state filled from the seed by SplitMix64, so the
// same seed gives the same draws in Node and in the browser; each draw takes one 53-bit uniform double (two outputs).
// llama.cpp draws from std::mt19937, so the same seed there gives other draws: the distributions agree, not the text.

export interface SamplingOptions {
  /** Default 0.8; <= 0 means greedy (argmax of the penalised logits, ties to the lowest id). */
  temperature?: number;
  /** Default 40; <= 0 turns top-k off. */
  topK?: number;
  /** Default 0.95, in (0, 1]; 1 turns top-p off. */
  topP?: number;
  /** Default 0.05, in [0, 1]; 0 turns min-p off. */
  minP?: number;
  /** Default 1.1, > 0; 1 turns the penalty off. */
  repeatPenalty?: number;
  /** Default 64: how many of the most recent tokens the penalties look at; 0 none, -1 all of `recent`. */
  repeatLastN?: number;
  /** Default 0: subtracted once from the logit of every token in the window (llama.cpp's --presence-penalty). */
  presencePenalty?: number;
  /** Default 0: subtracted from a token's logit per occurrence in the window (llama.cpp's --frequency-penalty). */
  frequencyPenalty?: number;
  /** An integer in [0, 2^53); default: a random one (crypto.getRandomValues). Same seed, same draws. */
  seed?: number;
}

export class SamplingError extends Error {
  override name = 'SamplingError';
}

export const SAMPLING_DEFAULTS: Readonly<Omit<Required<SamplingOptions>, 'seed'>> = {
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1.1,
  repeatLastN: 64,
  presencePenalty: 0,
  frequencyPenalty: 0,
};

function randomSeed(): number {
  const w = new Uint32Array(2);
  globalThis.crypto.getRandomValues(w);
  return (w[0]! & 0x1fffff) * 2 ** 32 + w[1]!;
}

/** Fills in the defaults and checks every option's range; the error names the option at fault. */
export function checkSampling(o: SamplingOptions): Required<SamplingOptions> {
  const r: Required<SamplingOptions> = {
    temperature: o.temperature ?? SAMPLING_DEFAULTS.temperature,
    topK: o.topK ?? SAMPLING_DEFAULTS.topK,
    topP: o.topP ?? SAMPLING_DEFAULTS.topP,
    minP: o.minP ?? SAMPLING_DEFAULTS.minP,
    repeatPenalty: o.repeatPenalty ?? SAMPLING_DEFAULTS.repeatPenalty,
    repeatLastN: o.repeatLastN ?? SAMPLING_DEFAULTS.repeatLastN,
    presencePenalty: o.presencePenalty ?? SAMPLING_DEFAULTS.presencePenalty,
    frequencyPenalty: o.frequencyPenalty ?? SAMPLING_DEFAULTS.frequencyPenalty,
    seed: o.seed ?? randomSeed(),
  };
  const fail = (name: keyof SamplingOptions, want: string) => {
    throw new SamplingError(`sampling option ${name} ${String(r[name])} not ${want}`);
  };
  for (const k of Object.keys(r) as (keyof SamplingOptions)[]) {
    if (typeof r[k] !== 'number' || Number.isNaN(r[k])) fail(k, 'a number');
  }
  if (!Number.isFinite(r.temperature)) fail('temperature', 'finite');
  if (!Number.isInteger(r.topK)) fail('topK', 'an integer');
  if (!(r.topP > 0 && r.topP <= 1)) fail('topP', 'in (0, 1]');
  if (!(r.minP >= 0 && r.minP <= 1)) fail('minP', 'in [0, 1]');
  if (!(r.repeatPenalty > 0 && Number.isFinite(r.repeatPenalty))) fail('repeatPenalty', 'finite and > 0');
  if (!Number.isInteger(r.repeatLastN) || r.repeatLastN < -1) fail('repeatLastN', 'an integer >= -1');
  if (!Number.isFinite(r.presencePenalty)) fail('presencePenalty', 'finite');
  if (!Number.isFinite(r.frequencyPenalty)) fail('frequencyPenalty', 'finite');
  if (!Number.isSafeInteger(r.seed) || r.seed < 0) fail('seed', 'an integer in [0, 2^53)');
  return r;
}

/** xoshiro128** seeded by SplitMix64: 32-bit arithmetic only, identical on every JS engine. */
export class Xoshiro128 {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    let x = BigInt(seed);
    const M = (1n << 64n) - 1n;
    for (let i = 0; i < 4; i += 2) {
      x = (x + 0x9e3779b97f4a7c15n) & M;
      let z = x;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
      z ^= z >> 31n;
      this.s[i] = Number(z & 0xffffffffn);
      this.s[i + 1] = Number(z >> 32n);
    }
    // SplitMix64 never yields an all-zero state from consecutive outputs in practice; guard anyway.
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** The next 32-bit output. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2] = s[2]! ^ s[0]!;
    s[3] = s[3]! ^ s[1]!;
    s[1] = s[1]! ^ s[2]!;
    s[0] = s[0]! ^ s[3]!;
    s[2] = s[2]! ^ t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const f = Math.fround;

/** A candidate list: token ids with their (penalised) logits. */
interface Candidates {
  ids: number[];
  logits: number[];
}

export class Sampler {
  readonly options: Readonly<Required<SamplingOptions>>;
  /** True when the pick is the argmax of the penalised logits (temperature <= 0): no random draw. */
  readonly greedy: boolean;
  private readonly rng: Xoshiro128;
  private scratch: Float32Array | undefined;

  constructor(o: SamplingOptions) {
    this.options = Object.freeze(checkSampling(o));
    this.greedy = this.options.temperature <= 0;
    this.rng = new Xoshiro128(this.options.seed);
  }

  /**
   * The next token id from one position's logits. `recent`: the token history (prompt and generated so far, oldest
   * first); the repeat penalty looks at its last repeatLastN. The logits are not modified.
   */
  sample(logits: Float32Array, recent: readonly number[]): number {
    checkLogits(logits);
    const V = logits.length;
    const l = this.penalties(logits, recent);
    if (this.greedy) {
      let best = 0;
      for (let i = 1; i < V; i++) if (l[i]! > l[best]!) best = i;
      return best;
    }
    return this.draw(this.weigh(l));
  }

  /**
   * The distribution a draw is made from: the tokens that survive the penalties and filters, in decreasing order of
   * logit, with their probabilities after temperature. Greedy: the argmax alone, probability 1.
   */
  distribution(logits: Float32Array, recent: readonly number[]): { ids: number[]; probs: number[] } {
    if (this.greedy) return { ids: [this.sample(logits, recent)], probs: [1] };
    checkLogits(logits);
    const { ids, weights, total } = this.weigh(this.penalties(logits, recent));
    return { ids, probs: weights.map((w) => w / total) };
  }

  /**
   * The ids whose logits the penalties change, in the order it visits them (distinct, newest window of `recent`):
   * what the GPU's top-k gathers (src/kernels/lm.ts planTopK) besides the top K + these ids.
   */
  penalisedIds(recent: readonly number[], vocab: number): number[] {
    return [...this.windowCounts(recent, vocab).keys()];
  }

  /** Each distinct id of the penalties' window with its count (empty when every penalty is off). */
  private windowCounts(recent: readonly number[], vocab: number): Map<number, number> {
    const { repeatLastN: n } = this.options;
    const counts = new Map<number, number>();
    if (!hasPenalty(this.options) || recent.length === 0) return counts;
    const from = n < 0 ? 0 : Math.max(0, recent.length - n);
    for (let j = from; j < recent.length; j++) {
      const id = recent[j]!;
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new SamplingError(`sample: recent token ${j} is ${id}, not an id below the vocabulary size ${vocab}`);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  /** llama.cpp's penalties on one logit seen `count` times: repeat (divide / multiply), then frequency and presence, in f32. */
  private penalise(x: number, count: number): number {
    const { repeatPenalty: r, frequencyPenalty: fq, presencePenalty: pr } = this.options;
    const y = f(x <= 0 ? x * r : x / r);
    return fq === 0 && pr === 0 ? y : f(y - f(f(count * fq) + pr));
  }

  /**
   * The next token from the GPU's top-k (planTopK) instead of the whole row: `top` the m largest raw logits
   * (sorted, ties to the lower id), `gathered` the raw logits of at least the penalised ids (penalisedIds(recent))
   * and the `mask`ed ones (set to -Infinity first, as a caller's ignore-EOG does), `bad` the first NaN / +Inf.
   * With m >= topK + (gathered ids), the top K of the modified logits are among these (only the gathered ids
   * change, and at most that many of them sit in the raw top m), so the pick is the one sample() makes from the
   * whole row with the same seed state. Needs topK > 0.
   */
  sampleTop(top: { ids: readonly number[]; logits: readonly number[] }, gathered: { ids: readonly number[]; logits: readonly number[] }, bad: { index: number; value: number }, vocab: number, recent: readonly number[], mask: readonly number[] = []): number {
    const { topK } = this.options;
    if (topK <= 0) throw new SamplingError('sampleTop: needs top-k (topK > 0)');
    if (bad.index < vocab) throw new SamplingError(`sample: logit ${bad.index} of ${vocab} is ${bad.value}`);
    if (top.ids.length === 0 || top.logits[0] === -Infinity) throw new SamplingError(`sample: all ${vocab} logits are -Infinity`);
    if (top.ids.length < Math.min(vocab, topK + gathered.ids.length)) {
      throw new SamplingError(`sampleTop: ${top.ids.length} candidates for top-k ${topK} with ${gathered.ids.length} gathered ids`);
    }
    const raw = new Map<number, number>();
    gathered.ids.forEach((id, i) => raw.set(id, gathered.logits[i]!));
    const val = new Map<number, number>();
    top.ids.forEach((id, i) => val.set(id, top.logits[i]!));
    const need = (id: number) => {
      const x = raw.get(id);
      if (x === undefined) throw new SamplingError(`sampleTop: the logit of id ${id} was not gathered`);
      return x;
    };
    for (const id of mask) val.set(id, (need(id), -Infinity));
    for (const [id, count] of this.windowCounts(recent, vocab)) {
      const x = mask.includes(id) ? -Infinity : need(id);
      val.set(id, this.penalise(x, count));
    }
    const ids = [...val.keys()].sort((a, b) => (before(a, val.get(a)!, b, val.get(b)!) ? -1 : 1)).slice(0, topK);
    const c: Candidates = { ids, logits: ids.map((id) => val.get(id)!) };
    if (c.logits[0] === -Infinity) throw new SamplingError(`sample: all ${vocab} logits are -Infinity`);
    if (this.greedy) return c.ids[0]!;
    return this.draw(this.weighTop(c));
  }

  private draw({ ids, weights, total }: { ids: number[]; weights: number[]; total: number }): number {
    const target = total * this.rng.nextDouble();
    let run = 0;
    for (let i = 0; i < ids.length; i++) {
      run += weights[i]!;
      if (run >= target) return ids[i]!;
    }
    return ids[ids.length - 1]!;
  }

  /** Top-p, min-p and temperature on the top-k candidates (sorted). */
  private weighTop(c: Candidates): { ids: number[]; weights: number[]; total: number } {
    const { topP } = this.options;
    return this.finishWeights(applyTopP(c, topP, topP < 1 ? sumExpF32(c.logits, c.logits[0]!) : 0));
  }

  /** Top-k, top-p, min-p and temperature on penalised logits: the kept ids and their exp(logit/T - max) weights. */
  private weigh(l: Float32Array): { ids: number[]; weights: number[]; total: number } {
    const { topK, topP, minP } = this.options;
    if (topK > 0) return this.weighTop(topKCandidates(l, topK));
    // Without top-k, llama.cpp's top-p normalises over the whole vocabulary (summing in id order), and min-p can
    // keep only logits >= max + ln(minP): a head of the sorted order, so only those need sorting.
    let max = -Infinity;
    for (let i = 0; i < l.length; i++) if (l[i]! > max) max = l[i]!;
    const total = topP < 1 ? sumExpF32(l, max) : 0;
    return this.finishWeights(applyTopP(sortedFrom(l, minP > 0 ? f(max + f(Math.log(minP))) : -Infinity), topP, total));
  }

  /** Min-p and temperature, then the draw's weights. */
  private finishWeights(c: Candidates): { ids: number[]; weights: number[]; total: number } {
    const { minP, temperature } = this.options;
    c = applyMinP(c, minP);
    const t = f(temperature);
    const scaled = c.logits.map((x) => f(x / t));
    // A temperature so small that logit / T overflows is the greedy limit: the top logit(s) alone.
    const weights = Number.isFinite(scaled[0]!)
      ? scaled.map((x) => f(Math.exp(f(x - scaled[0]!))))
      : c.logits.map((x) => (x === c.logits[0]! ? 1 : 0));
    let total = 0;
    for (const w of weights) total += w; // f64, as llama.cpp's dist sampler sums
    return { ids: c.ids, weights, total };
  }

  /** The logits with the penalties applied (a copy when there is anything to penalise). */
  private penalties(logits: Float32Array, recent: readonly number[]): Float32Array {
    const counts = this.windowCounts(recent, logits.length);
    if (counts.size === 0) return logits;
    // One scratch copy reused across tokens: no 600 kB allocation per token on a 150k vocabulary.
    if (this.scratch?.length !== logits.length) this.scratch = new Float32Array(logits.length);
    const out = this.scratch;
    out.set(logits);
    for (const [id, count] of counts) out[id] = this.penalise(logits[id]!, count);
    return out;
  }
}

/** Whether any penalty changes a logit (repeat penalty not 1, or a frequency or presence penalty, over a window). */
export function hasPenalty(s: Required<SamplingOptions>): boolean {
  return s.repeatLastN !== 0 && (s.repeatPenalty !== 1 || s.frequencyPenalty !== 0 || s.presencePenalty !== 0);
}

/** NaN or +Infinity anywhere, or nothing finite at all, is an error naming the position: never a silent pick. */
function checkLogits(logits: Float32Array): void {
  const V = logits.length;
  if (V === 0) throw new SamplingError('sample: the logits are empty');
  let max = -Infinity;
  for (let i = 0; i < V; i++) {
    const x = logits[i]!;
    if (Number.isNaN(x) || x === Infinity) throw new SamplingError(`sample: logit ${i} of ${V} is ${x}`);
    if (x > max) max = x;
  }
  if (max === -Infinity) throw new SamplingError(`sample: all ${V} logits are -Infinity`);
}

/** Order for candidates: larger logit first, then the lower id (a stable, fully determined order). */
function before(ai: number, al: number, bi: number, bl: number): boolean {
  return al > bl || (al === bl && ai < bi);
}

/**
 * The tokens whose logit is >= `from`, sorted (larger logit first, then the lower id). Sorting 150k ids with a
 * comparator takes a tenth of a second, so each (logit, id) is packed into one double whose natural order is that
 * order: the f32 logit's bits made order-preserving (32 bits, complemented for descending) times 2^21, plus the id
 * (below 2^21): 53 bits, exact; a typed array sorts those natively.
 */
function sortedFrom(l: Float32Array, from: number): Candidates {
  const V = l.length;
  if (V > 2 ** 21) {
    const ids = Array.from({ length: V }, (_, i) => i).filter((i) => l[i]! >= from);
    ids.sort((a, b) => (l[a]! !== l[b]! ? l[b]! - l[a]! : a - b));
    return { ids, logits: ids.map((i) => l[i]!) };
  }
  const bits = new Uint32Array(l.buffer, l.byteOffset, V);
  const keys = new Float64Array(V);
  let n = 0;
  for (let i = 0; i < V; i++) {
    if (!(l[i]! >= from)) continue;
    const b = l[i] === 0 ? 0 : bits[i]!; // -0 sorts as +0, as comparisons treat them
    const ordered = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0; // ascending with the float
    keys[n++] = (0xffffffff - ordered) * 2097152 + i;
  }
  const sorted = keys.subarray(0, n).sort();
  const ids = new Array<number>(n);
  const logits = new Array<number>(n);
  for (let j = 0; j < n; j++) {
    const i = sorted[j]! % 2097152;
    ids[j] = i;
    logits[j] = l[i]!;
  }
  return { ids, logits };
}

/** The k best tokens, sorted, by one pass with a small sorted buffer (k is small; the vocabulary is not). */
function topKCandidates(l: Float32Array, k: number): Candidates {
  const V = l.length;
  k = Math.min(k, V);
  const ids: number[] = [];
  const logits: number[] = [];
  for (let i = 0; i < V; i++) {
    const x = l[i]!;
    if (ids.length === k && !before(i, x, ids[k - 1]!, logits[k - 1]!)) continue;
    let j = ids.length === k ? k - 1 : ids.length;
    while (j > 0 && before(i, x, ids[j - 1]!, logits[j - 1]!)) {
      ids[j] = ids[j - 1]!;
      logits[j] = logits[j - 1]!;
      j--;
    }
    ids[j] = i;
    logits[j] = x;
  }
  return { ids, logits };
}

/**
 * Nucleus: the shortest head whose f32 cumulative softmax probability reaches p (the crossing token kept). `sum`:
 * the softmax denominator, over the candidates top-p was given (which may be more than the head in c).
 */
function applyTopP(c: Candidates, p: number, sum: number): Candidates {
  if (p >= 1) return c;
  const max = c.logits[0]!;
  const pf = f(p);
  let cum = 0;
  for (let i = 0; i < c.logits.length; i++) {
    cum = f(cum + f(f(Math.exp(f(c.logits[i]! - max))) / sum));
    if (cum >= pf) return { ids: c.ids.slice(0, i + 1), logits: c.logits.slice(0, i + 1) };
  }
  return c;
}

/** Min-p: keep logits >= max + ln(p), i.e. probability >= p times the largest (the largest always kept). */
function applyMinP(c: Candidates, p: number): Candidates {
  if (p <= 0) return c;
  const min = f(c.logits[0]! + f(Math.log(p)));
  let n = 1;
  while (n < c.logits.length && c.logits[n]! >= min) n++;
  return { ids: c.ids.slice(0, n), logits: c.logits.slice(0, n) };
}

/** The f32 sum of exp(l - max) in the given order: llama.cpp's softmax denominator. */
function sumExpF32(l: ArrayLike<number>, max: number): number {
  let sum = 0;
  for (let i = 0; i < l.length; i++) sum = f(sum + f(Math.exp(f(l[i]! - max))));
  return sum;
}
