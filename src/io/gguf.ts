// GGUF v3 files (ggml's format, docs/gguf.md): encodeGgufFile writes one, parseGgufFile reads and validates one
// (pure, no GPU). Little-endian throughout:
//   magic 'GGUF' (4 bytes), version u32 (3), tensor_count u64, metadata_kv_count u64,
//   kv pairs:    key (string), value_type u32, value           string = u64 byte length + UTF-8 bytes (no NUL)
//                value types: u8 0, i8 1, u16 2, i16 3, u32 4, i32 5, f32 6, bool 7, string 8, array 9 (item type u32,
//                count u64, items), u64 10, i64 11, f64 12
//   tensor infos: name (string, at most 64 bytes), n_dims u32, ne u64[n_dims] (ne[0] innermost: a PyTorch-shaped
//                [N, K] weight is ne = [K, N]), ggml type u32 (GGML_TYPES below: F32 0, F16 1, Q4_0 2, ...),
//                offset u64 (from the start of the data section, a multiple of the alignment)
//   zero padding to general.alignment (u32, a multiple of 8, default 32; here also a power of two, as ggml needs),
//   then the tensor data, each tensor padded to the alignment. Keys are ASCII, at most 65535 bytes.
// Shapes in this API are outermost first (as safetensors and src/quant/gguf.ts): shape [N, K] is stored as ne [K, N].
import { GGUF_BLOCKS } from '../quant/gguf.js';
import { GgufFileError } from './gguf_error.js';
import { setOwn } from './safetensors.js';

export { GgufFileError };

/** parseGgufHeader was given a prefix of the file that ends inside the header: read `need` bytes or more, and retry. */
export class GgufHeaderIncomplete extends GgufFileError {
  constructor(
    message: string,
    readonly need: number,
  ) {
    super(message);
  }
}

/**
 * Every ggml tensor type: its id, elements per block and bytes per block (gguf-py 0.19.0's GGML_QUANT_SIZES).
 * Files holding any of them parse (their tensors' byte ranges are known); nibble decodes F32, F16, BF16 and the
 * block types of src/quant/gguf.ts (GGUF_BLOCKS), and names the others in its errors.
 */
export const GGML_TYPES = {
  F32: [0, 1, 4], F16: [1, 1, 2], Q4_0: [2, 32, 18], Q4_1: [3, 32, 20], Q5_0: [6, 32, 22], Q5_1: [7, 32, 24], Q8_0: [8, 32, 34],
  Q8_1: [9, 32, 40], Q2_K: [10, 256, 84], Q3_K: [11, 256, 110], Q4_K: [12, 256, 144], Q5_K: [13, 256, 176], Q6_K: [14, 256, 210],
  Q8_K: [15, 256, 292], IQ2_XXS: [16, 256, 66], IQ2_XS: [17, 256, 74], IQ3_XXS: [18, 256, 98], IQ1_S: [19, 256, 50],
  IQ4_NL: [20, 32, 18], IQ3_S: [21, 256, 110], IQ2_S: [22, 256, 82], IQ4_XS: [23, 256, 136], I8: [24, 1, 1], I16: [25, 1, 2],
  I32: [26, 1, 4], I64: [27, 1, 8], F64: [28, 1, 8], IQ1_M: [29, 256, 56], BF16: [30, 1, 2], TQ1_0: [34, 256, 54],
  TQ2_0: [35, 256, 66], MXFP4: [39, 32, 17], NVFP4: [40, 64, 36], Q1_0: [41, 128, 18],
} as const satisfies Record<string, readonly [number, number, number]>;

export type GgufTensorType = keyof typeof GGML_TYPES;

export const GGML_TYPE_ID = Object.fromEntries(Object.entries(GGML_TYPES).map(([k, v]) => [k, v[0]])) as Readonly<Record<GgufTensorType, number>>;

/** A byte count for people: B, KiB, MiB (one decimal) or GiB (two), as `nibble gguf` and the demo print sizes. */
export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

/** Whether nibble can decode tensors of this type (F32, F16, BF16, or a block type of src/quant/gguf.ts). */
export function ggufReadable(type: GgufTensorType): boolean {
  return type === 'F32' || type === 'F16' || type === 'BF16' || type in GGUF_BLOCKS;
}

export type GgufScalarType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'bool' | 'string' | 'u64' | 'i64' | 'f64';
const VALUE_TYPE_ID: Readonly<Record<GgufScalarType | 'array', number>> = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 };
const VALUE_TYPE_OF = Object.fromEntries(Object.entries(VALUE_TYPE_ID).map(([k, v]) => [v, k])) as Record<number, GgufScalarType | 'array'>;

export type GgufScalar = number | bigint | boolean | string;
/** A typed metadata value: 64-bit integers are bigint, the other numbers number; arrays hold items of one type. */
export type GgufValue = { type: GgufScalarType; value: GgufScalar } | { type: 'array'; itemType: GgufScalarType | 'array'; value: GgufValue[] };

/** Shorthands for metadata values. */
export const gguf = {
  u32: (v: number): GgufValue => ({ type: 'u32', value: v }),
  i32: (v: number): GgufValue => ({ type: 'i32', value: v }),
  f32: (v: number): GgufValue => ({ type: 'f32', value: v }),
  bool: (v: boolean): GgufValue => ({ type: 'bool', value: v }),
  str: (v: string): GgufValue => ({ type: 'string', value: v }),
  u64: (v: bigint): GgufValue => ({ type: 'u64', value: v }),
  array: (itemType: GgufScalarType, values: GgufScalar[]): GgufValue => ({ type: 'array', itemType, value: values.map((value) => ({ type: itemType, value }) as GgufValue) }),
};

export interface GgufTensorIn {
  name: string;
  type: GgufTensorType;
  /** Outermost first ([N, K] for a weight: ne = [K, N] in the file). */
  shape: number[];
  /** The tensor's bytes as stored (F32: a Float32Array is taken too). */
  data: Uint8Array | Float32Array;
}

export interface GgufTensor {
  name: string;
  type: GgufTensorType;
  shape: number[];
  /** As in the file: ne[0] innermost. */
  ne: number[];
  /** Offset of the data from the start of the data section, and from the start of the file. */
  offset: number;
  fileOffset: number;
  /** A view of the file's bytes. */
  data: Uint8Array;
}

export interface GgufFile {
  version: number;
  alignment: number;
  metadata: Record<string, GgufValue>;
  /** In file order. */
  tensors: GgufTensor[];
  /** Where the data section starts. */
  dataOffset: number;
}

/** A tensor as the header describes it: where its `bytes` bytes lie in the file, not the bytes themselves. */
export type GgufTensorInfo = Omit<GgufTensor, 'data'> & { bytes: number };

/** What parseGgufHeader reads: the file's header, checked against the whole file's size. */
export interface GgufHeader extends Omit<GgufFile, 'tensors'> {
  tensors: GgufTensorInfo[];
  fileSize: number;
}

export const GGUF_MAX_NAME_BYTES = 64;
const MAX_DIMS = 4;
const MAX_KEY_BYTES = 65535;

function alignmentOk(al: GgufValue): boolean {
  return al.type === 'u32' && typeof al.value === 'number' && al.value >= 8 && (al.value & (al.value - 1)) === 0;
}

/** Bytes of a tensor of `type` with `shape` (block types need the innermost dim a multiple of 32, K-quants of 256). */
export function ggufTensorBytes(type: GgufTensorType, shape: readonly number[], name = 'tensor'): number {
  const numel = shape.reduce((a, b) => a * b, 1);
  const [, E, B] = GGML_TYPES[type];
  const inner = shape[shape.length - 1];
  if (inner % E !== 0) throw new GgufFileError(`gguf: tensor '${name}' [${shape.join(', ')}] ${type}: the innermost dim ${inner} is not a multiple of ${E}`);
  return (numel / E) * B;
}

const utf8 = new TextEncoder();

class Writer {
  private buf = new Uint8Array(4096);
  private dv = new DataView(this.buf.buffer);
  pos = 0;
  private need(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }
  bytes(b: Uint8Array): void {
    this.need(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  u32(v: number): void {
    this.need(4);
    this.dv.setUint32(this.pos, v, true);
    this.pos += 4;
  }
  u64(v: number | bigint): void {
    this.need(8);
    this.dv.setBigUint64(this.pos, BigInt(v), true);
    this.pos += 8;
  }
  str(s: string): void {
    const b = utf8.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  pad(align: number): void {
    const n = (align - (this.pos % align)) % align;
    this.need(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }
  scalar(t: GgufScalarType, v: GgufScalar, what: string): void {
    const num = (ok: (x: number) => boolean) => {
      if (typeof v !== 'number' || !ok(v)) throw new GgufFileError(`gguf: metadata ${what}: ${String(v)} is not a valid ${t}`);
      return v;
    };
    const int = (lo: number, hi: number) => num((x) => Number.isInteger(x) && x >= lo && x <= hi);
    this.need(8);
    const dv = this.dv;
    const p = this.pos;
    switch (t) {
      case 'u8': dv.setUint8(p, int(0, 255)); this.pos += 1; break;
      case 'i8': dv.setInt8(p, int(-128, 127)); this.pos += 1; break;
      case 'u16': dv.setUint16(p, int(0, 65535), true); this.pos += 2; break;
      case 'i16': dv.setInt16(p, int(-32768, 32767), true); this.pos += 2; break;
      case 'u32': dv.setUint32(p, int(0, 2 ** 32 - 1), true); this.pos += 4; break;
      case 'i32': dv.setInt32(p, int(-(2 ** 31), 2 ** 31 - 1), true); this.pos += 4; break;
      case 'f32': dv.setFloat32(p, num((x) => typeof x === 'number'), true); this.pos += 4; break;
      case 'f64': dv.setFloat64(p, num((x) => typeof x === 'number'), true); this.pos += 8; break;
      case 'bool':
        if (typeof v !== 'boolean') throw new GgufFileError(`gguf: metadata ${what}: ${String(v)} is not a bool`);
        dv.setUint8(p, v ? 1 : 0);
        this.pos += 1;
        break;
      case 'u64':
      case 'i64': {
        const b = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : null;
        const ok = b !== null && (t === 'u64' ? b >= 0n && b < 2n ** 64n : b >= -(2n ** 63n) && b < 2n ** 63n);
        if (!ok) throw new GgufFileError(`gguf: metadata ${what}: ${String(v)} is not a valid ${t}`);
        if (t === 'u64') dv.setBigUint64(p, b!, true);
        else dv.setBigInt64(p, b!, true);
        this.pos += 8;
        break;
      }
      case 'string':
        if (typeof v !== 'string') throw new GgufFileError(`gguf: metadata ${what}: ${String(v)} is not a string`);
        this.str(v);
        break;
      default:
        throw new GgufFileError(`gguf: metadata ${what}: unknown value type '${t as string}'`);
    }
  }
  value(v: GgufValue, what: string): void {
    if (v.type !== 'array') return this.scalar(v.type, v.value, what);
    this.u32(VALUE_TYPE_ID[v.itemType]);
    this.u64(v.value.length);
    v.value.forEach((item, i) => {
      if (item.type !== v.itemType) throw new GgufFileError(`gguf: metadata ${what}[${i}] is ${item.type}, the array holds ${v.itemType}`);
      this.value(item, `${what}[${i}]`);
    });
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function checkValueType(v: GgufValue, what: string): void {
  if (!(v.type in VALUE_TYPE_ID)) throw new GgufFileError(`gguf: metadata ${what}: unknown value type '${v.type}'`);
  if (v.type === 'array' && !(v.itemType in VALUE_TYPE_ID)) throw new GgufFileError(`gguf: metadata ${what}: unknown array item type '${v.itemType}'`);
}

/**
 * A GGUF v3 file. `general.alignment` (u32, a power of two) is taken from the metadata or added as 32.
 * Tensors are written in the order given; each tensor's bytes must match its type and shape exactly.
 */
export function encodeGgufFile(tensors: GgufTensorIn[], metadata: Record<string, GgufValue> = {}): Uint8Array {
  const meta: Record<string, GgufValue> = { ...metadata };
  const al = meta['general.alignment'] ?? gguf.u32(32);
  if (!alignmentOk(al)) throw new GgufFileError(`gguf: metadata 'general.alignment' must be a u32 power of two >= 8, got ${al.type} ${String(al.value)}`);
  const alignment = al.value as number;
  meta['general.alignment'] = al;
  const names = new Set<string>();
  const sized = tensors.map((t) => {
    const nb = utf8.encode(t.name).length;
    if (nb === 0 || nb > GGUF_MAX_NAME_BYTES) throw new GgufFileError(`gguf: tensor name '${t.name}' is ${nb} bytes (1..${GGUF_MAX_NAME_BYTES})`);
    if (names.has(t.name)) throw new GgufFileError(`gguf: tensor '${t.name}' is given twice`);
    names.add(t.name);
    if (!(t.type in GGML_TYPE_ID)) throw new GgufFileError(`gguf: tensor '${t.name}': type '${t.type}' is not supported (${Object.keys(GGML_TYPE_ID).join(', ')})`);
    if (t.shape.length < 1 || t.shape.length > MAX_DIMS || t.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new GgufFileError(`gguf: tensor '${t.name}': shape [${t.shape.join(', ')}] must be 1..${MAX_DIMS} positive integers`);
    }
    const bytes = ggufTensorBytes(t.type, t.shape, t.name);
    let data: Uint8Array;
    if (t.data instanceof Float32Array) {
      if (t.type !== 'F32') throw new GgufFileError(`gguf: tensor '${t.name}': Float32Array data given for a ${t.type} tensor`);
      data = new Uint8Array(4 * t.data.length);
      const dv = new DataView(data.buffer);
      t.data.forEach((v, i) => dv.setFloat32(4 * i, v, true));
    } else data = t.data;
    if (data.length !== bytes) throw new GgufFileError(`gguf: tensor '${t.name}' ${t.type} [${t.shape.join(', ')}] takes ${bytes} bytes, ${data.length} given`);
    return { ...t, data };
  });
  const w = new Writer();
  w.bytes(utf8.encode('GGUF'));
  w.u32(3);
  w.u64(sized.length);
  w.u64(Object.keys(meta).length);
  for (const [k, v] of Object.entries(meta)) {
    if (k.length === 0 || k.length > MAX_KEY_BYTES || !/^[\x20-\x7e]+$/.test(k)) throw new GgufFileError(`gguf: metadata key ${JSON.stringify(k.slice(0, 80))} must be 1..${MAX_KEY_BYTES} printable ASCII bytes`);
    checkValueType(v, `'${k}'`);
    w.str(k);
    w.u32(VALUE_TYPE_ID[v.type]);
    w.value(v, `'${k}'`);
  }
  let off = 0;
  const offsets: number[] = [];
  for (const t of sized) {
    w.str(t.name);
    w.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) w.u64(d);
    w.u32(GGML_TYPE_ID[t.type]);
    w.u64(off);
    offsets.push(off);
    off += Math.ceil(t.data.length / alignment) * alignment;
  }
  w.pad(alignment);
  for (const t of sized) {
    w.bytes(t.data);
    w.pad(alignment);
  }
  return w.result();
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

class Reader {
  pos = 0;
  readonly dv: DataView;
  /** `b` is the file's first b.length bytes of `fileSize`. */
  constructor(
    readonly b: Uint8Array,
    readonly source: string,
    readonly fileSize = b.length,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  fail(what: string, at = this.pos): never {
    throw new GgufFileError(`${this.source}: ${what} (offset ${at})`);
  }
  need(n: number, what: string): void {
    if (this.pos + n <= this.b.length) return;
    if (this.pos + n <= this.fileSize) throw new GgufHeaderIncomplete(`${this.source}: the header continues past the ${this.b.length} bytes read (${what} at offset ${this.pos})`, this.pos + n);
    this.fail(`truncated: ${what} needs ${n} bytes, ${Math.max(0, this.fileSize - this.pos)} left of ${this.fileSize}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.b[this.pos++];
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A u64 that must fit a JS index. */
  size(what: string, max: number): number {
    const at = this.pos;
    const v = this.u64(what);
    if (v > BigInt(max)) this.fail(`${what} = ${v} exceeds ${max}`, at);
    return Number(v);
  }
  /** A string of at most maxBytes (default: what the file holds; a longer read than the prefix grows it). */
  str(what: string, maxBytes = this.fileSize): string {
    const at = this.pos;
    const n = this.size(`${what} length`, Math.min(maxBytes, this.fileSize));
    this.need(n, what);
    try {
      const s = utf8Fatal.decode(this.b.subarray(this.pos, this.pos + n));
      this.pos += n;
      return s;
    } catch {
      return this.fail(`${what} is not valid UTF-8`, at);
    }
  }
  scalar(t: GgufScalarType, what: string): GgufScalar {
    const sizes: Record<string, number> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, u64: 8, i64: 8, f64: 8 };
    if (t === 'string') return this.str(what);
    this.need(sizes[t], what);
    const p = this.pos;
    const dv = this.dv;
    this.pos += sizes[t];
    switch (t) {
      case 'u8': return dv.getUint8(p);
      case 'i8': return dv.getInt8(p);
      case 'u16': return dv.getUint16(p, true);
      case 'i16': return dv.getInt16(p, true);
      case 'u32': return dv.getUint32(p, true);
      case 'i32': return dv.getInt32(p, true);
      case 'f32': return dv.getFloat32(p, true);
      case 'f64': return dv.getFloat64(p, true);
      case 'u64': return dv.getBigUint64(p, true);
      case 'i64': return dv.getBigInt64(p, true);
      case 'bool': {
        const v = dv.getUint8(p);
        if (v > 1) this.fail(`${what}: bool byte ${v} is not 0 or 1`, p);
        return v === 1;
      }
    }
  }
  valueType(what: string): GgufScalarType | 'array' {
    const at = this.pos;
    const id = this.u32(`${what} value type`);
    const t = VALUE_TYPE_OF[id];
    if (t === undefined) this.fail(`${what}: unknown value type ${id}`, at);
    return t;
  }
  value(t: GgufScalarType | 'array', what: string, depth = 0): GgufValue {
    if (t !== 'array') return { type: t, value: this.scalar(t, what) };
    if (depth > 8) this.fail(`${what}: arrays nested more than 8 deep`);
    const itemType = this.valueType(`${what} array item`);
    const n = this.size(`${what} array count`, this.fileSize - this.pos);
    const value: GgufValue[] = [];
    for (let i = 0; i < n; i++) value.push(this.value(itemType, `${what}[${i}]`, depth + 1));
    return { type: 'array', itemType, value };
  }
}

/**
 * Parses and validates a GGUF file (versions 2 and 3, which share this layout): header, metadata, tensor infos
 * (name, dims, type, aligned offset), data bounds and overlaps. Every error names the key or tensor at fault and
 * the byte offset. Tensor data are views of `bytes`. For files too large to hold: openGguf, or parseGgufHeader.
 */
export function parseGgufFile(bytes: Uint8Array | ArrayBuffer, source = 'gguf'): GgufFile {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const h = parseGgufHeader(b, b.length, source);
  const { fileSize: _, ...rest } = h;
  return { ...rest, tensors: h.tensors.map(({ bytes: n, ...t }) => ({ ...t, data: b.subarray(t.fileOffset, t.fileOffset + n) })) };
}

/**
 * Parses a GGUF file's header from `prefix`, its first bytes, and checks every tensor's data range against
 * `fileSize` (the same checks and errors as parseGgufFile). Where the header runs past the prefix it throws
 * GgufHeaderIncomplete, whose `need` says how many bytes to read before trying again.
 */
export function parseGgufHeader(prefix: Uint8Array, fileSize: number, source = 'gguf'): GgufHeader {
  const b = prefix;
  const r = new Reader(b, source, fileSize);
  r.need(4, 'magic');
  const magic = String.fromCharCode(...b.subarray(0, 4));
  if (magic !== 'GGUF') r.fail(`not a GGUF file: magic ${JSON.stringify(magic)}, expected "GGUF"`, 0);
  r.pos = 4;
  const version = r.u32('version');
  if (version !== 3 && version !== 2) r.fail(`GGUF version ${version} is not supported (2 or 3)`, 4);
  // Each tensor info takes at least 8 + 1 + 4 + 8 + 4 + 8 bytes, each kv at least 8 + 1 + 4 + 1.
  const nTensors = r.size('tensor_count', Math.floor(fileSize / 33));
  const nKv = r.size('metadata_kv_count', Math.floor(fileSize / 14));
  const metadata: Record<string, GgufValue> = {};
  for (let i = 0; i < nKv; i++) {
    const at = r.pos;
    const key = r.str(`metadata key ${i}`, MAX_KEY_BYTES);
    if (key.length === 0) r.fail(`metadata key ${i} is empty`, at);
    // Own properties only: a key such as 'constructor' is not a duplicate, '__proto__' is stored as a key.
    if (Object.hasOwn(metadata, key)) r.fail(`metadata key '${key}' appears twice`, at);
    setOwn(metadata, key, r.value(r.valueType(`metadata '${key}'`), `metadata '${key}'`));
  }
  let alignment = 32;
  const al = metadata['general.alignment'];
  if (al) {
    if (!alignmentOk(al)) r.fail(`metadata 'general.alignment' must be a u32 power of two >= 8, got ${al.type} ${String(al.value)}`, 0);
    alignment = al.value as number;
  }
  const infos: { name: string; type: GgufTensorType; ne: number[]; offset: number; bytes: number; at: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const at = r.pos;
    const name = r.str(`tensor ${i} name`, GGUF_MAX_NAME_BYTES);
    const t = `tensor '${name}'`;
    if (name.length === 0) r.fail(`tensor ${i} has an empty name`, at);
    if (names.has(name)) r.fail(`${t} appears twice`, at);
    names.add(name);
    const dimsAt = r.pos;
    const nd = r.u32(`${t} n_dims`);
    if (nd < 1 || nd > MAX_DIMS) r.fail(`${t}: n_dims = ${nd} is not in 1..${MAX_DIMS}`, dimsAt);
    const ne: number[] = [];
    for (let d = 0; d < nd; d++) {
      const dAt = r.pos;
      const v = r.size(`${t} ne[${d}]`, 2 ** 40);
      if (v < 1) r.fail(`${t}: ne[${d}] = 0`, dAt);
      ne.push(v);
    }
    const typeAt = r.pos;
    const id = r.u32(`${t} type`);
    const found = (Object.keys(GGML_TYPE_ID) as GgufTensorType[]).find((k) => GGML_TYPE_ID[k] === id);
    if (!found) r.fail(`${t}: ggml type ${id} is not a type gguf-py 0.19.0 knows (${Object.entries(GGML_TYPE_ID).map(([k, v]) => `${k} ${v}`).join(', ')})`, typeAt);
    const type = found!;
    const E = GGML_TYPES[type][1];
    if (ne[0] % E !== 0) r.fail(`${t}: ${type} needs ne[0] a multiple of ${E}, ne = [${ne.join(', ')}]`, dimsAt);
    const offAt = r.pos;
    const offset = r.size(`${t} offset`, fileSize);
    if (offset % alignment !== 0) r.fail(`${t}: data offset ${offset} is not a multiple of the alignment ${alignment}`, offAt);
    const shape = [...ne].reverse();
    infos.push({ name, type, ne, offset, bytes: ggufTensorBytes(type, shape, name), at: offAt });
  }
  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  if (nTensors > 0 && dataOffset > fileSize) r.fail(`truncated: the data section would start at ${dataOffset}, the file has ${fileSize} bytes`);
  const tensors: GgufTensorInfo[] = infos.map((x) => {
    const start = dataOffset + x.offset;
    if (start + x.bytes > fileSize) {
      r.fail(`tensor '${x.name}' ${x.type} ne [${x.ne.join(', ')}]: its ${x.bytes} bytes at data offset ${x.offset} (file offset ${start}) run past the end of the file (${fileSize} bytes)`, x.at);
    }
    return { name: x.name, type: x.type, shape: [...x.ne].reverse(), ne: x.ne, offset: x.offset, fileOffset: start, bytes: x.bytes };
  });
  const sorted = [...tensors].sort((p, q) => p.offset - q.offset);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1];
    const q = sorted[i];
    if (p.offset + p.bytes > q.offset) r.fail(`tensor '${q.name}' (data offset ${q.offset}) overlaps tensor '${p.name}' (data offset ${p.offset}, ${p.bytes} bytes)`, dataOffset + q.offset);
  }
  return { version, alignment, metadata, tensors, dataOffset, fileSize };
}

// The lazy reader (openGguf, httpRangeSource, ggufTensor) lives in gguf_source.ts.
export * from './gguf_source.js';
