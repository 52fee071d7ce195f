// One weight of a GGUF model file on the fused matmul: imported exactly (importGguf), uploaded (compact scales where
// the type has them, shards where it exceeds a buffer), run at M tokens of random f16 x, timed, and checked against
// the f64 reference on sampled columns (the file's own rows, dequantized by the block decoder). `nibble gguf --run`
// and the demo's GGUF tab report it.
import type { GpuContext } from '../gpu/context.js';
import { median } from '../gpu/timing.js';
import type { GgufTensor } from '../io/gguf.js';
import { fromF16Array, toF16Array } from '../quant/f16.js';
import { GGUF_BLOCKS, dequantizeGgufRows, importGguf, type GgufBlockType } from '../quant/gguf.js';
import { matmulRef } from '../ref/matmul.js';
import { randomF32 } from '../ref/random.js';
import { compareBound, U_F16, U_F32 } from '../ref/tolerance.js';
import { matmulQ, matmulWeights, pickPath } from './matmul.js';
import { destroyQuantized, quantizedBytes, uploadQuantizedShards } from './quant.js';

export interface GgufWeightRun {
  tensor: string;
  type: GgufBlockType;
  N: number;
  K: number;
  M: number;
  /** e.g. 'matmul_w4a16 bits=8 (rows path, compact s8 scales, f16 emulated)' */
  kernel: string;
  /** Bytes the weight takes on the GPU (codes, scales, zeros or super-blocks). */
  gpuBytes: number;
  /** Wall time of one matmul (submit to queue completion), the median of `reps` after a compiling run. */
  ms: number;
  /** The sampled columns' check: within the bound, its largest error, and how many columns. */
  ok: boolean;
  maxErr: number;
  columns: number;
}

/** Runs `t` (a 2-D tensor of a block type nibble reads) at M rows of x; throws naming the tensor on bad input. */
export async function runGgufWeight(ctx: GpuContext, t: GgufTensor, opts: { M?: number; reps?: number; seed?: number } = {}): Promise<GgufWeightRun> {
  if (!(t.type in GGUF_BLOCKS)) throw new Error(`tensor '${t.name}': type ${t.type} does not run on the fused matmul (block types: ${Object.keys(GGUF_BLOCKS).join(', ')})`);
  if (t.shape.length !== 2) throw new Error(`tensor '${t.name}': shape [${t.shape.join(', ')}] is not a matrix [N, K]`);
  const type = t.type as GgufBlockType;
  const [N, K] = t.shape;
  const M = opts.M ?? 1;
  const reps = opts.reps ?? 5;
  const q = importGguf(type, t.data, N, K, t.name);
  const shards = uploadQuantizedShards(ctx, q, t.name);
  const bufs: GPUBuffer[] = [];
  try {
    const w = matmulWeights(shards, t.name);
    const xh = toF16Array(randomF32(M * K, opts.seed ?? 7, -1, 1));
    const X = ctx.createBuffer(xh, undefined, 'x');
    const Y = ctx.createBuffer(4 * M * N, undefined, 'y');
    bufs.push(X, Y);
    const once = async () => {
      const t0 = performance.now();
      await matmulQ(ctx, X, w, Y, { M, xType: 'f16' });
      await ctx.device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    await once(); // compiles the pipeline
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await once());
    const y = await ctx.readF32(Y, M * N);
    // 16 columns (rows of W), each dequantized from the file's own blocks.
    const cols = [...new Set(Array.from({ length: 16 }, (_, i) => Math.floor((i * (N - 1)) / 15)))];
    const wSub = dequantizeGgufRows(type, t.data, N, K, cols, t.name);
    const ref = matmulRef(fromF16Array(xh), wSub, { M, N: cols.length, K, transB: true });
    const u = ctx.caps.shaderF16 ? U_F16 : U_F32;
    const got = Float32Array.from({ length: M * cols.length }, (_, i) => y[Math.floor(i / cols.length) * N + cols[i % cols.length]]);
    const r = compareBound(t.name, got, ref.c, ref.absSum.map((a) => 2 * (K + 1) * u * a), 1, 1, 1);
    const storage = shards[0].storage ? `, compact ${shards[0].storage} scales` : '';
    return {
      tensor: t.name,
      type,
      N,
      K,
      M,
      kernel: `matmul_w4a16${q.scheme.bits === 8 ? ' bits=8' : ''} (${pickPath(ctx, M)} path${storage}, f16 ${ctx.caps.shaderF16 ? 'native' : 'emulated'})`,
      gpuBytes: shards.reduce((a, s) => a + quantizedBytes(s), 0),
      ms: median(times),
      ok: r.ok,
      maxErr: r.maxErr,
      columns: cols.length,
    };
  } finally {
    bufs.forEach((b) => b.destroy());
    shards.forEach(destroyQuantized);
  }
}
