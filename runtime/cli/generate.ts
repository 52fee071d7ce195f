// nibble generate [MODEL.gguf] --prompt TEXT [sampling options] [--chat] [--json]: streams the continuation to
// stdout, then one line of figures on stderr (prompt tok/s, decode tok/s, time to first token, GPU memory).
import { parseArgs } from 'node:util';
import { formatBytes } from '../../src/io/gguf.js';
import type { GenerationStats } from '../../src/lm/model.js';
import { UsageError, type Command } from './command.js';
import { bundledModelPath, loadForCli, numberOpt, userErrors } from './lm.js';

/** The model `nibble generate` runs without one: the Shakespeare model nibble trained, QAT-converted to Q4_0. */
export const DEFAULT_MODEL = 'shakespeare-q4_0.gguf';

export const generateCommand: Command = {
  summary: 'generate text with a Llama-family GGUF model (default: the bundled Shakespeare model, Q4_0)',
  help: `usage:
  nibble generate [MODEL.gguf|URL|HF_DIR] --prompt TEXT [--max-tokens N] [--temperature T] [--top-k K] [--top-p P]
                  [--min-p P] [--repeat-penalty R] [--presence-penalty P] [--frequency-penalty F] [--seed S] [--stop TEXT ...] [--ctx N] [--context-shift] [--chat [--chat-template-kwargs JSON]] [--json]
options:
  --prompt TEXT         the prompt (with --chat: the user's message)
  --max-tokens N        tokens to generate at most (default 128)
  --temperature T       0 = greedy (argmax on the GPU); default 0.8
  --top-k K, --top-p P, --min-p P, --repeat-penalty R   llama.cpp's samplers (defaults 40, 0.95, 0.05, 1.1)
  --presence-penalty P, --frequency-penalty F   subtracted from the logit of a token seen in the last 64, once / per
                        occurrence (llama.cpp's and OpenAI's; default 0; Qwen3 suggests --presence-penalty 1.5)
  --seed S              same seed, same text (default: random)
  --stop TEXT           stop when this text appears (repeatable; not printed)
  --ctx N               context length of the KV cache (default: the model's, at most 2048)
  --context-shift       when the context is full, keep its newer half and go on (llama.cpp's context shift)
  --chat                render the prompt with the file's chat template as one user message
  --chat-template-kwargs JSON   more template variables, as llama.cpp's server takes them: '{"enable_thinking": false}' (Qwen3)
  --json                print one object: text, ids and figures
MODEL may be a Hugging Face Llama / Qwen2 / Qwen3 directory (config.json, model.safetensors, tokenizer.model or tokenizer.json),
converted to an F32 GGUF in memory.`,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        options: {
          prompt: { type: 'string' }, 'max-tokens': { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, 'top-p': { type: 'string' },
          'min-p': { type: 'string' }, 'repeat-penalty': { type: 'string' }, 'presence-penalty': { type: 'string' }, 'frequency-penalty': { type: 'string' }, seed: { type: 'string' }, stop: { type: 'string', multiple: true }, ctx: { type: 'string' }, 'context-shift': { type: 'boolean' },
          chat: { type: 'boolean' }, 'chat-template-kwargs': { type: 'string' }, json: { type: 'boolean' },
        },
        allowPositionals: true,
        strict: true,
      }));
    } catch (e) {
      throw new UsageError(`generate: ${(e as Error).message}`);
    }
    if (positionals.length > 1) throw new UsageError(`generate: give at most one model file (got ${positionals.length})`);
    if (values.prompt === undefined) throw new UsageError('generate: --prompt TEXT is required');
    const cmd = 'generate';
    const int = (n: number) => Number.isInteger(n);
    const opts = {
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
      contextShift: !!values['context-shift'],
    };
    let templateKwargs: Record<string, unknown> | undefined;
    const kwText = values['chat-template-kwargs'];
    if (kwText !== undefined) {
      if (!values.chat) throw new UsageError('generate: --chat-template-kwargs needs --chat');
      try {
        templateKwargs = JSON.parse(kwText);
      } catch (e) {
        throw new UsageError(`generate: --chat-template-kwargs is not JSON: ${(e as Error).message}`);
      }
      if (typeof templateKwargs !== 'object' || templateKwargs === null || Array.isArray(templateKwargs)) throw new UsageError(`generate: --chat-template-kwargs must be a JSON object, got ${kwText}`);
    }
    const ctxLen = numberOpt(cmd, 'ctx', values.ctx, (n) => int(n) && n >= 2, 'must be an integer >= 2');
    const path = positionals[0] ?? bundledModelPath(DEFAULT_MODEL);
    const { ctx, lm } = await loadForCli(cmd, path, { ctxLen, quiet: values.json });
    try {
      let text = '';
      let stats: GenerationStats;
      try {
        const gen = values.chat ? lm.chat([{ role: 'user', content: values.prompt }], { ...opts, templateKwargs }) : lm.generate(values.prompt, opts);
        for (;;) {
          const r = await gen.next();
          if (r.done) {
            stats = r.value;
            break;
          }
          text += r.value;
          if (!values.json) process.stdout.write(r.value);
        }
      } catch (e) {
        userErrors(cmd, e);
      }
      const figures = {
        prompt_tokens: stats.promptTokens,
        generated_tokens: stats.generatedTokens,
        prompt_tokens_per_second: stats.promptTokensPerSecond,
        decode_tokens_per_second: stats.decodeTokensPerSecond,
        time_to_first_token_ms: stats.timeToFirstTokenMs,
        gpu_bytes: stats.gpuBytes,
        dispatches_per_token: stats.dispatchesPerToken,
        stop_reason: stats.stopReason,
        adapter: ctx.info.description,
      };
      if (values.json) {
        console.log(JSON.stringify({ model: path, text, ids: stats.ids, ...figures }, null, 2));
      } else {
        process.stdout.write('\n');
        console.error(
          `prompt ${stats.promptTokens} tok at ${stats.promptTokensPerSecond.toFixed(1)} tok/s, decode ${stats.generatedTokens} tok at ${stats.decodeTokensPerSecond.toFixed(1)} tok/s, ` +
            `first token ${stats.timeToFirstTokenMs.toFixed(0)} ms, GPU ${formatBytes(stats.gpuBytes)}, ${stats.dispatchesPerToken} dispatches / 1 submit a token, stop: ${stats.stopReason} (${ctx.info.description})`,
        );
      }
      return 0;
    } finally {
      lm.dispose();
      ctx.destroy();
    }
  },
};
