// Metadata-aware mutations of a language model's GGUF description (fuzz/lm_seed.ts): they aim at what
// llamaConfigFromGguf and Tokenizer.fromGguf read, where a blind bit flip rarely lands. Wrong value types of the
// `<arch>.*` and `tokenizer.ggml.*` keys, vocabulary arrays truncated or with lying counts, hyperparameters huge,
// zero, negative, NaN or inconsistent, token types out of range, merges that are not "a b" pairs, special ids out
// of range, empty and invalid UTF-8 tokens, and vocabularies built to be slow (long tokens, many special tokens).
import type { GgufDesc, MetaValue } from './gguf_seed.js';
import { VT } from './gguf_seed.js';
import { INTERESTING } from './mutate.js';
import type { Rng } from './rng.js';

type ArrayValue = { itemType: number; items: MetaValue[]; count?: bigint };

const K = 'tokenizer.ggml.';
const VOCAB_ARRAYS = ['tokens', 'scores', 'token_type', 'merges'].map((k) => K + k);
const SPECIAL_IDS = ['bos_token_id', 'eos_token_id', 'unknown_token_id', 'padding_token_id', 'eot_token_id', 'eom_token_id', 'fim_pad_token_id', 'prefix_token_id'].map((k) => K + k);
const INT_HPARAMS = ['context_length', 'embedding_length', 'block_count', 'feed_forward_length', 'attention.head_count', 'attention.head_count_kv', 'attention.key_length', 'attention.value_length', 'rope.dimension_count'];
const FLOAT_HPARAMS = ['attention.layer_norm_rms_epsilon', 'rope.freq_base'];
const SCALAR_TYPES = [VT.u8, VT.i8, VT.u16, VT.i16, VT.u32, VT.i32, VT.f32, VT.bool, VT.string, VT.u64, VT.i64, VT.f64];

/** Strings a tokenizer may choke on: long runs (slow paths are quadratic), specials inside specials, odd bytes. */
const ODD_TOKENS = [
  '', ' ', '\u2581', '\u2581\u2581', 'a', '<', '<0x', '<0xZZ>', '<0x100>', '<0x41', '[EMPTY_3]', '<s>', '</s>', '<|im_start|>', '<|im_', '|>',
  '\u0000', '\ufffd', '\ud7ff', 'é', 'Ġ', 'ĠĠ', '\u2581\u65e5\u672c', '😀', 'Ġ😀', '<|eot_id|>', '<|end|>', '<|return|>', '<|call|>', '<|tool_response>',
];
/** Raw bytes that are not UTF-8: a lone continuation byte, 0xff, an overlong NUL, a surrogate, a cut character. */
const BAD_UTF8 = [[0xff], [0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe6, 0x97], [0x61, 0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]];

const u32 = (value: number): MetaValue => ({ type: VT.u32, value });
const str = (value: string | Uint8Array): MetaValue => ({ type: VT.string, value });

function find(d: GgufDesc, key: string) {
  return d.kvs.find((kv) => kv.key === key);
}
function set(d: GgufDesc, key: string, v: MetaValue): void {
  const kv = find(d, key);
  if (kv) kv.v = v;
  else d.kvs.push({ key, v });
}
function arrayOf(v: MetaValue | undefined): ArrayValue | null {
  return v && v.type === VT.array && typeof v.value === 'object' && v.value !== null && Array.isArray((v.value as ArrayValue).items) ? (v.value as ArrayValue) : null;
}
/** The key's array with its items replaced (the seed's own array is never edited). */
function setItems(d: GgufDesc, key: string, edit: (items: MetaValue[]) => MetaValue[]): boolean {
  const kv = find(d, key);
  const a = arrayOf(kv?.v);
  if (!kv || !a) return false;
  kv.v = { type: VT.array, value: { ...a, items: edit([...a.items]) } };
  return true;
}
function archOf(d: GgufDesc): string {
  const v = find(d, 'general.architecture')?.v;
  return v?.type === VT.string && typeof v.value === 'string' ? v.value : 'llama';
}
function numberOf(v: MetaValue): number {
  if (v.type === VT.array) return arrayOf(v)?.items.length ?? 0;
  const x = v.value;
  return typeof x === 'bigint' ? Number(x) : typeof x === 'boolean' ? Number(x) : Number(x) || 0;
}

/** `v` as a value of type `t` (a number as a string, a string as its number, a scalar as a one-item array...). */
export function retype(v: MetaValue, t: number): MetaValue {
  const a = arrayOf(v);
  if (t === VT.array) return { type: VT.array, value: { itemType: a ? VT.array : v.type, items: [v] } };
  if (a && !a.items.length) return { type: t, value: t === VT.string ? '' : 0 };
  const x = a ? a.items[0].value : v.value;
  const n = numberOf(a ? a.items[0] : v);
  switch (t) {
    case VT.string: return str(x instanceof Uint8Array ? x : String(x));
    case VT.bool: return { type: t, value: n !== 0 };
    case VT.u64: case VT.i64: return { type: t, value: BigInt(Math.trunc(n)) };
    default: return { type: t, value: n };
  }
}

/** One metadata-aware mutation of a language model's description; returns its name. */
export function mutateLmDesc(r: Rng, d: GgufDesc): string {
  const a = archOf(d);
  const hp = (k: string) => `${a}.${k}`;
  const tokens = arrayOf(find(d, K + 'tokens')?.v);
  const nTok = tokens?.items.length ?? 0;
  switch (r.int(18)) {
    case 0: {
      // A hyperparameter or tokenizer key of another value type (or its array's item type changed).
      const keys = d.kvs.filter((kv) => kv.key.startsWith(`${a}.`) || kv.key.startsWith(K));
      if (!keys.length) return 'no key to retype';
      const kv = r.pick(keys);
      const arr = arrayOf(kv.v);
      if (arr && r.chance(0.5)) {
        const t = r.pick(SCALAR_TYPES);
        kv.v = { type: VT.array, value: { ...arr, itemType: t, items: arr.items.map((x) => retype(x, t)) } };
        return `'${kv.key}' items as type ${t}`;
      }
      const t = r.pick([...SCALAR_TYPES, VT.array]);
      kv.v = retype(kv.v, t);
      return `'${kv.key}' as type ${t}`;
    }
    case 1: {
      // A vocabulary array cut short: scores / types / merges no longer cover every token.
      const key = r.pick(VOCAB_ARRAYS);
      setItems(d, key, (it) => it.slice(0, r.pick([0, 1, Math.floor(it.length / 2), Math.max(it.length - 1, 0)])));
      return `'${key}' truncated`;
    }
    case 2: {
      // An array's count that lies (the items stay): the reader runs into the next key's bytes, or past the end.
      const key = r.pick(VOCAB_ARRAYS);
      const kv = find(d, key);
      const arr = arrayOf(kv?.v);
      if (!kv || !arr) return `no '${key}'`;
      const count = r.chance(0.5) ? BigInt(arr.items.length + r.pick([-2, -1, 1, 2, 1000])) : r.pick(INTERESTING);
      kv.v = { type: VT.array, value: { ...arr, count } };
      return `'${key}' count ${count}`;
    }
    case 3: {
      // A hyperparameter huge: head counts, layers, context, dims.
      const key = hp(r.pick(INT_HPARAMS));
      const v = r.pick<MetaValue>([u32(2 ** 31), u32(0xffffffff), u32(65536), u32(1 << 24), { type: VT.u64, value: 2n ** 53n + 1n }, { type: VT.u64, value: 2n ** 64n - 1n }, { type: VT.i64, value: 2n ** 62n }]);
      set(d, key, v);
      return `'${key}' huge`;
    }
    case 4: {
      const key = hp(r.pick(INT_HPARAMS));
      set(d, key, r.pick<MetaValue>([u32(0), { type: VT.i32, value: -1 }, { type: VT.i32, value: -64 }, { type: VT.i64, value: -(2n ** 63n) }, { type: VT.i8, value: -2 }, { type: VT.f32, value: 64.5 }]));
      return `'${key}' zero or negative`;
    }
    case 5: {
      // Inconsistent shapes: heads not dividing the width, kv heads not dividing heads, odd or too many rope dims.
      const [k, v] = r.pick<[string, number]>([
        ['attention.head_count', r.pick([3, 5, 7, 63, 65, 128])], ['attention.head_count_kv', r.pick([3, 4, 5, 64])], ['rope.dimension_count', r.pick([1, 3, 31, 33, 34, 64, 66])],
        ['attention.key_length', r.pick([16, 31, 33, 64])], ['attention.value_length', r.pick([16, 33, 64])], ['embedding_length', r.pick([32, 63, 65, 128])], ['feed_forward_length', r.pick([31, 33, 64])],
        ['block_count', r.pick([2, 3])],
      ]);
      set(d, hp(k), u32(v));
      return `'${hp(k)}' = ${v}`;
    }
    case 6: {
      const key = hp(r.pick(FLOAT_HPARAMS));
      const x = r.pick([NaN, Infinity, -Infinity, 0, -0, -1e-5, 1e-45, 3.4e38, 1e300]);
      set(d, key, { type: r.chance(0.7) ? VT.f32 : VT.f64, value: x });
      return `'${key}' = ${x}`;
    }
    case 7: {
      // Token types out of range (or all one type: all control, all byte, all user-defined).
      const all = r.chance(0.3) ? r.pick([0, 2, 3, 4, 5, 6]) : null;
      setItems(d, K + 'token_type', (it) => it.map((x) => (all !== null ? { type: x.type, value: all } : r.chance(0.05) ? { type: x.type, value: r.pick([-1, 0, 7, 8, 255, 2 ** 31 - 1, -(2 ** 31), 3, 4, 6]) } : x)));
      return all !== null ? `every token_type ${all}` : 'token_type out of range';
    }
    case 8: {
      // Merges that are not "a b" pairs (or merges given to an SPM vocabulary).
      const odd = () => str(r.pick(['', ' ', 'ab', 'a  b', 'a b c', ' a', 'a ', 'Ġ Ġ', '\u2581 \u2581', 'x'.repeat(300) + ' y', 'é è', '< s>', '\ud83d\ude00 \ud83d\ude00']));
      if (!setItems(d, K + 'merges', (it) => it.map((x) => (r.chance(0.1) ? odd() : x)).concat(r.chance(0.3) ? it.slice(0, 20) : []))) {
        set(d, K + 'merges', { type: VT.array, value: { itemType: VT.string, items: Array.from({ length: r.range(1, 8) }, odd) } });
      }
      return 'merges not pairs';
    }
    case 9: {
      const key = r.pick(SPECIAL_IDS);
      const v = r.pick<MetaValue>([u32(nTok), u32(nTok - 1), u32(0xffffffff), { type: VT.i32, value: -1 }, { type: VT.u64, value: 2n ** 63n }, str('1'), { type: VT.bool, value: true }, { type: VT.f32, value: 1.5 }, u32(r.int(nTok + 1))]);
      set(d, key, v);
      return `'${key}' out of range or odd`;
    }
    case 10: {
      // Empty tokens (named [EMPTY_i] by the reader), one clashing with such a name, or duplicated tokens.
      setItems(d, K + 'tokens', (it) => {
        for (let n = r.range(1, 4); n > 0 && it.length; n--) it[r.int(it.length)] = str(r.pick(['', '', '[EMPTY_3]', String(it[r.int(it.length)].value)]));
        return it;
      });
      return 'empty or duplicated tokens';
    }
    case 11:
      setItems(d, K + 'tokens', (it) => ((it[r.int(it.length)] = str(Uint8Array.from(r.pick(BAD_UTF8)))), it));
      return 'invalid UTF-8 token';
    case 12: {
      // Odd token texts (specials inside specials, byte tokens that are not, lone pieces of the text).
      setItems(d, K + 'tokens', (it) => {
        for (let n = r.range(1, 6); n > 0 && it.length; n--) it[r.int(it.length)] = str(r.pick(ODD_TOKENS) + (r.chance(0.3) ? String(n) : ''));
        return it;
      });
      return 'odd token texts';
    }
    case 13: {
      // A slow vocabulary: long tokens (outside GPT-2's byte alphabet, runs of the SPM space mark, the test text).
      const long = r.pick(['a', '\u65e5', '\u2581', 'Ġ', '😀', '<s>']).repeat(r.pick([256, 1000, 4000]));
      setItems(d, K + 'tokens', (it) => ((it[r.int(it.length)] = str(long)), it));
      return `a token of ${long.length} UTF-16 units`;
    }
    case 14: {
      // Many special tokens: every token, or a random half, control or user-defined (each text is split out first).
      const ty = r.pick([3, 4]);
      setItems(d, K + 'token_type', (it) => it.map((x) => (r.chance(0.5) ? { type: x.type, value: ty } : x)));
      return `half the tokens of type ${ty}`;
    }
    case 15: {
      // The tokenizer model, pre-tokenizer or flags changed.
      const [key, v] = r.pick<[string, MetaValue]>([
        [K + 'model', str(r.pick(['gpt2', 'llama', 'bert', '', 'none', 'rwkv']))], [K + 'pre', str(r.pick(['default', 'llama-bpe', 'qwen2', 'gpt-2', 'smollm', 'starcoder', 'deepseek-llm', '']))],
        [K + 'add_bos_token', { type: VT.bool, value: r.chance(0.5) }], [K + 'add_eos_token', { type: VT.bool, value: true }], [K + 'add_space_prefix', { type: VT.bool, value: r.chance(0.5) }],
        [K + 'add_bos_token', u32(1)], ['general.architecture', str(r.pick(['llama', 'qwen2', 'gpt2', '', 'LLAMA']))], ['general.architecture', u32(1)],
      ]);
      set(d, key, v);
      return `'${key}' changed`;
    }
    case 16: {
      // A key the model or the tokenizer reads removed.
      const keys = d.kvs.filter((kv) => kv.key.startsWith(`${a}.`) || kv.key.startsWith(K) || kv.key === 'general.architecture');
      if (!keys.length) return 'no key to remove';
      const kv = r.pick(keys);
      d.kvs.splice(d.kvs.indexOf(kv), 1);
      return `'${kv.key}' removed`;
    }
    default: {
      // Scores: NaN, infinities, all equal, integers; or a tensor's shape off by one against the vocabulary.
      if (r.chance(0.6)) {
        const x = r.pick([NaN, Infinity, -Infinity, 0, -3.4e38]);
        setItems(d, K + 'scores', (it) => it.map((s) => (r.chance(0.3) ? { type: s.type, value: x } : s)));
        return `scores ${x}`;
      }
      const t = d.tensors.find((x) => x.name === r.pick(['token_embd.weight', 'output.weight', 'blk.0.attn_q.weight', 'output_norm.weight']));
      if (!t) return 'no tensor to reshape';
      const i = r.int(t.ne.length);
      t.ne[i] = t.ne[i] + BigInt(r.pick([-1, 1, 32]));
      return `tensor '${t.name}' ne[${i}] off`;
    }
  }
}
