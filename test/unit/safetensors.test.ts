// safetensors: round trips of every dtype and the metadata, views without copies, Blob and file paths, and the
// errors for headers that lie.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { encodeSafetensors, makeTensor, parseSafetensors, readSafetensorsBlob, safetensorsBlob, toF32, type Tensor } from '../../src/io/safetensors.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../runtime/safetensors.js';
import { f32ToBf16Bits, f32ToF16Bits } from '../../src/quant/f16.js';

function sample(): Record<string, Tensor> {
  return {
    w: makeTensor('F32', [2, 3], Float32Array.from([1, -2, 3.5, 0, 1e-8, -7])),
    h: makeTensor('F16', [3], Uint16Array.from([1, -0.5, 65504], f32ToF16Bits)),
    b: makeTensor('BF16', [2], Uint16Array.from([1.5, -3], f32ToBf16Bits)),
    i8: makeTensor('I8', [5], Int8Array.from([-128, -1, 0, 1, 127])),
    u8: makeTensor('U8', [1, 3], Uint8Array.from([0, 15, 255])),
    i32: makeTensor('I32', [2], Int32Array.from([-2147483648, 0x76543210])),
    empty: makeTensor('F32', [0, 4], new Float32Array(0)),
  };
}

function header(json: object | string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const hb = new TextEncoder().encode(typeof json === 'string' ? json : JSON.stringify(json));
  const out = new Uint8Array(8 + hb.length + data.length);
  new DataView(out.buffer).setUint32(0, hb.length, true);
  out.set(hb, 8);
  out.set(data, 8 + hb.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips every dtype, shapes and metadata; tensors are views of the buffer', () => {
    const t = sample();
    const bytes = encodeSafetensors(t, { format: 'pt', note: 'é' });
    const hlen = new DataView(bytes.buffer).getUint32(0, true);
    expect(hlen % 8).toBe(0);
    const f = parseSafetensors(bytes);
    expect(f.metadata).toEqual({ format: 'pt', note: 'é' });
    for (const [k, v] of Object.entries(t)) {
      expect(f.tensors[k].dtype).toBe(v.dtype);
      expect(f.tensors[k].shape).toEqual(v.shape);
      expect(Array.from(f.tensors[k].data)).toEqual(Array.from(v.data));
      expect(f.tensors[k].data.buffer).toBe(bytes.buffer); // no copy
    }
    expect(Array.from(toF32(f.tensors.h))).toEqual([1, -0.5, 65504]);
    expect(Array.from(toF32(f.tensors.b))).toEqual([1.5, -3]);
  });
  it('reads a file written by another writer (hand-built bytes, offsets in any order, misaligned tensor)', () => {
    // b (U8 [3]) first at [0, 3], then a (F32 [1]) at [3, 7]: misaligned for F32, so it is copied once.
    const data = Uint8Array.from([1, 2, 3, 0, 0, 0xc0, 0x3f]);
    const f = parseSafetensors(header({ a: { dtype: 'F32', shape: [1], data_offsets: [3, 7] }, b: { dtype: 'U8', shape: [3], data_offsets: [0, 3] } }, data));
    expect(Array.from(f.tensors.a.data)).toEqual([1.5]);
    expect(Array.from(f.tensors.b.data)).toEqual([1, 2, 3]);
    expect(f.metadata).toEqual({});
  });
  it('reads from a Blob and writes a Blob', async () => {
    const f = await readSafetensorsBlob(safetensorsBlob(sample(), { a: 'b' }));
    expect(f.metadata.a).toBe('b');
    expect(Array.from(f.tensors.i32.data)).toEqual([-2147483648, 0x76543210]);
  });
  it('writes and reads a path atomically; a failed write leaves nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nibble-st-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const p = join(dir, 'x.safetensors');
    writeSafetensorsFile(p, sample(), { k: 'v' });
    const f = readSafetensorsFile(p);
    expect(Array.from(f.tensors.w.data)).toEqual(Array.from(sample().w.data));
    expect(() => writeSafetensorsFile(join(dir, 'bad.safetensors'), { w: { dtype: 'F32', shape: [4], data: new Float32Array(3) } })).toThrow(/tensor 'w': 3 elements, shape \[4\] needs 4/);
    expect(readdirSync(dir)).toEqual(['x.safetensors']);
    expect(() => writeSafetensorsFile(join(dir, 'missing', 'y.safetensors'), sample())).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual(['x.safetensors']);
    // Overwriting replaces the file whole.
    writeSafetensorsFile(p, { z: makeTensor('U8', [1], Uint8Array.of(9)) });
    expect(Object.keys(readSafetensorsFile(p).tensors)).toEqual(['z']);
    writeFileSync(p, readFileSync(p).subarray(0, 20));
    expect(() => readSafetensorsFile(p)).toThrow(/x.safetensors: header length \d+ \(bytes 0..7\) overruns the file of 20 bytes/);
    expect(existsSync(p)).toBe(true);
  });
  it('refuses headers that lie, naming the tensor and the offsets', () => {
    const d8 = new Uint8Array(8);
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(5), /5 bytes is too short/],
      [header({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }).subarray(0, 12), /header length \d+ \(bytes 0..7\) overruns the file of 12 bytes/],
      [header('{"w": ', d8), /header \(bytes 8..13\) is not valid UTF-8 JSON/],
      [header({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 16] } }, d8), /tensor 'w': data_offsets \[0, 16\] overrun the data section of 8 bytes/],
      [header({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, d8), /tensor 'w': data_offsets \[0, 8\] hold 8 bytes, F32 \[3\] needs 12/],
      [header({ w: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, d8), /tensor 'w': dtype "F64" is not supported/],
      [header({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, d8), /tensor 'w': shape \[-1\] is not a list of non-negative integers/],
      [header({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, d8), /tensor 'w': data_offsets \[4,0\] is not \[begin, end\]/],
      [header({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [2], data_offsets: [2, 4] } }, d8), /tensor 'b' \(data_offsets \[2, 4\]\) overlaps tensor 'a'/],
      [header({ __metadata__: { a: 1 } }, d8), /__metadata__\['a'\] is not a string/],
      [header('[1, 2]'), /header is not a JSON object/],
    ];
    for (const [bytes, re] of cases) expect(() => parseSafetensors(bytes, 'in.safetensors')).toThrow(re);
  });
});
