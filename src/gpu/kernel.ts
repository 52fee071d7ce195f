// Kernels: a .wgsl file + defines -> a cached pipeline whose bind group layout and uniform packing come from
// reflection. Bindings are checked by name before anything is dispatched.
import { GpuContext, GpuError } from './context.js';
import { preprocess, type Defines, type SourceLine } from './preprocess.js';
import { reflectShader, packUniform, type ShaderReflection, type BindingInfo } from './reflect.js';

export interface KernelDef {
  /** Unique, human name: used in every error message and as the pass label. */
  name: string;
  /** Key of the shader under shaders/ without .wgsl, e.g. 'basic/elementwise'. */
  shader: string;
  defines?: Defines;
  /** Default values of `override` constants. */
  constants?: Readonly<Record<string, number>>;
  /** Shader texts to resolve `shader` and its #includes from, instead of the embedded shaders/ (tests, user files). */
  sources?: Readonly<Record<string, string>>;
}

export interface BufferRange {
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

export type Bindable = GPUBuffer | BufferRange;
export type UniformValues = Readonly<Record<string, number | readonly number[]>>;

export interface BindArgs {
  /** Buffers by binding name. */
  bindings: Readonly<Record<string, Bindable>>;
  /** Values for the uniform struct bound as `params` (packed from reflection). */
  params?: UniformValues;
  /** Minimum bytes each binding must hold for this call (from the kernel's shape math). */
  expect?: Readonly<Record<string, number>>;
}

export type Workgroups = readonly [number, number?, number?];

function isRange(b: Bindable): b is BufferRange {
  return typeof (b as GPUBuffer).mapState !== 'string';
}

/** `b` as an explicit range (a whole buffer: offset 0, its size). */
export function asRange(b: Bindable): Required<BufferRange> {
  if (!isRange(b)) return { buffer: b, offset: 0, size: b.size };
  const offset = b.offset ?? 0;
  return { buffer: b.buffer, offset, size: b.size ?? b.buffer.size - offset };
}

/** `b` from `bytes` further on (a range; a whole buffer or a range in, the same buffer out). */
export function rangeFrom(b: Bindable, bytes: number): Bindable {
  if (!bytes) return b;
  const base = isRange(b) ? (b.offset ?? 0) : 0;
  const buffer = isRange(b) ? b.buffer : b;
  const size = isRange(b) && b.size !== undefined ? b.size : buffer.size - base;
  return { buffer, offset: base + bytes, size: size - bytes };
}

/** The whole buffer behind `b`, for callers that take no range (`what` names the tensor for the error). */
export function wholeBuffer(b: Bindable, what: string): GPUBuffer {
  if (!isRange(b)) return b;
  if (!b.offset && (b.size === undefined || b.size === b.buffer.size)) return b.buffer;
  throw new GpuError(`${what} lives in a range of buffer '${b.buffer.label}' (offset ${b.offset ?? 0}); this kernel binds whole buffers (train with GraphTrainer's { flat: false }, or give it a buffer of its own)`, 'binding');
}

const KIND_LABEL: Record<BindingInfo['kind'], string> = {
  uniform: 'uniform',
  'read-only-storage': 'storage, read',
  storage: 'storage, read_write',
};

export class Kernel {
  constructor(
    readonly ctx: GpuContext,
    readonly name: string,
    readonly key: string,
    readonly reflection: ShaderReflection,
    readonly pipeline: GPUComputePipeline,
    readonly layouts: GPUBindGroupLayout[],
    readonly code: string,
  ) {}

  private where(b: BindingInfo): string {
    return `kernel '${this.name}': binding '${b.name}' (@group(${b.group}) @binding(${b.binding}), ${KIND_LABEL[b.kind]} ${b.typeName})`;
  }

  /** Validates `args` against the reflected bindings and creates the bind groups (and the params uniform). */
  bind(args: BindArgs): BoundKernel {
    const ctx = this.ctx;
    ctx.check();
    const given = new Set(Object.keys(args.bindings));
    const known = new Set(this.reflection.bindings.map((b) => b.name));
    for (const k of given) {
      if (!known.has(k)) {
        throw new GpuError(`kernel '${this.name}': binding '${k}' is not used by the shader (bindings: ${[...known].join(', ')})`, 'binding');
      }
    }
    let paramsBuffer: GPUBuffer | null = null;
    let paramsInfo: BindingInfo | null = null;
    const entries: GPUBindGroupEntry[][] = this.layouts.map(() => []);
    for (const b of this.reflection.bindings) {
      let bindable = args.bindings[b.name];
      if (!bindable && b.kind === 'uniform' && b.name === 'params' && args.params) {
        paramsInfo = b;
        const data = packUniform(b, args.params, this.name);
        paramsBuffer = ctx.buffer({ size: data.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: `${this.name}.params` });
        ctx.device.queue.writeBuffer(paramsBuffer, 0, data);
        bindable = paramsBuffer;
      }
      if (!bindable) {
        const hint = b.kind === 'uniform' && b.name === 'params' ? ` (pass params: {${(b.fields ?? []).map((f) => f.name).join(', ')}})` : '';
        throw new GpuError(`${this.where(b)} is missing${hint}`, 'binding');
      }
      const r = isRange(bindable) ? { buffer: bindable.buffer, offset: bindable.offset ?? 0, size: bindable.size ?? bindable.buffer.size - (bindable.offset ?? 0) } : { buffer: bindable, offset: 0, size: bindable.size };
      const need = b.kind === 'uniform' ? GPUBufferUsage.UNIFORM : GPUBufferUsage.STORAGE;
      if (!(r.buffer.usage & need)) {
        throw new GpuError(`${this.where(b)}: buffer '${r.buffer.label}' lacks ${b.kind === 'uniform' ? 'UNIFORM' : 'STORAGE'} usage`, 'binding');
      }
      const align = b.kind === 'uniform' ? ctx.limits.minUniformBufferOffsetAlignment : ctx.limits.minStorageBufferOffsetAlignment;
      if (r.offset % align !== 0) throw new GpuError(`${this.where(b)}: offset ${r.offset} is not a multiple of ${align}`, 'binding');
      if (r.offset + r.size > r.buffer.size) {
        throw new GpuError(`${this.where(b)}: range ${r.offset}+${r.size} overruns buffer '${r.buffer.label}' of ${r.buffer.size} bytes`, 'binding');
      }
      const min = b.fixedSize + b.runtimeStride;
      const expected = Math.max(min, args.expect?.[b.name] ?? 0);
      if (r.size < expected) {
        throw new GpuError(`${this.where(b)} is too small: ${r.size} bytes bound, this dispatch needs at least ${expected}`, 'binding');
      }
      const max = b.kind === 'uniform' ? ctx.limits.maxUniformBufferBindingSize : ctx.limits.maxStorageBufferBindingSize;
      if (r.size > max) {
        throw new GpuError(`${this.where(b)}: ${r.size} bytes exceeds the adapter's ${b.kind === 'uniform' ? 'maxUniformBufferBindingSize' : 'maxStorageBufferBindingSize'} (${max}); split the tensor`, 'binding');
      }
      entries[b.group].push({ binding: b.binding, resource: { buffer: r.buffer, offset: r.offset, size: r.size } });
    }
    const groups = this.layouts.map((layout, g) => ctx.device.createBindGroup({ label: `${this.name}.group${g}`, layout, entries: entries[g] }));
    return new BoundKernel(this, groups, paramsBuffer, paramsInfo);
  }

  checkWorkgroups(wg: Workgroups): [number, number, number] {
    const w: [number, number, number] = [wg[0], wg[1] ?? 1, wg[2] ?? 1];
    const max = this.ctx.limits.maxComputeWorkgroupsPerDimension;
    for (const n of w) {
      if (!Number.isInteger(n) || n < 0 || n > max) {
        throw new GpuError(`kernel '${this.name}': dispatch [${w.join(', ')}] exceeds maxComputeWorkgroupsPerDimension (${max}) or is not a whole number`, 'binding');
      }
    }
    return w;
  }

  /** Validate, bind, encode and submit one dispatch; the params uniform is freed afterwards. */
  async run(args: BindArgs, workgroups: Workgroups): Promise<void> {
    const bound = this.bind(args);
    try {
      await this.ctx.submit([this.name], (enc) => {
        const pass = enc.beginComputePass({ label: this.name });
        bound.encode(pass, workgroups);
        pass.end();
      });
    } finally {
      bound.dispose();
    }
  }
}

export class BoundKernel {
  constructor(
    readonly kernel: Kernel,
    readonly groups: GPUBindGroup[],
    private paramsBuffer: GPUBuffer | null,
    private paramsInfo: BindingInfo | null,
  ) {}

  /** Rewrites the params uniform in place (for graphs that run many times). */
  update(params: UniformValues): void {
    if (!this.paramsBuffer || !this.paramsInfo) throw new GpuError(`kernel '${this.kernel.name}' was bound without params`, 'binding');
    this.kernel.ctx.device.queue.writeBuffer(this.paramsBuffer, 0, packUniform(this.paramsInfo, params, this.kernel.name));
  }

  /** `indirect`: the workgroups are read on the GPU from 3 u32 at that offset (a buffer with INDIRECT usage); `workgroups` is then what they are at most. */
  encode(pass: GPUComputePassEncoder, workgroups: Workgroups, indirect?: { buffer: GPUBuffer; offset: number }): void {
    const w = this.kernel.checkWorkgroups(workgroups);
    pass.setPipeline(this.kernel.pipeline);
    this.groups.forEach((g, i) => pass.setBindGroup(i, g));
    if (indirect) pass.dispatchWorkgroupsIndirect(indirect.buffer, indirect.offset);
    else if (w[0] && w[1] && w[2]) pass.dispatchWorkgroups(w[0], w[1], w[2]);
  }

  dispose(): void {
    this.paramsBuffer?.destroy();
    this.paramsBuffer = null;
  }
}

function formatMessages(name: string, msgs: readonly GPUCompilationMessage[], map: SourceLine[]): string {
  return msgs
    .map((m) => {
      const src = map[m.lineNum - 1];
      const at = src ? `${src.file}:${src.line}:${m.linePos}` : `line ${m.lineNum}:${m.linePos}`;
      return `${at}: ${m.type}: ${m.message}`;
    })
    .join('\n');
}

const caches = new WeakMap<GpuContext, Map<string, Promise<Kernel>>>();

export function kernelKey(def: KernelDef, defines: Defines = {}, constants: Readonly<Record<string, number>> = {}): string {
  const d = { ...def.defines, ...defines };
  const c = { ...def.constants, ...constants };
  const enc = (o: Record<string, unknown>) => Object.keys(o).sort().map((k) => `${k}=${o[k]}`).join(',');
  return `${def.name}|${def.shader}|${enc(d)}|${enc(c)}`;
}

/** Compiles (once per context and key) the pipeline for `def` with extra defines and override constants. */
export function getKernel(ctx: GpuContext, def: KernelDef, defines: Defines = {}, constants: Readonly<Record<string, number>> = {}): Promise<Kernel> {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new Map()));
  const key = kernelKey(def, defines, constants);
  let p = cache.get(key);
  if (!p) {
    p = compile(ctx, def, { ...def.defines, ...defines }, { ...def.constants, ...constants }, key);
    cache.set(key, p);
    p.catch(() => cache!.delete(key));
  }
  return p;
}

/** Compiles WGSL text from a user (no preprocessing); used by `nibble bench file.wgsl`. */
export function compileRaw(ctx: GpuContext, name: string, code: string, constants: Readonly<Record<string, number>> = {}): Promise<Kernel> {
  const map = code.split('\n').map((_, i) => ({ file: name, line: i + 1 }));
  return build(ctx, name, code, map, constants, `${name}|raw`);
}

async function compile(ctx: GpuContext, def: KernelDef, defines: Defines, constants: Readonly<Record<string, number>>, key: string): Promise<Kernel> {
  const pre = preprocess(def.shader, defines, def.sources);
  return build(ctx, def.name, pre.code, pre.map, constants, key);
}

async function build(ctx: GpuContext, name: string, code: string, map: SourceLine[], constants: Readonly<Record<string, number>>, key: string): Promise<Kernel> {
  ctx.check();
  const device = ctx.device;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: name, code });
  const info = await module.getCompilationInfo();
  const scopeErr = await device.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length || scopeErr) {
    const text = errors.length ? formatMessages(name, errors, map) : scopeErr!.message;
    throw new GpuError(`kernel '${name}' failed to compile:\n${text}`, 'compile');
  }
  let reflection: ShaderReflection;
  try {
    reflection = reflectShader(code);
  } catch (e) {
    throw new GpuError(`kernel '${name}': ${(e as Error).message}`, 'compile');
  }
  const declared = new Set(reflection.overrides.map((o) => o.name));
  for (const k of Object.keys(constants)) {
    if (!declared.has(k)) throw new GpuError(`kernel '${name}': constant '${k}' is not an override in the shader (overrides: ${[...declared].join(', ') || 'none'})`, 'compile');
  }
  const maxGroup = reflection.bindings.reduce((m, b) => Math.max(m, b.group), -1);
  const layouts: GPUBindGroupLayout[] = [];
  for (let g = 0; g <= maxGroup; g++) {
    layouts.push(
      device.createBindGroupLayout({
        label: `${name}.layout${g}`,
        entries: reflection.bindings
          .filter((b) => b.group === g)
          .map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.kind } })),
      }),
    );
  }
  device.pushErrorScope('validation');
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await device.createComputePipelineAsync({
      label: name,
      layout: device.createPipelineLayout({ label: `${name}.pipeline`, bindGroupLayouts: layouts }),
      compute: { module, entryPoint: reflection.entry, constants: { ...constants } },
    });
  } catch (e) {
    await device.popErrorScope();
    throw new GpuError(`kernel '${name}': pipeline creation failed: ${(e as Error).message}`, 'compile');
  }
  const err = await device.popErrorScope();
  if (err) throw new GpuError(`kernel '${name}': pipeline creation failed: ${err.message}`, 'compile');
  return new Kernel(ctx, name, key, reflection, pipeline, layouts, code);
}
