/**
 * Vocabularies for the tokenizer tests, built deterministically from sample text: an SPM one (byte tokens, scored
 * pieces from frequent substrings) and a byte-level BPE one (merges learned greedily), plus a writer of tiny Llama
 * GGUF files holding them so llama.cpp (node-llama-cpp) can load the same vocabulary.
 */
import { encodeGgufFile, gguf, type GgufValue } from '../../src/io/gguf.js';
import { randomF32 } from '../../src/ref/random.js';
import { preTokenize, preTokenizer } from '../../src/tokenizer/pretokenize.js';
import { BYTE_TO_CHAR, byteEncode } from '../../src/tokenizer/unicode.js';

export const TRAIN_TEXT = [
  'The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away into the forest.',
  "It's a truth universally acknowledged that a single man in possession of a good fortune must be in want of a wife.",
  "We don't know what they're doing, but I'm sure they'll tell us what they've seen and what he'd said.",
  'Le renard brun rapide saute par-dessus le chien paresseux. Où est la bibliothèque ? À côté de la gare, près du café.',
  'Les élèves étudient la littérature française et les mathématiques à l’école; ils préfèrent les crêpes.',
  'Über allen Gipfeln ist Ruh, in allen Wipfeln spürest du kaum einen Hauch. Señor, mañana será otro día.',
  'function main() { const x = 42; return x * 2 + 1; } // 1234567 tokens in 2024, 3.14159 and 100,000 items',
  'Numbers: 0 1 12 123 1234 12345 and dates 2024-01-31, times 12:30:45, prices $19.99 or €5,00.',
  '日本語のテキストも少し含めます。東京は日本の首都です。中文文本也包括在内，北京是中国的首都。',
  'Emoji: 😀 😂 👍🏽 👨‍👩‍👧‍👦 ❤️ 🇫🇷 — and “quotes”, ‘single’, ellipsis… done.\n\nNew paragraph\twith\ttabs.\n',
];

function counts<T>(items: Iterable<T>): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** SPM (`llama`) metadata: <unk> <s> </s>, 256 byte tokens, pieces scored by frequency, two extra specials. */
export function spmVocabMetadata(opts: { pieces?: number } = {}): Record<string, GgufValue> {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [2, 3, 3];
  const scores = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(6);
    scores.push(0);
  }
  // Candidate pieces: substrings (2..8 chars) of '▁'-prefixed words, ranked by count * length; plus single chars.
  const words = TRAIN_TEXT.join(' ').split(/\s+/).filter(Boolean).map((w) => '\u2581' + w);
  const sub = new Map<string, number>();
  const chars = new Set<string>();
  for (const w of words) {
    const cs = Array.from(w);
    for (const c of cs) chars.add(c);
    for (let i = 0; i < cs.length; i++) {
      for (let n = 2; n <= 8 && i + n <= cs.length; n++) {
        const s = cs.slice(i, i + n).join('');
        sub.set(s, (sub.get(s) ?? 0) + 1);
      }
    }
  }
  const ranked = [...sub.entries()]
    .filter(([, c]) => c >= 2)
    .sort((a, b) => b[1] * Array.from(b[0]).length - a[1] * Array.from(a[0]).length || (a[0] < b[0] ? -1 : 1))
    .slice(0, opts.pieces ?? 400)
    .map(([s]) => s);
  // Single characters first (best scores), then pieces; scores come in steps of 3 so that ties occur.
  // Some CJK characters are left out on purpose: they must fall back to bytes.
  const singles = [...chars].sort().filter((c) => !'首都含'.includes(c));
  [...singles, ...ranked].forEach((p, i) => {
    if (tokens.includes(p)) return;
    tokens.push(p);
    types.push(1);
    scores.push(-Math.floor(i / 3) - 1);
  });
  tokens.push('<|user|>', '[CTRL]');
  types.push(4, 3);
  scores.push(0, 0);
  return {
    'tokenizer.ggml.model': gguf.str('llama'),
    'tokenizer.ggml.tokens': gguf.array('string', tokens),
    'tokenizer.ggml.scores': gguf.array('f32', scores),
    'tokenizer.ggml.token_type': gguf.array('i32', types),
    'tokenizer.ggml.bos_token_id': gguf.u32(1),
    'tokenizer.ggml.eos_token_id': gguf.u32(2),
    'tokenizer.ggml.unknown_token_id': gguf.u32(0),
    'tokenizer.ggml.add_bos_token': gguf.bool(true),
    'tokenizer.ggml.add_eos_token': gguf.bool(false),
  };
}

/** Byte-level BPE (`gpt2`) metadata: 256 byte symbols, `nMerges` merges learned on TRAIN_TEXT, special tokens. */
export function bpeVocabMetadata(pre: string, opts: { nMerges?: number } = {}): Record<string, GgufValue> {
  const tokens = [...BYTE_TO_CHAR];
  const merges: string[] = [];
  // Words as symbol lists, with their counts (pre-tokenized the Llama 3 way, whatever `pre` is).
  const wordCounts = counts(preTokenize(preTokenizer('llama-bpe')!, TRAIN_TEXT.join('\n')).map(byteEncode));
  let words = [...wordCounts.entries()].map(([w, c]) => ({ syms: Array.from(w), c }));
  const have = new Set(tokens);
  for (let m = 0; m < (opts.nMerges ?? 600); m++) {
    const pairs = new Map<string, number>();
    for (const { syms, c } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = syms[i] + ' ' + syms[i + 1];
        pairs.set(k, (pairs.get(k) ?? 0) + c);
      }
    }
    let best = '';
    let bestC = 0;
    for (const [k, c] of pairs) if (c > bestC || (c === bestC && k < best)) [best, bestC] = [k, c];
    if (bestC < 1) break; // pairs seen once merge too (ties by text), for a larger vocabulary
    merges.push(best);
    const [a, b] = best.split(' ');
    if (!have.has(a + b)) {
      have.add(a + b);
      tokens.push(a + b);
    }
    words = words.map(({ syms, c }) => {
      const out: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(syms[i]);
      }
      return { syms: out, c };
    });
  }
  // A whole word in the vocab that merges cannot reach (llama-bpe takes it whole: ignore_merges).
  tokens.push('Ġzyxwv');
  const types = tokens.map(() => 1);
  const specials: [string, number][] = [
    ['<|begin_of_text|>', 3], ['<|end_of_text|>', 3], ['<|eot_id|>', 3], ['<|im_start|>', 3], ['<|im_end|>', 3], ['<tool>', 4],
  ];
  const base = tokens.length;
  for (const [t, ty] of specials) {
    tokens.push(t);
    types.push(ty);
  }
  return {
    'tokenizer.ggml.model': gguf.str('gpt2'),
    'tokenizer.ggml.pre': gguf.str(pre),
    'tokenizer.ggml.tokens': gguf.array('string', tokens),
    'tokenizer.ggml.token_type': gguf.array('i32', types),
    'tokenizer.ggml.merges': gguf.array('string', merges),
    'tokenizer.ggml.bos_token_id': gguf.u32(base),
    'tokenizer.ggml.eos_token_id': gguf.u32(base + 1),
    'tokenizer.ggml.eot_token_id': gguf.u32(base + 2),
    'tokenizer.ggml.add_bos_token': gguf.bool(true),
  };
}

/** A Llama-architecture GGUF file with this vocabulary and tiny random F32 weights (dim 8, 1 layer, 2 heads). */
export function tinyLlamaGguf(vocab: Record<string, GgufValue>, seed = 1): Uint8Array {
  const V = (vocab['tokenizer.ggml.tokens'] as { value: unknown[] }).value.length;
  const D = 8;
  const F = 16;
  const w = (name: string, shape: number[], i: number) => ({ name, type: 'F32' as const, shape, data: randomF32(shape.reduce((a, b) => a * b, 1), seed * 100 + i, -0.1, 0.1) });
  const ones = (name: string) => ({ name, type: 'F32' as const, shape: [D], data: new Float32Array(D).fill(1) });
  const tensors = [
    w('token_embd.weight', [V, D], 1), ones('output_norm.weight'), w('output.weight', [V, D], 2), ones('blk.0.attn_norm.weight'),
    w('blk.0.attn_q.weight', [D, D], 3), w('blk.0.attn_k.weight', [D, D], 4), w('blk.0.attn_v.weight', [D, D], 5),
    w('blk.0.attn_output.weight', [D, D], 6), ones('blk.0.ffn_norm.weight'), w('blk.0.ffn_gate.weight', [F, D], 7),
    w('blk.0.ffn_up.weight', [F, D], 8), w('blk.0.ffn_down.weight', [D, F], 9),
  ];
  return encodeGgufFile(tensors, {
    'general.architecture': gguf.str('llama'),
    'general.name': gguf.str('nibble tokenizer test'),
    'llama.context_length': gguf.u32(64),
    'llama.embedding_length': gguf.u32(D),
    'llama.block_count': gguf.u32(1),
    'llama.feed_forward_length': gguf.u32(F),
    'llama.attention.head_count': gguf.u32(2),
    'llama.attention.head_count_kv': gguf.u32(2),
    'llama.attention.layer_norm_rms_epsilon': gguf.f32(1e-5),
    'llama.rope.dimension_count': gguf.u32(D / 2),
    ...vocab,
  });
}

/** Hand-picked strings: the corners of pre-tokenizers, space handling, contractions, digits, scripts, specials. */
export const EDGE_STRINGS = [
  '', ' ', '  ', '   ', '\n', '\n\n', '\t', ' \t\n ', '\r\n', 'line1\r\nline2\rline3', 'a\n\n\nb', 'a \n b', 'end \n', '\n start',
  'Hello', ' Hello', 'Hello ', '  Hello  world  ', 'Hello world', 'hello\tworld\t\t!', '    four spaces', 'trailing   ',
  "don't", "I'M", "DON'T", "you're WE'VE they'll she'd IT'S I'd", "'s", "''", "' '", "a ' b", "rock 'n' roll", "x's y'S z'Ll",
  "''ll", " 's", "it ' s", "l'école, aujourd'hui", 'Hello , world . how ? fine !', '...', '?!', '!!!???', 'a.b,c', 'end.',
  '1', '12', '123', '1234', '12345', '1234567890', ' 42', 'a1b22c333d4444', '3.14159', '1,000,000', '2024-01-31', 'x² ½ ¾',
  '٣٤٥ ٠١٢', '१२३', '$100', '<=>', '^~|', 'a$+b', '€5,00', '#tag @user', 'C++ & C#', 'a_b-c/d\\e', '(x) [y] {z}',
  'café', 'naïve', 'über', 'ñandú', 'e\u0301', 'Œuvre ÆØÅ', 'ß ẞ', 'Ελληνικά', 'русский текст', 'עברית', 'العربية',
  '日本語', '中文', '東京は日本の首都です。', '北京是中国的首都', '한국어 텍스트', 'ひらがな カタカナ', '日本語のテキストも少し含めます。',
  '😀', '👍🏽', '👨‍👩‍👧‍👦', '❤️', '🇫🇷🇯🇵', 'a😀b', ' 😀 ', '😀😀😀', '👩🏿‍💻 coding', 'emoji-only: 🎉🎉',
  'a\u00a0b', 'x\u3000y', 'p\u0085q', '\ufeffbom', 'zero\u200bwidth', 'tab\u2003em', '\u2028\u2029', '\x00', '\x01\x7f', 'a\x1bb',
  '<s>', '</s>', '<unk>', '<|user|>', '[CTRL]', 'a<s>b', ' <s> ', '<s><s>', '<|user|>hello<|user|>', '[CTRL] x [CTRL]',
  '<|begin_of_text|>Hi<|eot_id|>', '<|im_start|>user\nhi<|im_end|>\n', '<tool>call</tool>', '<|im_start|><|im_end|>',
  '<|end_of_text|> after', 'text<|eot_id|>', '<|begin_of_text|>', '<<|user|>>', '<|im_start|>system\nYou are helpful.<|im_end|>',
  'function main() { return 0; }', '    if (x) {\n        y();\n    }\n', 'zyxwv', ' zyxwv', 'zyxwvu', ' the the the',
  'The quick brown fox jumps over the lazy dog.', "It's a truth universally acknowledged.", 'Où est la bibliothèque ?',
];

const ALPHABET_CHUNKS = [
  'the', ' the', 'fox', ' dog', 'Hello', ' world', 'ing', 'tion', "'s", "'t", "'RE", "n't", ' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n',
  '0', '7', '42', '123', '98765', '3.5', ',', '.', '!', '?', '...', '-', '"', "'", '(', ')', '$', '+', '<', '>', '=', '|', '^', '~',
  'é', 'ü', 'ñ', 'ç', 'À', 'œ', 'ß', 'café', ' élève', 'Ω', 'я', '日', '本', '語', '中文', '首都', 'テ', '한', '😀', '👍🏽', '👨‍👩‍👧',
  '❤️', '🇫🇷', '\u00a0', '\u3000', '²', '½', '<s>', '</s>', '<|user|>', '[CTRL]', '<|eot_id|>', '<|im_start|>', '<tool>', '<|',
];

/** `n` random strings (seeded) mixing the chunks above; the same seed gives the same strings. */
export function randomStrings(n: number, seed: number): string[] {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(rand() * 14);
    let t = '';
    for (let j = 0; j < len; j++) t += ALPHABET_CHUNKS[Math.floor(rand() * ALPHABET_CHUNKS.length)];
    out.push(t);
  }
  return out;
}

/** About `bytes` bytes of mixed text (for timing). */
export function longText(bytes: number): string {
  const base = TRAIN_TEXT.join('\n') + '\n' + EDGE_STRINGS.join(' ') + '\n';
  let t = '';
  for (let i = 0; new TextEncoder().encode(t).length < bytes; i++) t += base.replaceAll('fox', `fox${i}`);
  return t;
}
