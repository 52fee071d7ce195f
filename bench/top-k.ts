// Picking a sampled token from a vocabulary's logits already on the GPU, two ways (what LanguageModel.generate's
// gpuTopK chooses between): "row" copies the whole row to a staging buffer, maps it and runs the CPU sampler on it
// (Sampler.sample); "gpu top-k" runs shaders/lm/top_k_rows.wgsl (planTopK: the top-k + penalised ids' logits, the
// penalised ids' raw logits, the first NaN / +Inf), copies those few words back and finishes on the CPU
// (Sampler.sampleTop). llama.cpp's default chain (top-k 40, top-p 0.95, min-p 0.05, temperature 0.8, repeat penalty
// 1.1 over the last 64 tokens), so the GPU returns 40 + 64 candidates. Both picks are checked equal each round.
// Prints the median ms per pick and the bytes read back, per vocabulary size, and the ratio. Asserts nothing about time.
//   npm run build && node dist/bench/top-k.js [--vocab 260,32000,128256] [--rounds 15] [--json FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createNodeContext } from '../runtime/node.js';
import { planTopK, topKGroups, topKPartWords, topKWords } from '../src/kernels/lm.js';
import { Sampler } from '../src/lm/sampling.js';
import { randomF32 } from '../src/ref/random.js';
import { median } from '../src/gpu/timing.js';

const { values } = parseArgs({ options: { vocab: { type: 'string' }, rounds: { type: 'string' }, json: { type: 'string' } }, strict: true });
const vocabs = (values.vocab ?? '260,32000,128256').split(',').map(Number);
const rounds = Number(values.rounds ?? 15);

const ctx = await createNodeContext();
const adapter = `${ctx.info.vendor} ${ctx.info.architecture}${ctx.info.isFallback ? ' (SwiftShader)' : ''}`;
const rows: { vocab: number; groups: number; rowMs: number; topMs: number; rowBytes: number; topBytes: number; ratio: number }[] = [];
try {
  for (const V of vocabs) {
    const logits = randomF32(V, 5 + V, -8, 8);
    const X = ctx.createBuffer(logits, undefined, 'logits');
    const nPen = 64;
    const m = 40 + nPen;
    const words = topKWords(m, nPen);
    const pen = ctx.createBuffer(4 * (1 + nPen), undefined, 'pen');
    const out = ctx.createBuffer(4 * words, undefined, 'top');
    const stageRow = ctx.buffer({ size: 4 * V, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'row staging' });
    const stageTop = ctx.buffer({ size: 4 * words, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'top staging' });
    const groups = topKGroups(ctx, V);
    const part = ctx.createBuffer(4 * topKPartWords(groups, m), undefined, 'lists');
    const ds = await planTopK(ctx, X, pen, out, { cols: V, m, nPen }, part);
    const bound = ds.map((d) => ({ b: d.kernel.bind(d.args), wg: d.workgroups }));
    const recent = Array.from({ length: 64 }, (_, i) => (i * 7919) % V);
    const opts = { seed: 9 };
    const [sa, sb] = [new Sampler(opts), new Sampler(opts)];
    const tRow: number[] = [];
    const tTop: number[] = [];
    try {
      for (let r = 0; r < rounds; r++) {
        let t0 = performance.now();
        await ctx.submit(['row'], (enc) => enc.copyBufferToBuffer(X, 0, stageRow, 0, 4 * V));
        await stageRow.mapAsync(GPUMapMode.READ);
        const row = new Float32Array(stageRow.getMappedRange().slice(0));
        stageRow.unmap();
        const a = sa.sample(row, recent);
        tRow.push(performance.now() - t0);
        t0 = performance.now();
        const gather = sb.penalisedIds(recent, V);
        ctx.write(pen, Uint32Array.from([gather.length, ...gather]));
        await ctx.submit(['top-k'], (enc) => {
          const pass = enc.beginComputePass();
          for (const { b, wg } of bound) b.encode(pass, wg);
          pass.end();
          enc.copyBufferToBuffer(out, 0, stageTop, 0, 4 * words);
        });
        await stageTop.mapAsync(GPUMapMode.READ);
        const w = new Uint32Array(stageTop.getMappedRange().slice(0));
        stageTop.unmap();
        const f = new Float32Array(w.buffer);
        const b = sb.sampleTop({ ids: [...w.subarray(2, 2 + m)], logits: [...f.subarray(2 + m, 2 + 2 * m)] }, { ids: gather, logits: [...f.subarray(2 + 2 * m, 2 + 2 * m + gather.length)] }, { index: w[0], value: f[1] }, V, recent);
        tTop.push(performance.now() - t0);
        if (a !== b) throw new Error(`vocab ${V} round ${r}: the row picked ${a}, the GPU top-k ${b}`);
      }
    } finally {
      bound.forEach(({ b }) => b.dispose());
      [X, pen, out, part, stageRow, stageTop].forEach((x) => x.destroy());
    }
    const row = { vocab: V, groups, rowMs: median(tRow.slice(1)), topMs: median(tTop.slice(1)), rowBytes: 4 * V, topBytes: 4 * words, ratio: 0 };
    row.ratio = row.rowMs / row.topMs;
    rows.push(row);
    console.log(`vocab ${String(V).padStart(6)}: row ${row.rowMs.toFixed(2)} ms (${row.rowBytes} B back), GPU top-k ${row.topMs.toFixed(2)} ms (${row.topBytes} B back, ${groups} workgroup${groups > 1 ? 's + merge' : ''}): row / top-k = ${row.ratio.toFixed(2)}x`);
  }
  console.log(`adapter: ${adapter}; median of ${rounds - 1} picks after one warm-up, the two picks equal every round`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), adapter, rows }, null, 2));
} finally {
  ctx.destroy();
}
