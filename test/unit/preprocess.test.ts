import { describe, expect, it } from 'vitest';
import { preprocess } from '../../src/gpu/preprocess.js';
import { packCodes, unpackCodes, wordsPerRow, type Bits } from '../../src/quant/layout.js';
import { sizeClass } from '../../src/gpu/pool.js';

const src = {
  main: '#include "common/x"\nfn f() -> {{T}} {\n#if A\n  return 1;\n#elif B\n  return 2;\n#else\n  return 3;\n#endif\n}',
  'common/x': '// shared\nconst X = 1;',
};

describe('preprocess', () => {
  it('includes once, substitutes and keeps line origins', () => {
    const p = preprocess('main', { T: 'f32', B: true }, src);
    expect(p.code).toBe('// shared\nconst X = 1;\nfn f() -> f32 {\n  return 2;\n}');
    expect(p.map[2]).toEqual({ file: 'shaders/main.wgsl', line: 2 });
    expect(p.map[0]).toEqual({ file: 'shaders/common/x.wgsl', line: 1 });
  });
  it('takes the first true branch and the else', () => {
    expect(preprocess('main', { T: 'f16', A: 1, B: 1 }, src).code).toContain('return 1;');
    expect(preprocess('main', { T: 'f16' }, src).code).toContain('return 3;');
  });
  it('includes a template once per argument list, its arguments defined inside it only', () => {
    const t = { main: '#include "seg" S= ON=1\n#include "seg" S=1\n#include "seg" S=1\nfn g{{S}}() {}', seg: '#if ON\nfn f{{S}}() {}\n#else\nfn h{{S}}() {}\n#endif' };
    expect(preprocess('main', { S: 9 }, t).code).toBe('fn f() {}\nfn h1() {}\nfn h1() {}\nfn g9() {}');
  });
  it('names the file and line of a bad directive or a missing value', () => {
    expect(() => preprocess('main', {}, src)).toThrow(/shaders\/main\.wgsl:2: \{\{T\}\} has no value/);
    expect(() => preprocess('bad', {}, { bad: 'x\n#iff A' })).toThrow(/shaders\/bad\.wgsl:2: unknown directive/);
    expect(() => preprocess('bad', {}, { bad: '#if A\nx' })).toThrow(/#if without #endif/);
    expect(() => preprocess('nope', {}, src)).toThrow(/shader 'nope' not found/);
  });
});

describe('quant layout', () => {
  for (const bits of [2, 3, 4, 8] as Bits[]) {
    it(`packs and unpacks ${bits}-bit codes LSB-first, odd K`, () => {
      const N = 3;
      const K = 75;
      const codes = Uint8Array.from({ length: N * K }, (_, i) => (i * 7 + 3) % (1 << bits));
      const w = packCodes(codes, N, K, bits);
      expect(w.length).toBe(N * wordsPerRow(K, bits));
      expect(unpackCodes(w, N, K, bits)).toEqual(codes);
    });
  }
  it('puts code 1 of a 4-bit row at bits 4..7 of word 0', () => {
    expect(packCodes([0, 0xf, 0, 0, 0, 0, 0, 0], 1, 8, 4)[0]).toBe(0xf0);
  });
  it('lets a 3-bit code straddle words (code 10 at bits 30..32)', () => {
    const c = new Uint8Array(32);
    c[10] = 0b111;
    const w = packCodes(c, 1, 32, 3);
    expect([w[0], w[1], w[2]]).toEqual([0xc0000000, 1, 0]);
  });
});

describe('buffer pool size classes', () => {
  it('rounds to powers of two, then to MiB', () => {
    expect(sizeClass(1)).toBe(16);
    expect(sizeClass(1000)).toBe(1024);
    expect(sizeClass((1 << 20) + 1)).toBe(2 << 20);
  });
});
