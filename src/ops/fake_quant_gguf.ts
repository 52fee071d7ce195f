// fake_quant_gguf: w [N, K] -> what the GGUF Q4_0 / Q8_0 blocks of w dequantize to, (q - 8) * f16(d) or
// q * f16(d) with ggml's codes and scales (src/quant/scheme.ts rules q4_0 / q8_0), computed each run on the GPU by
// the weight quantizer then the dequantizer (src/kernels/fake_quant_gguf.ts). QAT with this op trains against
// exactly the weights a GGUF export holds, so the export is lossless.
// Backward: straight-through with the clip mask (grad = dy where ggml's unclamped code is inside the code range).
import { ggufScratchBytes, planFakeQuantGguf, planFakeQuantGgufBackward, type GgufFakeQuantType } from '../kernels/fake_quant_gguf.js';
import { wholeBuffer } from '../gpu/kernel.js';
import type { Tensor } from '../graph/tensor.js';
import { graphOf, OpError, requireDtype } from './common.js';

export type { GgufFakeQuantType } from '../kernels/fake_quant_gguf.js';

function check(op: string, inputs: Tensor[], w: Tensor, type: string): [number, number] {
  if (type !== 'Q4_0' && type !== 'Q8_0') throw new OpError(op, inputs, `type '${type}' is not Q4_0 or Q8_0`);
  requireDtype(op, inputs, w, 'w', 'f32');
  if (w.rank !== 2) throw new OpError(op, inputs, `w ${w.describe()} must be a weight [N, K]`);
  const [N, K] = w.shape;
  if (K % 32 !== 0) throw new OpError(op, inputs, `w ${w.describe()}: ${type} blocks need K (dim 1) a multiple of 32, K = ${K}`);
  if (!w.isContiguous()) throw new OpError(op, inputs, 'w must be contiguous (call contiguous() first)');
  return [N, K];
}

/** y = dequantize(quantize_gguf(w)) for a weight [N, K] (K % 32 == 0). */
export function fakeQuantGguf(w: Tensor, type: GgufFakeQuantType): Tensor {
  const inputs = [w];
  const g = graphOf('fake_quant_gguf', inputs);
  const [N, K] = check('fake_quant_gguf', inputs, w, type);
  const bytes = ggufScratchBytes(type, N, K);
  const node = g.addNode(
    'fake_quant_gguf',
    inputs,
    [
      { shape: [N, K] },
      { shape: [bytes.codes / 4], dtype: 'u32', name: 'fqg_codes' },
      { shape: [bytes.scales / 4], dtype: 'u32', name: 'fqg_scales' },
      { shape: [1], dtype: 'u32', name: 'fqg_dummy' },
      { shape: [2], dtype: 'u32', name: 'fqg_status' },
    ],
    { type },
    async (pc) => {
      const [codes, scales, dummy, status] = node.outputs.slice(1).map((t) => wholeBuffer(pc.buf(t), t.describe()));
      return planFakeQuantGguf(pc.ctx, pc.buf(w), pc.buf(node.outputs[0]), { codes, scales, dummy, status }, type, N, K, w.name);
    },
  );
  return node.outputs[0];
}

/** STE backward of fakeQuantGguf: dy where the unclamped code of w is inside the code range, else 0. */
export function fakeQuantGgufBackward(w: Tensor, dy: Tensor, type: GgufFakeQuantType): Tensor {
  const inputs = [w, dy];
  const g = graphOf('fake_quant_gguf_bwd', inputs);
  const [N, K] = check('fake_quant_gguf_bwd', inputs, w, type);
  if (!dy.isContiguous() || dy.shape.join(',') !== w.shape.join(',')) throw new OpError('fake_quant_gguf_bwd', inputs, `dy ${dy.describe()} must be dense with w's shape (call contiguous() first)`);
  const node = g.addNode('fake_quant_gguf_bwd', inputs, [{ shape: [N, K] }], { type }, async (pc) => [
    await planFakeQuantGgufBackward(pc.ctx, { x: pc.buf(w), grad_y: pc.buf(dy), grad_x: pc.buf(node.outputs[0]) }, type, N, K, w.name),
  ], [0, 1]);
  return node.outputs[0];
}
