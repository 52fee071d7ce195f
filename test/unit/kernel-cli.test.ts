// `nibble kernel` from the outside (needs `npm run build`): inputs written with nibble's own safetensors writer,
// outputs checked against the CPU reference bit for bit, and bad input refused with nothing written.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsFile, writeSafetensorsFile } from '../../runtime/safetensors.js';
import { makeTensor, type Tensor } from '../../src/io/safetensors.js';
import { f32ToF16Bits, toF16Array } from '../../src/quant/f16.js';
import { makeScheme } from '../../src/quant/scheme.js';
import { dequantizeGguf, exportGguf } from '../../src/quant/gguf.js';
import { dequantizeRef, quantizeActRef, quantizeRef, signedCodes } from '../../src/ref/quant.js';
import { randomF32 } from '../../src/ref/random.js';

const nibble = (args: string[]) => spawnSync(process.execPath, ['bin/nibble.mjs', 'kernel', ...args], { encoding: 'utf8', timeout: 300_000 });
const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
let dir: string;
const file = (name: string, tensors: Record<string, Tensor>) => {
  const p = join(dir, name);
  writeSafetensorsFile(p, tensors);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nibble-kernel-'));
});

describe('nibble kernel', () => {
  it('--list shows every kernel with its tensors and parameters', () => {
    const r = nibble(['--list']);
    expect(r.status, r.stderr).toBe(0);
    for (const re of [/^quantize: /m, /^dequantize: /m, /^quantize_act: /m, /^\s+w\s+F32\s+\[N, K\]/m, /^\s+w_dq\s+F32/m, /^\s+rule\s+enum \(absmax\|torchao\|q4_0\|q8_0\|minmax\|q4_1\)/m, /^\s+x_dq\s+F32\s+\[M, K\]/m]) {
      expect(r.stdout).toMatch(re);
    }
    const j = JSON.parse(nibble(['--list', '--json']).stdout);
    expect(j.map((k: { name: string }) => k.name)).toEqual(['quantize', 'dequantize', 'quantize_act', 'dequantize_gguf']);
  });

  it('quantize (q4_0, g32) and dequantize agree with the CPU reference bit for bit', () => {
    const N = 6;
    const K = 64;
    const w = randomF32(N * K, 21, -2, 2);
    const inp = file('w.safetensors', { w: makeTensor('F32', [N, K], w) });
    const out = join(dir, 'q.safetensors');
    const r = nibble(['quantize', '--in', inp, '--out', out, '--param', 'bits=4', '--param', 'group=32', '--param', 'rule=q4_0']);
    expect(r.status, r.stderr).toBe(0);
    const f = readSafetensorsFile(out);
    expect(f.metadata.kernel).toBe('quantize');
    const s = makeScheme({ bits: 4, group: 32, rule: 'q4_0' });
    const ref = quantizeRef(w, N, K, s);
    expect(f.tensors.codes.dtype).toBe('I8');
    expect(f.tensors.codes.shape).toEqual([N, K]);
    expect(Array.from(f.tensors.codes.data)).toEqual(Array.from(signedCodes(ref.unpacked, s)));
    expect(f.tensors.scales.dtype).toBe('F16');
    expect(f.tensors.scales.shape).toEqual([N, 2]);
    expect(Array.from(f.tensors.scales.data)).toEqual(Array.from(ref.scales, f32ToF16Bits));
    expect(f.tensors.zeros).toBeUndefined();
    expect(bits(f.tensors.w_dq.data as Float32Array)).toEqual(bits(dequantizeRef(ref)));
    // dequantize the codes/scales again, to f16.
    const qin = file('codes.safetensors', { codes: f.tensors.codes, scales: f.tensors.scales });
    const dq = join(dir, 'dq.safetensors');
    const r2 = nibble(['dequantize', '--in', qin, '--out', dq, '--param', 'bits=4', '--param', 'group=32', '--param', 'rule=q4_0', '--param', 'out_dtype=f16']);
    expect(r2.status, r2.stderr).toBe(0);
    expect(Array.from(readSafetensorsFile(dq).tensors.w_dq.data)).toEqual(Array.from(toF16Array(dequantizeRef(ref))));
  });

  it('quantize asymmetric minmax 3-bit per channel, and quantize_act asymmetric, match the reference', () => {
    const w = randomF32(3 * 40, 5, -1, 3);
    const inp = file('w3.safetensors', { w: makeTensor('F32', [3, 40], w) });
    const out = join(dir, 'q3.safetensors');
    const r = nibble(['quantize', '--in', inp, '--out', out, '--param', 'bits=3', '--param', 'symmetric=false']);
    expect(r.status, r.stderr).toBe(0);
    const ref = quantizeRef(w, 3, 40, makeScheme({ bits: 3, symmetric: false }));
    const f = readSafetensorsFile(out).tensors;
    expect(f.codes.dtype).toBe('U8');
    expect(Array.from(f.codes.data)).toEqual(Array.from(ref.unpacked));
    expect(Array.from(f.scales.data)).toEqual(Array.from(ref.scales));
    expect(Array.from(f.zeros.data)).toEqual(Array.from(ref.zeros!));
    expect(bits(f.w_dq.data as Float32Array)).toEqual(bits(dequantizeRef(ref)));

    const x = randomF32(5 * 33, 8, -4, 1);
    const xin = file('x.safetensors', { x: makeTensor('F32', [5, 33], x) });
    const xo = join(dir, 'xq.safetensors');
    const r2 = nibble(['quantize_act', '--in', xin, '--out', xo, '--param', 'symmetric=false']);
    expect(r2.status, r2.stderr).toBe(0);
    const a = readSafetensorsFile(xo).tensors;
    const ar = quantizeActRef(x, 5, 33, false);
    expect(a.codes.dtype).toBe('U8');
    expect(Array.from(a.codes.data)).toEqual(Array.from(ar.codes));
    expect(a.scales.shape).toEqual([5, 1]);
    expect(Array.from(a.scales.data)).toEqual(Array.from(ar.scales));
    expect(Array.from(a.zeros.data)).toEqual(Array.from(ar.zeros!));
    expect(bits(a.x_dq.data as Float32Array)).toEqual(bits(ar.xdq));
  });

  it('dequantize_gguf decodes Q4_1 blocks like the block decoder, bit for bit', () => {
    const w = randomF32(3 * 64, 31, -1, 2);
    const bytes = exportGguf('Q4_1', quantizeRef(w, 3, 64, makeScheme({ bits: 4, group: 32, rule: 'q4_1' })));
    const inp = file('g.safetensors', { blocks: makeTensor('U8', [bytes.length], bytes) });
    const out = join(dir, 'gdq.safetensors');
    const r = nibble(['dequantize_gguf', '--in', inp, '--out', out, '--param', 'type=Q4_1', '--param', 'n=3', '--param', 'k=64']);
    expect(r.status, r.stderr).toBe(0);
    expect(bits(readSafetensorsFile(out).tensors.w_dq.data as Float32Array)).toEqual(bits(dequantizeGguf('Q4_1', bytes, 3, 64)));
  });

  it('bad input: an error naming the tensor and position, exit 2, and no output file', () => {
    const w = randomF32(2 * 48, 3);
    const nan = Float32Array.from(w);
    nan[48 + 17] = NaN;
    const header = file('lie.safetensors', { w: makeTensor('F32', [2, 48], w) });
    writeFileSync(header, readFileSync(header).subarray(0, 100)); // truncated: the header's offsets now lie
    const cases: [string[], RegExp][] = [
      [['quantize', '--in', file('nan.safetensors', { w: makeTensor('F32', [2, 48], nan) }), '--param', 'group=16'], /tensor 'w': element \[1, 17\] \(flat index 65\) is NaN or Inf/],
      [['quantize', '--in', file('k.safetensors', { w: makeTensor('F32', [2, 48], w) }), '--param', 'group=32'], /tensor 'w': K = 48 \(shape \[2, 48\], dim 1\) is not a multiple of the group size 32/],
      [['quantize', '--in', file('k2.safetensors', { w: makeTensor('F32', [2, 48], w) }), '--param', 'group=24'], /parameter 'group' = '24' is not one of 16, 32, 64, 128/],
      [['quantize', '--in', file('name.safetensors', { weight: makeTensor('F32', [2, 48], w) })], /input tensor 'weight' is not known \(inputs: w\)/],
      [['quantize', '--in', file('dt.safetensors', { w: makeTensor('F16', [2, 48], toF16Array(w)) })], /tensor 'w' is F16, expected F32/],
      [['quantize', '--in', header], /lie.safetensors: tensor 'w': data_offsets \[0, 384\] overrun the data section/],
      [['quantize', '--in', file('p.safetensors', { w: makeTensor('F32', [2, 48], w) }), '--param', 'bitz=4'], /parameter 'bitz' is not known/],
      [['quantize', '--in', file('r.safetensors', { w: makeTensor('F32', [2, 48], w) }), '--param', 'rule=q8_0'], /rule q8_0 is 8-bit, not 4-bit/],
      [['nosuch', '--in', header], /unknown kernel 'nosuch'/],
      [['dequantize_gguf', '--in', file('t.safetensors', { blocks: makeTensor('U8', [50], new Uint8Array(50)) }), '--param', 'type=Q4_0', '--param', 'n=1', '--param', 'k=96'],
        /tensor 'blocks': Q4_0 data is truncated: 50 bytes, \[1, 96\] needs 54; block 2 \(row 0, k 64\) has 14 of its 18 bytes/],
    ];
    for (const [args, re] of cases) {
      const out = join(dir, 'never.safetensors');
      const r = nibble([...args, '--out', out]);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(existsSync(out)).toBe(false);
    }
  });
});
