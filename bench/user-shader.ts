// `nibble bench <file.wgsl> --dispatch X[,Y,Z] [--size binding=bytes ...] [--const NAME=value ...] [--param field=value ...]`:
// benchmark a user's own WGSL compute shader. The shader is compiled as written (compileRaw: no preprocessing),
// its bindings come from reflection, storage buffers are sized from --size or from their declared fixed-size
// types and filled with seeded random f32 data, overrides come from --const, and the uniform struct's fields
// from --param (zero when not given: random loop bounds would never finish). Runs in Node and in the page.
import type { GpuContext } from '../src/gpu/context.js';
import { compileRaw } from '../src/gpu/kernel.js';
import { packUniform, reflectShader, type BindingInfo } from '../src/gpu/reflect.js';
import { randomF32 } from '../src/ref/random.js';
import type { BenchRow } from './harness.js';

/** Bad flags or a shader the flags do not fit: a message for the user (the CLI exits 2). */
export class BenchInputError extends Error {}

export interface UserShaderSpec {
  /** File name, used in compiler messages (file:line:col). */
  file: string;
  code: string;
  dispatch: [number, number, number];
  /** Bytes per binding name. */
  sizes: Record<string, number>;
  /** Override constants. */
  consts: Record<string, number>;
  /** Uniform struct fields (field name, or binding.field). */
  params: Record<string, number>;
  /** Optional work counts for GFLOP/s and GB/s. */
  flops?: number;
  bytes?: number;
}

function parsePairs(flag: string, items: string[], what: string, parse: (v: string) => number | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)=(.+)$/.exec(it);
    if (!m) throw new BenchInputError(`${flag} ${it}: expected NAME=VALUE`);
    const v = parse(m[2]);
    if (v === null) throw new BenchInputError(`${flag} ${it}: '${m[2]}' is not ${what} (${m[1]})`);
    out[m[1]] = v;
  }
  return out;
}

const num = (v: string) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** Bytes: a whole number, optionally with a k/M/G (1024-based) suffix. */
export function parseBytes(v: string): number | null {
  const m = /^(\d+)([kKmMgG]i?[bB]?)?$/.exec(v.trim());
  if (!m) return null;
  const mult = m[2] ? { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2][0].toLowerCase() as 'k' | 'm' | 'g'] : 1;
  return Number(m[1]) * mult;
}

export function parseDispatch(v: string | undefined): [number, number, number] {
  if (!v) throw new BenchInputError('--dispatch X[,Y,Z] is required to benchmark a WGSL file (workgroup counts)');
  const parts = v.split(',').map((s) => s.trim());
  if (parts.length > 3 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
    throw new BenchInputError(`--dispatch ${v}: expected 1 to 3 positive whole numbers, e.g. --dispatch 64 or --dispatch 16,16,1`);
  }
  const n = parts.map(Number);
  return [n[0], n[1] ?? 1, n[2] ?? 1];
}

export function parseUserFlags(o: { file: string; code: string; dispatch?: string; size?: string[]; const?: string[]; param?: string[]; flops?: string; bytes?: string }): UserShaderSpec {
  const opt = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = num(v);
    if (n === null || n < 0) throw new BenchInputError(`${flag} ${v}: expected a non-negative number`);
    return n;
  };
  return {
    file: o.file,
    code: o.code,
    dispatch: parseDispatch(o.dispatch),
    sizes: parsePairs('--size', o.size ?? [], 'a byte count (e.g. 4096, 16k, 4M)', parseBytes),
    consts: parsePairs('--const', o.const ?? [], 'a number', num),
    params: parsePairs('--param', o.param ?? [], 'a number', num),
    flops: opt('--flops', o.flops),
    bytes: opt('--bytes', o.bytes),
  };
}

interface Plan {
  binding: BindingInfo;
  bytes: number;
  uniform?: ArrayBuffer;
}

/** Works out every binding's buffer from the reflection and the flags; every mistake names the binding or constant. */
function planBuffers(ctx: GpuContext, spec: UserShaderSpec, bindings: BindingInfo[], overrides: string[]): Plan[] {
  const names = bindings.map((b) => b.name);
  for (const k of Object.keys(spec.sizes)) {
    if (!names.includes(k)) throw new BenchInputError(`--size ${k}=...: the shader has no binding '${k}' (bindings: ${names.join(', ') || 'none'})`);
  }
  for (const k of Object.keys(spec.consts)) {
    if (!overrides.includes(k)) throw new BenchInputError(`--const ${k}=...: the shader has no override '${k}' (overrides: ${overrides.join(', ') || 'none'})`);
  }
  const uniforms = bindings.filter((b) => b.kind === 'uniform');
  const usedParams = new Set<string>();
  const plans: Plan[] = [];
  for (const b of bindings) {
    const where = `binding '${b.name}' (@group(${b.group}) @binding(${b.binding}), ${b.typeName.replace(/, 0>$/, '>')})`; // reflection spells a runtime-sized array<T> as array<T, 0>
    const align = b.runtimeStride || 4;
    if (b.kind === 'uniform') {
      const values: Record<string, number> = {};
      for (const f of b.fields ?? []) {
        const key = [`${b.name}.${f.name}`, f.name].find((k) => k in spec.params && (k.includes('.') || uniforms.length === 1));
        if (f.count !== 1 && key) throw new BenchInputError(`--param ${key}: field '${f.name}' of ${where} is a vector; only scalar fields can be set`);
        if (key) usedParams.add(key);
        values[f.name] = key ? spec.params[key] : 0;
      }
      const packed = packUniform(b, Object.fromEntries((b.fields ?? []).map((f) => [f.name, f.count === 1 ? values[f.name] : new Array(f.count).fill(0)])), spec.file);
      plans.push({ binding: b, bytes: packed.byteLength, uniform: packed });
      continue;
    }
    const given = spec.sizes[b.name];
    let bytes: number;
    if (given !== undefined) {
      if (given % 4 !== 0 || given === 0) throw new BenchInputError(`--size ${b.name}=${given}: ${where} needs a positive multiple of 4 bytes`);
      if (given < b.fixedSize + b.runtimeStride) throw new BenchInputError(`--size ${b.name}=${given}: ${where} needs at least ${b.fixedSize + b.runtimeStride} bytes`);
      if (b.runtimeStride && (given - b.fixedSize) % align !== 0) {
        throw new BenchInputError(`--size ${b.name}=${given}: ${where} holds a runtime-sized array of stride ${b.runtimeStride}; give ${b.fixedSize} + a multiple of ${b.runtimeStride} bytes`);
      }
      if (!b.runtimeStride && given !== b.fixedSize) {
        throw new BenchInputError(`--size ${b.name}=${given}: ${where} has a fixed size of ${b.fixedSize} bytes`);
      }
      bytes = given;
    } else if (b.runtimeStride) {
      throw new BenchInputError(`${where} is runtime-sized (element stride ${b.runtimeStride} bytes): give its size with --size ${b.name}=BYTES`);
    } else bytes = b.fixedSize;
    if (bytes > ctx.limits.maxStorageBufferBindingSize) {
      throw new BenchInputError(`--size ${b.name}=${bytes}: ${where} exceeds the adapter's maxStorageBufferBindingSize (${ctx.limits.maxStorageBufferBindingSize})`);
    }
    plans.push({ binding: b, bytes });
  }
  for (const k of Object.keys(spec.params)) {
    if (!usedParams.has(k)) {
      const fields = uniforms.flatMap((u) => (u.fields ?? []).map((f) => (uniforms.length === 1 ? f.name : `${u.name}.${f.name}`)));
      throw new BenchInputError(`--param ${k}=...: no such uniform field (fields: ${fields.join(', ') || 'none'})`);
    }
  }
  return plans;
}

/** One bench row for a user's shader. Its "check" is that it compiles and runs without a GPU error (no reference exists). */
export function userShaderRow(spec: UserShaderSpec): BenchRow {
  let reflectedBytes = 0;
  const row: BenchRow = {
    name: spec.file,
    group: `user shader ${spec.file}`,
    side: 'nibble',
    shape: `dispatch ${spec.dispatch.join('x')}`,
    flops: spec.flops ?? 0,
    bytes: spec.bytes ?? 0,
    async setup(ctx) {
      const max = ctx.limits.maxComputeWorkgroupsPerDimension;
      if (spec.dispatch.some((n) => n > max)) throw new BenchInputError(`--dispatch ${spec.dispatch.join(',')}: each count must be at most maxComputeWorkgroupsPerDimension (${max})`);
      // Compile first: a shader that does not compile gets the compiler's own messages, file:line:col.
      const overridesOf = (code: string) => {
        try {
          return reflectShader(code).overrides.map((o) => o.name);
        } catch {
          return null;
        }
      };
      const declared = overridesOf(spec.code);
      if (declared) {
        for (const k of Object.keys(spec.consts)) {
          if (!declared.includes(k)) throw new BenchInputError(`--const ${k}=...: the shader has no override '${k}' (overrides: ${declared.join(', ') || 'none'})`);
        }
      }
      const kernel = await compileRaw(ctx, spec.file, spec.code, spec.consts);
      const plans = planBuffers(ctx, spec, kernel.reflection.bindings, kernel.reflection.overrides.map((o) => o.name));
      const buffers: Record<string, GPUBuffer> = {};
      plans.forEach((p, i) => {
        if (p.uniform) {
          const u = ctx.createBuffer(new Uint8Array(p.uniform), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, p.binding.name);
          buffers[p.binding.name] = u;
        } else {
          buffers[p.binding.name] = ctx.createBuffer(randomF32(p.bytes / 4, 1000 + i), undefined, p.binding.name);
          reflectedBytes += p.bytes;
        }
      });
      if (spec.bytes === undefined) row.bytes = reflectedBytes;
      const d = { kernel, args: { bindings: buffers }, workgroups: spec.dispatch };
      const notes = [`buffers: ${plans.map((p) => `${p.binding.name} ${p.bytes} B${p.uniform ? ' (uniform)' : ''}`).join(', ')}`];
      if (spec.bytes === undefined) notes.push('GB/s counts every storage buffer once (give --bytes for the true traffic)');
      return {
        dispatches: [d],
        notes,
        async check() {
          await kernel.run(d.args, d.workgroups);
          await ctx.idle();
          return { ok: true, message: 'no reference for a user shader: compiled and ran without a GPU error' };
        },
        dispose() {
          Object.values(buffers).forEach((b) => b.destroy());
        },
      };
    },
  };
  return row;
}
