// Training checkpoints: safetensors files (atomic on disk in Node) holding the master weights (w<i> [out, in],
// b<i> [out]), the optimizer state (optim.*), learned quantizer parameters (qparam.*) and, in the metadata, the
// format, step, layer sizes, quantizers and AdaQAT state. readCheckpoint checks everything before training resumes
// from it: a checkpoint from a stranger (or a corrupt disk) is refused naming the tensor or key, never half-loaded.
import { encodeSafetensors, makeTensor, parseSafetensors, type Tensor as StTensor } from '../io/safetensors.js';
import type { LayerQuant, MlpWeights, QParams } from '../nn/mlp.js';

export class CheckpointError extends Error {}

export interface Checkpoint {
  step: number;
  weights: MlpWeights;
  /** Optimizer state by name (Optimizer.state()). */
  opt: Record<string, Float32Array>;
  quant: (LayerQuant | null)[];
  qparams?: QParams;
  /** AdaQAT's saved state (AdaQat.load checks it). */
  adaqat?: unknown;
}

export function checkpointBytes(w: MlpWeights, opt: Record<string, Float32Array>, step: number, quant: (LayerQuant | null)[], adaqatState: unknown, qp: QParams): Uint8Array {
  const t: Record<string, StTensor> = {};
  for (const [k, v] of Object.entries(qp)) t[`qparam.${k}`] = makeTensor('F32', [v.length], v, k);
  w.w.forEach((d, i) => (t[`w${i}`] = makeTensor('F32', [w.sizes[i + 1], w.sizes[i]], d, `w${i}`)));
  w.b.forEach((d, i) => (t[`b${i}`] = makeTensor('F32', [w.sizes[i + 1]], d, `b${i}`)));
  for (const [k, v] of Object.entries(opt)) t[`optim.${k}`] = makeTensor('F32', [v.length], v, k);
  const meta: Record<string, string> = { format: 'nibble-checkpoint', step: String(step), sizes: JSON.stringify(w.sizes), quant: JSON.stringify(quant) };
  if (adaqatState !== undefined && adaqatState !== null) meta.adaqat = JSON.stringify(adaqatState);
  return encodeSafetensors(t, meta);
}

/** An F32 tensor of exactly `shape`, or a CheckpointError naming it. */
function f32(tensors: Record<string, StTensor>, name: string, shape: number[] | null, source: string): Float32Array {
  const t = tensors[name];
  if (!t) throw new CheckpointError(`${source}: tensor '${name}' is missing`);
  if (t.dtype !== 'F32') throw new CheckpointError(`${source}: tensor '${name}' is ${t.dtype}, expected F32`);
  if (shape ? JSON.stringify(t.shape) !== JSON.stringify(shape) : t.shape.length !== 1) {
    throw new CheckpointError(`${source}: tensor '${name}' has shape [${t.shape.join(', ')}], expected ${shape ? `[${shape.join(', ')}]` : 'a vector'}`);
  }
  return t.data as Float32Array;
}

function json(meta: Record<string, string>, key: string, source: string): unknown {
  try {
    return JSON.parse(meta[key]);
  } catch {
    throw new CheckpointError(`${source}: metadata '${key}' is not JSON: ${JSON.stringify(String(meta[key]).slice(0, 60))}`);
  }
}

/** The master weights of a checkpoint for layer sizes `sizes`, each checked for presence, dtype and shape. */
export function checkpointWeightsOf(tensors: Record<string, StTensor>, sizes: number[], source = 'checkpoint'): MlpWeights {
  const L = sizes.length - 1;
  return {
    sizes: [...sizes],
    w: Array.from({ length: L }, (_, i) => f32(tensors, `w${i}`, [sizes[i + 1], sizes[i]], source)),
    b: Array.from({ length: L }, (_, i) => f32(tensors, `b${i}`, [sizes[i + 1]], source)),
  };
}

/** Parses and checks a checkpoint written by train() for a model of layer sizes `sizes`. */
export function readCheckpoint(bytes: Uint8Array, sizes: number[], source = 'checkpoint'): Checkpoint {
  const ck = parseSafetensors(bytes, source);
  const meta = ck.metadata;
  if (meta.format !== 'nibble-checkpoint') throw new CheckpointError(`${source}: not a nibble checkpoint (metadata 'format' is ${JSON.stringify(meta.format ?? null)})`);
  if (meta.sizes !== JSON.stringify(sizes)) throw new CheckpointError(`${source}: metadata 'sizes' ${JSON.stringify(meta.sizes ?? null)} differ from the model's ${JSON.stringify(sizes)}`);
  if (!/^\d{1,9}$/.test(meta.step ?? '')) throw new CheckpointError(`${source}: metadata 'step' ${JSON.stringify(meta.step ?? null)} is not a step number`);
  const L = sizes.length - 1;
  const quant = json(meta, 'quant', source);
  if (!Array.isArray(quant) || quant.length !== L || quant.some((q) => q !== null && (typeof q !== 'object' || Array.isArray(q)))) {
    throw new CheckpointError(`${source}: metadata 'quant' must list ${L} layers' quantizers (null or an object each)`);
  }
  const opt: Record<string, Float32Array> = {};
  const qparams: QParams = {};
  for (const name of Object.keys(ck.tensors)) {
    if (name.startsWith('optim.')) opt[name.slice(6)] = f32(ck.tensors, name, null, source);
    else if (name.startsWith('qparam.')) qparams[name.slice(7)] = f32(ck.tensors, name, null, source);
    else if (!/^[wb]\d+$/.test(name)) throw new CheckpointError(`${source}: tensor '${name}' is not part of a checkpoint`);
  }
  return {
    step: Number(meta.step),
    weights: checkpointWeightsOf(ck.tensors, sizes, source),
    opt,
    quant: quant as (LayerQuant | null)[],
    ...(Object.keys(qparams).length ? { qparams } : {}),
    ...(meta.adaqat !== undefined ? { adaqat: json(meta, 'adaqat', source) } : {}),
  };
}
