// What every op shares: build-time checks whose errors name the op, its inputs and their shapes, and the
// small shape helpers (broadcasting, uniform packing of shapes and strides).
import type { Graph } from '../graph/graph.js';
import { fmtShape, type DType, type Tensor } from '../graph/tensor.js';
import { padSlots } from '../kernels/common.js';

export class OpError extends Error {
  constructor(op: string, inputs: Tensor[], detail: string) {
    super(`op '${op}' (inputs: ${inputs.map((t) => t.describe()).join(', ')}): ${detail}`);
    this.name = 'OpError';
  }
}

/** The graph all `inputs` belong to; throws if they mix graphs or one was destroyed. */
export function graphOf(op: string, inputs: Tensor[]): Graph {
  for (const t of inputs) t.check();
  const g = inputs[0].graph;
  const other = inputs.find((t) => t.graph !== g);
  if (other) throw new OpError(op, inputs, `${other.describe()} belongs to graph '${other.graph.label}', not '${g.label}'`);
  return g;
}

export function requireDtype(op: string, inputs: Tensor[], t: Tensor, role: string, ...ok: DType[]): void {
  if (!ok.includes(t.dtype)) throw new OpError(op, inputs, `${role} ${t.describe()} must be ${ok.join(' or ')} (cast it first)`);
}

export function requireRank(op: string, inputs: Tensor[], t: Tensor, role: string, min: number, max = 8): void {
  if (t.rank < min || t.rank > max) throw new OpError(op, inputs, `${role} ${t.describe()} must have rank ${min === max ? min : `${min}..${max}`}`);
}

/** Numpy broadcasting of two shapes, or null. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

/** Strides that read `t` as if it had shape `shape` (broadcast dims get stride 0). */
export function broadcastStrides(t: Tensor, shape: readonly number[]): number[] {
  const off = shape.length - t.rank;
  return shape.map((n, i) => {
    const d = i - off;
    if (d < 0 || t.shape[d] === 1) return 0;
    return t.strides[d];
  });
}

/** Splits up to 8 values into the two vec4 uniform fields `${name}0`, `${name}1`. */
export function vec8(name: string, v: readonly number[], fill = 0): Record<string, number[]> {
  if (v.length > 8) throw new Error(`${name}: rank ${v.length} > 8`);
  const a = padSlots(v, 8, fill);
  return { [`${name}0`]: a.slice(0, 4), [`${name}1`]: a.slice(4, 8) };
}

export const sameShape = (a: readonly number[], b: readonly number[]) => fmtShape(a) === fmtShape(b);

/** Normalises a possibly negative axis. */
export function axisOf(op: string, inputs: Tensor[], t: Tensor, axis: number): number {
  const a = axis < 0 ? axis + t.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= t.rank) throw new OpError(op, inputs, `axis ${axis} is out of range for ${t.describe()}`);
  return a;
}
