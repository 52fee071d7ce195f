/**
 * The tokenizer against llama.cpp (node-llama-cpp 3.21.1, which loads the same vocabulary from a tiny GGUF file
 * written here): ids for every corpus string with special-token parsing off and on, detokenized text for those ids
 * and for random id sequences, special ids, add_bos/add_eos and end-of-generation ids; then errors and speed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gguf, type GgufValue } from '../../src/io/gguf.js';
import { Tokenizer, TokenizerError } from '../../src/tokenizer/index.js';
import { preTokenize, preTokenizer } from '../../src/tokenizer/pretokenize.js';
import { hfTokenizerMetadata } from '../../src/tokenizer/hf.js';
import { parseSentencePieceModel, spmTokenizerMetadata } from '../../src/tokenizer/sentencepiece.js';
import { SPM_MODEL, SPM_TOKENIZER_CONFIG, SPM_TOKENIZER_JSON, bpeTokenizerJsonForm } from './hf_fixture.js';
import {
  EDGE_STRINGS, TRAIN_TEXT, bpeVocabMetadata, longText, randomStrings, spmVocabMetadata, tinyLlamaGguf,
} from '../helpers/tokenizer_fixtures.js';

// The last two: text after a user-defined token (<sep> in the tokenizer.model vocabulary) takes the space prefix again.
const CORPUS = [...EDGE_STRINGS, ...TRAIN_TEXT, ...randomStrings(300, 17), 'a <sep> b', 'x<sep>y'];

const VOCABS: { name: string; meta: Record<string, GgufValue> }[] = [
  { name: 'spm', meta: spmVocabMetadata() },
  { name: 'spm without token types, scores and special ids', meta: untyped(spmVocabMetadata()) },
  // Llama 2's kind of vocabulary, imported from a SentencePiece tokenizer.model (test/golden/spm_tokenizer).
  { name: 'spm from a tokenizer.model', meta: spmTokenizerMetadata(parseSentencePieceModel(readFileSync(SPM_MODEL)), SPM_TOKENIZER_CONFIG) },
  // The same vocabulary as transformers writes it to a tokenizer.json (scores from the merges' ranks: src/tokenizer/hf_spm.ts).
  { name: 'spm from a tokenizer.json', meta: hfTokenizerMetadata(JSON.parse(readFileSync(SPM_TOKENIZER_JSON, 'utf8')), SPM_TOKENIZER_CONFIG) },
  // tekken (Mistral NeMo / Small 3), gpt-4o (Phi-4-mini) and lfm2 (LFM2): the regexes llama.cpp runs over its collapsed text.
  ...['llama-bpe', 'qwen2', 'smollm', 'default', 'gpt-2', 'tekken', 'gpt-4o', 'lfm2'].map((pre) => ({ name: `bpe ${pre}`, meta: bpeVocabMetadata(pre) })),
  // (since 2026-12-07) StableLM 2, Falcon, GLM-4, Seed-Coder, DeepSeek-Coder (a wide-regex CJK piece and \p{P} on the
  // collapsed text), Viking and Poro (a wide regex over the text itself)
  ...['stablelm2', 'falcon', 'glm4', 'seed-coder', 'deepseek-coder', 'viking', 'poro-chat', 'bailingmoe', 'hunyuan-dense'].map((pre) => ({ name: `bpe ${pre}`, meta: bpeVocabMetadata(pre) })),
  // (since 2026-12-08) BLOOM's: poro's expression with llama.cpp's default clean-up of spaces
  ...['bloom'].map((pre) => ({ name: `bpe ${pre}`, meta: bpeVocabMetadata(pre) })),
  // Byte-level BPE trained by Hugging Face tokenizers, imported from its tokenizer.json in three forms (test/golden/bpe_tokenizer).
  ...(['llama3', 'qwen2', 'gpt2'] as const).map((form) => ({ name: `bpe from a ${form} tokenizer.json`, meta: hfTokenizerMetadata(bpeTokenizerJsonForm(form), { eos_token: '<|end_of_text|>' }) })),
];

/** llama.cpp's defaults: every token normal (byte tokens too), score 0, bos 1 / eos 2 / unk 0, add_bos. */
function untyped(meta: Record<string, GgufValue>): Record<string, GgufValue> {
  const keep = ['tokenizer.ggml.model', 'tokenizer.ggml.tokens'];
  return Object.fromEntries(Object.entries(meta).filter(([k]) => keep.includes(k)));
}

let llama: Llama;
const dir = mkdtempSync(join(tmpdir(), 'nibble-tok-'));
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const show = (s: string) => JSON.stringify(s);

describe.each(VOCABS)('tokenizer vs llama.cpp: $name', ({ name, meta }) => {
  let model: LlamaModel;
  let tok: Tokenizer;
  beforeAll(async () => {
    const path = join(dir, `${name.replace(/\W/g, '_')}.gguf`);
    writeFileSync(path, tinyLlamaGguf(meta));
    model = await llama.loadModel({ modelPath: path, vocabOnly: true });
    tok = Tokenizer.fromGguf(meta);
  });
  afterAll(async () => model?.dispose());

  test('ids equal llama.cpp on every corpus string, special tokens parsed and not', () => {
    const bad: string[] = [];
    let compared = 0;
    for (const parseSpecial of [false, true]) {
      for (const s of CORPUS) {
        const want = model.tokenize(s, parseSpecial) as number[];
        const got = tok.encode(s, { addSpecial: false, parseSpecial });
        compared++;
        if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${show(s)} special=${parseSpecial}: llama.cpp [${want}] nibble [${got}]`);
      }
    }
    console.log(`${name}: ${compared} encodings compared (${CORPUS.length} strings x parseSpecial off/on), ${bad.length} differ`);
    expect(bad.slice(0, 10)).toEqual([]);
  });

  test('add_bos / add_eos and special ids as llama.cpp reads them', () => {
    // node-llama-cpp reports a special id only when it is a control token (one that renders only with special).
    const reported = (id: number | null) => (id !== null && tok.tokenBytes(id).length === 0 && tok.tokenBytes(id, { special: true }).length > 0 ? id : null);
    expect(reported(tok.bos)).toBe(model.tokens.bos);
    expect(reported(tok.eos)).toBe(model.tokens.eos);
    expect(reported(tok.eot)).toBe(model.tokens.eot);
    if (!('tokenizer.ggml.token_type' in meta)) expect([tok.bos, tok.eos, tok.unk]).toEqual([1, 2, 0]); // llama.cpp's SPM defaults
    else expect([tok.bos, tok.eos]).toEqual([model.tokens.bos, model.tokens.eos]);
    // ... and asks for BOS / EOS only when it reports that id.
    expect(tok.addBos && reported(tok.bos) !== null).toBe(model.tokens.shouldPrependBosToken);
    expect(tok.addEos && reported(tok.eos) !== null).toBe(model.tokens.shouldAppendEosToken);
    const ids = model.tokenize('Hello world', false) as number[];
    expect(tok.encode('Hello world')).toEqual([...(tok.addBos ? [tok.bos!] : []), ...ids, ...(tok.addEos ? [tok.eos!] : [])]);
    expect(tok.encode('', { addSpecial: true })).toEqual(tok.addBos ? [tok.bos] : []);
    const eog: number[] = [];
    const want: number[] = [];
    for (let id = 0; id < tok.vocabSize; id++) {
      if (tok.isEog(id)) eog.push(id);
      if (model.isEogToken(id as Token)) want.push(id);
    }
    expect(eog).toEqual(want);
    expect(eog.length).toBeGreaterThan(0);
  });

  test('decode equals llama.cpp detokenize: corpus ids, single tokens, random id sequences', () => {
    const bad: string[] = [];
    let compared = 0;
    const check = (ids: number[], what: string) => {
      for (const special of [false, true]) {
        const want = model.detokenize(ids as Token[], special);
        const got = tok.decode(ids, { unparseSpecial: special });
        compared++;
        if (got !== want) bad.push(`${what} [${ids}] special=${special}: llama.cpp ${show(want)} nibble ${show(got)}`);
      }
    };
    for (const s of CORPUS) {
      const ids = tok.encode(s, { addSpecial: false, parseSpecial: true });
      check(ids, show(s));
      if (tok.bos !== null) check([tok.bos, ...ids], `BOS + ${show(s)}`);
    }
    for (let id = 0; id < tok.vocabSize; id++) check([id], `token ${id}`);
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let i = 0; i < 300; i++) check(Array.from({ length: 1 + rand(12) }, () => rand(tok.vocabSize)), 'random');
    console.log(`${name}: ${compared} decodes compared, ${bad.length} differ`);
    expect(bad.slice(0, 10)).toEqual([]);
  });

  test('100 KB of text (repetitive prose, random chunks, one long CJK word): the ids of llama.cpp, with no quadratic blow-up', () => {
    // llama.cpp runs tekken's, gpt-4o's, seed-coder's, deepseek-coder's, viking's and poro's expressions through
    // std::regex / std::wregex, whose recursion overflows the stack on a 33 000-letter word (its process crashes): for
    // those, a 3 300-letter word is compared with llama.cpp, and the long one is checked by nibble alone (its ids
    // decode back to the text, within the time guard).
    const regexRun = ['tekken', 'gpt-4o', 'seed-coder', 'deepseek-coder', 'viking', 'poro-chat', 'bloom', 'bailingmoe', 'hunyuan-dense'].some((p) => name === `bpe ${p}`);
    const texts = {
      prose: longText(100_000),
      random: randomStrings(4000, 99).join(''),
      cjk: '日本語中文東京北京首都'.repeat(3000), // a single 33 000-letter word to the BPE pre-tokenizers
      ...(regexRun ? { cjkShort: '日本語中文東京北京首都'.repeat(300) } : {}),
    };
    tok.encode('warm up', { addSpecial: false });
    for (const [what, text] of Object.entries(texts)) {
      const t0 = performance.now();
      const got = tok.encode(text, { addSpecial: false });
      const ms = performance.now() - t0;
      const kb = new TextEncoder().encode(text).length / 1024;
      console.log(`${name}: ${what} ${kb.toFixed(0)} KB -> ${got.length} tokens in ${ms.toFixed(0)} ms`);
      if (regexRun && what === 'cjk') expect(tok.decode(got)).toBe(text);
      else {
        expect(got).toEqual(model.tokenize(text, false));
        expect(tok.decode(got)).toBe(model.detokenize(got as Token[], false));
      }
      // A guard against quadratic merging (minutes at this size), not a speed target (those live in bench/): the
      // figures are logged; on an idle machine each text takes 7-180 ms.
      expect(ms).toBeLessThan(10_000);
    }
  });
});

// Names llama.cpp gives an expression and flags tested above (gpt-2's, qwen2's, glm4's): the corpus ids and decodes of
// llama.cpp 3.21.1 (a name it did not know would fall back to its default expression and differ).
describe.each(['a.x-4.0', 'mellum', 'gigachat', 'trillion', 'granite-docling', 'hunyuan', 'grok-2', 'chatglm-bpe', 'bailingmoe2', 'llada-moe', 'deepseek-v3'])('pre-tokenizer alias %s vs llama.cpp', (pre) => {
  test('corpus ids and decodes equal llama.cpp', async () => {
    const meta = bpeVocabMetadata(pre);
    const path = join(dir, `alias_${pre.replace(/\W/g, '_')}.gguf`);
    writeFileSync(path, tinyLlamaGguf(meta));
    const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
    try {
      const tok = Tokenizer.fromGguf(meta);
      const bad = CORPUS.filter((s) => {
        const ids = tok.encode(s, { addSpecial: false, parseSpecial: true });
        return JSON.stringify(ids) !== JSON.stringify(model.tokenize(s, true)) || tok.decode(ids) !== model.detokenize(ids as Token[], false);
      });
      expect(bad.slice(0, 5)).toEqual([]);
    } finally {
      await model.dispose();
    }
  });
});

describe('tokenizer pieces and flags', () => {
  test('SPM: the space prefix, U+2581 as a space, byte fallback, and the stripped leading space', () => {
    const tok = Tokenizer.fromGguf(spmVocabMetadata());
    expect(tok.model).toBe('llama');
    const ids = tok.encode('Hello 首', { addSpecial: false });
    expect(tok.tokenText(ids[0]).startsWith('\u2581')).toBe(true);
    const bytes = ids.slice(-3).map((id) => tok.tokenText(id));
    expect(bytes).toEqual(['<0xE9>', '<0xA6>', '<0x96>']); // 首 is not in the vocab: its UTF-8 bytes
    expect(new TextDecoder().decode(tok.tokenBytes(ids[0]))).toBe(' ' + tok.tokenText(ids[0]).slice(1));
    expect(tok.tokenBytes(ids[ids.length - 1])).toEqual(Uint8Array.of(0x96));
    expect(tok.decode(ids)).toBe('Hello 首');
    expect(tok.decode([tok.bos!, ...ids])).toBe(' Hello 首'); // llama.cpp strips the space only from the first token
    expect(tok.decode([tok.bos!, ...ids], { removeSpecial: true })).toBe(' Hello 首');
    expect(tok.tokenBytes(tok.bos!)).toEqual(new Uint8Array(0));
    expect(new TextDecoder().decode(tok.tokenBytes(tok.bos!, { special: true }))).toBe('<s>');
    expect(tok.isEog(tok.eos!)).toBe(true);
    expect(tok.isEog(tok.bos!)).toBe(false);
  });

  test('add_space_prefix false and add_eos true are honoured', () => {
    const meta = { ...spmVocabMetadata(), 'tokenizer.ggml.add_space_prefix': gguf.bool(false), 'tokenizer.ggml.add_eos_token': gguf.bool(true) };
    const tok = Tokenizer.fromGguf(meta);
    const ids = tok.encode('Hello');
    expect(ids[0]).toBe(tok.bos);
    expect(ids[ids.length - 1]).toBe(tok.eos);
    expect(tok.tokenText(ids[1]).startsWith('\u2581')).toBe(false);
    expect(tok.decode(ids, { removeSpecial: true })).toBe('Hello');
  });

  test('BPE: a whole-word vocab entry is one token under llama-bpe only (ignore_merges)', () => {
    const llama3 = Tokenizer.fromGguf(bpeVocabMetadata('llama-bpe'));
    const qwen = Tokenizer.fromGguf(bpeVocabMetadata('qwen2'));
    expect(llama3.model).toBe('gpt2');
    expect(llama3.encode(' zyxwv', { addSpecial: false }).map((id) => llama3.tokenText(id))).toEqual(['Ġzyxwv']);
    expect(qwen.encode(' zyxwv', { addSpecial: false }).length).toBeGreaterThan(1);
    expect(llama3.decode(llama3.encode('<|begin_of_text|>x', { parseSpecial: true }), { removeSpecial: true })).toBe('x');
    expect(new TextDecoder().decode(llama3.tokenBytes(llama3.encode(' zyxwv', { addSpecial: false })[0]))).toBe(' zyxwv');
    expect(llama3.isEog(llama3.eot!)).toBe(true);
  });

  test('pre-tokenizers: digit groups, contractions, spaces before a word', () => {
    const words = (pre: string, s: string) => preTokenize(preTokenizer(pre)!, s);
    expect(words('llama-bpe', 'x 1234567')).toEqual(['x', ' ', '123', '456', '7']);
    expect(words('default', 'x 1234567')).toEqual(['x', ' ', '123', '456', '7']);
    expect(words('qwen2', '1234')).toEqual(['1', '2', '3', '4']);
    expect(words('smollm', ' 1234')).toEqual([' ', '1', '2', '3', '4']);
    expect(words('gpt-2', ' 1234')).toEqual([' 1234']);
    expect(words('llama-bpe', "I'M don't")).toEqual(['I', "'M", ' don', "'t"]);
    expect(words('gpt-2', "I'M don't")).toEqual(['I', "'", 'M', ' don', "'t"]);
    expect(words('llama-bpe', 'a   b\n\n c')).toEqual(['a', '  ', ' b', '\n\n', ' c']);
    expect(words('gpt-2', 'a   b  ')).toEqual(['a', '  ', ' b', '  ']);
    // tekken / gpt-4o: a word splits before a capital after lower case, one digit (tekken) or three (gpt-4o) a
    // piece, one non-letter may lead a word ('/b'), gpt-4o keeps a contraction on its word; É and é count as either case.
    expect(words('tekken', 'HelloWorld 12345 a/b\nÉté')).toEqual(['Hello', 'World', ' ', '1', '2', '3', '4', '5', ' a', '/b', '\n', 'Été']);
    expect(words('gpt-4o', "I'M don't 12345")).toEqual(["I'M", " don't", ' ', '123', '45']);
    expect(words('gpt-4o', 'camelCase')).toEqual(['camel', 'Case']);
  });
});

describe('tokenizer errors name the key at fault', () => {
  const spm = spmVocabMetadata();
  const bad = (meta: Record<string, GgufValue>, pattern: RegExp) => {
    expect(() => Tokenizer.fromGguf(meta)).toThrow(TokenizerError);
    expect(() => Tokenizer.fromGguf(meta)).toThrow(pattern);
  };
  test('missing tokenizer.ggml.tokens', () => {
    const { ['tokenizer.ggml.tokens']: _, ...rest } = spm;
    bad(rest, /'tokenizer\.ggml\.tokens' is missing/);
  });
  test('scores shorter than the tokens', () => {
    bad({ ...spm, 'tokenizer.ggml.scores': gguf.array('f32', [0, 1, 2]) }, /'tokenizer\.ggml\.scores' has 3 entries for \d+ tokens/);
  });
  test('token types of the wrong type', () => {
    bad({ ...spm, 'tokenizer.ggml.token_type': gguf.array('f32', [1]) }, /'tokenizer\.ggml\.token_type' must be an array of i32/);
  });
  test('unknown model name', () => {
    bad({ ...spm, 'tokenizer.ggml.model': gguf.str('t5') }, /'tokenizer\.ggml\.model' = 't5' is not supported/);
  });
  test('missing model name', () => {
    const { ['tokenizer.ggml.model']: _, ...rest } = spm;
    bad(rest, /'tokenizer\.ggml\.model' is missing/);
  });
  test('unknown pre-tokenizer', () => {
    bad(bpeVocabMetadata('no-such-pre'), /'tokenizer\.ggml\.pre' = 'no-such-pre' is not supported/);
  });
  test('gpt2 without merges', () => {
    const { ['tokenizer.ggml.merges']: _, ...rest } = bpeVocabMetadata('qwen2');
    bad(rest, /'tokenizer\.ggml\.merges' is missing/);
  });
  test('a token listed twice', () => {
    bad({ ...spm, 'tokenizer.ggml.tokens': gguf.array('string', ['a', 'b', 'a']), 'tokenizer.ggml.scores': gguf.array('f32', [0, 0, 0]), 'tokenizer.ggml.token_type': gguf.array('i32', [1, 1, 1]) }, /'tokenizer\.ggml\.tokens' holds 'a' twice/);
  });
  test('an id outside the vocabulary', () => {
    const tok = Tokenizer.fromGguf(spm);
    expect(() => tok.decode([tok.vocabSize])).toThrow(/token id \d+ is outside the vocabulary/);
  });
});
