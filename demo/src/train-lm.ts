// Train tab, language-model mode: QAT of the bundled Shakespeare model in the page, with the library behind
// `nibble lm qat` (src/lm/qat.ts): the f32 model's Linear layers fake-quantized and fine-tuned on Tiny Shakespeare,
// converted to a GGUF with the quantized blocks, measured (validation loss in nats per byte) and sampled: 200
// characters from the f32 model before, from the converted model after (same prompt and seed), and a download link.
import { textDataset, validationBatches, type TextDataset } from '../../src/data/text.js';
import { gguf, parseGgufFile, type GgufFile } from '../../src/io/gguf.js';
import { LanguageModel } from '../../src/lm/model.js';
import { engineValidationLoss, qatLlama, type LmQatOptions, type LmQatResult } from '../../src/lm/qat.js';
import { LM_ADAQAT_DEFAULTS } from '../../src/lm/qat_bits.js';
import type { LlamaConfig } from '../../src/nn/llama_config.js';
import { IGNORE_INDEX, type LlamaWeights } from '../../src/nn/llama_train.js';
import { llamaWeightsFromGguf, tokenizerMetadata } from '../../src/nn/llama_weights.js';
import type { LinearQatConfig } from '../../src/train/qat_plan.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { $, app, hideError, isDeviceLost, newContext, showError } from './app.js';
import { TrainChart } from './chart.js';

const MODEL = 'models/shakespeare-f32.gguf';
const TEXT = 'data/tinyshakespeare.txt';
/** The samples: what `nibble lm job` prints (prompt, length, temperature, seed). */
const SAMPLE = { prompt: 'ROMEO:\n', chars: 200, temperature: 0.8, seed: 1 };

/** The format choices: ggml's block rules, or torchao's symmetric rule at 2..4 bits per group of 32 (in Q4_0 blocks). */
const FORMATS: Record<string, { label: string; file: string; q: LinearQatConfig }> = {
  q4_0: { label: 'Q4_0', file: 'q4_0', q: { format: 'Q4_0' } },
  q8_0: { label: 'Q8_0', file: 'q8_0', q: { format: 'Q8_0' } },
  w2: { label: 'W2 g32', file: 'w2g32', q: { bits: 2, group: 32 } },
  w3: { label: 'W3 g32', file: 'w3g32', q: { bits: 3, group: 32 } },
  w4: { label: 'W4 g32', file: 'w4g32', q: { bits: 4, group: 32 } },
};

interface Bundled {
  bytes: Uint8Array;
  file: GgufFile;
  model: { config: LlamaConfig; weights: LlamaWeights };
  data: TextDataset;
}

let chart: TrainChart;
let running = false;
let bundled: Promise<Bundled> | null = null;

async function get(path: string): Promise<Response> {
  const res = await fetch(new URL(path, document.baseURI).href);
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
  return res;
}

/** The bundled f32 model and Tiny Shakespeare, tokenized by the model's own tokenizer (loaded once). */
function loadBundled(): Promise<Bundled> {
  bundled ??= (async () => {
    const [bytes, text] = await Promise.all([get(MODEL).then(async (r) => new Uint8Array(await r.arrayBuffer())), get(TEXT).then((r) => r.text())]);
    const file = parseGgufFile(bytes, MODEL);
    const model = llamaWeightsFromGguf(file);
    const data = textDataset(text, Tokenizer.fromGguf(file.metadata));
    return { bytes, file, model, data };
  })();
  bundled.catch(() => (bundled = null)); // a failed download is tried again on the next run
  return bundled;
}

/** A number input as an integer in [min, max]; the error names the field. */
function intField(id: string, name: string, min: number, max = Infinity): number {
  const v = $<HTMLInputElement>(id).value;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} '${v}' is not an integer ${max === Infinity ? `>= ${min}` : `in ${min}..${max}`}`);
  }
  return n;
}

/** The run's options from the form; each error names the field at fault. */
function options(): { o: LmQatOptions; fmt: (typeof FORMATS)[string] } {
  const fmt = FORMATS[$<HTMLSelectElement>('train-lm-format').value];
  if (!fmt) throw new Error(`format '${$<HTMLSelectElement>('train-lm-format').value}' is not one of ${Object.values(FORMATS).map((f) => f.label).join(', ')}`);
  const method = $<HTMLSelectElement>('train-lm-method').value;
  if (method !== 'ste' && method !== 'lsq' && method !== 'static' && method !== 'adaqat') throw new Error(`method '${method}' is not STE, LSQ, static or AdaQAT`);
  const what = { lsq: ['LSQ learns the scales', 'LSQ'], static: ['static fixes its own scales', 'static scales'], adaqat: ['AdaQAT learns the bit-widths', 'AdaQAT'] } as const;
  if (method !== 'ste' && fmt.q.format) throw new Error(`method ${what[method][0]}, but format ${fmt.label} fixes them (ggml's rule): choose W2, W3 or W4 g32 for ${what[method][1]}`);
  const lrText = $<HTMLInputElement>('train-lm-lr').value;
  const lr = Number(lrText);
  if (lrText.trim() === '' || !(lr > 0) || !Number.isFinite(lr)) throw new Error(`learning rate '${lrText}' is not a positive number`);
  const o: LmQatOptions = {
    ...fmt.q,
    method: method === 'adaqat' ? 'ste' : method,
    // LSQ from each group's least-squared-error scales, as `nibble lm qat` does by default (docs/lm-qat.md).
    ...(method === 'lsq' ? { lsqInit: 'mse' as const } : {}),
    // At 2 bits the midrise grid (levels +-0.5 s, +-1.5 s), the CLI's default there too (docs/lm-qat.md).
    ...(fmt.q.bits === 2 && method !== 'adaqat' ? { midrise: true } : {}),
    // AdaQAT starts from the format's bits and learns each layer's (Q4_0 or Q8_0 per layer in the file).
    ...(method === 'adaqat' ? { adaqat: { ...LM_ADAQAT_DEFAULTS } } : {}),
    distill: false,
    steps: intField('train-lm-steps', 'steps', 1),
    batch: intField('train-lm-batch', 'batch', 1),
    seq: intField('train-lm-seq', 'sequence length', 2),
    valWindows: intField('train-lm-val', 'validation windows', 1),
    seed: intField('train-lm-seed', 'seed', 0),
    lr,
    warmupSteps: 0,
    baseline: $<HTMLInputElement>('train-lm-baseline').checked,
  };
  return { o, fmt };
}

/** 200 characters from a model (the prompt included), the same prompt and seed for both. */
async function sample(gguf: Uint8Array, name: string): Promise<string> {
  const lm = await LanguageModel.load(app.ctx, new File([gguf as BlobPart], name), { warmup: false });
  try {
    let text = SAMPLE.prompt;
    for await (const piece of lm.generate(SAMPLE.prompt, { maxTokens: SAMPLE.chars, temperature: SAMPLE.temperature, seed: SAMPLE.seed, contextShift: true })) text += piece;
    return text;
  } finally {
    lm.dispose();
  }
}

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

function showResults(r: LmQatResult, f32Start: number, f32Bytes: number, o: LmQatOptions, label: string): void {
  const t = $<HTMLTableElement>('train-lm-result');
  t.innerHTML = `<caption>validation loss over ${o.valWindows} windows of ${o.seq} bytes; ${o.steps} steps of ${o.batch} windows</caption>` + '<tr><th>model</th><th>validation loss (nats/byte)</th><th>file</th><th>ms per step</th></tr>';
  const rows: [string, string, number, string, string][] = [
    ['f32', 'f32 (bundled, at the start)', f32Start, kib(f32Bytes), ''],
    ...(o.baseline ? [['f32-after', `f32 + ${o.steps} steps (baseline)`, r.f32_after, '', r.ms_per_step_f32.toFixed(0)] as [string, string, number, string, string]] : []),
    ['ptq', `PTQ ${label} (before QAT)`, r.ptq, '', ''],
    // Where QAT started when that is not the rule's PTQ: LSQ's least-squared-error scales, the midrise grid.
    ...(r.ptq_start !== r.ptq ? [['start', `QAT at its start (${[o.midrise ? 'midrise grid' : '', o.lsqInit === 'mse' ? 'least-squared-error scales' : ''].filter(Boolean).join(', ')})`, r.ptq_start, '', ''] as [string, string, number, string, string]] : []),
    ['qat', `QAT ${label} (fake-quant)`, r.qat, '', r.ms_per_step_qat.toFixed(0)],
    ['converted', `converted ${label} (GGUF${o.format ? '' : r.adaqat ? ': each layer in Q4_0 (<= 4 bits) or Q8_0 blocks' : `: ${o.bits}-bit ${o.midrise ? 'midrise codes as 2q + 1' : 'codes'} in Q4_0 blocks`}, on the inference kernels)`, r.converted, `${kib(r.gguf.length)} (${((100 * r.gguf.length) / f32Bytes).toFixed(0)}% of f32)`, ''],
  ];
  for (const [key, name, loss, size, ms] of rows) {
    const tr = t.insertRow();
    tr.dataset.row = key;
    tr.dataset.loss = String(loss);
    for (const c of [name, loss.toFixed(4), size, ms]) tr.insertCell().textContent = c;
  }
  if (r.adaqat) {
    const tr = t.insertRow();
    tr.dataset.row = 'bits';
    tr.dataset.bits = JSON.stringify(r.adaqat.bits);
    tr.insertCell().textContent = 'AdaQAT chose (bits per layer)';
    const c = tr.insertCell();
    c.colSpan = 3;
    c.textContent = `${Object.entries(r.adaqat.bits).map(([n, b]) => `${n.replace(/\.weight$/, '')} ${b}`).join(', ')}; mean ${r.adaqat.meanBits.toFixed(2)} (PTQ above at these)`;
  }
  if (o.baseline) {
    const tr = t.insertRow();
    tr.dataset.row = 'recovered';
    tr.insertCell().textContent = 'share of the PTQ gap recovered';
    const c = tr.insertCell();
    c.colSpan = 3;
    c.textContent = `${(100 * r.recovered).toFixed(0)}%: 1 - (QAT - f32 after) / (PTQ - f32 at start)`;
  }
}

async function run(): Promise<void> {
  if (running) return;
  running = true;
  const go = $<HTMLButtonElement>('train-lm-go');
  go.disabled = true;
  const progress = $('train-lm-progress');
  hideError($('train-lm-error'));
  $('train-lm-download').hidden = true;
  $('train-lm-result').innerHTML = '';
  for (const id of ['train-lm-sample-f32', 'train-lm-sample-q']) $(id).textContent = '';
  try {
    const { o, fmt } = options();
    if (app.ctx.lost) await newContext();
    const t0 = performance.now();
    progress.textContent = 'loading the model and Tiny Shakespeare…';
    const b = await loadBundled();
    if (o.seq > b.model.config.ctx) throw new Error(`sequence length ${o.seq} exceeds the model's context (${b.model.config.ctx})`);
    progress.textContent = 'sampling the f32 model…';
    $('train-lm-sample-f32').textContent = await sample(b.bytes, 'shakespeare-f32.gguf');
    // Without the baseline qatLlama does not measure the f32 model: the same windows on the inference engine.
    const f32Start = o.baseline ? NaN : await engineValidationLoss(app.ctx, b.bytes, validationBatches(b.data, o.batch, o.seq, o.valWindows, IGNORE_INDEX), o.seq, b.data);
    const phases = o.baseline ? 2 : 1;
    chart.title = o.baseline ? 'training loss (nats per byte): the f32 baseline, then QAT' : 'QAT training loss (nats per byte)';
    chart.reset(phases * o.steps);
    const srcName = String(b.file.metadata['general.name']?.value ?? 'nibble Shakespeare').replace(/ \(.*\)$/, '');
    o.metadata = { ...tokenizerMetadata(b.file.metadata), 'general.name': gguf.str(`${srcName}, QAT ${fmt.label} (${o.adaqat ? 'adaqat' : o.method}, ${o.steps} steps, in the browser)`) };
    o.onStep = (phase, step, total, loss, ms) => {
      chart.addLoss(phase === 'qat' && o.baseline ? total + step : step, loss);
      progress.textContent = `${phase === 'qat' ? `QAT ${fmt.label}` : 'f32 baseline'}: step ${step} / ${total}, loss ${loss.toFixed(4)}, ${ms.toFixed(0)} ms/step`;
    };
    progress.textContent = 'building the training graph…';
    const r = await qatLlama(app.ctx, b.model, b.data, o);
    progress.textContent = 'sampling the converted model…';
    $('train-lm-sample-q').textContent = await sample(r.gguf, `shakespeare-qat-${fmt.file}.gguf`);
    showResults(r, o.baseline ? r.f32_start : f32Start, b.bytes.length, o, fmt.label);
    const seconds = (performance.now() - t0) / 1000;
    progress.textContent = `done in ${seconds.toFixed(1)} s; median ${r.ms_per_step_qat.toFixed(0)} ms per QAT step`;
    progress.dataset.seconds = seconds.toFixed(1);
    const a = $<HTMLAnchorElement>('train-lm-download');
    if (a.href.startsWith('blob:')) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(new Blob([r.gguf as BlobPart], { type: 'application/octet-stream' }));
    a.download = `shakespeare-qat-${fmt.file}.gguf`;
    a.textContent = `download the converted model (${a.download}, ${kib(r.gguf.length)})`;
    a.hidden = false;
  } catch (e) {
    if (isDeviceLost(e)) showError($('train-lm-error'), `The GPU device was lost (${e instanceof Error ? e.message : String(e)}). Click train to start again on a new device.`);
    else showError($('train-lm-error'), e);
  } finally {
    running = false;
    go.disabled = false;
  }
}

/** LSQ and AdaQAT need a bit width without a fixed rule: offered only with the W formats. */
function syncMethod(): void {
  const fixed = FORMATS[$<HTMLSelectElement>('train-lm-format').value]?.q.format !== undefined;
  const m = $<HTMLSelectElement>('train-lm-method');
  for (const v of ['lsq', 'static', 'adaqat']) (m.querySelector(`option[value="${v}"]`) as HTMLOptionElement).disabled = fixed;
  if (fixed && m.value !== 'ste') m.value = 'ste';
}

export function setupTrainLm(): void {
  chart = new TrainChart($<HTMLCanvasElement>('train-lm-chart'), { title: 'training loss (nats per byte)', accuracy: false });
  $('train-lm-go').addEventListener('click', () => void run());
  $('train-lm-format').addEventListener('change', syncMethod);
  syncMethod();
}
