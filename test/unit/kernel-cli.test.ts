// `nibble kernel` from the outside (needs `npm run build`): inputs written with nibble's own safetensors writer,
// outputs checked against the CPU reference bit for bit, and bad input refused with nothing written.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsFile, writeSafetensorsFile } from '../../runtime/safetensors.js';
import { makeTensor, type Tensor } from '../../src/io/safetensors.js';
import { f16BitsToF32, f32ToF16Bits, toF16Array } from '../../src/quant/f16.js';
import { fakeQuantBackwardRef, fakeQuantForwardRef, fakeQuantLayout } from '../../src/ref/fake_quant.js';
import { matmulQRef, matmulW8A8Ref, quantizeRowsI8Ref, type QuantWeightsRef } from '../../src/ref/matmul.js';
import { compareBound, compareF16Rounded, U_F32 } from '../../src/ref/tolerance.js';
import type { QuantizedTensor } from '../../src/quant/scheme.js';
import { lutOf, makeScheme, zeroKind } from '../../src/quant/scheme.js';
import { dequantizeGguf, exportGguf, importGguf } from '../../src/quant/gguf.js';
import { parseGgufFile } from '../../src/io/gguf.js';
import { dequantizeRef, quantizeActRef, quantizeRef, signedCodes } from '../../src/ref/quant.js';
import { randomF32, randomGgufBlocks } from '../../src/ref/random.js';

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
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nibble kernel', () => {
  it('--list shows every kernel with its tensors and parameters', () => {
    const r = nibble(['--list']);
    expect(r.status, r.stderr).toBe(0);
    for (const re of [/^quantize: /m, /^dequantize: /m, /^quantize_act: /m, /^\s+w\s+F32\s+\[N, K\]/m, /^\s+w_dq\s+F32/m, /^\s+rule\s+enum \(absmax\|torchao\|q4_0\|q8_0\|minmax\|q4_1\)/m, /^\s+x_dq\s+F32\s+\[M, K\]/m]) {
      expect(r.stdout).toMatch(re);
    }
    const j = JSON.parse(nibble(['--list', '--json']).stdout);
    expect(j.map((k: { name: string }) => k.name)).toEqual(['quantize', 'dequantize', 'quantize_act', 'dequantize_gguf', 'matmul_w4a16', 'matmul_w8a8', 'fake_quant']);
    for (const re of [/^matmul_w4a16: /m, /^matmul_w8a8: /m, /^fake_quant: /m, /^\s+codes\s+I8\|U8\s+\[N, K\] \(optional\)/m, /^\s+grad_y\s+F32\s+as x \(optional\)/m, /^\s+zero_point\s+F32/m]) {
      expect(r.stdout).toMatch(re);
    }
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

  it("dequantize_gguf decodes every block type (Q4_0 .. Q6_K) as llama.cpp's gguf-py does, bit for bit (test/fixtures/gguf_blocks.gguf)", () => {
    const f = parseGgufFile(readFileSync(new URL('../fixtures/gguf_blocks.gguf', import.meta.url)));
    const theirs = new Float32Array(new Uint8Array(readFileSync(new URL('../fixtures/gguf_blocks.gguf-py.f32', import.meta.url))).buffer);
    let at = 0;
    for (const t of f.tensors) {
      const [N, K] = t.shape;
      const inp = file(`${t.type}.safetensors`, { blocks: makeTensor('U8', [t.data.length], t.data.slice()) });
      const out = join(dir, `${t.type}-dq.safetensors`);
      const r = nibble(['dequantize_gguf', '--in', inp, '--out', out, '--param', `type=${t.type}`, '--param', `n=${N}`, '--param', `k=${K}`]);
      expect(r.status, r.stderr).toBe(0);
      expect(bits(readSafetensorsFile(out).tensors.w_dq.data as Float32Array), t.name).toEqual(bits(theirs.subarray(at, at + N * K)));
      at += N * K;
    }
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

// ---- matmul_w4a16 / matmul_w8a8 / fake_quant ----

const weightsRef = (q: QuantizedTensor): QuantWeightsRef => ({
  ...(lutOf(q.scheme) ? { lut: lutOf(q.scheme) } : {}),
  bits: q.scheme.bits,
  N: q.N,
  K: q.K,
  group: q.scheme.group || q.K,
  mode: q.scheme.symmetric ? 'symmetric' : zeroKind(q.scheme) === 'float' ? 'float-min' : 'zero-point',
  codes: q.codes,
  scales: q.scales,
  ...(q.zeros ? { zeros: q.zeros } : {}),
});

const run = (name: string, tensors: Record<string, Tensor>, params: string[]) => {
  const out = join(dir, `${name}-out.safetensors`);
  const r = nibble([name, '--in', file(`${name}-in.safetensors`, tensors), '--out', out, ...params.flatMap((p) => ['--param', p])]);
  expect(r.status, r.stderr).toBe(0);
  return readSafetensorsFile(out).tensors;
};

const within = (what: string, got: ArrayLike<number>, ref: ArrayLike<number>, tol: ArrayLike<number>) => {
  const c = compareBound(what, got, ref, tol, 1, 1, 1);
  expect(c.ok, c.message).toBe(true);
};

describe('nibble kernel: matmuls and fake-quant', () => {
  it('matmul_w4a16 from float weights (g32 symmetric, f32 x, bias, GEMV and GEMM paths) matches dequantize + f64 matmul', () => {
    const [N, K] = [12, 64];
    const w = randomF32(N * K, 41, -1, 1);
    const bias = randomF32(N, 42, -1, 1);
    const q = quantizeRef(w, N, K, makeScheme({ bits: 4, group: 32 }));
    for (const [M, path] of [[3, 'rows'], [3, 'split'], [3, 'splitcols'], [17, 'tiled']] as const) {
      const x = randomF32(M * K, 43 + M, -2, 2);
      const y = run('matmul_w4a16', { x: makeTensor('F32', [M, K], x), w: makeTensor('F32', [N, K], w), bias: makeTensor('F32', [N], bias) }, ['bits=4', 'group=32', `path=${path}`]).y;
      expect(y.dtype).toBe('F32');
      expect(y.shape).toEqual([M, N]);
      const ref = matmulQRef(x, M, weightsRef(q), { bias }, U_F32);
      within(`w4a16 M=${M} ${path}`, y.data, ref.y, ref.tol);
      const y16 = run('matmul_w4a16', { x: makeTensor('F32', [M, K], x), w: makeTensor('F32', [N, K], w), bias: makeTensor('F32', [N], bias) }, ['bits=4', 'group=32', `path=${path}`, 'y_dtype=f16']).y;
      expect([y16.dtype, ...y16.shape]).toEqual(['F16', M, N]);
      const c = compareF16Rounded(`w4a16 M=${M} ${path} f16 y`, y16.data, ref.y, ref.tol, 1, 1, 1);
      expect(c.ok, c.message).toBe(true);
    }
  });

  it('matmul_w4a16 from codes + scales + zeros (asymmetric minmax g16, f16 x emulated) matches the reference', () => {
    const [M, N, K] = [9, 5, 48];
    const w = randomF32(N * K, 51, -1, 2);
    const s = makeScheme({ bits: 4, group: 16, symmetric: false });
    const q = quantizeRef(w, N, K, s);
    const xh = toF16Array(randomF32(M * K, 52, -3, 3));
    const y = run('matmul_w4a16', {
      x: makeTensor('F16', [M, K], xh),
      codes: makeTensor('U8', [N, K], q.unpacked),
      scales: makeTensor('F32', [N, K / 16], q.scales),
      zeros: makeTensor('F32', [N, K / 16], q.zeros!),
    }, ['group=16', 'symmetric=false', 'f16=emulated']).y;
    const ref = matmulQRef(Array.from(xh, f16BitsToF32), M, weightsRef(q), {}, U_F32);
    within('w4a16 asym f16x', y.data, ref.y, ref.tol);
  });

  it('matmul_w4a16 / matmul_w8a8 from GGUF blocks (gguf_type Q4_K, Q5_K, Q6_K, Q5_0, Q5_1, Q3_K, Q2_K, MXFP4, IQ4_NL, IQ4_XS, IQ1-IQ3, Q8_0; N from the bytes) match the reference', () => {
    const f = parseGgufFile(readFileSync(new URL('../fixtures/gguf_blocks.gguf', import.meta.url)));
    const M = 2;
    for (const t of f.tensors.filter((x) => ['Q4_K', 'Q5_K', 'Q6_K', 'Q5_0', 'Q5_1', 'Q3_K', 'Q2_K', 'MXFP4', 'IQ4_NL', 'IQ4_XS', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M'].includes(x.type))) {
      const [N, K] = t.shape;
      const x = randomF32(M * K, 81, -1, 1);
      const q = importGguf(t.type as 'Q4_K', t.data, N, K);
      const blocks = makeTensor('U8', [t.data.length], t.data.slice());
      const y = run('matmul_w4a16', { x: makeTensor('F32', [M, K], x), blocks }, [`gguf_type=${t.type}`, `bits=${q.scheme.bits}`]).y;
      expect([y.dtype, ...y.shape]).toEqual(['F32', M, N]);
      const ref = matmulQRef(x, M, weightsRef(q), {}, U_F32);
      within(`w${q.scheme.bits}a16 ${t.type}`, y.data, ref.y, ref.tol);
      if (q.scheme.bits === 8 && q.scheme.symmetric) {
        const y8 = run('matmul_w8a8', { x: makeTensor('F32', [M, K], x), blocks }, [`gguf_type=${t.type}`]).y;
        const xq = quantizeRowsI8Ref(x, M, K);
        const r8 = matmulW8A8Ref(xq.q, xq.scale, M, weightsRef(q));
        within(`w8a8 ${t.type}`, y8.data, r8.y, r8.tol);
      }
    }
    // Q8_0 blocks from floats: the W8A8 kernel on a file's int8 weights.
    const [N, K] = [4, 64];
    const w = randomF32(N * K, 82, -1, 1);
    const q80 = exportGguf('Q8_0', quantizeRef(w, N, K, makeScheme({ bits: 8, group: 32, rule: 'q8_0' })));
    const x = randomF32(M * K, 83, -1, 1);
    const y = run('matmul_w8a8', { x: makeTensor('F32', [M, K], x), blocks: makeTensor('U8', [q80.length], q80) }, ['gguf_type=Q8_0']).y;
    const xq = quantizeRowsI8Ref(x, M, K);
    const r8 = matmulW8A8Ref(xq.q, xq.scale, M, weightsRef(importGguf('Q8_0', q80, N, K)));
    within('w8a8 Q8_0 blocks', y.data, r8.y, r8.tol);
  });

  it('matmul_w8a8 (q8_0 weights from floats, per-token int8 x) matches the integer reference', () => {
    const [M, N, K] = [4, 6, 64];
    const w = randomF32(N * K, 61, -1, 1);
    const x = randomF32(M * K, 62, -2, 2);
    const bias = randomF32(N, 63, -1, 1);
    const q = quantizeRef(w, N, K, makeScheme({ bits: 8, group: 32, rule: 'q8_0' }));
    const y = run('matmul_w8a8', { x: makeTensor('F32', [M, K], x), w: makeTensor('F32', [N, K], w), bias: makeTensor('F32', [N], bias) }, ['group=32', 'rule=q8_0']).y;
    const xq = quantizeRowsI8Ref(x, M, K);
    const ref = matmulW8A8Ref(xq.q, xq.scale, M, weightsRef(q), { bias });
    within('w8a8', y.data, ref.y, ref.tol);
    // y_dtype=f16: the same result rounded to f16 in the kernel, an F16 tensor.
    const y16 = run('matmul_w8a8', { x: makeTensor('F32', [M, K], x), w: makeTensor('F32', [N, K], w), bias: makeTensor('F32', [N], bias) }, ['group=32', 'rule=q8_0', 'y_dtype=f16']).y;
    expect(y16.dtype).toBe('F16');
    expect(y16.shape).toEqual([M, N]);
    const c = compareF16Rounded('w8a8 f16 y', y16.data, ref.y, ref.tol, 1, 1, 1);
    expect(c.ok, c.message).toBe(true);
  });

  it('fake_quant per channel with grad_y: y and grad_x bit-exact, grad_scale / grad_zero_point within the reduction bound; per group forward', () => {
    const [C, K] = [3, 20];
    const x = randomF32(C * K, 71, -3, 3);
    const dy = randomF32(C * K, 72, -1, 1);
    const scale = Float32Array.of(0.05, 0.1, 0.2);
    const zero = Float32Array.of(-3, 0.4, 2.6);
    const o = run('fake_quant', { x: makeTensor('F32', [C, K], x), scale: makeTensor('F32', [C], scale), zero_point: makeTensor('F32', [C], zero), grad_y: makeTensor('F32', [C, K], dy) },
      ['bits=4', 'axis=0', 'qmin=-8', 'qmax=7']);
    const L = fakeQuantLayout([C, K], { kind: 'channel', axis: 0 });
    expect(bits(o.y.data as Float32Array)).toEqual(bits(fakeQuantForwardRef(x, scale, zero, L, -8, 7).y));
    const b = fakeQuantBackwardRef(x, dy, scale, zero, L, -8, 7);
    expect(bits(o.grad_x.data as Float32Array)).toEqual(bits(b.gradX));
    expect(o.grad_scale.shape).toEqual([C]);
    const cs = compareBound('grad_scale', o.grad_scale.data, b.gradScale, b.absScale, K);
    expect(cs.ok, cs.message).toBe(true);
    const cz = compareBound('grad_zero_point', o.grad_zero_point.data, b.gradZeroPoint, b.absZeroPoint, K);
    expect(cz.ok, cz.message).toBe(true);

    const gs = Float32Array.from({ length: C * 5 }, (_, i) => 0.02 * (i + 1));
    const gz = Float32Array.from({ length: C * 5 }, (_, i) => (i % 4) * 3);
    const g = run('fake_quant', { x: makeTensor('F32', [C, K], x), scale: makeTensor('F32', [C, 5], gs), zero_point: makeTensor('F32', [C, 5], gz) }, ['bits=4', 'group=4']);
    expect(Object.keys(g)).toEqual(['y']);
    expect(bits(g.y.data as Float32Array)).toEqual(bits(fakeQuantForwardRef(x, gs, gz, fakeQuantLayout([C, K], { kind: 'group', group: 4 }), 0, 15).y));
  });

  it('bad input to matmul / fake_quant: the tensor at fault is named, exit 2, nothing written', () => {
    const w = makeTensor('F32', [4, 32], randomF32(128, 81));
    const x = makeTensor('F32', [2, 32], randomF32(64, 82));
    const x256 = makeTensor('F32', [2, 256], randomF32(512, 83));
    const kb = randomGgufBlocks('Q4_K', 2, 256, 84);
    const kBlocks = makeTensor('U8', [kb.length], kb);
    const nb = kb.slice();
    nb.set([0x00, 0x7e], 144); // row 1's d: NaN
    const nanBlocks = makeTensor('U8', [nb.length], nb);
    const cases: [string[], RegExp][] = [
      [['matmul_w4a16', '--in', file('b1.safetensors', { x: makeTensor('F32', [2, 16], randomF32(32, 1)), w })], /tensor 'x' has shape \[2, 16\], but 'w' is \[4, 32\]: K differs/],
      [['matmul_w4a16', '--in', file('b2.safetensors', { x, w, bias: makeTensor('F32', [5], randomF32(5, 2)) })], /tensor 'bias' has shape \[5\], expected \[4\]/],
      [['matmul_w4a16', '--in', file('b3.safetensors', { x, w, codes: makeTensor('I8', [4, 32], new Int8Array(128)) })], /give one of tensor 'w' .*, 'codes' \+ 'scales' .* or 'blocks' \(GGUF\), not w and codes/],
      [['matmul_w4a16', '--in', file('b4.safetensors', { x })], /input tensor 'w' \[N, K\] \(or 'codes' \+ 'scales', or GGUF 'blocks'\) is missing/],
      [['matmul_w4a16', '--in', file('g1.safetensors', { x: x256, blocks: kBlocks })], /tensor 'blocks' needs parameter 'gguf_type' \(Q4_0, Q4_1, Q8_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q3_K, Q2_K, MXFP4, IQ4_NL, IQ4_XS, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M\)/],
      [['matmul_w4a16', '--in', file('g2.safetensors', { x: x256, blocks: makeTensor('U8', [100], new Uint8Array(100)) }), '--param', 'gguf_type=Q4_K'],
        /tensor 'blocks' holds 100 bytes, not a whole number of Q4_K rows of K = 256 \(144 bytes each\)/],
      [['matmul_w4a16', '--in', file('g3.safetensors', { x, blocks: kBlocks }), '--param', 'gguf_type=Q4_K'], /tensor 'x' has K = 32 \(shape \[2, 32\]\), but Q4_K blocks need K a multiple of 256/],
      [['matmul_w4a16', '--in', file('g4.safetensors', { x: x256, blocks: kBlocks }), '--param', 'gguf_type=Q4_K', '--param', 'bits=8'], /parameter 'bits' = 8, but Q4_K blocks hold 4-bit codes \(give bits=4\)/],
      [['matmul_w4a16', '--in', file('g5.safetensors', { x: x256, w, blocks: kBlocks }), '--param', 'gguf_type=Q4_K'], /not w and blocks/],
      [['matmul_w4a16', '--in', file('g6.safetensors', { x: x256, blocks: nanBlocks }), '--param', 'gguf_type=Q4_K'], /tensor 'blocks': Q4_K block 1 \(row 1, k 0, byte 144\) has d = NaN/],
      [['matmul_w4a16', '--in', file('g7.safetensors', { x: x256, blocks: kBlocks }), '--param', 'gguf_type=Q4_K', '--param', 'group=32'], /parameter 'group' does not go with GGUF blocks/],
      [['matmul_w4a16', '--in', file('g8.safetensors', { x, w }), '--param', 'gguf_type=Q4_K'], /parameter 'gguf_type' goes with tensor 'blocks'/],
      [['matmul_w8a8', '--in', file('g9.safetensors', { x: x256, blocks: kBlocks }), '--param', 'gguf_type=Q4_K'], /weights must be symmetric int8/],
      [['matmul_w4a16', '--in', file('b5.safetensors', { x, codes: makeTensor('I8', [4, 32], new Int8Array(128)), scales: makeTensor('F32', [4, 2], new Float32Array(8).fill(1)) }), '--param', 'group=32'],
        /tensor 'scales' has shape \[4, 2\], 4-bit g32 symmetric absmax \(f32 scales\) of \[4, 32\] needs \[4, 1\]/],
      [['matmul_w4a16', '--in', file('b6.safetensors', { x, codes: makeTensor('I8', [4, 32], new Int8Array(128).fill(9)), scales: makeTensor('F32', [4, 1], new Float32Array(4).fill(1)) })],
        /tensor 'codes': element \[0, 0\] = 9 is outside the 4-bit signed range/],
      [['matmul_w8a8', '--in', file('b7.safetensors', { x, w }), '--param', 'symmetric=false'], /weights must be symmetric int8/],
      [['matmul_w8a8', '--in', file('b8.safetensors', { x, w }), '--param', 'bits=4'], /parameter 'bits' = '4' is not one of 8/],
      [['fake_quant', '--in', file('b9.safetensors', { x, scale: makeTensor('F32', [3], new Float32Array(3).fill(0.1)), zero_point: makeTensor('F32', [3], new Float32Array(3)) }), '--param', 'axis=0'],
        /kernel 'fake_quant': scale has shape \[3\], expected \[2\] for x \[2, 32\]/],
      [['fake_quant', '--in', file('b10.safetensors', { x, scale: makeTensor('F32', [1], Float32Array.of(0.1)), zero_point: makeTensor('F32', [1], Float32Array.of(0)), grad_y: makeTensor('F32', [32, 2], new Float32Array(64)) })],
        /grad_y has shape \[32, 2\], x has \[2, 32\]/],
      [['fake_quant', '--in', file('b11.safetensors', { x, scale: makeTensor('F32', [1], Float32Array.of(-1)), zero_point: makeTensor('F32', [1], Float32Array.of(0)) })], /scale\[0\] = -1 is not a positive finite f32/],
    ];
    for (const [args, re] of cases) {
      const out = join(dir, 'never2.safetensors');
      const r = nibble([...args, '--out', out]);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(existsSync(out)).toBe(false);
    }
  });
});
