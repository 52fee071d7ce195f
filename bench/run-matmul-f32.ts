// node dist/bench/run-matmul-f32.js [--rounds N] [--variants naive,rows c8,...] [--layers 32x1024x1024,...]
//   [--products forward,xWt,dX,dW] [--json FILE]: the f32 matmul variants on a linear layer's training products
// next to the W4A16 GEMM at the same shape (bench/matmul-f32.ts). Layers are T x in x out.
import { writeFileSync } from 'node:fs';
import { createNodeContext } from '../runtime/node.js';
import { benchMatmulF32, formatF32Bench, type LayerShape, type Product } from './matmul-f32.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const list = (name: string) => flag(name)?.split(',').filter((s) => s !== '');
const layers: LayerShape[] | undefined = list('--layers')?.map((s) => {
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(s);
  if (!m) throw new Error(`--layers: '${s}' is not TxINxOUT`);
  return { T: Number(m[1]), inF: Number(m[2]), outF: Number(m[3]) };
});
const rounds = Number(flag('--rounds') ?? 5);
const ctx = await createNodeContext();
try {
  const result = await benchMatmulF32(ctx, { layers, rounds, variants: list('--variants'), products: list('--products') as Product[] | undefined, log: (l) => console.error(l) });
  console.log(formatF32Bench(ctx, result, rounds));
  const json = flag('--json');
  if (json) writeFileSync(json, JSON.stringify({ adapter: ctx.info, rounds, ...result }, null, 2));
} finally {
  ctx.destroy();
}
