// A Hugging Face tokenizer (tokenizer.json, and tokenizer_config.json for the special tokens and the chat template)
// as GGUF tokenizer metadata (`tokenizer.ggml.*`), the keys llama.cpp's convert_hf_to_gguf.py writes for it, so a
// model imported from Hugging Face (src/nn/hf_llama.ts) tokenizes as llama.cpp and nibble's Tokenizer.fromGguf do.
//
// Byte-level BPE (GPT-2, Llama 3, Qwen2 and their kin): the vocabulary's strings are already in the byte-to-unicode
// alphabet GGUF's 'gpt2' model uses, so tokens and merges are copied as they are; the pre-tokenizer is recognised by
// its regular expression and named as llama.cpp names it (`tokenizer.ggml.pre`). SentencePiece-style BPE
// (byte_fallback: Llama 2, Mistral, TinyLlama) goes to src/tokenizer/hf_spm.ts, which gives it GGUF's 'llama'
// form. Unigram / WordPiece models are refused.
import { gguf, type GgufValue } from '../io/gguf.js';
import { hfMerges, hfSpecialMeta, hfVocab, obj, type Json } from './hf_common.js';
import { hfSpmTokenizerMetadata } from './hf_spm.js';
import { TokenizerError } from './vocab.js';

// The Split regexes of tokenizer.json pre-tokenizers, and the `pre` names llama.cpp gives them.
const LLAMA3_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const GPT2_RE = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
// o200k's (GPT-4o, Phi-4-mini) and Tekken's (Mistral NeMo / Small 3), as llama.cpp quotes them from tokenizer.json.
const CASED = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+";
const UPPER = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*";
const REST = "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const CONTR = "(?i:'s|'t|'re|'ve|'m|'ll|'d)?";
const GPT4O_RE = `${CASED}${CONTR}|${UPPER}${CONTR}|\\p{N}{1,3}${REST}`;
const TEKKEN_RE = `${CASED}|${UPPER}|\\p{N}${REST}`;
const PRE_BY_REGEX = new Map([
  [LLAMA3_RE, 'llama-bpe'],
  [QWEN2_RE, 'qwen2'],
  [GPT2_RE, 'gpt-2'],
  [GPT4O_RE, 'gpt-4o'],
  [TEKKEN_RE, 'tekken'],
]);

/**
 * The `pre` name of a tokenizer.json pre_tokenizer, or an error naming what is not recognised. Digits (each digit
 * alone) then ByteLevel, StarCoder's split (SmolLM 1 / 2, Granite 3), is llama.cpp's `smollm` or `refact`: the same
 * splits, told apart only by whether decoding cleans up spaces (`cleanSpaces`: tokenizer_config.json's
 * clean_up_tokenization_spaces; `smollm` where it is false).
 */
function preName(p: unknown, source: string, cleanSpaces: boolean): string {
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
  const [first, second] = parts as Json[];
  if (parts.length === 2 && obj(first) && first.type === 'Digits' && obj(second) && second.type === 'ByteLevel' && second.use_regex !== false) {
    if (first.individual_digits !== true) throw new TokenizerError(`${source}: pre_tokenizer Digits without individual_digits is not one nibble maps to a GGUF pre-tokenizer`);
    return cleanSpaces ? 'refact' : 'smollm';
  }
  if (others.length) throw new TokenizerError(`${source}: pre_tokenizer step '${String((others[0] as Json)?.type)}' is not one nibble maps to a GGUF pre-tokenizer`);
  if (!split) return 'gpt-2';
  const re = obj(split.pattern) ? split.pattern.Regex : undefined;
  const name = typeof re === 'string' ? PRE_BY_REGEX.get(re) : undefined;
  if (!name) throw new TokenizerError(`${source}: pre_tokenizer Split regex ${JSON.stringify(re ?? split.pattern)} is not one nibble knows (GPT-2's, Llama 3's, Qwen2's, GPT-4o's or Tekken's)`);
  return name;
}

/**
 * The GGUF tokenizer metadata of a BPE tokenizer.json, byte-level or SentencePiece-style (`config`:
 * tokenizer_config.json, for bos / eos, add_bos_token and chat_template; `vocabSize`: the model's embedding rows).
 * Every error names the file and the key or token at fault.
 */
export function hfTokenizerMetadata(tokenizerJson: unknown, config: unknown = {}, source = 'tokenizer.json', vocabSize?: number): Record<string, GgufValue> {
  if (!obj(tokenizerJson) || !obj(tokenizerJson.model)) throw new TokenizerError(`${source}: not a Hugging Face tokenizer (no 'model' object)`);
  const m = tokenizerJson.model;
  if (m.type !== 'BPE') throw new TokenizerError(`${source}: model.type '${String(m.type)}': nibble imports BPE tokenizers only (byte-level, or SentencePiece-style with byte_fallback) (convert others with llama.cpp's convert_hf_to_gguf.py)`);
  if (m.byte_fallback === true) return hfSpmTokenizerMetadata(tokenizerJson, config, source, vocabSize);
  // Qwen2's NFC normalizer is taken and not applied, as llama.cpp's converter does: text already in NFC (nearly all)
  // tokenizes alike; a normalizer that changes ordinary text (Lowercase, NFKC) is refused.
  const norm = tokenizerJson.normalizer;
  if (norm !== null && norm !== undefined && !(obj(norm) && norm.type === 'NFC')) throw new TokenizerError(`${source}: normalizer ${JSON.stringify(obj(norm) ? norm.type : norm)} is not one llama.cpp applies (it applies none; an NFC normalizer is taken, as it changes only text not already in NFC)`);
  const cfg = obj(config) ? config : {};
  const pre = preName(tokenizerJson.pre_tokenizer, source, cfg.clean_up_tokenization_spaces !== false);
  const { tokens, types } = hfVocab(tokenizerJson, m, source, vocabSize);
  const merges = hfMerges(m, source).map(([a, b]) => `${a} ${b}`);
  const meta: Record<string, GgufValue> = {
    'tokenizer.ggml.model': gguf.str('gpt2'),
    'tokenizer.ggml.pre': gguf.str(pre),
    'tokenizer.ggml.tokens': gguf.array('string', tokens),
    'tokenizer.ggml.token_type': gguf.array('i32', tokens.map((_, i) => types.get(i) ?? 1)),
    'tokenizer.ggml.merges': gguf.array('string', merges),
  };
  hfSpecialMeta(meta, tokenizerJson, cfg, tokens, source);
  return meta;
}
