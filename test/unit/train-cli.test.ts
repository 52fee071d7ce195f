// `nibble train` from the outside (a short run), and the nibble-mlp model file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, ModelFileError } from '../../src/io/model.js';
import { encodeSafetensors, makeTensor } from '../../src/io/safetensors.js';
import { dequantizeLayer, type QuantizedMlp } from '../../src/mlp/qat.js';
import { importMlpGguf } from '../../src/mlp/gguf_export.js';

const dir = mkdtempSync(join(tmpdir(), 'nibble-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const nibble = (args: string[]) => spawnSync(process.execPath, ['bin/nibble.mjs', ...args], { encoding: 'utf8', timeout: 600_000 });

describe('nibble train', () => {
  it('runs f32 -> PTQ -> QAT -> convert and saves a model that decodes', () => {
    const out = join(dir, 'm.safetensors');
    const r = nibble(['train', '--epochs', '1', '--qat-epochs', '1', '--hidden', '64', '--bits', '4', '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.rows.map((x: { model: string }) => x.model)).toEqual(['f32', 'PTQ W4 g32', 'QAT W4 g32 (fake-quant)', 'converted W4 g32', 'converted W4 g32, f16 activations']);
    for (const row of j.rows) expect(row.accuracy).toBeGreaterThan(0.5);
    // converted == fake-quant, so their accuracies agree; f16 activations may flip a borderline image or two
    expect(j.rows[3].accuracy).toBe(j.rows[2].accuracy);
    expect(j.rows[4].note).toMatch(/^fused W4A16 matmul \(f16 activations/);
    expect(Math.abs(j.rows[4].accuracy - j.rows[3].accuracy)).toBeLessThanOrEqual(2 / 360);
    expect(j.f32MsPerStep).toBeGreaterThan(0);
    const m = decodeModel(readFileSync(out));
    expect(m.sizes).toEqual([64, 64, 10]);
    expect(m.layers.map((l) => l.bits)).toEqual([4, 4]);
    expect(existsSync(`${out}.tmp-${r.pid}`)).toBe(false);
  });
  it('--adaqat learns per-layer bit-widths, reports them and saves that model', () => {
    const out = join(dir, 'a.safetensors');
    const r = nibble(['train', '--epochs', '1', '--qat-epochs', '1', '--hidden', '64', '--bits', '4', '--out', out, '--adaqat', '--adaqat-lambda', '2', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const bits: number[] = j.adaqat.weightBits;
    expect(bits).toHaveLength(2);
    // lambda 2 is a heavy size cost: the bit-widths leave 8 on the way down.
    for (const b of bits) expect(b).toBeLessThan(8);
    expect(j.rows.map((x: { model: string }) => x.model)).toContain(`converted AdaQAT g32 (W ${bits.join('/')})`);
    expect(j.adaqat.saved).toBe(join(dir, 'digits-adaqat-g32.safetensors'));
    const m = decodeModel(readFileSync(j.adaqat.saved));
    expect(m.layers.map((l) => l.bits)).toEqual(bits);
    const bad = nibble(['train', '--adaqat-lambda', '1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--adaqat-lambda \/ --adaqat-lr need --adaqat/);
  });
  it('refuses bad options with a clear message and writes nothing', () => {
    const out = join(dir, 'bad.safetensors');
    const r = nibble(['train', '--bits', '9', '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--bits=9: bits must be integers in 2..8/);
    expect(existsSync(out)).toBe(false);
    const p = nibble(['train', '--pact']);
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/--pact quantizes activations: it needs --act/);
    const g = nibble(['train', '--group', '48']);
    expect(g.status).toBe(2);
    expect(g.stderr).toMatch(/--group=48/);
  });
});

describe('nibble train --format (GGUF)', () => {
  it('QAT with the Q4_0 rule; the converted model is also written as a lossless GGUF file', () => {
    const out = join(dir, 'g.safetensors');
    const r = nibble(['train', '--format', 'q4_0', '--epochs', '1', '--qat-epochs', '1', '--hidden', '64', '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.rows.map((x: { model: string }) => x.model)).toEqual(['f32', 'PTQ Q4_0', 'QAT Q4_0 (fake-quant)', 'converted Q4_0', 'converted Q4_0, f16 activations']);
    expect(j.rows[3].accuracy).toBe(j.rows[2].accuracy);
    expect(j.gguf).toBe(join(dir, 'g.gguf'));
    const m = decodeModel(readFileSync(out));
    const g = importMlpGguf(readFileSync(j.gguf), 'g.gguf');
    expect(g.sizes).toEqual([64, 64, 10]);
    for (const [i, l] of m.layers.entries()) {
      expect([l.bits, l.group, g.layers[i].bits, g.layers[i].group]).toEqual([4, 32, 4, 32]);
      expect(Buffer.from(g.layers[i].codes!).equals(Buffer.from(l.codes!))).toBe(true);
      expect(Array.from(g.layers[i].scales!)).toEqual(Array.from(l.scales!));
      expect(Array.from(dequantizeLayer(g.layers[i]))).toEqual(Array.from(dequantizeLayer(l)));
      expect(Array.from(g.layers[i].bias)).toEqual(Array.from(l.bias));
    }
  });
  it('refuses an unknown format and a conflicting --bits / --group', () => {
    const a = nibble(['train', '--format', 'q5_0']);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--format=q5_0: the GGUF formats are q4_0 and q8_0/);
    const b = nibble(['train', '--format', 'q8_0', '--bits', '4']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--bits=4 conflicts with --format=q8_0 \(8-bit; leave --bits out\)/);
    const c = nibble(['train', '--format', 'Q4_0', '--group', '64']);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/--group=64 conflicts with --format=Q4_0/);
    const d = nibble(['train', '--format', 'q4_0', '--lsq']);
    expect(d.status).toBe(2);
    expect(d.stderr).toMatch(/--format=q4_0 fixes the scale rule .* cannot be combined with --lsq/);
  });
});

describe('nibble-mlp model file', () => {
  const q: QuantizedMlp = {
    sizes: [8, 4, 2],
    layers: [
      { N: 4, K: 8, bits: 4, group: 4, codes: Uint8Array.from({ length: 32 }, (_, i) => i % 16), scales: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), bias: new Float32Array(4).fill(0.5), act: null },
      { N: 2, K: 4, bits: null, group: 4, w: Float32Array.from({ length: 8 }, (_, i) => i / 8), bias: new Float32Array(2), act: { bits: 8 } },
    ],
  };
  it('round-trips', () => {
    const back = decodeModel(encodeModel(q));
    expect(back.sizes).toEqual(q.sizes);
    expect([...back.layers[0].codes!]).toEqual([...q.layers[0].codes!]);
    expect([...back.layers[0].scales!]).toEqual([...q.layers[0].scales!]);
    expect([...back.layers[1].w!]).toEqual([...q.layers[1].w!]);
    expect(back.layers[1].act).toEqual({ bits: 8 });
  });
  it('names what is wrong with a file that is not a nibble model, or whose shapes do not match', () => {
    const other = encodeSafetensors({ x: makeTensor('F32', [2], new Float32Array(2)) }, {});
    expect(() => decodeModel(other, 'x.safetensors')).toThrow(ModelFileError);
    expect(() => decodeModel(other, 'x.safetensors')).toThrow(/x.safetensors: not a nibble model/);
    const bytes = encodeModel({ ...q, layers: [q.layers[0], { ...q.layers[1], w: new Float32Array(8) }] });
    // Claim a different first-layer width: the codes tensor no longer fits.
    const text = new TextDecoder().decode(bytes);
    const lied = new TextEncoder().encode(text.replace('"sizes":"[8,4,2]"', '"sizes":"[16,4,2]"'));
    expect(() => decodeModel(lied, 'm.safetensors')).toThrow(/tensor 'layers.0.codes' is I32 \[4, 1\], expected I32 \[4, 2\]/);
    expect(() => decodeModel(new Uint8Array(3), 'short.safetensors')).toThrow(/short.safetensors/);
  });
});
