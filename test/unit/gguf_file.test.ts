// GGUF v3 files (src/io/gguf.ts): a known-answer byte layout, round trips of every metadata type and tensor type,
// bad files rejected naming the key / tensor and offset; QAT configs with a GGUF format (src/mlp/qat.ts prepare).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { openAsBlob, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGgufFile, gguf, GgufFileError, GgufHeaderIncomplete, ggufReadable, ggufTensor, httpRangeSource, openGguf, parseGgufFile, parseGgufHeader, type GgufValue } from '../../src/io/gguf.js';
import { GGUF_BLOCKS, dequantizeGguf, exportGguf, ggufScheme, importGguf, type GgufBlockType } from '../../src/quant/gguf.js';
import { dequantizeRef, quantizeRef } from '../../src/ref/quant.js';
import { bf16BitsToF32, f16BitsToF32 } from '../../src/quant/f16.js';
import { randomF32 } from '../../src/ref/random.js';
import { initMlp } from '../../src/nn/mlp.js';
import { prepare } from '../../src/mlp/qat.js';
import { train } from '../../src/mlp/trainer.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { fakeQuantGgufRef } from '../../src/ref/fake_quant_gguf.js';

/** Little-endian bytes, written out by hand (independent of the encoder). */
const u32 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
const u64 = (v: number) => [...u32(v), 0, 0, 0, 0];
const str = (s: string) => [...u64(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const padTo = (a: number[], n: number) => [...a, ...new Array((n - (a.length % n)) % n).fill(0)];

function tinyFile(): Uint8Array {
  return encodeGgufFile([{ name: 'a', type: 'F32', shape: [2], data: Float32Array.of(1, -2) }], { 'general.alignment': gguf.u32(32) });
}

describe('GGUF files', () => {
  it('writes the v3 layout byte for byte (header, kv, tensor info, padding, data)', () => {
    const head = [...Array.from('GGUF', (c) => c.charCodeAt(0)), ...u32(3), ...u64(1), ...u64(1), ...str('general.alignment'), ...u32(4), ...u32(32)];
    const info = [...str('a'), ...u32(1), ...u64(2), ...u32(0), ...u64(0)];
    const data = [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]; // 1.0f, -2.0f
    const want = padTo([...padTo([...head, ...info], 32), ...data], 32);
    expect(Array.from(tinyFile())).toEqual(want);
  });

  it('round-trips every metadata type and F32 / F16 / Q4_0 / Q4_1 / Q8_0 tensors, dims stored innermost first', () => {
    const w = randomF32(3 * 64, 5, -2, 2);
    const q40 = exportGguf('Q4_0', quantizeRef(w, 3, 64, ggufScheme('Q4_0')));
    const q80 = exportGguf('Q8_0', quantizeRef(w, 3, 64, ggufScheme('Q8_0')));
    const q41 = exportGguf('Q4_1', quantizeRef(w, 3, 64, ggufScheme('Q4_1')));
    const meta: Record<string, GgufValue> = {
      'general.architecture': gguf.str('nibble-mlp ✓'),
      'x.u8': { type: 'u8', value: 255 }, 'x.i8': { type: 'i8', value: -128 }, 'x.u16': { type: 'u16', value: 65535 }, 'x.i16': { type: 'i16', value: -32768 },
      'x.u32': gguf.u32(4294967295), 'x.i32': gguf.i32(-5), 'x.f32': gguf.f32(0.5), 'x.bool': gguf.bool(true), 'x.u64': gguf.u64(2n ** 63n + 7n),
      'x.i64': { type: 'i64', value: -(2n ** 62n) }, 'x.f64': { type: 'f64', value: Math.PI },
      'x.sizes': gguf.array('u32', [64, 128, 10]), 'x.names': gguf.array('string', ['a', '', 'ü']),
      'x.nested': { type: 'array', itemType: 'array', value: [gguf.array('i32', [-1, 2]), gguf.array('i32', [])] },
    };
    const f16 = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38]);
    const bytes = encodeGgufFile(
      [
        { name: 'blk.0.weight', type: 'Q4_0', shape: [3, 64], data: q40 },
        { name: 'blk.0.bias', type: 'F32', shape: [3], data: Float32Array.of(1.5, -0, 3) },
        { name: 'blk.1.weight', type: 'Q8_0', shape: [3, 64], data: q80 },
        { name: 'blk.2.weight', type: 'Q4_1', shape: [3, 64], data: q41 },
        { name: 'h', type: 'F16', shape: [1, 3], data: f16 },
      ],
      meta,
    );
    const f = parseGgufFile(bytes);
    expect(f.version).toBe(3);
    expect(f.alignment).toBe(32);
    expect(f.dataOffset % 32).toBe(0);
    expect(f.metadata).toEqual({ ...meta, 'general.alignment': gguf.u32(32) });
    expect(f.tensors.map((t) => t.name)).toEqual(['blk.0.weight', 'blk.0.bias', 'blk.1.weight', 'blk.2.weight', 'h']);
    for (const t of f.tensors) expect(t.offset % 32, t.name).toBe(0);
    const w0 = ggufTensor(f, 'blk.0.weight');
    expect([w0.type, w0.shape, w0.ne]).toEqual(['Q4_0', [3, 64], [64, 3]]);
    expect(Array.from(w0.data)).toEqual(Array.from(q40));
    expect(Array.from(ggufTensor(f, 'blk.1.weight').data)).toEqual(Array.from(q80));
    expect(Array.from(ggufTensor(f, 'blk.2.weight').data)).toEqual(Array.from(q41));
    expect(Array.from(ggufTensor(f, 'h').data)).toEqual(Array.from(f16));
    const b = ggufTensor(f, 'blk.0.bias');
    expect(Array.from(new Float32Array(b.data.slice().buffer))).toEqual([1.5, -0, 3]);
    expect(dequantizeGguf('Q8_0', ggufTensor(f, 'blk.1.weight').data, 3, 64)).toEqual(dequantizeGguf('Q8_0', q80, 3, 64));
    expect(() => ggufTensor(f, 'blk.9.weight')).toThrow(/tensor 'blk.9.weight' is missing \(the file has blk.0.weight, blk.0.bias/);
    // An empty file (no tensors, no kv besides the alignment) is valid too.
    expect(parseGgufFile(encodeGgufFile([])).tensors).toEqual([]);
  });

  it('reads Q4_K and Q6_K tensors (ggml types 12 and 14, 144 and 210 bytes per 256) and refuses a row not of whole super-blocks', () => {
    const q4k = Uint8Array.from({ length: 2 * 2 * 144 }, (_, i) => (i * 37 + 11) & 255);
    const q6k = Uint8Array.from({ length: 3 * 210 }, (_, i) => (i * 53 + 5) & 255);
    for (let o = 0; o < q4k.length; o += 144) q4k.set([0x00, 0x38, 0x00, 0x34], o); // finite d, dmin
    for (let o = 0; o < q6k.length; o += 210) q6k.set([0x00, 0x3c], o + 208);
    const bytes = encodeGgufFile([
      { name: 'blk.0.ffn_up.weight', type: 'Q4_K', shape: [2, 512], data: q4k },
      { name: 'output.weight', type: 'Q6_K', shape: [3, 256], data: q6k },
    ]);
    // The type ids as ggml numbers them, read straight from the tensor infos.
    const dv = new DataView(bytes.buffer);
    const typeAfter = (name: string, nDims: number) => dv.getUint32(new TextDecoder().decode(bytes).indexOf(name) + name.length + 4 + 8 * nDims, true);
    expect([typeAfter('blk.0.ffn_up.weight', 2), typeAfter('output.weight', 2)]).toEqual([12, 14]);
    const f = parseGgufFile(bytes);
    const a = ggufTensor(f, 'blk.0.ffn_up.weight');
    expect([a.type, a.shape, a.ne, a.data.length]).toEqual(['Q4_K', [2, 512], [512, 2], 576]);
    expect(Array.from(a.data)).toEqual(Array.from(q4k));
    const o = ggufTensor(f, 'output.weight');
    expect([o.type, o.shape, o.data.length]).toEqual(['Q6_K', [3, 256], 630]);
    expect(dequantizeGguf('Q6_K', o.data, 3, 256)).toEqual(dequantizeGguf('Q6_K', q6k, 3, 256));
    expect(() => encodeGgufFile([{ name: 'w', type: 'Q4_K', shape: [1, 288], data: new Uint8Array(162) }])).toThrow(/tensor 'w' \[1, 288\] Q4_K: the innermost dim 288 is not a multiple of 256/);
    // ne[0] = 256 edited to 128 in the file: refused at parse, naming the tensor.
    const small = encodeGgufFile([{ name: 'w', type: 'Q6_K', shape: [2, 256], data: new Uint8Array(420) }]);
    const ne0 = new TextDecoder().decode(small).indexOf('w') + 1 + 4;
    const bad = small.slice();
    new DataView(bad.buffer).setBigUint64(ne0, 128n, true);
    expect(() => parseGgufFile(bad)).toThrow(/tensor 'w': Q6_K needs ne\[0\] a multiple of 256, ne = \[128, 2\]/);
  });

  it('parses files holding types nibble does not decode (TQ2_0, Q8_1: sizes from gguf-py), and refuses to import them by name', () => {
    const bytes = encodeGgufFile([
      { name: 'blk.0.attn_k.weight', type: 'TQ2_0', shape: [2, 256], data: new Uint8Array(2 * 66) },
      { name: 'blk.0.attn_v.weight', type: 'IQ4_XS', shape: [1, 512], data: new Uint8Array(2 * 136) },
      { name: 'x', type: 'Q8_1', shape: [1, 64], data: new Uint8Array(2 * 40) },
      { name: 'blk.0.ffn_down.weight', type: 'Q6_K', shape: [1, 256], data: new Uint8Array(210) },
    ]);
    const f = parseGgufFile(bytes);
    expect(f.tensors.map((t) => [t.type, t.data.length, ggufReadable(t.type)])).toEqual([['TQ2_0', 132, false], ['IQ4_XS', 272, true], ['Q8_1', 80, false], ['Q6_K', 210, true]]);
    const k = ggufTensor(f, 'blk.0.attn_k.weight');
    expect(() => importGguf(k.type as GgufBlockType, k.data, 2, 256, k.name)).toThrow(/tensor 'blk.0.attn_k.weight': GGUF type TQ2_0 is not one nibble reads \(block types: Q4_0, Q4_1, Q8_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q3_K, Q2_K, MXFP4, IQ4_NL, IQ4_XS, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M\)/);
    expect(() => encodeGgufFile([{ name: 'w', type: 'IQ2_XS', shape: [1, 128], data: new Uint8Array(37) }])).toThrow(/the innermost dim 128 is not a multiple of 256/);
  });

  it("reads a file written by llama.cpp's own writer (gguf-py's GGUFWriter): metadata, every tensor decoded as gguf-py decodes it, and nibble's q4_0 / q4_1 / q8_0 rules give ggml's bytes", () => {
    const f = parseGgufFile(new Uint8Array(readFileSync(new URL('../fixtures/gguf_py.gguf', import.meta.url)))); // a plain copy: Buffer#slice would not copy
    const theirs = new Float32Array(new Uint8Array(readFileSync(new URL('../fixtures/gguf_py.gguf-py.f32', import.meta.url))).buffer);
    const m = f.metadata;
    expect([m['general.architecture'], m['general.name'], m['llama.context_length'], m['llama.rope.freq_base'], m['general.fixture']]).toEqual([
      gguf.str('llama'), gguf.str('nibble fixture'), gguf.u32(2048), gguf.f32(10000), gguf.bool(true),
    ]);
    expect(m['tokenizer.ggml.tokens']).toEqual(gguf.array('string', ['<s>', '</s>', 'hello', 'wörld']));
    expect(m['tokenizer.ggml.scores']).toEqual(gguf.array('f32', [0, -1.5, -2.25, -3]));
    expect(m['tokenizer.ggml.token_type']).toEqual(gguf.array('i32', [3, 3, 1, 1]));
    expect(f.tensors.map((t) => `${t.name} ${t.type} [${t.shape}]`)).toEqual(['w.f32 F32 [4,256]', 'w.f16 F16 [4,256]', 'w.bf16 BF16 [4,256]', 'w.q4_0 Q4_0 [4,256]', 'w.q4_1 Q4_1 [4,256]', 'w.q5_0 Q5_0 [4,256]', 'w.q5_1 Q5_1 [4,256]', 'w.q8_0 Q8_0 [4,256]']);
    const [N, K] = [4, 256];
    const bits = (x: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(x).buffer));
    const u16 = (b: Uint8Array) => new Uint16Array(b.slice().buffer);
    f.tensors.forEach((t, i) => {
      const want = bits(theirs.subarray(i * N * K, (i + 1) * N * K));
      const ours =
        t.type === 'F32' ? new Float32Array(t.data.slice().buffer) : t.type === 'F16' ? Array.from(u16(t.data), f16BitsToF32) : t.type === 'BF16' ? Array.from(u16(t.data), bf16BitsToF32) : dequantizeGguf(t.type as GgufBlockType, t.data, N, K);
      expect(bits(ours), `${t.name} decoded`).toEqual(want);
      if (t.type in GGUF_BLOCKS) expect(bits(dequantizeRef(importGguf(t.type as GgufBlockType, t.data, N, K, t.name))), `${t.name} imported`).toEqual(want);
    });
    // ggml's reference quantizers (gguf-py's port) and nibble's rules on the same f32 weights: the same bytes.
    const w = new Float32Array(ggufTensor(f, 'w.f32').data.slice().buffer);
    for (const t of ['Q4_0', 'Q4_1', 'Q8_0'] as const) {
      const mine = exportGguf(t, quantizeRef(w, N, K, ggufScheme(t)));
      expect(Array.from(mine), `${t}: nibble's ${t.toLowerCase()} rule against ggml's bytes`).toEqual(Array.from(ggufTensor(f, `w.${t.toLowerCase()}`).data));
    }
    // 56 rows of varied data (scales 1e-6..1e3, exact ties, equal values, zeros and sign flips, a grid, outliers).
    const r = parseGgufFile(new Uint8Array(readFileSync(new URL('../fixtures/gguf_py_rules.gguf', import.meta.url))));
    const v = new Float32Array(ggufTensor(r, 'w.f32').data.slice().buffer);
    for (const t of ['Q4_0', 'Q4_1', 'Q8_0'] as const) {
      const mine = exportGguf(t, quantizeRef(v, 56, K, ggufScheme(t)));
      const theirs = ggufTensor(r, `w.${t.toLowerCase()}`).data;
      const B = GGUF_BLOCKS[t].bytes;
      const bad = [...Array(mine.length / B).keys()].filter((b) => mine.subarray(b * B, (b + 1) * B).some((x, j) => x !== theirs[b * B + j]));
      expect(bad, `${t}: blocks whose bytes differ from ggml's (of ${mine.length / B})`).toEqual([]);
    }
  });

  it('corrupted headers (600 seeded byte edits of a real writer\'s file) give a GgufFileError or a valid file, never another error', async () => {
    const good = new Uint8Array(readFileSync(new URL('../fixtures/gguf_py.gguf', import.meta.url)));
    const headerEnd = parseGgufFile(good).dataOffset;
    let x = 12345;
    const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n);
    let refused = 0;
    for (let i = 0; i < 600; i++) {
      const b = good.slice();
      for (let e = 0; e < 1 + rnd(3); e++) b[rnd(headerEnd)] = i % 3 === 0 ? 0xff : rnd(256);
      for (const read of [() => parseGgufFile(b), () => openGguf(new Blob([b]), 'x.gguf', 256)]) {
        try {
          await read();
        } catch (err) {
          expect(err, `edit ${i}: ${(err as Error).message}`).toBeInstanceOf(GgufFileError);
          expect((err as Error).message).toMatch(/\(offset \d+\)|truncated|run past|overlaps|appears twice|not a type/);
          refused++;
        }
      }
    }
    expect(refused, `${refused} of 1200 reads refused`).toBeGreaterThan(900); // 1090 here: most edits break something, and every one of those is named
  });

  it('openGguf reads the header from a prefix (growing it while the header runs on) and each tensor on demand', async () => {
    // A vocabulary-sized header (40000 strings: about 700 KB) in front of two tensors, one BF16.
    const vocab = Array.from({ length: 40000 }, (_, i) => `tok_${i}_${'x'.repeat(i % 7)}`);
    const q4k = readFileSync(new URL('../fixtures/gguf_blocks.gguf', import.meta.url));
    const fx = parseGgufFile(q4k);
    const w = ggufTensor(fx, 'blk.0.ffn_up.weight');
    const bf = Uint8Array.of(0x80, 0x3f, 0x00, 0xc0); // bf16 1.0, -2.0
    const bytes = encodeGgufFile(
      [
        { name: 'token_embd.weight', type: 'BF16', shape: [1, 2], data: bf },
        { name: w.name, type: w.type, shape: w.shape, data: w.data },
      ],
      { 'tokenizer.ggml.tokens': gguf.array('string', vocab) },
    );
    const whole = parseGgufFile(bytes);
    for (const firstRead of [64, 1 << 20, bytes.length]) {
      const slices: number[] = [];
      const blob = new Blob([bytes.slice()]);
      const spy = { size: blob.size, slice: (a?: number, b?: number) => (slices.push((b ?? blob.size) - (a ?? 0)), blob.slice(a, b)) } as unknown as Blob;
      const g = await openGguf(spy, 'model.gguf', firstRead);
      expect(g.header.tensors.map((t) => [t.name, t.type, t.shape, t.fileOffset])).toEqual(whole.tensors.map((t) => [t.name, t.type, t.shape, t.fileOffset]));
      expect((g.header.metadata['tokenizer.ggml.tokens'].value as GgufValue[]).length).toBe(40000);
      expect(g.header.fileSize).toBe(bytes.length);
      const headerReads = slices.length;
      expect(Math.max(...slices)).toBeLessThan(bytes.length - w.data.length + 4096); // never the tensor data with the header
      const t = await g.tensor(w.name);
      expect(Array.from(t.data)).toEqual(Array.from(w.data));
      expect(slices.slice(headerReads)).toEqual([w.data.length]); // that tensor's bytes, nothing else
      expect(Array.from((await g.tensor('token_embd.weight')).data)).toEqual(Array.from(bf));
      await expect(g.tensor('output.weight')).rejects.toThrow(/model.gguf: tensor 'output.weight' is missing \(the file has token_embd.weight, blk.0.ffn_up.weight\)/);
      if (firstRead === 64) expect(headerReads).toBeGreaterThan(3);
    }
    // parseGgufHeader on a prefix says how much more it needs; a file cut inside its data is refused at open.
    expect(() => parseGgufHeader(bytes.subarray(0, 1000), bytes.length)).toThrow(GgufHeaderIncomplete);
    try {
      parseGgufHeader(bytes.subarray(0, 1000), bytes.length);
    } catch (e) {
      expect((e as GgufHeaderIncomplete).need).toBeGreaterThan(1000);
    }
    const cut = bytes.subarray(0, bytes.length - 100);
    await expect(openGguf(new Blob([cut.slice()]), 'cut.gguf', 4096)).rejects.toThrow(/cut.gguf: tensor 'blk.0.ffn_up.weight' Q4_K ne \[512, 3\]: its 864 bytes at data offset \d+ \(file offset \d+\) run past the end of the file/);
    await expect(openGguf(new Blob([bytes.slice(0, 5000)]), 'short.gguf', 1024)).rejects.toThrow(/short.gguf: metadata 'tokenizer.ggml.tokens' array count = 40000 exceeds 4939 \(offset 61\)/);
    // Node: a file on disk through fs.openAsBlob, read lazily.
    const dir = mkdtempSync(join(tmpdir(), 'nibble-gguf-'));
    const path = join(dir, 'm.gguf');
    writeFileSync(path, bytes);
    try {
      const g = await openGguf(await openAsBlob(path), path);
      expect(Array.from((await g.tensor(w.name)).data)).toEqual(Array.from(w.data));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad files, naming what is wrong and where', () => {
    const good = tinyFile();
    const edit = (at: number, bytes: number[]) => {
      const b = good.slice();
      b.set(bytes, at);
      return b;
    };
    const infoAt = 24 + 8 + 17 + 4 + 4; // after the header and the alignment kv
    const cases: [Uint8Array, RegExp][] = [
      [edit(0, [0x47, 0x47, 0x4d, 0x4c]), /not a GGUF file: magic "GGML", expected "GGUF" \(offset 0\)/],
      [edit(4, u32(1)), /GGUF version 1 is not supported \(2 or 3\) \(offset 4\)/],
      [edit(8, u64(1e9)), /tensor_count = 1000000000 exceeds \d+ \(offset 8\)/],
      [edit(24 + 8 + 17, u32(13)), /metadata 'general.alignment': unknown value type 13 \(offset 49\)/],
      [edit(24 + 8 + 17 + 4, u32(48)), /'general.alignment' must be a u32 power of two >= 8, got u32 48/],
      [edit(infoAt + 9, u32(5)), /tensor 'a': n_dims = 5 is not in 1..4 \(offset 66\)/],
      [edit(infoAt + 9 + 4 + 8, u32(31)), /tensor 'a': ggml type 31 is not a type gguf-py 0.19.0 knows \(F32 0, F16 1, .*, Q1_0 41\) \(offset 78\)/],
      [edit(infoAt + 9 + 4 + 8, u32(2)), /tensor 'a': Q4_0 needs ne\[0\] a multiple of 32, ne = \[2\]/],
      [edit(infoAt + 9 + 4 + 8 + 4, u64(4)), /tensor 'a': data offset 4 is not a multiple of the alignment 32 \(offset 82\)/],
      [edit(infoAt + 9 + 4 + 8 + 4, u64(32)), /tensor 'a' F32 ne \[2\]: its 8 bytes at data offset 32 \(file offset 128\) run past the end of the file \(128 bytes\)/],
      [edit(infoAt + 9 + 4, u64(0)), /tensor 'a': ne\[0\] = 0 \(offset 70\)/],
      [edit(infoAt + 8, [0xff]), /tensor 0 name is not valid UTF-8 \(offset 57\)/],
      [edit(infoAt, u64(65)), /tensor 0 name length = 65 exceeds 64 \(offset 57\)/],
    ];
    for (const [bytes, re] of cases) {
      expect(() => parseGgufFile(bytes)).toThrow(GgufFileError);
      expect(() => parseGgufFile(bytes)).toThrow(re);
    }
    // Every truncation is refused with a GgufFileError naming its offset (never a RangeError).
    for (let n = 0; n < good.length - 32 + 8; n++) {
      expect(() => parseGgufFile(good.subarray(0, n)), `truncated to ${n}`).toThrow(/truncated|run past the end|offset/);
      try {
        parseGgufFile(good.subarray(0, n));
      } catch (e) {
        expect(e, `truncated to ${n}`).toBeInstanceOf(GgufFileError);
      }
    }
    // Two tensors whose data overlap; a key given twice; a bool byte of 2.
    const two = encodeGgufFile([
      { name: 'a', type: 'F32', shape: [16], data: new Float32Array(16) },
      { name: 'b', type: 'F32', shape: [8], data: new Float32Array(8) },
    ]);
    const fb = parseGgufFile(two);
    // b's offset field: the u64 64 right after b's type (F32 = 0).
    const dv = new DataView(two.buffer);
    let offField = -1;
    for (let p = 24; p + 8 <= fb.dataOffset; p++) if (dv.getBigUint64(p, true) === 64n && two[p - 4] === 0) offField = p;
    expect(offField).toBeGreaterThan(0);
    const ov = two.slice();
    new DataView(ov.buffer).setBigUint64(offField, 32n, true);
    expect(() => parseGgufFile(ov)).toThrow(/tensor 'b' \(data offset 32\) overlaps tensor 'a' \(data offset 0, 64 bytes\)/);
    const dupKey = encodeGgufFile([], { 'k.a': gguf.u32(1), 'k.b': gguf.u32(2) });
    const at = dupKey.indexOf('b'.charCodeAt(0), 24 + 8 + 3);
    const dk = dupKey.slice();
    dk[at] = 'a'.charCodeAt(0);
    expect(() => parseGgufFile(dk)).toThrow(/metadata key 'k.a' appears twice/);
    const boolFile = encodeGgufFile([], { 'k.flag': gguf.bool(true) });
    const bf = boolFile.slice();
    bf[24 + 8 + 6 + 4] = 2;
    expect(() => parseGgufFile(bf)).toThrow(/metadata 'k.flag': bool byte 2 is not 0 or 1/);
  });

  it('the encoder refuses data of the wrong size, duplicate or over-long names, bad shapes and bad values', () => {
    const q = new Uint8Array(18);
    expect(() => encodeGgufFile([{ name: 'w', type: 'Q4_0', shape: [2, 32], data: q }])).toThrow(/tensor 'w' Q4_0 \[2, 32\] takes 36 bytes, 18 given/);
    expect(() => encodeGgufFile([{ name: 'w', type: 'Q8_0', shape: [1, 40], data: q }])).toThrow(/tensor 'w' \[1, 40\] Q8_0: the innermost dim 40 is not a multiple of 32/);
    const t = { name: 'w', type: 'F32' as const, shape: [1], data: new Float32Array(1) };
    expect(() => encodeGgufFile([t, t])).toThrow(/tensor 'w' is given twice/);
    expect(() => encodeGgufFile([{ ...t, name: 'x'.repeat(65) }])).toThrow(/is 65 bytes \(1..64\)/);
    expect(() => encodeGgufFile([{ ...t, shape: [1, 1, 1, 1, 1] }])).toThrow(/shape \[1, 1, 1, 1, 1\] must be 1..4 positive integers/);
    expect(() => encodeGgufFile([], { 'k.x': gguf.u32(-1) })).toThrow(/metadata 'k.x': -1 is not a valid u32/);
    expect(() => encodeGgufFile([], { 'general.alignment': gguf.u32(24) })).toThrow(/power of two >= 8, got u32 24/);
    expect(() => encodeGgufFile([], { 'general.alignment': gguf.u32(4) })).toThrow(/power of two >= 8, got u32 4/);
    expect(() => encodeGgufFile([], { 'k.ü': gguf.u32(1) })).toThrow(/metadata key "k.ü" must be 1..65535 printable ASCII bytes/);
    // A file with alignment 64 round-trips with 64-aligned offsets.
    const f64 = parseGgufFile(encodeGgufFile([t, { ...t, name: 'v' }], { 'general.alignment': gguf.u32(64) }));
    expect([f64.alignment, f64.dataOffset % 64, f64.tensors[1].offset]).toEqual([64, 0, 64]);
  });
});

describe('QAT with a GGUF format', () => {
  const w = initMlp([64, 32, 10], 1);
  it('forces bits 4/8 and group 32 and marks each quantized layer', () => {
    expect(prepare(w, { format: 'Q4_0' }).quant.map((q) => q?.weight)).toEqual([{ bits: 4, group: 32, format: 'Q4_0' }, { bits: 4, group: 32, format: 'Q4_0' }]);
    expect(prepare(w, { format: 'Q8_0', bits: 8, group: 32, keepFloat: [1] }).quant.map((q) => q?.weight ?? null)).toEqual([{ bits: 8, group: 32, format: 'Q8_0' }, null]);
    expect(prepare(w, { bits: 4 }).quant[0]!.weight).toEqual({ bits: 4, group: 32 });
  });
  it('refuses a conflicting bits or group, naming both', () => {
    expect(() => prepare(w, { format: 'Q4_0', bits: 8 })).toThrow(/format Q4_0 is 4-bit, but bits=8 was given/);
    expect(() => prepare(w, { format: 'Q8_0', group: 16 })).toThrow(/format Q8_0 uses blocks of 32 along K, but group=16 was given/);
    expect(() => prepare(w, { format: 'Q4_0', perLayer: { 1: { bits: 2 } } })).toThrow(/layer 1: format Q4_0 needs 4-bit group 32, perLayer gives 2-bit group 32/);
    expect(() => prepare(w, { format: 'Q5_0' as 'Q4_0' })).toThrow(/format 'Q5_0' is not Q4_0 or Q8_0/);
    expect(() => prepare(initMlp([48, 10], 1), { format: 'Q4_0' })).toThrow(/group size 32 does not divide K=48/);
    expect(() => prepare(w, { format: 'Q4_0', learn: true })).toThrow(/format Q4_0 fixes the scale rule .* cannot be combined with learn/);
  });
  it('train refuses a GGUF-format model with AdaQAT (before any GPU work)', async () => {
    const data = { x: new Float32Array(4 * 64), y: new Int32Array(4), count: 4, features: 64 };
    await expect(train({} as GpuContext, prepare(w, { format: 'Q8_0' }), data, { epochs: 1, batch: 2, lr: 0.1, seed: 0, adaqat: {} })).rejects.toThrow(/AdaQAT chooses the bit-widths; a GGUF format .* cannot be combined/);
  });
});

describe('fakeQuantGgufRef (the oracle of ops.fakeQuantGguf): known answers', () => {
  const block = (head: number[]) => [...head, ...new Array(32 - head.length).fill(0)];
  it('Q4_0: d = m / -8 from the first largest |x|, codes trunc(x/d + 8.5), only 16 clamps; negative d', () => {
    const r = fakeQuantGgufRef(block([-8, 7.5, 7.5 - 2 ** -19, 7, -7.5, 0.5, -0.5, 3.25]), 1, 32, 'Q4_0');
    expect(Array.from(r.raw.subarray(0, 9))).toEqual([0, 16, 15, 15, 1, 9, 8, 11, 8]);
    expect(Array.from(r.y.subarray(0, 9))).toEqual([-8, 7, 7, 7, -7, 1, 0, 3, 0]);
    expect(Array.from(r.mask.subarray(0, 9))).toEqual([1, 0, 1, 1, 1, 1, 1, 1, 1]);
    expect(r.clipped).toBe(1);
    const n = fakeQuantGgufRef(block([4, -4, 1]), 1, 32, 'Q4_0'); // d = -0.5
    expect(Array.from(n.raw.subarray(0, 3))).toEqual([0, 16, 6]);
    expect(Array.from(n.y.subarray(0, 3))).toEqual([4, -3.5, 1]);
    expect(Array.from(n.mask.subarray(0, 3))).toEqual([1, 0, 1]);
  });
  it('Q8_0: d = max|x| / 127, ties round away from zero, nothing clamps; zero blocks; NaN blocks', () => {
    const r = fakeQuantGgufRef(block([127, 2.5, -2.5, 0.5, -0.5, 126.5, -126.5, 1.5]), 1, 32, 'Q8_0');
    expect(Array.from(r.raw.subarray(0, 8))).toEqual([127, 3, -3, 1, -1, 127, -127, 2]);
    expect(Array.from(r.y.subarray(0, 8))).toEqual([127, 3, -3, 1, -1, 127, -127, 2]);
    expect(r.clipped).toBe(0);
    const z = fakeQuantGgufRef(new Float32Array(64), 2, 32, 'Q8_0');
    expect(z.y.every((v) => v === 0) && z.mask.every((m) => m === 1)).toBe(true);
    const bad = block([1, 2]);
    bad[3] = NaN;
    const b = fakeQuantGgufRef([...bad, ...block([1, 2])], 2, 32, 'Q4_0');
    expect(b.y.subarray(0, 32).every((v) => Number.isNaN(v)) && b.mask.subarray(0, 32).every((m) => m === 0)).toBe(true);
    expect(Array.from(b.y.subarray(32, 34))).toEqual([1, 2]);
  });
});

describe('GGUF over HTTP ranges (httpRangeSource)', () => {
  /** A local server for the fixture: with Range support, or (ranges: false) always the whole file. Counts bytes. */
  async function serve(bytes: Uint8Array, ranges: boolean) {
    const sent = { bytes: 0, requests: 0 };
    const server = createServer((req, res) => {
      sent.requests++;
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': bytes.length, 'accept-ranges': ranges ? 'bytes' : 'none' });
        return res.end();
      }
      if (ranges && m) {
        const [a, b] = [Number(m[1]), Math.min(Number(m[2]), bytes.length - 1)];
        sent.bytes += b - a + 1;
        res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${bytes.length}`, 'content-length': b - a + 1 });
        return res.end(Buffer.from(bytes.subarray(a, b + 1)));
      }
      sent.bytes += bytes.length;
      res.writeHead(200, { 'content-length': bytes.length });
      res.end(Buffer.from(bytes));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.gguf`;
    return { url, sent, close: () => new Promise<void>((ok) => server.close(() => ok())) };
  }

  it('reads the header and one tensor by ranges, moving only those bytes; the CLI reads a URL the same way', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/gguf_py.gguf', import.meta.url)));
    const s = await serve(bytes, true);
    try {
      const g = await openGguf(await httpRangeSource(s.url), s.url, 4096);
      expect(g.header.tensors.length).toBe(8);
      const t = await g.tensor('w.q4_0');
      expect(Array.from(t.data)).toEqual(Array.from(ggufTensor(parseGgufFile(bytes), 'w.q4_0').data));
      expect(s.sent.bytes).toBeLessThan(4096 + 576 + 1); // the first read and that tensor, not the 12.6 KB file
      const cli = await new Promise<{ code: number | null; out: string; err: string }>((done) => {
        const p = spawn(process.execPath, ['bin/nibble.mjs', 'gguf', s.url, '--run', 'w.q4_0']);
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (err += d));
        p.on('close', (code) => done({ code, out, err }));
      });
      expect(cli.code, cli.err).toBe(0);
      expect(cli.out).toMatch(/model.gguf: GGUF v3, 12.6 KiB, alignment 32, 8 tensors/);
      expect(cli.out).toMatch(/w.q4_0: Q4_0 \[4, 256\] on matmul_w4a16 .*: [\d.]+ ms, 576 B on the GPU; 4 sampled columns within the bound/);
    } finally {
      await s.close();
    }
  });

  it('a server that ignores Range, and a missing file, are refused by name', async () => {
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/gguf_py.gguf', import.meta.url)));
    const s = await serve(bytes, false);
    try {
      await expect(openGguf(await httpRangeSource(s.url), s.url)).rejects.toThrow(/model.gguf: a Range request \(bytes 0-\d+\) answered 200, not 206: the server does not serve ranges/);
    } finally {
      await s.close();
    }
    const gone = createServer((_, res) => {
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((ok) => gone.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/missing.gguf`;
    await expect(httpRangeSource(url)).rejects.toThrow(/missing.gguf: HEAD answered 404/);
    await new Promise<void>((ok) => gone.close(() => ok()));
  });
});
