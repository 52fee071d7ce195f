// CPU reference (f32 steps, as shaders/quant/*.wgsl) of the GGUF fake-quant op (src/ops/fake_quant_gguf.ts) of a
// weight [N, K], K % 32 == 0, and of the fill kernel it uses:
//   forward  y = the dequantized GGUF block values: (q - 8) * f16(d) (Q4_0), q * f16(d) (Q8_0), codes by ggml's rule
//            (src/quant/scheme.ts rules q4_0 / q8_0; quantizeRef + dequantizeRef)
//   backward mask[i] = ggml's unclamped code of x[i] lies inside the code range (STE: dx = dy there, else 0):
//            Q4_0 raw = trunc(x * (1/d) + 8.5) in [0, 15]; Q8_0 raw = round_half_away(x * (1/d)) in [-128, 127]
// A block holding NaN/Inf: y all NaN (so the loss shows it), the mask all zero.
import { ggufScheme } from '../quant/gguf.js';
import { dequantizeRef, ftz, quantizeRef, roundHalfAway } from './quant.js';

export type GgufFakeQuantType = 'Q4_0' | 'Q8_0';

const f = Math.fround;

export interface GgufFakeQuantRef {
  y: Float32Array;
  /** 1 where the straight-through gradient passes. */
  mask: Uint8Array;
  /** ggml's unclamped codes (signed for Q8_0, unsigned for Q4_0). */
  raw: Int32Array;
  clipped: number;
}

export function fakeQuantGgufRef(w: ArrayLike<number>, N: number, K: number, type: GgufFakeQuantType): GgufFakeQuantRef {
  if (K % 32 !== 0) throw new Error(`fakeQuantGgufRef: K = ${K} is not a multiple of 32`);
  const mask = new Uint8Array(N * K);
  const raw = new Int32Array(N * K);
  const bad = new Uint8Array((N * K) / 32);
  let clipped = 0;
  for (let blk = 0; blk < (N * K) / 32; blk++) {
    const o = blk * 32;
    let amax = 0;
    let first = 0;
    for (let i = 0; i < 32; i++) {
      const v = ftz(w[o + i]);
      if (!Number.isFinite(v)) bad[blk] = 1;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        first = v;
      }
    }
    if (bad[blk]) continue;
    const d = type === 'Q4_0' ? ftz(f(first / -8)) : ftz(f(amax / 127));
    const id = d !== 0 ? f(1 / d) : 0;
    for (let i = 0; i < 32; i++) {
      const p = f(ftz(w[o + i]) * id);
      const r = type === 'Q4_0' ? Math.trunc(f(p + 8.5)) : roundHalfAway(p);
      raw[o + i] = r;
      const inside = type === 'Q4_0' ? r >= 0 && r <= 15 : r >= -128 && r <= 127;
      mask[o + i] = inside ? 1 : 0;
      if (!inside) clipped++;
    }
  }
  let y: Float32Array;
  if (bad.some((b) => b)) {
    // The forward of blocks without NaN/Inf, each block on its own (quantizeRef refuses non-finite input).
    y = new Float32Array(N * K);
    for (let blk = 0; blk < bad.length; blk++) {
      if (bad[blk]) {
        y.fill(NaN, blk * 32, blk * 32 + 32);
        continue;
      }
      y.set(dequantizeRef(quantizeRef(Array.from({ length: 32 }, (_, i) => w[blk * 32 + i]), 1, 32, ggufScheme(type))), blk * 32);
    }
  } else y = dequantizeRef(quantizeRef(w, N, K, ggufScheme(type)));
  return { y, mask, raw, clipped };
}

/** The fill kernel (shaders/quant/fill_words.wgsl): n words of `value`. */
export function fillWordsRef(n: number, value: number): Uint32Array {
  return new Uint32Array(n).fill(value >>> 0);
}
