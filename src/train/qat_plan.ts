// QAT on any model built from Linear layers, by the layers' names (torchao's quantizer.prepare / convert, made
// model-agnostic): prepareLinears picks each Linear's fake-quant form from a config (all Linear layers but those
// matched by `keepFloat` patterns), initLsqScales gives LSQ's learned scales their PTQ start, and
// convertLinearGguf turns a trained weight into the GGUF blocks that hold what QAT trained against:
//   - format Q4_0 / Q8_0: ggml's own rule, quantized by the same GPU kernel the fake-quant runs: bit for bit;
//   - the torchao rule (or LSQ) at b <= 4 bits in Q4_0 blocks, 5..8 bits in Q8_0 blocks, group a multiple of 32:
//     the codes exactly (a b-bit symmetric code fits the block's range), the per-group scale rounded to f16
//     (the block's d), which is the only difference from the fake-quant weights (at most 2^-11 of a scale step);
//     the midrise grid (2..3 bits) as codes 2q + 1 at d = s / 2 in Q4_0 blocks, likewise.
// convertLinear(s) make the codes and scales the Linear layer runs on the fused kernels (src/nn/layers.ts).
// Nothing here knows a particular model: the Llama (src/lm/qat.ts) and any model built from src/nn/layers.ts
// (linearInfos) use it by weight name.
import type { GpuContext } from '../gpu/context.js';
import { runDispatches } from '../kernels/common.js';
import { planFakeQuant, planFakeQuantQParams } from '../kernels/fake_quant.js';
import { destroyQuantized, downloadQuantized, quantizeWeights } from '../kernels/quant.js';
import type { LinearQuant } from '../nn/linear_quant.js';
import { fakeQuantLayout, qparamsRef, qRange } from '../ref/fake_quant.js';
import { roundF16 } from '../quant/f16.js';
import { mseGroupScales } from '../quant/mse_scale.js';
import { exportGguf, ggufScheme } from '../quant/gguf.js';
import { packCodes } from '../quant/layout.js';
import { makeScheme, type QuantizedTensor } from '../quant/scheme.js';

export class QatConfigError extends Error {}

/** A Linear layer of a model: its weight's name and shape [N, K]. */
export interface LinearInfo {
  name: string;
  N: number;
  K: number;
}

/** How a Linear's weight is fake-quantized: a bit-width and group (the torchao rule or LSQ), or a GGUF format. */
export interface LinearRule {
  /** Weight bits, 2..8 (default 4, or the format's). */
  bits?: number;
  /** Group size along K (default 32). */
  group?: number;
  /** A GGUF block type's rule (Q4_0: 4-bit, Q8_0: 8-bit; group 32). */
  format?: 'Q4_0' | 'Q8_0';
  /**
   * 'ste': the dynamic rule (scales recomputed from the weights each step) with the straight-through estimator;
   * 'lsq': learned per-group scales; 'static': the straight-through estimator against per-group scales fixed at
   * the start (lsqInit's: the rule's of the start weights by default), never recomputed or trained (PyTorch's
   * FakeQuantize with its observer disabled from the first step).
   */
  method?: 'ste' | 'lsq' | 'static';
  /**
   * LSQ's scales at the start: 'rule' (default) the torchao rule's, so step 0 is the PTQ model; 'mse' each group's
   * scale minimising the squared error of its weights (src/quant/mse_scale.ts), a better-quantized start.
   */
  lsqInit?: 'rule' | 'mse';
  /**
   * false: asymmetric weights (torchao's asymmetric rule: per group s = (max - min) / (2^b - 1) and an integer zero
   * point, codes in [0, 2^b - 1]), with STE, at 2..4 bits; converted to GGUF Q4_1 blocks (d = s, m = -s * zero point,
   * both f16). Default true: the symmetric rule.
   */
  symmetric?: boolean;
  /**
   * true: the midrise grid (symmetric levels (q + 0.5) * s: 2 bits +-0.5 s, +-1.5 s; no zero level, as many levels
   * each side; ParetoQ's SEQ), STE or LSQ, at 2..3 bits; written as GGUF Q4_0 blocks with codes 2q + 1 and d = s / 2
   * (f16). Default false: the mid-tread grid (codes q, levels q * s, one level more below zero than above).
   */
  midrise?: boolean;
}

export interface LinearQatConfig extends LinearRule {
  /** Fake-quantize every quantized layer's input per token (int8). */
  act?: boolean;
  /** Layers kept in f32: exact names, or patterns with `*` (any run of characters); each must match a layer. */
  keepFloat?: string[];
  /**
   * Per-layer rules over the model-wide one, by name pattern (as keepFloat; each must match a layer; a later rule
   * wins where two match). A rule that names bits or a format replaces the model-wide width or format; its other
   * fields default to the model-wide ones (e.g. `{ pattern: 'output.weight', bits: 8 }` keeps the head at 8 bits;
   * a model-wide midrise grid carries over only to 2..3 bits).
   */
  layers?: (LinearRule & { pattern: string })[];
}

function globToRegExp(p: string): RegExp {
  return new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** A rule checked and resolved: bits, group, format, learn. Errors name `where` and the value at fault. */
function resolveRule(r: LinearRule, where: string): { bits: number; group: number; format?: 'Q4_0' | 'Q8_0'; learn?: true; frozen?: true; lsqInit?: 'mse'; asymmetric?: true; midrise?: true } {
  const { format, method = 'ste', lsqInit = 'rule', symmetric = true, midrise = false } = r;
  if (typeof symmetric !== 'boolean') throw new QatConfigError(`prepare: ${where}symmetric ${JSON.stringify(symmetric)} is not true or false`);
  if (typeof midrise !== 'boolean') throw new QatConfigError(`prepare: ${where}midrise ${JSON.stringify(midrise)} is not true or false`);
  if (lsqInit !== 'rule' && lsqInit !== 'mse') throw new QatConfigError(`prepare: ${where}lsqInit '${lsqInit}' is not rule or mse`);
  if (format !== undefined && format !== 'Q4_0' && format !== 'Q8_0') throw new QatConfigError(`prepare: ${where}format '${format}' is not Q4_0 or Q8_0`);
  if (method !== 'ste' && method !== 'lsq' && method !== 'static') throw new QatConfigError(`prepare: ${where}method '${method}' is not ste, lsq or static`);
  const fbits = format === 'Q4_0' ? 4 : format === 'Q8_0' ? 8 : null;
  if (fbits !== null) {
    if (method !== 'ste') throw new QatConfigError(`prepare: ${where}format ${format} fixes the scale rule (ggml's d), so it cannot be combined with ${method} (${method === 'lsq' ? 'learned' : 'static'} scales)`);
    if (r.bits !== undefined && r.bits !== fbits) throw new QatConfigError(`prepare: ${where}format ${format} is ${fbits}-bit, but bits=${r.bits} was given`);
    if (r.group !== undefined && r.group !== 32) throw new QatConfigError(`prepare: ${where}format ${format} uses blocks of 32 along K, but group=${r.group} was given`);
  }
  const bits = r.bits ?? fbits ?? 4;
  const group = r.group ?? 32;
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new QatConfigError(`prepare: ${where}bits=${bits} is not an integer in 2..8`);
  if (!Number.isInteger(group) || group < 1) throw new QatConfigError(`prepare: ${where}group=${group} is not a positive integer`);
  if (!symmetric) {
    if (fbits !== null) throw new QatConfigError(`prepare: ${where}format ${format} is ggml's symmetric rule; asymmetric weights take bits (2..4) instead`);
    if (method !== 'ste') throw new QatConfigError(`prepare: ${where}asymmetric weights use the dynamic rule with STE; ${method === 'lsq' ? 'LSQ learns' : 'static takes'} symmetric scales (method 'ste' or symmetric weights)`);
    if (bits > 4) throw new QatConfigError(`prepare: ${where}asymmetric weights at bits=${bits}: they are written as GGUF Q4_1 blocks, which hold 2..4-bit asymmetric codes exactly (no GGUF type nibble writes holds ${bits}-bit ones)`);
  }
  if (midrise) {
    if (fbits !== null) throw new QatConfigError(`prepare: ${where}format ${format} is ggml's own grid; the midrise grid takes bits (2..3) instead`);
    if (!symmetric) throw new QatConfigError(`prepare: ${where}the midrise grid is symmetric (levels (q + 0.5) * s, no zero point); it cannot be asymmetric`);
    if (bits > 3) throw new QatConfigError(`prepare: ${where}midrise at bits=${bits}: it is written as GGUF Q4_0 blocks with codes 2q + 1, which hold 2- and 3-bit midrise codes (a ${bits}-bit one needs ${bits + 1}-bit codes)`);
  }
  return { bits, group, ...(format ? { format } : {}), ...(method !== 'ste' ? { learn: true as const, ...(method === 'static' ? { frozen: true as const } : {}), ...(lsqInit === 'mse' ? { lsqInit } : {}) } : {}), ...(symmetric ? {} : { asymmetric: true as const }), ...(midrise ? { midrise: true as const } : {}) };
}

/** The model-wide rule with a per-layer one over it (a width or format given replaces the model-wide one). */
function overRule(base: LinearRule, o: LinearRule): LinearRule {
  const out: LinearRule = { ...base };
  if (o.bits !== undefined || o.format !== undefined) {
    delete out.bits;
    delete out.format;
    if (o.format !== undefined) {
      delete out.group;
      delete out.method;
      delete out.symmetric;
      delete out.midrise;
    }
  }
  for (const k of ['bits', 'group', 'format', 'method', 'lsqInit', 'symmetric', 'midrise'] as const) if (o[k] !== undefined) (out as Record<string, unknown>)[k] = o[k];
  // The model-wide midrise grid carries over to a width that holds it (2..3 bits), not to a wider one.
  if (o.midrise === undefined && out.midrise && (out.bits ?? 4) > 3) delete out.midrise;
  return out;
}

/** Each Linear's fake-quant form (absent: kept in f32). Every error names the layer, pattern or value at fault. */
export function prepareLinears(linears: readonly LinearInfo[], config: LinearQatConfig = {}): Map<string, LinearQuant> {
  if (linears.length === 0) throw new QatConfigError('prepare: the model has no Linear layers to quantize');
  const base: LinearRule = { bits: config.bits, group: config.group, format: config.format, method: config.method, lsqInit: config.lsqInit, symmetric: config.symmetric, midrise: config.midrise };
  resolveRule(base, '');
  const keep = (config.keepFloat ?? []).map((p) => ({ p, re: globToRegExp(p), used: false }));
  const rules = (config.layers ?? []).map((r) => {
    const { pattern, ...rule } = r;
    if (typeof pattern !== 'string' || !pattern) throw new QatConfigError(`prepare: a per-layer rule has no pattern (${JSON.stringify(r)})`);
    return { p: pattern, re: globToRegExp(pattern), rule, used: false };
  });
  const out = new Map<string, LinearQuant>();
  for (const l of linears) {
    const k = keep.filter((x) => x.re.test(l.name));
    k.forEach((x) => (x.used = true));
    if (k.length) continue;
    let rule = base;
    let where = '';
    for (const r of rules) {
      if (!r.re.test(l.name)) continue;
      r.used = true;
      rule = overRule(rule, r.rule);
      where = `layer rule '${r.p}' on '${l.name}': `;
    }
    const q = resolveRule(rule, where);
    if (l.K % q.group !== 0) throw new QatConfigError(`prepare: ${where}group size ${q.group} does not divide K=${l.K} of '${l.name}' [${l.N}, ${l.K}]`);
    out.set(l.name, { ...q, ...(config.act ? { act: true } : {}) });
  }
  const unused = keep.find((x) => !x.used);
  if (unused) throw new QatConfigError(`prepare: keepFloat pattern '${unused.p}' matches no Linear layer (layers: ${linears.map((l) => l.name).join(', ')})`);
  const unusedRule = rules.find((x) => !x.used);
  if (unusedRule) throw new QatConfigError(`prepare: layer rule '${unusedRule.p}' matches no quantized Linear layer (layers: ${linears.map((l) => l.name).join(', ')}${keep.length ? '; keepFloat takes precedence' : ''})`);
  if (out.size === 0) throw new QatConfigError('prepare: keepFloat keeps every Linear layer in f32: nothing to quantize');
  if (config.lsqInit === 'mse' && ![...out.values()].some((q) => q.learn)) throw new QatConfigError("prepare: lsqInit 'mse' sets LSQ's (or static's) start scales, but no layer uses method lsq or static");
  return out;
}

/**
 * LSQ's learned scales at their start: the torchao rule's per-group scales of the weights (so step 0 is the PTQ
 * model), or with lsqInit 'mse' the scales that minimise each group's squared error (src/quant/mse_scale.ts).
 */
export function initLsqScales(plan: ReadonlyMap<string, LinearQuant>, linears: readonly LinearInfo[], weights: Record<string, Float32Array>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const l of linears) {
    const q = plan.get(l.name);
    if (!q?.learn) continue;
    const { qmin, qmax } = qRange(q.bits, true);
    const w = weights[l.name];
    if (!w || w.length !== l.N * l.K) throw new QatConfigError(`prepare: weight '${l.name}' ${w ? `has ${w.length} values, [${l.N}, ${l.K}] needs ${l.N * l.K}` : 'is missing'}`);
    // The rule's scale max|w| / ((qmax - qmin) / 2) is the midrise grid's too (its outer levels at +-max|w|).
    out[l.name] = q.lsqInit === 'mse' ? mseGroupScales(w, q.group, qmin, qmax, l.name, !!q.midrise) : qparamsRef(weights[l.name], fakeQuantLayout([l.N, l.K], { kind: 'group', group: q.group }), qmin, qmax, 'symmetric').scale;
  }
  return out;
}

/**
 * The codes and per-group scales of w [N, K] under q's torchao rule (or the given LSQ scales), by the fake-quant
 * kernels: symmetric codes signed (value code * scale); asymmetric ones in [0, 2^b - 1] with each group's integer
 * zero point (value (code - zero) * scale).
 */
export async function quantizeLinear(ctx: GpuContext, w: Float32Array, N: number, K: number, q: LinearQuant, name: string, lsqScale?: Float32Array): Promise<{ codes: Int32Array; scales: Float32Array; zeros?: Float32Array }> {
  const { qmin, qmax } = qRange(q.bits, !q.asymmetric);
  const C = (N * K) / q.group;
  const spec = { shape: [N, K], granularity: { kind: 'group' as const, group: q.group }, bits: q.bits, qmin, qmax, ...(q.midrise ? { midrise: true } : {}) };
  const bufs = { x: ctx.createBuffer(w, undefined, name), scale: ctx.createBuffer(4 * C), zero_point: ctx.createBuffer(4 * C), y: ctx.createBuffer(4 * N * K), codes: ctx.createBuffer(4 * N * K) };
  try {
    if (q.learn) {
      if (!lsqScale || lsqScale.length !== C) throw new QatConfigError(`convert: '${name}': its learned scale has ${lsqScale?.length ?? 0} values, expected ${C}`);
      const bad = lsqScale.findIndex((v) => !(v > 0 && Number.isFinite(v)));
      if (bad >= 0) throw new QatConfigError(`convert: learned scale ${name}.scale[${bad}] = ${lsqScale[bad]} is not a positive finite number`);
      ctx.write(bufs.scale, lsqScale);
      ctx.write(bufs.zero_point, new Float32Array(C));
      await runDispatches(ctx, [await planFakeQuant(ctx, bufs, spec)]);
    } else await runDispatches(ctx, [await planFakeQuantQParams(ctx, { x: bufs.x, scale: bufs.scale, zero_point: bufs.zero_point }, { ...spec, mode: q.asymmetric ? 'asymmetric' : 'symmetric' }), await planFakeQuant(ctx, bufs, spec)]);
    return { codes: await ctx.readI32(bufs.codes, N * K), scales: await ctx.readF32(bufs.scale, C), ...(q.asymmetric ? { zeros: await ctx.readF32(bufs.zero_point, C) } : {}) };
  } finally {
    Object.values(bufs).forEach((b) => b.destroy());
  }
}

/**
 * convert for the layers' fused forward (src/nn/layers.ts GraphScope `converted`): a trained Linear weight as codes
 * and scales in nibble's layout, symmetric, in a 4-bit container for 2..4 bits and an 8-bit one for 5..8 (code +
 * 2^(c-1) unsigned, as the fused kernels read it). The torchao rule and LSQ keep their f32 scales, so the
 * dequantized weight is exactly the fake-quant one; a GGUF format is quantized by its own kernel (f16 d, as ggml).
 */
export async function convertLinear(ctx: GpuContext, w: Float32Array, N: number, K: number, q: LinearQuant, name: string, lsqScale?: Float32Array): Promise<QuantizedTensor> {
  if (q.format) {
    const W = ctx.createBuffer(w, undefined, name);
    try {
      const g = await quantizeWeights(ctx, W, N, K, ggufScheme(q.format), name);
      try {
        return await downloadQuantized(ctx, g);
      } finally {
        destroyQuantized(g);
      }
    } finally {
      W.destroy();
    }
  }
  const { codes, scales, zeros } = await quantizeLinear(ctx, w, N, K, q, name, lsqScale);
  if (zeros) {
    // Asymmetric (2..4 bits): codes in [0, 2^b - 1] and integer zero points, nibble's minmax layout (u - z) * s.
    const scheme = makeScheme({ bits: 4, group: q.group >= K ? 0 : q.group, symmetric: false, rule: 'minmax', scaleType: 'f32' });
    return { scheme, N, K, codes: packCodes(Uint8Array.from(codes), N, K, 4), scales, zeros };
  }
  const c = q.bits <= 4 ? 4 : 8; // the fused kernels' widths
  const off = 2 ** (c - 1);
  const scheme = makeScheme({ bits: c, group: q.group >= K ? 0 : q.group, symmetric: true, scaleType: 'f32' });
  // Midrise (2..3 bits): (q + 0.5) * s = (2q + 1) * (s / 2), the same f32 product (halving s is exact), codes 2q + 1 in [-7, 7].
  if (q.midrise) return { scheme, N, K, codes: packCodes(Uint8Array.from(codes, (v) => 2 * v + 1 + off), N, K, c), scales: scales.map((s) => s / 2), zeros: null };
  return { scheme, N, K, codes: packCodes(Uint8Array.from(codes, (v) => v + off), N, K, c), scales, zeros: null };
}

/** convert on a model: every planned Linear (by weight name) converted with convertLinear. */
export async function convertLinears(ctx: GpuContext, linears: readonly LinearInfo[], weights: Record<string, Float32Array>, plan: ReadonlyMap<string, LinearQuant>, lsqScales: Record<string, Float32Array> = {}): Promise<Map<string, QuantizedTensor>> {
  const out = new Map<string, QuantizedTensor>();
  for (const l of linears) {
    const q = plan.get(l.name);
    if (!q) continue;
    const w = weights[l.name];
    if (!w || w.length !== l.N * l.K) throw new QatConfigError(`convert: weight '${l.name}' ${w ? `has ${w.length} values, [${l.N}, ${l.K}] needs ${l.N * l.K}` : 'is missing'}`);
    out.set(l.name, await convertLinear(ctx, w, l.N, l.K, q, l.name, lsqScales[l.name]));
  }
  return out;
}

/** The GGUF tensor (type and block bytes) of a trained Linear weight under q (see the header for what is exact). */
export async function convertLinearGguf(ctx: GpuContext, w: Float32Array, N: number, K: number, q: LinearQuant, name: string, lsqScale?: Float32Array): Promise<{ type: 'Q4_0' | 'Q4_1' | 'Q8_0'; data: Uint8Array }> {
  if (q.format) return { type: q.format, data: exportGguf(q.format, await convertLinear(ctx, w, N, K, q, name), name) };
  if (q.group % 32 !== 0) throw new QatConfigError(`convert: '${name}': GGUF blocks are 32 wide; group ${q.group} is not a multiple of 32`);
  const { codes, scales, zeros } = await quantizeLinear(ctx, w, N, K, q, name, lsqScale);
  const per = q.group / 32;
  // Midrise: codes 2q + 1 at d = f16(s / 2) (see convertLinear).
  const d = Float32Array.from({ length: (N * K) / 32 }, (_, i) => roundF16(q.midrise ? scales[Math.floor(i / per)] / 2 : scales[Math.floor(i / per)]));
  if (zeros) {
    // Q4_1: value u * d + m with the codes u as they are, d = f16(s) and m = f16(-s * z) (s * (u - z) = s * u - s * z).
    const m = Float32Array.from({ length: (N * K) / 32 }, (_, i) => roundF16(Math.fround(-scales[Math.floor(i / per)] * zeros[Math.floor(i / per)])));
    const qt = { scheme: ggufScheme('Q4_1'), N, K, codes: packCodes(Uint8Array.from(codes), N, K, 4), scales: d, zeros: m };
    return { type: 'Q4_1', data: exportGguf('Q4_1', qt, name) };
  }
  const type = q.bits <= 4 ? 'Q4_0' : 'Q8_0';
  const off = type === 'Q4_0' ? 8 : 128;
  const u = Uint8Array.from(codes, (c) => (q.midrise ? 2 * c + 1 : c) + off);
  const qt = { scheme: ggufScheme(type), N, K, codes: packCodes(u, N, K, type === 'Q4_0' ? 4 : 8), scales: d, zeros: null };
  return { type, data: exportGguf(type, qt, name) };
}
