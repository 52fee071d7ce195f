// What the two kinds of Hugging Face tokenizer.json nibble imports share (src/tokenizer/hf.ts: byte-level BPE;
// src/tokenizer/hf_spm.ts: SentencePiece-style BPE): the vocabulary by id with its added tokens, and the special
// ids, add_bos / add_eos and chat template of tokenizer_config.json, as GGUF tokenizer metadata.
import { gguf, type GgufValue } from '../io/gguf.js';
import { TokenizerError } from './vocab.js';

export type Json = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export const obj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A special token's text in tokenizer_config.json (a string, or an AddedToken object), or undefined. */
export function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (obj(v) && typeof v.content === 'string') return v.content;
  return undefined;
}

/** tokenizer.json's tokens by id (model.vocab, then added_tokens), GGUF token types of the added ones, and the ids they take. */
export interface HfVocab {
  tokens: string[];
  /** GGUF token types by id where not normal: control (added special), user-defined (added), unused (padding). */
  types: Map<number, number>;
  /** The ids of added tokens. */
  added: Set<number>;
}

/**
 * The vocabulary of a tokenizer.json, padded with unused [PAD<id>] tokens to the model's embedding rows (as llama.cpp's
 * converter writes them) where `vocabSize` is given; every error names the file and the token or id at fault.
 */
export function hfVocab(tokenizerJson: Json, m: Json, source: string, vocabSize?: number): HfVocab {
  if (!obj(m.vocab)) throw new TokenizerError(`${source}: model.vocab is missing`);
  const byId = new Map<number, string>();
  const put = (text: string, id: unknown, where: string) => {
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw new TokenizerError(`${source}: ${where} token ${JSON.stringify(text)} has id ${JSON.stringify(id)}, not an integer >= 0`);
    const had = byId.get(id as number);
    if (had !== undefined && had !== text) throw new TokenizerError(`${source}: id ${id as number} is both ${JSON.stringify(had)} and ${JSON.stringify(text)}`);
    byId.set(id as number, text);
  };
  for (const [text, id] of Object.entries(m.vocab)) put(text, id, 'model.vocab');
  const addedTokens = Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens : [];
  const types = new Map<number, number>();
  const added = new Set<number>();
  for (const a of addedTokens) {
    if (!obj(a) || typeof a.content !== 'string') throw new TokenizerError(`${source}: an added_tokens entry has no content`);
    put(a.content, a.id, 'added_tokens');
    types.set(a.id as number, a.special ? 3 : 4); // control, user-defined
    added.add(a.id as number);
  }
  const n = Math.max(-1, ...byId.keys()) + 1;
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = byId.get(i);
    if (t === undefined) throw new TokenizerError(`${source}: no token has id ${i} (ids must run 0..${n - 1} without gaps)`);
    tokens.push(t);
  }
  if (vocabSize !== undefined) {
    if (tokens.length > vocabSize) throw new TokenizerError(`${source}: ${tokens.length} tokens, but the model's vocab_size is ${vocabSize}`);
    for (let i = tokens.length; i < vocabSize; i++) {
      tokens.push(`[PAD${i}]`);
      types.set(i, 5);
    }
  }
  return { tokens, types, added };
}

/** The special tokens the post-processor's single-text template puts before and after the text (TemplateProcessing, alone or in a Sequence). */
function templateEnds(post: unknown): { first?: string; last?: string } {
  const steps = obj(post) && post.type === 'Sequence' && Array.isArray(post.processors) ? post.processors : [post];
  const tp = steps.find((p) => obj(p) && p.type === 'TemplateProcessing') as Json | undefined;
  if (!tp || !Array.isArray(tp.single) || tp.single.length === 0) return {};
  const special = (x: unknown) => (obj(x) && obj(x.SpecialToken) && typeof x.SpecialToken.id === 'string' ? x.SpecialToken.id : undefined);
  return { first: special(tp.single[0]), last: tp.single.length > 1 ? special(tp.single.at(-1)) : undefined };
}

/**
 * Adds the special ids to `meta`: bos / eos / pad from tokenizer_config.json (`cfg`), bos and eos else from the
 * post-processor's template (the token it puts first, last), unk where `unk` names the model's; add_bos_token and
 * add_eos_token (the config's, else whether the template adds them), and the chat template.
 */
export function hfSpecialMeta(meta: Record<string, GgufValue>, tokenizerJson: Json, cfg: Json, tokens: string[], source: string, unk?: string): void {
  const idOf = (key: string, text: string | undefined, from: string) => {
    if (text === undefined) return undefined;
    const id = tokens.indexOf(text);
    if (id < 0) throw new TokenizerError(`${from}: ${key} ${JSON.stringify(text)} is not a token of ${source}`);
    return id;
  };
  const ends = templateEnds(tokenizerJson.post_processor);
  const fromCfg = (key: string) => idOf(key, tokenText(cfg[key]), 'tokenizer_config.json');
  const bos = fromCfg('bos_token') ?? idOf('bos_token', ends.first, `${source} post_processor`);
  const eos = fromCfg('eos_token') ?? idOf('eos_token', ends.last, `${source} post_processor`);
  const pad = fromCfg('pad_token');
  const unkId = unk === undefined ? undefined : fromCfg('unk_token') ?? idOf('unk_token', unk, `${source} model`);
  if (bos !== undefined) meta['tokenizer.ggml.bos_token_id'] = gguf.u32(bos);
  if (eos !== undefined) meta['tokenizer.ggml.eos_token_id'] = gguf.u32(eos);
  if (pad !== undefined) meta['tokenizer.ggml.padding_token_id'] = gguf.u32(pad);
  if (unkId !== undefined) meta['tokenizer.ggml.unknown_token_id'] = gguf.u32(unkId);
  const addBos = typeof cfg.add_bos_token === 'boolean' ? cfg.add_bos_token : bos !== undefined && ends.first === tokens[bos];
  meta['tokenizer.ggml.add_bos_token'] = gguf.bool(addBos);
  if (typeof cfg.add_eos_token === 'boolean') meta['tokenizer.ggml.add_eos_token'] = gguf.bool(cfg.add_eos_token);
  else if (eos !== undefined && ends.last === tokens[eos]) meta['tokenizer.ggml.add_eos_token'] = gguf.bool(true);
  if (typeof cfg.chat_template === 'string') meta['tokenizer.chat_template'] = gguf.str(cfg.chat_template);
}

/** model.merges as pairs ("a b" strings, or [a, b] arrays as newer tokenizer.json files write them). */
export function hfMerges(m: Json, source: string): [string, string][] {
  if (!Array.isArray(m.merges)) throw new TokenizerError(`${source}: model.merges is missing`);
  return m.merges.map((x, i) => {
    const pair = typeof x === 'string' ? x.split(' ') : x;
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((s) => typeof s !== 'string')) throw new TokenizerError(`${source}: model.merges[${i}] ${JSON.stringify(x)} is not a pair of tokens`);
    return [pair[0], pair[1]] as [string, string];
  });
}
