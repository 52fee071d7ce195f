// A SentencePiece tokenizer.model (Llama 2's kind) imported as GGUF tokenizer metadata: the ids of nibble's
// Tokenizer on it equal SentencePiece's own (test/golden/spm_tokenizer/golden.json, written once by
// test/golden/gen_spm_tokenizer.py; llama.cpp's ids on the same metadata are compared in tokenizer.test.ts), the
// keys are llama.cpp's converter's, and what cannot be imported is refused naming the file, field or byte offset.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSentencePieceModel, spmTokenizerMetadata } from '../../src/tokenizer/sentencepiece.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { SPM_MODEL, SPM_TOKENIZER_CONFIG } from './hf_fixture.js';

const bytes = readFileSync(SPM_MODEL);
const golden = JSON.parse(readFileSync(join(__dirname, '../golden/spm_tokenizer/golden.json'), 'utf8')) as {
  vocab_size: number; bos_id: number; eos_id: number; unk_id: number; pieces: [string, number][]; encodings: { text: string; ids: number[] }[];
};

/** A protobuf field: key varint, then a varint value or length-delimited bytes. */
function field(num: number, value: number | Uint8Array): Uint8Array {
  const varint = (v: number) => { const o: number[] = []; do { o.push((v & 0x7f) | (v > 0x7f ? 0x80 : 0)); v >>>= 7; } while (v); return o; };
  return typeof value === 'number' ? new Uint8Array([...varint(num << 3), ...varint(value)]) : new Uint8Array([...varint((num << 3) | 2), ...varint(value.length), ...value]);
}
const cat = (...a: Uint8Array[]) => new Uint8Array(a.flatMap((x) => [...x]));

describe('SentencePiece tokenizer.model import', () => {
  it('reads the pieces, scores, types, special ids and the normalizer of the model', () => {
    const m = parseSentencePieceModel(bytes);
    expect(m.pieces.length).toBe(golden.vocab_size);
    expect(m.pieces.slice(0, golden.pieces.length).map((p) => [p.piece, p.score])).toEqual(golden.pieces);
    expect(m.pieces.slice(0, 5).map((p) => p.type)).toEqual([2, 3, 3, 4, 6]); // unknown, control x2, user-defined <sep>, byte
    expect([m.modelType, m.byteFallback, m.unkId, m.bosId, m.eosId, m.padId]).toEqual([2, true, golden.unk_id, golden.bos_id, golden.eos_id, -1]);
    expect([m.normalizer, m.addDummyPrefix, m.removeExtraWhitespaces]).toEqual(['identity', true, false]);
  });

  it('tokenizes as SentencePiece does, bos added as the config says, and decodes back', () => {
    const meta = spmTokenizerMetadata(parseSentencePieceModel(bytes), SPM_TOKENIZER_CONFIG);
    expect(meta['tokenizer.ggml.model'].value).toBe('llama');
    expect(meta['tokenizer.ggml.add_space_prefix'].value).toBe(true);
    const tok = Tokenizer.fromGguf(meta);
    expect([tok.bos, tok.eos, tok.unk, tok.addBos]).toEqual([1, 2, 0, true]);
    for (const { text, ids } of golden.encodings) {
      // One known difference, llama.cpp's: after a special or user-defined token (here <sep>, id 3) the next text
      // gets the space prefix again ("▁" 944 before "▁b"), which SentencePiece does not add; tokenizer.test.ts
      // checks nibble against llama.cpp itself on this vocabulary.
      const want = text.includes('<sep>') ? ids.flatMap((id) => (id === 3 ? [3, 944] : [id])) : ids;
      expect(tok.encode(text, { addSpecial: false, parseSpecial: true }), text).toEqual(want);
      expect(tok.encode(text), text).toEqual([1, ...want]);
      expect(tok.decode(ids), text).toBe(text);
    }
  });

  it('pads to the model\'s vocab_size and takes the config\'s added tokens as llama.cpp\'s converter does', () => {
    const cfg = { ...SPM_TOKENIZER_CONFIG, added_tokens_decoder: { ...SPM_TOKENIZER_CONFIG.added_tokens_decoder, 1000: { content: '<|im_end|>', special: true }, 1001: { content: '\u2581hi', special: false } } };
    const meta = spmTokenizerMetadata(parseSentencePieceModel(bytes), cfg, 'tokenizer.model', 1004);
    const values = (key: string) => (meta[key].value as { value: unknown }[]).map((v) => v.value);
    const [tokens, types, scores] = ['tokens', 'token_type', 'scores'].map((k) => values(`tokenizer.ggml.${k}`));
    expect(tokens.slice(1000)).toEqual(['<|im_end|>', ' hi', '[PAD1002]', '[PAD1003]']);
    expect(types.slice(1000)).toEqual([3, 4, 5, 5]);
    expect(scores.slice(1000)).toEqual([-1000, -1000, -10000, -10000]);
    const tok = Tokenizer.fromGguf(meta);
    expect(tok.encode('a<|im_end|>', { addSpecial: false, parseSpecial: true }).at(-1)).toBe(1000);
  });

  it('refuses what llama.cpp cannot tokenize alike, naming the file, field or byte offset', () => {
    const m = parseSentencePieceModel(bytes);
    expect(() => spmTokenizerMetadata({ ...m, modelType: 1 })).toThrow(/tokenizer\.model: a Unigram SentencePiece model: nibble imports BPE ones/);
    expect(() => spmTokenizerMetadata({ ...m, normalizer: 'nmt_nfkc' })).toThrow(/normalizer 'nmt_nfkc': llama\.cpp's SPM tokenizer normalizes nothing/);
    expect(() => spmTokenizerMetadata({ ...m, removeExtraWhitespaces: true })).toThrow(/remove_extra_whitespaces is set/);
    expect(spmTokenizerMetadata({ ...m, normalizer: '' })['tokenizer.ggml.model'].value).toBe('llama'); // no rule named: none applied
    expect(() => spmTokenizerMetadata(m, {}, 'tokenizer.model', 999)).toThrow(/1000 pieces, but the model's vocab_size is 999/);
    expect(() => spmTokenizerMetadata(m, { bos_token: '<bos>' })).toThrow(/tokenizer_config\.json: bos_token "<bos>" is not a token of tokenizer\.model/);
    expect(() => spmTokenizerMetadata(m, { added_tokens_decoder: { 5000: { content: 'x' } } })).toThrow(/added_tokens_decoder entry "5000" is not an id below 1000/);
    expect(() => parseSentencePieceModel(bytes.subarray(0, 1000), 'cut.model')).toThrow(/cut\.model: field 1 at byte \d+ runs past the end/);
    expect(() => parseSentencePieceModel(new TextEncoder().encode('{"model": {}}'), 'tokenizer.json')).toThrow(/tokenizer\.json: not a SentencePiece model/);
    expect(() => parseSentencePieceModel(cat(field(2, field(3, 2))), 'empty.model')).toThrow(/empty\.model: not a SentencePiece model \(no pieces/);
    expect(() => parseSentencePieceModel(field(1, cat(field(1, new TextEncoder().encode('a')), field(3, 9))), 'x.model')).toThrow(/x\.model: piece 0 \("a", at byte 0\) has type 9/);
    // A fault inside a piece is named at its offset in the file (the trainer spec takes bytes 0..3, the piece's message 6..8).
    expect(() => parseSentencePieceModel(cat(field(2, field(3, 2)), field(1, new Uint8Array([0x0a, 0x05, 0x61]))), 'y.model')).toThrow(/y\.model: field 1 at byte 6 runs past the end \(5 bytes from byte 8, the message ends at 9\)/);
    const bare = parseSentencePieceModel(field(1, field(1, new TextEncoder().encode('a'))));
    expect([bare.pieces, bare.normalizer, bare.modelType, bare.bosId]).toEqual([[{ piece: 'a', score: 0, type: 1 }], '', 1, 1]); // protobuf defaults
  });
});
