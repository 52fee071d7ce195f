// Compile-time grouping of f32 products (Executable.compile, after fuseAdds): products that share an operand run as
// one dispatch of the grouped kernel (planMatmulF32Group) where the adapter's matmul shape has one:
//   'shareA'  x W_q^T, x W_k^T, x W_v^T (one input, several weights; also gate and up)
//   'shareB'  their weight gradients dY_s^T X (one X)
//   'sum'     the input gradient dY_q W_q + dY_k W_k + dY_v W_v, which fuseAdds left as a chain of matmul + add
//             dispatches, each adding its product to the one before: the group sums in that order, the same bits.
// What a training step saves: two dispatches of each three (one of each two) per layer and direction.
// `group: 'sum'` (the tuning or GraphOptions) takes the sums only: on SwiftShader a share-A / share-B group costs a
// fixed ~1-1.5 ms more than its products' own dispatches, a sum group nothing (docs/training-speed-early.md, "Third round").
// The nodes are not changed (a graph compiles more than once): the schedule gets nodes of its own.
import type { GpuContext } from '../gpu/context.js';
import type { Dispatch } from '../kernels/common.js';
import type { Node, PlanContext, Storage, Tensor } from './tensor.js';

export type GemmGroupKind = 'shareA' | 'shareB' | 'sum';

/** What an f32 matmul node of batch 1 records as `attrs.gemm`: its operands (dense views) and how to group it. */
export interface Gemm {
  a: Tensor;
  b: Tensor;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  /** Whether the adapter runs `count` such products of this kind in one dispatch. */
  can: (ctx: GpuContext, kind: GemmGroupKind, count: number, M: number, addend: boolean) => boolean;
  /** The group's dispatches: `outputs` one a product ('shareA' / 'shareB') or the one sum, plus `addend` first. */
  plan: (pc: PlanContext, kind: GemmGroupKind, gemms: Gemm[], outputs: Tensor[], addend?: Tensor) => Promise<Dispatch[]>;
}

const MAX = 3;
const gemmOf = (n: Node) => n.attrs.gemm as Gemm | undefined;
const sameView = (x: Tensor, y: Tensor) => x.storage === y.storage && x.offset === y.offset;

/** `order` with chains of summed products and products sharing an operand grouped (see the file's head). */
export function groupGemms(order: Node[], roots: ReadonlySet<Storage>, ctx: GpuContext, only?: 'sum'): Node[] {
  const sums = groupSums(order, roots, ctx);
  return only === 'sum' ? sums : groupShared(groupShared(sums, ctx, 'shareA'), ctx, 'shareB');
}

function readerCounts(order: Node[]): Map<Storage, number> {
  const readers = new Map<Storage, number>();
  for (const n of order) for (const s of new Set(n.inputs.map((t) => t.storage))) readers.set(s, (readers.get(s) ?? 0) + 1);
  return readers;
}

// A matmul + add whose addend is the product (or sum) just before it, read by nothing else: one 'matmul_sum'.
function groupSums(order: Node[], roots: ReadonlySet<Storage>, ctx: GpuContext): Node[] {
  const out = [...order];
  const readers = readerCounts(order);
  const producer = new Map<Storage, Node>();
  for (const n of out) for (const o of n.outputs) producer.set(o.storage, n);
  for (let i = 0; i < out.length; i++) {
    const n = out[i];
    const g = gemmOf(n);
    const addend = n.attrs.addend as Tensor | undefined;
    if (n.op !== 'matmul_add' || !g || !addend) continue;
    const p = producer.get(addend.storage);
    if (!p || p.outputs.length !== 1 || p.outputs[0].storage !== addend.storage || readers.get(addend.storage) !== 1 || roots.has(addend.storage)) continue;
    const before = p.op === 'matmul_sum' ? (p.attrs.gemms as Gemm[]) : p.op === 'matmul' || p.op === 'matmul_add' ? [gemmOf(p)].filter((x): x is Gemm => !!x) : [];
    const first = before[0];
    if (!first || before.length >= MAX || first.M !== g.M || first.N !== g.N || first.transA !== g.transA || first.transB !== g.transB) continue;
    const gemms = [...before, g];
    const chainAddend = p.op === 'matmul' ? undefined : (p.attrs.addend as Tensor | undefined);
    if (!g.can(ctx, 'sum', gemms.length, g.M, !!chainAddend)) continue;
    const outputs = n.outputs;
    const node: Node = {
      id: n.id,
      op: 'matmul_sum',
      inputs: [...gemms.flatMap((x) => [x.a, x.b]), ...(chainAddend ? [chainAddend] : [])],
      outputs,
      attrs: { gemms, addend: chainAddend, groupedFrom: [...((p.attrs.groupedFrom as number[]) ?? [p.id]), n.id] },
      plan: (pc) => g.plan(pc, 'sum', gemms, outputs, chainAddend),
    };
    out.splice(i, 1, node);
    out.splice(out.indexOf(p), 1);
    i--;
    for (const o of outputs) producer.set(o.storage, node);
  }
  return out;
}

// Plain products with the same A (or B) view, up to three in schedule order, none reading (through other nodes) what
// another makes: one 'matmul_group', scheduled where its last operand is ready (a stable topological sort keeps every
// other node in order as far as its inputs allow: a fake-quant weight made between q's product and v's moves before
// the group, the RoPE that reads q and k after it).
function groupShared(order: Node[], ctx: GpuContext, kind: 'shareA' | 'shareB'): Node[] {
  const buckets: Node[][] = [];
  for (const n of order) {
    const g = gemmOf(n);
    if (n.op !== 'matmul' || !g) continue;
    const fits = (m: Node) => {
      const h = gemmOf(m)!;
      if (h.transA !== g.transA || h.transB !== g.transB) return false;
      return kind === 'shareA' ? sameView(h.a, g.a) && h.M === g.M && h.K === g.K : sameView(h.b, g.b) && h.K === g.K && h.N === g.N;
    };
    const bucket = buckets.find((b) => b.length < MAX && fits(b[0]));
    if (bucket) bucket.push(n);
    else buckets.push([n]);
  }
  const readers = new Map<Storage, Node[]>();
  for (const n of order) for (const t of n.inputs) readers.set(t.storage, [...(readers.get(t.storage) ?? []), n]);
  const groupOf = new Map<Node, Node>(); // member -> its group's node
  for (const members of buckets) {
    if (members.length < 2 || reaches(members, readers)) continue;
    const gemms = members.map((m) => gemmOf(m)!);
    if (!gemms[0].can(ctx, kind, gemms.length, Math.max(...gemms.map((x) => x.M)), false)) continue;
    const outputs = members.map((m) => m.outputs[0]);
    const node: Node = {
      id: members[0].id,
      op: 'matmul_group',
      inputs: kind === 'shareA' ? [gemms[0].a, ...gemms.map((x) => x.b)] : [...gemms.map((x) => x.a), gemms[0].b],
      outputs,
      attrs: { kind, gemms, groupedFrom: members.map((m) => m.id) },
      plan: (pc) => gemms[0].plan(pc, kind, gemms, outputs),
    };
    for (const m of members) groupOf.set(m, node);
  }
  if (!groupOf.size) return order;
  const nodes = [...new Set(order.map((n) => groupOf.get(n) ?? n))];
  return stableTopological(nodes) ?? order; // null: groups that need each other's outputs (a cycle): none taken
}

/** Whether some member reads, through any chain of nodes, an output of another. */
function reaches(members: Node[], readers: Map<Storage, Node[]>): boolean {
  for (const m of members) {
    const seen = new Set<Node>();
    const stack = m.outputs.flatMap((o) => readers.get(o.storage) ?? []);
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      if (members.includes(n)) return true;
      seen.add(n);
      for (const o of n.outputs) stack.push(...(readers.get(o.storage) ?? []));
    }
  }
  return false;
}

/**
 * `nodes` (in schedule order, a group at its first member's place) in an order where every node comes after the
 * makers of its inputs, each time taking the earliest node whose inputs are made; null if some never are (a cycle).
 */
function stableTopological(nodes: Node[]): Node[] | null {
  const maker = new Map<Storage, Node>();
  for (const n of nodes) for (const o of n.outputs) maker.set(o.storage, n);
  const waits = new Map<Node, number>();
  const next = new Map<Node, Node[]>();
  for (const n of nodes) {
    const deps = new Set(n.inputs.map((t) => maker.get(t.storage)).filter((m): m is Node => !!m && m !== n));
    waits.set(n, deps.size);
    for (const d of deps) next.set(d, [...(next.get(d) ?? []), n]);
  }
  const rank = new Map(nodes.map((n, i) => [n, i]));
  const ready = nodes.filter((n) => waits.get(n) === 0);
  const out: Node[] = [];
  while (ready.length) {
    let best = 0;
    for (let i = 1; i < ready.length; i++) if (rank.get(ready[i])! < rank.get(ready[best])!) best = i;
    const n = ready.splice(best, 1)[0];
    out.push(n);
    for (const m of next.get(n) ?? []) {
      const w = waits.get(m)! - 1;
      waits.set(m, w);
      if (w === 0) ready.push(m);
    }
  }
  return out.length === nodes.length ? out : null;
}
