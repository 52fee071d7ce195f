// nibble's training-step rows of the MLP comparison (issue 7): the same step as the TF.js peer (bench/peers/tfjs.ts)
// on the same data (bench/mlp.ts: 64-256-256-10, ReLU, softmax cross-entropy, batch 128, Adam lr 1e-3, eps 1e-7),
// built the way src/mlp/trainer.ts builds it (buildMlp -> graph.backward -> compile -> AdamW kernels encoded after
// the backward pass in the same submit), in f32 and with QAT (weights fake-quantized per group of 32 along K on the
// GPU every step; and with activations fake-quantized per token, int8 asymmetric: torchao's 8da4w).
// Checked before timing: the first step's logits and loss against the f64 reference (fake-quantized weights for QAT,
// quantized by the exact CPU rule) within the propagated f32 bound, and the first Adam step of the last bias against
// -lr * g / (|g| + eps). Timed like the peer: one submit per step, wall time until the last bias (40 B) is read back.
import type { GpuContext } from '../src/gpu/context.js';
import type { Executable } from '../src/graph/executor.js';
import { buildMlp, type MlpGraph, type MlpWeights } from '../src/nn/mlp.js';
import * as ops from '../src/ops/index.js';
import { fakeQuantForwardRef, fakeQuantLayout, qparamsRef, qRange } from '../src/ref/fake_quant.js';
import { U_F32 } from '../src/ref/tolerance.js';
import { Optimizer } from '../src/train/optimizer.js';
import { prepare, type QatConfig } from '../src/mlp/qat.js';
import type { BenchRow, CheckResult } from './harness.js';
import { checkLastBiasAdam, lossAndGrad, mlpForwardRef, mlpProblem, type MlpProblem, type MlpForwardRef } from './mlp.js';
import { MLP, MLP_GROUP, type ShapeOptions } from './shapes.js';

/** TF.js's Adam epsilon (its float32 backend epsilon); nibble's step uses the same. */
export const ADAM_EPS = 1e-7;
export const TRAIN_F32_ROW = 'nibble train step f32';

/** [rows, cols] row-major -> [cols, rows]. */
function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

/** The problem's weights in nibble's (PyTorch) layout: w[l] is [out, in], so QAT groups run along K = in. */
export function problemWeights(p: MlpProblem): MlpWeights {
  return { sizes: [...p.sizes], w: p.weights.map((w, l) => transposed(w, p.sizes[l], p.sizes[l + 1])), b: p.biases.map((b) => b.slice()) };
}

export interface TrainStep {
  mg: MlpGraph;
  exe: Executable;
  opt: Optimizer;
  /** Parameter tensors the optimizer updates (weights, biases, learned quantizer scales). */
  updates: number;
  /** prepare(lr) + one run (forward, backward, AdamW in one submit) + advance; resolves when the submit is made. */
  run(): Promise<void>;
  destroy(): void;
}

/** One Adam training step of the problem's MLP on the graph executor (as src/mlp/trainer.ts builds it). */
export async function buildTrainStep(ctx: GpuContext, p: MlpProblem, qat: QatConfig | null, label: string): Promise<TrainStep> {
  const model = qat ? prepare(problemWeights(p), qat) : { weights: problemWeights(p), quant: [] };
  const mg = buildMlp(ctx, model.weights, { batch: p.batch, quant: model.quant.length ? model.quant : undefined, qparams: 'qparams' in model ? model.qparams : undefined, loss: true, activation: 'relu', label });
  let opt: Optimizer | undefined;
  try {
    // With learned (LSQ) quantizers their scales are trained too (no weight decay, as src/mlp/trainer.ts).
    const learned = [...mg.qp.values()];
    const params = [...mg.w, ...mg.b, ...learned];
    const grads = mg.graph.backward(mg.loss!, params);
    const dense = params.map((t) => {
      const g = grads.get(t)!;
      return g.isContiguous() && g.offset === 0 ? g : ops.contiguous(g);
    });
    // With activation fake-quant, the hidden layer inputs are kept readable too, for the layer-by-layer check.
    const exe = await mg.graph.compile({ outputs: [mg.loss!, mg.logits, ...dense, ...(qat?.act ? mg.inputs.slice(1) : [])] });
    opt = await Optimizer.create(ctx, exe, params.map((t, i) => (learned.includes(t) ? [t, dense[i], { weightDecay: 0 }] : [t, dense[i]])), { kind: 'adamw', lr: p.lr, weightDecay: 0, eps: ADAM_EPS });
    await exe.run({ x: p.x, labels: p.labels }, {}); // feeds the inputs (kept for every later run); no update yet
    const o = opt;
    return {
      mg,
      exe,
      opt: o,
      updates: params.length,
      async run() {
        o.prepare(p.lr);
        await exe.run({}, { after: (pass) => o.encode(pass) });
        o.advance();
      },
      destroy() {
        o.destroy();
        mg.graph.destroy();
      },
    };
  } catch (e) {
    opt?.destroy();
    mg.graph.destroy();
    throw e;
  }
}

/** The problem with its weights fake-quantized as the QAT step does (symmetric per group along K; exact CPU rule). */
export function fakeQuantizedProblem(p: MlpProblem, bits: number, group: number): MlpProblem {
  const { qmin, qmax } = qRange(bits, true);
  const weights = p.weights.map((w, l) => {
    const K = p.sizes[l];
    const N = p.sizes[l + 1];
    const wt = transposed(w, K, N); // [N, K]
    const L = fakeQuantLayout([N, K], { kind: 'group', group });
    const qp = qparamsRef(wt, L, qmin, qmax, 'symmetric');
    return transposed(fakeQuantForwardRef(wt, qp.scale, qp.zeroPoint, L, qmin, qmax).y, N, K);
  });
  return { ...p, weights };
}

/**
 * A bound on the f32 error of the mean cross-entropy given the logits' bounds: each row's loss moves by at most
 * sum_c |softmax_c - onehot_c| e_c <= 2 max_c e_c, plus the kernel's own rounding (WGSL exp: 3 + 2|x| ULP, log: 2^-21
 * absolute near 1, the row sums and the sequential mean over the batch), with the house factor c = 2.
 */
export function lossBound(p: MlpProblem, ref: MlpForwardRef): number {
  const C = p.sizes[p.sizes.length - 1];
  let prop = 0;
  let round = 0;
  let sumLoss = 0;
  for (let i = 0; i < p.batch; i++) {
    const z = ref.logits.subarray(i * C, (i + 1) * C);
    const e = ref.bound.subarray(i * C, (i + 1) * C);
    const mx = Math.max(...z);
    const D = Math.max(...Array.from(z, (v) => mx - v));
    const lse = Math.log(z.reduce((s, v) => s + Math.exp(v - mx), 0));
    const li = lse - (z[p.labels[i]] - mx);
    sumLoss += li;
    prop += 2 * Math.max(...e);
    round += (C + 2 * (3 + 2 * D) + 6 * lse + D + li) * 2 * U_F32 + 2 ** -21;
  }
  const mean = sumLoss / p.batch;
  return prop / p.batch + 2 * (round / p.batch + (p.batch + 1) * U_F32 * mean);
}

async function checkStep(step: TrainStep, p: MlpProblem, ref: MlpForwardRef): Promise<CheckResult> {
  const L = p.weights.length;
  await step.run();
  const logits = (await step.exe.read(step.mg.logits)) as Float32Array;
  let worst = 0;
  for (let i = 0; i < logits.length; i++) {
    const err = Math.abs(logits[i] - ref.logits[i]);
    if (!(err <= ref.bound[i])) return { ok: false, message: `logit ${i} = ${logits[i]} vs reference ${ref.logits[i]} (|err| ${err.toExponential(2)} > bound ${ref.bound[i].toExponential(2)})` };
    worst = Math.max(worst, err / ref.bound[i]);
  }
  const loss = (await step.exe.read(step.mg.loss!))[0];
  const lb = lossBound(p, ref);
  if (!(Math.abs(loss - ref.loss) <= lb)) return { ok: false, message: `first-step loss ${loss} vs reference ${ref.loss} (|err| ${Math.abs(loss - ref.loss).toExponential(2)} > bound ${lb.toExponential(2)})` };
  const after = (await step.exe.read(step.mg.b[L - 1])) as Float32Array;
  const adam = checkLastBiasAdam(p, ref, p.biases[L - 1], after, ADAM_EPS);
  if (!adam.ok) return adam;
  return {
    ok: true,
    message: `logits within the propagated f32 bound (worst ${(100 * worst).toFixed(1)}%); first-step loss ${loss.toFixed(6)} vs reference ${ref.loss.toFixed(6)} (|err| ${Math.abs(loss - ref.loss).toExponential(1)} <= ${lb.toExponential(1)}); ${adam.message}`,
  };
}

/**
 * The check of a step with activation fake-quant, layer by layer: activation codes flip on the f32 rounding of their
 * inputs, so an end-to-end bound would have to allow a whole step per element. Instead each layer starts from the
 * GPU's own input (read back): its per-token int8 fake-quant is reproduced exactly on the CPU (the kernels match
 * src/ref/fake_quant.ts bit for bit), then the layer (fake-quantized weights, ReLU) in f64 with the bound
 * 2 (K+1) u sum|w h| must meet the GPU's next input, and at the end its logits; the loss and the first Adam step of
 * the last bias are checked against the f64 loss and gradient of the GPU's logits.
 */
async function checkStepLayerwise(step: TrainStep, p: MlpProblem, q: MlpProblem, actBits: number): Promise<CheckResult> {
  const L = p.weights.length;
  await step.run();
  const { qmin, qmax } = qRange(actBits, false);
  const gpu: Float32Array[] = [p.x];
  for (const t of step.mg.inputs.slice(1)) gpu.push((await step.exe.read(t)) as Float32Array);
  gpu.push((await step.exe.read(step.mg.logits)) as Float32Array);
  let worst = 0;
  for (let l = 0; l < L; l++) {
    const K = p.sizes[l];
    const N = p.sizes[l + 1];
    const Lay = fakeQuantLayout([p.batch, K], { kind: 'token' });
    const qp = qparamsRef(gpu[l], Lay, qmin, qmax, 'asymmetric');
    const hq = fakeQuantForwardRef(gpu[l], qp.scale, qp.zeroPoint, Lay, qmin, qmax).y;
    const W = q.weights[l];
    const b = q.biases[l];
    const next = gpu[l + 1];
    for (let i = 0; i < p.batch; i++) {
      for (let j = 0; j < N; j++) {
        let s = b[j];
        let abs = Math.abs(b[j]);
        for (let k = 0; k < K; k++) {
          const v = hq[i * K + k] * W[k * N + j];
          s += v;
          abs += Math.abs(v);
        }
        const want = l + 1 < L ? Math.max(0, s) : s;
        const bound = 2 * (K + 1) * U_F32 * abs;
        const err = Math.abs(next[i * N + j] - want);
        const what = l + 1 < L ? `input of layer ${l + 1}` : 'logit';
        if (!(err <= bound)) return { ok: false, message: `${what} [${i}, ${j}] = ${next[i * N + j]} vs reference ${want} from the GPU's int8-quantized input of layer ${l} (|err| ${err.toExponential(2)} > bound ${bound.toExponential(2)})` };
        worst = Math.max(worst, err / (bound || 1));
      }
    }
  }
  const logits = Float64Array.from(gpu[L]);
  const ref: MlpForwardRef = { logits, bound: new Float64Array(logits.length), ...lossAndGrad(p, logits) };
  const loss = (await step.exe.read(step.mg.loss!))[0];
  const lb = lossBound(p, ref);
  if (!(Math.abs(loss - ref.loss) <= lb)) return { ok: false, message: `first-step loss ${loss} vs the f64 loss of its logits ${ref.loss} (|err| ${Math.abs(loss - ref.loss).toExponential(2)} > bound ${lb.toExponential(2)})` };
  const after = (await step.exe.read(step.mg.b[L - 1])) as Float32Array;
  const adam = checkLastBiasAdam(p, ref, p.biases[L - 1], after, ADAM_EPS);
  if (!adam.ok) return adam;
  return {
    ok: true,
    message: `layer by layer from the GPU's own inputs (int8 per token, exact): every layer within its f32 bound (worst ${(100 * worst).toFixed(1)}%); first-step loss ${loss.toFixed(6)} vs reference ${ref.loss.toFixed(6)} (|err| ${Math.abs(loss - ref.loss).toExponential(1)} <= ${lb.toExponential(1)}); ${adam.message}`,
  };
}

function trainRow(name: string, qat: (QatConfig & { bits: number; group: number }) | null): BenchRow {
  const { sizes, batch } = MLP;
  let params = 0;
  for (let l = 0; l + 1 < sizes.length; l++) params += sizes[l] * sizes[l + 1];
  return {
    name,
    group: MLP_GROUP,
    side: 'nibble',
    shape: `${sizes.join('-')} b${batch}`,
    // the same count as the peer row: forward 2*B*params, backward twice that
    flops: 6 * batch * params,
    bytes: 0,
    baseline: qat ? TRAIN_F32_ROW : undefined,
    async setup(ctx) {
      const p = mlpProblem();
      const step = await buildTrainStep(ctx, p, qat, qat ? 'qat-step' : 'f32-step');
      const L = p.weights.length;
      return {
        notes: [`${step.exe.stats.dispatchesPerRun} dispatches + ${step.updates} AdamW per step, 1 submit`],
        sampleMethod: 'wall time of one step (one submit: forward, backward, AdamW) until the last bias (40 B) is read back, as the TF.js peer',
        async sample() {
          await step.run();
          await step.exe.read(step.mg.b[L - 1]);
        },
        check: () =>
          qat?.act
            ? checkStepLayerwise(step, p, fakeQuantizedProblem(p, qat.bits, qat.group), 8)
            : checkStep(step, p, mlpForwardRef(qat ? fakeQuantizedProblem(p, qat.bits, qat.group) : p)),
        dispose: () => step.destroy(),
      };
    },
  };
}

export function nibbleTrainStepRows(_o: ShapeOptions): BenchRow[] {
  return [
    trainRow(TRAIN_F32_ROW, null),
    trainRow('nibble train step QAT W4 g32', { bits: 4, group: 32 }),
    trainRow('nibble train step QAT W4 g32 + A8 token', { bits: 4, group: 32, act: true }),
    // LSQ: learned per-group scales (initialised to the absmax ones, so the first step checks as the row above it).
    trainRow('nibble train step QAT W4 g32 LSQ', { bits: 4, group: 32, learn: true }),
  ];
}
