// The built CLI's language-model commands from the outside (needs `npm run build`): nibble generate on the bundled
// model, generate --chat and nibble chat (a conversation from stdin) on a model with a template, bad model files and flags (exit 2, one line naming the problem), nibble tokenize and nibble eval against
// the library (the same model, the same adapter, in this process).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import { readSafetensorsFile } from '../../runtime/safetensors.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { LanguageModel } from '../../src/lm/model.js';
import { synthLlamaGguf } from '../../src/lm/synth.js';
import { gguf } from '../../src/io/gguf.js';
import { byteLevelVocab, writeLlamaGguf } from '../../src/nn/llama_weights.js';
import { loadHfLlamaDir } from '../../runtime/hf.js';
import { writeHfLlamaDir } from './hf_fixture.js';

const nibble = (args: string[]) => spawnSync(process.execPath, ['bin/nibble.mjs', ...args], { encoding: 'utf8', timeout: 300_000 });
const BUNDLED = 'demo/public/models/shakespeare-q4_0.gguf'; // what `nibble generate` runs without a model
const dir = mkdtempSync(join(tmpdir(), 'nibble-lm-cli-'));
const model = join(dir, 'tiny.gguf');
let ctx: GpuContext;

beforeAll(async () => {
  writeFileSync(model, synthLlamaGguf({ dim: 64, ffn: 128, layers: 1, heads: 4, kvHeads: 2, ctx: 64, weightType: 'Q8_0', seed: 12 }));
  ctx = await createNodeContext();
});
afterAll(() => {
  ctx?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function withLm<R>(path: string, fn: (lm: LanguageModel) => Promise<R>, ctxLen?: number): Promise<R> {
  const lm = await LanguageModel.load(ctx, path, { ctxLen });
  try {
    return await fn(lm);
  } finally {
    lm.dispose();
  }
}

/** Exit 2 and exactly one line on stderr matching `re`. */
function usageError(r: ReturnType<typeof nibble>, re: RegExp): void {
  expect(r.status, r.stdout + r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(re);
}

describe('nibble generate', () => {
  it('--json on the bundled model: text, ids and figures; the ids are the library\'s greedy ones', async () => {
    const r = nibble(['generate', '--prompt', 'Once upon', '--max-tokens', '4', '--temperature', '0', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const k of ['text', 'ids', 'prompt_tokens', 'generated_tokens', 'prompt_tokens_per_second', 'decode_tokens_per_second', 'time_to_first_token_ms', 'gpu_bytes', 'stop_reason']) expect(j, k).toHaveProperty(k);
    expect(j.ids.length).toBe(j.generated_tokens);
    expect(j.ids.length).toBeLessThanOrEqual(4);
    expect(j.gpu_bytes).toBeGreaterThan(0);
    await withLm(BUNDLED, async (lm) => {
      let text = '';
      for await (const piece of lm.generate('Once upon', { temperature: 0, maxTokens: 4 })) text += piece;
      expect(j.ids).toEqual(lm.lastStats!.ids);
      expect(j.text).toBe(text);
    });
  });

  it('a missing file, a directory that is no checkpoint, an empty file, a non-GGUF file, an unknown flag: exit 2, one line', () => {
    const empty = join(dir, 'empty.gguf');
    writeFileSync(empty, '');
    const text = join(dir, 'notes.gguf');
    writeFileSync(text, 'these are not the weights you are looking for\n'.repeat(4));
    const sub = join(dir, 'folder.gguf');
    mkdirSync(sub, { recursive: true });
    usageError(nibble(['generate', join(dir, 'nope.gguf'), '--prompt', 'x']), /generate: cannot read .*nope\.gguf: ENOENT/);
    usageError(nibble(['generate', sub, '--prompt', 'x']), /generate: .*folder\.gguf: config\.json is missing \(a Hugging Face Llama checkpoint has/);
    usageError(nibble(['generate', empty, '--prompt', 'x']), /generate: .*empty\.gguf is empty/);
    usageError(nibble(['generate', text, '--prompt', 'x']), /generate: .*notes\.gguf: .*not a GGUF file: magic "thes"/);
    usageError(nibble(['generate', model, '--prompt', 'x', '--bogus']), /generate: Unknown option '--bogus'/);
    usageError(nibble(['generate', model, '--prompt', 'x', '--presence-penalty', 'lots']), /generate: --presence-penalty lots: must be a finite number/);
  });
});

describe('nibble generate --chat', () => {
  it('renders the file\'s template; --chat-template-kwargs sets its variables (Qwen3\'s enable_thinking); bad kwargs are refused', () => {
    // A byte-level model whose template closes an empty think block when enable_thinking is false, as Qwen3's does.
    const tpl = "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% if enable_thinking is defined and enable_thinking is false %}<think></think>{% endif %}{% endif %}";
    const chatModel = join(dir, 'chat.gguf');
    writeFileSync(chatModel, synthLlamaGguf({ dim: 64, ffn: 128, layers: 1, heads: 4, ctx: 64, seed: 13, vocab: { ...byteLevelVocab(), 'tokenizer.chat_template': gguf.str(tpl) } }));
    const run = (extra: string[]) => {
      const r = nibble(['generate', chatModel, '--prompt', 'Hi', '--chat', '--max-tokens', '1', '--temperature', '0', '--json', ...extra]);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout).prompt_tokens as number;
    };
    const plain = run([]);
    // '<user>Hi\n<assistant>': 20 bytes, one token each with the byte-level vocabulary (no BOS: the template's text is the prompt).
    expect(plain).toBe('<user>Hi\n<assistant>'.length);
    expect(run(['--chat-template-kwargs', '{"enable_thinking": false}'])).toBe(plain + '<think></think>'.length);
    usageError(nibble(['generate', chatModel, '--prompt', 'x', '--chat', '--chat-template-kwargs', '{enable_thinking}']), /generate: --chat-template-kwargs is not JSON: /);
    usageError(nibble(['generate', chatModel, '--prompt', 'x', '--chat', '--chat-template-kwargs', '[1]']), /generate: --chat-template-kwargs must be a JSON object, got \[1\]/);
    usageError(nibble(['generate', chatModel, '--prompt', 'x', '--chat-template-kwargs', '{}']), /generate: --chat-template-kwargs needs --chat/);
    usageError(nibble(['generate', chatModel, '--prompt', 'x', '--chat', '--chat-template-kwargs', '{"messages": 1}', '--json']), /generate: chat template kwarg 'messages' is set by nibble/);
    usageError(nibble(['generate', model, '--prompt', 'x', '--chat', '--json']), /generate: .*tiny\.gguf has no tokenizer\.chat_template/);
  });
});

describe('nibble chat', () => {
  it('one user turn per input line, earlier turns reused from the KV cache, /reset; a model without a template is refused', () => {
    const tpl = "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";
    const chatModel = join(dir, 'chat-conv.gguf');
    writeFileSync(chatModel, synthLlamaGguf({ dim: 64, ffn: 128, layers: 1, heads: 4, ctx: 256, seed: 13, vocab: { ...byteLevelVocab(), 'tokenizer.chat_template': gguf.str(tpl) } }));
    const r = spawnSync(process.execPath, ['bin/nibble.mjs', 'chat', chatModel, '--json', '--max-tokens', '4', '--temperature', '0', '--system', 'Be kind.'], { encoding: 'utf8', timeout: 300_000, input: 'Hi\n\nHow are you?\n/reset\nYo\n' });
    expect(r.status, r.stderr).toBe(0);
    const turns = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(turns.map((t) => t.turn)).toEqual([1, 2, 3]);
    // Turn 1: '<system>Be kind.\n<user>Hi\n<assistant>', one token a byte, nothing cached yet.
    expect([turns[0].prompt_tokens, turns[0].cached_tokens]).toEqual([37, 0]);
    // Turn 2 renders turn 1 again before its own text: at least turn 1's prompt comes from the cache.
    expect(turns[1].cached_tokens).toBeGreaterThanOrEqual(37);
    expect(turns[1].prompt_tokens).toBeGreaterThan(37 + 'How are you?'.length);
    // After /reset the conversation is the system message and 'Yo': the cache still holds '<system>Be kind.\n<user>'.
    expect([turns[2].prompt_tokens, turns[2].cached_tokens]).toEqual([37, '<system>Be kind.\n<user>'.length]);
    for (const t of turns) expect(t.generated_tokens).toBe(4);
    usageError(nibble(['chat', model, '--json']), /chat: .*tiny\.gguf has no tokenizer\.chat_template/);
    usageError(nibble(['chat', model, '--top-p', '2']), /chat: --top-p 2: must be in \(0, 1\]/);
    usageError(nibble(['chat']), /chat: give one model file with a chat template \(got 0; the bundled Shakespeare model has none\)/);
  });
});

describe('a Hugging Face directory as the model', () => {
  it('generate, tokenize and eval take it (Llama 2-style tokenizer.model, Llama 3-style tokenizer.json, a Qwen2) as the GGUF written from it', async () => {
    for (const kind of ['spm', 'bpe', 'qwen2'] as const) {
      const hf = writeHfLlamaDir(join(dir, `hf-${kind}`), 5, kind === 'spm' ? 'spm' : 'bpe', kind === 'qwen2' ? 'qwen2' : 'llama');
      const gguf = join(dir, `hf-${kind}.gguf`);
      const { model: m, metadata } = loadHfLlamaDir(hf);
      expect([m.config.arch, m.config.qkvBias, m.config.tied], kind).toEqual(kind === 'qwen2' ? ['qwen2', true, true] : ['llama', false, false]);
      writeFileSync(gguf, writeLlamaGguf(m.config, m.weights, metadata));
      const g = nibble(['generate', hf, '--prompt', 'Hello world', '--max-tokens', '3', '--temperature', '0', '--json']);
      expect(g.status, g.stderr).toBe(0);
      const t = nibble(['tokenize', hf, '--text', 'Hello world', '--json']);
      expect(t.status, t.stderr).toBe(0);
      const e = nibble(['eval', hf, '--tokens', '1,2,3,4,5,6,7,8', '--ctx', '8', '--json']);
      expect(e.status, e.stderr).toBe(0);
      await withLm(gguf, async (lm) => {
        expect(JSON.parse(t.stdout).ids, kind).toEqual(lm.tokenize('Hello world'));
        if (kind === 'spm') expect(JSON.parse(t.stdout).ids).toEqual([1, 423, 278, 947, 431, 319]); // SentencePiece's, bos first
        for await (const _ of lm.generate('Hello world', { temperature: 0, maxTokens: 3 }));
        expect(JSON.parse(g.stdout).ids, kind).toEqual(lm.lastStats!.ids);
      });
      expect(Number.isFinite(JSON.parse(e.stdout).perplexity), e.stdout).toBe(true);
    }
    rmSync(join(dir, 'hf-spm', 'tokenizer.model'));
    usageError(nibble(['tokenize', join(dir, 'hf-spm'), '--text', 'x']), /^nibble: tokenize: [^:]*hf-spm: tokenizer\.json is missing/);
  });
});

describe('nibble tokenize', () => {
  it('--json ids equal lm.tokenize', async () => {
    const text = 'Héllo  wörld, 日本語 😀\nbye';
    const r = nibble(['tokenize', model, '--text', text, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    await withLm(model, async (lm) => {
      expect(j.ids).toEqual(lm.tokenize(text));
      expect(j.pieces).toHaveLength(j.ids.length);
    });
  });
});

describe('nibble eval', () => {
  const ids = Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 3 + ((i * 37) % 256)));
  it('--logits writes logits F32 [T, V] and tokens I32 [T] equal to the library\'s; --decode gives the same perplexity', async () => {
    const out = join(dir, 'logits.safetensors');
    const r = nibble(['eval', model, '--tokens', ids.join(','), '--ctx', '16', '--logits', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.windows).toBe(2);
    const st = readSafetensorsFile(out).tensors;
    expect(st.tokens.dtype).toBe('I32');
    expect(st.tokens.shape).toEqual([16]);
    expect([...st.tokens.data]).toEqual(ids.slice(0, 16));
    expect(st.logits.dtype).toBe('F32');
    await withLm(
      model,
      async (lm) => {
        expect(st.logits.shape).toEqual([16, lm.config.vocab]);
        const lib = await lm.logits(ids.slice(0, 16));
        let d = 0;
        for (let i = 0; i < lib.length; i++) d = Math.max(d, Math.abs(lib[i] - (st.logits.data as Float32Array)[i]));
        expect(d).toBeLessThanOrEqual(1e-6);
      },
      16,
    );
    const dec = nibble(['eval', model, '--tokens', ids.join(','), '--ctx', '16', '--decode', '--json']);
    expect(dec.status, dec.stderr).toBe(0);
    const jd = JSON.parse(dec.stdout);
    expect(jd.mode).toBe('decode');
    expect(Math.abs(jd.perplexity - j.perplexity)).toBeLessThanOrEqual(1e-4);
  });
});
