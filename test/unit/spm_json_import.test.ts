// A SentencePiece-style Hugging Face tokenizer.json (Llama 2's kind, for checkpoints without a tokenizer.model)
// imported as GGUF 'llama' metadata (src/tokenizer/hf_spm.ts): nibble's ids on it equal Hugging Face's `tokenizers`
// (test/golden/spm_tokenizer/golden_json.json, written once by test/golden/gen_spm_tokenizer_json.py; llama.cpp's
// ids on the same metadata are compared in tokenizer.test.ts), and what llama.cpp would tokenize differently is
// refused naming the file and the step, token or pair at fault.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHfTokenizer } from '../../runtime/hf.js';
import { hfTokenizerMetadata } from '../../src/tokenizer/hf.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { parseSentencePieceModel, spmTokenizerMetadata } from '../../src/tokenizer/sentencepiece.js';
import { SPM_MODEL, SPM_TOKENIZER_CONFIG, SPM_TOKENIZER_JSON } from './hf_fixture.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const legacyJson = (): Json => JSON.parse(readFileSync(SPM_TOKENIZER_JSON, 'utf8'));
/** The newer form transformers writes (legacy false): no normalizer, a Metaspace pre-tokenizer prefixing the first section. */
const metaspaceJson = (): Json => ({ ...legacyJson(), normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false } });
const golden = JSON.parse(readFileSync(join(__dirname, '../golden/spm_tokenizer/golden_json.json'), 'utf8')) as {
  merges: number; with_bos: number[]; encodings: { text: string; legacy: number[]; metaspace: number[]; decoded: string }[];
};
const values = (meta: Record<string, { value: unknown }>, key: string) => (meta[key].value as { value: unknown }[]).map((v) => v.value);
const noSpecial = { addSpecial: false, parseSpecial: true };

describe('SentencePiece-style tokenizer.json import', () => {
  it('tokenizes as Hugging Face\'s tokenizers does, bos added as the post-processor says, and decodes back', () => {
    const json = legacyJson();
    expect(json.model.merges.length).toBe(golden.merges);
    const meta = hfTokenizerMetadata(json, { bos_token: '<s>', eos_token: '</s>' });
    expect([meta['tokenizer.ggml.model'].value, meta['tokenizer.ggml.add_space_prefix'].value, meta['tokenizer.ggml.add_bos_token'].value]).toEqual(['llama', true, true]);
    const tok = Tokenizer.fromGguf(meta);
    expect([tok.bos, tok.eos, tok.unk]).toEqual([1, 2, 0]);
    expect(tok.encode('Hello world')).toEqual(golden.with_bos);
    expect(Tokenizer.fromGguf(hfTokenizerMetadata(json)).encode('Hello world')).toEqual(golden.with_bos); // bos from the post-processor alone
    expect(golden.encodings.length).toBeGreaterThan(150);
    for (const { text, legacy, decoded } of golden.encodings) {
      expect(tok.encode(text, noSpecial), text).toEqual(legacy);
      expect(tok.decode(legacy), text).toBe(decoded); // the text, but where a space prefix was added after <sep> or to a U+2581
    }
  });

  it('has the tokenizer.model\'s tokens and types, and tokenizes as its import does', () => {
    const fromJson = hfTokenizerMetadata(legacyJson(), SPM_TOKENIZER_CONFIG);
    const fromModel = spmTokenizerMetadata(parseSentencePieceModel(readFileSync(SPM_MODEL)), SPM_TOKENIZER_CONFIG);
    for (const key of ['tokenizer.ggml.tokens', 'tokenizer.ggml.token_type']) expect(values(fromJson, key), key).toEqual(values(fromModel, key));
    const [a, b] = [fromJson, fromModel].map((m) => Tokenizer.fromGguf(m));
    for (const { text } of golden.encodings) expect(a.encode(text, noSpecial), text).toEqual(b.encode(text, noSpecial));
  });

  it('the Metaspace form: the same ids; Hugging Face differs only where llama.cpp prefixes a space it does not', () => {
    const tok = Tokenizer.fromGguf(hfTokenizerMetadata(metaspaceJson(), SPM_TOKENIZER_CONFIG));
    const differ: string[] = [];
    for (const { text, legacy, metaspace } of golden.encodings) {
      expect(tok.encode(text, noSpecial), text).toEqual(legacy);
      if (JSON.stringify(metaspace) !== JSON.stringify(legacy)) differ.push(text);
    }
    // Text starting with a space (or U+2581) gets no second prefix from Metaspace, nor text after <sep>.
    expect(differ).toEqual([' leading space and  two  spaces', '        eight spaces', 'a <sep> b', 'x<sep>y', '\u2581already a metaspace']);
    const never = { ...metaspaceJson(), pre_tokenizer: { ...metaspaceJson().pre_tokenizer, prepend_scheme: 'never' } };
    expect(hfTokenizerMetadata(never)['tokenizer.ggml.add_space_prefix'].value).toBe(false);
  });

  it('a Hugging Face directory with only this tokenizer.json loads it, padded to config.json\'s vocab_size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nibble-spmjson-'));
    try {
      writeFileSync(join(dir, 'tokenizer.json'), readFileSync(SPM_TOKENIZER_JSON));
      writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(SPM_TOKENIZER_CONFIG));
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ vocab_size: 1024 }));
      const meta = loadHfTokenizer(dir);
      expect(values(meta, 'tokenizer.ggml.tokens').length).toBe(1024);
      expect(Tokenizer.fromGguf(meta).encode('Hello world')).toEqual(golden.with_bos);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what llama.cpp would tokenize differently, naming the file and the step, token or pair', () => {
    const j = legacyJson();
    const at = (patch: Json) => () => hfTokenizerMetadata({ ...j, ...patch });
    expect(at({ normalizer: { type: 'Sequence', normalizers: [...j.normalizer.normalizers, { type: 'NFKC' }] } })).toThrow(/tokenizer\.json: normalizer step "NFKC" is not one llama\.cpp's SPM tokenizer applies/);
    expect(at({ normalizer: null })).toThrow(/neither a normalizer Replace\(' ', '▁'\) nor a Metaspace pre-tokenizer/);
    expect(at({ normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', split: true } })).toThrow(/Metaspace with split true cuts the text at every space/);
    expect(at({ pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false } })).toThrow(/both a Prepend normalizer and a Metaspace pre-tokenizer/);
    expect(at({ pre_tokenizer: { type: 'Whitespace' } })).toThrow(/pre_tokenizer type 'Whitespace' is not SentencePiece-style BPE's/);
    const vocab = { ...j.model.vocab, zq: j.model.vocab['<0x41>'] };
    delete vocab['<0x41>'];
    expect(at({ model: { ...j.model, vocab } })).toThrow(/byte token <0x41> is missing from model\.vocab/);
    // The merge making "th" dropped: llama.cpp would still join t and h, Hugging Face would not.
    const merges = j.model.merges.filter((m: string | string[]) => (Array.isArray(m) ? m.join(' ') : m) !== 't h');
    expect(merges.length).toBe(j.model.merges.length - 1);
    expect(at({ model: { ...j.model, merges } })).toThrow(/model\.merges lacks "t h" though both are tokens and "th" is one: llama\.cpp's SPM tokenizer would join them/);
    expect(at({ model: { ...j.model, merges: [...j.model.merges, 'q z'] } })).toThrow(new RegExp(`model\\.merges\\[${golden.merges}\\] "q z" makes "qz", which is not in model\\.vocab`));
    expect(() => hfTokenizerMetadata(j, { unk_token: '<unknown>' })).toThrow(/tokenizer_config\.json: unk_token "<unknown>" is not a token of tokenizer\.json/);
  });
});
