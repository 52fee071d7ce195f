// nibble eval MODEL.gguf (--text FILE | --tokens ID,ID,...) [--ctx N] [--decode] [--logits OUT.safetensors] [--json]:
// perplexity as llama.cpp's perplexity tool computes it (windows of --ctx tokens, BOS first when the file adds one,
// each window scoring the predictions of its second half), optionally the logits of the first window.
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { perplexityWindows } from '../../src/lm/perplexity.js';
import { writeSafetensorsFile } from '../safetensors.js';
import { UsageError, type Command } from './command.js';
import { loadForCli, numberOpt, userErrors } from './lm.js';

export const evalCommand: Command = {
  summary: "perplexity of a text under a GGUF language model (llama.cpp's protocol), and its logits",
  help: `usage:
  nibble eval MODEL.gguf (--text FILE | --tokens ID,ID,...) [--ctx N] [--decode] [--logits OUT.safetensors] [--json]
options:
  --text FILE       the text to score (tokenized by the model, BOS added as the file says)
  --tokens IDS      token ids instead, comma separated (used as given)
  --ctx N           window length in tokens (default 512, at most the model's context); the text must hold one window
  --decode          compute the logits token by token through the KV cache instead of one prefill per window
  --logits OUT      write the first window's logits (F32 [T, V], tensor 'logits') and its ids (I32 [T], 'tokens')
  --json            print one object
MODEL.gguf may be a Hugging Face Llama / Mistral / Qwen2 / Qwen3 / Gemma 1-3 / SmolLM3 / Phi-3 / StableLM / Granite / OLMo 2-3 / EXAONE 3.5-4 / ERNIE 4.5 / Ministral 3 / GLM-4 / AFM / LFM2 / StarCoder2 / Phi-2 / Command R / Command R7B / MiniCPM / GPT-2 / Mixtral / Qwen3-MoE / OLMoE / Qwen2-MoE / Granite MoE directory instead (converted to an F32 GGUF in memory).`,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({ args: argv, options: { text: { type: 'string' }, tokens: { type: 'string' }, ctx: { type: 'string' }, decode: { type: 'boolean' }, logits: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true }));
    } catch (e) {
      throw new UsageError(`eval: ${(e as Error).message}`);
    }
    if (positionals.length !== 1) throw new UsageError(`eval: give one model file (got ${positionals.length}); nibble eval --help`);
    if ((values.text === undefined) === (values.tokens === undefined)) throw new UsageError('eval: give exactly one of --text FILE and --tokens ID,ID,...');
    let text: string | null = null;
    if (values.text !== undefined) {
      try {
        if (!statSync(values.text).isFile()) throw new Error('not a file');
        text = readFileSync(values.text, 'utf8');
        if (text.length === 0) throw new Error('the file is empty');
      } catch (e) {
        throw new UsageError(`eval: --text ${values.text}: ${(e as Error).message}`);
      }
    }
    let given: number[] | null = null;
    if (values.tokens !== undefined) {
      given = values.tokens.split(',').map((s) => Number(s.trim()));
      const bad = given.findIndex((n) => !Number.isInteger(n) || n < 0);
      if (bad >= 0) throw new UsageError(`eval: --tokens: item ${bad} ('${values.tokens.split(',')[bad]}') is not a token id`);
    }
    const n = numberOpt('eval', 'ctx', values.ctx, (v) => Number.isInteger(v) && v >= 2, 'must be an integer >= 2');
    const { ctx, lm } = await loadForCli('eval', positionals[0], { quiet: values.json, ctxLen: n });
    try {
      const win = Math.min(n ?? 512, lm.engine.ctxLen);
      let r;
      try {
        const ids = given ?? lm.tokenize(text!, { addSpecial: true });
        r = await perplexityWindows(lm, ids, win, { decode: !!values.decode, replaceFirstWithBos: given === null });
      } catch (e) {
        if (e instanceof RangeError && values.text !== undefined) throw new UsageError(`eval: --text ${values.text}: ${e.message}`);
        userErrors('eval', e);
      }
      if (values.logits) {
        writeSafetensorsFile(values.logits, {
          logits: { dtype: 'F32', shape: [r.firstWindow.length, lm.config.vocab], data: r.firstLogits },
          tokens: { dtype: 'I32', shape: [r.firstWindow.length], data: Int32Array.from(r.firstWindow) },
        });
      }
      const out = { model: positionals[0], ctx: win, windows: r.windows, scored_tokens: r.count, nll: r.nll, perplexity: r.perplexity, per_window: r.perWindow, mode: values.decode ? 'decode' : 'prefill', adapter: ctx.info.description };
      if (values.json) console.log(JSON.stringify(out, null, 2));
      else console.log(`perplexity ${r.perplexity.toFixed(4)} over ${r.windows} window${r.windows === 1 ? '' : 's'} of ${win} tokens (${r.count} scored, ${values.decode ? 'decode' : 'prefill'}): [${r.perWindow.map((p) => p.toFixed(4)).join(', ')}]`);
      return 0;
    } finally {
      lm.dispose();
      ctx.destroy();
    }
  },
};
