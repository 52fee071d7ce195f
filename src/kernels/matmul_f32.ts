// f32 matmul (shaders/matmul/matmul_f32.wgsl, matmul_f32_rows.wgsl): every product training needs (x W, x W^T,
// dY W^T, X^T dY, batched), the baseline every quantized kernel is measured against. Re-exported by matmul.ts.
// B may also hold 16-bit floats (bType 'f16' / 'bf16': a GGUF F16 / BF16 weight's own bytes, two per u32 word), read
// and widened in the kernel: a language model's float weights at 2 bytes a parameter on the GPU.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type Bindable, type KernelDef } from '../gpu/kernel.js';
import { checkShape, runDispatch, subgroupsOf4, type Dispatch } from './common.js';
import { tuningFor } from './tuning.js';

export const MATMUL_F32: KernelDef = { name: 'matmul_f32', shader: 'matmul/matmul_f32' };
export const MATMUL_F32_ROWS: KernelDef = { name: 'matmul_f32_rows', shader: 'matmul/matmul_f32_rows' };

/**
 * The shapes of the f32 matmul: 'tiled' (workgroup tiles through shared memory: GPUs), 'rows' (4 rows x `cols`
 * adjacent columns per invocation, vec4 loads along each operand's contiguous dimension, no barriers: CPU adapters,
 * shaders/matmul/matmul_f32_rows.wgsl), 'block4' (4x4 outputs per invocation, scalar loads) and 'naive' (one output
 * per invocation).
 */
/** Element types B may have: f32, or F16 / BF16 kept at 16 bits. */
export type MatmulBType = 'f32' | 'f16' | 'bf16';
export const MATMUL_B_TYPES: readonly MatmulBType[] = ['f32', 'f16', 'bf16'];

export type F32Variant = 'naive' | 'block4' | 'tiled' | 'rows';
export const F32_VARIANTS: readonly F32Variant[] = ['naive', 'block4', 'tiled', 'rows'];
/** Output columns one 'rows' invocation may take: multiples of 4 (B [K, N] is read a vec4 of columns at a time). */
export const F32_ROWS_COLS = [4, 8, 12, 16] as const;

export interface MatmulF32Shape {
  M: number;
  N: number;
  K: number;
  /** A stored [K, M] instead of [M, K]. */
  transA?: boolean;
  /** B stored [N, K] instead of [K, N] (y = x W^T). */
  transB?: boolean;
  /** Batch count (grid z); strides in elements, 0 broadcasts. Defaults: 1 batch, dense strides. */
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  /** Element type of B: f32 (default), or 16-bit floats 'f16' / 'bf16', two per u32 word, low half first, in the
   *  same element order (B's span rounded up to whole words); products and sums stay f32. */
  bType?: MatmulBType;
  /** C as a column block of a wider matrix: its row stride (default N) and the index of C[0, 0] in c (default 0);
   *  a weight split along N into shards writes each shard's columns of one y. */
  ldc?: number;
  c0?: number;
  /** C = op(A) op(B) + R with R in this buffer, laid out as C (same strides and offset): a matmul and the add after it in one pass. */
  addend?: Bindable;
  /** 'rows' and 'tiled' only (batch 1, no addend, C dense): C, a QAT weight's gradient, stored through the fake-quant STE
   *  backward's clip mask of that weight (one dispatch for the product and fake_quant_backward's). */
  steMask?: SteMaskEpilogue;
  /** Force a variant (tests cover all four); default from the adapter's tuning table. */
  variant?: F32Variant;
  /** Older forcing knobs: `tiled` forces 'tiled'; else `block` true forces 'block4', false 'naive'. */
  tiled?: boolean;
  block?: boolean;
  /** 'rows': adjacent output columns per invocation, 4, 8, 12 or 16, and rows per invocation, 4, 8 or 16 (defaults
   *  from the tuning table, which has its own for small M; its 16 is 8 where M <= 8), for tests and sweeps. */
  cols?: number;
  rows?: number;
  /** 'rows': A's values shared through subgroupBroadcast (SUB_A; needs subgroups of >= 4 lanes); default the table's. */
  subA?: boolean;
}

/**
 * The fake-quant STE backward as the epilogue of the product that makes its gradient (common/matmul_ste_mask.wgsl):
 * element i of C is kept where element i of the weight `x` has its code inside [qmin, qmax] (or the two floats of
 * `qrange`, AdaQAT's run-time range), else stored as a zero with its sign; the scale of element i is
 * scale[(i / inner) % channels] (the weight's FakeQuantLayout), the zero point zeroPoint's (unread on the midrise grid).
 */
export interface SteMaskEpilogue {
  x: Bindable;
  scale: Bindable;
  /** Absent: zero (symmetric weights). */
  zeroPoint?: Bindable;
  qrange?: Bindable;
  inner: number;
  channels: number;
  qmin: number;
  qmax: number;
  midrise?: boolean;
}

/** The STE_MASK defines (matmul_f32_rows.wgsl's, matmul_f32.wgsl's TILED), bindings, params and byte checks for `m` on a product of M x N (checked). */
function steMaskArgs(s: MatmulF32Shape, m: SteMaskEpilogue, variant: F32Variant) {
  const why = variant !== 'rows' && variant !== 'tiled' ? `the '${variant}' matmul has no STE epilogue (only 'rows' and 'tiled')` : (s.batch ?? 1) !== 1 ? `batch ${s.batch} (one product only)` : s.addend ? 'an addend' : (s.ldc ?? s.N) !== s.N || (s.c0 ?? 0) !== 0 ? 'a column block of a wider C' : s.bType && s.bType !== 'f32' ? `B of ${s.bType}` : '';
  checkShape('matmul_f32', 'steMask', !why, `the STE mask epilogue takes a dense f32 product of batch 1 on the 'rows' or 'tiled' kernel, not ${why}`);
  for (const [k, v] of Object.entries({ inner: m.inner, channels: m.channels })) checkShape('matmul_f32', `steMask.${k}`, Number.isInteger(v) && v > 0, `${k}=${v} must be a positive integer`);
  checkShape('matmul_f32', 'steMask.qmin', Number.isInteger(m.qmin) && Number.isInteger(m.qmax) && m.qmin < m.qmax, `[${m.qmin}, ${m.qmax}] is not an integer code range`);
  const n = 4 * s.M * s.N;
  // 'rows': a 16-byte load of the weight and one quantizer per vec4 of C where C is stored in vec4s inside one scale
  // ('tiled' stores C an element at a time).
  const vec = variant === 'rows' && s.N % 4 === 0 && m.inner % 4 === 0;
  return {
    defines: { STE_MASK: true, MASK_VEC: vec, MASK_ZERO: !!m.zeroPoint && !m.midrise, MIDRISE: !!m.midrise, RANGE: !!m.qrange },
    bindings: { mask_x: m.x, mask_scale: m.scale, ...(m.zeroPoint && !m.midrise ? { mask_zero: m.zeroPoint } : {}), ...(m.qrange ? { qrange: m.qrange } : {}) },
    params: { mask_inner: m.inner, mask_channels: m.channels, qmin: m.qmin, qmax: m.qmax },
    expect: { mask_x: n, mask_scale: 4 * m.channels, mask_zero: 4 * m.channels, qrange: 8 },
  };
}

/**
 * The tiled kernel's shape from the tuning table: a workgroup of wgX x wgY invocations, each a tile x tile register
 * tile, over BK-deep slices of A and B in workgroup memory; checked against the adapter's limits (a tuning override
 * can ask for more than it has).
 */
function tiledShape(ctx: GpuContext, kernel: string): { tile: number; overrides: Record<string, number>; per: [number, number] } {
  const { wgX, wgY, bk, tile } = tuningFor(ctx).matmulF32;
  const lim = ctx.limits;
  checkShape(kernel, 'workgroup', wgX * wgY <= lim.maxComputeInvocationsPerWorkgroup && wgX <= lim.maxComputeWorkgroupSizeX && wgY <= lim.maxComputeWorkgroupSizeY, `the tiled shape's workgroup ${wgX}x${wgY} is over the adapter's limits (${lim.maxComputeInvocationsPerWorkgroup} invocations, ${lim.maxComputeWorkgroupSizeX} x ${lim.maxComputeWorkgroupSizeY})`);
  const bytes = 4 * bk * tile * (wgX + wgY);
  checkShape(kernel, 'workgroupStorage', bytes <= lim.maxComputeWorkgroupStorageSize, `the tiled shape's ${bk}-deep slices of A and B (${wgY * tile} + ${wgX * tile} rows, tile ${tile}) take ${bytes} bytes of workgroup memory, over the adapter's maxComputeWorkgroupStorageSize (${lim.maxComputeWorkgroupStorageSize})`);
  return { tile, overrides: { WG_X: wgX, WG_Y: wgY, BK: bk }, per: [wgX * tile, wgY * tile] };
}

/** The f32 matmul shape a call runs: forced by `s.variant` (or `s.tiled` / `s.block`), else the adapter's tuning table. */
export function f32Variant(ctx: GpuContext, s: Pick<MatmulF32Shape, 'M' | 'variant' | 'tiled' | 'block'>): F32Variant {
  if (s.variant) return s.variant;
  if (s.tiled) return 'tiled';
  if (s.block !== undefined) return s.block ? 'block4' : 'naive';
  const t = tuningFor(ctx).matmulF32;
  if (s.tiled === false && t.shape === 'tiled') return 'naive';
  if (t.shape === 'block4' && s.M < 3) return 'naive';
  return t.shape;
}

/** The table's rows per invocation for M rows: 16 is 8 where M <= 8 (half the block would lie past M). */
function fitRows(rows: number, M: number): number {
  return rows === 16 && M <= 8 ? 8 : rows;
}

/** matmul_f32_rows.wgsl's block defines for `rows` x `cols` an invocation, both checked (`kernel` names the planner). */
function rowsBlockDefines(kernel: string, rows: number, cols: number) {
  checkShape(kernel, 'cols', (F32_ROWS_COLS as readonly number[]).includes(cols), `cols=${cols} must be one of ${F32_ROWS_COLS.join(', ')}`);
  checkShape(kernel, 'rows', rows === 4 || rows === 8 || rows === 16, `rows=${rows} must be 4, 8 or 16`);
  return { COLS: cols, ROWS: rows, ROWS8: rows >= 8, ROWS16: rows === 16, G1: cols >= 8, G2: cols >= 12, G3: cols >= 16 };
}

/**
 * The 'rows' workgroup for products of `shapes` at `rows` x `cols` an invocation: of the tuning's [x, y] and the
 * shapes with the same invocations made narrower along x (powers of two), the one that launches the fewest
 * workgroups, the tuning's on a tie: a narrow product (N = 32 at 16 columns: 2 of 8 along x) then leaves no
 * invocation idle.
 */
export function rowsWorkgroup(wg: readonly [number, number], shapes: readonly { M: number; N: number }[], rows: number, cols: number): [number, number] {
  const total = wg[0] * wg[1];
  let best: [number, number] = [wg[0], wg[1]];
  let bestCost = Infinity;
  for (let x = wg[0]; x >= 1; x >>= 1) {
    const y = total / x;
    const cost = shapes.reduce((c, s) => c + Math.ceil(s.N / (cols * x)) * Math.ceil(s.M / (rows * y)), 0);
    if (cost < bestCost) [best, bestCost] = [[x, y], cost];
  }
  return best;
}


/**
 * Whether the table's 'rows' product of N columns at `cols` an invocation takes A through subgroupBroadcast: where
 * the table says so and the SUB_A workgroup's invocations nearly all have columns (at least 90%; the others repeat
 * the last column's work to feed them A, and the plain planner shapes its workgroup to leave none idle). Measured
 * on SwiftShader (docs/training-speed-early.md, "Sixth round"; docs/training-speed.md, "Seventh round"): the language model's 260-column head
 * (81% in workgroups of 4) ran up to 1.5x slower with SUB_A; its 192-column products (12 invocations, three
 * workgroups of 4) and those of 64 (100%) faster.
 */
export function pickSubA(ctx: GpuContext, N: number, cols: number): boolean {
  const t = tuningFor(ctx).matmulF32;
  if (!t.subA || !subgroupsOf4(ctx)) return false;
  const [x] = subAWorkgroup(t.rowsWG, N, cols);
  return N / (Math.ceil(N / (cols * x)) * cols * x) >= 0.9;
}

/**
 * The SUB_A workgroup: one row of 4 ..= the tuning's wg[0] * wg[1] invocations (powers of two, at least 4: the lanes
 * that load A for the others), the one that leaves the fewest invocations of a row of N columns without columns; of
 * those, the widest. 1024 columns of 16: 16 (4 workgroups); 192: 4 (3 workgroups, none idle; 16 would leave 4 idle).
 */
export function subAWorkgroup(wg: readonly [number, number], N: number, cols: number): [number, number] {
  const slots = (x: number): number => Math.ceil(N / (cols * x)) * x;
  let best = 4;
  for (let x = 8; x <= Math.max(4, wg[0] * wg[1]); x *= 2) if (slots(x) <= slots(best)) best = x;
  return [best, 1];
}

export async function planMatmulF32(ctx: GpuContext, a: Bindable, b: Bindable, c: Bindable, s: MatmulF32Shape): Promise<Dispatch> {
  const { M, N, K } = s;
  const batch = s.batch ?? 1;
  for (const [k, v] of Object.entries({ M, N, K, batch })) checkShape('matmul_f32', k, Number.isInteger(v) && v > 0, `${k}=${v} must be a positive integer`);
  checkShape('matmul_f32', 'variant', s.variant === undefined || F32_VARIANTS.includes(s.variant), `'${s.variant}' is not one of ${F32_VARIANTS.join(', ')}`);
  const bType = s.bType ?? 'f32';
  checkShape('matmul_f32', 'bType', MATMUL_B_TYPES.includes(bType), `'${bType}' is not one of ${MATMUL_B_TYPES.join(', ')}`);
  const b16 = bType !== 'f32';
  const t = tuningFor(ctx).matmulF32;
  const variant = f32Variant(ctx, s);
  const strideA = s.strideA ?? M * K;
  const strideB = s.strideB ?? K * N;
  const ldc = s.ldc ?? N;
  const c0 = s.c0 ?? 0;
  const strideC = s.strideC ?? M * ldc;
  checkShape('matmul_f32', 'ldc', Number.isInteger(ldc) && ldc >= N, `ldc=${ldc} must be an integer >= N=${N}`);
  checkShape('matmul_f32', 'c0', Number.isInteger(c0) && c0 >= 0, `c0=${c0} must be a non-negative integer`);
  const span = (stride: number, one: number) => 4 * (stride * (batch - 1) + one);
  const bBytes = b16 ? 4 * Math.ceil((strideB * (batch - 1) + K * N) / 2) : span(strideB, K * N);
  const cBytes = span(strideC, c0 + (M - 1) * ldc + N);
  const args = {
    bindings: { a, b, c, ...(s.addend ? { addend: s.addend } : {}) },
    params: { M, N, K, batch_a: strideA, batch_b: strideB, batch_c: strideC, ldc, c0 },
    expect: { a: span(strideA, M * K), b: bBytes, c: cBytes, addend: cBytes },
  };
  const mask = s.steMask ? steMaskArgs(s, s.steMask, variant) : undefined;
  if (mask) {
    Object.assign(args.bindings, mask.bindings);
    Object.assign(args.params, mask.params);
    Object.assign(args.expect, mask.expect);
  }
  const bDefines = { B16: b16, B_BF16: bType === 'bf16', ACCUM: !!s.addend, ...mask?.defines };
  if (variant === 'rows') {
    const small = M <= t.smallM;
    const cols = s.cols ?? (small ? t.smallCols : t.rowsCols);
    // 16-byte loads (and stores of C) where the contiguous dimension and batch stride keep every vec4 inside one row.
    const aVec = (s.transA ? M : K) % 4 === 0 && strideA % 4 === 0;
    const bVec = (s.transB ? K : N) % 4 === 0 && strideB % 4 === 0;
    const cVec = N % 4 === 0 && strideC % 4 === 0 && ldc % 4 === 0 && c0 % 4 === 0;
    const rows = s.rows ?? (small ? 4 : fitRows(t.rowsM, s.M));
    checkShape('matmul_f32', 'subA', !s.subA || subgroupsOf4(ctx), `SUB_A needs subgroups of at least 4 lanes (the adapter's: ${ctx.caps.subgroups ? ctx.caps.subgroupMinSize : 'none'})`);
    const subA = s.subA ?? pickSubA(ctx, N, cols);
    // Under SUB_A a non-transposed A is read an element a lane (bound as f32s); the workgroup is one row of invocations.
    const defines = { ...bDefines, TRANS_A: !!s.transA, TRANS_B: !!s.transB, A_VEC: aVec && (!subA || !!s.transA), B_VEC: bVec, C_VEC: cVec, SUB_A: subA, ...rowsBlockDefines('matmul_f32', rows, cols) };
    const [wgX, wgY] = subA ? subAWorkgroup(t.rowsWG, N, cols) : rowsWorkgroup(t.rowsWG, [{ M, N }], rows, cols);
    const kernel = await getKernel(ctx, MATMUL_F32_ROWS, defines, { WG_X: wgX, WG_Y: wgY });
    return { kernel, args, workgroups: [Math.ceil(N / (cols * wgX)), Math.ceil(M / (rows * wgY)), batch] };
  }
  if (variant === 'tiled') {
    const tl = tiledShape(ctx, 'matmul_f32');
    const kernel = await getKernel(ctx, MATMUL_F32, { ...bDefines, TRANS_A: !!s.transA, TRANS_B: !!s.transB, TILED: true, TILE: tl.tile }, tl.overrides);
    return { kernel, args, workgroups: [Math.ceil(N / tl.per[0]), Math.ceil(M / tl.per[1]), batch] };
  }
  const block = variant === 'block4';
  const wgX = Math.min(t.wgX, 16);
  const wgY = Math.min(t.wgY, 16);
  const kernel = await getKernel(ctx, MATMUL_F32, { ...bDefines, TRANS_A: !!s.transA, TRANS_B: !!s.transB, TILED: false, BLOCK4: block }, { WG_X: wgX, WG_Y: wgY });
  const perX = block ? wgX * 4 : wgX;
  const perY = block ? wgY * 4 : wgY;
  return { kernel, args, workgroups: [Math.ceil(N / perX), Math.ceil(M / perY), batch] };
}

export const matmulF32 = async (ctx: GpuContext, a: Bindable, b: Bindable, c: Bindable, s: MatmulF32Shape) => runDispatch(await planMatmulF32(ctx, a, b, c, s));

/**
 * How the products of one grouped dispatch share operands (matmul_f32_rows.wgsl's GROUP_*): 'shareA' C_s = A B_s
 * (one input times several weights: q, k and v), 'shareB' C_s = A_s B (their weight gradients, dY_s^T X), 'sum'
 * C = A_0 B_0 (+ addend) + A_1 B_1 + ... (the input gradient summed over them, in that order, as chained ACCUM
 * dispatches would sum it: the same bits).
 */
export type MatmulGroupKind = 'shareA' | 'shareB' | 'sum';

/** One product of a group: C = op(A) op(B), batch 1, dense (C [M, N] row-major). */
export interface MatmulF32Product {
  a: Bindable;
  b: Bindable;
  c: Bindable;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
}

/** Storage bindings a group of `count` products takes (a, b, c each once where shared, the addend). */
const groupStorage = (_kind: MatmulGroupKind, count: number, addend: boolean) => 2 * count + 1 + (addend ? 1 : 0);

/**
 * Whether the adapter runs `count` products of this kind in one dispatch: its f32 shape for M rows is 'rows' or
 * 'tiled' (the shapes with GROUP variants), 2 or 3 products, and the storage bindings within the limit.
 */
export function canGroupMatmulF32(ctx: GpuContext, kind: MatmulGroupKind, count: number, M: number, addend = false): boolean {
  const v = f32Variant(ctx, { M });
  return count >= 2 && count <= 3 && (kind === 'sum' || !addend) && (v === 'rows' || v === 'tiled') && groupStorage(kind, count, addend) <= ctx.limits.maxStorageBuffersPerShaderStage;
}

/**
 * Two or three f32 products in one dispatch of the 'rows' or the 'tiled' kernel (see MatmulGroupKind; `variant`,
 * default the adapter's shape where it is one of the two, else 'rows'; both run on any adapter); bad groups are
 * refused naming the product and field at fault. For 'shareA' / 'shareB' whose grid would pass the adapter's
 * maxComputeWorkgroupsPerDimension, one dispatch a product.
 */
export async function planMatmulF32Group(ctx: GpuContext, kind: MatmulGroupKind, ps: readonly MatmulF32Product[], o: { addend?: Bindable; variant?: 'rows' | 'tiled'; cols?: number; rows?: number; /** 'sum' on 'rows': A through subgroupBroadcast (default: pickSubA, as one product). */ subA?: boolean } = {}): Promise<Dispatch[]> {
  const G = ps.length;
  checkShape('matmul_f32_group', 'products', G === 2 || G === 3, `${G} products: a group has 2 or 3`);
  ps.forEach((p, i) => {
    for (const [k, v] of Object.entries({ M: p.M, N: p.N, K: p.K })) checkShape('matmul_f32_group', `products[${i}].${k}`, Number.isInteger(v) && v > 0, `${k}=${v} must be a positive integer`);
    const same = (what: string, ok: boolean) => checkShape('matmul_f32_group', `products[${i}].${what}`, ok, `${what} differs from products[0]'s (a '${kind}' group shares it)`);
    same('transA', !!p.transA === !!ps[0].transA);
    same('transB', !!p.transB === !!ps[0].transB);
    if (kind === 'shareA') same('a, M, K', p.a === ps[0].a && p.M === ps[0].M && p.K === ps[0].K);
    if (kind === 'shareB') same('b, K, N', p.b === ps[0].b && p.K === ps[0].K && p.N === ps[0].N);
    if (kind === 'sum') same('c, M, N', p.c === ps[0].c && p.M === ps[0].M && p.N === ps[0].N);
  });
  checkShape('matmul_f32_group', 'addend', !o.addend || kind === 'sum', `an addend takes a 'sum' group, not '${kind}'`);
  const Mmax = Math.max(...ps.map((p) => p.M));
  checkShape('matmul_f32_group', 'variant', o.variant === undefined || o.variant === 'rows' || o.variant === 'tiled', `'${o.variant}' is not 'rows' or 'tiled'`);
  const variant = o.variant ?? (f32Variant(ctx, { M: Mmax }) === 'tiled' ? 'tiled' : 'rows');
  const storage = groupStorage(kind, G, !!o.addend);
  checkShape('matmul_f32_group', 'bindings', storage <= ctx.limits.maxStorageBuffersPerShaderStage, `${storage} storage buffers, over the adapter's maxStorageBuffersPerShaderStage (${ctx.limits.maxStorageBuffersPerShaderStage})`);
  const t = tuningFor(ctx).matmulF32;
  const { transA, transB } = ps[0];
  const group = { ACCUM: !!o.addend, GROUP: true, GROUP3: G === 3, GROUP_A: kind === 'shareA', GROUP_B: kind === 'shareB', GROUP_SUM: kind === 'sum', TRANS_A: !!transA, TRANS_B: !!transB };
  let def: KernelDef;
  let defines: Record<string, boolean | number>;
  let overrides: Record<string, number>;
  let per: [number, number]; // outputs a workgroup covers along N, M
  if (variant === 'tiled') {
    const tl = tiledShape(ctx, 'matmul_f32_group');
    [def, defines, overrides, per] = [MATMUL_F32, { ...group, TILED: true, TILE: tl.tile }, tl.overrides, tl.per];
  } else {
    const small = Mmax <= t.smallM;
    const cols = o.cols ?? (small ? t.smallCols : t.rowsCols);
    const rows = o.rows ?? (small ? 4 : fitRows(t.rowsM, Mmax));
    const block = rowsBlockDefines('matmul_f32_group', rows, cols);
    // A sum group's products share each invocation's rows and columns, so they can share A through subgroupBroadcast.
    checkShape('matmul_f32_group', 'subA', !o.subA || (kind === 'sum' && subgroupsOf4(ctx)), `SUB_A takes a 'sum' group on an adapter with subgroups of at least 4 lanes (this: '${kind}', subgroups ${ctx.caps.subgroups ? ctx.caps.subgroupMinSize : 'none'})`);
    const subA = kind === 'sum' && (o.subA ?? pickSubA(ctx, ps[0].N, cols));
    const [wgX, wgY] = subA ? subAWorkgroup(t.rowsWG, ps[0].N, cols) : rowsWorkgroup(t.rowsWG, ps, rows, cols);
    const vec = {
      SUB_A: subA,
      // Under SUB_A a non-transposed A is read an element a lane (bound as f32s).
      A_VEC: (!subA || !!transA) && ps.every((p) => (transA ? p.M : p.K) % 4 === 0),
      B_VEC: ps.every((p) => (transB ? p.K : p.N) % 4 === 0),
      C_VEC: ps.every((p) => p.N % 4 === 0),
    };
    defines = { ...group, ...vec, ...block };
    [def, overrides, per] = [MATMUL_F32_ROWS, { WG_X: wgX, WG_Y: wgY }, [cols * wgX, rows * wgY]];
  }
  const grid = ps.map((p) => [Math.ceil(p.N / per[0]), Math.ceil(p.M / per[1])]);
  const t0 = grid.map((_, i) => grid.slice(0, i).reduce((s, [x, y]) => s + x * y, 0));
  const total = t0[G - 1] + grid[G - 1][0] * grid[G - 1][1];
  if (kind !== 'sum' && total > ctx.limits.maxComputeWorkgroupsPerDimension) {
    const knobs = variant === 'tiled' ? { variant } : { variant, cols: defines.COLS as number, rows: defines.ROWS as number };
    return Promise.all(ps.map((p) => planMatmulF32(ctx, p.a, p.b, p.c, { M: p.M, N: p.N, K: p.K, transA: p.transA, transB: p.transB, ...knobs })));
  }
  const params: Record<string, number> = {};
  const bindings: Record<string, Bindable> = o.addend ? { addend: o.addend } : {};
  const expect: Record<string, number> = o.addend ? { addend: 4 * ps[0].M * ps[0].N } : {};
  ps.forEach((p, i) => {
    const s = i ? String(i) : '';
    Object.assign(params, { [`M${s}`]: p.M, [`N${s}`]: p.N, [`K${s}`]: p.K, [`batch_a${s}`]: p.M * p.K, [`batch_b${s}`]: p.K * p.N, [`batch_c${s}`]: p.M * p.N, [`ldc${s}`]: p.N, [`c0${s}`]: 0, [`nx${s}`]: grid[i][0] });
    if (i) params[`t0${s}`] = t0[i];
    const own = { a: kind !== 'shareA' || !i, b: kind !== 'shareB' || !i, c: kind !== 'sum' || !i };
    if (own.a) Object.assign(bindings, { [`a${s}`]: p.a }) && (expect[`a${s}`] = 4 * p.M * p.K);
    if (own.b) Object.assign(bindings, { [`b${s}`]: p.b }) && (expect[`b${s}`] = 4 * p.K * p.N);
    if (own.c) Object.assign(bindings, { [`c${s}`]: p.c }) && (expect[`c${s}`] = 4 * p.M * p.N);
  });
  const kernel = await getKernel(ctx, def, defines, overrides);
  const workgroups: [number, number, number] = kind === 'sum' ? [grid[0][0], grid[0][1], 1] : [total, 1, 1];
  return [{ kernel, args: { bindings, params, expect }, workgroups }];
}
