// QAT workflow, as torchao's quantizers: prepare (Linear -> fake-quantized Linear) -> train -> convert (real
// low-bit weights that run on the fused kernels). Weight fake-quant uses the symmetric per-group rule
// max|w| / ((qmax - qmin) / 2) (torchao's int4: max|w| / 7.5, codes in [-8, 7]); convert computes its codes and
// scales with the very same GPU kernels (fake_quant_qparams + fake_quant with codes), so the converted weights
// dequantize to exactly the fake-quantized weights.
import type { GpuContext } from '../gpu/context.js';
import { runDispatches, type Dispatch } from '../kernels/common.js';
import { planFakeQuant, planFakeQuantQParams } from '../kernels/fake_quant.js';
import { planMatmulQ, type QuantWeightBuffers } from '../kernels/matmul.js';
import { qRange } from '../ref/fake_quant.js';
import { packCodes, unpackCodes, wordsPerRow, type Bits } from '../quant/layout.js';
import { ggufScheme } from '../quant/gguf.js';
import { destroyQuantized, downloadQuantized, quantizeWeights } from '../kernels/quant.js';
import { buildMlp, type LayerQuant, type MlpWeights } from '../nn/mlp.js';
import type { Executable } from '../graph/executor.js';

export interface QatConfig {
  /** Weight bits (2..8, default 4) and group size along K (default 32; 0 = per channel). */
  bits?: number;
  group?: number;
  /** Fake-quantize each layer's input activations per token (int8 asymmetric, torchao's 8da4w). */
  act?: boolean;
  /** Layers kept in f32 (e.g. [0, last] to keep the first and last layer in higher precision). */
  keepFloat?: number[];
  /** Mixed precision: per-layer overrides. */
  perLayer?: Record<number, { bits?: number; group?: number; act?: boolean }>;
  /**
   * GGUF export target: weights fake-quantize with that block type's own scale rule (Q4_0: 4-bit, Q8_0: 8-bit,
   * group 32, f16 d; ops.fakeQuantGguf) and convert stores exactly those codes and scales, so the GGUF file
   * (exportMlpGguf) holds the trained weights losslessly. Forces bits 4/8 and group 32; a conflicting bits/group is an error.
   */
  format?: 'Q4_0' | 'Q8_0';
}

export interface MlpModel {
  weights: MlpWeights;
  /** Per layer: its QAT quantizers (null: f32). Empty for a float model. */
  quant: (LayerQuant | null)[];
}

/** The bits a GGUF format forces (checking `config.bits` / `config.group` agree), or null without a format. */
function formatBits(config: QatConfig): number | null {
  const f = config.format;
  if (f === undefined) return null;
  if (f !== 'Q4_0' && f !== 'Q8_0') throw new Error(`prepare: format '${f}' is not Q4_0 or Q8_0`);
  const bits = f === 'Q4_0' ? 4 : 8;
  if (config.bits !== undefined && config.bits !== bits) throw new Error(`prepare: format ${f} is ${bits}-bit, but bits=${config.bits} was given`);
  if (config.group !== undefined && config.group !== 32) throw new Error(`prepare: format ${f} uses blocks of 32 along K, but group=${config.group} was given`);
  return bits;
}

/** prepare: the layer-by-layer QAT configuration of `weights` (torchao's quantizer.prepare). */
export function prepare(weights: MlpWeights, config: QatConfig = {}): MlpModel {
  const L = weights.sizes.length - 1;
  const fbits = formatBits(config);
  const quant = Array.from({ length: L }, (_, i): LayerQuant | null => {
    if (config.keepFloat?.includes(i)) return null;
    const o = { bits: config.bits ?? fbits ?? 4, group: config.group ?? 32, act: config.act ?? false, ...config.perLayer?.[i] };
    if (fbits !== null && (o.bits !== fbits || o.group !== 32)) throw new Error(`prepare: layer ${i}: format ${config.format} needs ${fbits}-bit group 32, perLayer gives ${o.bits}-bit group ${o.group}`);
    const K = weights.sizes[i];
    const group = o.group === 0 ? K : o.group;
    if (!Number.isInteger(o.bits) || o.bits < 2 || o.bits > 8) throw new Error(`prepare: layer ${i}: bits=${o.bits} is not an integer in 2..8`);
    if (!Number.isInteger(group) || group <= 0 || K % group !== 0) throw new Error(`prepare: layer ${i}: group size ${group} does not divide K=${K} (w${i} is [${weights.sizes[i + 1]}, ${K}])`);
    return { weight: { bits: o.bits, group, ...(config.format ? { format: config.format } : {}) }, act: o.act ? { bits: 8 } : null };
  });
  return { weights, quant };
}

export interface QuantizedLayer {
  N: number;
  K: number;
  /** null: the layer stayed in f32 (`w` holds it). */
  bits: number | null;
  group: number;
  /** Unsigned codes u = q + 2^(bits-1), [N, K] (symmetric). */
  codes?: Uint8Array;
  /** [N, K / group] f32. */
  scales?: Float32Array;
  w?: Float32Array;
  bias: Float32Array;
  act: { bits: number } | null;
}

export interface QuantizedMlp {
  sizes: number[];
  layers: QuantizedLayer[];
}

/** Bytes the converted model takes: packed codes + f32 scales + biases (+ f32 weights of float layers). */
export function modelBytes(q: QuantizedMlp): number {
  return q.layers.reduce((s, l) => s + 4 * l.N + (l.bits === null ? 4 * l.N * l.K : 4 * l.N * wordsPerRow(l.K, l.bits as Bits) + 4 * l.N * (l.K / l.group)), 0);
}

export function floatBytes(w: MlpWeights): number {
  return w.w.reduce((s, x) => s + 4 * x.length, 0) + w.b.reduce((s, x) => s + 4 * x.length, 0);
}

/** convert: real low-bit weights (codes + scales) from the master weights, with the fake-quant kernels' numerics. */
export async function convert(ctx: GpuContext, model: MlpModel): Promise<QuantizedMlp> {
  const { sizes, w, b } = model.weights;
  const layers: QuantizedLayer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const N = sizes[i + 1];
    const K = sizes[i];
    const q = model.quant[i] ?? null;
    if (!q?.weight) {
      layers.push({ N, K, bits: null, group: K, w: w[i].slice(), bias: b[i].slice(), act: q?.act ?? null });
      continue;
    }
    if (q.weight.format) {
      layers.push({ N, K, ...(await convertGguf(ctx, w[i], N, K, q.weight.format, `w${i}`)), bias: b[i].slice(), act: q.act });
      continue;
    }
    const { bits, group } = q.weight;
    const { qmin, qmax } = qRange(bits, true);
    const C = N * (K / group);
    const spec = { shape: [N, K], granularity: { kind: 'group' as const, group }, bits, qmin, qmax };
    const bufs = { x: ctx.createBuffer(w[i]), scale: ctx.createBuffer(4 * C), zero_point: ctx.createBuffer(4 * C), y: ctx.createBuffer(4 * N * K), codes: ctx.createBuffer(4 * N * K) };
    const qp = { x: bufs.x, scale: bufs.scale, zero_point: bufs.zero_point };
    await runDispatches(ctx, [await planFakeQuantQParams(ctx, qp, { ...spec, mode: 'symmetric' }), await planFakeQuant(ctx, bufs, spec)]);
    const codesI = await ctx.readI32(bufs.codes, N * K);
    const scales = await ctx.readF32(bufs.scale, C);
    Object.values(bufs).forEach((x) => x.destroy());
    const off = 2 ** (bits - 1);
    layers.push({ N, K, bits, group, codes: Uint8Array.from(codesI, (c) => c + off), scales, bias: b[i].slice(), act: q.act });
  }
  return { sizes: [...sizes], layers };
}

/**
 * A GGUF-format layer's codes and scales from the GPU weight quantizer (the kernel fake_quant_gguf runs): unsigned
 * codes in nibble's symmetric layout (Q4_0: u = ggml's q, value (u - 8) * d; Q8_0: u = q + 128, value (u - 128) * d)
 * and the f16-rounded d as f32 (Q4_0's d may be negative: (u - 8) * d is still ggml's value).
 */
export async function convertGguf(ctx: GpuContext, w: Float32Array, N: number, K: number, format: 'Q4_0' | 'Q8_0', tensor = 'w'): Promise<{ bits: number; group: number; codes: Uint8Array; scales: Float32Array }> {
  const scheme = ggufScheme(format);
  const W = ctx.createBuffer(w, undefined, tensor);
  try {
    const g = await quantizeWeights(ctx, W, N, K, scheme, tensor);
    try {
      const q = await downloadQuantized(ctx, g);
      return { bits: scheme.bits, group: 32, codes: unpackCodes(q.codes, N, K, scheme.bits), scales: q.scales };
    } finally {
      destroyQuantized(g);
    }
  } finally {
    W.destroy();
  }
}

/** The dequantized f32 weights of a converted model (for the float fallback path and references). */
export function dequantizeLayer(l: QuantizedLayer): Float32Array {
  if (l.bits === null) return l.w!;
  const off = 2 ** (l.bits - 1);
  const out = new Float32Array(l.N * l.K);
  const gpr = l.K / l.group;
  for (let n = 0; n < l.N; n++) for (let k = 0; k < l.K; k++) out[n * l.K + k] = Math.fround((l.codes![n * l.K + k] - off) * l.scales![n * gpr + Math.floor(k / l.group)]);
  return out;
}

/**
 * Runs a converted MLP for `batch` rows. 4- and 8-bit layers run on the fused dequant matmul (W4A16 / W8A16 with
 * f32 activations, bias and SiLU fused); other widths (2, 3 bits: no fused kernel) run as f32 matmuls of the
 * dequantized weights through the graph executor. Per-token activation quantization uses the fake-quant kernels
 * (quantize then dequantize per token), as the QAT model did.
 */
export class QuantizedMlpRunner {
  private constructor(
    private readonly ctx: GpuContext,
    readonly q: QuantizedMlp,
    readonly batch: number,
    private readonly x: GPUBuffer,
    private readonly out: GPUBuffer,
    private readonly dispatches: Dispatch[] | null,
    private readonly fallback: { exe: Executable; logits: import('../graph/tensor.js').Tensor; destroy: () => void } | null,
    private readonly owned: GPUBuffer[],
    readonly variant: string,
  ) {}

  static async create(ctx: GpuContext, q: QuantizedMlp, batch: number): Promise<QuantizedMlpRunner> {
    const fused = q.layers.every((l) => l.bits === 4 || l.bits === 8);
    const owned: GPUBuffer[] = [];
    const buf = (d: ArrayBufferView | number) => {
      const b = ctx.createBuffer(d);
      owned.push(b);
      return b;
    };
    if (!fused) {
      const weights: MlpWeights = { sizes: q.sizes, w: q.layers.map(dequantizeLayer), b: q.layers.map((l) => l.bias) };
      const mg = buildMlp(ctx, weights, { batch, quant: q.layers.map((l) => (l.act ? { weight: null, act: l.act } : null)), label: 'converted' });
      const exe = await mg.graph.compile({ outputs: [mg.logits] });
      const x = mg.graph.persistentBuffer(mg.x.storage);
      return new QuantizedMlpRunner(ctx, q, batch, x, x, null, { exe, logits: mg.logits, destroy: () => mg.graph.destroy() }, owned, q.layers.every((l) => l.bits === null) ? 'f32 matmul (float model)' : 'dequantized f32 matmul (no fused kernel for these bit widths)');
    }
    const x = buf(4 * batch * q.sizes[0]);
    let h = x;
    const ds: Dispatch[] = [];
    for (const [i, l] of q.layers.entries()) {
      if (l.act) {
        const { qmin, qmax } = qRange(l.act.bits, false);
        const spec = { shape: [batch, l.K], granularity: { kind: 'token' as const }, bits: l.act.bits, qmin, qmax };
        const b = { x: h, scale: buf(4 * batch), zero_point: buf(4 * batch), y: buf(4 * batch * l.K) };
        ds.push(await planFakeQuantQParams(ctx, { x: b.x, scale: b.scale, zero_point: b.zero_point }, { ...spec, mode: 'asymmetric' }), await planFakeQuant(ctx, b, spec));
        h = b.y;
      }
      const w: QuantWeightBuffers = { bits: l.bits as 4 | 8, N: l.N, K: l.K, group: l.group, mode: 'symmetric', codes: buf(packCodes(l.codes!, l.N, l.K, l.bits as Bits)), scales: buf(l.scales!) };
      const y = buf(4 * batch * l.N);
      ds.push(...(await planMatmulQ(ctx, h, w, y, { M: batch, xType: 'f32', bias: buf(l.bias), activation: i + 1 < q.layers.length ? 'silu' : 'none' })));
      h = y;
    }
    const bits = [...new Set(q.layers.map((l) => l.bits))].join('/');
    return new QuantizedMlpRunner(ctx, q, batch, x, h, ds, null, owned, `fused W${bits}A16 matmul (f32 activations), bias + SiLU epilogue`);
  }

  /** Logits [batch, classes] for x [batch, in]. */
  async run(x: Float32Array): Promise<Float32Array> {
    const classes = this.q.sizes[this.q.sizes.length - 1];
    if (x.length !== this.batch * this.q.sizes[0]) throw new Error(`QuantizedMlpRunner: x has ${x.length} values, expected [${this.batch}, ${this.q.sizes[0]}]`);
    if (this.fallback) {
      await this.fallback.exe.run({ x });
      return (await this.fallback.exe.read(this.fallback.logits)) as Float32Array;
    }
    this.ctx.write(this.x, x);
    await runDispatches(this.ctx, this.dispatches!);
    return this.ctx.readF32(this.out, this.batch * classes);
  }

  destroy(): void {
    this.fallback?.destroy();
    this.owned.forEach((b) => b.destroy());
  }
}

/** The float model as a QuantizedMlp whose layers all have bits null (what the model file stores for f32). */
export function floatModel(w: MlpWeights): QuantizedMlp {
  return {
    sizes: [...w.sizes],
    layers: w.w.map((wi, i) => ({ N: w.sizes[i + 1], K: w.sizes[i], bits: null, group: w.sizes[i], w: wi.slice(), bias: w.b[i].slice(), act: null })),
  };
}

/** The f32 weights of a model file (dequantized for low-bit layers): a starting point for training. */
export function weightsOf(q: QuantizedMlp): MlpWeights {
  return { sizes: [...q.sizes], w: q.layers.map((l) => dequantizeLayer(l).slice()), b: q.layers.map((l) => l.bias.slice()) };
}
