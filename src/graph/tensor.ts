// Tensor handles of the graph: a storage (one GPU buffer at run time), a view on it (shape, element strides,
// element offset) and the node that produced it. Handles are lazy: nothing here touches the GPU.
import type { Graph } from './graph.js';
import type { Dispatch } from '../kernels/common.js';
import type { GpuContext } from '../gpu/context.js';
import type { Bindable } from '../gpu/kernel.js';

/** Element types. 'q4' / 'q8' are quantized weights (src/quant/layout.ts) carrying their scheme. */
export type DType = 'f32' | 'f16' | 'i32' | 'u32' | 'q4' | 'q8';

/** A quantized weight's scheme (the packing is src/quant/layout.ts); kernels for it plug in via registerQuantMatmul. */
export interface QuantScheme {
  bits: 4 | 8;
  groupSize: number;
  mode: 'symmetric' | 'asymmetric' | 'float-min';
}

/** What a 'q4' / 'q8' tensor carries besides its packed codes: the scheme and its scales / zeros tensors. */
export interface QuantWeight {
  scheme: QuantScheme;
  /** [N, ceil(K / groupSize)] f32. */
  scales: Tensor;
  /** Zero points (asymmetric) or minimums (float-min), [N, ceil(K / groupSize)]; null when symmetric. */
  zeros: Tensor | null;
}

export const DTYPE_BYTES: Record<DType, number> = { f32: 4, f16: 2, i32: 4, u32: 4, q4: 0.5, q8: 1 };

export type StorageKind = 'temp' | 'param' | 'input' | 'const';

/** One buffer's worth of data: temps are assigned pooled buffers by the executor; the rest are persistent. */
export class Storage {
  constructor(
    readonly id: number,
    readonly kind: StorageKind,
    readonly bytes: number,
    readonly label: string,
    /** Initial contents of params and consts. */
    readonly init: ArrayBufferView | null = null,
  ) {}
}

/** Shape of a planned dispatch list: the executor hands each node its buffers by tensor. */
export interface PlanContext {
  ctx: GpuContext;
  /** The buffer holding `t`'s storage. */
  buf(t: Tensor): Bindable;
  /** Shape of the row-reduction kernels: the adapter's tuning unless the graph overrides it. */
  rowReduce: 'invocation' | 'workgroup';
  /** Adjacent elements per invocation of shaders/ops/ew.wgsl: the graph's option, else the adapter's tuning. */
  elementwiseRun: number;
}

export type PlanFn = (pc: PlanContext) => Promise<Dispatch[]>;

export interface Node {
  id: number;
  op: string;
  inputs: Tensor[];
  outputs: Tensor[];
  attrs: Record<string, unknown>;
  /** Views produce no dispatch. */
  plan: PlanFn | null;
  /** Inputs that take no gradient (indices, saved statistics). */
  noGrad?: number[];
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export const numelOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
export const fmtShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly storage: Storage,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly offset: number,
    readonly dtype: DType,
    /** The node that made this handle (null for params, inputs and constants). */
    readonly node: Node | null,
    readonly name: string,
    readonly quant: QuantWeight | null = null,
  ) {}

  /** Params, and inputs created with requiresGrad, take gradients. */
  requiresGrad = false;

  get rank(): number {
    return this.shape.length;
  }
  get numel(): number {
    return numelOf(this.shape);
  }
  /** Row-major dense strides (any offset): a reshape of it is a view. */
  isDense(): boolean {
    const c = contiguousStrides(this.shape);
    return this.shape.every((n, i) => n === 1 || this.strides[i] === c[i]);
  }
  /** Dense and starting at element 0: what kernels without stride/offset parameters read. */
  isContiguous(): boolean {
    return this.offset === 0 && this.isDense();
  }
  /** 'x [2, 3] f32' for messages. */
  describe(): string {
    return `'${this.name}' ${fmtShape(this.shape)} ${this.dtype}`;
  }
  /** Throws once the graph is destroyed. */
  check(): void {
    this.graph.checkAlive(this);
  }
}
