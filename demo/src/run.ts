// Run tab: the bundled (or a user's) W4 and f32 digits models, on a drawing or a test image.
import { drawingToDigit } from '../../src/data/draw.js';
import { DIGITS_CLASSES, DIGITS_MAX_PIXEL, DIGITS_PIXELS } from '../../src/data/digits.js';
import { decodeModel, expectModelShape } from '../../src/io/model.js';
import { modelBytes, QuantizedMlpRunner, type QuantizedMlp } from '../../src/mlp/qat.js';
import { argmaxRows, softmaxRows } from '../../src/mlp/trainer.js';
import { $, app, digits, hideError, pct, showError } from './app.js';
import { parseModelFile } from './parse.js';
import { MODEL_FILE_CAP, mib } from './parse-protocol.js';

type Slot = 'quant' | 'float';
const models: Record<Slot, { q: QuantizedMlp; source: string } | null> = { quant: null, float: null };
const runners = new Map<Slot, { runner: QuantizedMlpRunner; generation: number; q: QuantizedMlp }>();
let current: Float32Array | null = null;

const describe = (q: QuantizedMlp) => {
  const bits = [...new Set(q.layers.map((l) => (l.bits === null ? 'f32' : `W${l.bits} g${l.group}${l.act ? ' A8' : ''}`)))].join(' / ');
  return `${q.sizes.join('-')}, ${bits}`;
};

function showModels(): void {
  const t = $<HTMLTableElement>('run-models');
  t.innerHTML = '<tr><th>slot</th><th>model</th><th>layers</th><th>bytes</th></tr>';
  for (const [slot, m] of Object.entries(models) as [Slot, (typeof models)[Slot]][]) {
    const tr = t.insertRow();
    tr.insertCell().textContent = slot === 'quant' ? 'quantized' : 'f32';
    tr.insertCell().textContent = m?.source ?? '(none)';
    tr.insertCell().textContent = m ? describe(m.q) : '-';
    tr.insertCell().textContent = m ? modelBytes(m.q).toLocaleString('en-US') : '-';
  }
}

/** A model file (the visitor's or a bundled one), parsed in a worker: the page never parses its bytes. */
async function setModelFile(file: Blob, source: string, want?: Slot): Promise<Slot> {
  return setModel(await parseModelFile(file, source, DIGITS_PIXELS, DIGITS_CLASSES), source, want);
}

function setModel(q: QuantizedMlp, source: string, want?: Slot): Slot {
  const slot: Slot = want ?? (q.layers.every((l) => l.bits === null) ? 'float' : 'quant');
  models[slot] = { q, source };
  const old = runners.get(slot);
  if (old && old.generation === app.generation) old.runner.destroy();
  runners.delete(slot);
  showModels();
  return slot;
}

async function loadDefaults(): Promise<void> {
  for (const [slot, file] of [['quant', 'models/digits-w4g32.safetensors'], ['float', 'models/digits-f32.safetensors']] as [Slot, string][]) {
    const res = await fetch(new URL(file, document.baseURI).href);
    if (!res.ok) throw new Error(`GET ${file} answered ${res.status}`);
    await setModelFile(await res.blob(), file.split('/').pop()!, slot);
  }
}

async function runnerFor(slot: Slot): Promise<QuantizedMlpRunner | null> {
  const m = models[slot];
  if (!m) return null;
  const have = runners.get(slot);
  if (have && have.generation === app.generation && have.q === m.q) return have.runner;
  const runner = await QuantizedMlpRunner.create(app.ctx, m.q, 1, { activations: 'auto' }); // f16 activations where the model allows
  runners.set(slot, { runner, generation: app.generation, q: m.q });
  return runner;
}

function preview(x: Float32Array): void {
  const c = $<HTMLCanvasElement>('run-preview');
  const g = c.getContext('2d')!;
  const s = c.width / 8;
  for (let i = 0; i < 64; i++) {
    const v = Math.round(255 * (1 - x[i] / DIGITS_MAX_PIXEL));
    g.fillStyle = `rgb(${v},${v},${v})`;
    g.fillRect((i % 8) * s, Math.floor(i / 8) * s, s, s);
  }
}

/** Predicts `pixels` (64 values 0..16) with both models and fills the result table. */
export async function predict(pixels: Float32Array): Promise<{ quant: number | null; float: number | null }> {
  current = pixels;
  preview(pixels);
  const x = pixels.map((v) => v / DIGITS_MAX_PIXEL);
  const out: Record<Slot, { p: Float32Array; cls: number; ms: number; variant: string } | null> = { quant: null, float: null };
  for (const slot of ['quant', 'float'] as Slot[]) {
    const r = await runnerFor(slot);
    if (!r) continue;
    await r.run(x); // first run compiles; the timed one is the second
    const t0 = performance.now();
    const logits = await r.run(x);
    const ms = performance.now() - t0;
    out[slot] = { p: softmaxRows(logits, 1), cls: argmaxRows(logits, 1)[0], ms, variant: r.variant };
  }
  const t = $<HTMLTableElement>('run-result');
  t.innerHTML = '<tr><th>class</th><th>quantized</th><th>f32</th></tr>';
  for (let c = 0; c < DIGITS_CLASSES; c++) {
    const tr = t.insertRow();
    tr.insertCell().textContent = String(c);
    for (const slot of ['quant', 'float'] as Slot[]) {
      const cell = tr.insertCell();
      const o = out[slot];
      if (!o) continue;
      const p = o.p[c];
      cell.innerHTML = `<span style="display:inline-block;width:${Math.round(80 * p)}px;height:10px;background:${c === o.cls ? '#1f6feb' : '#9ab'}"></span> ${pct(p)}`;
    }
  }
  for (const [label, f] of [
    ['prediction', (o: NonNullable<(typeof out)[Slot]>) => String(o.cls)],
    ['inference time', (o: NonNullable<(typeof out)[Slot]>) => `${o.ms.toFixed(2)} ms (submit to read-back, batch 1)`],
    ['kernel', (o: NonNullable<(typeof out)[Slot]>) => o.variant],
  ] as const) {
    const tr = t.insertRow();
    tr.insertCell().textContent = label;
    for (const slot of ['quant', 'float'] as Slot[]) {
      const cell = tr.insertCell();
      const o = out[slot];
      cell.textContent = o ? f(o) : '-';
      if (label === 'prediction') cell.id = `run-pred-${slot}`;
    }
  }
  return { quant: out.quant?.cls ?? null, float: out.float?.cls ?? null };
}

async function pickTest(index: number): Promise<void> {
  const s = await digits();
  const i = Math.max(0, Math.min(s.test.count - 1, Math.floor(index)));
  $<HTMLInputElement>('run-index').value = String(i);
  $('run-label').textContent = `test image #${i}: label ${s.test.labels[i]}`;
  await predict(s.test.images.slice(i * DIGITS_PIXELS, (i + 1) * DIGITS_PIXELS));
}

function setupDrawing(): void {
  const c = $<HTMLCanvasElement>('run-draw');
  const g = c.getContext('2d', { willReadFrequently: true })!;
  const clear = () => {
    g.fillStyle = '#fff';
    g.fillRect(0, 0, c.width, c.height);
  };
  clear();
  let down = false;
  let last: [number, number] | null = null;
  const pos = (e: PointerEvent): [number, number] => {
    const r = c.getBoundingClientRect();
    return [((e.clientX - r.left) * c.width) / r.width, ((e.clientY - r.top) * c.height) / r.height];
  };
  c.addEventListener('pointerdown', (e) => {
    down = true;
    last = pos(e);
    c.setPointerCapture(e.pointerId);
  });
  c.addEventListener('pointermove', (e) => {
    if (!down || !last) return;
    const p = pos(e);
    g.strokeStyle = '#000';
    g.lineWidth = 14;
    g.lineCap = 'round';
    g.beginPath();
    g.moveTo(...last);
    g.lineTo(...p);
    g.stroke();
    last = p;
  });
  c.addEventListener('pointerup', () => {
    down = false;
    last = null;
  });
  $('run-clear').addEventListener('click', clear);
  guarded('run-predict-drawing', async () => {
    const img = g.getImageData(0, 0, c.width, c.height);
    const d = drawingToDigit(img.data, img.width, img.height);
    if (!d) throw new Error('the canvas is empty: draw a digit first');
    $('run-label').textContent = 'your drawing';
    await predict(d);
  });
}

function guarded(id: string, fn: () => Promise<void>): void {
  $(id).addEventListener('click', async () => {
    hideError($('run-error'));
    try {
      await fn();
    } catch (e) {
      showError($('run-error'), e);
    }
  });
}

export async function setupRun(): Promise<void> {
  setupDrawing();
  $('run-cap').textContent = `files up to ${mib(MODEL_FILE_CAP)}, read in a worker`;
  guarded('run-pick', () => pickTest(Number($<HTMLInputElement>('run-index').value)));
  guarded('run-random', async () => pickTest(Math.floor(Math.random() * (await digits()).test.count)));
  guarded('run-defaults', loadDefaults);
  $('run-file').addEventListener('change', async () => {
    const input = $<HTMLInputElement>('run-file');
    const f = input.files?.[0];
    if (!f) return;
    hideError($('run-error'));
    try {
      await setModelFile(f, f.name);
      if (current) await predict(current);
    } catch (e) {
      showError($('run-error'), e);
    }
  });
  showModels();
  try {
    await loadDefaults();
  } catch (e) {
    showError($('run-error'), e);
  }
}

/** The Train tab hands its converted model here (made by this page, so decoded here). */
export function useModel(bytes: Uint8Array, source: string): void {
  setModel(expectModelShape(decodeModel(bytes, source), DIGITS_PIXELS, DIGITS_CLASSES, source), source, 'quant');
}
