// Buffer pool: buffers are reused by (size class, usage). Size classes are powers of two up to 1 MiB,
// then multiples of 1 MiB, so a reused buffer wastes at most half (small) or 1 MiB (large).
import type { GpuContext } from './context.js';

export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 4) * 4);
  if (b <= 1 << 20) return 2 ** Math.ceil(Math.log2(b));
  return Math.ceil(b / (1 << 20)) * (1 << 20);
}

export class BufferPool {
  private free = new Map<string, GPUBuffer[]>();
  private live = new Set<GPUBuffer>();
  /** Buffers created over the pool's life (a test counts these to prove reuse). */
  allocations = 0;
  bytesHeld = 0;

  constructor(private readonly ctx: GpuContext) {}

  acquire(bytes: number, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label = 'pool'): GPUBuffer {
    const size = sizeClass(bytes);
    const key = `${size}:${usage}`;
    const list = this.free.get(key);
    const reused = list?.pop();
    if (reused) {
      this.live.add(reused);
      return reused;
    }
    const max = this.ctx.limits.maxBufferSize;
    if (size > max) throw new Error(`buffer '${label}' of ${bytes} bytes exceeds the adapter's maxBufferSize (${max})`);
    this.ctx.check();
    const buf = this.ctx.buffer({ size, usage, label });
    this.allocations++;
    this.bytesHeld += size;
    this.live.add(buf);
    return buf;
  }

  release(buf: GPUBuffer): void {
    if (!this.live.delete(buf)) throw new Error(`buffer '${buf.label}' released twice or not from this pool`);
    const key = `${buf.size}:${buf.usage}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buf);
  }

  /** Destroys the idle buffers. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) {
      this.bytesHeld -= b.size;
      b.destroy();
    }
    this.free.clear();
  }

  clear(): void {
    this.trim();
    for (const b of this.live) {
      this.bytesHeld -= b.size;
      b.destroy();
    }
    this.live.clear();
  }
}
