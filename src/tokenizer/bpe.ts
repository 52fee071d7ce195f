/**
 * Byte-pair encoding of one pre-tokenized word (already in GPT-2's byte-level alphabet), as llama.cpp does it:
 * start from single characters and apply the lowest-ranked merge among adjacent pairs (ties: leftmost first)
 * until none applies.
 */
import { Heap } from './heap.js';

/** A merge's key in the rank map: unambiguous even if a side holds a space. */
export const mergeKey = (left: string, right: string) => `${left.length}:${left}${right}`;

interface Bigram {
  left: number;
  right: number;
  rank: number;
  text: string;
}

const bigramFirst = (a: Bigram, b: Bigram) => a.rank < b.rank || (a.rank === b.rank && a.left < b.left);

/** The word's pieces after all merges. */
export function bpeMerge(word: string, ranks: ReadonlyMap<string, number>): string[] {
  const sym: string[] = Array.from(word);
  const count = sym.length;
  if (count <= 1) return sym;
  const prev = Array.from({ length: count }, (_, i) => i - 1);
  const next = Array.from({ length: count }, (_, i) => (i + 1 < count ? i + 1 : -1));
  const queue = new Heap<Bigram>(bigramFirst);

  const tryAdd = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const rank = ranks.get(mergeKey(sym[left], sym[right]));
    if (rank !== undefined) queue.push({ left, right, rank, text: sym[left] + sym[right] });
  };
  for (let i = 1; i < count; i++) tryAdd(i - 1, i);

  while (queue.size > 0) {
    const b = queue.pop()!;
    const l = sym[b.left];
    const r = sym[b.right];
    // Stale: a side was merged away or changed since this pair was queued.
    if (l === '' || r === '' || l + r !== b.text) continue;
    sym[b.left] = b.text;
    sym[b.right] = '';
    next[b.left] = next[b.right];
    if (next[b.right] >= 0) prev[next[b.right]] = b.left;
    tryAdd(prev[b.left], b.left);
    tryAdd(b.left, next[b.left]);
  }
  return sym.filter((s) => s !== '');
}
