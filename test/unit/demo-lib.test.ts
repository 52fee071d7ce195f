// The pure library pieces the demo page uses: drawing -> 8x8 digit, softmax, float model <-> model file.
import { describe, expect, it } from 'vitest';
import { drawingToDigit, inkLevels } from '../../src/data/draw.js';
import { softmaxRows } from '../../src/mlp/trainer.js';
import { floatModel, weightsOf } from '../../src/mlp/qat.js';
import { initMlp } from '../../src/nn/mlp.js';
import { decodeModel, encodeModel, ModelFileError } from '../../src/io/model.js';
import { checkpointWeights } from '../../src/mlp/finetune.js';

function canvas(w: number, h: number, inked: (x: number, y: number) => boolean): Uint8ClampedArray {
  const px = new Uint8ClampedArray(4 * w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const v = inked(x, y) ? 0 : 255;
    px.set([v, v, v, 255], 4 * (y * w + x));
  }
  return px;
}

describe('drawingToDigit', () => {
  it('a full square fills all 64 blocks with 16', () => {
    const d = drawingToDigit(canvas(40, 40, (x, y) => x >= 10 && x < 30 && y >= 10 && y < 30), 40, 40)!;
    expect(Array.from(d)).toEqual(new Array(64).fill(16));
  });
  it('a vertical bar is centred and scaled to the full height', () => {
    const d = drawingToDigit(canvas(64, 64, (x, y) => x >= 30 && x < 34 && y >= 4 && y < 60), 64, 64)!;
    // bounding box 4x56 -> 32 tall, ~2.3 wide, centred: columns 3 and 4 of the 8x8 hold the ink
    for (let r = 0; r < 8; r++) {
      expect(d[r * 8 + 0] + d[r * 8 + 7]).toBe(0);
      expect(d[r * 8 + 3] + d[r * 8 + 4]).toBeGreaterThan(0);
    }
    expect(d.reduce((s, v) => s + v, 0)).toBeGreaterThan(32 * 2 - 1);
  });
  it('an empty drawing is null; bad sizes are refused', () => {
    expect(drawingToDigit(canvas(8, 8, () => false), 8, 8)).toBeNull();
    expect(() => inkLevels(new Uint8ClampedArray(10), 2, 2)).toThrow(/10 bytes for 2x2 RGBA, expected 16/);
  });
  it('light ink on dark paper', () => {
    const px = canvas(16, 16, (x, y) => x >= 4 && x < 12 && y >= 4 && y < 12).map((v, i) => (i % 4 === 3 ? v : 255 - v));
    const d = drawingToDigit(px, 16, 16, { ink: 'light' })!;
    expect(Array.from(d)).toEqual(new Array(64).fill(16));
  });
});

describe('softmaxRows', () => {
  it('rows sum to 1 and follow exp ratios', () => {
    const p = softmaxRows(Float32Array.from([0, Math.log(3), 1000, 1000]), 2);
    expect(p[0]).toBeCloseTo(0.25, 6);
    expect(p[1]).toBeCloseTo(0.75, 6);
    expect(p[2]).toBeCloseTo(0.5, 6);
    expect(() => softmaxRows(new Float32Array(5), 2)).toThrow(/do not split/);
  });
});

describe('float model file', () => {
  it('floatModel -> encodeModel -> decodeModel -> weightsOf round-trips', () => {
    const w = initMlp([64, 32, 10], 1);
    const back = weightsOf(decodeModel(encodeModel(floatModel(w))));
    expect(back.sizes).toEqual([64, 32, 10]);
    expect(Array.from(back.w[1])).toEqual(Array.from(w.w[1]));
    expect(Array.from(back.b[0])).toEqual(Array.from(w.b[0]));
  });
  it('a file that is not a nibble model is refused with the reason', () => {
    expect(() => decodeModel(new TextEncoder().encode('hello, this is not safetensors'), 'x.safetensors')).toThrow(/x\.safetensors/);
    expect(() => decodeModel(encodeModel(floatModel(initMlp([64, 10], 0))).slice(0, 40), 'cut.safetensors')).toThrow(/cut\.safetensors/);
    expect(ModelFileError).toBeDefined();
  });
  it('checkpointWeights names a missing tensor', () => {
    expect(() => checkpointWeights(encodeModel(floatModel(initMlp([64, 10], 0))), [64, 10])).toThrow(/'w0' is missing/);
  });
});
