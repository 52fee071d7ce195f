// Causal self-attention's forward and backward, two ways (what Attention.attend chooses between): ops.flashAttention
// (shaders/ops/flash_attention.wgsl: one dispatch forward, two backward, no [B, heads, T, T] scores) and the
// composition it replaced (heads permuted and KV heads repeated by copies, q k^T, the fused causal softmax, @ v, their
// backward and the copies back). Same inputs; the outputs and gradients compared each shape (f32 bound: the softmax is
// summed online). Prints per shape the median GPU ms of a forward + backward run (timestamp queries where the adapter
// has them, else wall time), the dispatches and the temporaries each schedule holds, and the ratio. Asserts nothing
// about time. Where the adapter's tuning takes flash attention's QUAD variant (the quad's shared rows through
// quadBroadcast), also flash attention with one load a lane (quad: false) and its ratio.
//   npm run build && node dist/bench/flash-attention.js [--shapes B,T,heads,kvHeads,hd;...] [--reps 9] [--json FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createNodeContext } from '../runtime/node.js';
import { Graph } from '../src/graph/graph.js';
import * as op from '../src/ops/index.js';
import { randomF32 } from '../src/ref/random.js';
import { flashQuadByDefault } from '../src/ops/flash_attention.js';
import { median } from '../src/gpu/timing.js';

const { values } = parseArgs({ options: { shapes: { type: 'string' }, reps: { type: 'string' }, json: { type: 'string' } }, strict: true });
// The bundled Shakespeare model's shape (batch 8 x 64), a longer sequence, and a 1B-class head layout.
const shapes = (values.shapes ?? '8,64,4,2,16;2,256,4,2,16;1,256,32,8,64').split(';').map((s) => {
  const [B, T, heads, kvHeads, hd] = s.split(',').map(Number);
  return { B, T, heads, kvHeads, hd };
});
const reps = Number(values.reps ?? 9);

const ctx = await createNodeContext();
const adapter = `${ctx.info.vendor} ${ctx.info.architecture} ${ctx.info.description}${ctx.info.isFallback ? ' (SwiftShader/CPU fallback: a correctness vehicle, not a GPU figure)' : ''}`;
console.log(`causal self-attention forward + backward, flash vs composed; ${adapter}; median of ${reps} runs`);
console.log('| B x T, heads / kv x hd | flash ms | composed ms | composed / flash | dispatches flash / composed | temporaries MiB flash / composed | max abs diff | flash, one load a lane, ms (/ flash) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const rows: Record<string, unknown>[] = [];
try {
  for (const s of shapes) {
    const times: number[][] = [];
    const stats: { dispatches: number; tempMiB: number }[] = [];
    const results: Float32Array[][] = [];
    const quad = flashQuadByDefault(ctx, s.T);
    for (const which of ['flash', 'composed', ...(quad ? ['lane'] : [])] as const) {
      const g = new Graph(ctx, `attention-${which}`);
      try {
        const q = g.input('q', [s.B, s.T, s.heads * s.hd], 'f32', { requiresGrad: true });
        const k = g.input('k', [s.B, s.T, s.kvHeads * s.hd], 'f32', { requiresGrad: true });
        const v = g.input('v', [s.B, s.T, s.kvHeads * s.hd], 'f32', { requiresGrad: true });
        const o = which === 'composed' ? op.causalAttentionRows(q, k, v, { heads: s.heads, kvHeads: s.kvHeads }) : op.flashAttention(q, k, v, { heads: s.heads, kvHeads: s.kvHeads, ...(which === 'lane' ? { quad: false } : {}) });
        const R = g.constant(randomF32(o.numel, 3), o.shape);
        const grads = g.backward(op.sum(op.mul(o, R)), [q, k, v]);
        const outs = [o, ...[q, k, v].map((t) => grads.get(t)!)];
        const exe = await g.compile({ outputs: outs, timing: true });
        const feeds = { q: randomF32(q.numel, 11, -2, 2), k: randomF32(k.numel, 12, -2, 2), v: randomF32(v.numel, 13, -2, 2) };
        await exe.run(feeds);
        const t: number[] = [];
        for (let r = 0; r < reps; r++) {
          const t0 = performance.now();
          await exe.run(feeds);
          t.push(exe.lastGpuMs ?? performance.now() - t0);
        }
        times.push(t);
        stats.push({ dispatches: exe.stats.dispatchesPerRun, tempMiB: exe.stats.tempBytes / 2 ** 20 });
        results.push(await Promise.all(outs.map(async (x) => Float32Array.from(await exe.read(x)))));
      } finally {
        g.destroy();
      }
    }
    let maxAbs = 0;
    results[0].forEach((a, j) => a.forEach((x, i) => (maxAbs = Math.max(maxAbs, Math.abs(x - results[1][j][i])))));
    const [f, c, lane] = times.map(median);
    if (quad) results[0].forEach((a, j) => a.forEach((x, i) => { if (!Object.is(x + 0, results[2][j][i] + 0)) throw new Error(`quad vs one load a lane: output ${j} element ${i} ${x} vs ${results[2][j][i]}`); }));
    const row = { ...s, flashMs: f, composedMs: c, ratio: c / f, dispatches: stats.map((x) => x.dispatches), tempMiB: stats.map((x) => x.tempMiB), maxAbsDiff: maxAbs, ...(quad ? { laneMs: lane } : {}) };
    rows.push(row);
    console.log(`| ${s.B} x ${s.T}, ${s.heads} / ${s.kvHeads} x ${s.hd} | ${f.toFixed(2)} | ${c.toFixed(2)} | ${(c / f).toFixed(2)}x | ${stats[0].dispatches} / ${stats[1].dispatches} | ${stats[0].tempMiB.toFixed(1)} / ${stats[1].tempMiB.toFixed(1)} | ${maxAbs.toExponential(1)} | ${quad ? `${lane.toFixed(2)} (${(lane / f).toFixed(2)}x)` : '-'} |`);
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ adapter: ctx.info, reps, rows }, null, 2));
} finally {
  ctx.destroy();
}
