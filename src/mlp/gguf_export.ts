// GGUF export of a QAT MLP (and its import back): the lossless end of QAT with a GGUF format (QatConfig.format).
// Layers prepared with format Q4_0 / Q8_0 are quantized by the same GPU kernel that fake_quant_gguf runs during
// training (shaders/quant/quantize.wgsl, rules q4_0 / q8_0), so the file's blocks dequantize bit for bit to the
// weights the QAT graph trained against.
//
// The file (GGUF v3, src/io/gguf.ts), for an MLP of L Linear layers:
//   blk.{i}.weight  Q4_0 / Q8_0 [N, K] (ne = [K, N]) for GGUF-format layers; F32 [N, K] for layers kept in float
//   blk.{i}.bias    F32 [N]
//   general.architecture = 'nibble-mlp', general.alignment = 32, general.quantization_version = 2,
//   nibble-mlp.block_count (u32 L), nibble-mlp.sizes (u32[L + 1]: input width, then each layer's N),
//   nibble-mlp.activation = 'silu' (between layers, none after the last),
//   nibble-mlp.act_bits (u32[L]: 8 = the layer's input is fake-quantized per token, int8 asymmetric; 0 = none).
import type { GpuContext } from '../gpu/context.js';
import { destroyQuantized, downloadQuantized, quantizeWeights } from '../kernels/quant.js';
import { encodeGgufFile, gguf, GgufFileError, ggufTensor, parseGgufFile, type GgufTensorIn, type GgufValue } from '../io/gguf.js';
import { exportGguf, ggufScheme, importGguf } from '../quant/gguf.js';
import { unpackCodes } from '../quant/layout.js';
import type { MlpModel, QuantizedLayer, QuantizedMlp } from './qat.js';

export const GGUF_ARCH = 'nibble-mlp';

/** The GGUF file of `model` (see the layout above). A layer fake-quantized without a GGUF format is refused. */
export async function exportMlpGguf(ctx: GpuContext, model: MlpModel): Promise<Uint8Array> {
  const { sizes, w, b } = model.weights;
  const L = sizes.length - 1;
  const tensors: GgufTensorIn[] = [];
  for (let i = 0; i < L; i++) {
    const N = sizes[i + 1];
    const K = sizes[i];
    const q = model.quant[i] ?? null;
    const name = `blk.${i}.weight`;
    if (q?.weight && !q.weight.format) {
      throw new Error(`exportMlpGguf: layer ${i} (w${i} [${N}, ${K}]) is fake-quantized with the symmetric ${q.weight.bits}-bit g${q.weight.group} rule, which GGUF blocks do not hold losslessly; prepare it with { format: 'Q4_0' | 'Q8_0' }`);
    }
    if (q?.weight?.format) {
      const format = q.weight.format;
      const W = ctx.createBuffer(w[i], undefined, `w${i}`);
      try {
        const g = await quantizeWeights(ctx, W, N, K, ggufScheme(format), `w${i}`);
        try {
          tensors.push({ name, type: format, shape: [N, K], data: exportGguf(format, await downloadQuantized(ctx, g), `w${i}`) });
        } finally {
          destroyQuantized(g);
        }
      } finally {
        W.destroy();
      }
    } else tensors.push({ name, type: 'F32', shape: [N, K], data: w[i] });
    tensors.push({ name: `blk.${i}.bias`, type: 'F32', shape: [N], data: b[i] });
  }
  return encodeGgufFile(tensors, {
    'general.architecture': gguf.str(GGUF_ARCH),
    'general.alignment': gguf.u32(32),
    'general.quantization_version': gguf.u32(2),
    [`${GGUF_ARCH}.block_count`]: gguf.u32(L),
    [`${GGUF_ARCH}.sizes`]: gguf.array('u32', sizes),
    [`${GGUF_ARCH}.activation`]: gguf.str('silu'),
    [`${GGUF_ARCH}.act_bits`]: gguf.array('u32', Array.from({ length: L }, (_, i) => model.quant[i]?.act?.bits ?? 0)),
  });
}

function f32Of(data: Uint8Array): Float32Array {
  const out = new Float32Array(data.length / 4);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(4 * i, true);
  return out;
}

/**
 * Reads an exported file back as a converted model (runs on QuantizedMlpRunner's fused kernels): Q4_0 / Q8_0
 * weights are imported exactly (src/quant/gguf.ts importGguf: codes and f16 d kept bit for bit).
 */
export function importMlpGguf(bytes: Uint8Array | ArrayBuffer, source = 'gguf'): QuantizedMlp {
  const f = parseGgufFile(bytes, source);
  const m = f.metadata;
  // A value as the errors quote it (a 64-bit integer is a bigint, which JSON.stringify refuses).
  const shown = (v: GgufValue) => (v.type === 'array' ? `an array of ${v.value.length} ${v.itemType}` : typeof v.value === 'string' ? JSON.stringify(v.value) : `${v.type} ${String(v.value)}`);
  const arch = m['general.architecture'];
  if (arch?.type !== 'string' || arch.value !== GGUF_ARCH) throw new GgufFileError(`${source}: general.architecture is ${arch ? shown(arch) : 'missing'}, expected '${GGUF_ARCH}'`);
  const u32s = (key: string): number[] => {
    const v = m[key];
    if (v?.type !== 'array' || v.itemType !== 'u32') throw new GgufFileError(`${source}: metadata '${key}' must be an array of u32`);
    return v.value.map((x) => x.value as number);
  };
  const sizes = u32s(`${GGUF_ARCH}.sizes`);
  const actBits = u32s(`${GGUF_ARCH}.act_bits`);
  const L = sizes.length - 1;
  if (L < 1 || sizes.some((s) => s < 1) || actBits.length !== L || actBits.some((a) => a !== 0 && a !== 8)) {
    throw new GgufFileError(`${source}: metadata sizes [${sizes.join(', ')}] and act_bits [${actBits.join(', ')}] do not describe ${Math.max(L, 0)} layers (act_bits 0 or 8)`);
  }
  const act = m[`${GGUF_ARCH}.activation`];
  if (act?.type !== 'string' || act.value !== 'silu') throw new GgufFileError(`${source}: metadata '${GGUF_ARCH}.activation' is ${act ? shown(act) : 'missing'}, expected 'silu'`);
  const layers = sizes.slice(1).map((N, i): QuantizedLayer => {
    const K = sizes[i];
    const wt = ggufTensor(f, `blk.${i}.weight`, source);
    const bt = ggufTensor(f, `blk.${i}.bias`, source);
    if (wt.shape.join(',') !== `${N},${K}`) throw new GgufFileError(`${source}: tensor '${wt.name}' is [${wt.shape.join(', ')}], sizes say [${N}, ${K}]`);
    if (bt.type !== 'F32' || bt.shape.join(',') !== `${N}`) throw new GgufFileError(`${source}: tensor '${bt.name}' is ${bt.type} [${bt.shape.join(', ')}], expected F32 [${N}]`);
    const bias = f32Of(bt.data);
    const a = actBits[i] ? { bits: actBits[i] } : null;
    if (wt.type === 'F32') return { N, K, bits: null, group: K, w: f32Of(wt.data), bias, act: a };
    if (wt.type !== 'Q4_0' && wt.type !== 'Q8_0') throw new GgufFileError(`${source}: tensor '${wt.name}' is ${wt.type}; a nibble-mlp weight is F32, Q4_0 or Q8_0`);
    const q = importGguf(wt.type, wt.data, N, K, wt.name);
    return { N, K, bits: q.scheme.bits, group: 32, codes: unpackCodes(q.codes, N, K, q.scheme.bits), scales: q.scales, bias, act: a };
  });
  return { sizes, layers };
}
