// Compile-time fusion over a schedule (Executable.compile): an add whose operand is the output of a fusable node (an
// f32 matmul's product, a norm's dx) that nothing else reads becomes one dispatch, that node writing its value + the
// other operand (the kernels' ACCUM epilogue, one rounding as the add's). What it catches in training: a Linear's
// residual add, and the backward's sums of gradients where a tensor feeds several matmuls (dX of q, k, v; of gate and
// up), a residual branch, or a norm.
// The nodes are not changed (a graph compiles more than once): the schedule gets a node of its own.
import type { PlanContext, Node, Storage, Tensor } from './tensor.js';
import type { Dispatch } from '../kernels/common.js';

/**
 * What a fusable op (matmul, the norms' backward) records as its node's `attrs.fuse`, so that a fused schedule can
 * replan it with an addend (a dense buffer laid out as its output) and another output.
 */
export interface Fusable {
  /** The tensors the node reads. */
  inputs: Tensor[];
  plan: (pc: PlanContext, y: Tensor, addend?: GPUBuffer) => Promise<Dispatch[]>;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((n, i) => n === b[i]);

/**
 * `order` (the needed nodes with a plan, in schedule order) with every fusable node + add pair replaced by one
 * `<op>_add` node at the add's place (reading the node's inputs and the add's other operand, writing the add's
 * output). `roots`: storages read after the run (never fused away).
 */
export function fuseMatmulAdds(order: Node[], roots: ReadonlySet<Storage>): Node[] {
  const producer = new Map<Storage, Node>();
  const readers = new Map<Storage, number>();
  for (const n of order) {
    for (const o of n.outputs) producer.set(o.storage, n);
    for (const s of new Set(n.inputs.map((t) => t.storage))) readers.set(s, (readers.get(s) ?? 0) + 1);
  }
  const fused = new Map<Node, Node>();
  const dropped = new Set<Node>();
  for (const n of order) {
    if (n.op !== 'add' || n.inputs.length !== 2) continue;
    const y = n.outputs[0];
    if (!n.inputs.every((t) => t.isContiguous() && sameShape(t.shape, y.shape))) continue;
    // The later-made product first: the other operand is then certainly computed before the fused dispatch.
    const cands = [0, 1]
      .map((j) => ({ j, m: producer.get(n.inputs[j].storage) }))
      .filter(({ j, m }) => m && !dropped.has(m) && !fused.has(m) && m.attrs.fuse && m.outputs.length === 1 && readers.get(n.inputs[j].storage) === 1 && !roots.has(n.inputs[j].storage) && n.inputs[1 - j].storage !== n.inputs[j].storage)
      .sort((a, b) => b.m!.id - a.m!.id);
    if (!cands.length) continue;
    const { j, m } = cands[0];
    const f = m!.attrs.fuse as Fusable;
    const other = n.inputs[1 - j];
    dropped.add(m!);
    fused.set(n, { id: n.id, op: `${m!.op}_add`, inputs: [...f.inputs, other], outputs: n.outputs, attrs: { ...m!.attrs, fusedFrom: [m!.id, n.id] }, plan: (pc) => f.plan(pc, y, pc.buf(other)) });
  }
  return order.filter((n) => !dropped.has(n)).map((n) => fused.get(n) ?? n);
}
