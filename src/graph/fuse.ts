// Compile-time fusion over a schedule (Executable.compile): an add whose operand is the output of a fusable node (an
// f32 matmul's product, a norm's dx) that nothing else reads becomes one dispatch, that node writing its value + the
// other operand (the kernels' ACCUM epilogue, one rounding as the add's). What it catches in training: a Linear's
// residual add, and the backward's sums of gradients where a tensor feeds several matmuls (dX of q, k, v; of gate and
// up), a residual branch, or a norm.
// Also: RoPE's backward (rope_pair_bwd) of the dq and dk that flash attention's backward made and nothing else
// reads, done by that backward as it stores them (fuseRopeBackward).
// Also: a QAT weight's STE backward (fake_quant_bwd) of the gradient an f32 matmul made and nothing else reads, done
// by that matmul as it stores the gradient (fuseSteMasks), where its kernel has the epilogue.
// Also: a norm's forward over an embedding's output, done by the norm as it gathers the rows (fuseEmbeddingNorms).
// The nodes are not changed (a graph compiles more than once): the schedule gets a node of its own.
import type { GpuContext } from '../gpu/context.js';
import type { Bindable } from '../gpu/kernel.js';
import type { PlanContext, Node, Storage, Tensor } from './tensor.js';
import type { Dispatch } from '../kernels/common.js';
import type { SteMaskEpilogue } from '../kernels/matmul.js';
import { tuningFor } from '../kernels/tuning.js';
import { FLASH_BWD_ROPE_STORAGE, type RopeFusable } from '../ops/flash_attention.js';
import type { NormGather } from '../ops/norm.js';

/**
 * What a fusable op (matmul, the norms' backward) records as its node's `attrs.fuse`, so that a fused schedule can
 * replan it with an addend (a dense buffer laid out as its output 0) and other outputs.
 */
export interface Fusable {
  /** The tensors the node reads. */
  inputs: Tensor[];
  plan: (pc: PlanContext, outputs: Tensor[], addend?: Bindable) => Promise<Dispatch[]>;
}

/** What an f32 matmul node records as `attrs.steMask`: it can store its product through a fake-quant STE mask. */
export interface SteMaskFusable {
  inputs: Tensor[];
  /** Whether the adapter's kernel for this product has the epilogue. */
  can: (ctx: GpuContext) => boolean;
  plan: (pc: PlanContext, outputs: Tensor[], mask: SteMaskEpilogue) => Promise<Dispatch[]>;
}

/** What a fake_quant_bwd node records as `attrs.steMask`: its gradient input, what the mask reads, the epilogue. */
export interface SteMaskSource {
  dy: Tensor;
  reads: Tensor[];
  epilogue: (pc: PlanContext) => SteMaskEpilogue;
}

/** Of a schedule: each storage's producing node, each node's place, and how many nodes read each storage. */
function scheduleIndex(order: readonly Node[]): { producer: Map<Storage, Node>; at: Map<Node, number>; readers: Map<Storage, number> } {
  const producer = new Map<Storage, Node>();
  const at = new Map<Node, number>();
  const readers = new Map<Storage, number>();
  order.forEach((n, i) => {
    at.set(n, i);
    for (const o of n.outputs) producer.set(o.storage, n);
    for (const s of new Set(n.inputs.map((t) => t.storage))) readers.set(s, (readers.get(s) ?? 0) + 1);
  });
  return { producer, at, readers };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((n, i) => n === b[i]);

/**
 * `order` (the needed nodes with a plan, in schedule order) with every fusable node + add pair replaced by one
 * `<op>_add` node, reading the node's inputs and the add's other operand and writing the add's output in place of
 * the node's output 0 (its other outputs as before). It runs at the node's place when the other operand is made
 * before the node, else (a node of one output) at the add's. `roots`: storages read after the run (never fused away).
 */
export function fuseAdds(order: Node[], roots: ReadonlySet<Storage>): Node[] {
  const { producer, at, readers } = scheduleIndex(order);
  const replaced = new Map<Node, Node>(); // node -> the fused node in its place
  const dropped = new Set<Node>();
  for (const n of order) {
    if (n.op !== 'add' || n.inputs.length !== 2) continue;
    const y = n.outputs[0];
    if (!n.inputs.every((t) => t.isContiguous() && sameShape(t.shape, y.shape))) continue;
    // The later-made operand first: the other is then made before it, so the fused node can take its place.
    const cands = [0, 1]
      .map((j) => ({ j, m: producer.get(n.inputs[j].storage) }))
      .filter(({ j, m }) => m && m.attrs.fuse && m.outputs[0].storage === n.inputs[j].storage && !dropped.has(m) && !replaced.has(m) && readers.get(n.inputs[j].storage) === 1 && !roots.has(n.inputs[j].storage) && producer.get(n.inputs[1 - j].storage) !== m)
      .sort((a, b) => at.get(b.m!)! - at.get(a.m!)!);
    for (const { j, m } of cands) {
      const other = n.inputs[1 - j];
      const made = producer.get(other.storage);
      const early = !made || at.get(made)! < at.get(m!)!;
      if (!early && m!.outputs.length > 1) continue;
      const f = m!.attrs.fuse as Fusable;
      const outputs = [y, ...m!.outputs.slice(1)];
      const node: Node = { id: (early ? m! : n).id, op: `${m!.op}_add`, inputs: [...f.inputs, other], outputs, attrs: { ...m!.attrs, fusedFrom: [m!.id, n.id], addend: other }, plan: (pc) => f.plan(pc, outputs, pc.buf(other)) };
      if (early) {
        replaced.set(m!, node);
        dropped.add(n);
      } else {
        replaced.set(n, node);
        dropped.add(m!);
      }
      break;
    }
  }
  return order.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n);
}

/**
 * `order` with each rope_pair_bwd node whose dq and dk are outputs 0 and 1 of one flash_attention_bwd node, read by
 * nothing else, replaced: that backward, at its place, stores them rotated back (ROPE_OUT) into the rope_pair_bwd's
 * outputs; one dispatch fewer a layer. Not where the device binds too few storage buffers for the table.
 */
export function fuseRopeBackward(order: Node[], roots: ReadonlySet<Storage>, ctx: GpuContext): Node[] {
  if (ctx.limits.maxStorageBuffersPerShaderStage < FLASH_BWD_ROPE_STORAGE) return order;
  const { producer, readers } = scheduleIndex(order);
  const replaced = new Map<Node, Node>();
  const dropped = new Set<Node>();
  for (const n of order) {
    if (n.op !== 'rope_pair_bwd') continue;
    const [dq, dk, cs] = n.inputs;
    const m = producer.get(dq.storage);
    const f = m?.attrs.ropeFuse as RopeFusable | undefined;
    if (!m || !f || replaced.has(m) || producer.get(dk.storage) !== m || producer.has(cs.storage)) continue;
    if (m.outputs[0].storage !== dq.storage || m.outputs[1].storage !== dk.storage || !dq.isContiguous() || !dk.isContiguous()) continue;
    if ([dq, dk].some((t) => readers.get(t.storage) !== 1 || roots.has(t.storage))) continue;
    const a = n.attrs as { heads: number; kvHeads: number; layout: 'neox' | 'norm'; ropeDims?: number };
    const D = dq.shape[dq.rank - 1];
    if (a.heads !== f.shape.heads || a.kvHeads !== f.shape.kvHeads || D / a.heads !== f.shape.hd || dq.shape[dq.rank - 2] !== f.shape.T) continue;
    if (a.ropeDims !== undefined && a.ropeDims !== f.shape.hd) continue; // flash attention's ROPE_OUT rotates whole heads
    const outputs = [n.outputs[0], n.outputs[1], ...m.outputs.slice(2)];
    const rope = { layout: a.layout, cs };
    replaced.set(m, { id: m.id, op: 'flash_attention_bwd_rope', inputs: [...f.inputs, cs], outputs, attrs: { ...m.attrs, fusedFrom: [m.id, n.id] }, plan: (pc) => f.plan(pc, outputs, rope) });
    dropped.add(n);
  }
  return order.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n);
}

/**
 * `order` with each LayerNorm / RMSNorm forward whose input is the whole output of an embedding replaced, with that
 * embedding, by one `embedding_<norm>` node at the embedding's place: norm.wgsl's GATHER reads the table rows by id
 * and writes the embedding's output (the residual stream reads it) with the norm's y and stats, the same bits as the
 * two dispatches. The norm's gamma and beta must be made before the embedding (params are).
 */
export function fuseEmbeddingNorms(order: Node[]): Node[] {
  const { producer, at } = scheduleIndex(order);
  const replaced = new Map<Node, Node>();
  const dropped = new Set<Node>();
  for (const n of order) {
    const f = n.attrs.gather as NormGather | undefined;
    if ((n.op !== 'rms_norm' && n.op !== 'layer_norm') || !f) continue;
    const x = n.inputs[0];
    const m = producer.get(x.storage);
    if (!m || m.op !== 'embedding' || replaced.has(m) || m.outputs[0].storage !== x.storage || !x.isContiguous() || x.numel !== m.outputs[0].numel) continue;
    if (f.params.some((p) => producer.has(p.storage) && at.get(producer.get(p.storage)!)! > at.get(m)!)) continue;
    const [table, ids] = m.inputs;
    const outputs = [n.outputs[0], n.outputs[1], m.outputs[0]];
    const vocab = (m.attrs as { vocab: number }).vocab;
    replaced.set(m, { id: m.id, op: `embedding_${n.op}`, inputs: [table, ids, ...f.params], outputs, attrs: { ...n.attrs, fusedFrom: [m.id, n.id] }, plan: (pc) => f.plan(pc, outputs, table, ids, vocab) });
    dropped.add(n);
  }
  return order.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n);
}

/**
 * `order` with each fake_quant_bwd whose dy is the dense output 0 of an f32 matmul node that nothing else reads
 * replaced, with that matmul, by one `matmul_ste` node at the matmul's place: the product stored through the STE
 * mask (STE_MASK of matmul_f32_rows.wgsl and of matmul_f32.wgsl's tiled shape, the same bits). Where the tuning's fakeQuant.maskEpilogue is on and the
 * product's kernel has the epilogue; the mask's reads (weight, scale, zero point) must be made before the matmul.
 */
export function fuseSteMasks(order: Node[], roots: ReadonlySet<Storage>, ctx: GpuContext): Node[] {
  if (!tuningFor(ctx).fakeQuant.maskEpilogue) return order;
  const { producer, at, readers } = scheduleIndex(order);
  const replaced = new Map<Node, Node>();
  const dropped = new Set<Node>();
  for (const n of order) {
    const src = n.attrs.steMask as SteMaskSource | undefined;
    if (n.op !== 'fake_quant_bwd' || !src) continue;
    const dy = src.dy;
    const m = producer.get(dy.storage);
    const f = m?.attrs.steMask as SteMaskFusable | undefined;
    if (!m || !f || m.op !== 'matmul' || replaced.has(m) || m.outputs[0].storage !== dy.storage) continue;
    if (!dy.isContiguous() || dy.offset !== 0 || dy.numel !== m.outputs[0].numel || readers.get(dy.storage) !== 1 || roots.has(dy.storage)) continue;
    if (src.reads.some((t) => { const p = producer.get(t.storage); return p !== undefined && at.get(p)! > at.get(m)!; })) continue;
    if (!f.can(ctx)) continue;
    const outputs = [n.outputs[0]];
    replaced.set(m, { id: m.id, op: 'matmul_ste', inputs: [...f.inputs, ...src.reads], outputs, attrs: { M: m.attrs.M, N: m.attrs.N, K: m.attrs.K, fusedFrom: [m.id, n.id] }, plan: (pc) => f.plan(pc, outputs, src.epilogue(pc)) });
    dropped.add(n);
  }
  return order.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n);
}
