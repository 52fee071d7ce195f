// A Hugging Face tokenizer (tokenizer.json, and tokenizer_config.json for the special tokens and the chat template)
// as GGUF tokenizer metadata (`tokenizer.ggml.*`), the keys llama.cpp's convert_hf_to_gguf.py writes for it, so a
// model imported from Hugging Face (src/nn/hf_llama.ts) tokenizes as llama.cpp and nibble's Tokenizer.fromGguf do.
//
// Byte-level BPE only (GPT-2, Llama 3, Qwen2 and their kin): the vocabulary's strings are already in the byte-to-
// unicode alphabet GGUF's 'gpt2' model uses, so tokens and merges are copied as they are; the pre-tokenizer is
// recognised by its regular expression and named as llama.cpp names it (`tokenizer.ggml.pre`). SentencePiece-style
// tokenizers (byte_fallback, Metaspace: Llama 2, Mistral) are refused by name here: their GGUF form needs the
// scores of the SentencePiece model, which src/tokenizer/sentencepiece.ts reads from the checkpoint's
// tokenizer.model. Unigram / WordPiece models are refused.
import { gguf, type GgufValue } from '../io/gguf.js';
import { TokenizerError } from './vocab.js';

// The Split regexes of tokenizer.json pre-tokenizers, and the `pre` names llama.cpp gives them.
const LLAMA3_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const GPT2_RE = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const PRE_BY_REGEX = new Map([
  [LLAMA3_RE, 'llama-bpe'],
  [QWEN2_RE, 'qwen2'],
  [GPT2_RE, 'gpt-2'],
]);

export type Json = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export const obj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `pre` name of a tokenizer.json pre_tokenizer, or an error naming what is not recognised. */
function preName(p: unknown, source: string): string {
  if (!obj(p)) throw new TokenizerError(`${source}: pre_tokenizer is missing: nibble imports byte-level BPE tokenizers (a ByteLevel pre-tokenizer)`);
  if (p.type === 'ByteLevel') {
    if (p.use_regex === false) throw new TokenizerError(`${source}: pre_tokenizer ByteLevel without its regex splits nothing; no GGUF pre-tokenizer matches it`);
    return 'gpt-2';
  }
  const parts = p.type === 'Sequence' && Array.isArray(p.pretokenizers) ? p.pretokenizers : null;
  if (!parts) throw new TokenizerError(`${source}: pre_tokenizer type '${String(p.type)}' is not byte-level BPE's (ByteLevel, or a Split regex then ByteLevel)`);
  const split = parts.find((x) => obj(x) && x.type === 'Split') as Json | undefined;
  const byteLevel = parts.some((x) => obj(x) && x.type === 'ByteLevel');
  const others = parts.filter((x) => !(obj(x) && (x.type === 'Split' || x.type === 'ByteLevel')));
  if (!byteLevel) throw new TokenizerError(`${source}: pre_tokenizer Sequence has no ByteLevel step: not a byte-level BPE tokenizer`);
  if (others.length) throw new TokenizerError(`${source}: pre_tokenizer step '${String((others[0] as Json)?.type)}' is not one nibble maps to a GGUF pre-tokenizer`);
  if (!split) return 'gpt-2';
  const re = obj(split.pattern) ? split.pattern.Regex : undefined;
  const name = typeof re === 'string' ? PRE_BY_REGEX.get(re) : undefined;
  if (!name) throw new TokenizerError(`${source}: pre_tokenizer Split regex ${JSON.stringify(re ?? split.pattern)} is not one nibble knows (GPT-2's, Llama 3's or Qwen2's)`);
  return name;
}

/** A special token's text in tokenizer_config.json (a string, or an AddedToken object), or undefined. */
export function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (obj(v) && typeof v.content === 'string') return v.content;
  return undefined;
}

/**
 * The GGUF tokenizer metadata of a byte-level BPE tokenizer.json (`config`: tokenizer_config.json, for bos / eos,
 * add_bos_token and chat_template). Every error names the file and the key or token at fault.
 */
export function hfTokenizerMetadata(tokenizerJson: unknown, config: unknown = {}, source = 'tokenizer.json', vocabSize?: number): Record<string, GgufValue> {
  if (!obj(tokenizerJson) || !obj(tokenizerJson.model)) throw new TokenizerError(`${source}: not a Hugging Face tokenizer (no 'model' object)`);
  const m = tokenizerJson.model;
  if (m.type !== 'BPE') throw new TokenizerError(`${source}: model.type '${String(m.type)}': nibble imports byte-level BPE tokenizers only (convert others with llama.cpp's convert_hf_to_gguf.py)`);
  if (m.byte_fallback === true) throw new TokenizerError(`${source}: model.byte_fallback is set: a SentencePiece-style BPE (Llama 2, Mistral), whose GGUF form needs the SentencePiece scores: put the checkpoint's tokenizer.model beside it (nibble reads that instead)`);
  const pre = preName(tokenizerJson.pre_tokenizer, source);
  if (!obj(m.vocab)) throw new TokenizerError(`${source}: model.vocab is missing`);
  const byId = new Map<number, string>();
  const put = (text: string, id: unknown, where: string) => {
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw new TokenizerError(`${source}: ${where} token ${JSON.stringify(text)} has id ${JSON.stringify(id)}, not an integer >= 0`);
    const had = byId.get(id as number);
    if (had !== undefined && had !== text) throw new TokenizerError(`${source}: id ${id as number} is both ${JSON.stringify(had)} and ${JSON.stringify(text)}`);
    byId.set(id as number, text);
  };
  for (const [text, id] of Object.entries(m.vocab)) put(text, id, 'model.vocab');
  const added = Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens : [];
  const types = new Map<number, number>();
  for (const a of added) {
    if (!obj(a) || typeof a.content !== 'string') throw new TokenizerError(`${source}: an added_tokens entry has no content`);
    put(a.content, a.id, 'added_tokens');
    types.set(a.id as number, a.special ? 3 : 4); // control, user-defined
  }
  const n = Math.max(-1, ...byId.keys()) + 1;
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = byId.get(i);
    if (t === undefined) throw new TokenizerError(`${source}: no token has id ${i} (ids must run 0..${n - 1} without gaps)`);
    tokens.push(t);
  }
  // A model's embedding may have more rows than the tokenizer has tokens (vocab_size padded): the GGUF vocabulary
  // needs one token per row, so the rest become unused [PAD<id>] tokens, as llama.cpp's converter writes them.
  if (vocabSize !== undefined) {
    if (tokens.length > vocabSize) throw new TokenizerError(`${source}: ${tokens.length} tokens, but the model's vocab_size is ${vocabSize}`);
    for (let i = tokens.length; i < vocabSize; i++) {
      tokens.push(`[PAD${i}]`);
      types.set(i, 5);
    }
  }
  if (!Array.isArray(m.merges)) throw new TokenizerError(`${source}: model.merges is missing`);
  const merges = m.merges.map((x, i) => {
    const pair = typeof x === 'string' ? x.split(' ') : x;
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((s) => typeof s !== 'string')) throw new TokenizerError(`${source}: model.merges[${i}] ${JSON.stringify(x)} is not a pair of tokens`);
    return `${pair[0]} ${pair[1]}`;
  });
  const cfg = obj(config) ? config : {};
  const meta: Record<string, GgufValue> = {
    'tokenizer.ggml.model': gguf.str('gpt2'),
    'tokenizer.ggml.pre': gguf.str(pre),
    'tokenizer.ggml.tokens': gguf.array('string', tokens),
    'tokenizer.ggml.token_type': gguf.array('i32', tokens.map((_, i) => types.get(i) ?? 1)),
    'tokenizer.ggml.merges': gguf.array('string', merges),
  };
  const idOf = (key: string) => {
    const text = tokenText(cfg[key]);
    if (text === undefined) return undefined;
    const id = tokens.indexOf(text);
    if (id < 0) throw new TokenizerError(`tokenizer_config.json: ${key} ${JSON.stringify(text)} is not a token of ${source}`);
    return id;
  };
  const bos = idOf('bos_token');
  const eos = idOf('eos_token');
  const pad = idOf('pad_token');
  if (bos !== undefined) meta['tokenizer.ggml.bos_token_id'] = gguf.u32(bos);
  if (eos !== undefined) meta['tokenizer.ggml.eos_token_id'] = gguf.u32(eos);
  if (pad !== undefined) meta['tokenizer.ggml.padding_token_id'] = gguf.u32(pad);
  // add_bos_token: the config's, else whether the post-processor's template starts with the bos token.
  const post = JSON.stringify(tokenizerJson.post_processor ?? null);
  const addBos = typeof cfg.add_bos_token === 'boolean' ? cfg.add_bos_token : bos !== undefined && post.includes(JSON.stringify(tokens[bos]));
  meta['tokenizer.ggml.add_bos_token'] = gguf.bool(addBos);
  if (typeof cfg.add_eos_token === 'boolean') meta['tokenizer.ggml.add_eos_token'] = gguf.bool(cfg.add_eos_token);
  if (typeof cfg.chat_template === 'string') meta['tokenizer.chat_template'] = gguf.str(cfg.chat_template);
  return meta;
}
