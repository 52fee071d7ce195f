// QAT workflow, as torchao's quantizers: prepare (Linear -> fake-quantized Linear) -> train -> convert (real
// low-bit weights that run on the fused kernels). Weight fake-quant uses the symmetric per-group rule
// max|w| / ((qmax - qmin) / 2) (torchao's int4: max|w| / 7.5, codes in [-8, 7]); convert computes its codes and
// scales with the very same GPU kernels (fake_quant_qparams + fake_quant with codes), so the converted weights
// dequantize to exactly the fake-quantized weights.
import type { GpuContext } from '../gpu/context.js';
import { runDispatches, type Dispatch } from '../kernels/common.js';
import { planFakeQuant, planFakeQuantQParams, planPact } from '../kernels/fake_quant.js';
import { planMatmulQ, type QuantWeightBuffers } from '../kernels/matmul.js';
import { fakeQuantLayout, qparamsRef, qRange, roundedZeroPoint } from '../ref/fake_quant.js';
import { mlpForwardRef } from '../ref/mlp.js';
import { containerBits, packCodes, unpackCodes, wordsPerRow } from '../quant/layout.js';
import { ggufScheme } from '../quant/gguf.js';
import { toF16Array } from '../quant/f16.js';
import { destroyQuantized, downloadQuantized, quantizeWeights } from '../kernels/quant.js';
import { quantizeLinear } from '../train/qat_plan.js';
import { buildMlp, type LayerQuant, type MlpWeights, type QParams } from '../nn/mlp.js';
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
   * Learned quantizers instead of the dynamic ones: LSQ weight scales per group (initialised to the absmax scale,
   * so training starts from the PTQ model) and, with `act`, LSQ+ per-tensor activation scale and zero point
   * (initialised from the activation range on `calibration` rows). Gradients: PyTorch's
   * _fake_quantize_learnable_per_channel_affine with LSQ's g = 1 / sqrt(elements per scale * qmax).
   */
  learn?: boolean;
  /**
   * With `act`: PACT activation quantizers (a learned clip alpha per layer input, initialised to the largest input
   * value on `calibration` rows; unsigned codes over [0, alpha], so negative inputs clip to 0) instead of the
   * dynamic per-token ones (or LSQ+ with `learn`).
   */
  pact?: boolean;
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
  /** The learned quantizer parameters (with `learn`), by name: w{i}.scale, a{i}.scale, a{i}.zero_point. */
  qparams?: QParams;
}

/** The bits a GGUF format forces (checking `config.bits` / `config.group` agree), or null without a format. */
function formatBits(config: QatConfig): number | null {
  const f = config.format;
  if (f === undefined) return null;
  if (f !== 'Q4_0' && f !== 'Q8_0') throw new Error(`prepare: format '${f}' is not Q4_0 or Q8_0`);
  if (config.learn) throw new Error(`prepare: format ${f} fixes the scale rule (ggml's d), so it cannot be combined with learn (LSQ's learned scales)`);
  const bits = f === 'Q4_0' ? 4 : 8;
  if (config.bits !== undefined && config.bits !== bits) throw new Error(`prepare: format ${f} is ${bits}-bit, but bits=${config.bits} was given`);
  if (config.group !== undefined && config.group !== 32) throw new Error(`prepare: format ${f} uses blocks of 32 along K, but group=${config.group} was given`);
  return bits;
}

/** prepare: the layer-by-layer QAT configuration of `weights` (torchao's quantizer.prepare). */
export function prepare(weights: MlpWeights, config: QatConfig = {}, calibration?: { x: Float32Array; rows: number }): MlpModel {
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
    return {
      weight: { bits: o.bits, group, ...(config.learn ? { learn: true } : {}), ...(config.format ? { format: config.format } : {}) },
      act: o.act ? { bits: 8, ...(config.pact ? { learn: 'pact' as const } : config.learn ? { learn: true } : {}) } : null,
    };
  });
  if (config.pact && !config.act) throw new Error('prepare: pact is an activation quantizer: it needs act: true');
  if (!config.learn && !config.pact) return { weights, quant };
  const qparams: QParams = {};
  const needAct = quant.some((q) => q?.act);
  if (needAct && !(calibration && calibration.rows > 0 && calibration.x.length >= calibration.rows * weights.sizes[0])) {
    throw new Error(`prepare: learned activation quantizers need calibration rows (x [rows, ${weights.sizes[0]}]) to initialise their range`);
  }
  const { rows, x } = calibration ?? { rows: 0, x: new Float32Array(0) };
  const inputs = needAct ? mlpForwardRef(weights.sizes, weights.w, weights.b, x.subarray(0, rows * weights.sizes[0]), rows).inputs.map((v) => Float32Array.from(v)) : [];
  quant.forEach((q, i) => {
    if (q?.weight?.learn) {
      const { qmin, qmax } = qRange(q.weight.bits, true);
      const shape = [weights.sizes[i + 1], weights.sizes[i]];
      qparams[`w${i}.scale`] = qparamsRef(weights.w[i], fakeQuantLayout(shape, { kind: 'group', group: q.weight.group }), qmin, qmax, 'symmetric').scale;
    }
    if (q?.act?.learn === 'pact') {
      const mx = inputs[i].reduce((m, v) => Math.max(m, v), 0);
      qparams[`a${i}.alpha`] = Float32Array.of(mx > 0 ? mx : 1);
    } else if (q?.act?.learn) {
      const { qmin, qmax } = qRange(q.act.bits, false);
      const r = qparamsRef(inputs[i], fakeQuantLayout([inputs[i].length], { kind: 'tensor' }), qmin, qmax, 'asymmetric');
      qparams[`a${i}.scale`] = r.scale;
      qparams[`a${i}.zero_point`] = r.zeroPoint;
    }
  });
  return { weights, quant, qparams };
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
  /** Per-token dynamic activation fake-quant, or with scale / zeroPoint a learned (LSQ+) per-tensor one, or with alpha PACT's learned clip. */
  act: { bits: number; scale?: number; zeroPoint?: number; alpha?: number } | null;
}

export interface QuantizedMlp {
  sizes: number[];
  layers: QuantizedLayer[];
}

/** Bytes the converted model takes: packed codes + f32 scales + biases (+ f32 weights of float layers). */
export function modelBytes(q: QuantizedMlp): number {
  return q.layers.reduce((s, l) => s + 4 * l.N + (l.bits === null ? 4 * l.N * l.K : 4 * l.N * wordsPerRow(l.K, containerBits(l.bits)) + 4 * l.N * (l.K / l.group)), 0);
}

export function floatBytes(w: MlpWeights): number {
  return w.w.reduce((s, x) => s + 4 * x.length, 0) + w.b.reduce((s, x) => s + 4 * x.length, 0);
}

/** convert: real low-bit weights (codes + scales) from the master weights, with the fake-quant kernels' numerics. */
export async function convert(ctx: GpuContext, model: MlpModel): Promise<QuantizedMlp> {
  const { sizes, w, b } = model.weights;
  const layers: QuantizedLayer[] = [];
  const learned = (name: string) => {
    const v = model.qparams?.[name];
    if (!v) throw new Error(`convert: learned quantizer parameter '${name}' is missing from the model`);
    return v;
  };
  for (let i = 0; i + 1 < sizes.length; i++) {
    const N = sizes[i + 1];
    const K = sizes[i];
    const q = model.quant[i] ?? null;
    const act: QuantizedLayer['act'] = !q?.act
      ? null
      : q.act.learn === 'pact'
        ? { bits: q.act.bits, alpha: learned(`a${i}.alpha`)[0] }
        : q.act.learn
          ? { bits: q.act.bits, scale: learned(`a${i}.scale`)[0], zeroPoint: learned(`a${i}.zero_point`)[0] }
          : { bits: q.act.bits };
    if (act?.alpha !== undefined && !(act.alpha > 0 && Number.isFinite(act.alpha))) throw new Error(`convert: layer ${i}: learned PACT clip a${i}.alpha = ${act.alpha} is not a positive finite number`);
    if (act?.scale !== undefined) {
      const { qmin, qmax } = qRange(act.bits, false);
      if (!(act.scale > 0 && Number.isFinite(act.scale))) throw new Error(`convert: layer ${i}: learned activation scale a${i}.scale = ${act.scale} is not a positive finite number`);
      // The kernels use the zero point rounded (half to even) and clamped, as PyTorch's learnable fake-quant.
      act.zeroPoint = roundedZeroPoint(act.zeroPoint!, qmin, qmax);
    }
    if (!q?.weight) {
      layers.push({ N, K, bits: null, group: K, w: w[i].slice(), bias: b[i].slice(), act });
      continue;
    }
    if (q.weight.format) {
      layers.push({ N, K, ...(await convertGguf(ctx, w[i], N, K, q.weight.format, `w${i}`)), bias: b[i].slice(), act });
      continue;
    }
    const { bits, group } = q.weight;
    // The very kernels QAT ran (src/train/qat_plan.ts quantizeLinear), with the learned LSQ scales when there are some.
    const { codes: codesI, scales } = await quantizeLinear(ctx, w[i], N, K, { bits, group, learn: q.weight.learn }, `w${i}`, q.weight.learn ? learned(`w${i}.scale`) : undefined);
    const off = 2 ** (bits - 1);
    layers.push({ N, K, bits, group, codes: Uint8Array.from(codesI, (c) => c + off), scales, bias: b[i].slice(), act });
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
 * Runs a converted MLP for `batch` rows. 4..8-bit layers run on the fused dequant matmul (W4A16 / W8A16 with
 * f32 activations, bias and SiLU fused; 5..7-bit codes in the 8-bit kernel, re-offset); other widths (2, 3 bits:
 * no fused kernel) run as f32 matmuls of the dequantized weights through the graph executor. Activation
 * quantization uses the fake-quant kernels (per token from the data, or per tensor with the learned LSQ+ scale and
 * zero point), as the QAT model did.
 * With `activations: 'f16'` a weight-only model is served as W4A16 / W8A16 proper: x is rounded to f16 on the way
 * in, every layer reads f16 activations and writes f16 ones (the kernels round their f32 accumulators), and the last
 * layer writes f32 logits. 'auto' takes f16 where the model allows it (every layer fused, no activation
 * quantization), else f32; the default 'f32' keeps the converted model equal to the fake-quant one to f32 tolerance.
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
    /** The element type of the activations between layers (and of x on the GPU). */
    readonly activations: 'f32' | 'f16' = 'f32',
  ) {}

  /** Why `q` cannot run with f16 activations, or null where it can. */
  static f16Refusal(q: QuantizedMlp): string | null {
    const i = q.layers.findIndex((l) => l.bits === null || l.bits < 4);
    if (i >= 0) return `layer ${i} is ${q.layers[i].bits === null ? 'f32' : `${q.layers[i].bits}-bit`}: the fused kernels take 4..8-bit weights`;
    const a = q.layers.findIndex((l) => l.act);
    if (a >= 0) return `layer ${a} quantizes its activations to ${q.layers[a].act!.bits} bits, as its QAT model did in f32`;
    return null;
  }

  static async create(ctx: GpuContext, q: QuantizedMlp, batch: number, opts: { activations?: 'f32' | 'f16' | 'auto' } = {}): Promise<QuantizedMlpRunner> {
    const want = opts.activations ?? 'f32';
    if (!['f32', 'f16', 'auto'].includes(want)) throw new Error(`QuantizedMlpRunner: activations '${want}' is not f32, f16 or auto`);
    const refusal = QuantizedMlpRunner.f16Refusal(q);
    if (want === 'f16' && refusal) throw new Error(`QuantizedMlpRunner: f16 activations serve weight-only models with 4..8-bit layers: ${refusal}`);
    const f16 = want === 'f16' || (want === 'auto' && !refusal);
    const fused = q.layers.every((l) => l.bits !== null && l.bits >= 4);
    const owned: GPUBuffer[] = [];
    const buf = (d: ArrayBufferView | number) => {
      const b = ctx.createBuffer(d);
      owned.push(b);
      return b;
    };
    if (!fused) {
      const weights: MlpWeights = { sizes: q.sizes, w: q.layers.map(dequantizeLayer), b: q.layers.map((l) => l.bias) };
      const qparams: QParams = {};
      q.layers.forEach((l, i) => {
        if (l.act?.alpha !== undefined) qparams[`a${i}.alpha`] = Float32Array.of(l.act.alpha);
        if (l.act?.scale === undefined) return;
        qparams[`a${i}.scale`] = Float32Array.of(l.act.scale);
        qparams[`a${i}.zero_point`] = Float32Array.of(l.act.zeroPoint!);
      });
      const quant = q.layers.map((l) => (l.act ? { weight: null, act: { bits: l.act.bits, ...(l.act.alpha !== undefined ? { learn: 'pact' as const } : l.act.scale !== undefined ? { learn: true } : {}) } } : null));
      const mg = buildMlp(ctx, weights, { batch, quant, qparams, label: 'converted' });
      const exe = await mg.graph.compile({ outputs: [mg.logits] });
      const x = mg.graph.persistentRange(mg.x.storage).buffer; // an input: a buffer of its own
      return new QuantizedMlpRunner(ctx, q, batch, x, x, null, { exe, logits: mg.logits, destroy: () => mg.graph.destroy() }, owned, q.layers.every((l) => l.bits === null) ? 'f32 matmul (float model)' : 'dequantized f32 matmul (no fused kernel for these bit widths)');
    }
    // f16 activations: pairs in u32 words, [rows, features] row-major.
    const actBytes = (n: number) => (f16 ? 4 * Math.ceil((batch * n) / 2) : 4 * batch * n);
    const x = buf(actBytes(q.sizes[0]));
    let h = x;
    const ds: Dispatch[] = [];
    for (const [i, l] of q.layers.entries()) {
      if (l.act?.alpha !== undefined) {
        const y = buf(4 * batch * l.K);
        ds.push(await planPact(ctx, { x: h, alpha: buf(Float32Array.of(l.act.alpha)), y }, { shape: [batch, l.K], granularity: { kind: 'tensor' }, bits: l.act.bits }));
        h = y;
      } else if (l.act?.scale !== undefined) {
        const { qmin, qmax } = qRange(l.act.bits, false);
        const spec = { shape: [batch, l.K], granularity: { kind: 'tensor' as const }, bits: l.act.bits, qmin, qmax };
        const b = { x: h, scale: buf(Float32Array.of(l.act.scale)), zero_point: buf(Float32Array.of(l.act.zeroPoint!)), y: buf(4 * batch * l.K) };
        ds.push(await planFakeQuant(ctx, b, spec));
        h = b.y;
      } else if (l.act) {
        const { qmin, qmax } = qRange(l.act.bits, false);
        const spec = { shape: [batch, l.K], granularity: { kind: 'token' as const }, bits: l.act.bits, qmin, qmax };
        const b = { x: h, scale: buf(4 * batch), zero_point: buf(4 * batch), y: buf(4 * batch * l.K) };
        ds.push(await planFakeQuantQParams(ctx, { x: b.x, scale: b.scale, zero_point: b.zero_point }, { ...spec, mode: 'asymmetric' }), await planFakeQuant(ctx, b, spec));
        h = b.y;
      }
      const c = containerBits(l.bits!) as 4 | 8;
      const shift = 2 ** (c - 1) - 2 ** (l.bits! - 1); // 5..7-bit codes re-offset into the 8-bit kernel's u = q + 128
      const codes = shift ? Uint8Array.from(l.codes!, (u) => u + shift) : l.codes!;
      const w: QuantWeightBuffers = { bits: c, N: l.N, K: l.K, group: l.group, mode: 'symmetric', codes: buf(packCodes(codes, l.N, l.K, c)), scales: buf(l.scales!) };
      const last = i + 1 === q.layers.length;
      const yF16 = f16 && !last;
      const y = buf(yF16 ? actBytes(l.N) : 4 * batch * l.N);
      ds.push(...(await planMatmulQ(ctx, h, w, y, { M: batch, xType: f16 ? 'f16' : 'f32', yType: yF16 ? 'f16' : 'f32', bias: buf(l.bias), activation: last ? 'none' : 'silu' })));
      h = y;
    }
    const bits = [...new Set(q.layers.map((l) => l.bits))].join('/');
    const acts = f16 ? 'f16 activations, f32 logits' : 'f32 activations';
    return new QuantizedMlpRunner(ctx, q, batch, x, h, ds, null, owned, `fused W${bits}A16 matmul (${acts}), bias + SiLU epilogue`, f16 ? 'f16' : 'f32');
  }

  /** Logits [batch, classes] for x [batch, in]. */
  async run(x: Float32Array): Promise<Float32Array> {
    const classes = this.q.sizes[this.q.sizes.length - 1];
    if (x.length !== this.batch * this.q.sizes[0]) throw new Error(`QuantizedMlpRunner: x has ${x.length} values, expected [${this.batch}, ${this.q.sizes[0]}]`);
    if (this.fallback) {
      await this.fallback.exe.run({ x });
      return (await this.fallback.exe.read(this.fallback.logits)) as Float32Array;
    }
    if (this.activations === 'f16') {
      const bits = new Uint16Array(x.length + (x.length & 1)); // whole u32 words: writeBuffer takes multiples of 4 bytes
      bits.set(toF16Array(x));
      this.ctx.write(this.x, bits);
    } else this.ctx.write(this.x, x);
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
