// Text data for language models: a document tokenized by the model's own tokenizer, split into training and
// validation token streams (the last 10% of the tokens validate), random training windows from a seeded sampler and
// a fixed set of validation windows. A window is one row of a batch: the model reads BOS then T - 1 tokens of the
// stream and predicts the T tokens that follow BOS (so every window starts as a prompt does at generation).
// Losses are reported in nats per byte of text: the mean token loss times tokens per byte (1 for the byte-level
// vocabulary, where every byte is one token).
import { rng } from '../ref/random.js';
import type { Tokenizer } from '../tokenizer/index.js';

export class TextDataError extends Error {}

export interface TextDataset {
  train: Int32Array;
  val: Int32Array;
  bos: number;
  /** Tokens per byte of the text (to turn nats per token into nats per byte). */
  tokensPerByte: number;
  bytes: number;
}

/** Tokenizes `text` (line by line, no special tokens) and splits it: the last `valFraction` (0.1) validates. */
export function textDataset(text: string, tok: Tokenizer, o: { valFraction?: number; bos?: number } = {}): TextDataset {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes === 0) throw new TextDataError('text data: the text is empty');
  const ids: number[] = [];
  // Lines are independent for a byte-level tokenizer; encoding them one by one keeps each call small.
  for (const line of text.split(/(?<=\n)/)) for (const id of tok.encode(line, { addSpecial: false })) ids.push(id);
  const bos = o.bos ?? tok.encode('', { addSpecial: true })[0];
  if (bos === undefined) throw new TextDataError('text data: the tokenizer adds no BOS token (pass bos)');
  const valFraction = o.valFraction ?? 0.1;
  if (!(valFraction > 0 && valFraction < 1)) throw new TextDataError(`text data: valFraction ${valFraction} must be in (0, 1)`);
  const cut = Math.floor(ids.length * (1 - valFraction));
  return { train: Int32Array.from(ids.slice(0, cut)), val: Int32Array.from(ids.slice(cut)), bos, tokensPerByte: ids.length / bytes, bytes };
}

/** Writes window `row` of a [B, T] batch from `stream` at `offset`: ids = BOS, s[o..o+T-2]; targets = s[o..o+T-1]. */
function putWindow(stream: Int32Array, offset: number, T: number, bos: number, ids: Int32Array, targets: Int32Array, row: number): void {
  ids[row * T] = bos;
  ids.set(stream.subarray(offset, offset + T - 1), row * T + 1);
  targets.set(stream.subarray(offset, offset + T), row * T);
}

function checkFits(what: string, stream: Int32Array, T: number): void {
  if (!Number.isInteger(T) || T < 2) throw new TextDataError(`text data: window length ${T} must be an integer >= 2`);
  if (stream.length < T) throw new TextDataError(`text data: the ${what} split has ${stream.length} tokens, fewer than one window of ${T}`);
}

/** A 32-bit mix of (seed, step), so that batch k depends on nothing but the seed and k (exact resume). */
function mix(seed: number, k: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Random training windows: batch k is a function of (seed, k) alone. */
export class WindowSampler {
  constructor(
    readonly data: TextDataset,
    readonly B: number,
    readonly T: number,
    readonly seed: number,
  ) {
    checkFits('training', data.train, T);
  }

  /** Batch `k`: ids and targets, i32 [B, T] row-major. */
  batch(k: number): { ids: Int32Array; targets: Int32Array } {
    const { B, T } = this;
    const r = rng(mix(this.seed, k));
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const span = this.data.train.length - T + 1;
    for (let b = 0; b < B; b++) putWindow(this.data.train, Math.floor(r() * span), T, this.data.bos, ids, targets, b);
    return { ids, targets };
  }

  /**
   * The k micro-batches of step `step` under gradient accumulation: batches step*k .. step*k + k - 1, each a
   * function of (seed, index) as any batch; k = 1 gives [batch(step)], the batches of a run without accumulation.
   */
  microBatches(step: number, k: number): { ids: Int32Array; targets: Int32Array }[] {
    if (!Number.isInteger(k) || k < 1) throw new TextDataError(`text data: micro-batches per step ${k} must be an integer >= 1`);
    return Array.from({ length: k }, (_, j) => this.batch(step * k + j));
  }
}

/**
 * A fixed set of `count` validation windows spread evenly over the validation stream, in batches of B (the last
 * batch padded with windows whose targets are `ignore`, which a loss skips).
 */
export function validationBatches(data: TextDataset, B: number, T: number, count: number, ignore: number): { ids: Int32Array; targets: Int32Array }[] {
  checkFits('validation', data.val, T);
  const last = data.val.length - T;
  const n = Math.max(1, Math.min(count, last + 1));
  const offsets = Array.from({ length: n }, (_, i) => (n === 1 ? 0 : Math.round((i * last) / (n - 1))));
  const out: { ids: Int32Array; targets: Int32Array }[] = [];
  for (let s = 0; s < n; s += B) {
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T).fill(ignore);
    for (let b = 0; b < B && s + b < n; b++) putWindow(data.val, offsets[s + b], T, data.bos, ids, targets, b);
    out.push({ ids, targets });
  }
  return out;
}

/** Nats per byte of text from a mean loss in nats per token. */
export function natsPerByte(lossPerToken: number, data: Pick<TextDataset, 'tokensPerByte'>): number {
  return lossPerToken * data.tokensPerByte;
}
