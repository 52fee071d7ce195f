// Mixture-of-experts routing on the training graph (src/nn/llama_train.ts), the engine's router (shaders/lm/moe_route.wgsl)
// split so that autograd carries its gradients:
//   moeTopKMask(scores, used, groups?)  [rows, experts]: 1 at each row's `used` largest scores (of the best groups'
//                              experts with groups), 0 elsewhere (MASK variant of the engine's kernel; the same choice,
//                              ties to the lower index); a constant: no gradient (the choice is piecewise constant)
//   moeRoute(logits, o)        the engine's weights from graph ops: p = softmax(logits) (or a sigmoid each), p * mask
//                              (the mask of p, or of p + bias),
//                              divided by its row sum where `norm`, times `scale`; the gradient reaches the chosen
//                              experts' logits (and, unnormalized, every logit through the softmax's sum)
// The engine's clamp of the row sum below at 6.1e-5 is not applied: the `used` largest of a softmax over E experts sum
// to at least used / E.
import type { Tensor } from '../graph/tensor.js';
import { MOE_ROUTE, checkMoeRoute, groupParams, type MoeRouteShape } from '../kernels/moe_route.js';
import { graphOf, OpError, requireDtype, requireRank } from './common.js';
import { add, affine, contiguous, div, mul, scale, softcap } from './elementwise.js';
import { perItem } from './kernels.js';
import { sum } from './reduce.js';
import { softmax } from './softmax.js';
import { reshape } from './view.js';

const MASK = { ...MOE_ROUTE.softmax, name: 'moe_topk_mask', defines: { MASK: true } };

/**
 * 1 at each row's `used` largest scores (ties to the lower index; NaN never), 0 elsewhere: [rows, experts], no
 * gradient; groups: only the experts of the rows' best groups (DeepSeek V3's selection, MoeRouteShape.groups).
 */
export function moeTopKMask(scores0: Tensor, used: number, groups?: MoeRouteShape['groups']): Tensor {
  const g = graphOf('moe_topk_mask', [scores0]);
  requireDtype('moe_topk_mask', [scores0], scores0, 'scores', 'f32');
  requireRank('moe_topk_mask', [scores0], scores0, 'scores', 2);
  const [rows, experts] = scores0.shape;
  try {
    checkMoeRoute({ rows, experts, used, norm: false, gating: 'softmax', ...(groups ? { groups } : {}) });
  } catch (e) {
    throw new OpError('moe_topk_mask', [scores0], (e as Error).message);
  }
  const logits = contiguous(scores0);
  const node = g.addNode(
    'moe_topk_mask',
    [logits],
    [{ shape: [rows, experts] }],
    { used, ...(groups ? { groups: `${groups.used} of ${groups.count}` } : {}) },
    async (pc) => {
      const k = await perItem(pc.ctx, MASK, rows);
      return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { logits: pc.buf(logits), y: pc.buf(node.outputs[0]) }, params: { rows, experts, used, norm: 0, scale: 1, row_pitch: k.rowPitch, ...groupParams({ groups }) }, expect: { logits: 4 * rows * experts, y: 4 * rows * experts } } }];
    },
    [0],
  );
  return node.outputs[0];
}

/** sigmoid(x) as 1/2 + tanh(x / 2) / 2 (softcap(x, 2) = 2 tanh(x / 2)), exact to f32 rounding for |x| < 30. */
export function sigmoid(x: Tensor): Tensor {
  return affine(softcap(x, 2), 0.25, 0.5);
}

/**
 * The router's weights [rows, experts] from logits [rows, experts], as the engine's moe_route computes them; `bias`
 * [experts] (lfm2moe's selection bias, a constant): the experts are chosen by p + bias, weighted by p; `groups`:
 * chosen among the best groups' experts only.
 */
export function moeRoute(logits: Tensor, o: { used: number; norm: boolean; gating: 'softmax' | 'sigmoid'; scale?: number; bias?: Tensor; groups?: MoeRouteShape['groups'] }): Tensor {
  const p = o.gating === 'sigmoid' ? sigmoid(logits) : softmax(logits);
  let w = mul(p, moeTopKMask(o.bias ? add(p, o.bias) : p, o.used, o.groups));
  if (o.norm) w = div(w, reshape(sum(w, [1]), [logits.shape[0], 1]));
  return o.scale !== undefined && o.scale !== 1 ? scale(w, o.scale) : w;
}
