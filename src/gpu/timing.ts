// GPU timing: timestamp-query around one compute pass where the device has it, else wall time to queue completion.
import type { GpuContext } from './context.js';

export type TimingMethod = 'timestamp-query' | 'queue-completion';

export interface TimingResult {
  method: TimingMethod;
  samples: number[]; // ms
  median: number;
  min: number;
  max: number;
}

/** The median of samples (the mean of the middle two for an even count; NaN for none). Every bench's medians use it. */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summarize(samples: number[], method: TimingMethod): TimingResult {
  return { method, samples, median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

/**
 * Times `encode` (which records dispatches into one compute pass) `reps` times after `warmup` runs.
 * Each sample is one submit; the GPU time comes from timestamps when `ctx.caps.timestampQuery`.
 */
export async function timePass(
  ctx: GpuContext,
  label: string,
  encode: (pass: GPUComputePassEncoder) => void,
  opts: {
    warmup?: number;
    reps?: number;
    method?: TimingMethod;
    /**
     * Before every timed pass, copy this many bytes between two scratch buffers (outside the timed pass) so that the
     * kernel's inputs are evicted from the GPU's L2 cache: a weight read from L2 would overstate memory bandwidth.
     */
    flushBytes?: number;
  } = {},
): Promise<TimingResult> {
  const warmup = opts.warmup ?? 2;
  const reps = opts.reps ?? 10;
  const method: TimingMethod = opts.method ?? (ctx.caps.timestampQuery ? 'timestamp-query' : 'queue-completion');
  const d = ctx.device;
  const flush = opts.flushBytes
    ? [0, 1].map(() => d.createBuffer({ size: Math.ceil(opts.flushBytes! / 4) * 4, usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label: `${label}.l2flush` }))
    : null;
  const runOnce = async (ts?: GPUComputePassTimestampWrites) => {
    await ctx.submit([label], (enc) => {
      if (flush) enc.copyBufferToBuffer(flush[0], 0, flush[1], 0, flush[0].size);
      const pass = enc.beginComputePass({ label, timestampWrites: ts });
      encode(pass);
      pass.end();
      if (ts) {
        enc.resolveQuerySet(ts.querySet, 0, 2, resolve!, 0);
        enc.copyBufferToBuffer(resolve!, 0, readback!, 0, 16);
      }
    });
  };
  let qs: GPUQuerySet | null = null;
  let resolve: GPUBuffer | null = null;
  let readback: GPUBuffer | null = null;
  if (method === 'timestamp-query') {
    qs = d.createQuerySet({ type: 'timestamp', count: 2, label: `${label}.timestamps` });
    resolve = d.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    readback = d.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }
  try {
    for (let i = 0; i < warmup; i++) await runOnce();
    await d.queue.onSubmittedWorkDone();
    const samples: number[] = [];
    for (let i = 0; i < reps; i++) {
      if (qs) {
        await runOnce({ querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 });
        await readback!.mapAsync(GPUMapMode.READ);
        const t = new BigUint64Array(readback!.getMappedRange().slice(0));
        readback!.unmap();
        samples.push(Number(t[1] - t[0]) / 1e6);
      } else {
        const t0 = performance.now();
        await runOnce();
        await d.queue.onSubmittedWorkDone();
        samples.push(performance.now() - t0);
      }
    }
    ctx.check();
    return summarize(samples, method);
  } finally {
    qs?.destroy();
    flush?.forEach((b) => b.destroy());
    resolve?.destroy();
    readback?.destroy();
  }
}
