// nibble lm pretrain: trains a byte-level Llama from scratch on a text (Tiny Shakespeare by default) with the
// recipe of a committed JSON config, shows a progress bar (loss, tokens/s), prints the validation loss in nats per
// byte and writes the model as an F32 GGUF that `nibble generate` and llama.cpp run.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { textDataset, TextDataError } from '../../src/data/text.js';
import { gguf } from '../../src/io/gguf.js';
import { checkPretrainConfig, pretrainLlama, PretrainError, type PretrainConfig } from '../../src/lm/pretrain.js';
import { ModelConfigError } from '../../src/nn/llama_config.js';
import { byteLevelVocab, writeLlamaGguf } from '../../src/nn/llama_weights.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { createNodeContext } from '../node.js';
import { ProgressBar } from '../progress.js';
import { UsageError, type Command } from './command.js';
import { findFile, numberOpt } from './lm.js';
import { writeAtomic } from './train.js';
import { lmQat, QAT_HELP } from './lm_qat.js';
import { TrainingError } from '../../src/train/graph_trainer.js';
import { JOB_HELP, lmJob } from './lm_job.js';

const DEFAULT_CONFIG = 'configs/shakespeare-tiny.json';

const PRETRAIN_HELP = `usage: nibble lm pretrain [--config FILE] [--steps N] [--grad-accum K] [--out FILE.gguf] [--seed S] [--data FILE]
       [--resume CKPT] [--json]
  --config FILE   the recipe, JSON (default ${DEFAULT_CONFIG}): model shape, batch, seq, steps, lr, warmupSteps,
                  minLr, weightDecay, clipNorm, seed, valWindows, evalEvery, data, gradAccum (optional, default 1)
  --steps N       training steps (default: the config's)
  --grad-accum K  gradient accumulation: K micro-batches of the config's batch per step, one AdamW update on
                  their mean gradient (default: the config's gradAccum, else 1)
  --out FILE      where to write the F32 GGUF (default out/shakespeare-f32.gguf; also written at
                  each evaluation, so a stopped run leaves its latest model)
  --seed S        seed of the initial weights and the batches (default: the config's)
  --data FILE     the text to train on (default: the config's, Tiny Shakespeare); the last 10% validates
  --resume CKPT   continue exactly from a checkpoint: one is written next to --out at each evaluation
                  (FILE.checkpoint.safetensors: weights, AdamW state, step, recipe)
  --json          print the result as one JSON object`;

async function pretrain(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string' }, steps: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, data: { type: 'string' }, resume: { type: 'string' }, json: { type: 'boolean' }, 'grad-accum': { type: 'string' } }, strict: true }));
  } catch (e) {
    throw new UsageError(`lm pretrain: ${(e as Error).message}\n${PRETRAIN_HELP}`);
  }
  const configPath = findFile(values.config ?? DEFAULT_CONFIG);
  let recipe: PretrainConfig & { data?: string };
  try {
    recipe = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (e) {
    throw new UsageError(`lm pretrain: ${configPath}: ${(e as Error).message}`);
  }
  const steps = numberOpt('lm pretrain', 'steps', values.steps, (n) => Number.isInteger(n) && n >= 1, 'must be an integer >= 1');
  const seed = numberOpt('lm pretrain', 'seed', values.seed, (n) => Number.isInteger(n) && n >= 0, 'must be an integer >= 0');
  const gradAccum = numberOpt('lm pretrain', 'grad-accum', values['grad-accum'], (n) => Number.isInteger(n) && n >= 1, 'must be an integer >= 1');
  if (gradAccum !== undefined) recipe.gradAccum = gradAccum;
  if (seed !== undefined) recipe.seed = seed;
  if (steps !== undefined) recipe.steps = steps;
  const dataPath = findFile(values.data ?? recipe.data ?? 'demo/public/data/tinyshakespeare.txt');
  const out = resolve(values.out ?? 'out/shakespeare-f32.gguf');
  const ckptPath = `${out.replace(/\.gguf$/i, '')}.checkpoint.safetensors`;
  let resume: Uint8Array | undefined;
  if (values.resume !== undefined) {
    try {
      resume = readFileSync(values.resume);
    } catch (e) {
      throw new UsageError(`lm pretrain: --resume ${values.resume}: ${(e as Error).message}`);
    }
  }
  const vocab = byteLevelVocab(recipe.model?.arch);
  const tok = Tokenizer.fromGguf(vocab);
  const V = (vocab['tokenizer.ggml.tokens'] as { value: unknown[] }).value.length;
  try {
    checkPretrainConfig(recipe, V); // before any work: a bad recipe names its field
  } catch (e) {
    if (e instanceof PretrainError || e instanceof ModelConfigError) throw new UsageError(`lm pretrain: ${configPath}: ${e.message}`);
    throw e;
  }
  const t0 = performance.now();
  let data;
  try {
    data = textDataset(readFileSync(dataPath, 'utf8'), tok);
  } catch (e) {
    if (e instanceof TextDataError) throw new UsageError(`lm pretrain: ${dataPath}: ${e.message}`);
    throw e;
  }
  const ctx = await createNodeContext();
  try {
    const adapter = `${ctx.info.vendor} ${ctx.info.architecture}${ctx.info.isFallback ? ' (software fallback: SwiftShader)' : ''}`;
    if (!values.json) console.error(`lm pretrain: ${configPath}, ${recipe.steps} steps of ${(recipe.gradAccum ?? 1) > 1 ? `${recipe.gradAccum} x ` : ''}${recipe.batch} x ${recipe.seq} tokens on ${dataPath} (${data.train.length} training, ${data.val.length} validation tokens), ${adapter}`);
    const bar = values.json ? null : new ProgressBar();
    const r = await pretrainLlama(ctx, recipe, data, V, {
      resume,
      onCheckpoint: (bytes) => {
        writeAtomic(ckptPath, bytes);
        return ckptPath;
      },
      onStep: (s) => bar?.update({ step: s.step, total: s.total, loss: s.loss, msPerStep: s.ms, label: `${Math.round(s.tokensPerSec)} tok/s` }),
      onEval: async (step, v, read) => {
        if (!values.json) console.error(`\nstep ${step}: validation ${v.toFixed(4)} nats/byte`);
        // A snapshot at each evaluation before the last, so a long run that is stopped leaves its latest model.
        if (step < recipe.steps) {
          const name = `nibble byte-level ${recipe.model.arch ?? 'llama'} d${recipe.model.dim} L${recipe.model.layers} (step ${step} of ${recipe.steps}, val ${v.toFixed(3)} nats/byte)`;
          writeAtomic(out, writeLlamaGguf(checkPretrainConfig(recipe, V), await read(), { ...vocab, 'general.name': gguf.str(name) }));
        }
      },
    });
    const name = `nibble byte-level ${r.config.arch} d${r.config.dim} L${r.config.layers} (${recipe.steps} steps, val ${r.valLoss.toFixed(3)} nats/byte)`;
    const bytes = writeLlamaGguf(r.config, r.weights, { ...vocab, 'general.name': gguf.str(name) });
    writeAtomic(out, bytes);
    const secs = (performance.now() - t0) / 1000;
    const params = Object.values(r.weights).reduce((s, w) => s + w.length, 0);
    const result = { config: configPath, steps: recipe.steps, gradAccum: recipe.gradAccum ?? 1, params, valLoss: r.valLoss, trainLoss: r.losses[r.losses.length - 1], evals: r.evals, msPerStep: r.msPerStep, tokensPerSec: r.tokensPerSec, out, bytes: bytes.length, seconds: secs, adapter };
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else console.log(`validation loss ${r.valLoss.toFixed(4)} nats/byte after ${recipe.steps} steps (${params} params; ${r.msPerStep.toFixed(0)} ms/step, ${r.tokensPerSec.toFixed(0)} tokens/s)\nwrote ${out} (${bytes.length} bytes) in ${secs.toFixed(1)} s`);
    return 0;
  } catch (e) {
    if (e instanceof PretrainError || e instanceof ModelConfigError || e instanceof TrainingError) throw new UsageError(`lm pretrain: ${e.message}`);
    throw e;
  } finally {
    ctx.destroy();
  }
}

export const lmCommand: Command = {
  summary: 'language models: lm pretrain (a byte-level Llama on Tiny Shakespeare), lm qat (QAT vs PTQ, exported to GGUF), lm job (npm start)',
  help: `subcommands:\n  pretrain   train a byte-level Llama from scratch\n  qat        quantization-aware training of a language model, against its f32 baseline\n  job        the language-model job of npm start\n\n${PRETRAIN_HELP}\n\n${QAT_HELP}\n\n${JOB_HELP}`,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'pretrain') return pretrain(rest);
    if (sub === 'qat') return lmQat(rest);
    if (sub === 'job') return lmJob(rest);
    throw new UsageError(`lm: unknown subcommand '${sub ?? ''}' (known: pretrain, qat, job)`);
  },
};
