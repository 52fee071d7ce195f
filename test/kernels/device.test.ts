// Node-only: device loss and GPU errors surface as exceptions that say what happened (own device, so the
// shared context of the other tests is untouched).
import { describe, expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import { planBinary } from '../../src/kernels/basic.js';
import { runDispatch } from '../../src/kernels/common.js';
import { timePass } from '../../src/gpu/timing.js';

describe('device errors (node)', () => {
  it('a lost device makes the next call throw, naming the loss and the last kernel', async () => {
    const ctx = await createNodeContext();
    const n = 64;
    const a = ctx.createBuffer(new Float32Array(n).fill(1));
    const y = ctx.createBuffer(4 * n);
    await runDispatch(await planBinary(ctx, 'add', a, a, y, n));
    ctx.device.destroy();
    await ctx.device.lost;
    await expect(ctx.readF32(y)).rejects.toThrow(/GPU device lost \(destroyed\).*last work submitted: add/);
    expect(() => ctx.createBuffer(16)).toThrow(/device lost/);
  });

  it('a GPU validation error inside a submit names the kernel', async () => {
    const ctx = await createNodeContext();
    const buf = ctx.createBuffer(16);
    buf.destroy();
    await expect(ctx.submit(['my_kernel'], (enc) => enc.clearBuffer(buf))).rejects.toThrow(/kernel 'my_kernel': GPU validation error/);
    ctx.destroy();
  });

  it('times a pass with the method named', async () => {
    const ctx = await createNodeContext();
    const n = 4096;
    const a = ctx.createBuffer(new Float32Array(n).fill(1));
    const y = ctx.createBuffer(4 * n);
    const d = await planBinary(ctx, 'add', a, a, y, n);
    const bound = d.kernel.bind(d.args);
    const t = await timePass(ctx, 'add', (pass) => bound.encode(pass, d.workgroups), { warmup: 1, reps: 3 });
    expect(t.method).toBe(ctx.caps.timestampQuery ? 'timestamp-query' : 'queue-completion');
    expect(t.samples).toHaveLength(3);
    expect(t.min).toBeGreaterThan(0);
    expect(t.min).toBeLessThanOrEqual(t.median);
    expect(t.median).toBeLessThanOrEqual(t.max);
    expect([...(await ctx.readF32(y, 4))]).toEqual([2, 2, 2, 2]);
    bound.dispose();
    ctx.destroy();
  });
});
