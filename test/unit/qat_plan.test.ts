// prepareLinears, the model-agnostic QAT plan: which Linear layers get which fake-quant form, and the errors a bad
// configuration gets before any training (each naming the layer, pattern or value at fault).
import { describe, expect, it } from 'vitest';
import { llamaLinears } from '../../src/nn/llama_train.js';
import { llamaConfig } from '../../src/nn/llama_weights.js';
import { prepareLinears } from '../../src/train/qat_plan.js';

const c = llamaConfig({ dim: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 96, ctx: 32, vocab: 260 });
const linears = llamaLinears(c);

describe('prepareLinears', () => {
  it('lists every Linear of a Llama (7 a layer and the output head) and quantizes all by default', () => {
    const want = [...[0, 1].flatMap((l) => ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_down', 'ffn_up'].map((t) => `blk.${l}.${t}.weight`)), 'output.weight'];
    expect(linears.map((l) => l.name).sort()).toEqual(want.sort());
    expect(linears.find((l) => l.name === 'blk.0.ffn_down.weight')).toEqual({ name: 'blk.0.ffn_down.weight', N: 64, K: 96 });
    const plan = prepareLinears(linears, { bits: 3 });
    expect(plan.size).toBe(15);
    expect(plan.get('output.weight')).toEqual({ bits: 3, group: 32 });
    expect(prepareLinears(linears, { format: 'Q4_0' }).get('blk.1.attn_k.weight')).toEqual({ bits: 4, group: 32, format: 'Q4_0' });
    expect(prepareLinears(linears, { bits: 2, method: 'lsq', act: true }).get('blk.0.attn_q.weight')).toEqual({ bits: 2, group: 32, learn: true, act: true });
    // static: LSQ's scale param, never trained.
    expect(prepareLinears(linears, { bits: 4, method: 'static' }).get('blk.0.attn_q.weight')).toEqual({ bits: 4, group: 32, learn: true, frozen: true });
    expect(prepareLinears(linears, { bits: 4, method: 'static', lsqInit: 'mse' }).get('output.weight')).toEqual({ bits: 4, group: 32, learn: true, frozen: true, lsqInit: 'mse' });
  });

  it('keeps the layers keepFloat patterns match in f32', () => {
    const plan = prepareLinears(linears, { keepFloat: ['output.weight', 'blk.*.ffn_down.weight'] });
    expect(plan.size).toBe(12);
    expect(plan.has('output.weight') || plan.has('blk.0.ffn_down.weight') || plan.has('blk.1.ffn_down.weight')).toBe(false);
  });

  it('takes per-layer rules by pattern over the model-wide one (a later rule wins)', () => {
    const plan = prepareLinears(linears, {
      bits: 3,
      layers: [
        { pattern: 'output.weight', bits: 8 },
        { pattern: 'blk.1.*', method: 'lsq' },
        { pattern: 'blk.*.ffn_down.weight', format: 'Q8_0' },
        { pattern: 'blk.1.attn_q.weight', bits: 2, group: 64 },
      ],
    });
    expect(plan.get('output.weight')).toEqual({ bits: 8, group: 32 });
    expect(plan.get('blk.0.ffn_down.weight')).toEqual({ bits: 8, group: 32, format: 'Q8_0' });
    expect(plan.get('blk.0.attn_q.weight')).toEqual({ bits: 3, group: 32 });
    expect(plan.get('blk.1.attn_k.weight')).toEqual({ bits: 3, group: 32, learn: true });
    expect(plan.get('blk.1.attn_q.weight')).toEqual({ bits: 2, group: 64, learn: true });
    expect(plan.get('blk.1.ffn_down.weight')).toEqual({ bits: 8, group: 32, format: 'Q8_0' });
    // ffn_down of block 1: the format rule, then 'blk.1.*' asks for lsq, which a format refuses, naming both.
    expect(() => prepareLinears(linears, { layers: [{ pattern: 'blk.*.ffn_down.weight', format: 'Q8_0' }, { pattern: 'blk.1.*', method: 'lsq' }] })).toThrow(
      /layer rule 'blk\.1\.\*' on 'blk\.1\.ffn_down\.weight': format Q8_0 fixes the scale rule/,
    );
    expect(prepareLinears(linears, { format: 'Q4_0', layers: [{ pattern: 'output.weight', bits: 8 }] }).get('output.weight')).toEqual({ bits: 8, group: 32 });
  });

  it("carries lsqInit 'mse' to the LSQ layers only (a per-layer rule inherits it)", () => {
    const plan = prepareLinears(linears, { bits: 2, method: 'lsq', lsqInit: 'mse', layers: [{ pattern: 'output.weight', bits: 8, method: 'ste' }, { pattern: 'blk.0.attn_q.weight', bits: 3 }] });
    expect(plan.get('blk.1.ffn_up.weight')).toEqual({ bits: 2, group: 32, learn: true, lsqInit: 'mse' });
    expect(plan.get('blk.0.attn_q.weight')).toEqual({ bits: 3, group: 32, learn: true, lsqInit: 'mse' });
    expect(plan.get('output.weight')).toEqual({ bits: 8, group: 32 });
    expect(prepareLinears(linears, { bits: 2, method: 'lsq', lsqInit: 'rule' }).get('output.weight')).toEqual({ bits: 2, group: 32, learn: true });
  });

  it('plans asymmetric weights (symmetric: false) at 2..4 bits with STE; a per-layer rule inherits it, a format drops it', () => {
    const plan = prepareLinears(linears, { bits: 3, symmetric: false, layers: [{ pattern: 'blk.1.*', bits: 2 }, { pattern: 'output.weight', format: 'Q8_0' }] });
    expect(plan.get('blk.0.attn_q.weight')).toEqual({ bits: 3, group: 32, asymmetric: true });
    expect(plan.get('blk.1.ffn_up.weight')).toEqual({ bits: 2, group: 32, asymmetric: true });
    expect(plan.get('output.weight')).toEqual({ bits: 8, group: 32, format: 'Q8_0' });
    expect(prepareLinears(linears, { bits: 4, layers: [{ pattern: 'output.weight', symmetric: false }] }).get('output.weight')).toEqual({ bits: 4, group: 32, asymmetric: true });
    expect(() => prepareLinears(linears, { bits: 5, symmetric: false })).toThrow(/asymmetric weights at bits=5: they are written as GGUF Q4_1 blocks/);
    expect(() => prepareLinears(linears, { format: 'Q4_0', symmetric: false })).toThrow(/format Q4_0 is ggml's symmetric rule/);
    expect(() => prepareLinears(linears, { bits: 2, method: 'lsq', symmetric: false })).toThrow(/asymmetric weights use the dynamic rule with STE/);
    expect(() => prepareLinears(linears, { bits: 4, method: 'static', symmetric: false })).toThrow(/asymmetric weights use the dynamic rule with STE; static takes symmetric scales/);
    expect(() => prepareLinears(linears, { format: 'Q4_0', method: 'static' })).toThrow(/format Q4_0 fixes the scale rule \(ggml's d\), so it cannot be combined with static \(static scales\)/);
    expect(() => prepareLinears(linears, { bits: 4, method: 'frozen' as 'static' })).toThrow(/method 'frozen' is not ste, lsq or static/);
    expect(() => prepareLinears(linears, { bits: 3, layers: [{ pattern: 'blk.0.*', bits: 6, symmetric: false }] })).toThrow(/layer rule 'blk\.0\.\*' on 'blk\.0\.attn_q\.weight': asymmetric weights at bits=6/);
    expect(() => prepareLinears(linears, { bits: 3, symmetric: 'no' as unknown as boolean })).toThrow(/symmetric "no" is not true or false/);
  });

  it('plans the midrise grid at 2..3 bits (STE or LSQ); it carries to per-layer widths that hold it, not wider ones', () => {
    const plan = prepareLinears(linears, { bits: 2, method: 'lsq', lsqInit: 'mse', midrise: true, layers: [{ pattern: 'blk.1.*', bits: 3 }, { pattern: 'output.weight', bits: 8 }, { pattern: 'blk.0.ffn_up.weight', format: 'Q4_0' }] });
    expect(plan.get('blk.0.attn_q.weight')).toEqual({ bits: 2, group: 32, learn: true, lsqInit: 'mse', midrise: true });
    expect(plan.get('blk.1.ffn_up.weight')).toEqual({ bits: 3, group: 32, learn: true, lsqInit: 'mse', midrise: true });
    expect(plan.get('output.weight')).toEqual({ bits: 8, group: 32, learn: true, lsqInit: 'mse' });
    expect(plan.get('blk.0.ffn_up.weight')).toEqual({ bits: 4, group: 32, format: 'Q4_0' });
    expect(prepareLinears(linears, { bits: 3, midrise: true }).get('blk.0.attn_k.weight')).toEqual({ bits: 3, group: 32, midrise: true });
    expect(() => prepareLinears(linears, { bits: 4, midrise: true })).toThrow(/midrise at bits=4: it is written as GGUF Q4_0 blocks with codes 2q \+ 1/);
    expect(() => prepareLinears(linears, { bits: 2, midrise: true, symmetric: false })).toThrow(/the midrise grid is symmetric/);
    expect(() => prepareLinears(linears, { format: 'Q4_0', midrise: true })).toThrow(/format Q4_0 is ggml's own grid/);
    expect(() => prepareLinears(linears, { bits: 2, layers: [{ pattern: 'output.weight', bits: 5, midrise: true }] })).toThrow(/layer rule 'output\.weight' on 'output\.weight': midrise at bits=5/);
    expect(() => prepareLinears(linears, { bits: 2, midrise: 1 as unknown as boolean })).toThrow(/midrise 1 is not true or false/);
  });

  it('refuses bad configurations, naming what is at fault', () => {
    expect(() => prepareLinears(linears, { layers: [{ pattern: 'blk.*.mlp.weight', bits: 8 }] })).toThrow(/layer rule 'blk\.\*\.mlp\.weight' matches no quantized Linear layer/);
    expect(() => prepareLinears(linears, { keepFloat: ['output.weight'], layers: [{ pattern: 'output.weight', bits: 8 }] })).toThrow(/layer rule 'output\.weight' matches no quantized Linear layer .*keepFloat takes precedence/);
    expect(() => prepareLinears(linears, { layers: [{ pattern: 'output.weight', bits: 9 }] })).toThrow(/layer rule 'output\.weight' on 'output\.weight': bits=9 is not an integer in 2\.\.8/);
    expect(() => prepareLinears(linears, { layers: [{ pattern: 'blk.0.ffn_down.weight', group: 64 }] })).toThrow(/group size 64 does not divide K=96 of 'blk\.0\.ffn_down\.weight'/);
    expect(() => prepareLinears(linears, { keepFloat: ['blk.*.mlp.weight'] })).toThrow(/keepFloat pattern 'blk\.\*\.mlp\.weight' matches no Linear layer/);
    expect(() => prepareLinears(linears, { group: 64 })).toThrow(/group size 64 does not divide K=96 of 'blk\.0\.ffn_down\.weight' \[64, 96\]/);
    expect(() => prepareLinears(linears, { bits: 9 })).toThrow(/bits=9 is not an integer in 2\.\.8/);
    expect(() => prepareLinears(linears, { bits: 1.5 })).toThrow(/bits=1\.5/);
    expect(() => prepareLinears(linears, { format: 'Q4_0', bits: 3 })).toThrow(/format Q4_0 is 4-bit, but bits=3/);
    expect(() => prepareLinears(linears, { format: 'Q8_0', group: 64 })).toThrow(/blocks of 32 along K, but group=64/);
    expect(() => prepareLinears(linears, { format: 'Q4_0', method: 'lsq' })).toThrow(/cannot be combined with lsq/);
    expect(() => prepareLinears(linears, { method: 'lsq', lsqInit: 'minmax' as 'mse' })).toThrow(/lsqInit 'minmax' is not rule or mse/);
    expect(() => prepareLinears(linears, { bits: 3, lsqInit: 'mse' })).toThrow(/lsqInit 'mse' sets LSQ's \(or static's\) start scales, but no layer uses method lsq or static/);
    expect(() => prepareLinears([], {})).toThrow(/the model has no Linear layers/);
    expect(() => prepareLinears(linears, { keepFloat: ['*'] })).toThrow(/keeps every Linear layer in f32/);
  });
});
