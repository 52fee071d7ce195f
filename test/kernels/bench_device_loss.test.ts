// A device lost in the middle of a benchmark (issue 18): that row is reported as 'device-lost' and the rest run on a
// new device; without a way to make one, the later rows say so instead of failing one by one or hanging.
import { expect, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import { runBench, type BenchRow } from '../../bench/harness.js';
import { planBinary } from '../../src/kernels/basic.js';
import type { GpuContext } from '../../src/gpu/context.js';

function addRow(name: string, loseDevice = false): BenchRow {
  return {
    name,
    group: 'device loss',
    side: 'nibble',
    shape: '256',
    flops: 256,
    bytes: 3 * 4 * 256,
    async setup(ctx: GpuContext) {
      const a = ctx.createBuffer(new Float32Array(256).fill(1));
      const y = ctx.createBuffer(4 * 256);
      const d = await planBinary(ctx, 'add', a, a, y, 256);
      if (loseDevice) ctx.device.destroy();
      return {
        dispatches: [d],
        check: async () => {
          const v = await ctx.readF32(y, 256);
          return { ok: true, message: `y[0] = ${v[0]}` };
        },
        dispose: () => [a, y].forEach((b) => b.destroy()),
      };
    },
  };
}

const rows = [addRow('before'), addRow('loses the device', true), addRow('after')];
const opts = { quick: true, warmup: 1, reps: 2 };

it('the row that lost the device is reported as lost and the rest continue on a new device', async () => {
  const made: GpuContext[] = [];
  const ctx = await createNodeContext();
  const r = await runBench(ctx, [], rows, { ...opts, newContext: async () => (made[made.length] = await createNodeContext()) });
  expect(r.rows.map((x) => x.status)).toEqual(['ok', 'device-lost', 'ok']);
  expect(r.rows[1].check).toMatch(/device lost during this row .*the rows after it ran on a new device/);
  expect(made).toHaveLength(1);
  made.forEach((c) => c.destroy());
});

it('without a new device the later rows are reported as not run', async () => {
  const ctx = await createNodeContext();
  const r = await runBench(ctx, [], rows, opts);
  expect(r.rows.map((x) => x.status)).toEqual(['ok', 'device-lost', 'device-lost']);
  expect(r.rows[2].check).toMatch(/not run: the device was lost earlier/);
});
