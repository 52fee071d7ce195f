// The executor's fusion of an add into the matmul or norm backward before it (src/graph/fuse.ts), and its grouping of
// products that share an operand (src/graph/group.ts; forced on here, { group: true }, or the sums alone, { group: 'sum' }, where the adapter's f32 shape
// has grouped variants): each graph compiled fused and unfused ({ fuse: false }) on the same inputs; the outputs and
// gradients bit for bit equal (the fused kernel rounds the sum once, as the add does; a group runs each product's
// own fma sequence and sums in the chain's order), the dispatches counted, and the pairs that must not fuse left
// alone (a product read twice, a product read after the run, a broadcast add).
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import { canGroupMatmulF32 } from '../../src/kernels/matmul.js';
import { FLASH_BWD_ROPE_STORAGE } from '../../src/ops/flash_attention.js';
import { setTuningOverride, tuningOverride } from '../../src/kernels/tuning.js';
import type { Tensor } from '../../src/graph/tensor.js';
import * as op from '../../src/ops/index.js';
import { randomF32 } from '../../src/ref/random.js';
import { assert, type GpuCase } from './types.js';

interface FuseCase {
  name: string;
  shapes: number[][];
  /** The graph's value, and extra tensors to read after the run (they must not be fused away). */
  build: (x: Tensor[]) => { y: Tensor; keep?: Tensor[] };
  /** Dispatches the fusion of adds saves, forward and backward together. */
  saves: number;
  /** And the grouping of products, where the adapter's f32 matmul shape for 9 rows groups them ('rows', 'tiled'). */
  grouped?: number;
  /** Of those, what grouping the sums alone saves ({ group: 'sum' }, SwiftShader's tuning). */
  sums?: number;
  /** Compile with { group: 'sum' } (expecting `sums` saved by grouping). */
  sumsOnly?: boolean;
  /** And the fusion of RoPE's backward into flash attention's, where the device binds the storage it needs. */
  rope?: number;
  /** Forward only (no gradients taken). */
  forwardOnly?: boolean;
  rowReduce?: 'invocation' | 'workgroup';
  /** Run with the f32 matmul's shape forced (the tuning override), e.g. GPUs' 'tiled'. */
  f32Shape?: 'tiled';
}

function fuseCase(c: FuseCase): GpuCase {
  return {
    name: `fusion: ${c.name}${c.rowReduce ? ` [${c.rowReduce} per row]` : ''}${c.f32Shape ? ` [${c.f32Shape} f32 matmul]` : ''}${c.sumsOnly ? ' [sums grouped only]' : ''}`,
    async run(ctx: GpuContext) {
      const before = tuningOverride();
      if (c.f32Shape) setTuningOverride({ ...before, matmulF32: { ...before?.matmulF32, shape: c.f32Shape } });
      try {
        return await compare(ctx, c);
      } finally {
        setTuningOverride(before);
      }
    },
  };
}

async function compare(ctx: GpuContext, c: FuseCase): Promise<string> {
  const results: Float32Array[][] = [];
  const dispatches: number[] = [];
  for (const fuse of [true, false]) {
    const g = new Graph(ctx, c.name, { fuse, group: fuse && (c.sumsOnly ? 'sum' : true), rowReduce: c.rowReduce });
    try {
      const ins = c.shapes.map((s, k) => g.input(`in${k}`, s, 'f32', { requiresGrad: !c.forwardOnly }));
      const { y, keep = [] } = c.build(ins);
      const R = g.constant(randomF32(y.numel, 99), y.shape);
      const grads = c.forwardOnly ? null : g.backward(op.sum(op.mul(y, R)), ins);
      const outs = [y, ...keep, ...(grads ? ins.map((t) => grads.get(t)!) : [])];
      const exe = await g.compile({ outputs: outs });
      const feeds: Record<string, Float32Array> = {};
      c.shapes.forEach((s, k) => (feeds[`in${k}`] = randomF32(s.reduce((a, b) => a * b, 1), 50 + k, -2, 2)));
      await exe.run(feeds);
      results.push(await Promise.all(outs.map(async (t) => Float32Array.from(await exe.read(t)))));
      dispatches.push(exe.stats.dispatchesPerRun);
    } finally {
      g.destroy();
    }
  }
  const [fused, plain] = results;
  fused.forEach((v, k) => v.forEach((x, i) => assert(Object.is(x, plain[k][i]), `output ${k} element ${i}: fused ${x}, unfused ${plain[k][i]}`)));
  const saves = c.saves + (canGroupMatmulF32(ctx, 'sum', 2, 9) ? ((c.sumsOnly ? c.sums : c.grouped) ?? 0) : 0) + (ctx.limits.maxStorageBuffersPerShaderStage >= FLASH_BWD_ROPE_STORAGE ? (c.rope ?? 0) : 0);
  assert(dispatches[1] - dispatches[0] === saves, `dispatches ${dispatches[1]} unfused -> ${dispatches[0]} fused: saved ${dispatches[1] - dispatches[0]}, expected ${saves}`);
  return `dispatches ${dispatches[1]} -> ${dispatches[0]}; ${fused.length} outputs bit for bit equal`;
}

const CASES_LIST: FuseCase[] = [
  // A residual Linear: y = r + x W^T. Forward add fused; backward dx = dy W (+ nothing: x feeds one matmul).
  { name: 'residual add after a Linear', shapes: [[6, 5], [7, 5], [6, 7]], build: ([x, w, r]) => ({ y: op.add(r, op.matmul(x, op.transpose(w))) }), saves: 1 },
  // One input into three matmuls (q, k, v): the backward sums three dX, two adds fused; grouped, the three products
  // are one dispatch, their weight gradients one, and the summed dX one.
  {
    name: 'one input into three products (q, k, v), gradients summed',
    shapes: [[9, 8], [4, 8], [3, 8], [3, 8]],
    build: ([x, a, b, c]) => ({ y: op.concat([op.matmul(x, op.transpose(a)), op.matmul(x, op.transpose(b)), op.matmul(x, op.transpose(c))], 1) }),
    saves: 2,
    grouped: 6,
    sums: 2,
  },
  // Two (gate, up): one of each two.
  {
    name: 'one input into two products (gate, up)',
    shapes: [[10, 8], [12, 8], [12, 8]],
    build: ([x, a, b]) => ({ y: op.mul(op.matmul(x, op.transpose(a)), op.matmul(x, op.transpose(b))) }),
    saves: 1,
    grouped: 3,
    sums: 1,
  },
  // As QAT orders them: each weight transformed just before its product, and a node reading q and k (RoPE) before
  // v's product: the group runs once every weight is made (the transforms move before it), the reader after it.
  {
    name: 'three products with their weights made between them and a reader of two before the third',
    shapes: [[9, 8], [4, 8], [4, 8], [4, 8]],
    build: ([x, a, b, c]) => {
      const q = op.matmul(x, op.transpose(op.mul(a, a)));
      const k = op.matmul(x, op.transpose(op.mul(b, b)));
      const qk = op.mul(q, k);
      const v = op.matmul(x, op.transpose(op.mul(c, c)));
      return { y: op.concat([qk, v], 1) };
    },
    saves: 2,
    // v's output gradient is a slice of concat's, copied dense in the other layout: its weight gradient reads dY
    // untransposed and stays alone, k's and q's are one group: 2 saved forward, 2 on the summed dX, 1 on those.
    grouped: 5,
    sums: 2,
  },
  // Four products of one input: a group of three and one alone (a group holds at most three).
  {
    name: 'four products of one input',
    shapes: [[9, 8], [4, 8], [3, 8], [3, 8], [5, 8]],
    build: ([x, a, b, c, d]) => ({ y: op.concat([a, b, c, d].map((w) => op.matmul(x, op.transpose(w))), 1) }),
    saves: 3,
    grouped: 6,
    sums: 2, // a sum of three, then the fourth product's add
  },
  // Batched products added (attention-like [B, T, T] @ [B, T, D] + a tensor of the same shape).
  { name: 'batched product + a tensor of its shape', shapes: [[2, 5, 5], [2, 5, 3], [2, 5, 3]], build: ([p, v, r]) => ({ y: op.add(op.matmul(p, v), r) }), saves: 1 },
  // A pre-norm residual block, y = x + norm(x) W^T: the forward's residual add, and the backward's dx = dy + the
  // norm's dx (fused into the norm's backward), for RMSNorm and LayerNorm.
  { name: 'pre-norm residual block (RMSNorm)', shapes: [[5, 8], [8], [8, 8]], build: ([x, g, w]) => ({ y: op.add(x, op.matmul(op.rmsNorm(x, g), op.transpose(w))) }), saves: 2 },
  { name: 'pre-norm residual block (LayerNorm)', shapes: [[5, 8], [8], [8], [8, 8]], build: ([x, g, b, w]) => ({ y: op.add(x, op.matmul(op.layerNorm(x, g, b), op.transpose(w))) }), saves: 2 },
  // RoPE of q and k, then flash attention: RoPE's backward (one dispatch) is done by flash attention's backward as
  // it stores dq and dk. GQA (2 heads, 1 KV head); head dims 8 (pairs in other vec4s), 12 (pairs straddling them),
  // 16 with adjacent pairs ('norm') at a position offset, and 72 (rows in an array, not registers).
  ...([
    [8, 'neox', 0],
    [12, 'neox', 0],
    [16, 'norm', 3],
    [72, 'neox', 0],
  ] as const).map(([hd, layout, posOffset]) => ({
    name: `RoPE then flash attention (head dim ${hd}, ${layout}${posOffset ? `, positions from ${posOffset}` : ''})`,
    shapes: [[2, 5, 2 * hd], [2, 5, hd], [2, 5, hd]],
    build: ([q, k, v]: Tensor[]) => {
      const [rq, rk] = op.ropePair(q, k, { heads: 2, kvHeads: 1, layout, posOffset });
      return { y: op.flashAttention(rq, rk, v, { heads: 2, kvHeads: 1 }) };
    },
    saves: 0,
    rope: 1,
  })),
  // Not fused: the rotated q is also read elsewhere, so its gradient is a sum, not flash attention's dq alone.
  {
    name: 'no RoPE fusion where the rotated q has another reader',
    shapes: [[2, 5, 16], [2, 5, 8], [2, 5, 8]],
    build: ([q, k, v]) => {
      const [rq, rk] = op.ropePair(q, k, { heads: 2, kvHeads: 1 });
      return { y: op.concat([op.flashAttention(rq, rk, v, { heads: 2, kvHeads: 1 }), rq], 2) };
    },
    saves: 0,
  },
  // Not fused: the product is read twice (add and mul), read after the run, or added with broadcasting.
  {
    name: 'no fusion where the product is read twice, kept, or broadcast',
    shapes: [[4, 3], [3, 5], [4, 5], [5]],
    build: ([x, w, r, b]) => {
      const p = op.matmul(x, w);
      const q = op.matmul(x, w);
      const s = op.matmul(x, w);
      return { y: op.add(op.add(op.add(p, r), op.mul(p, r)), op.add(op.add(q, r), op.add(s, b))), keep: [q] };
    },
    saves: 0,
    grouped: 2, // the three products of x and w (one of them kept) are one dispatch
    forwardOnly: true,
  },
];

/**
 * An embedding and the norm of its output (fuseEmbeddingNorms, norm.wgsl GATHER): a pre-norm block over the
 * embedding (the residual reads the embedding's output too), compiled fused and unfused; the embedding's output, the
 * norm's, the block's and every gradient bit for bit, the fused schedule with one `embedding_<norm>` dispatch and no
 * embedding or norm forward of its own. Forward only with ids out of range: the same NaN rows both ways.
 */
const embeddingNormCase = (rms: boolean, rowReduce: 'invocation' | 'workgroup', badIds: boolean): GpuCase => ({
  name: `fusion: embedding then ${rms ? 'RMSNorm' : 'LayerNorm'} in one dispatch [${rowReduce} per row]${badIds ? ', ids out of range give NaN rows' : ''}`,
  async run(ctx) {
    const [V, D, B, T] = [11, 12, 2, 5];
    const ids = Int32Array.from({ length: B * T }, (_, i) => (badIds && i === 3 ? -1 : badIds && i === 7 ? V : (i * 7) % V));
    const results: Float32Array[][] = [];
    const ops: string[][] = [];
    for (const fuse of [true, false]) {
      const g = new Graph(ctx, 'embedding norm', { fuse, rowReduce });
      try {
        const table = g.param('table', [V, D], randomF32(V * D, 61, -1, 1));
        const gamma = g.param('gamma', [D], randomF32(D, 62, 0.5, 1.5));
        const beta = g.param('beta', [D], randomF32(D, 63, -0.5, 0.5));
        const w = g.param('w', [D, D], randomF32(D * D, 64, -0.5, 0.5));
        const x = op.embedding(table, g.input('ids', [B, T], 'i32'));
        const h = rms ? op.rmsNorm(x, gamma) : op.layerNorm(x, gamma, beta);
        const y = op.add(x, op.matmul(h, op.transpose(w)));
        const params = rms ? [table, gamma, w] : [table, gamma, beta, w];
        const grads = badIds ? null : g.backward(op.sum(op.mul(y, g.constant(randomF32(y.numel, 65), y.shape))), params);
        const outs = [x, h, y, ...(grads ? params.map((p) => grads.get(p)!) : [])];
        const exe = await g.compile({ outputs: outs });
        await exe.run({ ids });
        results.push(await Promise.all(outs.map(async (t) => Float32Array.from(await exe.read(t)))));
        ops.push(exe.schedule().map((st) => st.op));
      } finally {
        g.destroy();
      }
    }
    const [fused, plain] = results;
    fused.forEach((v, k) => v.forEach((x, i) => assert(Object.is(x, plain[k][i]), `output ${k} element ${i}: fused ${x}, unfused ${plain[k][i]}`)));
    const norm = rms ? 'rms_norm' : 'layer_norm';
    assert(ops[0].includes(`embedding_${norm}`) && !ops[0].includes(norm) && !ops[0].includes('embedding'), `fused schedule: ${ops[0].join(', ')}`);
    assert(ops[1].includes(norm) && ops[1].includes('embedding'), `unfused schedule: ${ops[1].join(', ')}`);
    if (badIds) for (const k of [0, 1]) for (const row of [3, 7]) assert(fused[k].subarray(row * D, (row + 1) * D).every(Number.isNaN), `output ${k} row ${row} (a bad id) is not NaN`);
    return `${fused.length} outputs bit for bit; fused schedule ${ops[0].length} nodes against ${ops[1].length}`;
  },
});

export const CASES: GpuCase[] = [
  ...[true, false].flatMap((rms) => (['invocation', 'workgroup'] as const).map((r) => embeddingNormCase(rms, r, false))),
  embeddingNormCase(true, 'invocation', true),
  ...CASES_LIST.map(fuseCase),
  // Grouping on the tiled shape (GPUs' pick).
  ...CASES_LIST.filter((c) => c.grouped && c.name.includes('products')).map((c) => fuseCase({ ...c, f32Shape: 'tiled' })),
  // The sums alone (SwiftShader's tuning): q, k, v's summed dX one dispatch (2 saved), gate and up's (1).
  ...CASES_LIST.filter((c) => c.sums !== undefined).map((c) => fuseCase({ ...c, sumsOnly: true })),
  // The norms' backward in both row shapes.
  ...CASES_LIST.filter((c) => c.name.startsWith('pre-norm')).flatMap((c) => (['invocation', 'workgroup'] as const).map((rowReduce) => fuseCase({ ...c, rowReduce }))),
];
