// Peer: TensorFlow.js (tfjs-core + tfjs-backend-webgpu) training step of the MLP (64-256-256-10, batch 128,
// Adam) in the same page, on the same adapter. TF.js is its own bundle on the page's origin (dist/browser/tfjs-peer.js,
// bench/peers/tfjs-bundle.ts), imported only when this row runs. Its output is checked before timing: the logits against the f64 reference
// (bench/mlp.ts) within the propagated f32 bound, and the first Adam step of the last bias against
// -lr * g / (|g| + eps) with the reference gradient g. nibble's f32 and QAT steps (bench/train-rows.ts) are in
// MLP_GROUP too and use mlpProblem(), so the ratio compares the same step on the same data.
import type { BenchRow } from '../harness.js';
import { checkLastBiasAdam, mlpForwardRef, mlpProblem } from '../mlp.js';
import { MLP, MLP_GROUP, type ShapeOptions } from '../shapes.js';

export const TFJS_VERSION = '4.22.0';

// The slice of the TF.js API used here.
interface TfTensor {
  data(): Promise<Float32Array>;
  dispose(): void;
}
interface TfVariable extends TfTensor {
  assign(t: TfTensor): void;
}
interface Tf {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  variable(t: TfTensor, trainable?: boolean, name?: string): TfVariable;
  tensor2d(v: Float32Array, shape: [number, number]): TfTensor;
  tensor1d(v: Float32Array | Int32Array, dtype?: string): TfTensor;
  oneHot(t: TfTensor, depth: number): TfTensor;
  matMul(a: TfTensor, b: TfTensor): TfTensor;
  add(a: TfTensor, b: TfTensor): TfTensor;
  relu(a: TfTensor): TfTensor;
  tidy<T>(f: () => T): T;
  losses: { softmaxCrossEntropy(onehot: TfTensor, logits: TfTensor): TfTensor };
  train: { adam(lr: number): { minimize(f: () => TfTensor, returnCost?: boolean): TfTensor | null; dispose(): void } };
  version?: Record<string, string>;
}

let tfPromise: Promise<Tf> | null = null;

/** Loads tfjs-core and the WebGPU backend from the page's origin and selects 'webgpu' (no silent CPU fallback). */
export function loadTf(): Promise<Tf> {
  if (!tfPromise) {
    tfPromise = (async () => {
      const url = new URL('tfjs-peer.js', document.baseURI).href;
      const { tf } = (await import(/* @vite-ignore */ url)) as { tf: Tf };
      const ok = await tf.setBackend('webgpu');
      await tf.ready();
      if (!ok || tf.getBackend() !== 'webgpu') throw new Error(`TF.js did not select its WebGPU backend (backend: ${tf.getBackend()})`);
      return tf;
    })();
    tfPromise.catch(() => (tfPromise = null));
  }
  return tfPromise;
}

export function tfjsTrainStepRow(_o: ShapeOptions): BenchRow {
  const { sizes, batch } = MLP;
  let params = 0;
  for (let l = 0; l + 1 < sizes.length; l++) params += sizes[l] * sizes[l + 1];
  return {
    name: `TF.js ${TFJS_VERSION} WebGPU train step (Adam)`,
    group: MLP_GROUP,
    side: 'peer',
    shape: `${sizes.join('-')} b${batch}`,
    // forward 2*B*params, backward twice that (input and weight gradients)
    flops: 6 * batch * params,
    bytes: 0,
    needs: () => (typeof document === 'undefined' ? 'browser only (TF.js runs in the page: nibble bench --browser)' : null),
    async setup() {
      const tf = await loadTf();
      const p = mlpProblem();
      const L = p.weights.length;
      const W = p.weights.map((w, l) => tf.variable(tf.tensor2d(w, [sizes[l], sizes[l + 1]]), true, `w${l}`));
      const B = p.biases.map((b, l) => tf.variable(tf.tensor1d(b), true, `b${l}`));
      const x = tf.tensor2d(p.x, [batch, sizes[0]]);
      const labels = tf.tensor1d(p.labels, 'int32');
      const onehot = tf.oneHot(labels, sizes[L]);
      const forward = () => {
        let h = x;
        for (let l = 0; l < L; l++) {
          h = tf.add(tf.matMul(h, W[l]), B[l]);
          if (l + 1 < L) h = tf.relu(h);
        }
        return h;
      };
      const opt = tf.train.adam(p.lr);
      // Synchronised by reading the last bias back (40 bytes): TF.js's own way to wait for its queued work
      // (driving the backend's submitQueue() from outside gave zeros on a later read in a first version).
      const step = async () => {
        opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot, forward()), false);
        await B[L - 1].data();
      };
      return {
        notes: [`TF.js backend: ${tf.getBackend()}`],
        sampleMethod: 'wall time of minimize() until the last bias (40 B) is read back',
        sample: step,
        async check() {
          const ref = mlpForwardRef(p);
          const logits = tf.tidy(forward);
          const got = await logits.data();
          logits.dispose();
          for (let i = 0; i < got.length; i++) {
            const err = Math.abs(got[i] - ref.logits[i]);
            if (!(err <= ref.bound[i])) return { ok: false, message: `logit ${i} = ${got[i]} vs reference ${ref.logits[i]} (|err| ${err.toExponential(2)} > bound ${ref.bound[i].toExponential(2)})` };
          }
          const before = Float32Array.from(await B[L - 1].data());
          await step();
          const after = Float32Array.from(await B[L - 1].data());
          const adam = checkLastBiasAdam(p, ref, before, after, 1e-7);
          if (!adam.ok) return adam;
          return { ok: true, message: `logits within the propagated f32 bound; ${adam.message}; loss ${ref.loss.toFixed(4)}` };
        },
        dispose() {
          [...W, ...B, x, labels, onehot].forEach((t) => t.dispose());
          opt.dispose();
        },
      };
    },
  };
}
