// The f32 matmul's pick per adapter and shape (tuning.ts, f32Variant) and the tuning override's matmulF32 section:
// what the table and an override choose, and the override's errors naming the field. No GPU: a context stub
// carries only what tuningFor reads.
import { afterEach, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/context.js';
import { f32Variant, pickSubA } from '../../src/kernels/matmul.js';
import { subAWorkgroup } from '../../src/kernels/matmul_f32.js';
import { setTuningOverride, tuningFor } from '../../src/kernels/tuning.js';

const adapter = (isFallback: boolean, vendor = '') => ({ info: { isFallback, vendor } }) as unknown as GpuContext;
const swiftshader = adapter(true);
const gpu = adapter(false, 'amd');

afterEach(() => setTuningOverride(null));

describe('f32 matmul variant', () => {
  it('is the register-blocked rows shape on CPU adapters and the tiled one on GPUs, at every M', () => {
    for (const M of [1, 2, 3, 4, 5, 1024]) {
      expect(f32Variant(swiftshader, { M })).toBe('rows');
      expect(f32Variant(gpu, { M })).toBe('tiled');
    }
  });

  it('is what a call forces, by variant or by the older tiled / block knobs', () => {
    expect(f32Variant(swiftshader, { M: 8, variant: 'naive' })).toBe('naive');
    expect(f32Variant(gpu, { M: 8, variant: 'rows' })).toBe('rows');
    expect(f32Variant(swiftshader, { M: 8, tiled: true })).toBe('tiled');
    expect(f32Variant(swiftshader, { M: 8, tiled: false, block: true })).toBe('block4');
    expect(f32Variant(gpu, { M: 8, tiled: false })).toBe('naive');
  });

  it('follows a matmulF32 tuning override, block4 falling back to naive below M = 3', () => {
    setTuningOverride(null);
    const qCols = tuningFor(swiftshader).matmulQ.rowsCols; // the table's
    expect(qCols).not.toBe(4);
    setTuningOverride({ matmulF32: { shape: 'block4' } });
    expect(f32Variant(swiftshader, { M: 8 })).toBe('block4');
    expect(f32Variant(swiftshader, { M: 2 })).toBe('naive');
    setTuningOverride({ matmulF32: { rowsCols: 4, rowsM: 4 } });
    expect(tuningFor(swiftshader).matmulF32).toMatchObject({ shape: 'rows', rowsCols: 4, rowsM: 4, smallM: 4 });
    expect(tuningFor(swiftshader).matmulQ.rowsCols).toBe(qCols); // the quantized matmuls' own field, untouched
  });

  it("lays a flashAttention / embedding override over the table's (quad on for SwiftShader, off for GPUs)", () => {
    expect([tuningFor(swiftshader).flashAttention.quad, tuningFor(gpu).flashAttention.quad]).toEqual([true, false]);
    expect(tuningFor(gpu).embedding.quad).toBe(false);
    setTuningOverride({ flashAttention: { quad: false } });
    expect(tuningFor(swiftshader).flashAttention.quad).toBe(false);
    expect(tuningFor(swiftshader).matmulF32.subA).toBe(true); // other sections untouched
    expect(tuningFor(swiftshader).embedding.quad).toBe(true);
    setTuningOverride({ embedding: { quad: false } });
    expect([tuningFor(swiftshader).embedding.quad, tuningFor(swiftshader).flashAttention.quad]).toEqual([false, true]);
  });

  it('refuses an override field or value the kernels cannot take, naming it', () => {
    expect(() => setTuningOverride({ matmulF32: { rowsCols: 6 as 8 } })).toThrow(/matmulF32\.rowsCols = 6 is not a value the kernels take/);
    expect(() => setTuningOverride({ matmulF32: { rowsWG: [3, 2] } })).toThrow(/matmulF32\.rowsWG = \[3,2\]/);
    expect(() => setTuningOverride({ matmulF32: { nope: 1 } as never })).toThrow(/unknown field matmulF32\.nope/);
    expect(() => setTuningOverride({ other: {} } as never)).toThrow(/unknown section 'other' \(sections: matmulQ, matmulF32, flashAttention, embedding, fakeQuant, optimizer\)/);
    expect(() => setTuningOverride({ flashAttention: { quad: 1 as unknown as boolean } })).toThrow(/flashAttention\.quad = 1 is not a value the kernels take/);
    expect(() => setTuningOverride({ optimizer: { flat: 'yes' as unknown as boolean } })).toThrow(/optimizer\.flat = "yes" is not a value the kernels take/);
  });
});

describe('SUB_A pick (A through subgroupBroadcast)', () => {
  const withSubgroups = (ctx: GpuContext, subgroups: boolean, min: number) => ({ ...ctx, caps: { subgroups, subgroupMinSize: min } }) as unknown as GpuContext;
  const sw = withSubgroups(swiftshader, true, 4);

  it('follows the table, where 90% of the workgroup has columns and the adapter has subgroups of 4 or more lanes', () => {
    const cols = tuningFor(sw).matmulF32.rowsCols;
    const subA = tuningFor(sw).matmulF32.subA;
    // 64, 192 and 1024 columns fill their workgroups (192: three of 4); 260 leaves 19% of five workgroups of 4 idle;
    // 32 has 2 invocations' worth.
    expect([64, 1024, 192, 260, 32].map((N) => pickSubA(sw, N, cols))).toEqual([subA, subA, subA, false, false]);
    expect(pickSubA(withSubgroups(swiftshader, false, 0), 1024, cols)).toBe(false);
    expect(pickSubA(withSubgroups(swiftshader, true, 2), 1024, cols)).toBe(false);
    expect(pickSubA(withSubgroups(gpu, true, 32), 1024, cols)).toBe(false); // off in the GPUs' table
    setTuningOverride({ matmulF32: { subA: false } });
    expect(pickSubA(sw, 1024, cols)).toBe(false);
  });

  it('lays the workgroup along columns, 4 to rowsWG invocations, the fewest idle and then the widest', () => {
    expect(subAWorkgroup([8, 2], 1024, 16)).toEqual([16, 1]);
    expect(subAWorkgroup([8, 2], 64, 16)).toEqual([4, 1]);
    expect(subAWorkgroup([8, 2], 100, 16)).toEqual([8, 1]); // 7 invocations: 8 leaves 1 idle, 4 leaves 1 too
    expect(subAWorkgroup([8, 2], 192, 16)).toEqual([4, 1]); // 12 invocations: 16 and 8 leave 4 idle, 4 none
    expect(subAWorkgroup([8, 2], 260, 16)).toEqual([4, 1]); // 17: 16 leaves 15, 8 leaves 7, 4 leaves 3
    expect(subAWorkgroup([8, 2], 2048, 16)).toEqual([16, 1]);
    expect(subAWorkgroup([2, 1], 64, 16)).toEqual([4, 1]); // never under 4 lanes
    expect(subAWorkgroup([8, 2], 5, 16)).toEqual([4, 1]);
  });
});
