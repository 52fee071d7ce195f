// The language-model QAT quality benchmark (issue's protocol): from the bundled f32 Shakespeare model, N QAT steps
// (default 300) against N f32 steps on the same batches, validation loss over a fixed set of validation windows,
// for each bit width (W4 / W3 / W2, group 32) and each method (plain STE, LSQ, each with or without distillation
// from the f32 model). Prints the share of the PTQ gap recovered and the QAT / f32 step-time ratio per row.
//   npm run build && node dist/bench/lm-qat.js [--steps 300] [--bits 4,3,2] [--methods ste,lsq,ste+kd,lsq+kd,ste+kdb]
//     [--runs 2:ste,2:lsq+kd,2:lsq=mse,4:static,3a:ste,2m:lsq=mse,...] [--lsq-init rule|mse] [--lsq-lr-scale X (default: lsqScaleLr(bits))] [--min-lr-ratio 0.1] [--baseline EARLIER.json] [--lr 3e-4] [--batch 8] [--seq 64] [--val-windows 64] [--temperature 1] [--kd-weight 1] [--model F32.gguf] [--json FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createNodeContext } from '../runtime/node.js';
import { packageRoot } from '../runtime/headless.js';
import { textDataset } from '../src/data/text.js';
import { parseGgufFile } from '../src/io/gguf.js';
import { gapRecovered, qatLlama, type LmQatOptions } from '../src/lm/qat.js';
import { llamaWeightsFromGguf } from '../src/nn/llama_weights.js';
import { Tokenizer } from '../src/tokenizer/index.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string' }, bits: { type: 'string' }, methods: { type: 'string' }, lr: { type: 'string' }, batch: { type: 'string' }, seq: { type: 'string' },
    'val-windows': { type: 'string' }, model: { type: 'string' }, json: { type: 'string' }, temperature: { type: 'string' }, seed: { type: 'string' }, 'kd-weight': { type: 'string' }, runs: { type: 'string' }, baseline: { type: 'string' }, 'lsq-lr-scale': { type: 'string' }, 'lsq-init': { type: 'string' }, 'min-lr-ratio': { type: 'string' },
  },
  strict: true,
});
const steps = Number(values.steps ?? 300);
const bitsList = (values.bits ?? '4,3,2').split(',').map(Number);
const methods = (values.methods ?? 'ste,lsq,ste+kd,lsq+kd').split(',');
const modelPath = values.model ?? join(packageRoot(), 'demo/public/models/shakespeare-f32.gguf');
const file = parseGgufFile(readFileSync(modelPath), modelPath);
const model = llamaWeightsFromGguf(file);
const data = textDataset(readFileSync(join(packageRoot(), 'demo/public/data/tinyshakespeare.txt'), 'utf8'), Tokenizer.fromGguf(file.metadata));
const base = { steps, lr: Number(values.lr ?? 3e-4), batch: Number(values.batch ?? 8), seq: Number(values.seq ?? 64), seed: Number(values.seed ?? 0), valWindows: Number(values['val-windows'] ?? 64), warmupSteps: 0, minLrRatio: Number(values['min-lr-ratio'] ?? 0.1) };
const T = Number(values.temperature ?? 1);
const kdWeight = Number(values['kd-weight'] ?? 1);

const ctx = await createNodeContext();
const adapter = `${ctx.info.vendor} ${ctx.info.architecture}${ctx.info.isFallback ? ' (SwiftShader)' : ''}`;
console.log(`lm QAT bench: ${modelPath}, ${steps} steps of ${base.batch} x ${base.seq} at lr ${base.lr} (cosine to ${100 * base.minLrRatio}%), ${base.valWindows} validation windows, distillation T ${T} weight ${kdWeight}, ${adapter}`);
const rows: Record<string, unknown>[] = [];
// --baseline FILE: the f32 figures of an earlier run (its --json) with the same steps, lr, batch, seq, seed and windows.
let f32: { start: number; after: number; ms: number } | null = null;
let teacherWeights: LmQatOptions['teacherWeights'];
if (values.baseline) {
  const prev = JSON.parse(readFileSync(values.baseline, 'utf8'));
  for (const k of Object.keys(base) as (keyof typeof base)[]) if ((prev[k] ?? (k === 'minLrRatio' ? 0.1 : undefined)) !== base[k]) throw new Error(`--baseline ${values.baseline}: its ${k} is ${prev[k]}, this run's ${base[k]}`);
  const r0 = prev.rows[0];
  f32 = { start: r0.f32_start, after: r0.f32_after, ms: r0.ms_per_step_f32 };
}
try {
  // --runs 2:ste,2:lsq,... picks (bits, method) pairs; else every method at every bit width.
  // A run's width: bits (torchao's rule, group 32) or q4_0 / q8_0 (ggml's rule).
  // '3a:ste': asymmetric weights (torchao's asymmetric rule, Q4_1 in the file); '2m:lsq=mse': the midrise grid.
  type Width = { label: string; o: Pick<LmQatOptions, 'bits' | 'group' | 'format' | 'symmetric' | 'midrise'> };
  const widthOf = (b: string): Width =>
    /^q[48]_0$/i.test(b) ? { label: b.toUpperCase(), o: { format: b.toUpperCase() as 'Q4_0' | 'Q8_0' } }
    : /a$/.test(b) ? { label: `W${b.slice(0, -1)} g32 asym`, o: { bits: Number(b.slice(0, -1)), group: 32, symmetric: false } }
    : /m$/.test(b) ? { label: `W${b.slice(0, -1)} g32 midrise`, o: { bits: Number(b.slice(0, -1)), group: 32, midrise: true } }
    : { label: `W${b} g32`, o: { bits: Number(b), group: 32 } };
  const runs = values.runs ? values.runs.split(',').map((r) => r.split(':') as [string, string]).map(([b, m]) => [widthOf(b), m] as const) : bitsList.flatMap((b) => methods.map((m) => [widthOf(String(b)), m] as const));
  {
    for (const [width, m] of runs) {
      // '+kd': distillation from the start model; '+kdb': from the f32 baseline after its N steps.
      // 'lsq=mse': LSQ from the squared-error-minimising scales (else --lsq-init, default the torchao rule's); 'static':
      // STE against the start scales (the same choice of start), never trained.
      const [mpart, kd] = m.split('+') as [string, string | undefined];
      const [method, init = values['lsq-init'] ?? 'rule'] = mpart.split('=') as ['ste' | 'lsq' | 'static', string?];
      const distill = kd === 'kd' || kd === 'kdb' ? { temperature: T, weight: kdWeight, teacher: kd === 'kdb' ? ('baseline' as const) : ('start' as const) } : false;
      const needBaseline = f32 === null || (kd === 'kdb' && !teacherWeights);
      const o: LmQatOptions = { ...base, ...width.o, method, ...(method !== 'ste' ? { lsqInit: init as 'rule' | 'mse' } : {}), distill, lsqLrScale: values['lsq-lr-scale'] === undefined ? undefined : Number(values['lsq-lr-scale']), baseline: needBaseline, teacherWeights: needBaseline ? undefined : teacherWeights };
      const t0 = performance.now();
      const r = await qatLlama(ctx, model, data, o);
      if (!f32) f32 = { start: r.f32_start, after: r.f32_after, ms: r.ms_per_step_f32 };
      teacherWeights ??= r.f32Weights;
      const fig = { f32_start: f32.start, f32_after: f32.after, ptq: r.ptq, qat: r.qat };
      const row = { bits: width.o.format ?? width.o.bits, ...(width.o.symmetric === false ? { symmetric: false } : {}), ...(width.o.midrise ? { midrise: true } : {}), group: 32, method: m, ...fig, ptq_start: r.ptq_start, converted: r.converted, recovered: gapRecovered(fig), ms_per_step_f32: f32.ms, ms_per_step_qat: r.ms_per_step_qat, ratio: r.ms_per_step_qat / f32.ms, seconds: (performance.now() - t0) / 1000 };
      rows.push(row);
      console.log(`${width.label} ${m.padEnd(7)} f32 ${fig.f32_start.toFixed(4)} -> ${fig.f32_after.toFixed(4)}  PTQ ${r.ptq.toFixed(4)}${r.ptq_start !== r.ptq ? ` (start ${r.ptq_start.toFixed(4)})` : ''}  QAT ${r.qat.toFixed(4)}  converted ${r.converted.toFixed(4)}  recovered ${(100 * row.recovered).toFixed(1)}%  step ${r.ms_per_step_qat.toFixed(0)} ms (${row.ratio.toFixed(2)}x f32 ${f32.ms.toFixed(0)} ms)`);
      if (values.json) writeFileSync(values.json, JSON.stringify({ adapter, model: modelPath, ...base, temperature: T, kdWeight, rows }, null, 2));
    }
  }
} finally {
  ctx.destroy();
}
