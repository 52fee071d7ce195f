// Valid language-model GGUF files for the fuzzer: tiny Llama-family models written by synthLlamaGguf (dim 64, one
// layer; both architectures, several weight types; SPM and byte-level BPE vocabularies built as the tokenizer tests
// build them), turned into the fuzzer's GgufDesc so that the GGUF mutators and the metadata-aware ones of
// fuzz/lm_mutate.ts can edit them before they are written. Each variant is built once per process (the BPE merges
// are learned from sample text: a few hundred ms), and every input gets its own copy of the description.
import { GGML_TYPES, parseGgufFile, type GgufValue } from '../src/io/gguf.js';
import { spmByteVocab, synthLlamaGguf, type SynthOptions } from '../src/lm/synth.js';
import { bpeVocabMetadata, spmVocabMetadata } from '../test/helpers/tokenizer_fixtures.js';
import { VT, type GgufDesc, type MetaValue } from './gguf_seed.js';
import type { Rng } from './rng.js';

/** f16 scale offsets inside one block of each block type (for badScale). */
const SCALE_AT: Record<string, number[]> = { Q4_0: [0], Q4_1: [0, 2], Q8_0: [0], Q5_0: [0], Q5_1: [0, 2] };

type Variant = Omit<SynthOptions, 'dim' | 'layers' | 'heads' | 'ffn' | 'vocab'> & { heads?: number; vocab: () => Record<string, GgufValue> };

/**
 * The seed models: every weight type whose blocks fit K = 64 (K-quants need K % 256 = 0: they are covered by the
 * plain GGUF targets), both architectures, tied and untied, GQA, rope factors, and the four vocabularies.
 */
const VARIANTS: Variant[] = [
  { arch: 'llama', weightType: 'F32', tied: true, vocab: () => spmByteVocab() },
  { arch: 'llama', weightType: 'Q4_0', embedType: 'Q8_0', kvHeads: 1, vocab: () => spmVocabMetadata({ pieces: 200 }) },
  { arch: 'qwen2', weightType: 'Q8_0', embedType: 'F16', vocab: () => bpeVocabMetadata('qwen2', { nMerges: 300 }) },
  { arch: 'llama', weightType: 'Q5_1', embedType: 'Q4_1', ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContext: 32 }, vocab: () => bpeVocabMetadata('llama-bpe', { nMerges: 300 }) },
  { arch: 'qwen2', weightType: 'BF16', embedType: 'Q5_0', tied: true, vocab: () => spmByteVocab([{ text: '\u2581the', score: -1 }, { text: 'ab', score: -2 }]) },
  { arch: 'llama', weightType: 'F16', heads: 4, kvHeads: 2, vocab: () => bpeVocabMetadata('gpt-2', { nMerges: 150 }) },
];
export const LM_VARIANTS = VARIANTS.length;

const VT_OF: Record<string, number> = VT;

/** A parsed metadata value as the fuzzer's writer takes it. */
export function metaValueOf(v: GgufValue): MetaValue {
  if (v.type !== 'array') return { type: VT_OF[v.type], value: v.value };
  return { type: VT.array, value: { itemType: VT_OF[v.itemType], items: v.value.map(metaValueOf) } };
}

/** A valid GGUF file's description (metadata in file order, tensors with their data and block-scale offsets). */
export function descFromGguf(bytes: Uint8Array): GgufDesc {
  const f = parseGgufFile(bytes, 'seed');
  const kvs = Object.entries(f.metadata).map(([key, v]) => ({ key, v: metaValueOf(v) }));
  const tensors = f.tensors.map((t) => {
    const [id, , B] = GGML_TYPES[t.type];
    const scales: number[] = [];
    for (let o = 0; o < t.data.length; o += B) for (const s of SCALE_AT[t.type] ?? []) scales.push(o + s);
    return { name: t.name, ne: t.ne.map(BigInt), type: id, offset: BigInt(t.offset), data: t.data, scales };
  });
  return { version: f.version, kvs, tensors, alignment: f.alignment };
}

const cache = new Map<number, GgufDesc>();

/** The description of seed model `i` (built on first use). */
export function lmSeedDesc(i: number): GgufDesc {
  let d = cache.get(i);
  if (!d) {
    const { vocab, heads, ...o } = VARIANTS[i];
    d = descFromGguf(synthLlamaGguf({ ...o, dim: 64, layers: 1, heads: heads ?? 2, ffn: 32, ctx: 64, seed: i + 1, vocab: vocab() }));
    cache.set(i, d);
  }
  return d;
}

/**
 * A fresh copy of a random seed model's description: lists and dims copied (mutators edit them in place), values
 * and tensor data shared (mutators replace those, never edit them).
 */
export function randomLmGguf(r: Rng): GgufDesc {
  const d = lmSeedDesc(r.int(VARIANTS.length));
  return { ...d, kvs: d.kvs.map((kv) => ({ ...kv })), tensors: d.tensors.map((t) => ({ ...t, ne: [...t.ne] })) };
}
