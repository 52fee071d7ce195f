// node dist/bench/run-matmul.js [--quick] [--all] [--json FILE]: the matmul bench on this machine's adapter (Dawn).
import { writeFileSync } from 'node:fs';
import { createNodeContext } from '../runtime/node.js';
import { runMatmulBench } from './matmul.js';

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const ctx = await createNodeContext();
try {
  const result = await runMatmulBench(ctx, { quick: args.includes('--quick'), variants: args.includes('--all') ? 'all' : undefined });
  if (jsonAt >= 0) writeFileSync(args[jsonAt + 1], JSON.stringify(result, null, 2));
} finally {
  ctx.pool.clear();
}
process.exit(0);
