// safetensors read/write (pure: no node:fs; the Node file path helpers are in runtime/safetensors.ts).
// Format: u64 little-endian header length n, n bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]},
// "__metadata__": {string: string}}, then the data; offsets are relative to the end of the header.
// Reading makes typed-array views into the given buffer (no copy) unless a tensor is misaligned for its element
// size, in which case only that tensor is copied once. F16 and BF16 come back as raw Uint16Array bits.
// Byte order: little-endian hosts only (every WebGPU platform).
import { bf16BitsToF32, f16BitsToF32 } from '../quant/f16.js';

export type DType = 'F32' | 'F16' | 'BF16' | 'I8' | 'U8' | 'I32';
export type TensorData = Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array;

export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

export interface Safetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

export const DTYPE_BYTES: Readonly<Record<DType, number>> = { F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, I32: 4 };
export const DTYPES = Object.keys(DTYPE_BYTES) as DType[];

const ARRAY: Record<DType, new (b: ArrayBuffer, o: number, n: number) => TensorData> = {
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
  I32: Int32Array,
};

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/**
 * obj[key] = value as an own property whatever the key: a plain assignment of '__proto__' would set the object's
 * prototype instead (the entry lost), so names from a file are stored this way.
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A tensor whose data length matches its shape and dtype (checked). */
export function makeTensor(dtype: DType, shape: number[], data: TensorData, name = 'tensor'): Tensor {
  if (!DTYPES.includes(dtype)) throw new SafetensorsError(`tensor '${name}': dtype '${dtype}' is not supported (${DTYPES.join(', ')})`);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`tensor '${name}': shape [${shape.join(', ')}] is not a list of non-negative integers`);
  if (!(data instanceof ARRAY[dtype])) throw new SafetensorsError(`tensor '${name}': ${dtype} data must be a ${ARRAY[dtype].name}, got ${data.constructor.name}`);
  if (data.length !== numel(shape)) throw new SafetensorsError(`tensor '${name}': ${data.length} elements, shape [${shape.join(', ')}] needs ${numel(shape)}`);
  return { dtype, shape, data };
}

/** Values as f32 (F16/BF16 decoded exactly; integers converted). */
export function toF32(t: Tensor): Float32Array {
  if (t.dtype === 'F32') return t.data as Float32Array;
  if (t.dtype === 'F16') return Float32Array.from(t.data, f16BitsToF32);
  if (t.dtype === 'BF16') return Float32Array.from(t.data, bf16BitsToF32);
  return Float32Array.from(t.data);
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** Reads and validates the header. `total` = bytes in the whole file. Returns the entries and where data starts. */
export function parseHeader(head: Uint8Array, total: number, source = 'safetensors'): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (total < 8 || head.length < 8) throw new SafetensorsError(`${source}: ${total} bytes is too short for a safetensors header`);
  const dv = new DataView(head.buffer, head.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > total - 8) throw new SafetensorsError(`${source}: header length ${n} (bytes 0..7) overruns the file of ${total} bytes`);
  if (head.length < 8 + n) throw new SafetensorsError(`${source}: header of ${n} bytes not fully read`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(`${source}: header (bytes 8..${8 + n - 1}) is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SafetensorsError(`${source}: header is not a JSON object`);
  const dataLen = total - 8 - n;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SafetensorsError(`${source}: __metadata__ is not an object`);
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw new SafetensorsError(`${source}: __metadata__['${k}'] is not a string`);
        setOwn(metadata, k, s);
      }
      continue;
    }
    const where = `${source}: tensor '${name}'`;
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw new SafetensorsError(`${where}: header entry is not an object`);
    if (typeof e.dtype !== 'string' || !DTYPES.includes(e.dtype as DType)) throw new SafetensorsError(`${where}: dtype ${JSON.stringify(e.dtype)} is not supported (${DTYPES.join(', ')})`);
    const dtype = e.dtype as DType;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(`${where}: shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      throw new SafetensorsError(`${where}: data_offsets ${JSON.stringify(off)} is not [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = off as number[];
    if (end > dataLen) throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] overrun the data section of ${dataLen} bytes (file offset ${8 + n + end} > ${total})`);
    const need = numel(e.shape) * DTYPE_BYTES[dtype];
    if (end - begin !== need) throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, ${dtype} [${e.shape.join(', ')}] needs ${need}`);
    entries.push({ name, dtype, shape: e.shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      throw new SafetensorsError(`${source}: tensor '${sorted[i].name}' (data_offsets [${sorted[i].begin}, ${sorted[i].end}]) overlaps tensor '${sorted[i - 1].name}' ([${sorted[i - 1].begin}, ${sorted[i - 1].end}])`);
    }
  }
  return { entries, metadata, dataStart: 8 + n };
}

/** Parses a whole safetensors file held in memory; tensors are views into `bytes` where alignment allows. */
export function parseSafetensors(bytes: ArrayBuffer | Uint8Array, source = 'safetensors'): Safetensors {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const { entries, metadata, dataStart } = parseHeader(u8, u8.length, source);
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const size = DTYPE_BYTES[e.dtype];
    const at = u8.byteOffset + dataStart + e.begin;
    const count = (e.end - e.begin) / size;
    const Ctor = ARRAY[e.dtype];
    const buffer = u8.buffer as ArrayBuffer;
    // A misaligned tensor is copied (once) into its own buffer.
    const data = at % size === 0 ? new Ctor(buffer, at, count) : new Ctor(buffer.slice(at, at + count * size), 0, count);
    setOwn(tensors, e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

/** Reads a File/Blob (browser or Node): one copy of the bytes, then views. */
export async function readSafetensorsBlob(blob: Blob, source = (blob as File).name ?? 'blob'): Promise<Safetensors> {
  return parseSafetensors(await blob.arrayBuffer(), source);
}

/**
 * The file as a list of byte chunks: the header (padded with spaces to a multiple of 8), then each tensor's bytes
 * as a view of its own data (nothing copied), 4-byte dtypes first. Write them in order, or wrap them in a Blob.
 */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new SafetensorsError(`__metadata__['${k}'] is not a string`);
    header.__metadata__ = metadata;
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  // Largest element size first: with the header padded to 8 bytes every tensor stays aligned for zero-copy reads.
  const order = Object.entries(tensors).sort((x, y) => DTYPE_BYTES[y[1].dtype] - DTYPE_BYTES[x[1].dtype]);
  for (const [name, t] of order) {
    if (name === '__metadata__') throw new SafetensorsError(`tensor name '__metadata__' is reserved`);
    makeTensor(t.dtype, t.shape, t.data, name);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    parts.push(bytes);
  }
  const json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad) hb = enc.encode(json + ' '.repeat(pad));
  const head = new Uint8Array(8 + hb.length);
  new DataView(head.buffer).setUint32(0, hb.length, true);
  head.set(hb, 8);
  return [head, ...parts];
}

/** The whole file in one buffer (one copy of the data). */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const parts = serializeSafetensors(tensors, metadata);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A Blob of the file (the browser's download path); the Blob copies each chunk once. */
export function safetensorsBlob(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Blob {
  return new Blob(serializeSafetensors(tensors, metadata) as BlobPart[], { type: 'application/octet-stream' });
}
