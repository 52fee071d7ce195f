// A Hugging Face byte-level BPE tokenizer.json as GGUF metadata (src/tokenizer/hf.ts): nibble's Tokenizer on the
// metadata splits and merges as the tokenizer.json says (Llama 3's regex, GPT-2's ByteLevel), special tokens and
// padding come out as llama.cpp's converter writes them, and what cannot be imported is refused by name.
import { describe, expect, it } from 'vitest';
import { hfTokenizerMetadata } from '../../src/tokenizer/hf.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { TINY_TOKENIZER_CONFIG, tinyTokenizerJson } from './hf_fixture.js';

describe('Hugging Face tokenizer.json import', () => {
  it('Llama 3 style: the GGUF vocabulary encodes and decodes as the merges say, with bos from the config', () => {
    const meta = hfTokenizerMetadata(tinyTokenizerJson(), TINY_TOKENIZER_CONFIG);
    expect(meta['tokenizer.ggml.model'].value).toBe('gpt2');
    expect(meta['tokenizer.ggml.pre'].value).toBe('llama-bpe');
    expect(meta['tokenizer.chat_template'].value).toContain('messages');
    const tok = Tokenizer.fromGguf(meta);
    const json = tinyTokenizerJson();
    const id = (t: string) => json.model.vocab[t as keyof typeof json.model.vocab] as number;
    const ids = tok.encode('the where there', { addSpecial: true });
    // bos; 'the' -> t + he (no Ġ before the first word); ' where' -> Ġwhere; ' there' -> Ġthe, r, e (merges in rank
    // order: Ġ t, h e, Ġt he; 'e r' cannot apply once 'he' took the e).
    expect(meta['tokenizer.ggml.bos_token_id'].value).toBe(264);
    expect(ids).toEqual([264, id('t'), id('he'), id('Ġwhere'), id('Ġthe'), id('r'), id('e')]);
    expect(tok.decode(ids.slice(1))).toBe('the where there');
    expect(meta['tokenizer.ggml.add_bos_token'].value).toBe(true);
    expect((meta['tokenizer.ggml.token_type'].value as { value: number }[]).at(-1)!.value).toBe(3);
  });

  it('GPT-2 style (ByteLevel alone) is gpt-2; a vocab_size above the tokens pads with unused [PAD<id>] tokens', () => {
    const meta = hfTokenizerMetadata(tinyTokenizerJson({ type: 'ByteLevel', add_prefix_space: false, use_regex: true }), {}, 'tokenizer.json', 300);
    expect(meta['tokenizer.ggml.pre'].value).toBe('gpt-2');
    const tokens = meta['tokenizer.ggml.tokens'].value as { value: string }[];
    expect(tokens.length).toBe(300);
    expect(tokens[299].value).toBe('[PAD299]');
    expect((meta['tokenizer.ggml.token_type'].value as { value: number }[])[299].value).toBe(5);
    // No tokenizer_config.json: bos is the token the post-processor's template puts first, and it is added.
    expect([meta['tokenizer.ggml.bos_token_id'].value, meta['tokenizer.ggml.add_bos_token'].value]).toEqual([264, true]);
    const bare = hfTokenizerMetadata({ ...tinyTokenizerJson(), post_processor: null });
    expect([bare['tokenizer.ggml.bos_token_id'], bare['tokenizer.ggml.add_bos_token'].value]).toEqual([undefined, false]);
    expect(() => hfTokenizerMetadata(tinyTokenizerJson(), {}, 'tokenizer.json', 100)).toThrow(/266 tokens, but the model's vocab_size is 100/);
  });

  it("StarCoder's split (Digits, each digit alone, then ByteLevel: SmolLM 1 / 2, Granite 3) is refact, or smollm where decoding keeps spaces", () => {
    const starcoder = (individual: boolean) => tinyTokenizerJson({ type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: individual }, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }] });
    const meta = hfTokenizerMetadata(starcoder(true), TINY_TOKENIZER_CONFIG);
    expect(meta['tokenizer.ggml.pre'].value).toBe('refact');
    expect(hfTokenizerMetadata(starcoder(true), { ...TINY_TOKENIZER_CONFIG, clean_up_tokenization_spaces: false })['tokenizer.ggml.pre'].value).toBe('smollm');
    // (Those pre-tokenizers' splits, ' 1234' -> ' ', '1', '2', '3', '4', are checked against llama.cpp in tokenizer.test.ts.)
    expect(() => hfTokenizerMetadata(starcoder(false))).toThrow(/pre_tokenizer Digits without individual_digits is not one nibble maps/);
  });

  it("o200k's split (GPT-4o, Phi-4-mini) is gpt-4o and Tekken's (Mistral NeMo / Small 3) tekken, by their regexes", () => {
    const cased = String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+`;
    const upper = String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*`;
    const rest = String.raw`| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
    const contr = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)?`;
    const split = (re: string) => tinyTokenizerJson({ type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: re }, behavior: 'Isolated', invert: false }, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] });
    const [n3, n1] = [String.raw`\p{N}{1,3}`, String.raw`\p{N}`];
    expect(hfTokenizerMetadata(split(`${cased}${contr}|${upper}${contr}|${n3}${rest}`))['tokenizer.ggml.pre'].value).toBe('gpt-4o');
    expect(hfTokenizerMetadata(split(`${cased}|${upper}|${n1}${rest}`))['tokenizer.ggml.pre'].value).toBe('tekken');
  });

  it('refuses what it cannot import, naming the file, key or token', () => {
    const t = tinyTokenizerJson();
    expect(() => hfTokenizerMetadata({ ...t, model: { ...t.model, type: 'Unigram' } })).toThrow(/tokenizer\.json: model\.type 'Unigram': nibble imports BPE tokenizers only/);
    expect(() => hfTokenizerMetadata({ ...t, model: { ...t.model, byte_fallback: true } })).toThrow(/pre_tokenizer type 'Sequence' is not SentencePiece-style BPE's/); // byte_fallback: read as SentencePiece-style
    expect(() => hfTokenizerMetadata(tinyTokenizerJson({ type: 'Metaspace' }))).toThrow(/pre_tokenizer type 'Metaspace' is not byte-level BPE's/);
    expect(() => hfTokenizerMetadata(tinyTokenizerJson({ type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: '\\w+' } }, { type: 'ByteLevel', use_regex: false }] }))).toThrow(/Split regex "\\\\w\+" is not one nibble knows/);
    expect(() => hfTokenizerMetadata({ ...t, added_tokens: [{ id: 300, content: '<x>', special: true }] })).toThrow(/no token has id 264 \(ids must run 0\.\.300 without gaps\)/);
    expect(() => hfTokenizerMetadata({ ...t, model: { ...t.model, merges: ['a b c'] } })).toThrow(/model\.merges\[0\] "a b c" is not a pair/);
    expect(() => hfTokenizerMetadata(t, { bos_token: '<s>' })).toThrow(/tokenizer_config\.json: bos_token "<s>" is not a token/);
    expect(() => hfTokenizerMetadata({ model: 3 })).toThrow(/not a Hugging Face tokenizer/);
    expect(() => hfTokenizerMetadata({ ...t, normalizer: { type: 'Lowercase' } })).toThrow(/tokenizer\.json: normalizer "Lowercase" is not one llama\.cpp applies/);
    expect(hfTokenizerMetadata({ ...t, normalizer: { type: 'NFC' } })['tokenizer.ggml.pre'].value).toBe('llama-bpe'); // Qwen2's: taken
  });
});
