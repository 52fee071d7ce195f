// Training checkpoints are read back only whole and checked (src/mlp/checkpoint.ts): what train() writes comes back
// as written, and a damaged or foreign one is refused naming the tensor or key (before, a missing tensor was a
// TypeError deep in train() and a misshapen one was trained on).
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, makeTensor, parseSafetensors, type Tensor } from '../../src/io/safetensors.js';
import { checkpointBytes, CheckpointError, readCheckpoint } from '../../src/mlp/checkpoint.js';

const sizes = [4, 3, 2];
const w = { sizes, w: [new Float32Array(12).fill(0.5), new Float32Array(6).fill(-1)], b: [new Float32Array(3), new Float32Array(2).fill(2)] };
const good = checkpointBytes(w, { 'w0.m': new Float32Array(12) }, 7, [{ weight: { bits: 4, group: 4 }, act: null }, null], { weight: [4.5, null], act: [null, null], updates: 3 }, { 'w0.scale': new Float32Array(3).fill(0.1) });

/** The good checkpoint with its tensors / metadata edited. */
function edit(f: (t: Record<string, Tensor>, m: Record<string, string>) => void): Uint8Array {
  const st = parseSafetensors(good, 'x');
  const t = { ...st.tensors };
  const m = { ...st.metadata };
  f(t, m);
  return encodeSafetensors(t, m);
}

describe('readCheckpoint', () => {
  it('reads back what checkpointBytes wrote', () => {
    const ck = readCheckpoint(good, sizes);
    expect(ck.step).toBe(7);
    expect([...ck.weights.w[1]]).toEqual(Array(6).fill(-1));
    expect(Object.keys(ck.opt)).toEqual(['w0.m']);
    expect(ck.quant[1]).toBeNull();
    expect(Object.keys(ck.qparams!)).toEqual(['w0.scale']);
    expect(ck.adaqat).toEqual({ weight: [4.5, null], act: [null, null], updates: 3 });
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['a missing weight', edit((t) => delete t.w1), /tensor 'w1' is missing/],
    ['a misshapen weight', edit((t) => (t.w0 = makeTensor('F32', [4, 3], new Float32Array(12)))), /tensor 'w0' has shape \[4, 3\], expected \[3, 4\]/],
    ['a weight of another dtype', edit((t) => (t.b0 = makeTensor('I32', [3], new Int32Array(3)))), /tensor 'b0' is I32, expected F32/],
    ['optimizer state that is not a vector', edit((t) => (t['optim.w0.m'] = makeTensor('F32', [3, 4], new Float32Array(12)))), /'optim.w0.m' has shape \[3, 4\], expected a vector/],
    ['a foreign tensor', edit((t) => (t.extra = makeTensor('F32', [1], new Float32Array(1)))), /tensor 'extra' is not part of a checkpoint/],
    ['another format', edit((_, m) => (m.format = 'pt')), /not a nibble checkpoint \(metadata 'format' is "pt"\)/],
    ['other sizes', edit((_, m) => (m.sizes = '[4,3,3]')), /metadata 'sizes' "\[4,3,3\]" differ from the model's \[4,3,2\]/],
    ['a step that is not a number', edit((_, m) => (m.step = '1e99')), /metadata 'step' "1e99" is not a step number/],
    ['quantizers that are not JSON', edit((_, m) => (m.quant = '[{')), /metadata 'quant' is not JSON/],
    ['quantizers for other layers', edit((_, m) => (m.quant = '[null]')), /metadata 'quant' must list 2 layers/],
    ['AdaQAT state that is not JSON', edit((_, m) => (m.adaqat = 'x')), /metadata 'adaqat' is not JSON/],
  ];
  for (const [what, bytes, re] of bad) {
    it(`refuses ${what}, naming it`, () => {
      expect(() => readCheckpoint(bytes, sizes)).toThrow(CheckpointError);
      expect(() => readCheckpoint(bytes, sizes)).toThrow(re);
    });
  }
});
