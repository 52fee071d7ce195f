// node dist/bench/run-graph.js [--quick] [--reps N] [--json out.json]: the graph executor benchmark on Dawn.
import { writeFileSync } from 'node:fs';
import { createNodeContext } from '../runtime/node.js';
import { benchGraph, formatReports } from './graph.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ctx = await createNodeContext();
try {
  const reps = flag('--reps');
  const rs = await benchGraph(ctx, { quick: args.includes('--quick'), reps: reps ? Number(reps) : undefined });
  console.log(formatReports(ctx, rs));
  const json = flag('--json');
  if (json) writeFileSync(json, JSON.stringify({ adapter: ctx.info, results: rs }, null, 2));
} finally {
  ctx.destroy();
}
