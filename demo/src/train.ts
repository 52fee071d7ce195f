// Train tab: QAT fine-tuning in the page (src/mlp/finetune.ts), a live chart, convert, compare, download. The
// model switch picks the digits MLP (here) or the language model (train-lm.ts).
import { DIGITS_PIXELS } from '../../src/data/digits.js';
import { decodeModel, encodeModel } from '../../src/io/model.js';
import { initMlp, type MlpWeights } from '../../src/nn/mlp.js';
import { qatFinetune, type FinetuneOptions } from '../../src/mlp/finetune.js';
import { toDataset } from '../../src/mlp/pipeline.js';
import { weightsOf } from '../../src/mlp/qat.js';
import { $, app, digits, hideError, isDeviceLost, newContext, pct, showError } from './app.js';
import { TrainChart } from './chart.js';
import { setupTrainLm } from './train-lm.js';
import { useModel } from './run.js';

let chart: TrainChart;
let running = false;
/** What a restart after a lost device needs: the run's start and options, and its last checkpoint. */
let last: { start: MlpWeights; o: FinetuneOptions; checkpoint: Uint8Array | null; step: number } | null = null;

async function startWeights(): Promise<MlpWeights> {
  if ($<HTMLSelectElement>('train-start').value === 'bundled') {
    const res = await fetch(new URL('models/digits-f32.safetensors', document.baseURI).href);
    if (!res.ok) throw new Error(`GET models/digits-f32.safetensors answered ${res.status}`);
    return weightsOf(decodeModel(await res.arrayBuffer(), 'digits-f32.safetensors'));
  }
  const h = Number($<HTMLInputElement>('train-hidden').value);
  if (!Number.isInteger(h) || h <= 0) throw new Error(`hidden size ${$<HTMLInputElement>('train-hidden').value} is not a positive integer`);
  return initMlp([DIGITS_PIXELS, h, h, 10], 0);
}

function options(): FinetuneOptions {
  const num = (id: string) => Number($<HTMLInputElement>(id).value);
  const lr = Number($<HTMLInputElement>('train-lr').value);
  if (!(lr > 0)) throw new Error(`learning rate '${$<HTMLInputElement>('train-lr').value}' is not a positive number`);
  const epochs = num('train-epochs');
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error('epochs must be a positive integer');
  return {
    bits: num('train-bits'),
    group: num('train-group'),
    act: $<HTMLInputElement>('train-act').checked,
    epochs,
    batch: num('train-batch'),
    lr,
    seed: 1,
    evalEvery: num('train-every') > 0 ? num('train-every') : undefined,
    learn: $<HTMLInputElement>('train-lsq').checked,
    adaqat: $<HTMLInputElement>('train-adaqat').checked ? { lambda: lambda() } : undefined,
  };
}

function lambda(): number {
  const v = $<HTMLInputElement>('train-lambda').value;
  const x = Number(v);
  if (!(x >= 0) || v.trim() === '') throw new Error(`AdaQAT cost weight '${v}' is not a number >= 0`);
  return x;
}

/** The per-layer bit-width table: chosen bits (and AdaQAT's real values while it learns them). */
function showLayers(sizes: number[], rows: { weight: number | null; act: number | null; wReal?: number | null; aReal?: number | null }[], title: string): void {
  const t = $<HTMLTableElement>('train-layers');
  t.innerHTML = `<caption>${title}</caption><tr><th>layer</th><th>shape [out, in]</th><th>weight bits</th><th>activation bits</th></tr>`;
  const fmt = (b: number | null, real?: number | null) => (b === null ? 'f32' : real != null ? `${b} (b = ${real.toFixed(2)})` : String(b));
  rows.forEach((r, i) => {
    const tr = t.insertRow();
    tr.dataset.weightBits = String(r.weight);
    tr.insertCell().textContent = String(i);
    tr.insertCell().textContent = `[${sizes[i + 1]}, ${sizes[i]}]`;
    tr.insertCell().textContent = fmt(r.weight, r.wReal);
    tr.insertCell().textContent = fmt(r.act, r.aReal);
  });
}

async function run(resume: boolean): Promise<void> {
  if (running) return;
  running = true;
  const go = $<HTMLButtonElement>('train-go');
  go.disabled = true;
  hideError($('train-error'));
  $('train-lost').hidden = true;
  $('train-download').hidden = true;
  $('train-result').innerHTML = '';
  $('train-layers').innerHTML = '';
  try {
    const split = await digits();
    const trainSet = toDataset(split.train);
    const testSet = toDataset(split.test);
    if (!resume || !last) {
      last = { start: await startWeights(), o: options(), checkpoint: null, step: 0 };
      chart.reset(Math.floor(trainSet.count / last.o.batch) * last.o.epochs);
    } else {
      await newContext();
      last.o = { ...last.o, resume: last.checkpoint ?? undefined };
      // The chart keeps the points up to the checkpoint; later ones are redone.
      chart.loss = chart.loss.filter((p) => p[0] <= last!.step);
      chart.acc = chart.acc.filter((p) => p[0] <= last!.step);
    }
    const run = last;
    const t0 = performance.now();
    const r = await qatFinetune(app.ctx, run.start, trainSet, testSet, run.o, {
      onStep: (s) => {
        chart.addLoss(s.step, s.loss);
        if (app.loseAtStep === s.step) {
          app.loseAtStep = null;
          app.ctx.device.destroy();
        }
        $('train-progress').textContent = `step ${s.step} / ${s.total} (epoch ${s.epoch + 1}): loss ${s.loss.toFixed(4)}, ${s.ms.toFixed(1)} ms/step, lr ${s.lr.toExponential(2)}`;
      },
      onEval: (step, acc) => chart.addAccuracy(step, acc),
      onBits: (b, step) =>
        showLayers(run.start.sizes, b.weightBits.map((w, i) => ({ weight: w, act: b.actBits[i], wReal: b.weightReal[i], aReal: b.actReal[i] })), `AdaQAT bit-widths after step ${step} (${b.updates} updates, cost ${b.cost.toFixed(2)})`),
      onCheckpoint: (bytes, step) => {
        run.checkpoint = bytes;
        run.step = step;
      },
    });
    const wBits = run.o.adaqat ? `AdaQAT W ${r.layerBits.map((l) => l.weight ?? 'f32').join('/')}` : `W${run.o.bits}`;
    const aBits = run.o.act ? (run.o.adaqat ? ` + A ${r.layerBits.map((l) => l.act ?? 'f32').join('/')}` : run.o.learn ? ' + A8 per tensor (LSQ+)' : ' + A8 per token') : '';
    const name = `${wBits} ${run.o.group ? `g${run.o.group}` : 'per channel'}${run.o.learn ? ' LSQ' : ''}${aBits}`;
    showLayers(run.start.sizes, r.layerBits.map((l, i) => ({ ...l, wReal: r.adaqat?.weightReal[i], aReal: r.adaqat?.actReal[i] })), run.o.adaqat ? `bit-widths AdaQAT chose (${r.adaqat!.updates} updates, cost ${r.adaqat!.cost.toFixed(2)})` : 'bit-widths per layer');
    const t = $<HTMLTableElement>('train-result');
    t.innerHTML = '<tr><th>model</th><th>test accuracy</th><th>size (bytes)</th></tr>';
    for (const [m, a, b] of [
      ['f32 (start)', r.floatAccuracy, r.floatBytes],
      [`PTQ ${name} (before QAT)`, r.ptqAccuracy, r.convertedBytes],
      [`QAT ${name} (fake-quant)`, r.qatAccuracy, r.convertedBytes],
      [`converted ${name} [${r.variant}]`, r.convertedAccuracy, r.convertedBytes],
    ] as [string, number, number][]) {
      const tr = t.insertRow();
      tr.insertCell().textContent = m;
      tr.insertCell().textContent = pct(a);
      tr.insertCell().textContent = `${b.toLocaleString('en-US')} (${((100 * b) / r.floatBytes).toFixed(1)}% of f32)`;
    }
    $('train-progress').textContent = `done in ${((performance.now() - t0) / 1000).toFixed(1)} s; median ${r.msPerStep.toFixed(1)} ms per QAT step`;
    const bytes = encodeModel(r.converted);
    const a = $<HTMLAnchorElement>('train-download');
    if (a.href) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
    a.download = run.o.adaqat ? `digits-adaqat-g${run.o.group}.safetensors` : `digits-qat-w${run.o.bits}g${run.o.group}.safetensors`;
    a.hidden = false;
    useModel(bytes, `trained in this page (${name})`);
  } catch (e) {
    if (isDeviceLost(e) && last) {
      $('train-lost').hidden = false;
      $('train-lost-text').textContent =
        `The GPU device was lost during training (${e instanceof Error ? e.message : String(e)}). ` +
        (last.checkpoint ? `The last checkpoint is from step ${last.step}. ` : 'No checkpoint was saved yet: a restart begins at step 0. ');
    } else {
      showError($('train-error'), e);
    }
  } finally {
    running = false;
    go.disabled = false;
  }
}

export function setupTrain(): void {
  chart = new TrainChart($<HTMLCanvasElement>('train-chart'));
  $('train-go').addEventListener('click', () => void run(false));
  $('train-restart').addEventListener('click', () => void run(true));
  const mode = $<HTMLSelectElement>('train-model');
  mode.addEventListener('change', () => {
    $('train-digits').hidden = mode.value !== 'digits';
    $('train-lm').hidden = mode.value !== 'lm';
  });
  setupTrainLm();
}
