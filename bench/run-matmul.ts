// node dist/bench/run-matmul.js [--quick] [--all] [--json FILE] [sweep flags]: the matmul bench on this machine's
// adapter (Dawn). Sweep flags (comma-separated lists; each narrows or widens what --all / the default runs):
//   --shapes 1x4096x4096,1x4096x11008   only these MxKxN shapes, unscaled
//   --paths split,splitcols             only these quantized paths (rows, split, splitcols, tiled)
//   --wg 32,64,128,256                  split GEMV workgroup sizes (split and splitcols)
//   --cols 1,2,4,8                      splitcols output columns per workgroup
//   --bits 4                            4 (W4A16) and/or 8 (W8A16, W8A8)
//   --f16 native,emulated               f16 activation modes
//   --subgroups on,off                  split GEMV reductions: subgroups and/or workgroup tree
//   --reps N                            timed repetitions per row
//   --formats Q4_K,Q6_K,...             GGUF block types also timed on the GEMV shapes (all: every type nibble reads)
//   --stream N                          GEMV rows: time N back-to-back copies of the weights per pass (1: a pass of
//                                       one dispatch; default: >= 256 MiB of copies on a GPU, 1 on a CPU adapter)
//   --tuning '{"matmulQ":{...}}'        lay these tuning fields over the adapter's table entry (e.g. a `# GEMV pick`),
//                                       so the default rows and the targets table run that configuration
import { writeFileSync } from 'node:fs';
import { createNodeContext } from '../runtime/node.js';
import type { MatmulPath } from '../src/kernels/matmul.js';
import { runMatmulBench, type MatmulBenchOptions, type Shape } from './matmul.js';
import { GGUF_BLOCKS, type GgufBlockType } from '../src/quant/gguf.js';
import { setTuningOverride, type TuningOverride } from '../src/kernels/tuning.js';

const args = process.argv.slice(2);
const KNOWN = new Set(['--quick', '--all', '--json', '--shapes', '--paths', '--wg', '--cols', '--bits', '--f16', '--subgroups', '--reps', '--formats', '--tuning', '--stream']);

function usage(msg: string): never {
  console.error(`run-matmul: ${msg}`);
  process.exit(2);
}

for (const [i, a] of args.entries()) {
  if (a.startsWith('--') && !KNOWN.has(a)) usage(`unknown flag '${a}' (flags: ${[...KNOWN].join(' ')})`);
  if (['--json', '--shapes', '--paths', '--wg', '--cols', '--bits', '--f16', '--subgroups', '--reps', '--formats', '--tuning', '--stream'].includes(a) && (args[i + 1] === undefined || args[i + 1].startsWith('--'))) usage(`${a} needs a value`);
}

function list(flag: string): string[] | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1].split(',').filter((s) => s !== '');
}

function ints(flag: string, ok: (n: number) => boolean, what: string): number[] | undefined {
  return list(flag)?.map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || !ok(n)) usage(`${flag}: '${s}' is not ${what}`);
    return n;
  });
}

function choices<T extends string>(flag: string, allowed: readonly T[]): T[] | undefined {
  return list(flag)?.map((s) => {
    if (!allowed.includes(s as T)) usage(`${flag}: '${s}' is not one of ${allowed.join(', ')}`);
    return s as T;
  });
}

const shapes: Shape[] | undefined = list('--shapes')?.map((s) => {
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(s);
  if (!m || [m[1], m[2], m[3]].some((v) => Number(v) < 1)) usage(`--shapes: '${s}' is not MxKxN (positive integers)`);
  return { M: Number(m[1]), K: Number(m[2]), N: Number(m[3]) };
});
const opts: MatmulBenchOptions = {
  quick: args.includes('--quick'),
  variants: args.includes('--all') ? 'all' : undefined,
  shapes,
  paths: choices<MatmulPath>('--paths', ['rows', 'split', 'splitcols', 'tiled']),
  splitWG: ints('--wg', (n) => n > 0 && (n & (n - 1)) === 0, 'a power of two'),
  colsPerWG: ints('--cols', (n) => n >= 1 && n <= 8, 'an integer in 1..8'),
  bits: ints('--bits', (n) => n === 4 || n === 8, '4 or 8') as (4 | 8)[] | undefined,
  f16: choices('--f16', ['native', 'emulated'] as const),
  subgroups: choices('--subgroups', ['on', 'off'] as const)?.map((s) => s === 'on'),
  reps: ints('--reps', (n) => n > 0, 'a positive integer')?.[0],
  stream: ints('--stream', (n) => n >= 1 && n <= 256, 'an integer in 1..256')?.[0],
  formats: list('--formats')?.[0] === 'all' ? (Object.keys(GGUF_BLOCKS) as GgufBlockType[]) : choices('--formats', Object.keys(GGUF_BLOCKS) as GgufBlockType[]),
};
const tuningAt = args.indexOf('--tuning');
if (tuningAt >= 0) {
  let o: TuningOverride;
  try {
    o = JSON.parse(args[tuningAt + 1]);
  } catch (e) {
    usage(`--tuning: not JSON: ${(e as Error).message}`);
  }
  try {
    setTuningOverride(o);
  } catch (e) {
    usage(`--tuning: ${(e as Error).message}`);
  }
}
const jsonAt = args.indexOf('--json');
const ctx = await createNodeContext();
try {
  const result = await runMatmulBench(ctx, opts);
  if (jsonAt >= 0) writeFileSync(args[jsonAt + 1], JSON.stringify(result, null, 2));
} finally {
  ctx.pool.clear();
}
process.exit(0);
