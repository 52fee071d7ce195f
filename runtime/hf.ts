// A Hugging Face Llama checkpoint directory, read from disk: config.json, the weights (model.safetensors, or the
// shards model.safetensors.index.json lists), the tokenizer (SentencePiece's tokenizer.model where there is one, as
// llama.cpp's converter prefers it: Llama 2, Mistral, TinyLlama; else tokenizer.json, byte-level BPE (Llama 3,
// Qwen2, SmolLM) or SentencePiece-style) and, when present, tokenizer_config.json. The weights come out GGUF-named
// and in GGUF's rope layout (src/nn/hf_llama.ts), the tokenizer as GGUF metadata (src/tokenizer/sentencepiece.ts,
// src/tokenizer/hf.ts, src/tokenizer/hf_spm.ts), so every nibble command that takes a GGUF model can take the directory.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gguf, type GgufValue } from '../src/io/gguf.js';
import { parseSafetensors, type Safetensors } from '../src/io/safetensors.js';
import { importHfLlama } from '../src/nn/hf_llama.js';
import type { LlamaConfig } from '../src/nn/llama_config.js';
import type { LlamaWeights } from '../src/nn/llama_train.js';
import { hfTokenizerMetadata } from '../src/tokenizer/hf.js';
import { parseSentencePieceModel, spmTokenizerMetadata } from '../src/tokenizer/sentencepiece.js';

export class HfDirError extends Error {}

/** An error's message prefixed with the path it concerns, unless it already starts with it. */
export function atPath(path: string, e: unknown): string {
  const m = (e as Error).message;
  return m.startsWith(path) ? m : `${path}: ${m}`;
}

/** Whether the directory has the file; a required one that is missing is refused by name. */
function present(dir: string, name: string, required: boolean): boolean {
  if (existsSync(join(dir, name))) return true;
  if (required) throw new HfDirError(`${dir}: ${name} is missing (a Hugging Face Llama checkpoint has config.json, model.safetensors and tokenizer.json or tokenizer.model)`);
  return false;
}

function json(dir: string, name: string, required: boolean): unknown {
  const p = join(dir, name);
  if (!present(dir, name, required)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new HfDirError(`${p}: not valid JSON (${(e as Error).message})`);
  }
}

/** The weights of the directory: model.safetensors, or every shard of model.safetensors.index.json merged. */
function weights(dir: string): { st: Safetensors; source: string } {
  const one = join(dir, 'model.safetensors');
  if (existsSync(one)) return { st: parseSafetensors(readFileSync(one), one), source: one };
  const index = json(dir, 'model.safetensors.index.json', false) as { weight_map?: Record<string, string> } | undefined;
  if (!index) throw new HfDirError(`${dir}: neither model.safetensors nor model.safetensors.index.json is there`);
  if (!index.weight_map || typeof index.weight_map !== 'object') throw new HfDirError(`${dir}/model.safetensors.index.json: 'weight_map' is missing`);
  const st: Safetensors = { tensors: {}, metadata: {} };
  for (const shard of new Set(Object.values(index.weight_map))) {
    const p = join(dir, shard);
    if (!existsSync(p)) throw new HfDirError(`${dir}: shard ${shard} (named by model.safetensors.index.json) is missing`);
    Object.assign(st.tensors, parseSafetensors(readFileSync(p), p).tensors);
  }
  return { st, source: join(dir, 'model.safetensors.index.json') };
}

/**
 * The GGUF tokenizer metadata of a Hugging Face directory: tokenizer.model where there is one, else tokenizer.json,
 * with tokenizer_config.json; padded to `vocab` (the model's embedding rows; default: config.json's vocab_size).
 */
export function loadHfTokenizer(dir: string, vocab = configVocab(dir)): Record<string, GgufValue> {
  const spm = join(dir, 'tokenizer.model');
  const tokenizer = present(dir, 'tokenizer.model', false) ? null : json(dir, 'tokenizer.json', true);
  const tokenizerConfig = json(dir, 'tokenizer_config.json', false) ?? {};
  return tokenizer === null
    ? spmTokenizerMetadata(parseSentencePieceModel(readFileSync(spm), spm), tokenizerConfig, spm, vocab)
    : hfTokenizerMetadata(tokenizer, tokenizerConfig, join(dir, 'tokenizer.json'), vocab);
}

/** config.json's vocab_size, where the directory has one. */
function configVocab(dir: string): number | undefined {
  const v = (json(dir, 'config.json', false) as { vocab_size?: unknown } | undefined)?.vocab_size;
  return Number.isInteger(v) ? (v as number) : undefined;
}

/** Model (config and GGUF-named f32 weights) and GGUF tokenizer metadata of a Hugging Face Llama directory. */
export function loadHfLlamaDir(dir: string): { model: { config: LlamaConfig; weights: LlamaWeights }; metadata: Record<string, GgufValue> } {
  const config = json(dir, 'config.json', true);
  if (!present(dir, 'tokenizer.model', false)) present(dir, 'tokenizer.json', true); // refused before the weights are read
  const { st, source } = weights(dir);
  const model = importHfLlama(config, st, source);
  const metadata = loadHfTokenizer(dir, model.config.vocab);
  const name = (config as { _name_or_path?: unknown })._name_or_path;
  return { model, metadata: { ...metadata, ...(typeof name === 'string' && name ? { 'general.name': gguf.str(name) } : {}) } };
}
