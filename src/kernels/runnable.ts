// The shape of an entry of the `nibble kernel` registry (src/kernels/runner.ts).
import type { GpuContext } from '../gpu/context.js';
import type { DType, Tensor } from '../io/safetensors.js';

export type ParamValue = number | boolean | string | undefined;

export interface ParamSpec {
  name: string;
  type: 'int' | 'float' | 'bool' | 'enum';
  /** Allowed values (enum; for int, the allowed numbers). */
  choices?: readonly (string | number)[];
  /** Used when the parameter is not given; undefined: the kernel decides (the doc says how). */
  default?: number | boolean | string;
  doc: string;
}

export interface TensorSpec {
  name: string;
  dtypes: readonly DType[];
  /** Shape in words, e.g. '[N, K]'. */
  shape: string;
  /** Inputs: may be left out. Outputs: only written in some cases (the doc says which). */
  optional?: boolean;
  doc?: string;
}

export interface RunnableKernel {
  name: string;
  summary: string;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  params: readonly ParamSpec[];
  /** Inputs and params are already checked against the specs (names, dtypes, parameter types and choices). */
  run(ctx: GpuContext, inputs: Record<string, Tensor>, params: Record<string, ParamValue>): Promise<Record<string, Tensor>>;
}

/** Bad input to a runnable kernel (unknown tensor or parameter, wrong dtype, bad value): the user's to fix. */
export class KernelInputError extends Error {
  override name = 'KernelInputError';
}

