// AdaQAT for a language model (nibble lm qat --method adaqat): every quantized Linear's weight bit-width is learned
// during QAT by src/train/adaqat.ts (GraphAdaQat): the Llama training graph's fake-quant weights read their code
// range from the constants `<weight>.qrange`, and each update evaluates the data loss of the step's batch (the
// trainer's evaluation output, t.ce) at the current bit-widths and at each quantizer moved by one bit. With --act the
// inputs' widths are learned too (the cost is then BitOPs, as the MLP's); the converted GGUF holds each layer's
// weights in Q4_0 (<= 4 bits) or Q8_0, and its inputs run unquantized on nibble's engine (as with --act alone).
import type { GpuContext } from '../gpu/context.js';
import type { LinearQuant } from '../nn/linear_quant.js';
import type { LlamaTrainGraph } from '../nn/llama_train.js';
import { GraphAdaQat, type AdaQatOptions, type AdaQatReport } from '../train/adaqat.js';
import { QatConfigError, type LinearInfo } from '../train/qat_plan.js';

/** The per-layer result of AdaQAT on a language model. */
export interface LmAdaQatResult extends AdaQatReport {
  /** The chosen bit-width of each quantized Linear, by weight name. */
  bits: Record<string, number>;
  /** With --act: the chosen width of each layer's input quantizer (learned unless o.act is false). */
  inputBits?: Record<string, number>;
  /** Their mean over the weights (bits per quantized weight, before the GGUF blocks' scales). */
  meanBits: number;
}

/**
 * AdaQAT's recipe for the language model (nibble lm qat --method adaqat, the demo's Train tab): a bit-width update
 * every 5 steps (each costs 1 + layers forward passes), the cost weighted 1 (docs/lm-qat.md for what it chose).
 */
export const LM_ADAQAT_DEFAULTS = { lambda: 1, every: 5, lr: 2 } as const;

/** The plan for an AdaQAT run: every planned Linear adaptive at the widest bit-width (the range may only narrow). */
export function adaptivePlan(plan: ReadonlyMap<string, LinearQuant>, o: AdaQatOptions): Map<string, LinearQuant> {
  const max = o.maxBits ?? 8;
  const out = new Map<string, LinearQuant>();
  for (const [name, q] of plan) {
    if (q.learn) throw new QatConfigError(`adaqat: '${name}' has ${q.frozen ? 'static' : 'learned'} scales (${q.frozen ? 'static' : 'lsq'}); AdaQAT drives the dynamic rule (method ste)`);
    if (q.format) throw new QatConfigError(`adaqat: '${name}' uses the ${q.format} rule, which fixes the bit-width; AdaQAT chooses it (use --bits)`);
    if (q.asymmetric) throw new QatConfigError(`adaqat: '${name}' is asymmetric; AdaQAT learns widths of the symmetric rule`);
    if (q.midrise) throw new QatConfigError(`adaqat: '${name}' is on the midrise grid (2..3 bits only); AdaQAT learns widths of the mid-tread rule`);
    const act = q.act && o.act !== false;
    out.set(name, { ...q, bits: max, adaptive: true, ...(act ? { actBits: max, actAdaptive: true } : {}) });
  }
  return out;
}

export class LmAdaQat extends GraphAdaQat {
  /** `init` bits: o.init, else the bits the plan was prepared with. */
  constructor(
    ctx: GpuContext,
    linears: readonly LinearInfo[],
    plan: ReadonlyMap<string, LinearQuant>,
    o: AdaQatOptions,
  ) {
    const quantized = linears.filter((l) => plan.has(l.name));
    const max = o.maxBits ?? 8;
    super(ctx, quantized.map((l) => {
      const q = plan.get(l.name)!;
      return { name: l.name, n: l.N * l.K, weightBits: Math.min(q.bits, max), actBits: q.act ? Math.min(q.actBits ?? 8, max) : null };
    }), o);
  }

  /** Binds the training graph (planned with adaptivePlan) whose range constants this drives. */
  attachLlama(t: LlamaTrainGraph): void {
    const ranges = t.ops.ranges;
    this.attach(t.graph, this.layers.map((l) => ({ weight: ranges.get(l.name), act: ranges.get(`${l.name}.input`) })));
  }

  /** The plan at the chosen bit-widths (fixed ranges): what PTQ is measured at and what convert writes. */
  chosenPlan(plan: ReadonlyMap<string, LinearQuant>): Map<string, LinearQuant> {
    const c = this.bits();
    const out = new Map<string, LinearQuant>();
    for (const [name, q] of plan) {
      const i = this.layers.findIndex((l) => l.name === name);
      const { adaptive: _w, actAdaptive: _a, ...rest } = q;
      out.set(name, { ...rest, bits: c[i].weight!, ...(q.act ? { actBits: c[i].act! } : {}) });
    }
    return out;
  }

  result(): LmAdaQatResult {
    const r = this.report();
    const bits = Object.fromEntries(this.layers.map((l, i) => [l.name, r.weightBits[i]!]));
    const n = this.layers.reduce((s, l) => s + l.n, 0);
    const act = this.bits();
    const inputBits = this.layers.some((l) => l.actBits !== null) ? Object.fromEntries(this.layers.map((l, i) => [l.name, act[i].act!])) : undefined;
    return { ...r, bits, ...(inputBits ? { inputBits } : {}), meanBits: this.layers.reduce((s, l, i) => s + l.n * r.weightBits[i]!, 0) / n };
  }
}
