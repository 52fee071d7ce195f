// A byte-level BPE tokenizer.json trained by Hugging Face's `tokenizers` (test/golden/bpe_tokenizer, written once by
// test/golden/gen_bpe_tokenizer_json.py) imported as GGUF 'gpt2' metadata (src/tokenizer/hf.ts): in Llama 3's form,
// Qwen2's and GPT-2's, nibble's ids equal those `tokenizers` gives, and its decoding of them the text `tokenizers`
// decodes; llama.cpp's ids on the same metadata are compared in tokenizer.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hfTokenizerMetadata } from '../../src/tokenizer/hf.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { BPE_TOKENIZER_JSON, bpeTokenizerJsonForm } from './hf_fixture.js';

const golden = JSON.parse(readFileSync(join(__dirname, '../golden/bpe_tokenizer/golden.json'), 'utf8')) as {
  with_bos: number[]; encodings: ({ text: string; decoded: string } & Record<'llama3' | 'qwen2' | 'gpt2', number[]>)[];
};

describe('byte-level BPE tokenizer.json import, against Hugging Face tokenizers', () => {
  it.each([
    ['llama3', 'llama-bpe'],
    ['qwen2', 'qwen2'],
    ['gpt2', 'gpt-2'],
  ] as const)('%s form: pre %s, the ids of tokenizers on every corpus string, special tokens matched in the text', (form, pre) => {
    const meta = hfTokenizerMetadata(bpeTokenizerJsonForm(form));
    expect(meta['tokenizer.ggml.pre'].value).toBe(pre);
    const tok = Tokenizer.fromGguf(meta);
    expect(golden.encodings.length).toBeGreaterThan(120);
    for (const e of golden.encodings) expect(tok.encode(e.text, { addSpecial: false, parseSpecial: true }), e.text).toEqual(e[form]);
  });

  it('llama3 form: bos from the post-processor, and the decoding of tokenizers', () => {
    const json = JSON.parse(readFileSync(BPE_TOKENIZER_JSON, 'utf8'));
    const tok = Tokenizer.fromGguf(hfTokenizerMetadata(json));
    expect([tok.bos, tok.addBos]).toEqual([0, true]);
    expect(tok.encode('Hello world')).toEqual(golden.with_bos);
    for (const e of golden.encodings) expect(tok.decode(e.llama3, { unparseSpecial: true }), e.text).toBe(e.decoded);
  });
});
