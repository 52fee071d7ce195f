/**
 * The vocabulary of a GGUF file's `tokenizer.ggml.*` metadata, read the way llama.cpp's llama_vocab::load does:
 * token attributes from `token_type`, special ids with llama.cpp's defaults, the special tokens it recognises by
 * their text (end-of-turn, fill-in-the-middle) and its set of end-of-generation ids.
 */
import type { GgufValue } from '../io/gguf.js';
import { utf8Encoder } from './unicode.js';

export class TokenizerError extends Error {}

// Token attributes (llama.cpp's llama_token_attr bits).
export const ATTR_UNKNOWN = 1;
export const ATTR_UNUSED = 2;
export const ATTR_NORMAL = 4;
export const ATTR_CONTROL = 8;
export const ATTR_USER_DEFINED = 16;
export const ATTR_BYTE = 32;

// `tokenizer.ggml.token_type` values (llama_token_type) -> attributes; anything else is undefined (0).
const TYPE_ATTR: Record<number, number> = { 1: ATTR_NORMAL, 2: ATTR_UNKNOWN, 3: ATTR_CONTROL, 4: ATTR_USER_DEFINED, 5: ATTR_UNUSED, 6: ATTR_BYTE };

const K = 'tokenizer.ggml.';

export type Meta = Record<string, GgufValue>;

function scalar(meta: Meta, key: string): GgufValue | undefined {
  const v = meta[key];
  if (v !== undefined && v.type === 'array') throw new TokenizerError(`tokenizer: metadata '${key}' must be a scalar, got an array`);
  return v;
}

export function metaString(meta: Meta, key: string): string | undefined {
  const v = scalar(meta, key);
  if (v === undefined) return undefined;
  if (v.type !== 'string') throw new TokenizerError(`tokenizer: metadata '${key}' must be a string, got ${v.type}`);
  return v.value as string;
}

export function metaBool(meta: Meta, key: string): boolean | undefined {
  const v = scalar(meta, key);
  if (v === undefined) return undefined;
  if (v.type !== 'bool') throw new TokenizerError(`tokenizer: metadata '${key}' must be a bool, got ${v.type}`);
  return v.value as boolean;
}

function metaInt(meta: Meta, key: string): number | undefined {
  const v = scalar(meta, key);
  if (v === undefined) return undefined;
  const n = typeof v.value === 'bigint' ? Number(v.value) : v.value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new TokenizerError(`tokenizer: metadata '${key}' must be a non-negative integer, got ${v.type} ${String(v.value)}`);
  return n;
}

/** An array's items, all of one of `types`; undefined when the key is absent. */
export function metaArray(meta: Meta, key: string, types: readonly string[]): { itemType: string; values: (string | number)[] } | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  if (v.type !== 'array' || !types.includes(v.itemType)) {
    const got = v.type === 'array' ? `an array of ${v.itemType}` : v.type;
    throw new TokenizerError(`tokenizer: metadata '${key}' must be an array of ${types.join(' or ')}, got ${got}`);
  }
  return { itemType: v.itemType, values: v.value.map((x) => (typeof x.value === 'bigint' ? Number(x.value) : x.value) as string | number) };
}

export interface Vocab {
  texts: string[];
  scores: Float32Array;
  attrs: Uint16Array;
  ids: Map<string, number>;
  bos: number | null;
  eos: number | null;
  eot: number | null;
  eom: number | null;
  unk: number | null;
  pad: number | null;
  eog: Set<number>;
  /** Control, user-defined and unknown tokens, longest text (UTF-8 bytes) first: matched in that order. */
  specials: number[];
}

// Texts llama.cpp takes for a special id the file does not give (each list: first match by id).
const EOT_TEXTS = ['<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>', '<EOT>', '_<EOT>', '[EOT]', '<｜end▁of▁sentence｜>', '<end_of_utterance>'];
const EOM_TEXTS = ['<|eom_id|>'];
const FIM_PRE = ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>', '<|code_prefix|>', '<|prefix|>'];
const FIM_SUF = ['<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>', '<|code_suffix|>', '<|suffix|>'];
const FIM_MID = ['<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>', '<|code_middle|>', '<|middle|>'];
const FIM_PAD = ['<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '[PAD]'];
const FIM_REP = ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>'];
const FIM_SEP = ['<|file_sep|>'];
// Texts that end generation whatever the file says (llama.cpp matches them by text too).
const EOG_TEXTS = new Set([
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<|flush|>', '<|calls|>', '<end_of_turn>', '<|endoftext|>', '</s>',
  '<|eom_id|>', '<EOT>', '_<EOT>', '[EOT]', '[EOS]', '<|end_of_text|>', '<end_of_utterance>', '<eos>', '<turn|>', '<|tool_response>',
  '<｜end▁of▁sentence｜>', '[e~[',
]);
// gpt-oss: always rendered as text.
const ALWAYS_RENDERED = new Set(['<|channel|>', '<|message|>', '<|start|>', '<|constrain|>']);

/** Reads tokens, scores, types and special ids; `defaults` are llama.cpp's per-model special ids. */
export function loadVocab(meta: Meta, defaults: { bos: number | null; eos: number | null; unk: number | null }): Vocab {
  const tokens = metaArray(meta, K + 'tokens', ['string']);
  if (!tokens) throw new TokenizerError(`tokenizer: metadata '${K}tokens' is missing`);
  const n = tokens.values.length;
  if (n === 0) throw new TokenizerError(`tokenizer: metadata '${K}tokens' is empty`);
  const scoreArr = metaArray(meta, K + 'scores', ['f32', 'i32']);
  if (scoreArr && scoreArr.values.length < n) {
    throw new TokenizerError(`tokenizer: metadata '${K}scores' has ${scoreArr.values.length} entries for ${n} tokens`);
  }
  const typeArr = metaArray(meta, K + 'token_type', ['i32']);
  if (typeArr && typeArr.values.length < n) {
    throw new TokenizerError(`tokenizer: metadata '${K}token_type' has ${typeArr.values.length} entries for ${n} tokens`);
  }

  const texts: string[] = new Array(n);
  const scores = new Float32Array(n);
  const attrs = new Uint16Array(n);
  const ids = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    let t = tokens.values[i] as string;
    if (t === '') t = `[EMPTY_${i}]`; // as llama.cpp names an empty entry
    if (ids.has(t)) throw new TokenizerError(`tokenizer: metadata '${K}tokens' holds '${t}' twice (ids ${ids.get(t)} and ${i})`);
    ids.set(t, i);
    texts[i] = t;
    scores[i] = scoreArr ? (scoreArr.values[i] as number) : 0;
    attrs[i] = typeArr ? (TYPE_ATTR[typeArr.values[i] as number] ?? 0) : ATTR_NORMAL;
  }

  // Special ids: llama.cpp's default unless the file gives one inside the vocab.
  const special = (key: string, dflt: number | null): number | null => {
    let id = dflt !== null && dflt < n ? dflt : null;
    const v = metaInt(meta, K + key);
    if (v !== undefined && v < n) id = v;
    return id;
  };
  const bos = special('bos_token_id', defaults.bos);
  const eos = special('eos_token_id', defaults.eos);
  let eot = special('eot_token_id', null);
  let eom = special('eom_token_id', null);
  const unk = special('unknown_token_id', defaults.unk);
  const pad = special('padding_token_id', null);
  // The older prefix/suffix/middle keys win over the fim_* ones, as in llama.cpp.
  const fimPre = special('prefix_token_id', special('fim_pre_token_id', null));
  const fimSuf = special('suffix_token_id', special('fim_suf_token_id', null));
  const fimMid = special('middle_token_id', special('fim_mid_token_id', null));
  let fimPad = special('fim_pad_token_id', null);
  let fimRep = special('fim_rep_token_id', null);
  let fimSep = special('fim_sep_token_id', null);

  // Special ids the file does not give are found by text, and made control tokens; where a vocabulary holds two
  // texts of a list (Llama 3: <|eot_id|> and <|end_of_text|>) the one earlier in the list. llama.cpp takes the first
  // its hash map yields, which is not the vocabulary's order; on the vocabularies of tokenizer.test.ts it agrees
  // with the list's.
  const byText = (list: readonly string[]): number | null => {
    const best = list.map((t) => ids.get(t)).find((id) => id !== undefined) ?? null;
    if (best !== null) attrs[best] |= ATTR_CONTROL;
    return best;
  };
  eot ??= byText(EOT_TEXTS);
  eom ??= byText(EOM_TEXTS);
  // Fill-in-the-middle prefix/suffix/middle matter here only for being control tokens.
  if (fimPre === null) byText(FIM_PRE);
  if (fimSuf === null) byText(FIM_SUF);
  if (fimMid === null) byText(FIM_MID);
  fimPad ??= byText(FIM_PAD);
  fimRep ??= byText(FIM_REP);
  fimSep ??= byText(FIM_SEP);

  // Control tokens named "unused..." are unused.
  for (let i = 0; i < n; i++) if (attrs[i] & ATTR_CONTROL && texts[i].includes('unused')) attrs[i] |= ATTR_UNUSED;

  const eog = new Set<number>();
  for (const id of [fimPad, fimRep, fimSep]) if (id !== null) eog.add(id);
  for (const t of EOG_TEXTS) {
    const id = ids.get(t);
    if (id === undefined) continue;
    eog.add(id);
    attrs[id] |= ATTR_CONTROL;
  }
  for (const t of ALWAYS_RENDERED) {
    const id = ids.get(t);
    if (id !== undefined) attrs[id] = ATTR_USER_DEFINED;
  }
  for (const id of [eos, eot, eom]) if (id !== null) eog.add(id);
  // llama.cpp's workarounds: with <|return|> and <|call|> (or <|calls|> and <|flush|>), <|end|> does not end
  // generation; with <|tool_response>, </s> does not.
  const has = (t: string) => ids.has(t) && eog.has(ids.get(t)!);
  const hasCall = has('<|call|>') || has('<|calls|>');
  if (has('<|end|>') && hasCall && (has('<|return|>') || has('<|flush|>'))) {
    const id = ids.get('<|end|>')!;
    eog.delete(id);
    attrs[id] = ATTR_USER_DEFINED;
  }
  if (has('<|tool_response>') && has('</s>')) {
    const id = ids.get('</s>')!;
    eog.delete(id);
    attrs[id] = ATTR_NORMAL;
  }

  const specials: number[] = [];
  for (let i = 0; i < n; i++) if (attrs[i] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) specials.push(i);
  const bytes = (id: number) => utf8Encoder.encode(texts[id]).length;
  specials.sort((a, b) => bytes(b) - bytes(a) || a - b);

  return { texts, scores, attrs, ids, bos, eos, eot, eom, unk, pad, eog, specials };
}
