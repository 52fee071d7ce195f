// nibble lm qat: QAT of a language model (default: the bundled Shakespeare f32 model) against its equal-budget f32
// baseline on the same batches (src/lm/qat.ts), the converted model written as a GGUF that llama.cpp runs, and the
// figures as a table or one JSON object (keys f32_start, f32_after, ptq, qat, converted, recovered,
// ms_per_step_f32, ms_per_step_qat, and more).
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { textDataset, TextDataError } from '../../src/data/text.js';
import { gguf, parseGgufFile, GgufFileError, type GgufValue } from '../../src/io/gguf.js';
import { SafetensorsError } from '../../src/io/safetensors.js';
import { HfDirError, loadHfLlamaDir } from '../hf.js';
import { qatLlama, type LmQatOptions, type LmQatResult } from '../../src/lm/qat.js';
import { LM_ADAQAT_DEFAULTS } from '../../src/lm/qat_bits.js';
import { ModelConfigError } from '../../src/nn/llama_config.js';
import { llamaWeightsFromGguf } from '../../src/nn/llama_weights.js';
import { QatConfigError, type LinearRule } from '../../src/train/qat_plan.js';
import { AdaQatError } from '../../src/train/adaqat.js';
import { TrainingError } from '../../src/train/graph_trainer.js';
import { Tokenizer, TokenizerError } from '../../src/tokenizer/index.js';
import { createNodeContext } from '../node.js';
import { ProgressBar } from '../progress.js';
import { UsageError } from './command.js';
import { bundledModelPath, findFile, numberOpt, tokenizerMetadata } from './lm.js';
import { writeAtomic } from './train.js';

/**
 * nibble's best recipe (bench/lm-qat.ts, docs/lm-qat.md): what a user who passes only --bits gets. LSQ from the
 * least-squared-error scales (QAT_DEFAULTS.lsqInit), its scales' learning rate (3 / (2^bits - 1))^2 of lr, recovered
 * more of the gap at 2 bits (87.4% vs STE's 80.3%, five seeds; 90.5% on the midrise grid, defaultGrid) and 3 bits
 * (85.0% vs 80.5%, six seeds, paired; static 83.1% at seed 0); at 4 bits static scales (STE against the rule's
 * scales of the start model, never recomputed) recovered 90.2% against the dynamic rule's 84.1% and LSQ's 77.7%
 * (six seeds, better than the dynamic rule on five); STE (the dynamic rule) above 4 bits, where nothing else was
 * measured; distillation and lr 1e-3 recovered less.
 */
export const defaultMethod = (bits: number): 'ste' | 'lsq' | 'static' => (bits <= 3 ? 'lsq' : bits === 4 ? 'static' : 'ste');

/**
 * The weight grid a user who passes only --bits gets: midrise (levels (q + 0.5) * s, no zero level) at 2 bits,
 * where LSQ on it recovered 90.5% of the gap over six seeds against the mid-tread grid's 87.6% (better on every
 * seed; docs/lm-qat.md); mid-tread elsewhere (at 3 bits midrise recovered 83.4% against 85.0% over six seeds, at 4
 * it lost at seed 0).
 */
export const defaultGrid = (bits: number): 'midtread' | 'midrise' => (bits === 2 ? 'midrise' : 'midtread');

const ADAQAT_DEFAULTS = LM_ADAQAT_DEFAULTS;

export const QAT_DEFAULTS = { checkpointEvery: 100, distill: false, teacher: 'baseline' as 'baseline' | 'start', lsqInit: 'mse' as 'rule' | 'mse', temperature: 1, lr: 3e-4, steps: 300, batch: 8, seq: 64, seed: 0, valWindows: 64, gradAccum: 1 };

export const QAT_HELP = `usage: nibble lm qat [--model F32.gguf] [--bits 2|3|4|8 --group G [--asymmetric | --grid midtread|midrise] | --format q4_0|q8_0] [--act]
       [--method ste|lsq|static|adaqat [--lambda L] [--lsq-init rule|mse]] [--distill [--temperature T] [--teacher baseline|start]] [--steps N] [--lr X] [--batch B] [--grad-accum K]
       [--seed S] [--out FILE.gguf] [--data FILE] [--keep-float PATTERN]... [--layer PATTERN=SPEC]...
       [--checkpoint-every N] [--resume CKPT] [--json]
  --model FILE    the f32 model to start from (default: the bundled demo/public/models/shakespeare-f32.gguf), or a
                  Hugging Face Llama / Mistral / Qwen2 / Qwen3 / Gemma 1-3 / SmolLM3 / Phi-3 / StableLM / Granite / OLMo 2-3 / EXAONE 3.5-4 / ERNIE 4.5 / Ministral 3 / GLM-4 / AFM / LFM2 / StarCoder2 / Phi-2 / Command R / Command R7B / MiniCPM / GPT-2 / Mixtral / Qwen3-MoE / OLMoE / Qwen2-MoE / Granite MoE directory (config.json, model.safetensors, tokenizer.model or tokenizer.json)
  --bits B        weight bits, 2..8, torchao's symmetric rule per group (default 4 with --group 32)
  --group G       group size along K (default 32; a multiple of 32 for the GGUF export)
  --asymmetric    torchao's asymmetric rule (a scale and an integer zero point per group), 2..4 bits, STE; written
                  as GGUF Q4_1 blocks (d and m in f16)
  --grid G        the symmetric weights' levels: midtread (q * s, codes -2^(b-1)..2^(b-1)-1: torchao's) or midrise
                  ((q + 0.5) * s: 2 bits +-0.5 s, +-1.5 s; no zero level, as many levels each side; 2..3 bits,
                  written as Q4_0 codes 2q + 1 at d = s / 2); default midrise at 2 bits, else midtread
  --format F      q4_0 or q8_0: ggml's own rule, so the GGUF holds exactly the trained weights (instead of --bits)
  --act           also fake-quantize each layer's input per token (int8); the converted model runs f32 activations
  --method M      ste (the dynamic rule, straight-through), lsq (learned per-group scales; with --bits) or
                  static (straight-through against per-group scales fixed at the start model's: the rule's, or with
                  --lsq-init mse the least-squared-error ones; never recomputed or trained; with --bits);
                  default: lsq at 2 and 3 bits, static at 4 bits, ste at 5..8 bits and with --format or --asymmetric
                  (the measured best; LSQ's scales learn at (3 / (2^bits - 1))^2 of --lr, half that on the midrise grid); adaqat: each
                  Linear's weight bit-width (with --act its input's too) learned during QAT (2..8, starting at
                  --bits, default 8; the dynamic rule), each layer converted to Q4_0 (<= 4 bits) or Q8_0
  --lsq-init I    lsq / static: where the scales start: rule (torchao's, so step 0 is the PTQ model) or mse (each
                  group's least squared error, src/quant/mse_scale.ts; default ${QAT_DEFAULTS.lsqInit} for lsq, rule for static)
  --lambda L      adaqat: weight of the size cost (mean bits per weight) against the loss (default ${ADAQAT_DEFAULTS.lambda});
                  larger: fewer bits
  --distill       learn from an f32 model's logits (KL at --temperature, default ${QAT_DEFAULTS.temperature}) instead of the data
                  loss (default: ${QAT_DEFAULTS.distill ? 'on' : 'off'}, docs/lm-qat.md); --no-distill: the data loss
  --teacher T     the f32 model distillation learns from: baseline (the f32 baseline after its N steps on the same
                  batches, trained first; the default) or start (the model QAT starts from)
  --steps N       steps of each run, f32 baseline and QAT (default ${QAT_DEFAULTS.steps})
  --lr X          peak learning rate, cosine to 10% (default ${QAT_DEFAULTS.lr})
  --batch B       windows per step (default ${QAT_DEFAULTS.batch}), of --seq tokens (default ${QAT_DEFAULTS.seq})
  --grad-accum K  gradient accumulation: K micro-batches of --batch windows per step, one update on their mean
                  gradient (default ${QAT_DEFAULTS.gradAccum}); step s trains on batches s*K .. s*K+K-1 of the seed
  --seed S        seed of the batches (default ${QAT_DEFAULTS.seed})
  --out FILE      the converted GGUF (default out/shakespeare-qat.gguf)
  --data FILE     the text to train on, tokenized by the model's tokenizer (default: Tiny Shakespeare); last 10% validates
  --keep-float P  keep the Linear layers whose weight name matches P in f32 (\`*\`: any run of characters;
                  repeatable), e.g. --keep-float output.weight
  --layer P=SPEC  a per-layer rule over the model-wide one (repeatable; a later one wins): SPEC is bits (8),
                  bits:method (2:lsq, 4:static) or a format (q8_0), e.g. --layer output.weight=8 --layer 'blk.*.ffn_down.weight=q8_0'
  --checkpoint-every N  a checkpoint every N steps of each run (default ${QAT_DEFAULTS.checkpointEvery}; 0: none), written next to --out
                  (FILE.checkpoint.safetensors: weights, AdamW state, step, the recipe, the f32 run's figures)
  --resume CKPT   continue exactly from such a checkpoint (same options and model; another run's is refused, naming
                  the option that differs)
  --json          print the figures as one JSON object`;

/** `--layer PATTERN=SPEC`: SPEC is bits, bits:method or a GGUF format (q4_0 / q8_0). */
export function parseLayerRule(arg: string): LinearRule & { pattern: string } {
  const m = /^(.+)=([^=]+)$/.exec(arg);
  if (!m) throw new UsageError(`lm qat: --layer ${arg}: expected PATTERN=SPEC (SPEC: bits, bits:method or q4_0 / q8_0)`);
  const [, pattern, spec] = m;
  const f = spec.toUpperCase();
  if (f === 'Q4_0' || f === 'Q8_0') return { pattern, format: f };
  const b = /^(\d+)(?::(ste|lsq|static))?$/.exec(spec);
  if (!b) throw new UsageError(`lm qat: --layer ${arg}: SPEC '${spec}' is not bits (2..8), bits:ste, bits:lsq, bits:static, q4_0 or q8_0`);
  return { pattern, bits: Number(b[1]), ...(b[2] ? { method: b[2] as 'ste' | 'lsq' | 'static' } : {}) };
}

/** The figures the contract names (the --json keys). */
export type QatCliResult = Pick<LmQatResult, 'f32_start' | 'f32_after' | 'ptq' | 'qat' | 'converted' | 'recovered' | 'ms_per_step_f32' | 'ms_per_step_qat'>;

export async function lmQat(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' }, bits: { type: 'string' }, group: { type: 'string' }, format: { type: 'string' }, act: { type: 'boolean' },
        method: { type: 'string' }, distill: { type: 'boolean' }, 'no-distill': { type: 'boolean' }, temperature: { type: 'string' }, teacher: { type: 'string' },
        steps: { type: 'string' }, lr: { type: 'string' }, batch: { type: 'string' }, seq: { type: 'string' }, seed: { type: 'string' },
        out: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' }, 'val-windows': { type: 'string' }, 'grad-accum': { type: 'string' }, lambda: { type: 'string' }, 'lsq-init': { type: 'string' }, asymmetric: { type: 'boolean' }, grid: { type: 'string' },
        'keep-float': { type: 'string', multiple: true }, layer: { type: 'string', multiple: true },
        'checkpoint-every': { type: 'string' }, resume: { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    throw new UsageError(`lm qat: ${(e as Error).message}\n${QAT_HELP}`);
  }
  const cmd = 'lm qat';
  const int1 = (n: number) => Number.isInteger(n) && n >= 1;
  const bits = numberOpt(cmd, 'bits', values.bits, (n) => Number.isInteger(n) && n >= 2 && n <= 8, 'must be an integer in 2..8');
  const group = numberOpt(cmd, 'group', values.group, int1, 'must be an integer >= 1');
  const fmt = values.format?.toUpperCase();
  if (fmt !== undefined && fmt !== 'Q4_0' && fmt !== 'Q8_0') throw new UsageError(`lm qat: --format ${values.format}: must be q4_0 or q8_0`);
  if (fmt && (bits !== undefined || group !== undefined)) throw new UsageError(`lm qat: --format ${values.format} fixes bits and group (${fmt === 'Q4_0' ? 4 : 8}-bit, 32): pass --format or --bits/--group, not both`);
  if (values.asymmetric && fmt) throw new UsageError(`lm qat: --asymmetric takes --bits (2..4); --format ${values.format} is ggml's symmetric rule`);
  const method = values.method ?? (fmt || values.asymmetric ? 'ste' : defaultMethod(bits ?? 4));
  if (method !== 'ste' && method !== 'lsq' && method !== 'static' && method !== 'adaqat') throw new UsageError(`lm qat: --method ${method}: must be ste, lsq, static or adaqat`);
  if (method === 'adaqat' && fmt) throw new UsageError(`lm qat: --format ${values.format} fixes the bit-width; --method adaqat chooses it per layer: use --bits (where it starts) instead`);
  const lambda = numberOpt(cmd, 'lambda', values.lambda, (n) => n >= 0, 'must be a number >= 0');
  if (lambda !== undefined && method !== 'adaqat') throw new UsageError('lm qat: --lambda is the cost weight of --method adaqat');
  if (fmt && (method === 'lsq' || method === 'static')) throw new UsageError(`lm qat: --format ${values.format} fixes the scale rule (ggml's d); --method ${method} ${method === 'lsq' ? 'learns scales' : 'fixes its own'}: use --bits instead`);
  const grid = values.grid;
  if (grid !== undefined && grid !== 'midtread' && grid !== 'midrise') throw new UsageError(`lm qat: --grid ${grid}: must be midtread or midrise`);
  // --grid midrise with a format, --asymmetric, AdaQAT or more than 3 bits: refused by prepare / adaptivePlan, naming why.
  const midrise = grid === 'midrise' || (grid === undefined && !fmt && !values.asymmetric && method !== 'adaqat' && defaultGrid(bits ?? 4) === 'midrise');
  const lsqInit = values['lsq-init'];
  if (lsqInit !== undefined && lsqInit !== 'rule' && lsqInit !== 'mse') throw new UsageError(`lm qat: --lsq-init ${lsqInit}: must be rule or mse`);
  if (lsqInit !== undefined && method !== 'lsq' && method !== 'static' && !values.layer?.some((l) => /:(lsq|static)$/.test(l))) throw new UsageError(`lm qat: --lsq-init sets where LSQ's (or static's) scales start: it needs --method lsq or static (or a --layer P=B:lsq rule)`);
  if (values.distill && values['no-distill']) throw new UsageError('lm qat: --distill and --no-distill contradict');
  const temperature = numberOpt(cmd, 'temperature', values.temperature, (n) => n > 0, 'must be a positive number');
  if (temperature !== undefined && values['no-distill']) throw new UsageError('lm qat: --temperature needs distillation (drop --no-distill)');
  const teacher = values.teacher ?? QAT_DEFAULTS.teacher;
  if (teacher !== 'baseline' && teacher !== 'start') throw new UsageError(`lm qat: --teacher ${teacher}: must be baseline or start`);
  if (values.teacher !== undefined && values['no-distill']) throw new UsageError('lm qat: --teacher needs distillation (drop --no-distill)');
  const distill = values['no-distill'] ? false : values.distill || temperature !== undefined || values.teacher !== undefined || QAT_DEFAULTS.distill;
  const opts: LmQatOptions = {
    ...(fmt ? { format: fmt as 'Q4_0' | 'Q8_0' } : { bits: bits ?? (method === 'adaqat' ? 8 : 4), group: group ?? 32 }),
    method: method === 'adaqat' ? 'ste' : method,
    // static starts from the rule's scales unless --lsq-init says otherwise (from the mse scales it recovered less).
    ...(method === 'lsq' || values.layer?.some((l) => /:lsq$/.test(l)) ? { lsqInit: (lsqInit ?? QAT_DEFAULTS.lsqInit) as 'rule' | 'mse' } : lsqInit ? { lsqInit: lsqInit as 'rule' | 'mse' } : {}),
    ...(method === 'adaqat' ? { adaqat: { lambda: lambda ?? ADAQAT_DEFAULTS.lambda, every: ADAQAT_DEFAULTS.every, lr: ADAQAT_DEFAULTS.lr } } : {}),
    ...(values.asymmetric ? { symmetric: false } : {}),
    ...(midrise ? { midrise: true } : {}),
    act: !!values.act,
    distill: distill ? { temperature: temperature ?? QAT_DEFAULTS.temperature, teacher } : false,
    steps: numberOpt(cmd, 'steps', values.steps, int1, 'must be an integer >= 1') ?? QAT_DEFAULTS.steps,
    lr: numberOpt(cmd, 'lr', values.lr, (n) => n > 0, 'must be a positive number') ?? QAT_DEFAULTS.lr,
    batch: numberOpt(cmd, 'batch', values.batch, int1, 'must be an integer >= 1') ?? QAT_DEFAULTS.batch,
    seq: numberOpt(cmd, 'seq', values.seq, int1, 'must be an integer >= 1') ?? QAT_DEFAULTS.seq,
    gradAccum: numberOpt(cmd, 'grad-accum', values['grad-accum'], int1, 'must be an integer >= 1') ?? QAT_DEFAULTS.gradAccum,
    seed: numberOpt(cmd, 'seed', values.seed, (n) => Number.isInteger(n) && n >= 0, 'must be an integer >= 0') ?? QAT_DEFAULTS.seed,
    valWindows: numberOpt(cmd, 'val-windows', values['val-windows'], int1, 'must be an integer >= 1') ?? QAT_DEFAULTS.valWindows,
    warmupSteps: 0,
    ...(values['keep-float']?.length ? { keepFloat: values['keep-float'] } : {}),
    ...(values.layer?.length ? { layers: values.layer.map(parseLayerRule) } : {}),
  };
  const modelPath = values.model ?? bundledModelPath('shakespeare-f32.gguf');
  let model, tok, srcMeta: Record<string, GgufValue>;
  try {
    if (statSync(modelPath, { throwIfNoEntry: false })?.isDirectory()) {
      // A Hugging Face Llama checkpoint (config.json, model.safetensors, tokenizer.json): runtime/hf.ts.
      const hf = loadHfLlamaDir(modelPath);
      model = hf.model;
      srcMeta = hf.metadata;
    } else {
      const file = parseGgufFile(readFileSync(modelPath), modelPath);
      model = llamaWeightsFromGguf(file);
      srcMeta = file.metadata;
    }
    tok = Tokenizer.fromGguf(srcMeta);
  } catch (e) {
    if (e instanceof GgufFileError || e instanceof HfDirError || e instanceof ModelConfigError || e instanceof TokenizerError || e instanceof SafetensorsError || (e as NodeJS.ErrnoException).code) throw new UsageError(`lm qat: ${modelPath}: ${(e as Error).message}`);
    throw e;
  }
  const dataPath = values.data ?? findFile('demo/public/data/tinyshakespeare.txt');
  let data;
  try {
    data = textDataset(readFileSync(dataPath, 'utf8'), tok);
  } catch (e) {
    if (e instanceof TextDataError || e instanceof TokenizerError || (e as NodeJS.ErrnoException).code) throw new UsageError(`lm qat: ${dataPath}: ${(e as Error).message}`);
    throw e;
  }
  const out = resolve(values.out ?? 'out/shakespeare-qat.gguf');
  const every = numberOpt(cmd, 'checkpoint-every', values['checkpoint-every'], (n) => Number.isInteger(n) && n >= 0, 'must be an integer >= 0') ?? QAT_DEFAULTS.checkpointEvery;
  const ckptPath = `${out.replace(/\.gguf$/i, '')}.checkpoint.safetensors`;
  if (values.resume !== undefined) {
    try {
      opts.resume = readFileSync(values.resume);
    } catch (e) {
      throw new UsageError(`lm qat: --resume ${values.resume}: ${(e as Error).message}`);
    }
  }
  if (every > 0) {
    opts.checkpointEvery = every;
    opts.onCheckpoint = (bytes, step, phase) => {
      writeAtomic(ckptPath, bytes);
      return `${ckptPath} (the ${phase} run)`;
    };
  }
  const rulesNote = [...(opts.keepFloat ?? []).map((p) => `${p} f32`), ...(values.layer ?? [])].join(', ');
  const rule = fmt ?? (method === 'adaqat' ? `AdaQAT from W${opts.bits} g${opts.group}` : `W${opts.bits} g${opts.group}${values.asymmetric ? ' asymmetric' : ''}`);
  const what = rule + (midrise ? ' midrise' : '') + (rulesNote ? ` (${rulesNote})` : '');
  const srcName = srcMeta['general.name']?.value ?? modelPath;
  opts.metadata = { ...tokenizerMetadata(srcMeta), 'general.name': gguf.str(`${String(srcName).replace(/ \(.*\)$/, '')}, QAT ${what} (${method}${distill ? ', distilled' : ''}, ${opts.steps} steps)`) };
  const ctx = await createNodeContext();
  const t0 = performance.now();
  try {
    const adapter = `${ctx.info.vendor} ${ctx.info.architecture}${ctx.info.isFallback ? ' (software fallback: SwiftShader)' : ''}`;
    if (!values.json) console.error(`lm qat: ${modelPath}, ${what}, ${method}${opts.adaqat ? ` (lambda ${opts.adaqat.lambda}, bits updated every ${opts.adaqat.every} steps)` : ''}${distill ? ` + distillation from the ${teacher === 'baseline' ? 'trained f32 baseline' : 'start model'} (T ${temperature ?? QAT_DEFAULTS.temperature})` : ''}${opts.act ? ' + int8 activations' : ''}, ${opts.steps} steps of ${opts.gradAccum! > 1 ? `${opts.gradAccum} x ` : ''}${opts.batch} x ${opts.seq} at lr ${opts.lr} for f32 and QAT each, ${adapter}`);
    const bar = values.json ? null : new ProgressBar();
    opts.onStep = (phase, s, total, loss, ms) => bar?.update({ step: s, total, loss, msPerStep: ms, label: `${phase} ${Math.round((opts.gradAccum! * opts.batch * opts.seq * 1000) / ms)} tok/s` });
    const r = await qatLlama(ctx, model, data, opts);
    writeAtomic(out, r.gguf);
    const figures: QatCliResult = { f32_start: r.f32_start, f32_after: r.f32_after, ptq: r.ptq, qat: r.qat, converted: r.converted, recovered: r.recovered, ms_per_step_f32: r.ms_per_step_f32, ms_per_step_qat: r.ms_per_step_qat };
    const result = { ...figures, ...(every > 0 ? { checkpoint: ckptPath } : {}), ...(values.resume ? { resumed_from: values.resume } : {}), step_time_ratio: r.ms_per_step_qat / r.ms_per_step_f32, ...(r.ptq_start !== r.ptq ? { ptq_start: r.ptq_start } : {}), quant: what, method, ...(fmt || values.asymmetric ? {} : { grid: midrise ? 'midrise' : 'midtread' }), ...(opts.lsqInit ? { lsq_init: opts.lsqInit } : {}), ...(r.adaqat ? { bits: r.adaqat.bits, ...(r.adaqat.inputBits ? { input_bits: r.adaqat.inputBits } : {}), mean_bits: r.adaqat.meanBits, lambda: opts.adaqat!.lambda } : {}), distill, ...(distill ? { teacher } : {}), act: !!opts.act, steps: opts.steps, lr: opts.lr, batch: opts.batch, grad_accum: opts.gradAccum, seq: opts.seq, seed: opts.seed, model: modelPath, out, bytes: r.gguf.length, seconds: (performance.now() - t0) / 1000, adapter };
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else {
      const f = (x: number) => x.toFixed(4);
      console.log(
        [
          `validation loss, nats per byte (${opts.valWindows} windows of ${opts.seq}):`,
          `  f32 at start      ${f(r.f32_start)}`,
          `  f32 after ${opts.steps} steps ${f(r.f32_after)}`,
          `  PTQ ${(r.adaqat ? "(those bits)" : rule).padEnd(13)} ${f(r.ptq)}${midrise ? ' (the mid-tread rule: the gap\'s reference)' : ''}`,
          ...(r.ptq_start !== r.ptq ? [`  QAT at its start  ${f(r.ptq_start)} (${[midrise ? 'the midrise grid' : '', opts.lsqInit === 'mse' ? "LSQ's least-squared-error scales" : ''].filter(Boolean).join(', ')})`] : []),
          `  QAT (fake-quant)  ${f(r.qat)}`,
          `  converted (GGUF)  ${f(r.converted)}`,
          ...(r.adaqat ? [`AdaQAT chose per layer (bits): ${Object.entries(r.adaqat.bits).map(([n, b]) => `${n.replace(/\.weight$/, '')} ${b}`).join(', ')}; mean ${r.adaqat.meanBits.toFixed(2)} bits per weight (PTQ measured at these)`] : []),
          ...(r.adaqat?.inputBits ? [`AdaQAT chose per layer input (bits): ${Object.entries(r.adaqat.inputBits).map(([n, b]) => `${n.replace(/\.weight$/, '')} ${b}`).join(', ')}`] : []),
          `PTQ gap recovered: ${(100 * r.recovered).toFixed(1)}%`,
          `ms per step: f32 ${r.ms_per_step_f32.toFixed(0)}, QAT ${r.ms_per_step_qat.toFixed(0)} (${result.step_time_ratio.toFixed(2)}x)`,
          `wrote ${out} (${r.gguf.length} bytes) in ${result.seconds.toFixed(1)} s`,
        ].join('\n'),
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof QatConfigError || e instanceof AdaQatError || e instanceof ModelConfigError || e instanceof TrainingError || e instanceof RangeError || e instanceof TextDataError) throw new UsageError(`lm qat: ${e.message}`);
    throw e;
  } finally {
    ctx.destroy();
  }
}
