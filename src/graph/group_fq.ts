// Compile-time grouping of fake-quant forwards (Executable.compile, after the fusions, before the products' groups):
// the weights of a QAT model are quantized one dispatch each (fake_quant with a dynamic rule, fake_quant_lsq with
// learned or static scales); those with the same quantizer (op, bits, group, grid, rule) whose inputs no node of the
// step makes (params and constants) run two or three a dispatch of fake_quant_multi.wgsl, the same bits. A group
// sits at its first member's place: its inputs are ready from the start and every reader of an output comes after
// that output's own node. What QAT saves: 15 fake-quant dispatches of the bundled model's step become 5.
// The nodes are not changed (a graph compiles more than once): the schedule gets nodes of its own.
import type { GpuContext } from '../gpu/context.js';
import { FUSE_MAX_ELEMS } from '../kernels/fake_quant.js';
import { fakeQuantMultiMax, planFakeQuantMulti, type FakeQuantMultiSpec } from '../kernels/fake_quant_multi.js';
import type { FakeQuantSpec } from '../kernels/fake_quant.js';
import type { QParamsMode } from '../ref/fake_quant.js';
import type { Node, Storage, Tensor } from './tensor.js';

/** What a fake-quant forward node records as `attrs.fqMulti`: its quantizer (the group key) and tensors. */
export interface FakeQuantMultiSource {
  key: string;
  spec: FakeQuantMultiSpec;
  x: Tensor;
  scale: Tensor;
  zp: Tensor;
  y: Tensor;
}

/**
 * The `attrs.fqMulti` of a fake-quant forward over groups along the last axis of at most FUSE_MAX_ELEMS elements
 * (one invocation quantizes a group), or undefined (per token, per tensor, longer groups: not grouped). `rule`: the
 * dynamic rule that finds the scales; absent, they are given.
 */
export function multiSource(op: string, s: FakeQuantSpec, g: { kind: string; group?: number }, t: Omit<FakeQuantMultiSource, 'key' | 'spec'>, rule?: QParamsMode): FakeQuantMultiSource | undefined {
  if (g.kind !== 'group' || !g.group || g.group > FUSE_MAX_ELEMS) return undefined;
  const spec: FakeQuantMultiSpec = { inner: g.group, bits: s.bits, qmin: s.qmin, qmax: s.qmax, ...(s.midrise ? { midrise: true } : {}), ...(rule ? { rule } : {}) };
  return { key: `${op} ${JSON.stringify(spec)}`, spec, ...t };
}

/** `order` with fake-quant forwards of the same quantizer grouped, up to fakeQuantMultiMax(ctx) a dispatch. */
export function groupFakeQuants(order: Node[], ctx: GpuContext): Node[] {
  const max = fakeQuantMultiMax(ctx);
  if (max < 2) return order;
  const made = new Set<Storage>();
  for (const n of order) for (const o of n.outputs) made.add(o.storage);
  const dense = (t: Tensor) => t.isContiguous() && t.offset === 0;
  const buckets = new Map<string, Node[][]>();
  for (const n of order) {
    const m = n.attrs.fqMulti as FakeQuantMultiSource | undefined;
    if (!m || n.inputs.some((t) => made.has(t.storage)) || ![m.x, m.scale, m.zp, m.y].every(dense)) continue;
    const open = buckets.get(m.key) ?? [];
    buckets.set(m.key, open);
    if (!open.length || open[open.length - 1].length >= max) open.push([]);
    open[open.length - 1].push(n);
  }
  const groupOf = new Map<Node, Node | null>(); // first member -> its group's node; the others -> null
  for (const members of [...buckets.values()].flat()) {
    if (members.length < 2) continue;
    const srcs = members.map((m) => m.attrs.fqMulti as FakeQuantMultiSource);
    const node: Node = {
      id: members[0].id,
      op: 'fake_quant_multi',
      inputs: members.flatMap((m) => m.inputs),
      outputs: members.flatMap((m) => m.outputs),
      attrs: { groupedFrom: members.map((m) => m.id) },
      plan: async (pc) => [await planFakeQuantMulti(pc.ctx, srcs.map((t) => ({ x: pc.buf(t.x), scale: pc.buf(t.scale), zero_point: pc.buf(t.zp), y: pc.buf(t.y), channels: t.x.numel / t.spec.inner })), srcs[0].spec)],
    };
    members.forEach((m, i) => groupOf.set(m, i ? null : node));
  }
  if (!groupOf.size) return order;
  return order.flatMap((n) => {
    const g = groupOf.get(n);
    return g === undefined ? [n] : g ? [g] : [];
  });
}
