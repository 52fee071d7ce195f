// The registry of kernels `nibble kernel <name>` can run on tensors from a safetensors file, so that anyone
// holding a reference (PyTorch, numpy) can check a kernel from the outside. Each entry is one self-contained
// RunnableKernel object: its input and output tensors, its parameters (typed, with defaults) and a run function.
// To add a kernel: define the object next to its kernel family (see QUANT_RUNNABLES in src/kernels/quant_runnable.ts)
// and list it in RUNNABLE_KERNELS below.
import type { GpuContext } from '../gpu/context.js';
import type { Tensor } from '../io/safetensors.js';
import { KernelInputError, type ParamSpec, type ParamValue, type RunnableKernel, type TensorSpec } from './runnable.js';
import { QUANT_RUNNABLES } from './quant_runnable.js';
import { MATMUL_RUNNABLES } from './matmul_runnable.js';
import { FAKE_QUANT_RUNNABLE } from './fake_quant.js';

export * from './runnable.js';

export const RUNNABLE_KERNELS: RunnableKernel[] = [...QUANT_RUNNABLES, ...MATMUL_RUNNABLES, FAKE_QUANT_RUNNABLE];

export function findRunnable(name: string): RunnableKernel {
  const k = RUNNABLE_KERNELS.find((r) => r.name === name);
  if (!k) throw new KernelInputError(`unknown kernel '${name}' (kernels: ${RUNNABLE_KERNELS.map((r) => r.name).join(', ')})`);
  return k;
}

function parseOne(k: RunnableKernel, p: ParamSpec, raw: string): ParamValue {
  const bad = (why: string) => new KernelInputError(`kernel '${k.name}': parameter '${p.name}' = '${raw}' ${why}`);
  let v: ParamValue;
  if (p.type === 'int') {
    if (!/^-?\d+$/.test(raw.trim())) throw bad('is not an integer');
    v = Number(raw);
  } else if (p.type === 'float') {
    v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw bad('is not a finite number');
  } else if (p.type === 'bool') {
    const t = raw.trim().toLowerCase();
    if (!['true', 'false', '1', '0'].includes(t)) throw bad('is not true or false');
    v = t === 'true' || t === '1';
  } else v = raw;
  if (p.choices && !p.choices.includes(v as string | number)) throw bad(`is not one of ${p.choices.join(', ')}`);
  return v;
}

/** Parses `key=value` strings into typed parameters (defaults filled in). */
export function parseParams(k: RunnableKernel, raw: Readonly<Record<string, string>>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const key of Object.keys(raw)) {
    if (!k.params.some((p) => p.name === key)) throw new KernelInputError(`kernel '${k.name}': parameter '${key}' is not known (parameters: ${k.params.map((p) => p.name).join(', ') || 'none'})`);
  }
  for (const p of k.params) out[p.name] = p.name in raw ? parseOne(k, p, raw[p.name]) : p.default;
  return out;
}

export function checkInputs(k: RunnableKernel, inputs: Readonly<Record<string, Tensor>>): void {
  const names = k.inputs.map((t) => t.name);
  for (const name of Object.keys(inputs)) {
    if (!names.includes(name)) throw new KernelInputError(`kernel '${k.name}': input tensor '${name}' is not known (inputs: ${names.join(', ')})`);
  }
  for (const spec of k.inputs) {
    const t = inputs[spec.name];
    if (!t) {
      if (spec.optional) continue;
      throw new KernelInputError(`kernel '${k.name}': input tensor '${spec.name}' ${spec.dtypes.join('|')} ${spec.shape} is missing`);
    }
    if (!spec.dtypes.includes(t.dtype)) throw new KernelInputError(`kernel '${k.name}': tensor '${spec.name}' is ${t.dtype}, expected ${spec.dtypes.join(' or ')}`);
  }
}

/** Checks inputs and parameters, runs the kernel, and checks that it returned only its declared outputs. */
export async function runKernel(ctx: GpuContext, name: string, inputs: Record<string, Tensor>, rawParams: Readonly<Record<string, string>> = {}): Promise<Record<string, Tensor>> {
  const k = findRunnable(name);
  const params = parseParams(k, rawParams);
  checkInputs(k, inputs);
  const out = await k.run(ctx, inputs, params);
  for (const [n, t] of Object.entries(out)) {
    const spec = k.outputs.find((o) => o.name === n);
    if (!spec || !spec.dtypes.includes(t.dtype)) throw new Error(`kernel '${k.name}' returned output '${n}' (${t.dtype}) that its spec does not declare`);
  }
  return out;
}

/** The `nibble kernel --list` text of one kernel. */
export function describeRunnable(k: RunnableKernel): string {
  const t = (s: TensorSpec) => `    ${s.name.padEnd(8)} ${s.dtypes.join('|').padEnd(8)} ${s.shape}${s.optional ? ' (optional)' : ''}${s.doc ? `  ${s.doc}` : ''}`;
  const p = (s: ParamSpec) =>
    `    ${s.name.padEnd(12)} ${s.type}${s.choices ? ` (${s.choices.join('|')})` : ''}${s.default !== undefined ? `, default ${s.default}` : ''}  ${s.doc}`;
  return [
    `${k.name}: ${k.summary}`,
    `  inputs:`,
    ...k.inputs.map(t),
    `  outputs:`,
    ...k.outputs.map(t),
    `  params:${k.params.length ? '' : ' none'}`,
    ...k.params.map(p),
  ].join('\n');
}
