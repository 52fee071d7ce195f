/**
 * The tokenizer of a GGUF file, from its `tokenizer.ggml.*` metadata, giving the ids llama.cpp gives
 * (src/llama-vocab.cpp): SPM (`llama`) and byte-level BPE (`gpt2`) vocabularies, special tokens, add_bos/add_eos,
 * and llama.cpp's detokenizer.
 */
import type { GgufValue } from '../io/gguf.js';
import { bpeMerge, mergeKey } from './bpe.js';
import { PRE_TOKENIZER_NAMES, preTokenize, preTokenizer, type PreTokenizer } from './pretokenize.js';
import { spmEncode, type SpmVocab } from './spm.js';
import { CHAR_TO_BYTE, byteEncode, concatBytes, utf8Decoder, utf8Encoder, wellFormed } from './unicode.js';
import {
  ATTR_BYTE, ATTR_CONTROL, ATTR_NORMAL, ATTR_UNKNOWN, ATTR_USER_DEFINED, TokenizerError, loadVocab, metaArray, metaBool, metaString,
  type Vocab,
} from './vocab.js';

export { TokenizerError } from './vocab.js';

export interface EncodeOptions {
  /** Add BOS / EOS as the file's add_bos_token / add_eos_token say (default true). */
  addSpecial?: boolean;
  /** Text of control and unknown tokens in the input becomes those tokens (default false; user-defined tokens always do). */
  parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Drop a leading BOS and a trailing EOS when the vocab adds them (default false). */
  removeSpecial?: boolean;
  /** Control and unknown tokens give their text (default false: nothing). */
  unparseSpecial?: boolean;
}

const SPACE_MARK = '\u2581'; // SentencePiece's visible space
const EMPTY = new Uint8Array(0);
const WORD_CACHE_LIMIT = 1 << 16;

/** A piece of the input: text still to tokenize, or a special token already found. */
type Fragment = string | number;

export class Tokenizer {
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
  readonly eot: number | null;
  readonly unk: number | null;
  readonly pad: number | null;
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly model: 'llama' | 'gpt2';
  /** `tokenizer.ggml.pre` (BPE), '' when absent or for SPM. */
  readonly pre: string;

  private readonly addSpacePrefix: boolean;
  private readonly cleanSpaces: boolean;
  private readonly preTok: PreTokenizer | null;
  private readonly ranks: Map<string, number>;
  private readonly wordCache = new Map<string, number[]>();
  private readonly pieces: Uint8Array[];

  private constructor(
    private readonly v: Vocab,
    model: 'llama' | 'gpt2',
    pre: string,
    preTok: PreTokenizer | null,
    ranks: Map<string, number>,
    flags: { addBos: boolean; addEos: boolean; addSpacePrefix: boolean; cleanSpaces: boolean },
  ) {
    this.vocabSize = v.texts.length;
    this.bos = v.bos;
    this.eos = v.eos;
    this.eot = v.eot;
    this.unk = v.unk;
    this.pad = v.pad;
    this.model = model;
    this.pre = pre;
    this.preTok = preTok;
    this.ranks = ranks;
    this.addBos = flags.addBos;
    this.addEos = flags.addEos;
    this.addSpacePrefix = flags.addSpacePrefix;
    this.cleanSpaces = flags.cleanSpaces;
    this.pieces = v.texts.map((_, id) => this.piece(id));
  }

  /** Builds the tokenizer; throws TokenizerError naming the metadata key at fault. */
  static fromGguf(metadata: Record<string, GgufValue>): Tokenizer {
    const model = metaString(metadata, 'tokenizer.ggml.model');
    if (model === undefined) throw new TokenizerError(`tokenizer: metadata 'tokenizer.ggml.model' is missing`);
    const addPrefixKey = metaBool(metadata, 'tokenizer.ggml.add_space_prefix');
    const flags = (addBos: boolean, addSpacePrefix: boolean, cleanSpaces: boolean) => ({
      addBos: metaBool(metadata, 'tokenizer.ggml.add_bos_token') ?? addBos,
      addEos: metaBool(metadata, 'tokenizer.ggml.add_eos_token') ?? false,
      addSpacePrefix: addPrefixKey ?? addSpacePrefix,
      cleanSpaces,
    });
    if (model === 'llama') {
      const v = loadVocab(metadata, { bos: 1, eos: 2, unk: 0 });
      return new Tokenizer(v, 'llama', '', null, new Map(), flags(true, true, false));
    }
    if (model === 'gpt2') {
      const pre = metaString(metadata, 'tokenizer.ggml.pre') ?? '';
      const preTok = preTokenizer(pre);
      if (!preTok) {
        throw new TokenizerError(`tokenizer: metadata 'tokenizer.ggml.pre' = '${pre}' is not supported (known: ${PRE_TOKENIZER_NAMES.join(', ')})`);
      }
      const merges = metaArray(metadata, 'tokenizer.ggml.merges', ['string']);
      if (!merges) throw new TokenizerError(`tokenizer: metadata 'tokenizer.ggml.merges' is missing (a gpt2 vocabulary needs its merges)`);
      const ranks = new Map<string, number>();
      merges.values.forEach((m, rank) => {
        const s = m as string;
        const sp = s.indexOf(' ', 1);
        const key = sp < 0 ? mergeKey('', '') : mergeKey(s.slice(0, sp), s.slice(sp + 1));
        if (!ranks.has(key)) ranks.set(key, rank); // the first rank of a repeated merge counts
      });
      const v = loadVocab(metadata, { bos: preTok.noBos ? null : 11, eos: 11, unk: null });
      return new Tokenizer(v, 'gpt2', pre, preTok, ranks, flags(preTok.addBos, false, preTok.cleanSpaces));
    }
    throw new TokenizerError(`tokenizer: metadata 'tokenizer.ggml.model' = '${model}' is not supported (llama, gpt2)`);
  }

  /** The raw vocab entry. */
  tokenText(id: number): string {
    return this.v.texts[this.check(id)];
  }

  isEog(id: number): boolean {
    return this.v.eog.has(id);
  }

  /** The bytes a token stands for; control and unknown tokens give their text only with `special`. */
  tokenBytes(id: number, opts: { special?: boolean } = {}): Uint8Array {
    this.check(id);
    if (!opts.special && this.v.attrs[id] & (ATTR_CONTROL | ATTR_UNKNOWN)) return EMPTY;
    return this.pieces[id];
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const addSpecial = opts.addSpecial ?? true;
    const out: number[] = [];
    const fragments = text === '' ? [] : this.partition(wellFormed(text), opts.parseSpecial ?? false);
    if (addSpecial && this.addBos) out.push(this.required(this.bos, 'bos_token_id'));
    if (this.model === 'llama') {
      let prevSpecial = true; // the text after a special token (or at the start) gets the space prefix
      for (const f of fragments) {
        if (typeof f === 'number') {
          out.push(f);
          prevSpecial = true;
          continue;
        }
        const t = (this.addSpacePrefix && prevSpecial ? ' ' : '') + f;
        spmEncode(t.replaceAll(' ', SPACE_MARK), this.spmVocab, out);
        prevSpecial = false;
      }
    } else {
      for (const f of fragments) {
        if (typeof f === 'number') out.push(f);
        else for (const word of preTokenize(this.preTok!, f)) for (const id of this.encodeWord(word)) out.push(id);
      }
    }
    if (addSpecial && this.addEos) out.push(this.required(this.eos, 'eos_token_id'));
    return out;
  }

  /** Text of `ids` as llama.cpp's llama_detokenize gives it. */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    let list = ids;
    let stripSpace = this.addSpacePrefix;
    if (opts.removeSpecial && this.addBos && list.length > 0 && list[0] === this.bos) {
      stripSpace = false;
      list = list.slice(1);
    }
    if (opts.removeSpecial && this.addEos && list.length > 0 && list[list.length - 1] === this.eos) list = list.slice(0, -1);
    const parts: Uint8Array[] = [];
    for (const id of list) {
      let p = this.tokenBytes(id, { special: opts.unparseSpecial });
      if (stripSpace && p.length > 0 && p[0] === 0x20) p = p.subarray(1); // the space prefix added at encode
      stripSpace = false;
      parts.push(p);
    }
    let bytes = concatBytes(parts);
    if (this.cleanSpaces) bytes = cleanUpSpaces(bytes);
    return utf8Decoder.decode(bytes);
  }

  private check(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new TokenizerError(`tokenizer: token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return id;
  }

  private required(id: number | null, key: string): number {
    if (id === null) throw new TokenizerError(`tokenizer: the vocabulary adds a special token but has no valid 'tokenizer.ggml.${key}'`);
    return id;
  }

  /** The bytes of token `id` as text (llama.cpp's token_to_piece with special = true). */
  private piece(id: number): Uint8Array {
    const attr = this.v.attrs[id];
    const text = this.v.texts[id];
    if (attr & (ATTR_CONTROL | ATTR_UNKNOWN | ATTR_USER_DEFINED)) return utf8Encoder.encode(text);
    if (attr & ATTR_NORMAL) return this.model === 'llama' ? utf8Encoder.encode(text.replaceAll(SPACE_MARK, ' ')) : byteDecode(text);
    if (attr & ATTR_BYTE) return Uint8Array.of(parseInt(text.slice(3, 5), 16) || 0);
    return EMPTY; // undefined and unused tokens render as nothing
  }

  private readonly spmVocab: SpmVocab = {
    id: (t) => this.v.ids.get(t),
    score: (id) => this.v.scores[id],
    byteToken: (b) => {
      const hex = b.toString(16).toUpperCase().padStart(2, '0');
      // llama.cpp's second choice is the byte itself as a token, which can only exist for ASCII.
      const id = this.v.ids.get(`<0x${hex}>`) ?? (b < 0x80 ? this.v.ids.get(String.fromCharCode(b)) : undefined);
      if (id === undefined) throw new TokenizerError(`tokenizer: the text needs byte 0x${hex} but the vocabulary has no '<0x${hex}>' token`);
      return id;
    },
  };

  /** BPE ids of one pre-tokenized word (cached). */
  private encodeWord(word: string): number[] {
    const hit = this.wordCache.get(word);
    if (hit) return hit;
    const enc = byteEncode(word);
    const ids: number[] = [];
    const whole = this.preTok!.ignoreMerges ? this.v.ids.get(enc) : undefined;
    if (whole !== undefined) ids.push(whole);
    else {
      for (const piece of bpeMerge(enc, this.ranks)) {
        const id = this.v.ids.get(piece);
        if (id !== undefined) {
          ids.push(id);
          continue;
        }
        // Not in the vocab: llama.cpp looks each UTF-8 byte up as a one-byte token (only ASCII ones can exist).
        for (const b of utf8Encoder.encode(piece)) {
          const bid = b < 0x80 ? this.v.ids.get(String.fromCharCode(b)) : undefined;
          if (bid !== undefined) ids.push(bid);
        }
      }
    }
    if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
    this.wordCache.set(word, ids);
    return ids;
  }

  /**
   * Splits special-token texts out of the input, longest token first, each token at all its occurrences
   * (llama.cpp's tokenizer_st_partition). Control and unknown tokens only with parseSpecial; user-defined always.
   */
  private partition(text: string, parseSpecial: boolean): Fragment[] {
    let frags: Fragment[] = [text];
    for (const id of this.v.specials) {
      if (!parseSpecial && this.v.attrs[id] & (ATTR_CONTROL | ATTR_UNKNOWN)) continue;
      const needle = this.v.texts[id];
      const next: Fragment[] = [];
      for (const f of frags) {
        if (typeof f === 'number' || !f.includes(needle)) {
          next.push(f);
          continue;
        }
        let from = 0;
        for (let at = f.indexOf(needle); at >= 0; at = f.indexOf(needle, from)) {
          if (at > from) next.push(f.slice(from, at));
          next.push(id);
          from = at + needle.length;
        }
        if (from < f.length) next.push(f.slice(from));
      }
      frags = next;
    }
    return frags;
  }
}

/**
 * Tokens up to this many UTF-16 units render an unknown character as llama.cpp does, with the whole token's text
 * repeated; longer ones without it. llama.cpp's rendering takes O(n^2) bytes for a token of n unknown characters, and
 * every piece is built when the tokenizer is (a fuzzed 170 KB file with one 8000-unit token took 74 s and 64 MB).
 */
const UNK_BYTE_TEXT_MAX = 64;

/** A byte-level BPE token's bytes; a character outside GPT-2's alphabet gives llama.cpp's [UNK_BYTE_..] text. */
function byteDecode(text: string): Uint8Array {
  const out: number[] = [];
  const repeat = text.length <= UNK_BYTE_TEXT_MAX ? text : '';
  for (const ch of text) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b !== undefined) out.push(b);
    else {
      const hex = Array.from(utf8Encoder.encode(ch), (x) => x.toString(16).padStart(2, '0')).join('');
      out.push(...utf8Encoder.encode(`[UNK_BYTE_0x${hex}${repeat}]`));
    }
  }
  return Uint8Array.from(out);
}

/**
 * llama.cpp's clean_up_tokenization_spaces for BPE vocabularies, pass for pass on the bytes: drop the space before
 * ? ! . , ; drop the spaces around a lone ' ; drop the space before 's 'm 're 've.
 */
function cleanUpSpaces(bytes: Uint8Array): Uint8Array {
  const t = Uint8Array.from(bytes);
  const SP = 0x20;
  const Q = 0x27;
  let total = t.length;
  // Pass 1: " ?", " !", " .", " ,"
  let n = total;
  total = n ? 1 : 0;
  for (let i = 1; i < n; i++) {
    const x = t[i];
    if (t[i - 1] === SP && (x === 0x3f || x === 0x21 || x === 0x2e || x === 0x2c)) total--;
    t[total++] = x;
  }
  // Pass 2: " ' " -> "'"
  n = total;
  total = n ? 1 : 0;
  for (let i = 1; i < n; i++) {
    const x = t[i];
    if (x === Q && i + 1 < n && t[i - 1] === SP && t[i + 1] === SP) {
      total--;
      t[++i] = 0;
    }
    t[total++] = x;
  }
  // Pass 3: " 's", " 'm", " 're", " 've"
  n = total;
  total = n ? 1 : 0;
  for (let i = 1; i < n; i++) {
    const x = t[i];
    if (t[i - 1] === SP && x === Q && i + 1 < n) {
      const x1 = t[i + 1];
      if (x1 === 0x73 || x1 === 0x6d) total--;
      else if (x1 !== 0x74 && x1 !== 0x64 && i + 2 < n) {
        const x2 = t[i + 2];
        if ((x1 === 0x72 && x2 === 0x65) || (x1 === 0x76 && x2 === 0x65)) total--;
      }
    }
    t[total++] = x;
  }
  return t.subarray(0, total);
}
