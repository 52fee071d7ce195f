// Peer: onnxruntime-web's MatMulNBits (com.microsoft; 4-bit, block 32, the op transformers.js runs for q4 models)
// on its WebGPU execution provider, in the same headless Chromium page and on the same adapter as nibble's rows.
// The one-node model is built in code (bench/peers/onnx-proto.ts). ORT is loaded from the page's own origin
// (dist/browser/ort/, copied from node_modules at build time): no network.
// WebGPU, not the CPU fallback: the session is created with session.disable_cpu_ep_fallback=1, which makes ORT
// refuse to create it if any node would be placed on the CPU EP; the output must also come back as a gpu-buffer.
import { matmulGroup, shapeLabel, type MatmulShape } from '../shapes.js';
import { rng, randomF32 } from '../../src/ref/random.js';
import { compareBound } from '../../src/ref/tolerance.js';
import type { BenchRow } from '../harness.js';
import { encodeModel, ONNX_FLOAT, ONNX_UINT8 } from './onnx-proto.js';

export const ORT_VERSION = '1.30.0';
export const BLOCK = 32;

// The slice of onnxruntime-web's API used here (the package's types are not imported into the bundle).
interface OrtTensor {
  location: string;
  dims: readonly number[];
  getData(release?: boolean): Promise<Float32Array>;
  dispose(): void;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  env: { wasm: { wasmPaths?: string; numThreads?: number }; webgpu: { device?: GPUDevice | Promise<GPUDevice> }; logLevel?: string; versions?: Record<string, string> };
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: { fromGpuBuffer(buffer: GPUBuffer, o: { dataType: string; dims: number[] }): OrtTensor };
}

let ortPromise: Promise<Ort> | null = null;

/** Loads onnxruntime-web (WebGPU build) from the page's origin, single-threaded (the page is not cross-origin isolated). */
export function loadOrt(): Promise<Ort> {
  if (!ortPromise) {
    ortPromise = (async () => {
      const base = new URL('ort/', document.baseURI).href;
      const ort = (await import(/* @vite-ignore */ base + 'ort.webgpu.min.mjs')) as Ort;
      ort.env.wasm.wasmPaths = base;
      ort.env.wasm.numThreads = 1;
      ort.env.logLevel = 'warning';
      return ort;
    })();
    ortPromise.catch(() => (ortPromise = null));
  }
  return ortPromise;
}

export interface Q4Weights {
  /** Packed codes [N, K/32, 16] (two 4-bit codes a byte, the lower k in the low nibble). */
  packed: Uint8Array;
  /** Scales [N * K/32]. */
  scales: Float32Array;
  /** The dequantized weight [N, K] in f64: w = (code - 8) * scale. */
  w: Float64Array;
}

/** Seeded random 4-bit symmetric weights in MatMulNBits' layout (default zero point 8). */
export function randomQ4(N: number, K: number, seed: number): Q4Weights {
  if (K % BLOCK) throw new Error(`MatMulNBits peer: K=${K} must be a multiple of the block size ${BLOCK}`);
  const r = rng(seed);
  const kb = K / BLOCK;
  const packed = new Uint8Array(N * K / 2);
  const scales = new Float32Array(N * kb);
  const w = new Float64Array(N * K);
  for (let i = 0; i < scales.length; i++) scales[i] = Math.fround(0.005 + 0.02 * r());
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const q = Math.floor(16 * r());
      const byte = (n * K + k) >> 1;
      packed[byte] |= k & 1 ? q << 4 : q;
      w[n * K + k] = (q - 8) * scales[n * kb + Math.floor(k / BLOCK)];
    }
  }
  return { packed, scales, w };
}

/** The CPU reference of y = x W^T for W [N, K] (f64), with sum |x w| for the error bound. */
export function q4Reference(x: Float32Array, w: Float64Array, M: number, N: number, K: number): { y: Float64Array; absSum: Float64Array } {
  const y = new Float64Array(M * N);
  const absSum = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      let a = 0;
      for (let k = 0; k < K; k++) {
        const p = x[m * K + k] * w[n * K + k];
        s += p;
        a += Math.abs(p);
      }
      y[m * N + n] = s;
      absSum[m * N + n] = a;
    }
  }
  return { y, absSum };
}

export function matMulNBitsModel(M: number, N: number, K: number, q: Q4Weights): Uint8Array {
  const kb = K / BLOCK;
  return encodeModel({
    irVersion: 8,
    opsets: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    node: { opType: 'MatMulNBits', domain: 'com.microsoft', name: 'mm', inputs: ['A', 'B', 'scales'], outputs: ['Y'], intAttrs: { K, N, bits: 4, block_size: BLOCK } },
    initializers: [
      { name: 'B', dataType: ONNX_UINT8, dims: [N, kb, BLOCK / 2], raw: q.packed },
      { name: 'scales', dataType: ONNX_FLOAT, dims: [N * kb], raw: new Uint8Array(q.scales.buffer, q.scales.byteOffset, q.scales.byteLength) },
    ],
    inputs: [{ name: 'A', elemType: ONNX_FLOAT, dims: [M, K] }],
    outputs: [{ name: 'Y', elemType: ONNX_FLOAT, dims: [M, N] }],
  });
}

export function ortMatMulNBitsRow(s: MatmulShape): BenchRow {
  const { M, N, K } = s;
  return {
    name: `onnxruntime-web ${ORT_VERSION} MatMulNBits q4 b32`,
    group: matmulGroup(s),
    side: 'peer',
    shape: shapeLabel(s),
    flops: 2 * M * N * K,
    bytes: 4 * M * K + N * K / 2 + 4 * N * (K / BLOCK) + 4 * M * N,
    needs: () => (typeof document === 'undefined' ? 'browser only (onnxruntime-web runs in the page: nibble bench --browser)' : null),
    async setup() {
      const ort = await loadOrt();
      const q = randomQ4(N, K, 41);
      const x = randomF32(M * K, 42);
      const session = await ort.InferenceSession.create(matMulNBitsModel(M, N, K, q), {
        executionProviders: ['webgpu'],
        preferredOutputLocation: 'gpu-buffer',
        graphOptimizationLevel: 'all',
        extra: { session: { disable_cpu_ep_fallback: '1' } },
      });
      const device = await ort.env.webgpu.device;
      if (!device) {
        await session.release();
        throw new Error('onnxruntime-web created the session but exposes no WebGPU device (env.webgpu.device)');
      }
      const A = device.createBuffer({ size: 4 * M * K, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: 'ort.A' });
      device.queue.writeBuffer(A, 0, x.buffer as ArrayBuffer, x.byteOffset, x.byteLength);
      const feeds = { A: ort.Tensor.fromGpuBuffer(A, { dataType: 'float32', dims: [M, K] }) };
      const notes = ['ORT WebGPU EP, session.disable_cpu_ep_fallback=1 (no node on the CPU EP)', 'A and Y stay on the GPU (gpu-buffer)', 'weights are model initializers'];
      return {
        notes,
        sampleMethod: 'queue-completion (session.run, then onSubmittedWorkDone on ORT\u2019s device)',
        async sample() {
          const out = await session.run(feeds);
          await device.queue.onSubmittedWorkDone();
          out.Y.dispose();
        },
        async check() {
          const out = await session.run(feeds);
          if (out.Y.location !== 'gpu-buffer') return { ok: false, message: `ORT returned Y on '${out.Y.location}', not on the GPU` };
          const got = await out.Y.getData(true);
          const ref = q4Reference(x, q.w, M, N, K);
          const r = compareBound('MatMulNBits Y', got, ref.y, ref.absSum, K);
          return { ok: r.ok, message: r.message };
        },
        dispose() {
          void session.release();
          A.destroy();
        },
      };
    },
  };
}

/**
 * Shows that session.disable_cpu_ep_fallback=1 does what the MatMulNBits row relies on: a one-node model whose op
 * (`opType`, float [2, 2] in, `outDims` out) has no WebGPU kernel is refused with the flag and created without it.
 */
export async function ortFallbackProbe(opType: string, outDims: number[], opset = 17): Promise<{ withFlag: string; withoutFlag: string }> {
  const ort = await loadOrt();
  const model = encodeModel({
    irVersion: 8,
    opsets: [{ domain: '', version: opset }],
    node: { opType, name: 'probe', inputs: ['X'], outputs: ['Y'] },
    initializers: [],
    inputs: [{ name: 'X', elemType: ONNX_FLOAT, dims: [2, 2] }],
    outputs: [{ name: 'Y', elemType: ONNX_FLOAT, dims: outDims }],
  });
  const attempt = async (flag: boolean) => {
    try {
      const s = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'], ...(flag ? { extra: { session: { disable_cpu_ep_fallback: '1' } } } : {}) });
      await s.release();
      return 'created';
    } catch (e) {
      return `refused: ${(e as Error).message}`;
    }
  };
  return { withFlag: await attempt(true), withoutFlag: await attempt(false) };
}
