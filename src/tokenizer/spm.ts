/**
 * SentencePiece-style (SPM) encoding of one text fragment, as llama.cpp does it: start from single characters and
 * keep merging the adjacent pair whose union is the highest-scored vocab entry (ties: leftmost first); characters
 * never merged into a vocab entry fall back to their UTF-8 bytes as `<0xXX>` tokens.
 */
import { Heap } from './heap.js';
import { utf8Encoder } from './unicode.js';

export interface SpmVocab {
  id(text: string): number | undefined;
  score(id: number): number;
  /** The token standing for one byte (`<0xXX>`, else the byte as a one-character token). */
  byteToken(byte: number): number;
}

interface Bigram {
  left: number;
  right: number;
  score: number;
  size: number;
}

const bigramFirst = (a: Bigram, b: Bigram) => a.score > b.score || (a.score === b.score && a.left < b.left);

/** Appends the ids of `text` (spaces already written as U+2581) to `out`. */
export function spmEncode(text: string, vocab: SpmVocab, out: number[]): void {
  // Symbols: one per code point, as UTF-16 [start, start + len) of `text`, in a linked list.
  const start: number[] = [];
  const len: number[] = [];
  for (let i = 0; i < text.length; ) {
    const n = text.codePointAt(i)! > 0xffff ? 2 : 1;
    start.push(i);
    len.push(n);
    i += n;
  }
  const count = start.length;
  const prev = Array.from({ length: count }, (_, i) => i - 1);
  const next = Array.from({ length: count }, (_, i) => (i + 1 < count ? i + 1 : -1));
  const queue = new Heap<Bigram>(bigramFirst);

  const tryAdd = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const size = len[left] + len[right];
    const id = vocab.id(text.slice(start[left], start[left] + size));
    if (id === undefined) return;
    queue.push({ left, right, score: vocab.score(id), size });
  };
  for (let i = 1; i < count; i++) tryAdd(i - 1, i);

  while (queue.size > 0) {
    const b = queue.pop()!;
    // Stale: one side was merged away or grew since this pair was queued.
    if (len[b.left] === 0 || len[b.right] === 0 || len[b.left] + len[b.right] !== b.size) continue;
    len[b.left] += len[b.right];
    len[b.right] = 0;
    next[b.left] = next[b.right];
    if (next[b.right] >= 0) prev[next[b.right]] = b.left;
    tryAdd(prev[b.left], b.left);
    tryAdd(b.left, next[b.left]);
  }

  for (let i = count > 0 ? 0 : -1; i !== -1; i = next[i]) {
    const piece = text.slice(start[i], start[i] + len[i]);
    const id = vocab.id(piece);
    if (id !== undefined) out.push(id);
    else for (const byte of utf8Encoder.encode(piece)) out.push(vocab.byteToken(byte));
  }
}
