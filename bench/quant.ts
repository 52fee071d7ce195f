// Quantization kernels: weight quantize (several rules), dequantize to f32/f16, per-token activation quantize.
// Prints a table (median GPU time, GB/s of the bytes each kernel must move) and writes test-output/bench-quant.json (git-ignored).
// Asserts nothing about time. Run: npm run build && node dist/bench/quant.js [--sizes 1024x1024] [--repack-sizes 4096x4096]
import { mkdirSync, writeFileSync } from 'node:fs';
import { createNodeContext } from '../runtime/node.js';
import type { GpuContext } from '../src/gpu/context.js';
import { timePass } from '../src/gpu/timing.js';
import { actWordsPerRow, codeBytes, destroyQuantized, planDequantize, planDequantizeQ4_0Blocks, planQuantize, planQuantizeAct, scaleBytes, uploadQuantized } from '../src/kernels/quant.js';
import type { Dispatch } from '../src/kernels/common.js';
import { makeScheme, type QuantScheme } from '../src/quant/scheme.js';
import { quantizeRef } from '../src/ref/quant.js';
import { exportGguf, importGguf } from '../src/quant/gguf.js';
import { exportGptq, importGptq } from '../src/quant/gptq.js';
import { exportAwq, importAwq } from '../src/quant/awq.js';
import { randomF32 } from '../src/ref/random.js';

interface Row {
  kernel: string;
  shape: string;
  scheme: string;
  ms: number;
  gbps: number;
  method: string;
}

async function time(ctx: GpuContext, d: Dispatch, label: string): Promise<{ ms: number; method: string }> {
  const bound = d.kernel.bind(d.args);
  try {
    const r = await timePass(ctx, label, (pass) => bound.encode(pass, d.workgroups), { warmup: 1, reps: 5 });
    return { ms: r.median, method: r.method };
  } finally {
    bound.dispose();
  }
}

async function main(): Promise<void> {
  const arg = process.argv.indexOf('--sizes');
  const parse = (v: string) => v.split(',').map((s) => s.split('x').map(Number) as [number, number]);
  const sizes = parse(arg > 0 ? process.argv[arg + 1] : '1024x1024');
  const rarg = process.argv.indexOf('--repack-sizes');
  const repackSizes = parse(rarg > 0 ? process.argv[rarg + 1] : '4096x4096');
  const ctx = await createNodeContext();
  const adapter = `${ctx.info.vendor} ${ctx.info.architecture} ${ctx.info.description}`.trim() + (ctx.info.isFallback ? ' (software: correctness vehicle, not a speed figure)' : '');
  const schemes: [string, QuantScheme][] = [
    ['int4 g32 absmax f32', makeScheme({ bits: 4, group: 32 })],
    ['Q4_0 (g32 f16)', makeScheme({ bits: 4, group: 32, rule: 'q4_0' })],
    ['int4 g128 minmax f16', makeScheme({ bits: 4, group: 128, symmetric: false, scaleType: 'f16' })],
    ['int8 per-channel absmax', makeScheme({ bits: 8 })],
  ];
  const rows: Row[] = [];
  // nibble repacks GGUF / GPTQ / AWQ into its own layout once, at load (CPU); this is what that costs.
  const repack: { format: string; shape: string; ms: number }[] = [];
  const cpuMedian = (fn: () => unknown) => {
    const t: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      fn();
      t.push(performance.now() - t0);
    }
    return t.sort((a, b) => a - b)[1];
  };
  for (const [N, K] of repackSizes) {
    const w = randomF32(N * K, 2);
    const q40 = exportGguf('Q4_0', quantizeRef(w, N, K, makeScheme({ bits: 4, group: 32, rule: 'q4_0' })));
    repack.push({ format: 'GGUF Q4_0', shape: `${N}x${K}`, ms: cpuMedian(() => importGguf('Q4_0', q40, N, K)) });
    const mm = quantizeRef(w, N, K, makeScheme({ bits: 4, group: 128, symmetric: false, scaleType: 'f16' }));
    const g = exportGptq(mm);
    const a = exportAwq(mm);
    repack.push({ format: 'GPTQ v1 g128', shape: `${N}x${K}`, ms: cpuMedian(() => importGptq(g, { N, K, group: 128 })) });
    repack.push({ format: 'AWQ g128', shape: `${N}x${K}`, ms: cpuMedian(() => importAwq(a, { N, K, group: 128 })) });
  }
  for (const [N, K] of sizes) {
    const w = randomF32(N * K, 1);
    const W = ctx.createBuffer(w);
    for (const [name, s] of schemes) {
      const q = uploadQuantized(ctx, quantizeRef(w, N, K, s));
      const zeros = q.zeros ?? ctx.createBuffer(4);
      const status = ctx.createBuffer(Uint32Array.of(0xffffffff, 0xffffffff));
      const qb = codeBytes(s, N, K) + scaleBytes(s, N, K) * (q.zeros ? 2 : 1);
      // Repeated runs OR into already-written words: the same work as a first run.
      const tq = await time(ctx, await planQuantize(ctx, W, { codes: q.codes, scales: q.scales, zeros, status }, N, K, s), 'quantize');
      rows.push({ kernel: 'quantize', shape: `${N}x${K}`, scheme: name, ms: tq.ms, gbps: (4 * N * K + qb) / tq.ms / 1e6, method: tq.method });
      for (const out of ['f32', 'f16'] as const) {
        const Y = ctx.createBuffer((out === 'f16' ? 2 : 4) * N * K + 4);
        const td = await time(ctx, await planDequantize(ctx, q, Y, out, zeros), 'dequantize');
        rows.push({ kernel: `dequantize ${out}`, shape: `${N}x${K}`, scheme: name, ms: td.ms, gbps: ((out === 'f16' ? 2 : 4) * N * K + qb) / td.ms / 1e6, method: td.method });
        Y.destroy();
      }
      if (s.rule === 'q4_0') {
        // The choice of repacking at load: the same Q4_0 values decoded straight from the file's blocks.
        const bytes = exportGguf('Q4_0', quantizeRef(w, N, K, s));
        const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
        padded.set(bytes);
        const S = ctx.createBuffer(padded);
        const Y = ctx.createBuffer(4 * N * K);
        const tb = await time(ctx, await planDequantizeQ4_0Blocks(ctx, S, Y, (N * K) / 32), 'dequantize_q4_0_blocks');
        rows.push({ kernel: 'dequant blocks', shape: `${N}x${K}`, scheme: 'Q4_0 blocks, no repack', ms: tb.ms, gbps: (4 * N * K + bytes.length) / tb.ms / 1e6, method: tb.method });
        for (const run of [32, 1]) {
          const Y2 = ctx.createBuffer(4 * N * K);
          const tr = await time(ctx, await planDequantize(ctx, q, Y2, 'f32', zeros, run), 'dequantize');
          rows.push({ kernel: `dequant run=${run}`, shape: `${N}x${K}`, scheme: 'Q4_0 repacked', ms: tr.ms, gbps: (4 * N * K + qb) / tr.ms / 1e6, method: tr.method });
          Y2.destroy();
        }
        S.destroy();
        Y.destroy();
      }
      if (!q.zeros) zeros.destroy();
      status.destroy();
      destroyQuantized(q);
    }
    const M = Math.min(N, 64);
    const bufs = { codes: ctx.createBuffer(4 * M * actWordsPerRow(K)), scales: ctx.createBuffer(4 * M), zeros: ctx.createBuffer(4 * M), status: ctx.createBuffer(Uint32Array.of(0xffffffff)) };
    for (const sym of [true, false]) {
      const ta = await time(ctx, await planQuantizeAct(ctx, W, bufs, M, K, sym), 'quantize_act');
      rows.push({ kernel: 'quantize_act', shape: `${M}x${K}`, scheme: sym ? 'int8 symmetric' : 'uint8 asymmetric', ms: ta.ms, gbps: (5 * M * K + 8 * M) / ta.ms / 1e6, method: ta.method });
    }
    Object.values(bufs).forEach((b) => b.destroy());
    W.destroy();
  }
  console.log(`adapter: ${adapter}`);
  console.log(`${'kernel'.padEnd(16)} ${'shape'.padEnd(10)} ${'scheme'.padEnd(24)} ${'ms'.padStart(9)} ${'GB/s'.padStart(8)}  timing`);
  for (const r of rows) console.log(`${r.kernel.padEnd(16)} ${r.shape.padEnd(10)} ${r.scheme.padEnd(24)} ${r.ms.toFixed(2).padStart(9)} ${r.gbps.toFixed(3).padStart(8)}  ${r.method}`);
  console.log(`\nrepack at load (CPU, median of 3; ${process.version})`);
  for (const r of repack) console.log(`${r.format.padEnd(16)} ${r.shape.padEnd(10)} ${r.ms.toFixed(1).padStart(9)} ms`);
  mkdirSync('test-output', { recursive: true });
  writeFileSync('test-output/bench-quant.json', JSON.stringify({ adapter, rows, repack }, null, 2));
  ctx.destroy();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
