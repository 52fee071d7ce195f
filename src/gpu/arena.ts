// Arenas: many tensors as ranges of few buffers, one after another at offsets aligned to the adapter's
// minStorageBufferOffsetAlignment, each buffer no larger than one storage binding may be. A kernel that reads every
// tensor of an arena (the flat optimizer: adamw_flat.wgsl, grad_norm_flat.wgsl) binds the buffer once, where the
// multi-tensor kernels bind two buffers a tensor and run into the adapter's storage-buffer limit.
import type { GpuContext } from './context.js';
import type { BufferRange } from './kernel.js';

export interface Arena {
  /** The buffers, in order (more than one only where the tensors overflow one binding). */
  buffers: GPUBuffer[];
  /** Each tensor's range, in the order given: its buffer, byte offset and size (the bytes rounded up to 16). */
  ranges: Required<BufferRange>[];
}

/**
 * Lays tensors of `bytes` each out in arenas and creates the buffers (zeroed; `init`, where given, written at each
 * range's offset). `cap`: the most bytes a buffer holds (default: the largest storage binding and buffer the adapter
 * takes); a tensor larger than the cap is an error naming it.
 */
export function createArena(ctx: GpuContext, items: readonly { bytes: number; label: string; init?: ArrayBufferView | null }[], label: string, cap?: number): Arena {
  const align = ctx.limits.minStorageBufferOffsetAlignment;
  const max = cap ?? Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  const sizes = items.map((it) => Math.max(16, Math.ceil(it.bytes / 16) * 16));
  const place: { buffer: number; offset: number }[] = [];
  const ends: number[] = [0];
  items.forEach((it, i) => {
    if (sizes[i] > max) throw new Error(`arena '${label}': '${it.label}' of ${it.bytes} bytes exceeds the largest buffer a binding takes (${max})`);
    let at = Math.ceil(ends[ends.length - 1] / align) * align;
    if (at + sizes[i] > max) {
      ends.push(0);
      at = 0;
    }
    place.push({ buffer: ends.length - 1, offset: at });
    ends[ends.length - 1] = at + sizes[i];
  });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers = ends.map((end, k) => ctx.buffer({ size: Math.max(16, end), usage, label: `${label}${ends.length > 1 ? `.${k}` : ''}` }));
  const ranges = place.map((p, i) => ({ buffer: buffers[p.buffer], offset: p.offset, size: sizes[i] }));
  items.forEach((it, i) => {
    if (!it.init) return;
    // writeBuffer takes whole words: a tail of under four bytes is padded.
    const src = new Uint8Array(it.init.buffer, it.init.byteOffset, it.init.byteLength);
    const data = src.byteLength % 4 ? new Uint8Array(Math.ceil(src.byteLength / 4) * 4) : src;
    if (data !== src) data.set(src);
    ctx.write(ranges[i].buffer, data, ranges[i].offset);
  });
  return { buffers, ranges };
}
