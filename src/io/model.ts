// The converted-model file: safetensors with metadata format = "nibble-mlp". Per layer i:
//   layers.i.codes   I32 [N, wordsPerRow(K, c)]     codes packed as src/quant/layout.ts (bit patterns as i32), in
//                                                   c = containerBits(bits) (5..7-bit codes sit in 8-bit containers)
//   layers.i.scales  F32 [N, K / group]
//   layers.i.weight  F32 [N, K]                     (instead of codes + scales, for layers kept in f32)
//   layers.i.bias    F32 [N]
// metadata: sizes (JSON), activation ("silu"), layers (JSON: [{bits, group, act}]); act is null, {bits} (dynamic
// per-token asymmetric), {bits, scale, zeroPoint} (a learned per-tensor LSQ+ quantizer) or {bits, alpha} (PACT).
import { encodeSafetensors, makeTensor, parseSafetensors, type Tensor } from './safetensors.js';
import { containerBits, packCodes, unpackCodes, wordsPerRow } from '../quant/layout.js';
import type { QuantizedMlp, QuantizedLayer } from '../mlp/qat.js';

export class ModelFileError extends Error {}

export function encodeModel(q: QuantizedMlp): Uint8Array {
  const t: Record<string, Tensor> = {};
  q.layers.forEach((l, i) => {
    if (l.bits === null) t[`layers.${i}.weight`] = makeTensor('F32', [l.N, l.K], l.w!, `layers.${i}.weight`);
    else {
      const c = containerBits(l.bits);
      const words = packCodes(l.codes!, l.N, l.K, c);
      t[`layers.${i}.codes`] = makeTensor('I32', [l.N, wordsPerRow(l.K, c)], new Int32Array(words.buffer), `layers.${i}.codes`);
      t[`layers.${i}.scales`] = makeTensor('F32', [l.N, l.K / l.group], l.scales!, `layers.${i}.scales`);
    }
    t[`layers.${i}.bias`] = makeTensor('F32', [l.N], l.bias, `layers.${i}.bias`);
  });
  return encodeSafetensors(t, {
    format: 'nibble-mlp',
    sizes: JSON.stringify(q.sizes),
    activation: 'silu',
    layers: JSON.stringify(q.layers.map((l) => ({ bits: l.bits, group: l.group, act: l.act }))),
  });
}

/** Parses and checks a nibble-mlp file; every problem names the tensor and what was expected. */
export function decodeModel(bytes: ArrayBuffer | Uint8Array, source = 'model'): QuantizedMlp {
  const st = parseSafetensors(bytes, source);
  const m = st.metadata;
  if (m.format !== 'nibble-mlp') throw new ModelFileError(`${source}: not a nibble model (metadata format is '${m.format ?? 'missing'}', expected 'nibble-mlp')`);
  let sizes: number[];
  let meta: { bits: number | null; group: number; act: QuantizedLayer['act'] }[];
  try {
    sizes = JSON.parse(m.sizes);
    meta = JSON.parse(m.layers);
  } catch {
    throw new ModelFileError(`${source}: metadata 'sizes' / 'layers' is not valid JSON`);
  }
  if (!Array.isArray(sizes) || sizes.length < 2 || !Array.isArray(meta) || meta.length !== sizes.length - 1) {
    throw new ModelFileError(`${source}: metadata sizes ${m.sizes} and layers do not describe the same layers`);
  }
  // Sizes are used as shapes and loop bounds, layer entries as objects: check both before any use.
  const badSize = sizes.findIndex((n) => !Number.isSafeInteger(n) || n < 1);
  if (badSize >= 0) throw new ModelFileError(`${source}: metadata sizes ${m.sizes}: sizes[${badSize}] = ${JSON.stringify(sizes[badSize])} is not a positive integer`);
  const badLayer = meta.findIndex((lm) => typeof lm !== 'object' || lm === null || Array.isArray(lm));
  if (badLayer >= 0) throw new ModelFileError(`${source}: metadata layers[${badLayer}] = ${JSON.stringify(meta[badLayer])} is not an object {bits, group, act}`);
  const need = (name: string, dtype: string, shape: number[]): Tensor => {
    const t = st.tensors[name];
    if (!t) throw new ModelFileError(`${source}: tensor '${name}' is missing`);
    if (t.dtype !== dtype || t.shape.join(',') !== shape.join(',')) {
      throw new ModelFileError(`${source}: tensor '${name}' is ${t.dtype} [${t.shape.join(', ')}], expected ${dtype} [${shape.join(', ')}]`);
    }
    return t;
  };
  const layers: QuantizedLayer[] = meta.map((lm, i) => {
    const N = sizes[i + 1];
    const K = sizes[i];
    const a = lm.act;
    if (
      a !== null &&
      (typeof a !== 'object' || !Number.isInteger(a.bits) || a.bits < 2 || a.bits > 8 ||
        ((a.scale !== undefined || a.zeroPoint !== undefined) && !(a.scale! > 0 && Number.isFinite(a.scale) && Number.isInteger(a.zeroPoint) && a.zeroPoint! >= 0 && a.zeroPoint! < 2 ** a.bits)) ||
        (a.alpha !== undefined && !(a.alpha > 0 && Number.isFinite(a.alpha) && a.scale === undefined)))
    ) {
      throw new ModelFileError(`${source}: layer ${i}: activation quantizer ${JSON.stringify(a)} is not {bits in 2..8}, {bits, scale > 0, zeroPoint in [0, 2^bits)} or {bits, alpha > 0}`);
    }
    const bias = need(`layers.${i}.bias`, 'F32', [N]).data as Float32Array;
    if (lm.bits === null) return { N, K, bits: null, group: K, w: need(`layers.${i}.weight`, 'F32', [N, K]).data as Float32Array, bias, act: lm.act };
    if (!Number.isInteger(lm.bits) || lm.bits < 2 || lm.bits > 8 || !Number.isInteger(lm.group) || lm.group < 1 || K % lm.group !== 0) throw new ModelFileError(`${source}: layer ${i}: bits ${lm.bits} / group ${lm.group} do not fit K=${K}`);
    const c = containerBits(lm.bits);
    const codes = need(`layers.${i}.codes`, 'I32', [N, wordsPerRow(K, c)]).data as Int32Array;
    const scales = need(`layers.${i}.scales`, 'F32', [N, K / lm.group]).data as Float32Array;
    const u = unpackCodes(new Uint32Array(codes.buffer, codes.byteOffset, codes.length), N, K, c);
    const over = u.findIndex((x) => x >= 2 ** lm.bits!);
    if (over >= 0) throw new ModelFileError(`${source}: tensor 'layers.${i}.codes': code [${Math.floor(over / K)}, ${over % K}] = ${u[over]} does not fit ${lm.bits} bits`);
    return { N, K, bits: lm.bits, group: lm.group, codes: Uint8Array.from(u), scales, bias, act: lm.act };
  });
  return { sizes, layers };
}

/** Checks that a model takes `inputs` features and gives `classes` logits (e.g. the digits: 64 and 10). */
export function expectModelShape(q: QuantizedMlp, inputs: number, classes: number, source = 'model'): QuantizedMlp {
  const i = q.sizes[0];
  const c = q.sizes[q.sizes.length - 1];
  if (i !== inputs || c !== classes) {
    throw new ModelFileError(`${source}: the model is ${q.sizes.join('-')} (takes ${i} inputs, gives ${c} classes); this needs ${inputs} inputs and ${classes} classes (layers.0 is [${q.layers[0].N}, ${q.layers[0].K}])`);
  }
  return q;
}
