// Helpers of the language-model cases (lm_model*.cases.ts, ssm / delta_net.cases.ts): models as Blobs (no fs: the same
// code runs in Chromium), a count of the GPU buffers a piece of code leaves alive, comparison figures, and a planned
// kernel run then read back.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatches, type Dispatch } from '../../src/kernels/common.js';
import { LanguageModel } from '../../src/lm/model.js';
import type { EngineOptions } from '../../src/lm/engine.js';

/** Loads GGUF bytes as a Blob (the browser's File path, and Node's too). */
export function loadBytes(ctx: GpuContext, bytes: Uint8Array, o: EngineOptions = {}): Promise<LanguageModel> {
  return LanguageModel.load(ctx, new Blob([bytes as BlobPart]), o);
}

/** Runs the dispatches, then reads n f32 values of `out`. */
export async function runRead(ctx: GpuContext, ds: Dispatch[], out: GPUBuffer, n: number): Promise<Float32Array> {
  await runDispatches(ctx, ds);
  return ctx.readF32(out, n);
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Index of the largest value of row t (ties to the lowest index), and the gap to the runner-up. */
export function rowTop2(x: ArrayLike<number>, t: number, V: number): { best: number; gap: number } {
  let best = -1;
  let b1 = -Infinity;
  let b2 = -Infinity;
  for (let v = 0; v < V; v++) {
    const z = x[t * V + v];
    if (z > b1) {
      b2 = b1;
      b1 = z;
      best = v;
    } else if (z > b2) b2 = z;
  }
  return { best, gap: b1 - b2 };
}

/**
 * Counts the GPU buffers created through ctx.device while it is installed, and which of them are still alive
 * (not destroyed). Buffers a context keeps on purpose for every model are not counted: the buffer pool's (ctx.pool)
 * and RMSNorm's stats scratch (src/kernels/lm.ts: one per row count and context, written and never read).
 */
export class BufferTracker {
  created = 0;
  private live = new Map<GPUBuffer, number>();
  private readonly original: GPUDevice['createBuffer'];
  private readonly poolAtStart: number;

  constructor(private readonly ctx: GpuContext) {
    const dev = ctx.device;
    this.poolAtStart = ctx.pool.bytesHeld;
    this.original = dev.createBuffer;
    const self = this;
    dev.createBuffer = function (desc: GPUBufferDescriptor): GPUBuffer {
      const b = self.original.call(dev, desc);
      self.created++;
      if (desc.label?.startsWith('lm.rms_norm.stats[')) return b;
      self.live.set(b, b.size);
      const destroy = b.destroy;
      b.destroy = function () {
        self.live.delete(b);
        return destroy.call(b);
      };
      return b;
    };
  }

  /** Bytes of live buffers created since install, less what the pool took on meanwhile. */
  get liveBytes(): number {
    let n = 0;
    for (const s of this.live.values()) n += s;
    return n - (this.ctx.pool.bytesHeld - this.poolAtStart);
  }

  /** Labels and sizes of the live buffers (for messages). */
  liveList(): string {
    return [...this.live.entries()].map(([b, n]) => `'${b.label}' ${n} B`).join(', ');
  }

  uninstall(): void {
    delete (this.ctx.device as unknown as Record<string, unknown>).createBuffer;
    if (this.ctx.device.createBuffer !== this.original) this.ctx.device.createBuffer = this.original;
  }
}

/** Runs `fn` with a tracker installed, uninstalled afterwards whatever happens. */
export async function tracking<R>(ctx: GpuContext, fn: (t: BufferTracker) => Promise<R>): Promise<R> {
  const t = new BufferTracker(ctx);
  try {
    return await fn(t);
  } finally {
    t.uninstall();
  }
}
