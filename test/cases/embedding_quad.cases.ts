// The embedding's backward (shaders/ops/embedding.wgsl, SCATTER) with its QUAD variant (the ids every invocation
// scans loaded four at a time, one a lane, and shared by quadBroadcast) and without: the table's gradient equals, bit
// for bit, the f32 sum of the dy rows in id order (what both variants compute) for id counts that are and are not
// multiples of 4, rows of 1 to 7 column chunks (lanes of a quad on several table rows), tables whose last quad has
// lanes past the end, repeated ids and ids outside [0, vocab) (which add to no row).
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import * as op from '../../src/ops/index.js';
import { randomF32 } from '../../src/ref/random.js';
import { subgroupsOf4 } from '../../src/kernels/common.js';
import { setTuningOverride, tuningOverride } from '../../src/kernels/tuning.js';
import { assert, type GpuCase } from './types.js';

interface ScatterCase {
  vocab: number;
  dim: number;
  count: number;
}

/** dtable[v] = the f32 sum, in id order, of dy[k] over k with ids[k] == v. */
function scatterRef(ids: Int32Array, dy: Float32Array, vocab: number, dim: number): Float32Array {
  const out = new Float32Array(vocab * dim);
  ids.forEach((v, k) => {
    if (v < 0 || v >= vocab) return;
    for (let d = 0; d < dim; d++) out[v * dim + d] = Math.fround(out[v * dim + d] + dy[k * dim + d]);
  });
  return out;
}

function scatterCase(c: ScatterCase): GpuCase {
  const name = `embedding backward, quad and one load a lane: vocab ${c.vocab} x dim ${c.dim}, ${c.count} ids`;
  return {
    name,
    needs: (ctx) => (subgroupsOf4(ctx) ? null : 'the adapter has no subgroups of 4 or more lanes'),
    async run(ctx: GpuContext) {
      // Seeded ids in [-1, vocab]: every row of a small table hit several times, one id past each end, and the last
      // one in the table (a quad's lanes past the count reload it: they must not add it again).
      const ids = Int32Array.from(randomF32(c.count, 5, -1, c.vocab + 1), (x) => Math.floor(x));
      ids[0] = -1;
      if (c.count > 2) ids[1] = c.vocab;
      ids[c.count - 1] = c.vocab > 1 ? c.vocab - 1 : c.vocab;
      const table = randomF32(c.vocab * c.dim, 6);
      const dy = randomF32(c.count * c.dim, 7, -2, 2);
      const want = scatterRef(ids, dy, c.vocab, c.dim);
      const before = tuningOverride();
      const seen: string[] = [];
      try {
        for (const quad of [true, false]) {
          setTuningOverride({ ...before, embedding: { quad } });
          const g = new Graph(ctx, `${name} ${quad}`);
          try {
            const t = g.input('table', [c.vocab, c.dim], 'f32', { requiresGrad: true });
            const i = g.input('ids', [c.count], 'i32');
            const y = op.embedding(t, i);
            const grad = g.backward(op.sum(op.mul(y, g.constant(dy, [c.count, c.dim]))), [t]).get(t)!;
            const exe = await g.compile({ outputs: [grad] });
            const kernels = exe.schedule().flatMap((s) => s.kernels);
            const scatter = kernels.find((k) => k.startsWith('embedding_scatter_add'));
            assert(!!scatter && scatter.includes('quad') === quad, `quad ${quad}: the scatter kernel is ${scatter}`);
            seen.push(scatter!);
            await exe.run({ table, ids });
            const got = await exe.read(grad);
            for (let j = 0; j < want.length; j++) {
              assert(Object.is(got[j] + 0, want[j] + 0), `quad ${quad}: dtable[${Math.floor(j / c.dim)}, ${j % c.dim}] ${got[j]}, the f32 sum in id order ${want[j]}`);
            }
          } finally {
            g.destroy();
          }
        }
      } finally {
        setTuningOverride(before);
      }
      return `${want.length} values bit for bit (${seen.join(', ')})`;
    },
  };
}

export const CASES: GpuCase[] = [
  { vocab: 260, dim: 64, count: 512 }, // the bundled model's: 4 chunks a row, a quad a row
  { vocab: 9, dim: 8, count: 37 }, // 1 chunk a row: a quad spans 4 rows; 9 rows leave 3 lanes of the last quad past the end
  { vocab: 5, dim: 40, count: 23 }, // 3 chunks a row (the last of 8 columns): quads straddle rows
  { vocab: 3, dim: 100, count: 6 }, // 7 chunks; 6 ids, not a multiple of 4
  { vocab: 1, dim: 4, count: 1 }, // one id (outside the table)
  { vocab: 2, dim: 4, count: 2 }, // two ids: -1 and 1
].map(scatterCase);
