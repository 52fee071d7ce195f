// The shared GPU case table (test/cases) on Dawn in Node.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createNodeContext } from '../../runtime/node.js';
import type { GpuContext } from '../../src/gpu/context.js';
import { CASES } from '../cases/index.js';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await createNodeContext();
});
afterAll(() => ctx?.pool.clear());

describe('node (Dawn)', () => {
  for (const c of CASES) {
    it(`[node] ${c.name}`, async (t) => {
      const why = c.needs?.(ctx);
      if (why) return t.skip(why);
      const detail = await c.run(ctx);
      if (detail) t.annotate(detail);
    });
  }
});
