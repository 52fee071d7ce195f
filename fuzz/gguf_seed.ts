// Valid GGUF files for the fuzzer, built from a plain description (so semantic mutations can edit the description
// before it is written) by a writer that checks nothing and records where every field lies (so byte mutations can
// aim at counts, lengths, offsets, types and block scales).
import { GGML_TYPES, type GgufTensorType } from '../src/io/gguf.js';
import { f32ToF16Bits } from '../src/quant/f16.js';
import { Rng } from './rng.js';

/** A field of a written file: where it lies, how wide it is, and what it means. */
export interface Field {
  at: number;
  size: number;
  kind: 'count' | 'length' | 'offset' | 'type' | 'dim' | 'value' | 'scale' | 'magic' | 'version';
}

export interface Written {
  bytes: Uint8Array;
  fields: Field[];
  /** Offsets where a structure starts: truncating there cuts the file between two fields. */
  boundaries: number[];
}

export type MetaValue = { type: number; value: unknown };
export interface GgufDesc {
  version: number;
  /** Written as tensor_count / metadata_kv_count; undefined: the true counts. */
  tensorCount?: bigint;
  kvCount?: bigint;
  kvs: { key: string; v: MetaValue }[];
  /** offset: what the header says; the data are written in order, aligned, as a valid file has them. */
  tensors: { name: string; ne: bigint[]; type: number; offset: bigint; data: Uint8Array; scales: number[] }[];
  alignment: number;
}

// Value type ids (docs/gguf.md).
export const VT = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 } as const;
const SCALAR_TYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12];

/** Block types and where a block's f16 scales (d, m / dmin) lie. */
const SCALE_AT: Partial<Record<GgufTensorType, number[]>> = {
  Q4_0: [0], Q4_1: [0, 2], Q8_0: [0], Q5_0: [0], Q5_1: [0, 2], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208],
};
const TENSOR_TYPES: GgufTensorType[] = ['F32', 'F16', 'BF16', 'Q4_0', 'Q4_1', 'Q8_0', 'Q5_0', 'Q5_1', 'Q4_K', 'Q5_K', 'Q6_K', 'Q2_K', 'IQ4_NL', 'I8'];

function scalarValue(r: Rng, t: number): unknown {
  switch (t) {
    case 0: return r.int(256);
    case 1: return r.int(256) - 128;
    case 2: return r.int(65536);
    case 3: return r.int(65536) - 32768;
    case 4: return r.u32();
    case 5: return r.u32() | 0;
    case 6: return r.pick([0, 1.5, -2.25, 1e-3, 3.4e38]);
    case 7: return r.chance(0.5);
    case 8: return r.pick(['', 'llama', '<s>', 'ĠThe', '\u00e9t\u00e9', '{{ messages }}', 'a'.repeat(r.int(40))]);
    case 10: return BigInt(r.u32()) * BigInt(r.int(8) + 1);
    case 11: return -BigInt(r.u32());
    default: return r.pick([0, Math.PI, -1e300]);
  }
}

function randomValue(r: Rng, depth = 0): MetaValue {
  if (depth < 2 && r.chance(0.3)) {
    const itemType = depth < 1 && r.chance(0.25) ? VT.array : r.pick(SCALAR_TYPES);
    const n = r.int(itemType === VT.array ? 3 : 6);
    return { type: VT.array, value: { itemType, items: Array.from({ length: n }, () => (itemType === VT.array ? randomValue(r, depth + 1) : { type: itemType, value: scalarValue(r, itemType) })) } };
  }
  const t = r.pick(SCALAR_TYPES);
  return { type: t, value: scalarValue(r, t) };
}

/** A finite f16 of moderate size (bits). */
function finiteHalf(r: Rng): number {
  return f32ToF16Bits((r.float() * 2 - 1) * 2 ** r.range(-8, 4));
}

/** Valid data for a tensor of `type` and `ne`: random codes, finite f16 scales (whose byte offsets are returned). */
function tensorData(r: Rng, type: GgufTensorType, ne: number[]): { data: Uint8Array; scales: number[] } {
  const [, E, B] = GGML_TYPES[type];
  const numel = ne.reduce((a, b) => a * b, 1);
  const data = r.bytes((numel / E) * B);
  const scales: number[] = [];
  const dv = new DataView(data.buffer);
  if (type === 'F32') for (let i = 0; i < numel; i++) dv.setFloat32(4 * i, r.float() * 4 - 2, true);
  else if (type === 'F16') for (let i = 0; i < numel; i++) dv.setUint16(2 * i, finiteHalf(r), true);
  const at = SCALE_AT[type];
  if (at) {
    for (let o = 0; o < data.length; o += B) {
      for (const s of at) {
        dv.setUint16(o + s, finiteHalf(r), true);
        scales.push(o + s);
      }
    }
  }
  return { data, scales };
}

/** A valid random GGUF description: metadata of every value type (nested arrays too), 0..4 tensors. */
export function randomGguf(r: Rng): GgufDesc {
  const alignment = r.pick([32, 32, 8, 16, 64]);
  const kvs: GgufDesc['kvs'] = [{ key: 'general.architecture', v: { type: VT.string, value: 'llama' } }];
  if (alignment !== 32 || r.chance(0.5)) kvs.push({ key: 'general.alignment', v: { type: VT.u32, value: alignment } });
  if (r.chance(0.3)) kvs.push({ key: 'tokenizer.ggml.tokens', v: { type: VT.array, value: { itemType: VT.string, items: ['<s>', '</s>', 'a', 'Ġb'].map((s) => ({ type: VT.string, value: s })) } } });
  const nk = r.int(6);
  for (let i = 0; i < nk; i++) kvs.push({ key: `fuzz.k${i}`, v: randomValue(r) });
  const tensors: GgufDesc['tensors'] = [];
  const nt = r.int(5);
  let off = 0n;
  for (let i = 0; i < nt; i++) {
    const type = r.pick(TENSOR_TYPES);
    const E = GGML_TYPES[type][1];
    const nd = r.range(1, 3);
    const ne = [E * r.range(1, E >= 256 ? 1 : 3), ...Array.from({ length: nd - 1 }, () => r.range(1, 2))];
    const { data, scales } = tensorData(r, type, ne);
    tensors.push({ name: `blk.${i}.w`, ne: ne.map(BigInt), type: GGML_TYPES[type][0], offset: off, data, scales });
    off += BigInt(Math.ceil(data.length / alignment) * alignment);
  }
  return { version: r.chance(0.9) ? 3 : 2, kvs, tensors, alignment };
}

class RawWriter {
  /** The bytes written so far: out[0, len). */
  private out = new Uint8Array(4096);
  len = 0;
  fields: Field[] = [];
  boundaries: number[] = [];
  private dv = new DataView(new ArrayBuffer(8));
  mark(): void {
    this.boundaries.push(this.len);
  }
  private push(n: number, kind: Field['kind'] | null): void {
    if (kind) this.fields.push({ at: this.len, size: n, kind });
    this.room(n);
    for (let i = 0; i < n; i++) this.out[this.len++] = this.dv.getUint8(i);
  }
  private room(n: number): void {
    if (this.len + n <= this.out.length) return;
    const b = new Uint8Array(Math.max(2 * this.out.length, this.len + n));
    b.set(this.out.subarray(0, this.len));
    this.out = b;
  }
  u8(v: number, kind: Field['kind'] = 'value'): void {
    this.dv.setUint8(0, v);
    this.push(1, kind);
  }
  u16(v: number, signed: boolean): void {
    if (signed) this.dv.setInt16(0, v, true);
    else this.dv.setUint16(0, v, true);
    this.push(2, 'value');
  }
  u32(v: number, kind: Field['kind'] = 'value', signed = false): void {
    if (signed) this.dv.setInt32(0, v, true);
    else this.dv.setUint32(0, v >>> 0, true);
    this.push(4, kind);
  }
  u64(v: bigint, kind: Field['kind'] = 'value', signed = false): void {
    if (signed) this.dv.setBigInt64(0, v, true);
    else this.dv.setBigUint64(0, BigInt.asUintN(64, v), true);
    this.push(8, kind);
  }
  f32(v: number): void {
    this.dv.setFloat32(0, v, true);
    this.push(4, 'value');
  }
  f64(v: number): void {
    this.dv.setFloat64(0, v, true);
    this.push(8, 'value');
  }
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.out.set(b, this.len);
    this.len += b.length;
  }
  /** A string: its UTF-8 bytes, or the raw bytes given (invalid UTF-8 on purpose). */
  str(s: string | Uint8Array): void {
    const b = typeof s === 'string' ? new TextEncoder().encode(s) : s;
    this.u64(BigInt(b.length), 'length');
    this.raw(b);
  }
  pad(al: number): void {
    const n = (al - (this.len % al)) % al;
    this.room(n);
    this.out.fill(0, this.len, this.len + n);
    this.len += n;
  }
  bytes(): Uint8Array {
    return this.out.slice(0, this.len);
  }
}

function writeValue(w: RawWriter, v: MetaValue): void {
  const x = v.value;
  switch (v.type) {
    case 0: case 1: case 7: return w.u8(typeof x === 'boolean' ? (x ? 1 : 0) : Number(x));
    case 2: case 3: return w.u16(Number(x), v.type === 3);
    case 4: case 5: return w.u32(Number(x), 'value', v.type === 5);
    case 6: return w.f32(Number(x));
    case 8: return w.str(x instanceof Uint8Array ? x : String(x));
    case 10: case 11: return w.u64(typeof x === 'bigint' ? x : BigInt(Math.trunc(Number(x)) || 0), 'value', v.type === 11);
    case 12: return w.f64(Number(x));
    case 9: {
      const a = x as { itemType: number; items: MetaValue[]; count?: bigint };
      // A scalar given the array type (a wrong-type mutation): an item type and a count, with no items.
      if (typeof a !== 'object' || a === null || !Array.isArray(a.items)) return (w.u32(VT.u32, 'type'), w.u64(1n, 'count'));
      w.u32(a.itemType, 'type');
      w.u64(a.count ?? BigInt(a.items.length), 'count');
      for (const it of a.items) writeValue(w, it);
      return;
    }
    default: return w.u32(Number(x) >>> 0); // an unknown type id: some bytes
  }
}

/** Writes a description as GGUF bytes (no checks: whatever the description says is written). */
export function writeGguf(d: GgufDesc): Written {
  const w = new RawWriter();
  w.fields.push({ at: 0, size: 4, kind: 'magic' });
  w.raw(new TextEncoder().encode('GGUF'));
  w.u32(d.version, 'version');
  w.mark();
  w.u64(d.tensorCount ?? BigInt(d.tensors.length), 'count');
  w.u64(d.kvCount ?? BigInt(d.kvs.length), 'count');
  for (const kv of d.kvs) {
    w.mark();
    w.str(kv.key);
    w.mark();
    w.u32(kv.v.type, 'type');
    writeValue(w, kv.v);
  }
  for (const t of d.tensors) {
    w.mark();
    w.str(t.name);
    w.u32(t.ne.length, 'count');
    for (const n of t.ne) w.u64(n, 'dim');
    w.u32(t.type, 'type');
    w.u64(t.offset, 'offset');
  }
  w.mark();
  w.pad(d.alignment);
  // The data go where a valid file puts them (in order, aligned), whatever offsets the header claims.
  for (const t of d.tensors) {
    w.mark();
    const at = w.len;
    for (const s of t.scales) w.fields.push({ at: at + s, size: 2, kind: 'scale' });
    w.raw(t.data);
    w.pad(d.alignment);
  }
  w.pad(d.alignment);
  w.mark();
  return { bytes: w.bytes(), fields: w.fields, boundaries: w.boundaries };
}

/** A valid nibble-mlp GGUF (what `nibble export --gguf` writes; read back by importMlpGguf). */
export function randomMlpGguf(r: Rng): GgufDesc {
  const sizes = [32 * r.range(1, 2), ...Array.from({ length: r.range(1, 2) }, () => r.range(1, 3))];
  const L = sizes.length - 1;
  const u32s = (xs: number[]): MetaValue => ({ type: VT.array, value: { itemType: VT.u32, items: xs.map((value) => ({ type: VT.u32, value })) } });
  const d: GgufDesc = {
    version: 3,
    alignment: 32,
    kvs: [
      { key: 'general.architecture', v: { type: VT.string, value: 'nibble-mlp' } },
      { key: 'general.alignment', v: { type: VT.u32, value: 32 } },
      { key: 'nibble-mlp.sizes', v: u32s(sizes) },
      { key: 'nibble-mlp.act_bits', v: u32s(Array.from({ length: L }, () => r.pick([0, 8]))) },
      { key: 'nibble-mlp.activation', v: { type: VT.string, value: 'silu' } },
    ],
    tensors: [],
  };
  let off = 0n;
  const add = (name: string, type: GgufTensorType, ne: number[]) => {
    const { data, scales } = tensorData(r, type, ne);
    d.tensors.push({ name, ne: ne.map(BigInt), type: GGML_TYPES[type][0], offset: off, data, scales });
    off += BigInt(Math.ceil(data.length / 32) * 32);
  };
  for (let i = 0; i < L; i++) {
    // K of a quantized layer is a multiple of 32; a later layer's K (an earlier N) is small, so it stays F32.
    add(`blk.${i}.weight`, sizes[i] % 32 === 0 ? r.pick(['Q4_0', 'Q8_0', 'F32'] as const) : 'F32', [sizes[i], sizes[i + 1]]);
    add(`blk.${i}.bias`, 'F32', [sizes[i + 1]]);
  }
  return d;
}
