// GPU top-k for sampling (shaders/lm/top_k_rows.wgsl, src/kernels/lm.ts planTopK) against src/ref/lm.ts topKRef,
// exactly: the m largest logits of a row in order (ties to the lower id, -0 as +0, NaN never picked), the first
// NaN / +Inf, the logits gathered at the penalised ids; a row with fewer non-NaN values than m; a Llama-3-sized
// vocabulary; a row that is not the first of the buffer. Node and Chromium run the same cases.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatches } from '../../src/kernels/common.js';
import { planTopK, topKGroups, topKPartWords, topKWords } from '../../src/kernels/lm.js';
import { topKRef } from '../../src/ref/lm.js';
import { randomF32 } from '../../src/ref/random.js';
import { assert, type GpuCase } from './types.js';

async function topK(ctx: GpuContext, x: Float32Array, cols: number, row: number, m: number, pen: number[], nPen: number, chunk?: number) {
  const X = ctx.createBuffer(x, undefined, 'x');
  const P = ctx.createBuffer(Uint32Array.from([pen.length, ...pen, ...new Array(Math.max(0, nPen - pen.length)).fill(0)]), undefined, 'pen');
  const O = ctx.createBuffer(4 * topKWords(m, nPen), undefined, 'out');
  const groups = topKGroups(ctx, cols, chunk);
  const L = ctx.createBuffer(4 * topKPartWords(groups, m), undefined, 'lists');
  try {
    await runDispatches(ctx, await planTopK(ctx, X, P, O, { cols, row, m, nPen, chunk }, L));
    const w = await ctx.readU32(O, topKWords(m, nPen));
    const f = new Float32Array(w.buffer, w.byteOffset, w.length);
    const ids = [...w.subarray(2, 2 + m)];
    const n = ids.indexOf(cols) < 0 ? m : ids.indexOf(cols);
    return { groups, bad: w[0], badValue: f[1], ids: ids.slice(0, n), values: [...f.subarray(2 + m, 2 + m + n)], gathered: [...f.subarray(2 + 2 * m, 2 + 2 * m + pen.length)] };
  } finally {
    [X, P, O, L].forEach((b) => b.destroy());
  }
}

function same(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (v === 0 && b[i] === 0));
}

function topKCase(what: string, cols: number, m: number, fill: (x: Float32Array) => void, o: { rows?: number; pen?: number[]; chunk?: number } = {}): GpuCase {
  return {
    name: `lm top_k_rows ${what}`,
    async run(ctx) {
      const rows = o.rows ?? 1;
      const x = randomF32(rows * cols, 71 + cols + m, -6, 6);
      const r = rows - 1;
      const rowX = x.subarray(r * cols, (r + 1) * cols);
      fill(rowX);
      const pen = o.pen ?? [];
      const got = await topK(ctx, x, cols, r, m, pen, pen.length + 3, o.chunk);
      const ref = topKRef(Float32Array.from(rowX), m, pen);
      assert(got.bad === ref.bad && (ref.bad === cols || Object.is(got.badValue, ref.badValue)), `first bad: ${got.bad} (${got.badValue}) vs ${ref.bad} (${ref.badValue})`);
      assert(same(got.ids, ref.ids), `ids ${got.ids.slice(0, 12)} vs ${ref.ids.slice(0, 12)}`);
      assert(same(got.values, ref.values), `values ${got.values.slice(0, 6)} vs ${ref.values.slice(0, 6)}`);
      assert(same(got.gathered, ref.gathered), `gathered ${got.gathered} vs ${ref.gathered}`);
      return `${got.groups} workgroup(s): ${got.ids.length} picked (first ${got.ids.slice(0, 5).join(', ')}), bad ${got.bad === cols ? 'none' : got.bad}, ${pen.length} gathered`;
    },
  };
}

export const CASES: GpuCase[] = [
  topKCase('260 logits, top 40 + 8 penalised', 260, 48, () => {}, { pen: [3, 17, 259, 0, 100, 101, 5, 9] }),
  topKCase('ties on a coarse grid, -0 and +0, -Infinity', 1000, 64, (x) => {
    for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i]) / 2;
    x[10] = -0;
    x[11] = 0;
    x[20] = -Infinity;
    x[21] = 6.5;
    x[22] = 6.5;
  }),
  topKCase('NaN never picked, the first NaN / +Inf reported', 500, 30, (x) => {
    x[7] = NaN;
    x[300] = Infinity;
    x[12] = NaN;
  }),
  topKCase('fewer non-NaN values than m', 20, 40, (x) => {
    for (let i = 0; i < 12; i++) x[i] = NaN;
  }),
  topKCase('the last of 3 rows of 777', 777, 10, () => {}, { rows: 3, pen: [776, 0] }),
  topKCase('a Llama-3 vocabulary (128256), top 104', 128256, 104, () => {}, { pen: [128255, 1, 70000] }),
  // Split across workgroups (a GPU's tuning: 2048 a workgroup; here forced): equal keys in different chunks merge in
  // index order, the first NaN sits in a later chunk, a chunk may hold fewer than m values, the last chunk is short.
  topKCase('split rows of 4096: ties across chunks, a NaN in a later chunk', 40000, 96, (x) => {
    for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i] * 2) / 4;
    x[39990] = NaN;
    x[20000] = Infinity;
  }, { chunk: 4096, pen: [39999, 4096] }),
  topKCase('split rows of 2048: most values NaN', 20000, 64, (x) => {
    for (let i = 0; i < x.length; i++) if (i % 500 !== 7) x[i] = NaN;
  }, { chunk: 2048 }),
  topKCase('split rows of 2048: a Llama-3 vocabulary', 128256, 104, () => {}, { chunk: 2048, pen: [5, 128000] }),
];
