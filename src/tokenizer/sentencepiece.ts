// A SentencePiece tokenizer.model (the protobuf ModelProto that Llama 1 / 2, Mistral, TinyLlama and their kin ship
// beside tokenizer.json) read into the GGUF tokenizer metadata llama.cpp's converter writes for it: model `llama`
// (SPM), pre `default`, every piece with its score and type, the tokenizer_config.json's added tokens (special ->
// control, else user-defined, score -1000), `[PAD<id>]` unused tokens up to the model's vocab_size, bos / eos / unk /
// pad ids and add_bos / add_eos, the chat template, and the space prefix from the normalizer. Only what llama.cpp's
// SPM tokenizer reproduces is taken: BPE models with the identity normalizer (Llama's); Unigram models, and
// normalizers llama.cpp does not apply (NFKC, whitespace folding), are refused by name.
import { gguf, type GgufValue } from '../io/gguf.js';
import { obj, tokenText } from './hf_common.js';
import { TokenizerError } from './vocab.js';

/** What nibble reads of a ModelProto (the fields llama.cpp's converter uses). */
export interface SentencePieceModel {
  pieces: { piece: string; score: number; type: number }[];
  /** TrainerSpec.model_type: 1 Unigram, 2 BPE, 3 word, 4 char. */
  modelType: number;
  byteFallback: boolean;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  /** NormalizerSpec.name ('' when the file names none: no rule). */
  normalizer: string;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
}

/**
 * A protobuf message's fields (number, wire type, value: a bigint varint, a 32/64-bit view, or the bytes). `base`:
 * the message's offset in the file, so that every offset an error or a field names is the file's.
 */
function* fields(b: Uint8Array, source: string, base = 0): Generator<{ field: number; wire: number; at: number; varint: bigint; bytes: Uint8Array; start: number }> {
  let p = 0;
  const end = b.length;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (p >= end) throw new TokenizerError(`${source}: a varint runs past the end of its message at byte ${base + p}`);
      if (shift > 63n) throw new TokenizerError(`${source}: a varint at byte ${base + p} is longer than 10 bytes`);
      const c = b[p++];
      v |= BigInt(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
  };
  while (p < end) {
    const at = base + p;
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let len = 0;
    let v = 0n;
    if (wire === 0) v = varint();
    else if (wire === 1) len = 8;
    else if (wire === 5) len = 4;
    else if (wire === 2) len = Number(varint());
    else throw new TokenizerError(`${source}: not a SentencePiece model (protobuf wire type ${wire} of field ${field} at byte ${at})`);
    if (p + len > end) throw new TokenizerError(`${source}: field ${field} at byte ${at} runs past the end (${len} bytes from byte ${base + p}, the message ends at ${base + end})`);
    yield { field, wire, at, varint: v, bytes: b.subarray(p, p + len), start: base + p };
    p += len;
  }
}

const int32 = (v: bigint) => Number(BigInt.asIntN(32, v));
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Parses a tokenizer.model; errors name the file and the byte offset at fault. */
export function parseSentencePieceModel(bytes: Uint8Array, source = 'tokenizer.model'): SentencePieceModel {
  const m: SentencePieceModel = { pieces: [], modelType: 1, byteFallback: false, unkId: 0, bosId: 1, eosId: 2, padId: -1, normalizer: '', addDummyPrefix: true, removeExtraWhitespaces: true };
  const sub = (f: { bytes: Uint8Array; start: number }) => fields(f.bytes, source, f.start);
  for (const f of fields(bytes, source)) {
    if (f.field === 1 && f.wire === 2) {
      const piece = { piece: '', score: 0, type: 1 };
      for (const g of sub(f)) {
        if (g.field === 1 && g.wire === 2) piece.piece = utf8.decode(g.bytes);
        else if (g.field === 2 && g.wire === 5) piece.score = new DataView(g.bytes.buffer, g.bytes.byteOffset, 4).getFloat32(0, true);
        else if (g.field === 3 && g.wire === 0) piece.type = int32(g.varint);
      }
      if (piece.type < 1 || piece.type > 6) throw new TokenizerError(`${source}: piece ${m.pieces.length} (${JSON.stringify(piece.piece)}, at byte ${f.at}) has type ${piece.type}, not one of SentencePiece's 1..6`);
      m.pieces.push(piece);
    } else if (f.field === 2 && f.wire === 2) {
      for (const g of sub(f)) {
        if (g.wire !== 0) continue;
        if (g.field === 3) m.modelType = int32(g.varint);
        else if (g.field === 35) m.byteFallback = g.varint !== 0n;
        else if (g.field === 40) m.unkId = int32(g.varint);
        else if (g.field === 41) m.bosId = int32(g.varint);
        else if (g.field === 42) m.eosId = int32(g.varint);
        else if (g.field === 43) m.padId = int32(g.varint);
      }
    } else if (f.field === 3 && f.wire === 2) {
      for (const g of sub(f)) {
        if (g.field === 1 && g.wire === 2) m.normalizer = utf8.decode(g.bytes);
        else if (g.field === 3 && g.wire === 0) m.addDummyPrefix = g.varint !== 0n;
        else if (g.field === 4 && g.wire === 0) m.removeExtraWhitespaces = g.varint !== 0n;
      }
    }
  }
  if (m.pieces.length === 0) throw new TokenizerError(`${source}: not a SentencePiece model (no pieces in ${bytes.length} bytes)`);
  return m;
}

/**
 * GGUF's `llama` (SPM) vocabulary keys, as llama.cpp's converter writes them (pre `default`).
 */
export function spmVocabMeta(tokens: string[], scores: ArrayLike<number>, types: number[], addSpacePrefix: boolean): Record<string, GgufValue> {
  return {
    'tokenizer.ggml.model': gguf.str('llama'),
    'tokenizer.ggml.pre': gguf.str('default'),
    'tokenizer.ggml.tokens': gguf.array('string', tokens),
    'tokenizer.ggml.scores': gguf.array('f32', Array.from(scores)),
    'tokenizer.ggml.token_type': gguf.array('i32', types),
    'tokenizer.ggml.add_space_prefix': gguf.bool(addSpacePrefix),
  };
}

/**
 * The GGUF tokenizer metadata of a SentencePiece model (`config`: tokenizer_config.json, for its added tokens,
 * special tokens, add_bos / add_eos and chat template; `vocabSize`: the model's embedding rows).
 */
export function spmTokenizerMetadata(m: SentencePieceModel, config: unknown = {}, source = 'tokenizer.model', vocabSize?: number): Record<string, GgufValue> {
  const kinds: Record<number, string> = { 1: 'Unigram', 3: 'word', 4: 'char' };
  if (m.modelType !== 2) throw new TokenizerError(`${source}: a ${kinds[m.modelType] ?? `type ${m.modelType}`} SentencePiece model: nibble imports BPE ones (Llama's), whose pieces llama.cpp's SPM tokenizer merges by score`);
  if (m.normalizer !== 'identity' && m.normalizer !== '') throw new TokenizerError(`${source}: normalizer '${m.normalizer}': llama.cpp's SPM tokenizer normalizes nothing, so its ids would differ from this model's (Llama's tokenizer.model uses 'identity')`);
  if (m.removeExtraWhitespaces) throw new TokenizerError(`${source}: normalizer remove_extra_whitespaces is set: llama.cpp keeps every space, so its ids would differ from this model's`);
  const n = vocabSize ?? m.pieces.length;
  if (m.pieces.length > n) throw new TokenizerError(`${source}: ${m.pieces.length} pieces, but the model's vocab_size is ${n}`);
  const tokens = Array.from({ length: n }, (_, i) => m.pieces[i]?.piece ?? `[PAD${i}]`);
  const scores = Array.from({ length: n }, (_, i) => m.pieces[i]?.score ?? -10000);
  const types = Array.from({ length: n }, (_, i) => m.pieces[i]?.type ?? 5);
  const cfg = obj(config) ? config : {};
  const added = obj(cfg.added_tokens_decoder) ? cfg.added_tokens_decoder : {};
  for (const [key, t] of Object.entries(added)) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || id >= n || !obj(t) || typeof t.content !== 'string') throw new TokenizerError(`tokenizer_config.json: added_tokens_decoder entry ${JSON.stringify(key)} is not an id below ${n} with a content string`);
    tokens[id] = t.special === true ? t.content : t.content.replaceAll('\u2581', ' '); // matched as written: llama.cpp's converter stores spaces
    types[id] = t.special === true ? 3 : 4;
    scores[id] = -1000;
  }
  const meta = spmVocabMeta(tokens, scores, types, m.addDummyPrefix);
  // Special ids: the config's token text where it names one, else the trainer's ids (pad -1: none). A vocabulary
  // holding a text twice is refused where it is loaded (Tokenizer.fromGguf), as every GGUF vocabulary is.
  const special = (key: string, trained: number, gkey: string) => {
    const text = tokenText(cfg[key]);
    const id = text === undefined ? trained : tokens.indexOf(text);
    if (id === -1 && text !== undefined) throw new TokenizerError(`tokenizer_config.json: ${key} ${JSON.stringify(text)} is not a token of ${source}`);
    if (id >= 0 && id < n) meta[`tokenizer.ggml.${gkey}`] = gguf.u32(id);
  };
  special('bos_token', m.bosId, 'bos_token_id');
  special('eos_token', m.eosId, 'eos_token_id');
  special('unk_token', m.unkId, 'unknown_token_id');
  special('pad_token', m.padId, 'padding_token_id');
  if (typeof cfg.add_bos_token === 'boolean') meta['tokenizer.ggml.add_bos_token'] = gguf.bool(cfg.add_bos_token);
  if (typeof cfg.add_eos_token === 'boolean') meta['tokenizer.ggml.add_eos_token'] = gguf.bool(cfg.add_eos_token);
  if (typeof cfg.chat_template === 'string') meta['tokenizer.chat_template'] = gguf.str(cfg.chat_template);
  return meta;
}
