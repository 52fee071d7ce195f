// Per-adapter tuning table: which shape of a kernel runs, and its override constants.
// CPU adapters (SwiftShader) reward one-invocation-per-output kernels without workgroup memory; GPUs reward
// workgroup tiling. Entries are matched on the adapter description; the first match wins.
import type { GpuContext } from '../gpu/context.js';

export interface Tuning {
  /**
   * f32 matmul (src/kernels/matmul.ts F32Variant): 'tiled' (GPUs: (wgY*4) x (wgX*4) tiles, BK deep), 'rows' (CPU
   * adapters: rowsM (4, 8 or 16; 16 is 8 where M <= 8) rows x rowsCols columns per invocation, workgroups of rowsWG
   * invocations) or 'block4' (4x4 outputs per
   * invocation from M = 3, one output below; workgroup wgX x wgY). 'rows' up to M = smallM: 4 rows x smallCols.
   * group: a graph runs products that share an operand as one dispatch (src/graph/group.ts); 'sum': only the summed
   * input gradients.
   * subA: 'rows' takes A's shared values through subgroupBroadcast (matmul_f32_rows.wgsl's SUB_A), where the adapter
   * has subgroups of at least 4 lanes; ungrouped products only.
   */
  matmulF32: { shape: 'tiled' | 'rows' | 'block4'; wgX: number; wgY: number; bk: number; /** 'tiled': each invocation's register tile, tile x tile outputs */ tile: 4 | 8; rowsCols: 4 | 8 | 12 | 16; rowsM: 4 | 8 | 16; rowsWG: [number, number]; smallM: number; smallCols: 4 | 8 | 12 | 16; group: boolean | 'sum'; subA: boolean };
  elementwiseWG: number;
  /**
   * Adjacent elements one invocation of the strided elementwise kernel (shaders/ops/ew.wgsl) writes: 1 on GPUs (neighbours
   * read neighbours), more on CPU adapters, where an invocation's fixed cost and its coordinate divisions dominate.
   */
  elementwiseRun: number;
  /**
   * The optimizer's kernels: elements per invocation of the multi-tensor AdamW (adamw_multi.wgsl, `run`) and of the
   * gradient norm's sum of squares (`normElems`: a tensor of n elements gets ceil(n / (normElems * reduceWG))
   * workgroups, at most 256, each a partial sum).
   */
  optimizer: {
    run: number;
    normElems: number;
    /** GraphTrainer's params and gradients in arenas (one clipping and one AdamW dispatch for all: optim_flat.ts). */
    flat: boolean;
  };
  /**
   * Attention.attend runs ops.flashAttention up to this head dim (and past it where the scores would be large), the
   * composition (permute copies, q k^T, causal softmax, @ v) else: on a CPU adapter the composition's register-blocked
   * matmuls beat flash attention's row-at-a-time loops from head dim 48.
   */
  flashAttentionMaxHeadDim: number;
  /**
   * ops.flashAttention's QUAD variant (shaders/ops/flash_attention.wgsl): a quad's four lanes, four adjacent rows of
   * one head, load the key / value (backward: query / dO) rows they share a quarter each and quadBroadcast the rest,
   * where the adapter has subgroups of at least 4 lanes and T is a multiple of 4.
   */
  flashAttention: { quad: boolean };
  /**
   * The embedding's backward (shaders/ops/embedding.wgsl, SCATTER): QUAD, a quad's four lanes load the ids they all
   * scan four at a time, one each, and quadBroadcast the rest, where the adapter has subgroups of at least 4 lanes.
   */
  embedding: { quad: boolean };
  reduceWG: number;
  /**
   * Quantized matmuls (matmul_w4a16 / w8a16 / w8a8): the path for GEMV (M <= 8) and GEMM shapes, the workgroup
   * of the rows path and the rows each of its invocations takes (1, 4 or 8, with rowsCols adjacent output columns,
   * 1 ..= 16; 8 becomes 4 where M <= 4, 4 becomes 1 where M < 3, where it measured no faster; W8A8 takes 8 as 4, and
   * 8 rows of one column only when a call asks for 8), of the K-split GEMV (power of two), the GEMM tile (tileX*4 x tileY*4 outputs, BK deep,
   * BK a multiple of 32), the W8A8 activation quantizer's workgroup (power of two) and whether the split GEMV reduces with subgroup operations where the adapter has them.
   * 'splitcols' (the GPUs' default; W8A8 runs it on per-channel weights, 'split' on grouped ones): the K-split GEMV with colsPerWG (1 ..= 8) output columns per
   * workgroup of splitWG invocations, codes read 16 bytes at a time.
   */
  matmulQ: { gemv: 'rows' | 'split' | 'splitcols'; gemm: 'rows' | 'tiled'; rowsWG: number; rowsM: 1 | 4 | 8; rowsCols: number; splitWG: number; colsPerWG: number; tileX: number; tileY: number; bk: number; subgroups: boolean; subX: boolean; quantWG: number };
  /** fake_quant*: elements per invocation of the elementwise kernels; largest elements-per-scale for which the
   *  reducing kernels (learnable backward, qparams) use one invocation per scale instead of one workgroup; fuse:
   *  the dynamic forward's qparams and apply in one dispatch where a scale covers at most FUSE_MAX_ELEMS elements
   *  and the qparams run one invocation per scale (fake_quant_qparams.wgsl's APPLY); maskEpilogue: the STE backward of
   *  a weight's gradient done by the f32 matmul that makes it, where that matmul's kernel is 'rows' (fuseSteMasks);
   *  multi: a graph's weight fake-quant forwards two or three a dispatch (src/graph/group_fq.ts). */
  fakeQuant: { elems: number; serialMax: number; fuse: boolean; maskEpilogue: boolean; multi: boolean };
  /** Graph row reductions (sum over axes, softmax): one invocation or one workgroup per row. */
  rowReduce: 'invocation' | 'workgroup';
  /** Elements of a row one invocation of shaders/quant/dequantize.wgsl writes (f32 output; > 1: a whole group where possible). */
  dequantRun: number;
  /**
   * Sampling with top-k: from this vocabulary size on, LanguageModel.generate takes the GPU's top candidates
   * (shaders/lm/top_k_rows.wgsl) instead of reading the last row of logits back (bench/top-k.ts measures both).
   */
  gpuTopKMinVocab: number;
  /** Elements of a row one workgroup of the GPU top-k scans (a longer row is split across workgroups, then merged). */
  topKChunk: number;
}

interface Entry {
  match: (ctx: GpuContext) => boolean;
  tuning: Tuning;
}

// GPUs without an entry of their own get 'splitcols' for the GEMV: it was the faster one on both adapters measured
// (H100: 1.7-2.5x 'split', below; SwiftShader with the GEMVs forced: 1.9-3.8x, bench/matmul-sweeps.md), and its access
// pattern (16-byte loads, x read once for 4 columns) is what any GPU's memory system rewards. Not yet measured on AMD,
// Intel or Apple GPUs: `bench/gpu/gemv-sweep.sh` there gives the entry to add.
const GPU_DEFAULT: Tuning = {
  matmulF32: { shape: 'tiled', wgX: 16, wgY: 16, bk: 16, tile: 4, rowsCols: 8, rowsM: 4, rowsWG: [8, 2], smallM: 4, smallCols: 8, group: true, subA: false },
  elementwiseWG: 256,
  elementwiseRun: 1,
  optimizer: { run: 1, normElems: 4, flat: true },
  // Not measured on a GPU yet (bench/flash-attention.ts): a GPU compiler unrolls the head-dim loops into registers.
  flashAttentionMaxHeadDim: 256,
  // A GPU's loads are coalesced across lanes; the quad's shared loads only pay off where each lane's load is its own.
  flashAttention: { quad: false },
  embedding: { quad: false },
  reduceWG: 256,
  matmulQ: { gemv: 'splitcols', gemm: 'tiled', rowsWG: 64, rowsM: 8, rowsCols: 1, splitWG: 128, colsPerWG: 4, tileX: 16, tileY: 16, bk: 32, subgroups: true, subX: false, quantWG: 64 },
  // fuse: one invocation would apply a whole group serially, where the GPUs' apply kernel is one element a thread
  // (not measured on a GPU). multi: a graph's weights two or three a dispatch, one invocation a group (serially,
  // as the qparams here already reduce): 25 dispatches fewer in the bundled model's QAT step; not measured on a GPU,
  // where a large model's weights might read faster one element a thread (fakeQuant.multi false).
  fakeQuant: { elems: 1, serialMax: 256, fuse: false, maskEpilogue: true, multi: true },
  rowReduce: 'workgroup',
  dequantRun: 1,
  // Not measured on a GPU yet (bench/top-k.ts): from 8192 tokens the row is >= 32 KB to read back and sort on the
  // CPU each token, against ~1 KB and one workgroup's pass over the row.
  gpuTopKMinVocab: 8192,
  topKChunk: 2048,
};

const TABLE: Entry[] = [
  {
    match: (ctx) => ctx.info.isFallback,
    tuning: {
      // f32 matmul: 16 rows x 16 columns per invocation (bench/README.md, "f32 matmul"): each loaded value of A feeds
      // 16 products, of B 16, with 16-byte loads along K or N, no barriers (a load costs more than the fmas it
      // feeds: against 8 x 16, the language model's training step 240 -> 228 ms, QAT 262 -> 230, 32x1024x1024 forward
      // 23 -> 16 ms). Up to M = 4 (decode), 4 rows x 8 columns: 1x1024x1024 ran 2x faster than with 8 x 16, whose
      // rows past M are computed and dropped; up to M = 8, 8 rows. Grouped products:
      // the sums only ('sum': the input gradient over q, k, v and over gate, up, with SUB_A, 1.04x faster a step, 6
      // dispatches fewer); a share-A / share-B group ran 1.2-1.4x slower than its products' own dispatches here
      // (docs/training-speed-early.md, "Third round"; docs/training-speed.md, "Tenth round").
      // subA: A's values shared through subgroupBroadcast, a quarter of A's loads (SwiftShader gathers every
      // component lane by lane; docs/training-speed-early.md, "Sixth round").
      matmulF32: { shape: 'rows', wgX: 8, wgY: 8, bk: 16, tile: 4, rowsCols: 16, rowsM: 16, rowsWG: [8, 2], smallM: 4, smallCols: 8, group: 'sum', subA: true },
      elementwiseWG: 64,
      // An add of two [512, 64] tensors (the language model's gradient fan-in), alone: 2.0 ms with one element an
      // invocation (and its coordinates from 8 divisions), 0.72 ms with runs of 8 (bench/lm-train-step.ts's profile).
      elementwiseRun: 8,
      // The language model's clip + AdamW over 21 params (bench/lm-train-step.ts's shape), one pass: the norm's 7
      // dispatches 24 ms with 4 elements an invocation (65 workgroups' emulated barriers for a 16640-element tensor),
      // 3.3 ms with 64, 2.5 with 256; AdamW's 6 dispatches 38 / 8.6 / 5.8 ms at runs of 1 / 8 / 32.
      optimizer: { run: 32, normElems: 256, flat: true },
      // bench/flash-attention.ts, forward + backward: flash 3.1x / 2.6x faster than the composition at head dim 16 (8 x 64
      // and 2 x 256 tokens, 4 / 2 heads); slower from head dim 48 (0.74x at 2 x 128, 4 / 2 heads of 48; 0.83x at
      // 1 x 256, 32 / 8 heads of 64, with the rows in registers; 0.21x with them as private arrays).
      flashAttentionMaxHeadDim: 32,
      // The quad's rows through quadBroadcast: a quarter of the shared rows' gathers (docs/training-speed.md,
      // "Seventh round").
      flashAttention: { quad: true },
      // The ids of the embedding's scatter-add through quadBroadcast: 9.2-9.8 -> 5.2 ms a step's scatter (each
      // dispatch alone; docs/training-speed.md, "Seventh round").
      embedding: { quad: true },
      reduceWG: 64,
      // SwiftShader: one invocation per block of rows (8 from M = 5, 4 from M = 3, else 1) and 16 adjacent output
      // columns, no workgroup memory or barriers. Each word of x is loaded and converted once for the 16 columns (8
      // columns: 1.4-1.9x faster than one per invocation at 1x1024x1024 .. 1x2816x1024), each weight word decoded once
      // for the block's rows (4 rows: 1.9-2.2x faster than one at 8x2048x1024 .. 256x512x512), the columns written
      // out in groups of four, 4-bit codes masked in place. 8 x 16 against the 4 x 12 before it (bench/matmul-sweeps.md,
      // "Eight rows by 16 columns"): W4A16 32x1024x1024 31 -> 20 ms, W8A16 37 -> 23, W4A16 256x512x512 68 -> 44;
      // W8A8 (blocks of 4 rows) 65 -> 38. The split and tiled paths (forced by tests) get small workgroups there:
      // every barrier is emulated. subX: f32 x through subgroupBroadcast, as the f32 matmul's subA (not f16 x).
      matmulQ: { gemv: 'rows', gemm: 'rows', rowsWG: 16, rowsM: 8, rowsCols: 16, splitWG: 16, colsPerWG: 4, tileX: 4, tileY: 4, bk: 32, subgroups: true, subX: true, quantWG: 4 },
      // fuse: a weight's groups quantized by the invocation that found their scale (docs/training-speed.md,
      // "Seventh round"): 15 dispatches fewer in the language model's QAT step.
      fakeQuant: { elems: 16, serialMax: 2 ** 31, fuse: true, maskEpilogue: true, multi: true },
      rowReduce: 'invocation',
      dequantRun: 32,
      // bench/top-k.ts here: reading the row back and sampling on the CPU took 0.3 / 0.5 / 1.1 ms at 260 / 32000 /
      // 128256 tokens, the GPU top-k 3.5 / 19 / 39 ms: never by default.
      gpuTopKMinVocab: Infinity,
      // One workgroup over the whole row: its m rounds of emulated barriers cost more than the scan here, and a split
      // pays them once per workgroup (bench/top-k.ts, one run beside other work: 8 workgroups of 16384 took 85 ms at
      // 128256 tokens, one workgroup 59-66 ms).
      topKChunk: 2 ** 31,
    },
  },
  {
    // NVIDIA (H100 80GB HBM3, Dawn/Vulkan, driver 580.159.04; bench/README.md). 2026-11-27, GEMVs timed back to back
    // over >= 256 MiB of weight copies (bench/matmul.ts): 'splitcols' (4 columns a workgroup of 128, 16-byte loads,
    // workgroup tree) ran the W4A16 GEMV 1.6-2.0x faster than 'split' (1x4096x4096 0.0113 vs 0.0186 ms, 1x4096x11008
    // 0.0214 vs 0.0418, 1x11008x4096 0.0227 vs 0.0387), at 95-134% of copy bandwidth over three processes; W8A16
    // 2.2-2.4x; W8A8 per channel 1.25-1.58x. The 40-configuration sweep's pick (2 columns, workgroup 32, subgroups) was
    // within 3% of this one in later processes; these knobs are the ones W8A8's GEMVs were measured with too.
    // 2026-11-26, one dispatch a pass: the split GEMV's workgroup-tree reduction beat the subgroup reduction at every
    // shape and workgroup size tried.
    match: (ctx) => ctx.info.vendor.toLowerCase() === 'nvidia',
    tuning: { ...GPU_DEFAULT, matmulQ: { ...GPU_DEFAULT.matmulQ, subgroups: false } },
  },
];

/** Fields laid over the table's entry for every adapter (setTuningOverride): a measured pick tried before it is committed. */
export interface TuningOverride {
  matmulQ?: Partial<Tuning['matmulQ']>;
  matmulF32?: Partial<Tuning['matmulF32']>;
  flashAttention?: Partial<Tuning['flashAttention']>;
  embedding?: Partial<Tuning['embedding']>;
  fakeQuant?: Partial<Tuning['fakeQuant']>;
  optimizer?: Partial<Tuning['optimizer']>;
}

let override: TuningOverride | null = null;

const MATMULQ_FIELDS: Record<keyof Tuning['matmulQ'], (v: unknown) => boolean> = {
  gemv: (v) => v === 'rows' || v === 'split' || v === 'splitcols',
  gemm: (v) => v === 'rows' || v === 'tiled',
  rowsWG: (v) => pow2(v),
  rowsM: (v) => v === 1 || v === 4 || v === 8,
  rowsCols: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 16,
  splitWG: (v) => pow2(v),
  colsPerWG: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 8,
  tileX: (v) => Number.isInteger(v) && (v as number) >= 1,
  tileY: (v) => Number.isInteger(v) && (v as number) >= 1,
  bk: (v) => Number.isInteger(v) && (v as number) >= 32 && (v as number) % 32 === 0,
  subgroups: (v) => typeof v === 'boolean',
  subX: (v) => typeof v === 'boolean',
  quantWG: (v) => pow2(v),
};

const MATMULF32_FIELDS: Record<keyof Tuning['matmulF32'], (v: unknown) => boolean> = {
  shape: (v) => v === 'tiled' || v === 'rows' || v === 'block4',
  wgX: (v) => pow2(v),
  wgY: (v) => pow2(v),
  bk: (v) => pow2(v),
  tile: (v) => v === 4 || v === 8,
  rowsCols: (v) => v === 4 || v === 8 || v === 12 || v === 16,
  rowsM: (v) => v === 4 || v === 8 || v === 16,
  rowsWG: (v) => Array.isArray(v) && v.length === 2 && v.every(pow2) && v[0] * v[1] <= 256,
  smallM: (v) => Number.isInteger(v) && (v as number) >= 0,
  smallCols: (v) => v === 4 || v === 8 || v === 12 || v === 16,
  group: (v) => typeof v === 'boolean' || v === 'sum',
  subA: (v) => typeof v === 'boolean',
};

const FLASH_FIELDS: Record<keyof Tuning['flashAttention'], (v: unknown) => boolean> = {
  quad: (v) => typeof v === 'boolean',
};

const EMBEDDING_FIELDS: Record<keyof Tuning['embedding'], (v: unknown) => boolean> = {
  quad: (v) => typeof v === 'boolean',
};

const FAKEQUANT_FIELDS: Record<keyof Tuning['fakeQuant'], (v: unknown) => boolean> = {
  elems: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 64,
  serialMax: (v) => Number.isInteger(v) && (v as number) >= 0,
  fuse: (v) => typeof v === 'boolean',
  maskEpilogue: (v) => typeof v === 'boolean',
  multi: (v) => typeof v === 'boolean',
};

const OPTIMIZER_FIELDS: Record<keyof Tuning['optimizer'], (v: unknown) => boolean> = {
  run: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 256,
  normElems: (v) => Number.isInteger(v) && (v as number) >= 1,
  flat: (v) => typeof v === 'boolean',
};

/** The sections an override may lay over the table, each field's check. */
const SECTIONS: Record<string, Record<string, (v: unknown) => boolean>> = { matmulQ: MATMULQ_FIELDS, matmulF32: MATMULF32_FIELDS, flashAttention: FLASH_FIELDS, embedding: EMBEDDING_FIELDS, fakeQuant: FAKEQUANT_FIELDS, optimizer: OPTIMIZER_FIELDS };

function pow2(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) > 0 && ((v as number) & ((v as number) - 1)) === 0 && (v as number) <= 1024;
}

/**
 * Lays `o` over whatever tuningFor returns from now on (null: the table alone), e.g. the `# GEMV pick` of the matmul
 * bench (`run-matmul --tuning '{"matmulQ":{...}}'`). Throws, naming the field, on an unknown field or a value the
 * kernels cannot take.
 */
export function setTuningOverride(o: TuningOverride | null): void {
  if (o !== null) {
    for (const [sec, fields] of Object.entries(o)) {
      const known = SECTIONS[sec];
      if (!known) throw new Error(`tuning override: unknown section '${sec}' (sections: ${Object.keys(SECTIONS).join(', ')})`);
      for (const [k, v] of Object.entries(fields ?? {})) {
        const ok = known[k];
        if (!ok) throw new Error(`tuning override: unknown field ${sec}.${k} (fields: ${Object.keys(known).join(', ')})`);
        if (!ok(v)) throw new Error(`tuning override: ${sec}.${k} = ${JSON.stringify(v)} is not a value the kernels take`);
      }
    }
  }
  override = o;
}

/** The override in effect (setTuningOverride), or null. */
export function tuningOverride(): TuningOverride | null {
  return override;
}

/** Runs `f` with `o` laid over the override in effect (field by field), then puts that override back, even if `f` throws. */
export async function withTuningOverride<T>(o: TuningOverride, f: () => Promise<T>): Promise<T> {
  const before = override;
  setTuningOverride(before ? layOver(before, o) : o);
  try {
    return await f();
  } finally {
    override = before;
  }
}

/** `o`'s sections laid over `t`'s, field by field (sections `o` does not name, and plain fields, as they are). */
export function layOver<T extends object>(t: T, o: TuningOverride): T {
  const out = { ...t } as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) out[k] = { ...(out[k] as object | undefined), ...v };
  return out as T;
}

export function tuningFor(ctx: GpuContext): Tuning {
  const t = TABLE.find((e) => e.match(ctx))?.tuning ?? GPU_DEFAULT;
  return override ? layOver(t, override) : t;
}

function rowsBlock(t: Tuning): string {
  const q = t.matmulQ;
  if (q.rowsM === 8) return 'one invocation per output column and 8 rows';
  return `one invocation per ${q.rowsM === 4 ? 'block of 4 rows (1 where M < 3)' : 'row'} and ${q.rowsCols} adjacent output column(s)`;
}

function f32Description(f: Tuning['matmulF32']): string {
  if (f.shape === 'tiled') return `tiled ${f.wgY * f.tile}x${f.wgX * f.tile}, BK ${f.bk}, ${f.tile}x${f.tile} an invocation`;
  if (f.shape === 'rows') return `one invocation per ${f.rowsM} rows x ${f.rowsCols} columns (4 x ${f.smallCols} up to M = ${f.smallM}), vec4 loads, no barriers (${f.rowsWG[0]}x${f.rowsWG[1]})`;
  return `one invocation per 4x4 block of outputs (per output where M < 3) (${f.wgX}x${f.wgY})`;
}

/** What runs on this adapter, kernel by kernel, for capability panels and reports. */
export function describeVariants(ctx: GpuContext): { kernel: string; variant: string }[] {
  const t = tuningFor(ctx);
  return [
    { kernel: 'matmul_f32', variant: f32Description(t.matmulF32) },
    { kernel: 'elementwise', variant: `workgroup ${t.elementwiseWG}` },
    { kernel: 'reduce_sum', variant: `workgroup ${t.reduceWG}, tree reduction` },
    { kernel: 'matmul_w4a16 / w8a16 (M <= 8)', variant: t.matmulQ.gemv === 'rows' ? `${rowsBlock(t)} (workgroup ${t.matmulQ.rowsWG})` : `${t.matmulQ.gemv === 'splitcols' ? `${t.matmulQ.colsPerWG} columns per workgroup, ` : ''}K split over ${t.matmulQ.splitWG} invocations${t.matmulQ.gemv === 'splitcols' ? ' in 16-byte chunks' : ''}, ${ctx.caps.subgroups && t.matmulQ.subgroups ? 'subgroup' : 'workgroup-memory'} reduction` },
    { kernel: 'matmul_w4a16 / w8a16 (M > 8)', variant: t.matmulQ.gemm === 'rows' ? rowsBlock(t) : `tiled ${t.matmulQ.tileY * 4}x${t.matmulQ.tileX * 4}, BK ${t.matmulQ.bk}` },
    { kernel: 'f16 activations', variant: ctx.caps.shaderF16 ? 'native shader-f16 math, f32 accumulation' : 'packed f16 (unpack2x16float), f32 math' },
    { kernel: 'quantized matmuls, f16 y', variant: ctx.caps.shaderF16 ? 'native f16 stores' : 'f16 pairs in u32 words, each half by atomic compare-exchange' },
    { kernel: 'matmul_w8a8', variant: ctx.caps.packedDot ? 'dot4I8Packed' : 'integer fallback (same integers)' },
    { kernel: 'fake_quant', variant: `${t.fakeQuant.elems} element(s) per invocation` },
  ];
}
