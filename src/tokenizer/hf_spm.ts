// A SentencePiece-style Hugging Face tokenizer.json (a BPE model with byte_fallback, spaces written as U+2581: what
// transformers makes of the tokenizer.model of Llama 2, Mistral or TinyLlama) as GGUF's 'llama' tokenizer metadata,
// for checkpoints that ship no tokenizer.model (where there is one, src/tokenizer/sentencepiece.ts reads it).
//
// The two merge the same way once each token has a score: Hugging Face's BPE merges the adjacent pair of lowest rank
// in model.merges; llama.cpp's SPM tokenizer merges the adjacent pair whose joined text is a token of highest score.
// A token's score here is minus the rank of the first merge that makes it, and the two agree wherever model.merges
// lists every split of a token into two tokens (transformers writes them so from a tokenizer.model). A tokenizer.json
// where llama.cpp could make a token Hugging Face cannot is refused naming the pair. One difference stays, llama.cpp's
// own: it gives every text the space prefix (also text that starts with a space, and text after a special token),
// where a Metaspace pre-tokenizer with prepend_scheme 'first' prefixes only the start of the input, and only when it
// is not a space already (the older Prepend normalizer, Llama 2's, prefixes as llama.cpp does).
import type { GgufValue } from '../io/gguf.js';
import { hfMerges, hfSpecialMeta, hfVocab, obj, type Json } from './hf_common.js';
import { spmVocabMeta } from './sentencepiece.js';
import { TokenizerError } from './vocab.js';

const SPACE = '\u2581';
const BYTE = /^<0x[0-9A-Fa-f]{2}>$/;

/** Whether the input gets the space prefix: from the normalizer (Prepend, Replace) or a Metaspace pre-tokenizer. */
function spacePrefix(t: Json, source: string): boolean {
  const norm = t.normalizer;
  const steps = norm === null || norm === undefined ? [] : obj(norm) && norm.type === 'Sequence' && Array.isArray(norm.normalizers) ? norm.normalizers : [norm];
  let prepend = false;
  let replace = false;
  for (const s of steps) {
    if (obj(s) && s.type === 'Prepend' && s.prepend === SPACE) prepend = true;
    else if (obj(s) && s.type === 'Replace' && obj(s.pattern) && s.pattern.String === ' ' && s.content === SPACE) replace = true;
    else throw new TokenizerError(`${source}: normalizer step ${JSON.stringify(obj(s) ? s.type : s)} is not one llama.cpp's SPM tokenizer applies (it only writes spaces as U+2581 and prefixes one)`);
  }
  const pre = t.pre_tokenizer;
  if (pre === null || pre === undefined) {
    if (!replace) throw new TokenizerError(`${source}: neither a normalizer Replace(' ', '\u2581') nor a Metaspace pre-tokenizer: spaces would not become U+2581 as llama.cpp's SPM tokenizer writes them`);
    return prepend;
  }
  if (!obj(pre) || pre.type !== 'Metaspace') throw new TokenizerError(`${source}: pre_tokenizer type '${String(obj(pre) ? pre.type : pre)}' is not SentencePiece-style BPE's (none, or Metaspace)`);
  if (pre.replacement !== SPACE) throw new TokenizerError(`${source}: pre_tokenizer Metaspace replacement ${JSON.stringify(pre.replacement)} is not U+2581`);
  if (pre.split === true) throw new TokenizerError(`${source}: pre_tokenizer Metaspace with split true cuts the text at every space, which llama.cpp's SPM tokenizer does not`);
  if (prepend) throw new TokenizerError(`${source}: both a Prepend normalizer and a Metaspace pre-tokenizer: the text would get two space prefixes`);
  return typeof pre.prepend_scheme === 'string' ? pre.prepend_scheme !== 'never' : pre.add_prefix_space !== false;
}

/**
 * The GGUF 'llama' tokenizer metadata of a SentencePiece-style BPE tokenizer.json (model.byte_fallback set):
 * tokens, types (byte, unknown, control, user-defined), scores from the merges' ranks, add_space_prefix, special ids.
 */
export function hfSpmTokenizerMetadata(tokenizerJson: Json, config: unknown = {}, source = 'tokenizer.json', vocabSize?: number): Record<string, GgufValue> {
  const m = tokenizerJson.model as Json;
  const addSpacePrefix = spacePrefix(tokenizerJson, source);
  const { tokens, types, added } = hfVocab(tokenizerJson, m, source, vocabSize);
  const unk = typeof m.unk_token === 'string' ? m.unk_token : undefined;
  const ids = new Map(tokens.map((t, i) => [t, i]));
  for (let i = 0; i < tokens.length; i++) {
    if (BYTE.test(tokens[i]) && !added.has(i)) types.set(i, 6);
    else if (tokens[i] === unk && !added.has(i)) types.set(i, 2); // an added special unk stays control, as llama.cpp's converter has it
  }
  for (let b = 0; b < 256; b++) {
    const t = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
    if (!ids.has(t)) throw new TokenizerError(`${source}: byte_fallback is set but the byte token ${t} is missing from model.vocab`);
  }
  const normal = (id: number | undefined) => id !== undefined && (types.get(id) ?? 1) === 1;
  const merges = hfMerges(m, source);
  const scores = new Float32Array(tokens.length);
  const made = new Set<number>();
  const pairs = new Set<string>();
  merges.forEach(([a, b], rank) => {
    const id = ids.get(a + b);
    if (id === undefined) throw new TokenizerError(`${source}: model.merges[${rank}] ${JSON.stringify(`${a} ${b}`)} makes ${JSON.stringify(a + b)}, which is not in model.vocab`);
    if (!made.has(id)) {
      scores[id] = -rank;
      made.add(id);
    }
    pairs.add(`${a} ${b}`);
  });
  // llama.cpp joins any two adjacent symbols whose text is a token; Hugging Face only the pairs listed. Every split
  // of a token into two tokens must be a merge, or the two would tokenize differently.
  for (let id = 0; id < tokens.length; id++) {
    if (!normal(id)) continue;
    const chars = Array.from(tokens[id]);
    for (let k = 1; k < chars.length; k++) {
      const a = chars.slice(0, k).join('');
      const b = chars.slice(k).join('');
      if (normal(ids.get(a)) && normal(ids.get(b)) && !pairs.has(`${a} ${b}`)) {
        throw new TokenizerError(`${source}: model.merges lacks ${JSON.stringify(`${a} ${b}`)} though both are tokens and ${JSON.stringify(tokens[id])} is one: llama.cpp's SPM tokenizer would join them where Hugging Face's BPE does not (nibble imports merges that list every split, as transformers writes them from a tokenizer.model)`);
      }
    }
  }
  // Added tokens that are not special are matched in the text as they are written; llama.cpp's converter stores them with spaces.
  const texts = tokens.map((t, i) => (types.get(i) === 4 ? t.replaceAll(SPACE, ' ') : t));
  const meta = spmVocabMeta(texts, scores, tokens.map((_, i) => types.get(i) ?? 1), addSpacePrefix);
  hfSpecialMeta(meta, tokenizerJson, obj(config) ? config : {}, tokens, source, unk);
  return meta;
}
