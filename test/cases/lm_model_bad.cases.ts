// Bad input to LanguageModel, in Node and in Chromium: each a clear error naming the key, tensor or limit. Errors
// the header shows are thrown before any GPU buffer is created; errors found while reading a tensor (lazily, from
// a Blob) leave no buffer alive; a generation that fails part-way leaves the model usable and disposable, and 20
// load / generate / dispose cycles hold the same GPU bytes each time and leave nothing behind.
import type { GpuContext } from '../../src/gpu/context.js';
import { encodeGgufFile, gguf, parseGgufFile, type GgufSource, type GgufTensorIn, type GgufValue } from '../../src/io/gguf.js';
import { LanguageModel } from '../../src/lm/model.js';
import { GGUF_ARCHS } from '../../src/nn/llama_config.js';
import { synthLlamaGguf, type SynthOptions } from '../../src/lm/synth.js';
import { loadBytes, tracking, type BufferTracker } from './lm_helpers.js';
import { assert, expectError, type GpuCase } from './types.js';

const SMALL: SynthOptions = { dim: 64, ffn: 128, layers: 1, heads: 4, ctx: 64, weightType: 'Q8_0', embedType: 'Q8_0', seed: 4 };
let small: Uint8Array | null = null;
const smallBytes = () => (small ??= synthLlamaGguf(SMALL));

/** The small model re-encoded after `edit` changed its metadata or tensors. */
function edited(edit: (meta: Record<string, GgufValue>, tensors: GgufTensorIn[]) => void, base: Uint8Array = smallBytes()): Uint8Array {
  const f = parseGgufFile(base);
  const meta = { ...f.metadata };
  const tensors: GgufTensorIn[] = f.tensors.map((t) => ({ name: t.name, type: t.type, shape: t.shape, data: t.data.slice() }));
  edit(meta, tensors);
  return encodeGgufFile(tensors, meta);
}

const tensor = (ts: GgufTensorIn[], name: string) => ts.find((t) => t.name === name)!;

/** The load fails with a message matching every pattern, before any GPU buffer is created. */
function refusedCase(what: string, bytes: () => Uint8Array, patterns: RegExp[], o: { ctxLen?: number; memoryBudget?: number } = {}): GpuCase {
  return {
    name: `lm model bad input: ${what}`,
    run: (ctx) =>
      tracking(ctx, async (tr) => {
        const msg = await expectError(what, () => loadBytes(ctx, bytes(), o));
        for (const p of patterns) assert(p.test(msg), `message ${JSON.stringify(msg)} does not match ${p}`);
        assert(tr.created === 0, `${tr.created} GPU buffers were created before the error`);
        return msg;
      }),
  };
}

/** The load fails with a message matching every pattern, and every buffer it created is destroyed. */
async function refusedLazily(ctx: GpuContext, tr: BufferTracker, src: Blob | GgufSource, patterns: RegExp[]): Promise<string> {
  const msg = await expectError('load', () => LanguageModel.load(ctx, src));
  for (const p of patterns) assert(p.test(msg), `message ${JSON.stringify(msg)} does not match ${p}`);
  assert(tr.liveBytes === 0, `${tr.liveBytes} bytes of GPU buffers left alive after the failed load (${tr.created} created)`);
  return `${msg} (${tr.created} buffers created, all destroyed)`;
}

function nanD(bytes: Uint8Array, block: number): void {
  bytes[34 * block] = 0x00; // f16 0x7E00: NaN
  bytes[34 * block + 1] = 0x7e;
}

export const CASES: GpuCase[] = [
  refusedCase('unsupported architecture', () => edited((m) => (m['general.architecture'] = gguf.str('mamba'))), [/'general\.architecture' is 'mamba'/, new RegExp(`supported: ${GGUF_ARCHS.join(', ')}\\)`)]),
  refusedCase(
    'unsupported tensor type TQ2_0',
    () => {
      const base = synthLlamaGguf({ dim: 256, ffn: 256, layers: 1, heads: 4, ctx: 64, weightType: 'Q8_0', seed: 4 });
      return edited((_, ts) => {
        const t = tensor(ts, 'blk.0.attn_q.weight');
        t.type = 'TQ2_0';
        t.data = new Uint8Array((256 * 256 * 66) / 256);
      }, base);
    },
    [/tensor 'blk\.0\.attn_q\.weight' has type TQ2_0/, /supported: F32, F16, BF16, Q4_0/],
  ),
  refusedCase('missing hyperparameter', () => edited((m) => delete m['llama.embedding_length']), [/metadata key 'llama\.embedding_length' is missing/]),
  refusedCase('inconsistent hyperparameters (head_count_kv)', () => edited((m) => (m['llama.attention.head_count_kv'] = gguf.u32(3))), [/'llama\.attention\.head_count' 4 is not a multiple of 'llama\.attention\.head_count_kv' 3/]),
  refusedCase('inconsistent hyperparameters (embedding_length vs token_embd.weight)', () => edited((m) => (m['llama.embedding_length'] = gguf.u32(128))), [/tensor 'token_embd\.weight' has shape \[259, 64\], expected \[vocab, 128\]/]),
  refusedCase('a tokenizer it cannot build', () => edited((m) => (m['tokenizer.ggml.model'] = gguf.str('bert'))), [/'tokenizer\.ggml\.model' = 'bert' is not supported/]),
  refusedCase('memory budget exceeded', smallBytes, [/needs about [\d.]+ KiB of GPU memory/, /the budget is 1000 B/], { memoryBudget: 1000 }),
  {
    name: 'lm model bad input: a prompt longer than the context',
    run: async (ctx) => {
      const lm = await loadBytes(ctx, smallBytes(), { ctxLen: 16, chunk: 8 });
      try {
        const long = Array.from({ length: 20 }, (_, i) => 3 + 65 + i);
        return await tracking(ctx, async (tr) => {
          const a = await expectError('generate', () => lm.generate(long, { maxTokens: 4 }).next());
          assert(/the prompt has 20 tokens; the context holds 16/.test(a), `message ${JSON.stringify(a)}`);
          const b = await expectError('logits', () => lm.logits(long));
          assert(/20 tokens exceed the context of 16/.test(b), `message ${JSON.stringify(b)}`);
          assert(tr.created === 0, `${tr.created} GPU buffers were created before the error`);
          return `${a}; ${b}`;
        });
      } finally {
        lm.dispose();
      }
    },
  },
  {
    name: 'lm model bad input: tensor bytes cut short, read lazily, fail on that tensor with its name and offset',
    run: (ctx) =>
      tracking(ctx, async (tr) => {
        const bytes = smallBytes();
        const info = parseGgufFile(bytes).tensors.find((t) => t.name === 'blk.0.ffn_down.weight')!;
        const cut = info.fileOffset + 100;
        // The size the header promises, but the bytes stop at `cut` (a file truncated after it was opened).
        const blob = new Blob([bytes.subarray(0, cut) as BlobPart]);
        const src: GgufSource = { size: bytes.length, slice: (a, b) => blob.slice(a, b) };
        return refusedLazily(ctx, tr, src, [new RegExp(`tensor 'blk\\.0\\.ffn_down\\.weight': read 100 of its ${info.data.length} bytes at file offset ${info.fileOffset}`)]);
      }),
  },
  {
    name: 'lm model bad input: a Q8_0 block whose d is NaN fails on that tensor with its name and offset',
    run: (ctx) =>
      tracking(ctx, async (tr) => {
        const bytes = edited((_, ts) => nanD(tensor(ts, 'blk.0.attn_v.weight').data as Uint8Array, 5));
        const at = parseGgufFile(bytes).tensors.find((t) => t.name === 'blk.0.attn_v.weight')!.fileOffset;
        return refusedLazily(ctx, tr, new Blob([bytes as BlobPart]), [/tensor 'blk\.0\.attn_v\.weight': Q8_0 block 5 \(row 2, k 32, byte 170\) has d = NaN/, new RegExp(`file offset ${at}\\)`)]);
      }),
  },
  {
    name: 'lm model bad input: a generation failing part-way leaves the model usable, and dispose frees it',
    run: (ctx) =>
      tracking(ctx, async (tr) => {
        // Token 'A' (byte token 3 + 65) has a NaN scale in its embedding row: any prompt holding it fails.
        const bad = 3 + 65;
        const bytes = edited((_, ts) => nanD(tensor(ts, 'token_embd.weight').data as Uint8Array, bad * 2));
        const lm = await loadBytes(ctx, bytes, { ctxLen: 64, chunk: 8 });
        let msg: string;
        try {
          msg = await expectError('generate', async () => {
            for await (const _ of lm.generate([1, 3 + 66, bad], { temperature: 0, maxTokens: 4 })) void _;
          });
          assert(/NaN/.test(msg), `message ${JSON.stringify(msg)} does not say NaN`);
          let n = 0;
          for await (const _ of lm.generate([1, 3 + 66], { temperature: 0, repeatPenalty: 1, maxTokens: 3 })) n += _.length;
          assert(lm.lastStats!.generatedTokens > 0, `the generation after the failure gave ${lm.lastStats!.generatedTokens} tokens`);
        } finally {
          lm.dispose();
        }
        assert(tr.liveBytes === 0, `${tr.liveBytes} bytes left alive after dispose: ${tr.liveList()}`);
        return msg;
      }),
  },
  {
    name: 'lm model 20 load / generate / dispose cycles: the same GPU bytes each time, nothing left alive',
    run: (ctx) =>
      tracking(ctx, async (tr) => {
        const held: number[] = [];
        for (let i = 0; i < 20; i++) {
          const lm = await loadBytes(ctx, smallBytes(), { ctxLen: 32, chunk: 8 });
          for await (const _ of lm.generate([1, 3 + 72], { temperature: 0, repeatPenalty: 1, maxTokens: 2 })) void _;
          held.push(lm.gpuBytes);
          lm.dispose();
          lm.dispose(); // twice is harmless
          assert(tr.liveBytes === 0, `cycle ${i}: ${tr.liveBytes} bytes left alive after dispose`);
          if (i === 0) {
            const msg = await expectError('a disposed model', () => lm.logits([1]));
            assert(/disposed/.test(msg), `after dispose: ${msg}`);
          }
        }
        assert(held.every((b) => b === held[0]), `GPU bytes held differ between cycles: ${held.join(', ')}`);
        return `${held[0]} bytes held in each of 20 cycles; ${tr.created} buffers created, none left alive`;
      }),
  },
];
