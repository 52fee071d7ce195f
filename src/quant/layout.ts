// nibble's GPU layout for group-quantized weights. THE one place this is defined: kernels (shaders/quant,
// shaders/matmul) and the CPU reference (src/ref) both follow it.
//
// A weight W is [N, K] row-major (PyTorch Linear: N = out_features, K = in_features); quantization groups run
// along K: group g of row n covers k in [g*G, (g+1)*G) (per-channel: G = K).
//
// codes  (u32 words): each row's K unsigned codes, packed LSB-first along K, rows padded to whole words.
//   bits 8: 4 codes per word, code k at bits 8*(k%4).. of word k/4
//   bits 4: 8 codes per word, code k at bits 4*(k%8).. of word k/8
//   bits 2: 16 codes per word, code k at bits 2*(k%16).. of word k/16
//   bits 3: 32 codes per 3 words: the 3 words form one 96-bit little-endian stream; code k%32 of the block
//           sits at stream bits 3*(k%32)..3*(k%32)+2 (so a code may straddle two words)
//   Row n starts at word n * wordsPerRow(K, bits).
// Stored codes are unsigned u in [0, 2^bits - 1]. The value of a code:
//   symmetric:               w = (u - 2^(bits-1)) * s          (signed code q = u - 2^(bits-1))
//   asymmetric, zero point:  w = (u - z) * s                   (z integer in [0, 2^bits-1]; torch/GPTQ/AWQ)
//   asymmetric, float min:   w = u * s + m                     (GGUF Q4_1; `zeros` holds m)
// scales: [N, ceil(K/G)] row-major, f32 (or f16 where the scheme says so, two per u32, low half first).
// zeros:  [N, ceil(K/G)] like scales: the integer zero point z (as f32) or the float min m.

export type Bits = 2 | 3 | 4 | 8;

/**
 * The packed width that stores `bits`-bit codes (2..8): 2, 3 and 4 bits pack as themselves; 5, 6 and 7 bits (what
 * AdaQAT may choose) are stored in 8-bit containers (a code u < 2^bits in each byte), so they run on the 8-bit kernels.
 */
export function containerBits(bits: number): Bits {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new Error(`containerBits: bits=${bits} is not an integer in 2..8`);
  return bits <= 4 ? (bits as Bits) : 8;
}

export function codesPerWord(bits: Bits): number {
  if (bits === 3) throw new Error('3-bit codes pack 32 per 3 words; use wordsPerRow');
  return 32 / bits;
}

export function wordsPerRow(K: number, bits: Bits): number {
  return bits === 3 ? Math.ceil(K / 32) * 3 : Math.ceil(K / (32 / bits));
}

/** Word index and bit shift of code (n, k); a 3-bit code with sh > 29 continues in the next word. */
function codeAt(n: number, k: number, wpr: number, bits: Bits): { word: number; sh: number } {
  if (bits === 3) {
    const bit = 3 * (k % 32);
    return { word: n * wpr + Math.floor(k / 32) * 3 + (bit >> 5), sh: bit & 31 };
  }
  const per = 32 / bits;
  return { word: n * wpr + Math.floor(k / per), sh: bits * (k % per) };
}

/** Packs unsigned codes [N, K] (row-major) into the layout above. */
export function packCodes(codes: ArrayLike<number>, N: number, K: number, bits: Bits): Uint32Array {
  if (codes.length !== N * K) throw new Error(`packCodes: ${codes.length} codes for [${N}, ${K}]`);
  const wpr = wordsPerRow(K, bits);
  const out = new Uint32Array(N * wpr);
  const max = (1 << bits) - 1;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const u = codes[n * K + k];
      if (!Number.isInteger(u) || u < 0 || u > max) throw new Error(`packCodes: code [${n}, ${k}] = ${u} is not a ${bits}-bit unsigned integer`);
      const { word, sh } = codeAt(n, k, wpr, bits);
      out[word] = (out[word] | (u << sh)) >>> 0;
      if (sh + bits > 32) out[word + 1] = (out[word + 1] | (u >>> (32 - sh))) >>> 0;
    }
  }
  return out;
}

/** Unpacks to unsigned codes [N, K]. */
export function unpackCodes(words: Uint32Array, N: number, K: number, bits: Bits): Uint8Array {
  const wpr = wordsPerRow(K, bits);
  if (words.length < N * wpr) throw new Error(`unpackCodes: ${words.length} words, [${N}, ${K}] at ${bits} bits needs ${N * wpr}`);
  const out = new Uint8Array(N * K);
  const mask = (1 << bits) - 1;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const { word, sh } = codeAt(n, k, wpr, bits);
      let v = words[word] >>> sh;
      if (sh + bits > 32) v |= words[word + 1] << (32 - sh);
      out[n * K + k] = v & mask;
    }
  }
  return out;
}

// Companions of the weight layout above, defined elsewhere but listed here so the whole picture is in one place:
//   f16 scales/zeros: element i of the flat [N, groups] array sits in the low (i even) or high (i odd) half of
//     word i/2; a pair may span two rows when groups is odd (src/quant/scheme.ts packScaleWords).
//   Per-token int8 activations (shaders/quant/quantize_act.wgsl): [M, K] codes, 4 per u32, code k in byte k%4 of
//     word k/4 of its row, rows padded to ceil(K/4) words; symmetric: int8 two's complement q (value q * s),
//     asymmetric: uint8 u with an integer zero point z in [0, 255] (value (u - z) * s); scales and zeros [M] f32.
//   GGUF Q4_0/Q4_1/Q8_0 (src/quant/gguf.ts), GPTQ v1 (src/quant/gptq.ts) and AWQ (src/quant/awq.ts) are repacked
//     into this layout once, at load; the kernels never read their blocks.
