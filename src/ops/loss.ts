// Losses. crossEntropy is fused with log-softmax (shaders/ops/cross_entropy.wgsl): integer targets, an ignore
// index, mean over the rows that are not ignored. mse is a composition (sub, mul, mean): its backward is theirs.
import type { Tensor } from '../graph/tensor.js';
import { graphOf, OpError, requireDtype, sameShape } from './common.js';
import { contiguous, mul, sub } from './elementwise.js';
import { ceDef, elementRun, perItem, perRow } from './kernels.js';
import { mean } from './reduce.js';
import { reshape } from './view.js';

export interface CrossEntropyOptions {
  /** Rows whose target equals this take no part (default -100, as PyTorch). */
  ignoreIndex?: number;
}

/** Mean cross-entropy of logits [N, C] (or [..., C]) against i32 targets [N] (or [...]): a scalar. */
export function crossEntropy(logits0: Tensor, targets0: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const inputs = [logits0, targets0];
  const g = graphOf('cross_entropy', inputs);
  requireDtype('cross_entropy', inputs, logits0, 'logits', 'f32');
  requireDtype('cross_entropy', inputs, targets0, 'targets', 'i32');
  if (logits0.rank < 1 || !sameShape(logits0.shape.slice(0, -1), targets0.shape)) {
    throw new OpError('cross_entropy', inputs, `targets must have the logits' shape without the last (class) axis`);
  }
  const ignore = opts.ignoreIndex ?? -100;
  const cols = logits0.shape[logits0.rank - 1];
  const rows = logits0.numel / cols;
  const logits = reshape(contiguous(logits0), [rows, cols]);
  const targets = reshape(contiguous(targets0), [rows]);
  const params = (pitch: number) => ({ rows, cols, row_pitch: pitch, ignore_index: ignore });
  const rowsNode = g.addNode('cross_entropy_rows', [logits, targets], [{ shape: [rows, 2] }], {}, async (pc) => {
    const k = await perRow(pc, ceDef('ROWS'), rows);
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { logits: pc.buf(logits), targets: pc.buf(targets), stats: pc.buf(rowsNode.outputs[0]) }, params: params(k.rowPitch), expect: { logits: 4 * rows * cols, targets: 4 * rows } } }];
  });
  const stats = rowsNode.outputs[0];
  // Outputs: the mean loss [1] and the count of rows that count [1] (two outputs, so that the loss is a view of a
  // whole output and its gradient needs no pad); the rule on this node gives the logits' gradient from the stats.
  const meanNode = g.addNode('cross_entropy', [logits, targets, stats], [{ shape: [1] }, { shape: [1] }], { ignore, rows, cols }, async (pc) => {
    const k = await perItem(pc.ctx, ceDef('MEAN'), 1);
    const [out, count] = meanNode.outputs;
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { targets: pc.buf(targets), stats: pc.buf(stats), out: pc.buf(out), count: pc.buf(count) }, params: params(k.rowPitch) } }];
  }, [1, 2]);
  return reshape(meanNode.outputs[0], []);
}

/** The rule of cross_entropy: dlogits [rows, cols] from the saved stats, the count output and dy. */
export function crossEntropyBackward(logits: Tensor, targets: Tensor, stats: Tensor, count: Tensor, dy0: Tensor, ignore: number): Tensor {
  const g = logits.graph;
  const [rows, cols] = logits.shape;
  const dy = contiguous(dy0);
  const node = g.addNode('cross_entropy_bwd', [logits, targets, stats, count, dy], [{ shape: [rows, cols] }], {}, async (pc) => {
    // Runs of the tuning's elementwiseRun columns (8 on CPU adapters: a row's target and logsumexp loaded once a run).
    const run = elementRun(pc.ctx, cols);
    const k = await perItem(pc.ctx, ceDef('BACKWARD'), rows * Math.ceil(cols / run), { constants: { RUN: run } });
    return [
      {
        kernel: k.kernel,
        workgroups: k.workgroups,
        args: {
          bindings: { logits: pc.buf(logits), targets: pc.buf(targets), stats: pc.buf(stats), count: pc.buf(count), dy: pc.buf(dy), dlogits: pc.buf(node.outputs[0]) },
          params: { rows, cols, row_pitch: k.rowPitch, ignore_index: ignore },
          expect: { dlogits: 4 * rows * cols },
        },
      },
    ];
  });
  return node.outputs[0];
}

/** Mean squared error: mean((a - b)^2) over all elements (broadcasting as sub). */
export function mse(a: Tensor, b: Tensor): Tensor {
  const d = sub(a, b);
  return mean(mul(d, d));
}
