// node dist/bench/run-graph.js [--quick] [--reps N] [--json out.json] [--f32 block4,rows [--rounds N]]: the graph
// executor benchmark on Dawn. --f32 runs the whole bench once per listed f32 matmul shape (tuning override
// matmulF32.shape), interleaved over --rounds rounds (default 3) in this one process, and adds the median ms/step
// of each step under each shape, with ratios against the first.
import { writeFileSync } from 'node:fs';
import { createNodeContext } from '../runtime/node.js';
import { setTuningOverride, type Tuning } from '../src/kernels/tuning.js';
import { benchGraph, formatReports, type StepReport } from './graph.js';
import { median } from '../src/gpu/timing.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ctx = await createNodeContext();
try {
  const reps = flag('--reps');
  const o = { quick: args.includes('--quick'), reps: reps ? Number(reps) : undefined };
  const shapes = flag('--f32')?.split(',') as Tuning['matmulF32']['shape'][] | undefined;
  if (!shapes) {
    const rs = await benchGraph(ctx, o);
    console.log(formatReports(ctx, rs));
    const json = flag('--json');
    if (json) writeFileSync(json, JSON.stringify({ adapter: ctx.info, results: rs }, null, 2));
  } else {
    const rounds = Number(flag('--rounds') ?? 3);
    const runs = new Map<string, StepReport[][]>(shapes.map((s) => [s, []]));
    for (let r = 0; r < rounds; r++) {
      for (const shape of shapes) {
        setTuningOverride({ matmulF32: { shape } });
        runs.get(shape)!.push(await benchGraph(ctx, o));
        console.error(`round ${r + 1}/${rounds}: f32 ${shape} done`);
      }
    }
    setTuningOverride(null);
    const steps = runs.get(shapes[0])![0].map((s) => s.name);
    const lines = [`# graph steps by f32 matmul shape: medians over ${rounds} interleaved rounds of ms/step`, '', `| step | ${shapes.map((s) => `f32 ${s}`).join(' | ')} | ${shapes.slice(1).map((s) => `${shapes[0]} / ${s}`).join(' | ')} |`, `| --- |${' ---: |'.repeat(2 * shapes.length - 1)}`];
    for (const [i, name] of steps.entries()) {
      const ms = shapes.map((s) => median(runs.get(s)!.map((rs) => rs[i].msPerStep)));
      lines.push(`| ${name} | ${ms.map((m) => m.toFixed(2)).join(' | ')} | ${ms.slice(1).map((m) => `${(ms[0] / m).toFixed(2)}x`).join(' | ')} |`);
    }
    for (const s of shapes) console.log(`## f32 ${s} (last round)\n${formatReports(ctx, runs.get(s)![rounds - 1])}`);
    console.log(lines.join('\n'));
    const json = flag('--json');
    if (json) writeFileSync(json, JSON.stringify({ adapter: ctx.info, rounds, runs: Object.fromEntries(runs) }, null, 2));
  }
} finally {
  ctx.destroy();
}
