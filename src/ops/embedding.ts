// Embedding: gather rows of a table [vocab, dim] by i32 ids (any shape) -> [...ids.shape, dim]; backward is a
// deterministic scatter-add into the table's gradient (shaders/ops/embedding.wgsl). An id outside [0, vocab)
// yields NaN rows, never a clamped read.
import type { Tensor } from '../graph/tensor.js';
import { graphOf, OpError, requireDtype } from './common.js';
import { contiguous } from './elementwise.js';
import { embeddingDef, perItem } from './kernels.js';
import { subgroupsOf4 } from '../kernels/common.js';
import { tuningFor } from '../kernels/tuning.js';

export function embedding(table0: Tensor, ids0: Tensor): Tensor {
  const inputs = [table0, ids0];
  const g = graphOf('embedding', inputs);
  requireDtype('embedding', inputs, table0, 'table', 'f32');
  requireDtype('embedding', inputs, ids0, 'ids', 'i32');
  if (table0.rank !== 2) throw new OpError('embedding', inputs, 'table must be [vocab, dim]');
  const [vocab, dim] = table0.shape;
  const table = contiguous(table0);
  const ids = contiguous(ids0);
  const count = ids.numel;
  const node = g.addNode('embedding', [table, ids], [{ shape: [...ids.shape, dim] }], { vocab, dim }, async (pc) => {
    const k = await perItem(pc.ctx, embeddingDef(false), count * dim);
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { ids: pc.buf(ids), table: pc.buf(table), y: pc.buf(node.outputs[0]) }, params: { count, vocab, dim, row_pitch: k.rowPitch, chunk: 1 }, expect: { ids: 4 * count, table: 4 * vocab * dim } } }];
  }, [1]);
  return node.outputs[0];
}

/** The rule of embedding: dtable [vocab, dim] = scatter-add of dy rows at ids. */
export function embeddingBackward(ids: Tensor, dy0: Tensor, vocab: number, dim: number): Tensor {
  const dy = contiguous(dy0);
  const count = ids.numel;
  const node = ids.graph.addNode('embedding_bwd', [ids, dy], [{ shape: [vocab, dim] }], {}, async (pc) => {
    // 16 columns per invocation: the ids are scanned vocab * dim / 16 times instead of vocab * dim times (16x less
    // work on a CPU adapter, still vocab * dim / 16 invocations for a GPU); each element's sum order is unchanged.
    const chunk = Math.min(dim, 16);
    // QUAD: the ids every invocation scans loaded a quarter a lane and shared by quadBroadcast (the tuning's).
    const quad = tuningFor(pc.ctx).embedding.quad && subgroupsOf4(pc.ctx);
    const k = await perItem(pc.ctx, embeddingDef(true, quad), vocab * Math.ceil(dim / chunk));
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { ids: pc.buf(ids), dy: pc.buf(dy), dtable: pc.buf(node.outputs[0]) }, params: { count, vocab, dim, row_pitch: k.rowPitch, chunk }, expect: { dy: 4 * count * dim } } }];
  });
  return node.outputs[0];
}
