// nibble generate [MODEL.gguf] --prompt TEXT [sampling options] [--chat] [--json]: streams the continuation to
// stdout, then one line of figures on stderr (prompt tok/s, decode tok/s, time to first token, GPU memory).
import { parseArgs } from 'node:util';
import { formatBytes } from '../../src/io/gguf.js';
import { UsageError, type Command } from './command.js';
import { bundledModelPath, loadForCli, streamText } from './lm.js';
import { SAMPLING_HELP, SAMPLING_OPTIONS, samplingUsage, samplingFromFlags, templateKwargsFlag } from './sampling_flags.js';

/** The model `nibble generate` runs without one: the Shakespeare model nibble trained, QAT-converted to Q4_0. */
export const DEFAULT_MODEL = 'shakespeare-q4_0.gguf';

export const generateCommand: Command = {
  summary: 'generate text with a Llama-family GGUF model (default: the bundled Shakespeare model, Q4_0)',
  help: `usage:
  nibble generate [MODEL.gguf|URL|HF_DIR] --prompt TEXT ${samplingUsage('                  ')}
                  [--context-shift] [--chat [--chat-template-kwargs JSON]] [--json]
options:
  --prompt TEXT         the prompt (with --chat: the user's message)
${SAMPLING_HELP}
  --context-shift       when the context is full, keep its newer half and go on (llama.cpp's context shift)
  --chat                render the prompt with the file's chat template as one user message (a conversation: nibble chat)
  --chat-template-kwargs JSON   more template variables, as llama.cpp's server takes them: '{"enable_thinking": false}' (Qwen3)
  --json                print one object: text, ids and figures
MODEL may be a Hugging Face Llama / Mistral / Qwen2 / Qwen3 / Gemma 1-3 / SmolLM3 / Phi-3 / StableLM / Granite / OLMo 2-3 / EXAONE 3.5-4 / ERNIE 4.5 / Ministral 3 / GLM-4 / AFM / LFM2 / StarCoder2 / Phi-2 / Command R / Command R7B / MiniCPM / GPT-2 / Mixtral / Qwen3-MoE / OLMoE / Qwen2-MoE / Granite MoE directory (config.json, model.safetensors, tokenizer.model or tokenizer.json),
converted to an F32 GGUF in memory.`,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        options: { prompt: { type: 'string' }, ...SAMPLING_OPTIONS, 'context-shift': { type: 'boolean' }, chat: { type: 'boolean' }, 'chat-template-kwargs': { type: 'string' }, json: { type: 'boolean' } },
        allowPositionals: true,
        strict: true,
      }));
    } catch (e) {
      throw new UsageError(`generate: ${(e as Error).message}`);
    }
    if (positionals.length > 1) throw new UsageError(`generate: give at most one model file (got ${positionals.length})`);
    if (values.prompt === undefined) throw new UsageError('generate: --prompt TEXT is required');
    const cmd = 'generate';
    const { opts: sampling, ctxLen } = samplingFromFlags(cmd, values);
    const opts = { ...sampling, contextShift: !!values['context-shift'] };
    if (values['chat-template-kwargs'] !== undefined && !values.chat) throw new UsageError('generate: --chat-template-kwargs needs --chat');
    const templateKwargs = templateKwargsFlag(cmd, values['chat-template-kwargs']);
    const path = positionals[0] ?? bundledModelPath(DEFAULT_MODEL);
    const { ctx, lm } = await loadForCli(cmd, path, { ctxLen, quiet: values.json });
    try {
      const prompt = values.prompt;
      const { text, stats } = await streamText(cmd, () => (values.chat ? lm.chat([{ role: 'user', content: prompt }], { ...opts, templateKwargs }) : lm.generate(prompt, opts)), !values.json);
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
