// The language-model target: a GGUF file read the way LanguageModel.load reads it (the header through a range
// source, then llamaConfigFromGguf and Tokenizer.fromGguf), the tokenizer used on a fixed multilingual text and on
// random ids, and the token embedding read lazily and decoded row by row (EmbeddingRows). The GPU upload is not run.
import { openGguf } from '../src/io/gguf.js';
import { EmbeddingRows } from '../src/lm/weights.js';
import { llamaConfigFromGguf, ModelConfigError, type LlamaConfig } from '../src/nn/llama_config.js';
import { Tokenizer, TokenizerError } from '../src/tokenizer/index.js';
import { assert, InvariantError } from './invariant.js';
import type { Rng } from './rng.js';

/** Latin with accents, German, Cyrillic, Arabic, CJK, emoji, whitespace runs, digits and every seed's special texts. */
export const LM_TEXT =
  "Hello world! Où est la bibliothèque ? Über 12345 Bücher, don't they'll. 日本語のテキスト、東京。русский текст العربية 😀👍🏽👨‍👩‍👧 \t\n\n   x" +
  ' <s>a</s><unk> <|im_start|>user\nhi<|im_end|><|eot_id|><|begin_of_text|> <tool>[CTRL]<|user|> the the ab';

/** `f()` must throw `C`; anything else (no error, another class) is a broken promise. */
function throwsOnly(C: new (...a: never[]) => Error, what: string, f: () => unknown): void {
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  if (err === null) throw new InvariantError(`${what} was accepted; expected ${C.name}`);
  if (!(err instanceof C)) throw err; // a crash, classified by the engine
}

/** Encodes the text (with and without special-token parsing), decodes it back and decodes random ids. */
function useTokenizer(tok: Tokenizer, r: Rng): number[] {
  const V = tok.vocabSize;
  let ids: number[] = [];
  for (const parseSpecial of [false, true]) {
    ids = tok.encode(LM_TEXT, { parseSpecial });
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= V);
    assert(bad === undefined, `encode gave id ${bad}, outside the vocabulary of ${V}`);
    assert(typeof tok.decode(ids, { removeSpecial: parseSpecial, unparseSpecial: parseSpecial }) === 'string', 'decode gave no string');
  }
  tok.encode('', { addSpecial: r.chance(0.5) });
  const random = Array.from({ length: 24 }, () => r.int(V));
  tok.decode(random);
  tok.decode(random, { unparseSpecial: true, removeSpecial: true });
  for (const id of random.slice(0, 4)) tok.isEog(id), tok.tokenText(id);
  for (const id of [-1, V, 0.5, NaN]) throwsOnly(TokenizerError, `decode of id ${id} (vocabulary ${V})`, () => tok.decode([id]));
  return ids;
}

/** A few rows of the token embedding, read lazily; an id outside the vocabulary must be a RangeError. */
async function embeddingRows(reader: Awaited<ReturnType<typeof openGguf>>, c: LlamaConfig, ids: number[]): Promise<void> {
  const t = await reader.tensor('token_embd.weight');
  const e = new EmbeddingRows(t.name, t.type, t.data, c.vocab, c.dim);
  const want = [0, c.vocab - 1, ...ids.slice(0, 4)];
  assert(e.rows(want).length === want.length * c.dim, `embedding rows of ${want.length} ids: wrong length`);
  for (const id of [c.vocab, -1]) throwsOnly(RangeError, `embedding row of id ${id} (vocabulary ${c.vocab})`, () => e.rows([id]));
}

/** Runs `b` through the language-model readers; resolves when accepted, throws what they threw. */
export async function lmHeader(b: Uint8Array, r: Rng): Promise<void> {
  const src = { size: b.length, slice: (s: number, e: number) => ({ arrayBuffer: async () => b.slice(s, e).buffer as ArrayBuffer }) };
  const reader = await openGguf(src, 'fuzz.gguf', r.pick([64, 4096, 1 << 20]));
  const { metadata, tensors } = reader.header;
  let config: LlamaConfig | null = null;
  let refused: ModelConfigError | null = null;
  try {
    config = llamaConfigFromGguf(metadata, tensors);
  } catch (e) {
    if (!(e instanceof ModelConfigError)) throw e;
    refused = e;
  }
  // The tokenizer is used even when the model was refused: it is public on its own (and more of it gets fuzzed).
  const tok = Tokenizer.fromGguf(metadata);
  const ids = useTokenizer(tok, r);
  if (refused || !config) throw refused;
  assert(tok.vocabSize === config.vocab, `the tokenizer has ${tok.vocabSize} tokens, token_embd.weight ${config.vocab} rows`);
  await embeddingRows(reader, config, ids);
}
