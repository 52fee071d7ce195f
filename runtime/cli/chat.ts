// nibble chat MODEL [--system TEXT] [sampling flags] [--json]: a conversation on the terminal, as llama.cpp's
// conversation mode. Each line read from stdin is a user turn; the file's chat template renders the whole
// conversation, and the KV cache keeps the turns before (cachePrompt), so a reply prefills only the new text. The
// replies stream to stdout, a line of figures per turn to stderr (with --json: one JSON object per turn on stdout).
// End of input ends the chat; a line "/reset" starts a new conversation.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { ChatMessage } from '../../src/lm/chat.js';
import { UsageError, type Command } from './command.js';
import { loadForCli, streamText } from './lm.js';
import { SAMPLING_HELP, SAMPLING_OPTIONS, samplingUsage, samplingFromFlags, templateKwargsFlag } from './sampling_flags.js';

export const chatCommand: Command = {
  summary: 'chat with a GGUF model that has a chat template: one user turn per line of input',
  help: `usage:
  nibble chat MODEL.gguf|URL|HF_DIR [--system TEXT] ${samplingUsage('              ')}
              [--chat-template-kwargs JSON] [--json]
options:
  --system TEXT         a system message before the conversation
${SAMPLING_HELP}
  --chat-template-kwargs JSON   more template variables, as llama.cpp's server takes them: '{"enable_thinking": false}' (Qwen3)
  --json                one JSON object per turn on stdout (text, ids, cached and prompt tokens, figures)
Each line of standard input is a user turn; "/reset" forgets the conversation; end of input ends the chat. The turns
before stay in the KV cache: a reply prefills only what is new. A conversation longer than the context (--ctx) ends
with an error naming both lengths.`,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        options: { system: { type: 'string' }, ...SAMPLING_OPTIONS, 'chat-template-kwargs': { type: 'string' }, json: { type: 'boolean' } },
        allowPositionals: true,
        strict: true,
      }));
    } catch (e) {
      throw new UsageError(`chat: ${(e as Error).message}`);
    }
    const cmd = 'chat';
    if (positionals.length !== 1) throw new UsageError(`chat: give one model file with a chat template (got ${positionals.length}; the bundled Shakespeare model has none)`);
    const { opts, ctxLen } = samplingFromFlags(cmd, values);
    const templateKwargs = templateKwargsFlag(cmd, values['chat-template-kwargs']);
    const path = positionals[0];
    const { ctx, lm } = await loadForCli(cmd, path, { ctxLen, quiet: values.json });
    try {
      if (!lm.chatTemplate) throw new UsageError(`chat: ${path} has no tokenizer.chat_template (nibble generate takes a plain prompt)`);
      const start = (): ChatMessage[] => (values.system !== undefined ? [{ role: 'system', content: values.system }] : []);
      let messages = start();
      const tty = process.stdin.isTTY;
      const lines = createInterface({ input: process.stdin, terminal: false });
      if (tty) process.stderr.write('> ');
      let turn = 0;
      for await (const line of lines) {
        const text = line.trim();
        if (text === '/reset') messages = start();
        else if (text !== '') {
          messages.push({ role: 'user', content: text });
          const { text: reply, stats } = await streamText(cmd, () => lm.chat(messages, { ...opts, templateKwargs, cachePrompt: true }), !values.json);
          messages.push({ role: 'assistant', content: reply });
          turn++;
          if (values.json) {
            console.log(JSON.stringify({ turn, text: reply, ids: stats.ids, prompt_tokens: stats.promptTokens, cached_tokens: stats.cachedTokens, generated_tokens: stats.generatedTokens, prompt_tokens_per_second: stats.promptTokensPerSecond, decode_tokens_per_second: stats.decodeTokensPerSecond, time_to_first_token_ms: stats.timeToFirstTokenMs, stop_reason: stats.stopReason }));
          } else {
            process.stdout.write('\n');
            console.error(`[turn ${turn}: prompt ${stats.promptTokens} tok, ${stats.cachedTokens} from the cache, first token ${stats.timeToFirstTokenMs.toFixed(0)} ms; ${stats.generatedTokens} tok at ${stats.decodeTokensPerSecond.toFixed(1)} tok/s; stop: ${stats.stopReason}]`);
          }
        }
        if (tty) process.stderr.write('> ');
      }
      return 0;
    } finally {
      lm.dispose();
      ctx.destroy();
    }
  },
};
