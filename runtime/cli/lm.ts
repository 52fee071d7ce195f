// Language-model commands: nibble generate, nibble eval, nibble tokenize. Each loads a Llama-family GGUF file
// (a path, or an http(s) URL read by ranges; generate defaults to the bundled model) with a progress bar.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GgufFileError } from '../../src/io/gguf.js';
import { SafetensorsError } from '../../src/io/safetensors.js';
import { writeLlamaGguf } from '../../src/nn/llama_weights.js';
import { atPath, HfDirError, loadHfLlamaDir } from '../hf.js';
import { LanguageModel, type GenerationStats } from '../../src/lm/model.js';
import { ChatTemplateError } from '../../src/lm/chat.js';
import { ModelConfigError } from '../../src/nn/llama_config.js';
import { TokenizerError } from '../../src/tokenizer/index.js';
import { SamplingError } from '../../src/lm/sampling.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { createNodeContext } from '../node.js';
import { ProgressBar } from '../progress.js';
import { UsageError } from './command.js';

/** A model shipped with nibble in demo/public/models (see its README; default: the one `nibble generate` runs). */
export function bundledModelPath(name = 'nibble-tiny.gguf'): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const p = join(here, up, 'demo/public/models', name);
    if (existsSync(p)) return p;
  }
  throw new UsageError(`the bundled model demo/public/models/${name} is missing (demo/public/models/README.md says how it is made)`);
}

/** A path as given, else relative to the nibble checkout (the bundled config and data). */
export function findFile(p: string): string {
  if (existsSync(p)) return p;
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const q = join(here, up, p);
    if (existsSync(q)) return q;
  }
  throw new UsageError(`lm: ${p} does not exist`);
}

/** Loads a model for a command: bad files and hyperparameters exit 2 with the message, nothing else printed. */
export async function loadForCli(cmd: string, path: string, o: { ctxLen?: number; quiet?: boolean } = {}): Promise<{ ctx: GpuContext; lm: LanguageModel }> {
  let source: string | Blob = path;
  if (!/^https?:\/\//i.test(path)) {
    let st;
    try {
      st = statSync(path);
    } catch (e) {
      throw new UsageError(`${cmd}: cannot read ${path}: ${(e as Error).message}`);
    }
    if (st.isDirectory()) source = hfDirAsGguf(cmd, path);
    else if (!st.isFile()) throw new UsageError(`${cmd}: ${path} is not a file`);
    else if (st.size === 0) throw new UsageError(`${cmd}: ${path} is empty`);
  }
  const ctx = await createNodeContext();
  const bar = new ProgressBar();
  try {
    const lm = await LanguageModel.load(ctx, source, { ctxLen: o.ctxLen, onProgress: o.quiet ? undefined : (p) => bar.update({ step: p.loaded, total: p.total, label: 'loading' }) });
    return { ctx, lm };
  } catch (e) {
    ctx.destroy();
    if (e instanceof GgufFileError || e instanceof ModelConfigError || e instanceof TokenizerError || e instanceof RangeError) throw new UsageError(`${cmd}: ${path}: ${(e as Error).message}`);
    throw e;
  }
}

/**
 * A Hugging Face Llama directory (runtime/hf.ts) as an F32 GGUF in memory, its tokenizer included: what the engine
 * loads. Errors name the directory and the file, tensor or key at fault.
 */
function hfDirAsGguf(cmd: string, dir: string): Blob {
  try {
    const { model, metadata } = loadHfLlamaDir(dir);
    return new Blob([writeLlamaGguf(model.config, model.weights, metadata) as BlobPart]);
  } catch (e) {
    if (e instanceof HfDirError || e instanceof ModelConfigError || e instanceof TokenizerError || e instanceof SafetensorsError) throw new UsageError(`${cmd}: ${atPath(dir, e)}`);
    throw e;
  }
}

/** The tokenizer's keys of a GGUF header: in src/ (the demo's Train tab writes them too), re-exported for the CLI. */
export { tokenizerMetadata } from '../../src/nn/llama_weights.js';

export function numberOpt(cmd: string, name: string, v: string | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${cmd}: --${name} ${v}: ${what}`);
  return n;
}

/**
 * Runs a generation to its end: its text (each piece also written to stdout when `echo`) and its stats; a user's
 * error (sampling, prompt, tokenizer, chat template) exits 2 naming the command.
 */
export async function streamText(cmd: string, start: () => AsyncGenerator<string, GenerationStats>, echo: boolean): Promise<{ text: string; stats: GenerationStats }> {
  let text = '';
  try {
    const gen = start();
    for (;;) {
      const r = await gen.next();
      if (r.done) return { text, stats: r.value };
      text += r.value;
      if (echo) process.stdout.write(r.value);
    }
  } catch (e) {
    userErrors(cmd, e);
  }
}

export function userErrors(cmd: string, e: unknown): never {
  if (e instanceof SamplingError || e instanceof RangeError || e instanceof TokenizerError || e instanceof ChatTemplateError) throw new UsageError(`${cmd}: ${(e as Error).message}`);
  throw e;
}
