// Bindings, uniform layouts and overrides derived from the WGSL itself (wgsl_reflect), never written twice.
import { WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';
import type { VariableInfo, TypeInfo } from 'wgsl_reflect/wgsl_reflect.module.js';

export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

export interface UniformField {
  name: string;
  offset: number;
  type: 'f32' | 'u32' | 'i32';
  count: number; // components (vec4<u32> -> 4)
}

export interface BindingInfo {
  name: string;
  group: number;
  binding: number;
  kind: BindingKind;
  /** Size of the fixed part in bytes (whole size for fixed-size types). */
  fixedSize: number;
  /** Element stride of a trailing runtime-sized array, 0 if none. */
  runtimeStride: number;
  /** WGSL type name, for messages. */
  typeName: string;
  /** For uniform structs: the scalar/vector fields, for packing. */
  fields?: UniformField[];
}

export interface OverrideDecl {
  name: string;
  type: string;
}

export interface ShaderReflection {
  entry: string;
  workgroupSize: [number, number, number] | null;
  bindings: BindingInfo[];
  overrides: OverrideDecl[];
}

function scalarOf(name: string): { type: 'f32' | 'u32' | 'i32'; count: number } | null {
  const m = /^(?:vec([234])<)?(f32|u32|i32)>?$/.exec(name) ?? /^vec([234])([fui])$/.exec(name);
  if (!m) return null;
  const t = m[2].length === 1 ? ({ f: 'f32', u: 'u32', i: 'i32' } as const)[m[2] as 'f' | 'u' | 'i'] : (m[2] as 'f32' | 'u32' | 'i32');
  return { type: t, count: m[1] ? Number(m[1]) : 1 };
}

function typeName(t: TypeInfo): string {
  return t.getTypeName?.() ?? t.name;
}

function describe(v: VariableInfo): BindingInfo {
  const kind: BindingKind =
    v.resourceType === ResourceType.Uniform ? 'uniform' : v.access === 'read_write' || v.access === 'write' ? 'storage' : 'read-only-storage';
  let fixedSize = v.size;
  let runtimeStride = 0;
  const t = v.type;
  if (t.isArray && (t as unknown as { count: number }).count === 0) {
    runtimeStride = (t as unknown as { stride: number }).stride;
    fixedSize = 0;
  } else if (t.isStruct) {
    const members = v.members ?? [];
    const last = members[members.length - 1];
    if (last && last.isArray && last.count === 0) {
      runtimeStride = last.stride;
      fixedSize = last.offset;
    }
  }
  const info: BindingInfo = { name: v.name, group: v.group, binding: v.binding, kind, fixedSize, runtimeStride, typeName: typeName(t) };
  if (kind === 'uniform' && t.isStruct) {
    info.fields = (v.members ?? []).map((m) => {
      const s = scalarOf(typeName(m.type));
      if (!s) throw new Error(`uniform '${v.name}' field '${m.name}' has type ${typeName(m.type)}: only f32/u32/i32 scalars and vectors are packed`);
      return { name: m.name, offset: m.offset, ...s };
    });
  }
  return info;
}

export function reflectShader(code: string, entry = 'main'): ShaderReflection {
  const r = new WgslReflect(code);
  const fn = r.entry.compute.find((f) => f.name === entry);
  if (!fn) throw new Error(`no @compute entry point '${entry}' (found: ${r.entry.compute.map((f) => f.name).join(', ') || 'none'})`);
  const vars = [...r.uniforms, ...r.storage];
  const bindings = vars
    .map(describe)
    .sort((a, b) => a.group - b.group || a.binding - b.binding);
  for (let i = 1; i < bindings.length; i++) {
    if (bindings[i].group === bindings[i - 1].group && bindings[i].binding === bindings[i - 1].binding) {
      throw new Error(`bindings '${bindings[i - 1].name}' and '${bindings[i].name}' share @group(${bindings[i].group}) @binding(${bindings[i].binding})`);
    }
  }
  return {
    entry,
    workgroupSize: fn.workgroupSize,
    bindings,
    overrides: r.overrides.map((o) => ({ name: o.name, type: o.type ? typeName(o.type) : 'f32' })),
  };
}

/** Packs named values into a uniform buffer image following the reflected layout. */
export function packUniform(b: BindingInfo, values: Readonly<Record<string, number | readonly number[]>>, kernel: string): ArrayBuffer {
  const fields = b.fields ?? [];
  const size = Math.max(16, Math.ceil(b.fixedSize / 16) * 16);
  const buf = new ArrayBuffer(size);
  const dv = new DataView(buf);
  for (const key of Object.keys(values)) {
    if (!fields.some((f) => f.name === key)) {
      throw new Error(`kernel '${kernel}': uniform '${b.name}' has no field '${key}' (fields: ${fields.map((f) => f.name).join(', ')})`);
    }
  }
  for (const f of fields) {
    const v = values[f.name];
    if (v === undefined) throw new Error(`kernel '${kernel}': uniform '${b.name}.${f.name}' (${f.type}) was not given`);
    const arr = typeof v === 'number' ? [v] : v;
    if (arr.length !== f.count) throw new Error(`kernel '${kernel}': uniform '${b.name}.${f.name}' wants ${f.count} values, got ${arr.length}`);
    arr.forEach((x, i) => {
      const o = f.offset + 4 * i;
      if (f.type === 'f32') dv.setFloat32(o, x, true);
      else if (f.type === 'u32') {
        if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new Error(`kernel '${kernel}': uniform '${b.name}.${f.name}' = ${x} is not a u32`);
        dv.setUint32(o, x, true);
      } else {
        if (!Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff) throw new Error(`kernel '${kernel}': uniform '${b.name}.${f.name}' = ${x} is not an i32`);
        dv.setInt32(o, x, true);
      }
    });
  }
  return buf;
}
