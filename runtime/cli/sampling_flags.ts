// The sampling flags `nibble generate` and `nibble chat` share: their parseArgs options, their help lines, and the
// GenerateOptions they give (each value checked, the flag at fault named), and --chat-template-kwargs.
import type { GenerateOptions } from '../../src/lm/model.js';
import { UsageError } from './command.js';
import { numberOpt } from './lm.js';

/** The flags for a usage line, wrapped after the first few (the caller indents the continuation by `indent`). */
export function samplingUsage(indent: string): string {
  return `[--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--min-p P]\n${indent}[--repeat-penalty R] [--presence-penalty P] [--frequency-penalty F] [--seed S] [--stop TEXT ...] [--ctx N]`;
}

export const SAMPLING_HELP = `  --max-tokens N        tokens to generate at most (default 128)
  --temperature T       0 = greedy (argmax on the GPU); default 0.8
  --top-k K, --top-p P, --min-p P, --repeat-penalty R   llama.cpp's samplers (defaults 40, 0.95, 0.05, 1.1)
  --presence-penalty P, --frequency-penalty F   subtracted from the logit of a token seen in the last 64, once / per
                        occurrence (llama.cpp's and OpenAI's; default 0; Qwen3 suggests --presence-penalty 1.5)
  --seed S              same seed, same text (default: random)
  --stop TEXT           stop when this text appears (repeatable; not printed)
  --ctx N               context length of the KV cache (default: the model's, at most 2048)`;

export const SAMPLING_OPTIONS = {
  'max-tokens': { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' },
  'min-p': { type: 'string' }, 'repeat-penalty': { type: 'string' }, 'presence-penalty': { type: 'string' }, 'frequency-penalty': { type: 'string' },
  seed: { type: 'string' }, stop: { type: 'string', multiple: true }, ctx: { type: 'string' },
} as const;

type Values = { [K in keyof typeof SAMPLING_OPTIONS]?: (typeof SAMPLING_OPTIONS)[K] extends { multiple: true } ? string[] : string };

/** The generation options of the flags, and the context length (--ctx). */
export function samplingFromFlags(cmd: string, values: Values): { opts: GenerateOptions; ctxLen: number | undefined } {
  const int = (n: number) => Number.isInteger(n);
  const opts: GenerateOptions = {
    maxTokens: numberOpt(cmd, 'max-tokens', values['max-tokens'], (n) => int(n) && n >= 1, 'must be a positive integer'),
    temperature: numberOpt(cmd, 'temperature', values.temperature, (n) => n >= 0, 'must be >= 0'),
    topK: numberOpt(cmd, 'top-k', values['top-k'], (n) => int(n) && n >= 0, 'must be an integer >= 0'),
    topP: numberOpt(cmd, 'top-p', values['top-p'], (n) => n > 0 && n <= 1, 'must be in (0, 1]'),
    minP: numberOpt(cmd, 'min-p', values['min-p'], (n) => n >= 0 && n < 1, 'must be in [0, 1)'),
    repeatPenalty: numberOpt(cmd, 'repeat-penalty', values['repeat-penalty'], (n) => n > 0, 'must be > 0'),
    presencePenalty: numberOpt(cmd, 'presence-penalty', values['presence-penalty'], (n) => Number.isFinite(n), 'must be a finite number'),
    frequencyPenalty: numberOpt(cmd, 'frequency-penalty', values['frequency-penalty'], (n) => Number.isFinite(n), 'must be a finite number'),
    seed: numberOpt(cmd, 'seed', values.seed, (n) => int(n) && n >= 0, 'must be an integer >= 0'),
    stop: values.stop,
  };
  const ctxLen = numberOpt(cmd, 'ctx', values.ctx, (n) => int(n) && n >= 2, 'must be an integer >= 2');
  return { opts, ctxLen };
}

/** --chat-template-kwargs JSON: an object of template variables (llama.cpp's server flag). */
export function templateKwargsFlag(cmd: string, text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${cmd}: --chat-template-kwargs is not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`${cmd}: --chat-template-kwargs must be a JSON object, got ${text}`);
  return v as Record<string, unknown>;
}
