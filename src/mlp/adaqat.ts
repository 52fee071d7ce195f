// AdaQAT on the digits MLP: the bit-width rule and its probes are src/train/adaqat.ts (GraphAdaQat, model-agnostic);
// here the MLP's quantizers (LayerQuant per layer) map to its layers: weights (`w{i}`, n = out * in) and, where a
// layer fake-quantizes its input per token, activations. The training graph is built with `trainingQuant()`:
// every adapted quantizer planned at maxBits with its run-time range (`w{i}.qrange`, `a{i}.qrange`).
import type { GpuContext } from '../gpu/context.js';
import type { LayerQuant, MlpGraph } from '../nn/mlp.js';
import { AdaQatError, GraphAdaQat, type AdaQatOptions } from '../train/adaqat.js';

export type { AdaQatOptions, AdaQatReport } from '../train/adaqat.js';

export class AdaQat extends GraphAdaQat {
  constructor(
    ctx: GpuContext,
    private readonly base: readonly (LayerQuant | null)[],
    sizes: readonly number[],
    o: AdaQatOptions = {},
  ) {
    if (base.length !== sizes.length - 1) throw new AdaQatError(`adaqat: ${base.length} layer quantizers for ${sizes.length - 1} layers`);
    if (base.some((q) => q?.weight?.learn || q?.act?.learn)) throw new AdaQatError('adaqat: AdaQAT drives the dynamic quantizers; it cannot be combined with learned (LSQ) quantizers or PACT');
    if (base.some((q) => q?.weight?.format)) throw new AdaQatError('adaqat: AdaQAT chooses the bit-widths; a GGUF format (QatConfig.format) fixes them, so the two cannot be combined');
    super(ctx, base.map((q, i) => ({ name: `layer ${i}`, n: sizes[i + 1] * sizes[i], weightBits: q?.weight?.bits ?? null, actBits: q?.act?.bits ?? null })), o);
  }

  /** The quantizers at the current bit-widths (ceil b), as fixed LayerQuant: what the model converts at. */
  quant(): (LayerQuant | null)[] {
    const b = this.bits();
    return this.base.map((q, i) => (q ? { weight: q.weight ? { ...q.weight, bits: b[i].weight! } : null, act: q.act ? { ...q.act, bits: b[i].act! } : null } : null));
  }

  /** The quantizers the training graph is built with: the adapted ones at maxBits, reading their run-time ranges. */
  trainingQuant(): (LayerQuant | null)[] {
    const wide = <T extends { bits: number }>(x: T, adapted: boolean): T => (adapted ? { ...x, bits: this.maxBits, adaptive: true } : x);
    return this.base.map((q, i) => (q ? { weight: q.weight ? wide(q.weight, this.weight[i] !== null) : null, act: q.act ? wide(q.act, this.act[i] !== null) : null } : null));
  }

  /** Binds a graph built with trainingQuant() and writes the current bit-widths into its ranges. */
  attachMlp(mg: MlpGraph): void {
    this.attach(mg.graph, this.base.map((_, i) => ({ weight: mg.ranges.get(`w${i}.qrange`), act: mg.ranges.get(`a${i}.qrange`) })));
  }
}
