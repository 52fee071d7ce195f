// cast between f32 and f16 (shaders/ops/cast.wgsl): f16 data is stored as packed pairs in u32 words, so this
// works without shader-f16. Other ops take f32: cast f16 inputs or weights first. The backward casts back.
import type { DType, Tensor } from '../graph/tensor.js';
import { graphOf, OpError } from './common.js';
import { contiguous } from './elementwise.js';
import { castDef, perItem } from './kernels.js';

export function cast(x0: Tensor, to: DType): Tensor {
  const g = graphOf('cast', [x0]);
  if (x0.dtype === to) return x0;
  const ok = (x0.dtype === 'f32' && to === 'f16') || (x0.dtype === 'f16' && to === 'f32');
  if (!ok) throw new OpError('cast', [x0], `cannot cast ${x0.dtype} to ${to} (f32 <-> f16 only)`);
  if (x0.dtype === 'f16' && !x0.isContiguous()) throw new OpError('cast', [x0], 'an f16 view must be contiguous');
  const x = contiguous(x0);
  const n = x.numel;
  const toF16 = to === 'f16';
  const node = g.addNode('cast', [x], [{ shape: x.shape, dtype: to }], { to, from: x.dtype }, async (pc) => {
    const k = await perItem(pc.ctx, castDef(toF16), toF16 ? Math.ceil(n / 2) : n);
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { x: pc.buf(x), y: pc.buf(node.outputs[0]) }, params: { n, row_pitch: k.rowPitch } } }];
  });
  return node.outputs[0];
}
