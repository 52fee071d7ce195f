// Messages between the Generate tab (the page) and its worker (generate.worker.ts), which owns the model and its
// GPU context so that loading and generation never block the page.
import type { ChatMessage } from '../../src/lm/chat.js';
import type { GenerateOptions, GenerationStats } from '../../src/lm/model.js';
import type { LlamaConfig } from '../../src/nn/llama_config.js';

export type ModelChoice =
  | { kind: 'bundled'; url: string }
  | { kind: 'file'; file: File }
  | { kind: 'url'; url: string };

/** Sampling and length options: GenerateOptions without the signal (the worker owns the AbortController). */
export type GenOptions = Omit<GenerateOptions, 'signal'>;

export type ToWorker =
  | { type: 'load'; choice: ModelChoice }
  | { type: 'generate'; id: number; prompt: string; options: GenOptions }
  | { type: 'chat'; id: number; messages: ChatMessage[]; options: GenOptions }
  | { type: 'stop' }
  | { type: 'stored' }
  | { type: 'clear-stored' };

export interface ModelInfo {
  name: string;
  fileBytes: number;
  config: LlamaConfig;
  /** Context length of the KV cache (the model's, at most 2048). */
  ctxLen: number;
  /** Count and bytes of the file's tensors by type. */
  types: { type: string; count: number; bytes: number }[];
  chatTemplate: string | null;
  gpuBytes: number;
  /** Where the bytes came from: the bundled file, a picked file, the network (by ranges), or the browser's storage. */
  from: 'bundled' | 'file' | 'network' | 'storage';
  loadMs: number;
}

export interface StoredModel {
  url: string;
  bytes: number;
}

export type FromWorker =
  | { type: 'ready'; adapter: string }
  | { type: 'fatal'; message: string }
  | { type: 'progress'; phase: string; loaded: number; total: number; label: string }
  | { type: 'loaded'; info: ModelInfo }
  | { type: 'load-error'; message: string }
  | { type: 'piece'; id: number; text: string }
  | { type: 'done'; id: number; stats: GenerationStats }
  | { type: 'gen-error'; id: number; message: string }
  | { type: 'stored'; models: StoredModel[]; note?: string };
