// node dist/bench/run-matmul-b16.js [--rounds N] [--shapes 1x2048x2048,32x1024x1024,...] [--json FILE]: the f32 matmul
// with F16 / BF16 weights read at 16 bits against f32 weights (bench/matmul-b16.ts). Shapes are M x K x N.
import { writeFileSync } from 'node:fs';
import { createNodeContext } from '../runtime/node.js';
import { benchMatmulB16, formatB16Bench, type B16Shape } from './matmul-b16.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const shapes: B16Shape[] | undefined = flag('--shapes')
  ?.split(',')
  .filter((s) => s !== '')
  .map((s) => {
    const m = /^(\d+)x(\d+)x(\d+)$/.exec(s);
    if (!m) throw new Error(`--shapes: '${s}' is not MxKxN`);
    return { M: Number(m[1]), K: Number(m[2]), N: Number(m[3]) };
  });
const rounds = Number(flag('--rounds') ?? 5);
const ctx = await createNodeContext();
try {
  const rows = await benchMatmulB16(ctx, { shapes, rounds, log: (l) => console.error(l) });
  console.log(formatB16Bench(ctx, rows, rounds));
  const json = flag('--json');
  if (json) writeFileSync(json, JSON.stringify({ adapter: ctx.info, rounds, rows }, null, 2));
} finally {
  ctx.destroy();
}
