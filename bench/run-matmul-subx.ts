// node dist/bench/run-matmul-subx.js [--rounds N] [--shapes 32x1024x1024,...] [--bits 4,8]: the W4A16 / W8A16 'rows'
// path with f32 x, its loads of x through subgroupBroadcast (SUB_X) off and on, alternated in one process (one
// sample each per round; medians), and checks that both give the same bits. Shapes are M x K x N; weights
// symmetric, g128 at 4 bits, per channel at 8 (docs/training-speed-early.md, "Sixth round").
import { createNodeContext } from '../runtime/node.js';
import { planMatmulQ, subgroupsOf4 } from '../src/kernels/matmul.js';
import { timeDispatches } from './harness.js';
import { median } from '../src/gpu/timing.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const shapes = (flag('--shapes') ?? '32x1024x1024,256x512x512,1x2048x2048')
  .split(',')
  .filter((s) => s !== '')
  .map((s) => {
    const m = /^(\d+)x(\d+)x(\d+)$/.exec(s);
    if (!m) throw new Error(`--shapes: '${s}' is not MxKxN`);
    return { M: Number(m[1]), K: Number(m[2]), N: Number(m[3]) };
  });
const bitsList = (flag('--bits') ?? '4').split(',').map(Number) as (4 | 8)[];
for (const b of bitsList) if (b !== 4 && b !== 8) throw new Error(`--bits: ${b} is not 4 or 8`);
const rounds = Number(flag('--rounds') ?? 7);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${flag('--rounds')}`);

const ctx = await createNodeContext();
try {
  if (!subgroupsOf4(ctx)) throw new Error(`SUB_X needs subgroups of at least 4 lanes; this adapter has ${ctx.caps.subgroups ? ctx.caps.subgroupMinSize : 'none'}`);
  console.log(`# W4A16 / W8A16 rows path, f32 x, SUB_X off / on: ${ctx.info.description || ctx.info.vendor}, medians of ${rounds} alternated rounds\n`);
  console.log('| bits | M x K x N | SUB_X off ms | SUB_X on ms | off / on |\n| ---: | --- | ---: | ---: | ---: |');
  for (const bits of bitsList) {
    for (const { M, K, N } of shapes) {
      const group = bits === 4 ? 128 : K;
      const wpr = Math.ceil(K / (32 / bits));
      const ng = Math.ceil(K / group);
      const codes = new Uint32Array(N * wpr).map((_, i) => Math.imul(i + 1, 2654435761) >>> 0);
      const scales = new Float32Array(N * ng).map((_, i) => 0.004 + (i % 13) * 1e-4);
      const W = { bits, N, K, group, mode: 'symmetric' as const, codes: ctx.createBuffer(codes, undefined, 'codes'), scales: ctx.createBuffer(scales, undefined, 'scales') };
      const X = ctx.createBuffer(new Float32Array(M * K).map((_, i) => Math.sin(i)), undefined, 'x');
      const Y = [ctx.createBuffer(4 * M * N, undefined, 'y off'), ctx.createBuffer(4 * M * N, undefined, 'y on')];
      try {
        const ds = [false, true].map((subX, i) => planMatmulQ(ctx, X, W, Y[i], { M, xType: 'f32', path: 'rows', subX }));
        const plans = await Promise.all(ds);
        const ms: number[][] = [[], []];
        for (let r = 0; r < rounds; r++) for (const i of [0, 1]) ms[i].push((await timeDispatches(ctx, `subX ${i}`, plans[i], r === 0 ? 1 : 0, 1)).median);
        const [a, b] = [await ctx.readF32(Y[0], M * N), await ctx.readF32(Y[1], M * N)];
        const diff = a.findIndex((v, i) => !Object.is(v, b[i]));
        if (diff >= 0) throw new Error(`${M}x${K}x${N} W${bits}: SUB_X on and off differ at y[${diff}]: ${a[diff]} vs ${b[diff]}`);
        const [off, on] = ms.map(median);
        console.log(`| ${bits} | ${M}x${K}x${N} | ${off.toFixed(2)} | ${on.toFixed(2)} | ${(off / on).toFixed(2)}x |`);
      } finally {
        [W.codes, W.scales, X, ...Y].forEach((x) => x.destroy());
      }
    }
  }
} finally {
  ctx.destroy();
}
