// Valid safetensors and nibble model files for the fuzzer, from a description whose header is a list of
// (key, JSON text) pairs: so a mutation can duplicate a key, drop one, or put any JSON (or not-JSON) in a value,
// and the file is still written byte for byte as described.
import { encodeModel } from '../src/io/model.js';
import { checkpointBytes } from '../src/mlp/checkpoint.js';
import type { LayerQuant } from '../src/nn/mlp.js';
import type { QuantizedMlp } from '../src/mlp/qat.js';
import type { Field, Written } from './gguf_seed.js';
import { Rng } from './rng.js';

export interface StDesc {
  entries: { key: string; json: string }[];
  data: Uint8Array;
  /** Written as the u64 header length; undefined: the true length. */
  headerLength?: bigint;
  /** Spaces after the JSON (a valid file pads to 8). */
  pad: number;
}

const DT: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, I32: 4 };

/**
 * A valid random safetensors description: 0..4 tensors of every dtype (zero-sized ones too), maybe metadata; with
 * `names`, the tensors take those names (a kernel's inputs, as `nibble kernel --in` files have).
 */
export function randomSafetensors(r: Rng, names?: readonly string[]): StDesc {
  const entries: StDesc['entries'] = [];
  if (r.chance(0.5)) entries.push({ key: '__metadata__', json: JSON.stringify({ format: 'pt', note: r.pick(['', 'x', '\u00e9']) }) });
  const chunks: Uint8Array[] = [];
  let off = 0;
  const n = names ? r.range(1, names.length) : r.int(5);
  for (let i = 0; i < n; i++) {
    const dtype = r.pick(Object.keys(DT));
    const shape = r.chance(0.1) ? [r.int(3), 0] : Array.from({ length: r.range(0, 3) }, () => r.range(1, 4));
    const bytes = shape.reduce((a, b) => a * b, 1) * DT[dtype];
    const data = r.bytes(bytes);
    if (dtype === 'F32') new Float32Array(data.buffer).forEach((_, j, a) => (a[j] = r.float() * 2 - 1));
    const key = names ? names[i] : r.pick(['w', 'x', 'scale', 'zero_point', 'codes', 'scales', 'zeros', 'bias']) + (i ? `.${i}` : '');
    entries.push({ key, json: JSON.stringify({ dtype, shape, data_offsets: [off, off + bytes] }) });
    chunks.push(data);
    off += bytes;
  }
  const data = new Uint8Array(off);
  let o = 0;
  for (const c of chunks) {
    data.set(c, o);
    o += c.length;
  }
  return { entries, data, pad: 0 };
}

/** The description of an existing safetensors file (header parsed into pairs, in file order). */
export function describeSafetensors(b: Uint8Array): StDesc {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  const head = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))) as Record<string, unknown>;
  return { entries: Object.entries(head).map(([key, v]) => ({ key, json: JSON.stringify(v) })), data: b.slice(8 + n), pad: 0 };
}

/** Writes a description, recording the header-length field, each entry's start and the data's. */
export function writeSafetensors(d: StDesc): Written {
  const text = '{' + d.entries.map((e) => `${JSON.stringify(e.key)}:${e.json}`).join(',') + '}';
  let head = new TextEncoder().encode(text);
  const pad = d.pad || (8 - (head.length % 8)) % 8;
  if (pad) head = new TextEncoder().encode(text + ' '.repeat(pad));
  const out = new Uint8Array(8 + head.length + d.data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, d.headerLength ?? BigInt(head.length)), true);
  out.set(head, 8);
  out.set(d.data, 8 + head.length);
  const fields: Field[] = [{ at: 0, size: 8, kind: 'length' }];
  const boundaries = [8, 9, 8 + head.length, out.length];
  // Each entry starts after a '{' or ',' of the top level (the keys are JSON strings: find them in order).
  let at = 9;
  for (const e of d.entries) {
    boundaries.push(8 + at);
    at += JSON.stringify(e.key).length + 1 + e.json.length + 1;
  }
  // Numbers inside the header (offsets, dims) are fields for the textual mutations; the data's f32 are values.
  return { bytes: out, fields, boundaries };
}

/** A valid random nibble-mlp model (2..3 layers, some kept in f32, some with an activation quantizer). */
export function randomModel(r: Rng): QuantizedMlp {
  const nl = r.range(1, 3);
  const sizes = [r.pick([4, 8, 16])];
  for (let i = 0; i < nl; i++) sizes.push(r.range(1, 5));
  const layers = sizes.slice(1).map((N, i) => {
    const K = sizes[i];
    const bias = Float32Array.from({ length: N }, () => r.float());
    const act = r.pick([null, { bits: 8 }, { bits: 4, scale: 0.1, zeroPoint: 3 }, { bits: 6, alpha: 2.5 }]);
    if (r.chance(0.2)) return { N, K, bits: null, group: K, w: Float32Array.from({ length: N * K }, () => r.float() - 0.5), bias, act };
    const bits = r.pick([2, 3, 4, 5, 8]);
    const group = r.pick([K, K / 2, 4].filter((g) => Number.isInteger(g) && K % g === 0));
    return {
      N, K, bits, group, bias, act,
      codes: Uint8Array.from({ length: N * K }, () => r.int(2 ** bits)),
      scales: Float32Array.from({ length: (N * K) / group }, () => 0.01 + r.float()),
    };
  });
  return { sizes, layers };
}

/** A random model's file, as a safetensors description (for semantic mutations of its metadata and tensors). */
export function randomModelFile(r: Rng): StDesc {
  return describeSafetensors(encodeModel(randomModel(r)));
}

/** A random train() checkpoint (weights, optimizer state, quantizers, maybe learned qparams and AdaQAT state). */
export function randomCheckpoint(r: Rng): StDesc {
  const sizes = r.pick([[8, 4, 2], [4, 3], [16, 8, 8, 2]]);
  const L = sizes.length - 1;
  const f = (n: number) => Float32Array.from({ length: n }, () => r.float() - 0.5);
  const w = { sizes, w: sizes.slice(1).map((N, i) => f(N * sizes[i])), b: sizes.slice(1).map((N) => f(N)) };
  const opt: Record<string, Float32Array> = {};
  for (let i = 0; i < L; i++) {
    opt[`w${i}.m`] = f(sizes[i + 1] * sizes[i]);
    opt[`w${i}.v`] = f(sizes[i + 1] * sizes[i]).map(Math.abs);
  }
  const quant = sizes.slice(1).map(() => r.pick<LayerQuant | null>([null, { weight: { bits: 4, group: 4 }, act: null }, { weight: { bits: 2, group: 2 }, act: { bits: 8 } }]));
  const qp: Record<string, Float32Array> = r.chance(0.3) ? { 'w0.scale': f(sizes[1]).map(Math.abs) } : {};
  const ada = r.chance(0.2) ? { weight: sizes.slice(1).map(() => 4.5), act: [] } : undefined;
  return describeSafetensors(checkpointBytes(w, opt, r.int(50), quant, ada, qp));
}
