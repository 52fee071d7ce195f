// GpuContext: one shape for Dawn-in-Node and navigator.gpu. The library only ever sees this.
import { BufferPool } from './pool.js';

export interface Capabilities {
  shaderF16: boolean;
  subgroups: boolean;
  timestampQuery: boolean;
  /** WGSL language feature packed_4x8_integer_dot_product (dot4I8Packed, dot4U8Packed). */
  packedDot: boolean;
  subgroupMinSize: number;
  subgroupMaxSize: number;
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a software adapter (SwiftShader, or any adapter that says it is a fallback). */
  isFallback: boolean;
  runtime: string; // 'node (Dawn)' | 'browser' | ...
}

export class GpuError extends Error {
  constructor(message: string, readonly kind: 'validation' | 'out-of-memory' | 'internal' | 'device-lost' | 'compile' | 'binding') {
    super(message);
    this.name = 'GpuError';
  }
}

/** Features nibble asks for whenever the adapter has them. */
export const WANTED_FEATURES: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[];

/** The limits nibble raises to the adapter's own maxima (the defaults are too small for real weights). */
export const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxBindGroups',
] as const;

export function describeAdapter(adapter: GPUAdapter, runtime: string): AdapterDescription {
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`.toLowerCase();
  const fallbackFlag = (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallback: Boolean(fallbackFlag) || /swiftshader|llvmpipe|lavapipe|warp|software/.test(text),
    runtime,
  };
}

/**
 * Requests a device with the adapter's own limits and every feature nibble uses that the adapter has. `limits`
 * overrides some of them, e.g. { maxStorageBufferBindingSize: 128 MiB } to run as on a phone's adapter (a device
 * gets exactly the limits it asks for; below WebGPU's defaults the default applies).
 */
export async function requestDevice(adapter: GPUAdapter, label = 'nibble', limits: Partial<Record<(typeof RAISED_LIMITS)[number], number>> = {}): Promise<GPUDevice> {
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const k of RAISED_LIMITS) {
    const v = limits[k] ?? (adapter.limits as unknown as Record<string, number>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  return adapter.requestDevice({ label, requiredFeatures, requiredLimits });
}

export interface ContextOptions {
  adapter: GPUAdapter;
  device: GPUDevice;
  wgslLanguageFeatures?: ReadonlySet<string>;
  runtime: string;
  /** Whatever must stay alive as long as the device (Dawn's GPU object in Node). */
  keepAlive?: unknown;
}

export class GpuContext {
  readonly device: GPUDevice;
  readonly adapter: GPUAdapter;
  readonly info: AdapterDescription;
  readonly caps: Capabilities;
  readonly limits: GPUSupportedLimits;
  readonly pool: BufferPool;
  /** Set once the device is lost; every later call throws. */
  lost: GPUDeviceLostInfo | null = null;
  private uncaptured: GPUError[] = [];
  private lastLabels: string[] = [];
  private readonly keepAlive: unknown;

  constructor(o: ContextOptions) {
    this.device = o.device;
    this.adapter = o.adapter;
    this.keepAlive = o.keepAlive;
    this.info = describeAdapter(o.adapter, o.runtime);
    const f = o.device.features;
    const info = o.adapter.info as unknown as { subgroupMinSize?: number; subgroupMaxSize?: number };
    this.caps = {
      shaderF16: f.has('shader-f16'),
      subgroups: f.has('subgroups'),
      timestampQuery: f.has('timestamp-query'),
      packedDot: o.wgslLanguageFeatures?.has('packed_4x8_integer_dot_product') ?? false,
      subgroupMinSize: info?.subgroupMinSize ?? 0,
      subgroupMaxSize: info?.subgroupMaxSize ?? 0,
    };
    this.limits = o.device.limits;
    this.pool = new BufferPool(this);
    o.device.lost.then((info) => {
      this.lost = info;
    });
    o.device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.uncaptured.push(ev.error);
    };
  }

  /** Throws if the device was lost or an error was raised outside an error scope since the last check. */
  check(): void {
    if (this.lost) {
      throw new GpuError(
        `GPU device lost (${this.lost.reason}): ${this.lost.message}` + (this.lastLabels.length ? `; last work submitted: ${this.lastLabels.join(', ')}` : ''),
        'device-lost',
      );
    }
    if (this.uncaptured.length) {
      const errs = this.uncaptured.splice(0);
      throw new GpuError(`GPU error after ${this.lastLabels.join(', ') || 'setup'}: ${errs.map((e) => e.message).join('; ')}`, 'validation');
    }
  }

  /**
   * Runs `fn` (which encodes work) inside validation/out-of-memory/internal error scopes and submits it once.
   * Any GPU error is thrown as a GpuError naming `labels` (the kernels involved).
   */
  async submit(labels: string[], fn: (encoder: GPUCommandEncoder) => void): Promise<void> {
    this.check();
    const d = this.device;
    d.pushErrorScope('internal');
    d.pushErrorScope('out-of-memory');
    d.pushErrorScope('validation');
    const encoder = d.createCommandEncoder({ label: labels.join(',') });
    let thrown: unknown;
    try {
      fn(encoder);
      d.queue.submit([encoder.finish()]);
    } catch (e) {
      thrown = e;
    }
    this.lastLabels = labels;
    const [v, m, i] = await Promise.all([d.popErrorScope(), d.popErrorScope(), d.popErrorScope()]);
    if (thrown) throw thrown;
    const err = v ?? m ?? i;
    if (err) {
      const kind = v ? 'validation' : m ? 'out-of-memory' : 'internal';
      throw new GpuError(`kernel ${labels.map((l) => `'${l}'`).join(', ')}: GPU ${kind} error: ${err.message}`, kind);
    }
  }

  /** Same error scoping for synchronous device calls (buffer or pipeline creation). */
  async scoped<T>(what: string, fn: () => T): Promise<T> {
    this.check();
    const d = this.device;
    d.pushErrorScope('out-of-memory');
    d.pushErrorScope('validation');
    let r: T;
    try {
      r = fn();
    } finally {
      const [v, m] = await Promise.all([d.popErrorScope(), d.popErrorScope()]);
      const err = v ?? m;
      if (err) throw new GpuError(`${what}: ${err.message}`, v ? 'validation' : 'out-of-memory');
    }
    return r;
  }

  async idle(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    this.check();
  }

  /**
   * Every GPU buffer nibble creates goes through here, so the bytes it holds are known (`memory`): the buffer's
   * destroy() is wrapped to subtract its size once. Sizes over maxBufferSize are refused before the device is asked.
   */
  buffer(desc: GPUBufferDescriptor): GPUBuffer {
    this.check();
    const max = this.limits.maxBufferSize;
    if (desc.size > max) throw new GpuError(`buffer '${desc.label ?? ''}' of ${desc.size} bytes exceeds the adapter's maxBufferSize (${max}); split the tensor across buffers`, 'out-of-memory');
    const buf = this.device.createBuffer(desc);
    const size = buf.size;
    this.held.bytes += size;
    this.held.buffers++;
    this.held.peak = Math.max(this.held.peak, this.held.bytes);
    const destroy = buf.destroy.bind(buf);
    let live = true;
    Object.defineProperty(buf, 'destroy', {
      value: () => {
        if (live) {
          live = false;
          this.held.bytes -= size;
          this.held.buffers--;
        }
        destroy();
      },
      configurable: true,
    });
    return buf;
  }

  private held = { bytes: 0, buffers: 0, peak: 0 };

  /** GPU memory held by live buffers created through this context (weights, caches, pools, scratch, uniforms). */
  get memory(): { bytes: number; buffers: number; peak: number } {
    return { ...this.held };
  }

  /** Creates a buffer with the given contents (or size), for storage use by default. */
  createBuffer(dataOrSize: ArrayBufferView | number, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label?: string): GPUBuffer {
    this.check();
    const size = typeof dataOrSize === 'number' ? dataOrSize : dataOrSize.byteLength;
    const buf = this.buffer({ size: Math.max(4, Math.ceil(size / 4) * 4), usage, label, mappedAtCreation: typeof dataOrSize !== 'number' });
    if (typeof dataOrSize !== 'number') {
      const src = new Uint8Array(dataOrSize.buffer, dataOrSize.byteOffset, dataOrSize.byteLength);
      new Uint8Array(buf.getMappedRange()).set(src);
      buf.unmap();
    }
    return buf;
  }

  /** Copies `byteLength` bytes from `buffer` (at `offset`) to the CPU. */
  async read(buffer: GPUBuffer, byteLength = buffer.size, offset = 0): Promise<ArrayBuffer> {
    this.check();
    if (!(buffer.usage & GPUBufferUsage.COPY_SRC)) throw new GpuError(`read: buffer '${buffer.label}' lacks COPY_SRC usage`, 'binding');
    if (offset + byteLength > buffer.size) throw new GpuError(`read: ${byteLength} bytes at ${offset} overrun buffer '${buffer.label}' of ${buffer.size} bytes`, 'binding');
    const aligned = Math.ceil(byteLength / 4) * 4;
    const staging = this.buffer({ size: Math.max(4, aligned), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' });
    try {
      await this.submit([`read ${buffer.label || 'buffer'}`], (e) => e.copyBufferToBuffer(buffer, offset, staging, 0, aligned));
      await staging.mapAsync(GPUMapMode.READ);
      this.check();
      return staging.getMappedRange().slice(0, byteLength);
    } finally {
      staging.destroy();
    }
  }

  async readF32(buffer: GPUBuffer, length?: number): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, (length ?? buffer.size / 4) * 4));
  }
  async readU32(buffer: GPUBuffer, length?: number): Promise<Uint32Array> {
    return new Uint32Array(await this.read(buffer, (length ?? buffer.size / 4) * 4));
  }
  async readI32(buffer: GPUBuffer, length?: number): Promise<Int32Array> {
    return new Int32Array(await this.read(buffer, (length ?? buffer.size / 4) * 4));
  }

  write(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.check();
    this.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Plain-data summary (for `nibble info` and reports). */
  summary(): ContextSummary {
    const l = this.limits;
    return {
      adapter: this.info,
      fallback: this.info.isFallback,
      features: { ...this.caps },
      adapterFeatures: [...this.adapter.features].sort(),
      limits: {
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      },
    };
  }

  destroy(): void {
    this.pool.clear();
    this.device.destroy();
    void this.keepAlive;
  }
}

export interface ContextSummary {
  adapter: AdapterDescription;
  fallback: boolean;
  features: Capabilities;
  adapterFeatures: string[];
  limits: Record<string, number>;
}
