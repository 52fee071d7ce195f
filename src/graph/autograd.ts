// Reverse-mode autodiff over the recorded graph: walks the nodes the loss depends on in reverse creation order,
// applies each op's rule from src/ops/grads.ts (one table) and sums the gradients of tensors used more than once.
// The result is more graph: Graph.backward caches it, so a training step's backward is built once.
import { GRADS } from '../ops/grads.js';
import { add } from '../ops/elementwise.js';
import { OpError, sameShape } from '../ops/common.js';
import type { Graph } from './graph.js';
import { DTYPE_BYTES, type Tensor } from './tensor.js';

export function backwardGraph(g: Graph, loss: Tensor, wrt: Tensor[]): Map<Tensor, Tensor> {
  if (loss.numel !== 1 || loss.dtype !== 'f32') throw new OpError('backward', [loss], 'the loss must be a single f32 element');
  for (const t of wrt) {
    t.check();
    if (t.graph !== g) throw new OpError('backward', [loss, t], `${t.describe()} belongs to another graph`);
    if (t.dtype !== 'f32' && t.dtype !== 'f16') throw new OpError('backward', [loss, t], `cannot differentiate with respect to ${t.dtype} tensor ${t.describe()}`);
  }
  // Forward marking: which tensors depend on a tensor we differentiate for.
  const req = new Set<Tensor>(wrt);
  const last = loss.node?.id ?? -1;
  const nodes = g.nodes.filter((n) => n.id <= last);
  for (const n of nodes) {
    if (n.inputs.some((t, i) => req.has(t) && !n.noGrad?.includes(i))) for (const o of n.outputs) req.add(o);
  }
  const grads = new Map<Tensor, Tensor>();
  if (req.has(loss)) {
    grads.set(loss, g.constant(new Float32Array(loss.numel).fill(1), loss.shape, 'f32', 'dloss'));
    for (let k = nodes.length - 1; k >= 0; k--) {
      const n = nodes[k];
      const dys = n.outputs.map((o) => grads.get(o) ?? null);
      if (dys.every((d) => d === null)) continue;
      const rule = GRADS[n.op];
      if (!rule) throw new OpError(n.op, n.inputs, `no backward rule for op '${n.op}' (src/ops/grads.ts)`);
      const out = rule(n, dys);
      n.inputs.forEach((t, i) => {
        const d = out[i];
        if (!d || n.noGrad?.includes(i) || !req.has(t)) return;
        if (!sameShape(d.shape, t.shape)) throw new OpError(n.op, n.inputs, `backward rule gave a gradient of shape [${d.shape.join(', ')}] for input ${t.describe()}`);
        const prev = grads.get(t);
        grads.set(t, prev ? add(prev, d) : d);
      });
    }
  }
  const result = new Map<Tensor, Tensor>();
  for (const t of wrt) {
    result.set(t, grads.get(t) ?? g.constant(new Uint8Array(Math.ceil(t.numel * DTYPE_BYTES[t.dtype])), t.shape, t.dtype, `zero_grad_${t.name}`));
  }
  return result;
}
