// The f16-native variants of shaders/matmul/matmul_w4a16.wgsl (and matmul_w8a16, which includes it) can only be
// compiled by an adapter with shader-f16, which CI's SwiftShader lacks: its GPU cases skip them. Here every variant of
// the shader's defines with ACT_F16 is preprocessed and validated by naga (wgpu's WGSL front end and validator, npm
// naga-wasm), a second WGSL implementation, so that a type error in f16-only code fails CI instead of a user's GPU.
// The f16-emulated variants are validated too: Dawn compiles them in the GPU cases, so naga must accept them as well
// (a check that naga agrees with Dawn on this shader). Naga does not yet parse `enable subgroups;` (gfx-rs/wgpu#5555)
// but validates the subgroup builtins without it: that one line is removed before parsing.
import { describe, expect, it } from 'vitest';
import { parseWgsl, validate } from 'naga-wasm';
import { preprocess, type Defines } from '../../src/gpu/preprocess.js';

function nagaErrors(code: string): string | null {
  try {
    validate(parseWgsl(code.replace(/^enable subgroups;$/m, '')));
    return null;
  } catch (e) {
    return (e as { formatted?: string }).formatted ?? String(e);
  }
}

/** Every path variant the planner (src/kernels/matmul.ts) can ask for, with its path-specific defines. */
const PATHS: Defines[] = [
  { PATH_ROWS: true, ROW_BLOCK: true, ROWS_COLS: 1 },
  { PATH_ROWS: true, ROW_BLOCK: true, ROWS_COLS: 8 },
  { PATH_ROWS: true, ROW_BLOCK: true, ROWS4: true, ROWS_COLS: 8 },
  { PATH_ROWS: true, ROW_BLOCK: true, ROWS4: true, ROWS_COLS: 3 },
  { PATH_ROWS: true },
  { PATH_SPLIT: true },
  { PATH_SPLIT: true, SUBGROUPS: true },
  ...[false, true].flatMap((SUBGROUPS) => [false, true].flatMap((W_V4) => [false, true].map((GCHUNK) => ({ PATH_COLS: true, SUBGROUPS, W_V4, GCHUNK })))),
  { PATH_TILED: true },
];
const MODES: Defines[] = [{}, { ZEROS: true }, { ZEROS: true, FMIN: true }];
const EPILOGUES: Defines[] = [{}, { BIAS: true, RESIDUAL: true, GELU: true }, { SILU: true }];

function variants(act: 'ACT_F16' | 'ACT_F16P'): Defines[] {
  const out: Defines[] = [];
  for (const W8 of [false, true]) {
    for (const mode of MODES) {
      for (const path of PATHS) {
        for (const X_VEC of path.PATH_TILED ? [false] : [false, true]) {
          // Scale type and epilogue are independent of the rest of the shader: rotated rather than multiplied.
          const i = out.length;
          out.push({ ROWS_COLS: 1, [act]: true, W8, ...mode, ...path, X_VEC, SCALES_F16: i % 2 === 1, ...EPILOGUES[i % 3] });
        }
      }
    }
  }
  return out;
}

/** f16 y (native f16 stores, or packed pairs) on every path of both shaders, with every activation type. */
function outputVariants(): [string, Defines][] {
  const out: [string, Defines][] = [];
  for (const [i, path] of PATHS.entries()) {
    for (const act of [{ ACT_F16: true }, { ACT_F16P: true }, {}] as Defines[]) {
      for (const y of [{ Y_F16N: true, Y_F16P: false }, { Y_F16N: false, Y_F16P: true }]) {
        out.push(['matmul/matmul_w4a16', { ROWS_COLS: 1, ...act, ...path, ...y, Y_F16: true, W8: i % 2 === 1, X_VEC: !path.PATH_TILED, RESIDUAL: true, BIAS: i % 3 === 0, ...MODES[i % 3] }]);
      }
    }
  }
  const w8a8Paths: Defines[] = [{ PATH_ROWS: true, ROW_BLOCK: true, ROWS_COLS: 8 }, { PATH_ROWS: true, ROW_BLOCK: true, ROWS4: true, ROWS_COLS: 3 }, { PATH_ROWS: true, ROWS_COLS: 1 }, { PATH_SPLIT: true }, { PATH_SPLIT: true, SUBGROUPS: true }, ...[false, true].flatMap((SUBGROUPS) => [false, true].map((W_V4) => ({ PATH_COLS: true, SUBGROUPS, W_V4 }))), { PATH_TILED: true, ROWS_COLS: 1 }];
  for (const path of w8a8Paths) for (const y of [{ Y_F16N: true, Y_F16P: false }, { Y_F16N: false, Y_F16P: true }]) for (const PACKED of [false, true]) out.push(['matmul/matmul_w8a8', { ROWS_COLS: 1, ...path, ...y, Y_F16: true, PACKED, RESIDUAL: true, GELU: PACKED }]);
  return out;
}

describe('matmul_w4a16 / w8a16 / w8a8 WGSL validated by naga', () => {
  it('every f16-output variant (native f16 stores and packed pairs) of matmul_w4a16 / w8a16 / w8a8 validates', () => {
    const vs = outputVariants();
    expect(vs.length).toBe(PATHS.length * 6 + 40); // W4A16 / W8A16: 6 a path; W8A8: 10 paths x 2 y types x 2 dot modes
    const failed: string[] = [];
    for (const [shader, d] of vs) {
      const err = nagaErrors(preprocess(shader, d).code);
      if (err) failed.push(`${shader} ${JSON.stringify(d)}\n${err.slice(0, 800)}`);
    }
    expect(failed.length, failed.slice(0, 3).join('\n\n')).toBe(0);
  });

  it('naga rejects f16 code that mixes f16 and f32 without a conversion (the check can fail)', () => {
    expect(nagaErrors('enable f16;\nfn f(a: f16, b: f32) -> f32 { return a * b; }')).toMatch(/invalid/i);
    expect(nagaErrors('enable f16;\nfn f(a: f16, b: f32) -> f32 { return f32(a) * b; }')).toBeNull();
  });

  for (const act of ['ACT_F16', 'ACT_F16P'] as const) {
    it(`every ${act === 'ACT_F16' ? 'f16-native' : 'f16-emulated'} variant validates`, () => {
      const vs = variants(act);
      expect(vs.length).toBe(2 * 3 * (PATHS.length * 2 - 1));
      const failed: string[] = [];
      for (const d of vs) {
        const err = nagaErrors(preprocess('matmul/matmul_w4a16', d).code);
        if (err) failed.push(`${JSON.stringify(d)}\n${err.slice(0, 800)}`);
      }
      expect(failed.length, failed.slice(0, 3).join('\n\n')).toBe(0);
    });
  }
});
