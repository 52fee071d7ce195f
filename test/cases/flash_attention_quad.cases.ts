// Flash attention's QUAD variant (shaders/ops/flash_attention.wgsl: a quad's four rows share the k / v, or q / dO,
// rows they read through quadBroadcast) against one load a lane, same inputs: the forward, every input's gradient
// and (with RoPE before it, the executor fusing rope_pair_bwd into the backward) the gradients of the unrotated q and
// k, bit for bit: the same operations in the same order. Head dims of every row form (registers of 4, 8 and 16
// vec4s, a private array), fewer than four vec4s a row (a lane's share past the row's end), GQA and MQA, several
// workgroups. A forced quad where it cannot run is refused naming why.
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import * as op from '../../src/ops/index.js';
import { randomF32 } from '../../src/ref/random.js';
import { subgroupsOf4 } from '../../src/kernels/common.js';
import { assert, expectError, type GpuCase } from './types.js';

interface QuadCase {
  B: number;
  T: number;
  heads: number;
  kvHeads: number;
  hd: number;
  /** RoPE on q and k before attention (neox or norm pairs): dq and dk stored rotated back by the backward. */
  rope?: 'neox' | 'norm';
}

const needsQuad = (ctx: GpuContext) => (subgroupsOf4(ctx) ? null : 'the adapter has no subgroups of 4 or more lanes');

function quadCase(c: QuadCase): GpuCase {
  const name = `flash attention quad vs one load a lane: [${c.B}, ${c.T}, ${c.heads} / ${c.kvHeads} heads x ${c.hd}]${c.rope ? ` after RoPE (${c.rope})` : ''}`;
  return {
    name,
    needs: needsQuad,
    async run(ctx: GpuContext) {
      // One graph each way (so the executor can fuse RoPE's backward into each flash backward), the same inputs.
      const feeds = {
        q: randomF32(c.B * c.T * c.heads * c.hd, 11, -2, 2),
        k: randomF32(c.B * c.T * c.kvHeads * c.hd, 12, -2, 2),
        v: randomF32(c.B * c.T * c.kvHeads * c.hd, 13, -2, 2),
      };
      const runs: { values: ArrayLike<number>[]; kernels: string[] }[] = [];
      for (const quad of [true, false]) {
        const g = new Graph(ctx, `${name} ${quad}`);
        try {
          const q = g.input('q', [c.B, c.T, c.heads * c.hd], 'f32', { requiresGrad: true });
          const k = g.input('k', [c.B, c.T, c.kvHeads * c.hd], 'f32', { requiresGrad: true });
          const v = g.input('v', [c.B, c.T, c.kvHeads * c.hd], 'f32', { requiresGrad: true });
          const [rq, rk] = c.rope ? op.ropePair(q, k, { heads: c.heads, kvHeads: c.kvHeads, layout: c.rope }) : [q, k];
          const o = op.flashAttention(rq, rk, v, { heads: c.heads, kvHeads: c.kvHeads, quad });
          const gm = g.backward(op.sum(op.mul(o, g.constant(randomF32(o.numel, 91), o.shape))), [q, k, v]);
          const outs = [o, gm.get(q)!, gm.get(k)!, gm.get(v)!];
          const exe = await g.compile({ outputs: outs });
          await exe.run(feeds);
          const kernels = exe.schedule().flatMap((st) => st.kernels);
          runs.push({ values: await Promise.all(outs.map((t) => exe.read(t))), kernels });
        } finally {
          g.destroy();
        }
      }
      const [a, b] = runs;
      if (c.rope) assert(!a.kernels.some((k) => k.startsWith('rope_pair_bwd')), `RoPE's backward fused into flash attention's (${a.kernels.join(', ')})`);
      let n = 0;
      ['forward', 'd/d q', 'd/d k', 'd/d v'].forEach((what, j) => {
        const [x, y] = [a.values[j], b.values[j]];
        for (let i = 0; i < y.length; i++) {
          assert(Number.isFinite(x[i]) && Object.is(x[i] + 0, y[i] + 0), `${what}: element ${i} quad ${x[i]} vs one load a lane ${y[i]}`);
        }
        n += y.length;
      });
      return `${n} values bit for bit (${a.kernels.length} dispatches)`;
    },
  };
}

const QUADS: QuadCase[] = [
  { B: 2, T: 8, heads: 4, kvHeads: 2, hd: 16 }, // the bundled model's head: 4 vec4 registers
  { B: 1, T: 12, heads: 2, kvHeads: 1, hd: 8 }, // 2 vec4s a row: lanes 2 and 3 load past it
  { B: 3, T: 4, heads: 3, kvHeads: 1, hd: 12 }, // MQA, 3 vec4s
  { B: 1, T: 12, heads: 2, kvHeads: 1, hd: 24 }, // REGS8
  { B: 2, T: 8, heads: 2, kvHeads: 2, hd: 40 }, // REGS16
  { B: 1, T: 8, heads: 2, kvHeads: 1, hd: 72 }, // rows as private arrays
  { B: 2, T: 68, heads: 4, kvHeads: 2, hd: 16 }, // rows past one workgroup
  { B: 2, T: 8, heads: 4, kvHeads: 2, hd: 16, rope: 'norm' },
  { B: 1, T: 12, heads: 2, kvHeads: 1, hd: 12, rope: 'neox' },
];

/** quad: true where the adapter or T cannot take it: refused, naming why. */
const QUAD_ERRORS: GpuCase = {
  name: 'flash attention quad refuses a T that is not a multiple of 4, and an adapter without subgroups of 4 lanes',
  async run(ctx: GpuContext) {
    const g = new Graph(ctx, 'flash-quad-errors');
    const x = (n: string, s: number[]) => g.input(n, s);
    try {
      const out: string[] = [];
      const refused = async (want: string, fn: () => unknown) => {
        const msg = await expectError(want, fn);
        assert(msg.includes(want), `expected an error naming '${want}', got: ${msg}`);
        out.push(msg);
      };
      if (subgroupsOf4(ctx)) await refused('T=6', () => op.flashAttention(x('q', [1, 6, 16]), x('k', [1, 6, 16]), x('v', [1, 6, 16]), { heads: 4, quad: true }));
      // The same context seen without subgroups: every adapter runs this check.
      const bare = Object.create(ctx, { caps: { value: { ...ctx.caps, subgroups: false, subgroupMinSize: 0 } } }) as GpuContext;
      const g2 = new Graph(bare, 'flash-quad-bare');
      try {
        await refused('subgroups of at least 4 lanes', () => op.flashAttention(g2.input('q', [1, 8, 16]), g2.input('k', [1, 8, 16]), g2.input('v', [1, 8, 16]), { heads: 4, quad: true }));
      } finally {
        g2.destroy();
      }
      return out.join('; ');
    } finally {
      g.destroy();
    }
  },
};

export const CASES: GpuCase[] = [QUAD_ERRORS, ...QUADS.map(quadCase)];
